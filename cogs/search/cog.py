"""/search, /latest and /related for every member.

Answers are private; /search results can be shared to the channel on request.
Privacy: queries are never logged, nor who ran them. Log lines carry counts
and timings only.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_edge.embeds import to_embed
from bot.errors import InvalidSearchQueryError
from bot.posting.formatting import EmbedSpec
from bot.search.related import related as core_related
from bot.support.crisis_contacts import looks_like_crisis
from cogs.articles import (
    article_choices,
    feed_choices,
    feeds_by_id,
    posted_links,
    resolve_article,
    resolve_feed,
)
from cogs.checks import guild_of
from cogs.replies import send_private, soon
from cogs.search.render import (
    ARTICLE_NOT_FOUND,
    NO_ARTICLES,
    NO_RESULTS,
    Related,
    latest_embed,
    related_embed,
    with_resources,
)
from cogs.search.request import SearchRequest, run_search
from cogs.search.views import ResultsView, results_message
from cogs.support.render import resources_block

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot

log = logging.getLogger(__name__)

RELATED_LIMIT = 5
MENTIONS_SHOWN = 3
COMMENTS_SHOWN = 3


class Search(commands.Cog):
    """Search commands for every member."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        self.view_timeout: float | None = None  # None: ResultsView's default (tests shorten it)

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
        guild = guild_of(interaction)
        store = self.bot.core.store
        started = time.perf_counter()
        crisis = looks_like_crisis(query)
        resources = (
            resources_block((await store.guild_settings(guild.id)).resources) if crisis else None
        )
        feed_id = (await resolve_feed(store, guild.id, feed)).id if feed else None
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
            result = await soon(interaction, run_search(store, req, 0))
        except InvalidSearchQueryError as exc:
            await send_private(interaction, with_resources(str(exc), resources))
            return
        if not result.hits:
            await send_private(interaction, with_resources(NO_RESULTS, resources))
            log.info("search answered: 0 results in %.0f ms", _ms(started))
            return
        embed = await results_message(self.bot, req, result, shared=False)
        view = (
            ResultsView(self.bot, req, result, interaction.user.id)
            if self.view_timeout is None
            else ResultsView(self.bot, req, result, interaction.user.id, timeout=self.view_timeout)
        )
        view.last_interaction = interaction
        await send_private(interaction, resources, embed=embed, view=view)
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
        guild = guild_of(interaction)
        store = self.bot.core.store
        feed_id = (await resolve_feed(store, guild.id, feed)).id if feed else None
        articles = await store.latest_articles(count, feed_id=feed_id, guild_id=guild.id)
        if not articles:
            await send_private(interaction, NO_ARTICLES)
            return
        feeds = await feeds_by_id(store, (a.feed_id for a in articles))
        posted = await posted_links(self.bot, store, guild.id, [a.id for a in articles])
        await send_private(interaction, embed=to_embed(latest_embed(articles, feeds, posted)))
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
        guild = guild_of(interaction)
        started = time.perf_counter()
        spec = await soon(interaction, self._related(guild.id, article))
        if spec is None:
            await send_private(interaction, ARTICLE_NOT_FOUND)
            return
        await send_private(interaction, embed=to_embed(spec))
        log.info("related answered in %.0f ms", _ms(started))

    async def _related(self, guild_id: int, value: str) -> EmbedSpec | None:
        store = self.bot.core.store
        article = await resolve_article(store, guild_id, value)
        if article is None:
            return None
        similar = await core_related(store, article.id, guild_id, RELATED_LIMIT)
        ids = [article.id, *(h.article.id for h in similar)]
        return related_embed(
            Related(
                guild_id=guild_id,
                article=article,
                feeds=await feeds_by_id(store, [article.feed_id]),
                posted=await posted_links(self.bot, store, guild_id, ids),
                similar=similar,
                discussions=await store.discussions_for(guild_id, ids),
                comment_counts=await store.comment_counts(ids),
                mentions=await store.link_mentions_for(guild_id, article.id, MENTIONS_SHOWN),
                comments=await store.comments_for(article.id, COMMENTS_SHOWN),
            )
        )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
