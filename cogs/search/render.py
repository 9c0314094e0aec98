"""/search, /latest and /related answers as plain specs. No discord import.

The cog looks things up (feeds, where Lantern posted each article, the
discussion counts) and hands them in; everything here is a pure function of
what it is given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot import search as core_search
from bot.models import Article, Comment, Feed
from bot.posting.formatting import EmbedField, EmbedSpec, safe_text, safe_url
from bot.storage.protocol import Discussion, LinkMention, SearchHit
from cogs.render import (
    DESCRIPTION_LIMIT,
    MESSAGE_LIMIT,
    TITLE_CHARS,
    article_meta,
    cut,
    date_tag,
    discord_link,
    field_value,
    link_target,
    plain_label,
    plural,
    title_link,
    words,
)

COLOR = 0xF4B942
ENTRY_LIMIT = 760  # one result in the embed description, at most
SNIPPET_CHARS = 320  # of the raw snippet, before markdown escaping
COMMENT_CHARS = 160
COMMENTS_SHOWN = 2

NO_RESULTS = (
    "I found no articles matching that in this server's feeds.\n"
    "• try fewer or different words, or a shorter form (`relaps*` finds relapse and relapsing)\n"
    "• remove a filter (feed, author, after, before)\n"
    "• set `comments: True` to search the source sites' comments too"
)
NO_ARTICLES = "There are no articles yet: a moderator can subscribe a channel with `/feed add`."
ARTICLE_NOT_FOUND = (
    "I can't find that article in this server's feeds. Pick one from the list"
    " as you type, paste its link, or try `/search`."
)
NO_MORE_RESULTS = "There are no more results: the archive changed since this search."
NOT_YOUR_SEARCH = (
    "Only the member who ran this search can page through it."
    " Use `/search` to run your own (it's private)."
)


def with_resources(message: str, resources: str | None) -> str:
    """`message`, led by the support contacts when the search looked like a crisis."""
    if resources is None:
        return message[:MESSAGE_LIMIT]
    return f"{resources}\n\n{message}"[:MESSAGE_LIMIT]


def page_count(result: core_search.SearchPage) -> str:
    pages = max(1, math.ceil(result.total / result.per_page))
    return f"{pages}+" if result.total_capped else str(pages)


def _result_entry(
    n: int, hit: SearchHit, feed: Feed | None, posted_link: str | None, budget: int
) -> str:
    article = hit.article
    lines = [f"{n}. {title_link(article)}", article_meta(article, feed, posted_link)]
    snippet = core_search.render_snippet(hit.snippet[:SNIPPET_CHARS])
    if not snippet:
        snippet = safe_text(cut(article.summary, 200))
    if snippet:
        lines.append(f"> {snippet}")
    if hit.via_comments:
        lines.append("*matched in its comments*")
    for c in hit.comments[:COMMENTS_SHOWN]:
        who = safe_text(cut(c.comment.author or "", 40)) or "someone"
        text = core_search.render_snippet(c.snippet[:COMMENT_CHARS])
        lines.append(f"↳ comment by {who}: {text}")
    entry = "\n".join(lines)
    while len(entry) > budget and len(lines) > 2:
        lines.pop()  # comments first, then the snippet
        entry = "\n".join(lines)
    if len(entry) > budget:  # a huge link or an escape-heavy title: drop the link
        title = safe_text(cut(article.title or "", TITLE_CHARS // 2)) or "Untitled"
        lines[0] = f"{n}. **{title}**"
        entry = "\n".join(lines)
    return cut(entry, budget)


def results_embed(
    result: core_search.SearchPage,
    feeds: Mapping[int, Feed | None],
    posted: Mapping[int, str],
    *,
    comments: bool,
    shared: bool,
) -> EmbedSpec:
    """One page of results: title link, feed, date, snippet with the matched
    words in bold, matching comments, and where Lantern posted it here
    (`posted`: article id -> link)."""
    total = f"{result.total}{'+' if result.total_capped else ''}"
    noun = "result" if result.total == 1 and not result.total_capped else "results"
    header = [f"{total} {noun} for {safe_text(cut(result.description, 200))}"]
    if comments:
        header[0] += " (articles and their comments)"
    for note in result.notes[:3]:
        header.append(f"*{safe_text(cut(note, 300))}*")
    head = "\n".join(header)
    # Every entry gets an equal share of what the header leaves of the description.
    spare = DESCRIPTION_LIMIT - len(head) - 2 * (len(result.hits) + 1)
    budget = min(ENTRY_LIMIT, spare // max(1, len(result.hits)))
    entries = [
        _result_entry(
            n, hit, feeds.get(hit.article.feed_id), posted.get(hit.article.id), budget
        )
        for n, hit in enumerate(result.hits, start=result.page * result.per_page + 1)
    ]
    description = head + "\n\n" + "\n\n".join(entries)
    footer = f"Page {result.page + 1} of {page_count(result)}"
    if shared:
        footer += " · shared from /search"
    return EmbedSpec(
        title="Search results",
        description=description[:DESCRIPTION_LIMIT],
        color=COLOR,
        footer=footer,
    )


def latest_embed(
    articles: Sequence[Article], feeds: Mapping[int, Feed | None], posted: Mapping[int, str]
) -> EmbedSpec:
    """The newest articles, each with its feed, date and where it was posted here."""
    entries = [
        f"{n}. {title_link(a)}\n" + article_meta(a, feeds.get(a.feed_id), posted.get(a.id))
        for n, a in enumerate(articles, start=1)
    ]
    return EmbedSpec(
        title="Latest articles",
        description="\n\n".join(entries)[:DESCRIPTION_LIMIT],
        color=COLOR,
    )


@dataclass(frozen=True, slots=True)
class Related:
    """What /related shows about one article, looked up for one guild."""

    guild_id: int
    article: Article
    feeds: Mapping[int, Feed | None]
    posted: Mapping[int, str]  # article id -> where Lantern posted it in this guild
    similar: Sequence[SearchHit]
    discussions: Mapping[int, Discussion]
    comment_counts: Mapping[int, int]
    mentions: Sequence[LinkMention]
    comments: Sequence[Comment]


def related_embed(r: Related) -> EmbedSpec:
    """The article, its discussion here and at the source, and similar articles."""
    article = r.article
    url = safe_url(article.link)
    meta = article_meta(
        article,
        r.feeds.get(article.feed_id),
        r.posted.get(article.id),
        not_posted="not posted in this server",
    )
    summary = safe_text(article.summary[:300])
    description = meta + (f"\n> {summary}" if summary else "")

    # This server's discussion: its thread, and messages that linked the article.
    here: list[str] = []
    d = r.discussions.get(article.id)
    if d is not None:
        when = f", last active {date_tag(d.last_activity_at, 'R')}" if d.last_activity_at else ""
        here.append(f"Thread: <#{d.thread_id}> — {plural(d.message_count, 'message')}{when}")
    else:
        here.append("No thread here yet: `/discuss` opens one.")
    for m in r.mentions:
        jump = discord_link(r.guild_id, m.channel_id, m.message_id)
        here.append(
            f"Linked in <#{m.channel_id}> {date_tag(m.created_at, 'R')} ([message]({jump}))"
        )

    # The source site's comments.
    total = max(r.comment_counts.get(article.id, 0), article.comment_count or 0)
    source: list[str] = [plural(total, "comment") + " at the source"]
    for c in r.comments:
        who = safe_text((c.author or "someone")[:40]) or "someone"
        excerpt = safe_text(words(c.text, 140))
        if excerpt:
            source.append(f"> {excerpt}\n— {who}")
    comments_url = safe_url(article.comments_url) or (url if total else None)
    if comments_url and len(comments_url) <= 600:
        source.append(f"[Read the comments]({link_target(comments_url)})")

    # More like this, each with its own discussion counts.
    lines = []
    for n, hit in enumerate(r.similar, start=1):
        other = hit.article
        extra = [date_tag(other.published_at)]
        od = r.discussions.get(other.id)
        if od is not None:
            extra.append(f"<#{od.thread_id}> {plural(od.message_count, 'message')}")
        count = max(r.comment_counts.get(other.id, 0), other.comment_count or 0)
        if count:
            extra.append(plural(count, "source comment"))
        lines.append(f"{n}. {title_link(other)}\n" + " · ".join(extra))
    related = "\n".join(lines) if lines else "Nothing similar in this server's feeds yet."

    return EmbedSpec(
        title=plain_label(article.title, 256) or "Untitled",
        url=url if url and len(url) <= 2048 else None,
        description=description,
        color=COLOR,
        fields=(
            EmbedField("Discussion here", field_value("\n".join(here))),
            EmbedField("Comments at the source", field_value("\n".join(source))),
            EmbedField("Related articles", field_value(related)),
        ),
    )
