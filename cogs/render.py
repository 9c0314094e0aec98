"""Text pieces the features' render modules share. No discord import.

Feed text is hostile: it goes through bot.posting.formatting's `safe_text` /
`safe_url` before it reaches markdown, and nothing here can ping anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models import Article, Feed
from bot.posting.formatting import EmbedSpec, safe_text, safe_url

TITLE_CHARS = 150
URL_IN_TEXT_LIMIT = 600  # longer article links are not linked from the text
FIELD_LIMIT = 1024
MESSAGE_LIMIT = 2000
DESCRIPTION_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class ReplySpec:
    """A private answer: text, embeds, or both."""

    content: str | None = None
    embeds: tuple[EmbedSpec, ...] = ()


def human_join(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def words(text: str, limit: int) -> str:
    """At most `limit` characters of `text` on one line, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit].rsplit(" ", 1)[0]
    return (head or text[:limit]) + "…"


def field_value(text: str) -> str:
    return text if len(text) <= FIELD_LIMIT else text[: FIELD_LIMIT - 1] + "…"


def plain_label(text: str | None, limit: int) -> str:
    """One line of feed text, for places that do not render markdown (choice
    names, button labels): printable characters only, cut at `limit`."""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in text or "").split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def discord_link(guild_id: int, channel_id: int, message_id: int | None = None) -> str:
    base = f"https://discord.com/channels/{guild_id}/{channel_id}"
    return base if message_id is None else f"{base}/{message_id}"


def link_target(url: str) -> str:
    """A URL inside markdown's `(...)`: parentheses would end the link early."""
    return url.replace("(", "%28").replace(")", "%29")


def title_link(article: Article) -> str:
    """`[Title](link)` with the title escaped (or just the bold title without a link)."""
    title = safe_text(cut(article.title or "", TITLE_CHARS)) or "Untitled"
    url = safe_url(article.link)
    if url is None or len(url) > URL_IN_TEXT_LIMIT:
        return f"**{title}**"
    return f"**[{title}]({link_target(url)})**"


def date_tag(when: datetime, style: str = "d") -> str:
    """A Discord timestamp: each reader sees it in their own time zone."""
    return f"<t:{int(when.timestamp())}:{style}>"


def feed_name(feed: Feed | None) -> str:
    if feed is None:
        return "a feed"
    return safe_text(cut(feed.display_name, 80)) or "a feed"


def article_meta(
    article: Article, feed: Feed | None, posted_link: str | None, *, not_posted: str | None = None
) -> str:
    """`feed · date · [posted here](link)`: the line under an article's title."""
    meta = [feed_name(feed), date_tag(article.published_at)]
    if posted_link is not None:
        meta.append(f"[posted here]({posted_link})")
    elif not_posted is not None:
        meta.append(not_posted)
    return " · ".join(meta)
