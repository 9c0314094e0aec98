"""/feed answers as text and plain specs. No discord import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.errors import FetchError, LanternError, NotAFeedError
from bot.models import (
    Article,
    Feed,
    FeedStatus,
    ParsedArticle,
    ParsedFeed,
    PostStyle,
    Subscription,
)
from bot.posting.formatting import EmbedSpec, PostSpec, safe_text
from cogs.render import ReplySpec

COLOR = 0xF2A541
LIST_PAGE_SIZE = 10
LIST_PAGE_CHARS = 3800  # under the 4,096 of an embed description
NO_FEEDS = "No feeds yet. Add one with `/feed add`."
NOTHING_TO_EDIT = "Tell me what to change: channel, include, exclude, mention, threads or style."
_MIN_DATE = datetime.min.replace(tzinfo=UTC)


def ts(when: datetime | None, style: str = "R") -> str:
    return f"<t:{int(when.timestamp())}:{style}>" if when is not None else "never"


def describe_fetch_error(exc: LanternError) -> str:
    """A fetch or parse failure as a reply to the moderator who gave the URL."""
    text = str(exc).rstrip(".") or type(exc).__name__
    if isinstance(exc, FetchError):
        if exc.kind == "invalid_url":
            return f"That URL won't work: {text}."
        if exc.kind == "blocked":
            return f"I won't fetch that address: {text}."
        return f"I couldn't fetch that feed: {text}."
    if isinstance(exc, NotAFeedError):
        return f"That doesn't look like a feed: {text}."
    return f"I couldn't read that feed: {text}."


# -- /feed add and /feed preview ----------------------------------------------------------


def subscribed(
    channel_id: int, label: str, backlog: int, newest: int, sample: PostSpec | None
) -> ReplySpec:
    """After /feed add: what will be posted, and how the newest article looks
    (`newest`: how many articles the feed has, up to the backlog asked for)."""
    posting = min(backlog, newest)
    if posting == 0:
        what = "new articles will be posted as they appear"
    elif posting == 1:
        what = "posting the newest article now"
    else:
        what = f"posting the newest {posting} now"
    lines = [f"✅ Subscribed <#{channel_id}> to **{label}** — {what}."]
    if backlog > posting and newest:
        lines.append(f"The feed has only {newest} article(s) right now.")
    if sample is None:
        lines.append("The feed has no articles yet.")
        return ReplySpec("\n".join(lines))
    lines.append("Here's how the newest item looks:")
    if sample.content:
        lines.append(sample.content)
    return ReplySpec("\n".join(lines), sample.embeds)


def alternate_offered(url: str) -> str:
    return f"That page isn't a feed, but it links to one: <{url}>"


def preview(title: str, note: str, sample: PostSpec | None) -> ReplySpec:
    """/feed preview: the newest article as it would be posted (`note` leads)."""
    if sample is None:
        return ReplySpec(f"{note}**{title}** is a feed, but it has no articles right now.")
    content = f"{note}Preview of the newest article in **{title}** (nothing was saved):"
    if sample.content:
        content += "\n" + sample.content
    return ReplySpec(content, sample.embeds)


def newest_item(parsed: ParsedFeed) -> ParsedArticle | None:
    """The newest dated article, else the first in the document."""
    if not parsed.articles:
        return None
    return max(parsed.articles, key=lambda a: a.published or a.updated or _MIN_DATE)


def throwaway(
    parsed: ParsedFeed, item: ParsedArticle, url: str, guild_id: int, now: datetime
) -> tuple[Article, Feed, Subscription]:
    """Stored-looking records for a preview, without writing anything."""
    article = Article(
        id=0, feed_id=0, key=item.key, link=item.link, title=item.title,
        summary=item.summary, content=item.content, author=item.author,
        published_at=item.published or item.updated or now, updated_at=item.updated,
        has_date=item.published is not None or item.updated is not None,
        image_url=item.image_url, categories=item.categories,
        comments_url=item.comments_url, comments_feed_url=item.comments_feed_url,
        comment_count=item.comment_count, content_hash=item.content_hash,
        first_seen_at=now, revision=0,
    )
    feed = Feed(
        id=0, url=url, title=parsed.title, site_url=parsed.site_url, icon_url=parsed.icon_url,
        etag=None, last_modified=None, body_hash=None, status=FeedStatus.ACTIVE, error_count=0,
        last_error=None, first_error_at=None, last_success_at=now, next_poll_at=now,
        created_at=now,
    )
    sub = Subscription(
        id=0, guild_id=guild_id, channel_id=0, feed_id=0, name=None, backlog=1, paused=False,
        pause_reason=None, include=(), exclude=(), mention_role_id=None, threads=False,
        style=PostStyle.FULL, added_by=None, created_at=now,
    )
    return article, feed, sub


# -- /feed list --------------------------------------------------------------------------


def paginate(entries: Sequence[str], size: int = LIST_PAGE_SIZE,
             chars: int = LIST_PAGE_CHARS) -> list[str]:
    """Entries into pages of at most `size` entries and `chars` characters."""
    pages: list[str] = []
    current: list[str] = []
    length = 0
    for entry in entries:
        entry = entry[:chars]
        if current and (len(current) >= size or length + len(entry) + 2 > chars):
            pages.append("\n\n".join(current))
            current, length = [], 0
        current.append(entry)
        length += len(entry) + 2
    if current:
        pages.append("\n\n".join(current))
    return pages or [NO_FEEDS]


def status_of(sub: Subscription, feed: Feed | None) -> str:
    if feed is None or feed.status == "gone":
        return "⛔ gone"
    if sub.paused:
        reason = safe_text((sub.pause_reason or "no reason given")[:150])
        return f"⏸️ paused ({reason})"
    if feed.status == "broken":
        return "⚠️ broken"
    return "✅ active"


def list_entry(number: int, sub: Subscription, feed: Feed | None) -> str:
    name = safe_text(
        (sub.name or (feed.display_name if feed else f"feed {sub.feed_id}"))[:80]
    )
    lines = [f"**{number}. {name or 'a feed'}** → <#{sub.channel_id}> · {status_of(sub, feed)}"]
    if feed is not None:
        next_poll = "not polled (gone)" if feed.status == "gone" else ts(feed.next_poll_at)
        lines.append(f"Last success {ts(feed.last_success_at)} · next poll {next_poll}")
        if feed.last_error:
            since = f" (failing since {ts(feed.first_error_at)})" if feed.first_error_at else ""
            lines.append(f"Last error: {safe_text(feed.last_error[:150])}{since}")
    return "\n".join(lines)


def list_pages(subs: Sequence[Subscription], feeds: dict[int, Feed | None]) -> list[str]:
    """/feed list's pages: each subscription with its status, numbered."""
    return paginate(
        [list_entry(n, sub, feeds.get(sub.feed_id)) for n, sub in enumerate(subs, start=1)]
    )


