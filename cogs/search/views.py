"""The paging / Share buttons under a member's search results."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot import search as core_search
from bot.discord_edge.embeds import to_embed
from bot.errors import InvalidSearchQueryError
from cogs.articles import feeds_by_id, posted_links
from cogs.search.render import NO_MORE_RESULTS, NOT_YOUR_SEARCH, results_embed
from cogs.search.request import SearchRequest, run_search

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 600.0  # seconds without a click; interaction tokens last 15 minutes


async def results_message(
    bot: LanternBot, req: SearchRequest, result: core_search.SearchPage, *, shared: bool
) -> discord.Embed:
    """One page of results as an embed (the look-ups, then the pure render)."""
    store = bot.core.store
    feeds = await feeds_by_id(store, (h.article.feed_id for h in result.hits))
    posted = await posted_links(bot, store, req.guild_id, [h.article.id for h in result.hits])
    return to_embed(results_embed(result, feeds, posted, comments=req.comments, shared=shared))


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
        await interaction.response.send_message(NOT_YOUR_SEARCH, ephemeral=True)
        return False

    async def _turn(self, interaction: discord.Interaction, page: int) -> None:
        try:
            result = await run_search(self.bot.core.store, self.req, page)
        except InvalidSearchQueryError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        if not result.hits:
            await interaction.response.send_message(NO_MORE_RESULTS, ephemeral=True)
            return
        self.result = result
        self._sync()
        embed = await results_message(self.bot, self.req, result, shared=self.shared)
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
        embed = await results_message(self.bot, self.req, self.result, shared=True)
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
