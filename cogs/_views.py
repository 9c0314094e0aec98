"""Search results on Discord: running a member's search, the results embed, and
the paging / Share view.

Privacy: a search's text lives only in the view's memory (for paging) and in
the messages shown to the member. Nothing here logs it or who searched;
the log gets counts and timings.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.clock import utcnow
from bot.errors import InvalidSearchQueryError
from bot.models import Article, Delivery, Feed
from bot.posting.formatting import neutralize_mentions, safe_text, safe_url
from bot.search import query as core_search
from bot.support.crisis_contacts import RESOURCES_LEAD, resources_text

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot

log = logging.getLogger(__name__)

PER_PAGE = 5
VIEW_TIMEOUT = 600.0  # seconds without a click; interaction tokens last 15 minutes
DESCRIPTION_LIMIT = 4096
ENTRY_LIMIT = 760  # one result in the embed description, at most
TITLE_CHARS = 150
SNIPPET_CHARS = 320  # of the raw snippet, before markdown escaping
COMMENT_CHARS = 160
URL_IN_TEXT_LIMIT = 600  # longer article links are not linked from the text
COMMENTS_SHOWN = 2
MESSAGE_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What a member asked for. `repr` leaves the text out, so a stray log of
    the object can't carry it."""

    text: str = field(repr=False)
    guild_id: int
    feed_id: int | None = None
    author: str | None = field(default=None, repr=False)
    after: str | None = None
    before: str | None = None
    sort: str = "relevance"
    comments: bool = False
    crisis: bool = False


def discord_link(guild_id: int, channel_id: int, message_id: int | None = None) -> str:
    base = f"https://discord.com/channels/{guild_id}/{channel_id}"
    return base if message_id is None else f"{base}/{message_id}"


def posted_link(bot: LanternBot, guild_id: int, delivery: Delivery) -> str | None:
    """Where Lantern posted an article in a guild: the forum post (a thread), or
    the message in its channel."""
    if delivery.message_id is None:
        return None
    channel = bot.get_channel(delivery.channel_id)
    if isinstance(channel, discord.ForumChannel) and delivery.thread_id is not None:
        return discord_link(guild_id, delivery.thread_id)
    return discord_link(guild_id, delivery.channel_id, delivery.message_id)


def plain_label(text: str | None, limit: int) -> str:
    """One line of feed text, for places that do not render markdown (choice
    names, button labels): printable characters only, cut at `limit`."""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in text or "").split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def title_link(article: Article) -> str:
    """`[Title](link)` with the title escaped (or just the bold title without a link)."""
    title = safe_text(_cut(article.title or "", TITLE_CHARS)) or "Untitled"
    url = safe_url(article.link)
    if url is None or len(url) > URL_IN_TEXT_LIMIT:
        return f"**{title}**"
    target = url.replace("(", "%28").replace(")", "%29")
    return f"**[{title}]({target})**"


def date_tag(when: datetime) -> str:
    return f"<t:{int(when.timestamp())}:d>"


def feed_name(feed: Feed | None) -> str:
    if feed is None:
        return "a feed"
    return safe_text(_cut(feed.display_name, 80)) or "a feed"


def resources_block(custom: str | None) -> str:
    """The lead line and the server's contacts, unable to ping anyone."""
    return f"{RESOURCES_LEAD}\n{neutralize_mentions(resources_text(custom))}"


def with_resources(message: str, resources: str | None) -> str:
    if resources is None:
        return message[:MESSAGE_LIMIT]
    return f"{resources}\n\n{message}"[:MESSAGE_LIMIT]


class FeedCache:
    """get_feed once per feed while one message is built."""

    def __init__(self, bot: LanternBot) -> None:
        self._store = bot.core.store
        self._feeds: dict[int, Feed | None] = {}

    async def get(self, feed_id: int) -> Feed | None:
        if feed_id not in self._feeds:
            self._feeds[feed_id] = await self._store.get_feed(feed_id)
        return self._feeds[feed_id]


async def run_search(bot: LanternBot, req: SearchRequest, page: int) -> core_search.SearchPage:
    """bot.search.search for a request; logs only a count and a timing."""
    start = time.perf_counter()
    result = await core_search.search(
        bot.core.store,
        req.text,
        guild_id=req.guild_id,
        now=utcnow(),
        feed_id=req.feed_id,
        author=req.author,
        after=req.after,
        before=req.before,
        sort=req.sort,
        page=page,
        per_page=PER_PAGE,
        comments=req.comments,
    )
    log.debug(
        "search: %d hit(s) on page %d in %.1f ms",
        len(result.hits),
        page,
        (time.perf_counter() - start) * 1000,
    )
    return result


def _page_count(result: core_search.SearchPage) -> str:
    pages = max(1, math.ceil(result.total / result.per_page))
    return f"{pages}+" if result.total_capped else str(pages)


