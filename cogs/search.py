"""Members' commands: /search, /latest, /related, /discuss and /resources, plus
the listeners that keep discussion counts (and, when enabled, link mentions) fresh.

Everything is scoped to the feeds this server subscribes or has subscribed to
(guild_feeds): another server's articles, threads and settings never show.
Answers are private; /search results can be shared to the channel on request.

Privacy: queries are never logged, nor who ran them. Log lines carry counts
and timings only.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.clock import utcnow
from bot.discord_edge.client import UserError
from bot.errors import InvalidSearchQueryError
from bot.models import Article, Feed
from bot.posting.formatting import neutralize_mentions, safe_text, safe_url, thread_name_for
from bot.search.query import related as core_related
from bot.search.query import search as core_search
from bot.storage import Storage
from bot.support.crisis_contacts import looks_like_crisis, resources_text
from bot.text import fold
from cogs._views import (
    FeedCache,
    ResultsView,
    SearchRequest,
    date_tag,
    discord_link,
    feed_name,
    plain_label,
    posted_link,
    render_results,
    resources_block,
    run_search,
    title_link,
    with_resources,
)

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot

log = logging.getLogger(__name__)

T = TypeVar("T")
AUTOCOMPLETE_LIMIT = 25
AUTOCOMPLETE_BUDGET = 2.0  # seconds, of Discord's 3
CHOICE_NAME_LIMIT = 100
FAST_ANSWER = 1.5  # seconds: slower work is deferred ("thinking…") and followed up
RELATED_LIMIT = 5
MENTIONS_SHOWN = 3
LINKS_PER_MESSAGE = 5
FIELD_LIMIT = 1024
_URL = re.compile(r"https?://[^\s<>\"'|]+", re.IGNORECASE)
_ID = re.compile(r"\d{1,19}")

NO_RESULTS = (
    "I found no articles matching that in this server's feeds.\n"
    "• try fewer or different words, or a shorter form (`relaps*` finds relapse and relapsing)\n"
    "• remove a filter (feed, author, after, before)\n"
    "• set `comments: True` to search the source sites' comments too"
)


def _guild(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise UserError("This command only works in a server.")
    return interaction.guild


async def _soon(interaction: discord.Interaction, work: Awaitable[T]) -> T:
    """Await `work`; if it takes longer than FAST_ANSWER, acknowledge the
    interaction privately first so Discord's 3-second window is never missed."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=FAST_ANSWER)
    if not done and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    return await task