def list_page(pages: Sequence[str], page: int, total: int) -> EmbedSpec:
    return EmbedSpec(
        title=f"Feeds on this server ({total})",
        description=pages[page],
        color=COLOR,
        footer=f"Page {page + 1}/{len(pages)}",
    )


# -- /feed remove, pause, resume, edit ---------------------------------------------------


def confirm_remove(label: str, channel_id: int) -> str:
    return f"Remove **{label}** from <#{channel_id}>? Nothing more will be posted there."


def removed(label: str, channel_id: int) -> str:
    return (
        f"🗑️ Removed **{label}** from <#{channel_id}>."
        " Articles already posted stay where they are."
    )


def paused(label: str, channel_id: int) -> str:
    return f"⏸️ Paused **{label}** in <#{channel_id}>. Nothing is posted until `/feed resume`."


def resumed(label: str, channel_id: int, queued: int) -> str:
    if queued == 0:
        what = "nothing new arrived while it was paused"
    elif queued == 1:
        what = "posting the newest article that arrived while it was paused"
    else:
        what = f"posting the newest {queued} that arrived while it was paused"
    return f"▶️ Resumed **{label}** in <#{channel_id}> — {what}."


def terms_text(terms: Sequence[str]) -> str:
    return ", ".join(safe_text(t) for t in terms) if terms else "none"


def edited(label: str, sub: Subscription, notes: Sequence[str]) -> str:
    """After /feed edit: the subscription's settings as they are now."""
    mention = f"<@&{sub.mention_role_id}>" if sub.mention_role_id else "nobody"
    lines = [
        f"✏️ Updated **{label}**:",
        f"• Channel: <#{sub.channel_id}>",
        f"• Only with: {terms_text(sub.include)}",
        f"• Never with: {terms_text(sub.exclude)}",
        f"• Mention: {mention}",
        f"• Threads: {'yes' if sub.threads else 'no'}",
        f"• Style: {sub.style}",
        *notes,
    ]
    return "\n".join(lines)