async def render_results(
    bot: LanternBot, req: SearchRequest, result: core_search.SearchPage, *, shared: bool
) -> discord.Embed:
    """One page of results as an embed: title link, feed, date, snippet with the
    matched words in bold, matching comments, and where Lantern posted it here."""
    store = bot.core.store
    feeds = FeedCache(bot)
    ids = [h.article.id for h in result.hits]
    posted = await store.sent_in_guild(req.guild_id, ids)
    total = f"{result.total}{'+' if result.total_capped else ''}"
    noun = "result" if result.total == 1 and not result.total_capped else "results"
    header = [f"{total} {noun} for {safe_text(_cut(result.description, 200))}"]
    if req.comments:
        header[0] += " (articles and their comments)"
    for note in result.notes[:3]:
        header.append(f"*{safe_text(_cut(note, 300))}*")
    head = "\n".join(header)
    # Every entry gets an equal share of what the header leaves of the description.
    spare = DESCRIPTION_LIMIT - len(head) - 2 * (len(result.hits) + 1)
    budget = min(ENTRY_LIMIT, spare // max(1, len(result.hits)))
    entries: list[str] = []
    for n, hit in enumerate(result.hits, start=result.page * result.per_page + 1):
        article = hit.article
        lines = [f"{n}. {title_link(article)}"]
        meta = [feed_name(await feeds.get(article.feed_id)), date_tag(article.published_at)]
        delivery = posted.get(article.id)
        link = posted_link(bot, req.guild_id, delivery) if delivery else None
        if link is not None:
            meta.append(f"[posted here]({link})")
        lines.append(" · ".join(meta))
        snippet = core_search.render_snippet(hit.snippet[:SNIPPET_CHARS])
        if not snippet:
            snippet = safe_text(_cut(article.summary, 200))
        if snippet:
            lines.append(f"> {snippet}")
        if hit.via_comments:
            lines.append("*matched in its comments*")
        for c in hit.comments[:COMMENTS_SHOWN]:
            who = safe_text(_cut(c.comment.author or "", 40)) or "someone"
            text = core_search.render_snippet(c.snippet[:COMMENT_CHARS])
            lines.append(f"↳ comment by {who}: {text}")
        entry = "\n".join(lines)
        while len(entry) > budget and len(lines) > 2:
            lines.pop()  # comments first, then the snippet
            entry = "\n".join(lines)
        if len(entry) > budget:  # a huge link or an escape-heavy title: drop the link
            title = safe_text(_cut(article.title or "", TITLE_CHARS // 2)) or "Untitled"
            lines[0] = f"{n}. **{title}**"
            entry = "\n".join(lines)
        entries.append(_cut(entry, budget))
    description = head + "\n\n" + "\n\n".join(entries)
    embed = discord.Embed(
        title="Search results", description=description[:DESCRIPTION_LIMIT], colour=0xF4B942
    )
    footer = f"Page {result.page + 1} of {_page_count(result)}"
    if shared:
        footer += " · shared from /search"
    embed.set_footer(text=footer)
    return embed


class ResultsView(discord.ui.View):
    """Previous / Next (and Share, on the private copy). Only the member who
    searched can use them; after VIEW_TIMEOUT idle seconds the buttons are
    disabled and the results stay readable."""

    def __init__(
        self,
        bot: LanternBot,
        req: SearchRequest,
        result: core_search.SearchPage,
        owner_id: int,
        *,
        shared: bool = False,
        timeout: float | None = VIEW_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout)
        self.bot = bot
        self.req = req
        self.result = result
        self.owner_id = owner_id
        self.shared = shared
        self.shared_pages: set[int] = set()
        # What the timeout edits: the latest interaction on the private copy
        # (its token is valid for 15 minutes), the message itself when shared.
        self.last_interaction: discord.Interaction | None = None
        self.message: discord.Message | None = None
        if shared:
            self.remove_item(self.share)
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.result.page == 0
        beyond = (self.result.page + 1) * self.result.per_page > core_search.MAX_OFFSET
        self.next.disabled = not self.result.has_more or beyond
        if not self.shared:
            self.share.disabled = self.result.page in self.shared_pages

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "Only the member who ran this search can page through it."
            " Use `/search` to run your own (it's private).",
            ephemeral=True,
        )
        return False

    async def _turn(self, interaction: discord.Interaction, page: int) -> None:
        try:
            result = await run_search(self.bot, self.req, page)
        except InvalidSearchQueryError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        if not result.hits:
            await interaction.response.send_message(
                "There are no more results: the archive changed since this search.", ephemeral=True
            )
            return
        self.result = result
        self._sync()
        embed = await render_results(self.bot, self.req, result, shared=self.shared)
        await interaction.response.edit_message(embed=embed, view=self)
        if not self.shared:
            self.last_interaction = interaction

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await self._turn(interaction, max(0, self.result.page - 1))

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, self.result.page + 1)

    @discord.ui.button(label="Share", style=discord.ButtonStyle.primary)
    async def share(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        channel = interaction.channel
        perms = interaction.app_permissions
        in_thread = isinstance(channel, discord.Thread)
        can_send = perms.send_messages_in_threads if in_thread else perms.send_messages
        if channel is None or not isinstance(channel, discord.abc.Messageable):
            await interaction.response.send_message("I can't post here.", ephemeral=True)
            return
        if not (perms.view_channel and can_send and perms.embed_links):
            await interaction.response.send_message(
                "I can't post in this channel (I need Send Messages and Embed Links here),"
                " so I can't share these results.",
                ephemeral=True,
            )
            return
        embed = await render_results(self.bot, self.req, self.result, shared=True)
        public = ResultsView(
            self.bot, self.req, self.result, self.owner_id, shared=True, timeout=self.timeout
        )
        try:
            message = await channel.send(
                embed=embed, view=public, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException:
            public.stop()
            await interaction.response.send_message(
                "Discord didn't let me post in this channel, so nothing was shared.",
                ephemeral=True,
            )
            return
        public.message = message
        self.shared_pages.add(self.result.page)
        self._sync()
        await interaction.response.edit_message(view=self)
        await interaction.followup.send("Shared this page in the channel.", ephemeral=True)
        self.last_interaction = interaction
        log.debug("search page shared")

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        try:
            if self.message is not None:
                await self.message.edit(view=self)
            elif self.last_interaction is not None:
                await self.last_interaction.edit_original_response(view=self)
        except discord.HTTPException:
            pass  # deleted, or the token ran out: nothing left to tidy up