async def _send(
    interaction: discord.Interaction, content: str | None = None, **kwargs: Any
) -> None:
    """Answer privately whether or not the interaction was deferred."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if interaction.response.is_done():
        await interaction.followup.send(content or "", ephemeral=True, wait=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


def _choice(label: str, value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(
        name=plain_label(label, CHOICE_NAME_LIMIT) or "untitled", value=value
    )


class Search(commands.Cog):
    """Search and discussion commands for every member."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        self.view_timeout: float | None = None  # None: ResultsView's default (tests shorten it)

    @property
    def store(self) -> Storage:
        return self.bot.core.store

    # -- shared lookups -------------------------------------------------------------

    async def _guild_resources(self, guild_id: int) -> str:
        settings = await self.store.guild_settings(guild_id)
        return resources_block(settings.resources)

    async def feed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        needle = fold(current.strip())
        choices = []
        for feed in await self.store.guild_feed_list(interaction.guild.id):
            if needle and needle not in fold(feed.display_name) and needle not in fold(feed.url):
                continue
            choices.append(_choice(feed.display_name, str(feed.id)))
            if len(choices) >= AUTOCOMPLETE_LIMIT:
                break
        return choices

    async def _resolve_feed(self, guild_id: int, value: str) -> Feed:
        feeds = await self.store.guild_feed_list(guild_id)
        text = value.strip()
        for feed in feeds:
            if text == str(feed.id):
                return feed
        folded = fold(text)
        exact = [f for f in feeds if folded in (fold(f.display_name), fold(f.url))]
        partial = [f for f in feeds if folded and folded in fold(f.display_name)]
        for found in (exact, partial):
            if len(found) == 1:
                return found[0]
        raise UserError(
            "I can't find that feed on this server. Pick one from the list as you type."
        )

    async def article_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        gid = interaction.guild.id
        text = current.strip()[:200]
        if _URL.match(text):
            article = await self.store.find_article_by_url(text, gid)
            if article is not None:
                return [_choice(article.title, str(article.id))]
        try:
            # Discord drops answers after 3 s: better no choices than a failed box.
            matches = await asyncio.wait_for(
                self.store.autocomplete_titles(text, gid, AUTOCOMPLETE_LIMIT), AUTOCOMPLETE_BUDGET
            )
        except TimeoutError:
            log.warning(
                "autocomplete took over %.1f s; answered with no choices", AUTOCOMPLETE_BUDGET
            )
            return []
        out = []
        for m in matches[:AUTOCOMPLETE_LIMIT]:
            suffix = f" ({m.published_at:%Y-%m-%d})"
            out.append(
                _choice(
                    plain_label(m.title, CHOICE_NAME_LIMIT - len(suffix)) + suffix,
                    str(m.article_id),
                )
            )
        return out

    async def _resolve_article(self, guild_id: int, value: str) -> Article | None:
        """An article of this guild from an autocomplete id, a URL, or free text
        (the best-matching article)."""
        text = value.strip()
        if _ID.fullmatch(text):
            article = await self.store.get_article(int(text))
            if article is not None and await self.store.guild_has_feed(guild_id, article.feed_id):
                return article
        if _URL.match(text):
            found: Article | None = await self.store.find_article_by_url(text, guild_id)
            if found is not None:
                return found
        try:
            page = await core_search(self.store, text, guild_id=guild_id, now=utcnow(), per_page=1)
        except InvalidSearchQueryError:
            return None
        return page.hits[0].article if page.hits else None

    # -- /search --------------------------------------------------------------------

    @app_commands.guild_only()
    @app_commands.command(name="search", description="Search the articles of this server's feeds")
    @app_commands.describe(
        query='Words to look for: "a phrase", -exclude, prefix*',
        feed="Only this feed",
        author="Only articles whose author contains this",
        after="On or after: 2024-05-01, 2024-05, 2024, or 30d",
        before="Before: 2024-05-01, 2024-05, 2024, or 30d",
        sort="Best match first (default) or newest first",
        comments="Also search the comments on the source sites",
    )
    @app_commands.autocomplete(feed=feed_choices)
    async def search_command(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 300],
        feed: str | None = None,
        author: app_commands.Range[str, 1, 100] | None = None,
        after: app_commands.Range[str, 1, 40] | None = None,
        before: app_commands.Range[str, 1, 40] | None = None,
        sort: Literal["relevance", "newest"] = "relevance",
        comments: bool = False,
    ) -> None:
        guild = _guild(interaction)
        started = time.perf_counter()
        crisis = looks_like_crisis(query)
        resources = await self._guild_resources(guild.id) if crisis else None
        feed_id = (await self._resolve_feed(guild.id, feed)).id if feed else None
        req = SearchRequest(
            text=query,
            guild_id=guild.id,
            feed_id=feed_id,
            author=author,
            after=after,
            before=before,
            sort=sort,
            comments=comments,
            crisis=crisis,
        )
        try:
            result = await _soon(interaction, run_search(self.bot, req, 0))
        except InvalidSearchQueryError as exc:
            await _send(interaction, with_resources(str(exc), resources))
            return
        if not result.hits:
            await _send(interaction, with_resources(NO_RESULTS, resources))
            log.info("search answered: 0 results in %.0f ms", _ms(started))
            return
        embed = await render_results(self.bot, req, result, shared=False)
        view = (
            ResultsView(self.bot, req, result, interaction.user.id)
            if self.view_timeout is None
            else ResultsView(self.bot, req, result, interaction.user.id, timeout=self.view_timeout)
        )
        view.last_interaction = interaction
        await _send(interaction, resources, embed=embed, view=view)
        log.info("search answered: %d result(s) in %.0f ms", result.total, _ms(started))

    # -- /latest --------------------------------------------------------------------

    @app_commands.guild_only()
    @app_commands.command(name="latest", description="The newest articles of this server's feeds")
    @app_commands.describe(feed="Only this feed", count="How many (1-10, default 5)")
    @app_commands.autocomplete(feed=feed_choices)
    async def latest(
        self,
        interaction: discord.Interaction,
        feed: str | None = None,
        count: app_commands.Range[int, 1, 10] = 5,
    ) -> None:
        guild = _guild(interaction)
        feed_id = (await self._resolve_feed(guild.id, feed)).id if feed else None
        articles = await self.store.latest_articles(count, feed_id=feed_id, guild_id=guild.id)
        if not articles:
            await _send(
                interaction,
                "There are no articles yet: a moderator can subscribe a channel with `/feed add`.",
            )
            return
        feeds = FeedCache(self.bot)
        posted = await self.store.sent_in_guild(guild.id, [a.id for a in articles])
        entries = []
        for n, article in enumerate(articles, start=1):
            meta = [feed_name(await feeds.get(article.feed_id)), date_tag(article.published_at)]
            delivery = posted.get(article.id)
            link = posted_link(self.bot, guild.id, delivery) if delivery else None
            if link:
                meta.append(f"[posted here]({link})")
            entries.append(f"{n}. {title_link(article)}\n" + " · ".join(meta))
        embed = discord.Embed(
            title="Latest articles", description="\n\n".join(entries)[:4096], colour=0xF4B942
        )
        await _send(interaction, embed=embed)
        log.info("latest answered: %d article(s)", len(articles))

    # -- /related -------------------------------------------------------------------

    @app_commands.guild_only()
    @app_commands.command(
        name="related",
        description="An article's discussion here and at the source, and similar articles",
    )
    @app_commands.describe(article="Pick a title, paste the article's link, or describe it")
    @app_commands.autocomplete(article=article_choices)
    async def related(
        self, interaction: discord.Interaction, article: app_commands.Range[str, 1, 300]
    ) -> None:
        guild = _guild(interaction)
        started = time.perf_counter()
        embed = await _soon(interaction, self._related_embed(guild, article))
        if embed is None:
            await _send(
                interaction,
                "I can't find that article in this server's feeds. Pick one from the list"
                " as you type, paste its link, or try `/search`.",
            )
            return
        await _send(interaction, embed=embed)
        log.info("related answered in %.0f ms", _ms(started))

    async def _related_embed(self, guild: discord.Guild, value: str) -> discord.Embed | None:
        store = self.store
        article = await self._resolve_article(guild.id, value)
        if article is None:
            return None
        feeds = FeedCache(self.bot)
        similar = await core_related(store, article.id, guild.id, RELATED_LIMIT)
        ids = [article.id, *(h.article.id for h in similar)]
        posted = await store.sent_in_guild(guild.id, ids)
        discussions = await store.discussions_for(guild.id, ids)
        counts = await store.comment_counts(ids)
        url = safe_url(article.link)
        embed = discord.Embed(
            title=plain_label(article.title, 256) or "Untitled",
            url=url if url and len(url) <= 2048 else None,
            colour=0xF4B942,
        )
        meta = [feed_name(await feeds.get(article.feed_id)), date_tag(article.published_at)]
        delivery = posted.get(article.id)
        link = posted_link(self.bot, guild.id, delivery) if delivery else None
        meta.append(f"[posted here]({link})" if link else "not posted in this server")
        summary = safe_text(article.summary[:300])
        embed.description = " · ".join(meta) + (f"\n> {summary}" if summary else "")

        # This server's discussion: its thread, and messages that linked the article.
        here: list[str] = []
        d = discussions.get(article.id)
        if d is not None:
            when = (
                f", last active <t:{int(d.last_activity_at.timestamp())}:R>"
                if d.last_activity_at
                else ""
            )
            here.append(f"Thread: <#{d.thread_id}> — {_plural(d.message_count, 'message')}{when}")
        else:
            here.append("No thread here yet: `/discuss` opens one.")
        for m in await store.link_mentions_for(guild.id, article.id, MENTIONS_SHOWN):
            jump = discord_link(guild.id, m.channel_id, m.message_id)
            here.append(
                f"Linked in <#{m.channel_id}> <t:{int(m.created_at.timestamp())}:R>"
                f" ([message]({jump}))"
            )
        embed.add_field(name="Discussion here", value=_field("\n".join(here)), inline=False)

        # The source site's comments.
        stored = counts.get(article.id, 0)
        total = max(stored, article.comment_count or 0)
        source: list[str] = [_plural(total, "comment") + " at the source"]
        for c in await store.comments_for(article.id, 3):
            who = safe_text((c.author or "someone")[:40]) or "someone"
            excerpt = safe_text(_words(c.text, 140))
            if excerpt:
                source.append(f"> {excerpt}\n— {who}")
        comments_url = safe_url(article.comments_url) or (url if total else None)
        if comments_url and len(comments_url) <= 600:
            source.append(
                f"[Read the comments]({comments_url.replace('(', '%28').replace(')', '%29')})"
            )
        embed.add_field(
            name="Comments at the source", value=_field("\n".join(source)), inline=False
        )

        # More like this, each with its own discussion counts.
        lines = []
        for n, hit in enumerate(similar, start=1):
            other = hit.article
            extra = [date_tag(other.published_at)]
            od = discussions.get(other.id)
            if od is not None:
                extra.append(f"<#{od.thread_id}> {_plural(od.message_count, 'message')}")
            ocount = max(counts.get(other.id, 0), other.comment_count or 0)
            if ocount:
                extra.append(_plural(ocount, "source comment"))
            lines.append(f"{n}. {title_link(other)}\n" + " · ".join(extra))
        embed.add_field(
            name="Related articles",
            value=_field(
                "\n".join(lines) if lines else "Nothing similar in this server's feeds yet."
            ),
            inline=False,
        )
        return embed

    # -- /discuss -------------------------------------------------------------------

    @app_commands.guild_only()
    @app_commands.command(
        name="discuss", description="Open (or find) this server's thread about an article"
    )
    @app_commands.describe(article="Pick a title, paste the article's link, or describe it")
    @app_commands.autocomplete(article=article_choices)
    async def discuss(
        self, interaction: discord.Interaction, article: app_commands.Range[str, 1, 300]
    ) -> None:
        guild = _guild(interaction)
        found = await self._resolve_article(guild.id, article)
        if found is None:
            await _send(
                interaction,
                "I can't find that article in this server's feeds."
                " Pick one from the list as you type.",
            )
            return
        existing = await self.store.discussion(guild.id, found.id)
        if existing is not None and await self._thread_exists(guild, existing.thread_id):
            await _send(
                interaction,
                f"{title_link(found)} is discussed in <#{existing.thread_id}>"
                f" ({_plural(existing.message_count, 'message')}).",
            )
            return
        if existing is not None:
            await self.store.drop_discussion_thread(existing.thread_id)
        await self._open_thread(interaction, guild, found)

    async def _thread_exists(self, guild: discord.Guild, thread_id: int) -> bool:
        if guild.get_thread(thread_id) is not None:
            return True
        try:
            await self.bot.fetch_channel(thread_id)
        except discord.NotFound:
            return False
        except discord.HTTPException:
            return True  # can't tell (no access, Discord trouble): keep the record
        return True

    async def _open_thread(
        self, interaction: discord.Interaction, guild: discord.Guild, article: Article
    ) -> None:
        member = interaction.user
        if not isinstance(member, discord.Member):
            raise UserError("This command only works in a server.")
        delivery = (await self.store.sent_in_guild(guild.id, [article.id])).get(article.id)
        channel: Any = guild.get_channel(delivery.channel_id) if delivery else interaction.channel
        if isinstance(channel, discord.Thread):
            channel = channel.parent
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            await _send(
                interaction, "I can only open discussion threads in text and forum channels."
            )
            return
        forum = isinstance(channel, discord.ForumChannel)
        mine = channel.permissions_for(member)
        member_ok = mine.view_channel and (
            mine.send_messages if forum else mine.create_public_threads
        )
        if not member_ok:
            what = "create posts" if forum else "create threads"
            await _send(
                interaction,
                f"There's no thread about this article yet, and you can't {what} in"
                f" {channel.mention}, so I won't open one for you. A moderator can.",
            )
            return
        bot_perms = channel.permissions_for(guild.me)
        needed = [("View Channel", bot_perms.view_channel)]
        if forum:
            needed += [("Create Posts", bot_perms.send_messages)]
        else:
            needed += [
                ("Create Public Threads", bot_perms.create_public_threads),
                ("Send Messages in Threads", bot_perms.send_messages_in_threads),
                ("Read Message History", bot_perms.read_message_history),
            ]
        missing = [name for name, ok in needed if not ok]
        if missing:
            await _send(
                interaction,
                f"I can't open a thread in {channel.mention}:"
                f" I'm missing {', '.join(missing)} there.",
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        name = thread_name_for(article)
        intro = f"Discussion: {title_link(article)}"
        link = safe_url(article.link)
        none = discord.AllowedMentions.none()
        text = f"{intro}\n{link or ''}".strip()[:2000]
        try:
            thread: discord.Thread | None = None
            if isinstance(channel, discord.ForumChannel):
                created = await channel.create_thread(
                    name=name, content=text, allowed_mentions=none
                )
                thread = created.thread
            else:
                if delivery is not None and delivery.message_id is not None:
                    thread = await self._thread_on_message(
                        guild, channel, delivery.message_id, name
                    )
                if thread is None:
                    thread = await channel.create_thread(
                        name=name, type=discord.ChannelType.public_thread
                    )
                    await thread.send(text, allowed_mentions=none)
        except discord.HTTPException as exc:
            log.warning("could not open a discussion thread: HTTP %s", exc.status)
            await _send(
                interaction, "Discord didn't let me open the thread. Please try again later."
            )
            return
        await self.store.set_discussion(guild.id, article.id, channel.id, thread.id, utcnow())
        await _send(interaction, f"Opened a thread about {title_link(article)}: {thread.mention}")
        log.info("discussion thread opened")

    async def _thread_on_message(
        self, guild: discord.Guild, channel: discord.TextChannel, message_id: int, name: str
    ) -> discord.Thread | None:
        """A thread on Lantern's post; None when the post is gone."""
        try:
            return await channel.get_partial_message(message_id).create_thread(name=name)
        except discord.NotFound:
            return None
        except discord.HTTPException as exc:
            if exc.code != 160004:  # a thread already exists on that message: use it
                raise
        thread = guild.get_thread(message_id)
        if thread is not None:
            return thread
        fetched = await self.bot.fetch_channel(message_id)
        return fetched if isinstance(fetched, discord.Thread) else None

    # -- /resources -----------------------------------------------------------------

    @app_commands.command(name="resources", description="Crisis and support contacts")
    @app_commands.guild_only()
    async def resources(self, interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        settings = await self.store.guild_settings(guild.id)
        await _send(interaction, neutralize_mentions(resources_text(settings.resources)))

    # -- listeners ------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        """With only the guilds intent, THREAD_UPDATE is how message counts arrive."""
        data: dict[str, Any] = dict(payload.data)
        count = data.get("message_count")
        if not isinstance(count, int):
            return
        if await self.store.discussion_message_count(payload.thread_id) is None:
            return
        last = data.get("last_message_id")
        when = (
            discord.utils.snowflake_time(int(last))
            if isinstance(last, str) and last.isdigit()
            else None
        )
        await self.store.discussion_activity(
            payload.thread_id, message_count=count, last_activity_at=when
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Only received with the guild messages intent (MESSAGE_CONTENT_INTENT on)."""
        if message.guild is None:
            return
        if isinstance(message.channel, discord.Thread):
            await self.store.discussion_activity(
                message.channel.id, new_messages=1, last_activity_at=message.created_at
            )
        if (
            not self.bot.settings.message_content_intent
            or message.author.bot
            or not message.content
        ):
            return
        seen: set[int] = set()
        for url in _URL.findall(message.content)[:LINKS_PER_MESSAGE]:
            article = await self.store.find_article_by_url(
                url.rstrip(".,;:!?)]}>"), message.guild.id
            )
            if article is None or article.id in seen:
                continue
            seen.add(article.id)
            await self.store.record_link_mention(
                message.guild.id, article.id, message.channel.id, message.id, message.created_at
            )

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if self.bot.settings.message_content_intent and payload.guild_id is not None:
            await self.store.forget_link_mentions([payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if self.bot.settings.message_content_intent and payload.guild_id is not None:
            await self.store.forget_link_mentions(sorted(payload.message_ids))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _words(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return (cut or text[:limit]) + "…"


def _field(text: str) -> str:
    return text if len(text) <= FIELD_LIMIT else text[: FIELD_LIMIT - 1] + "…"


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Search(bot))  # type: ignore[arg-type]
