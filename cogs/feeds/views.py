"""/feed's buttons: subscribe to a linked feed, confirm a removal, page a list."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.discord_edge.embeds import to_embed
from bot.discord_edge.errors import UserError
from bot.errors import LanternError
from bot.models import Subscription
from bot.storage import Storage
from cogs.checks import PostChannel, guild_of, is_moderator
from cogs.feeds.render import list_page, removed

log = logging.getLogger(__name__)

# Seconds a button stays usable; tests shorten them.
CONFIRM_TIMEOUT = 120.0
OFFER_TIMEOUT = 600.0
LIST_TIMEOUT = 600.0


@dataclass
class Reply:
    content: str
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None


# (interaction, url, channel, name, backlog) -> the reply to /feed add
Subscribe = Callable[[discord.Interaction, str, PostChannel, str | None, int], Awaitable[Reply]]


class OwnedView(discord.ui.View):
    """Buttons only the member who ran the command may use; every click is answered."""

    def __init__(self, owner_id: int, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.interaction: discord.Interaction | None = None  # whose response carries the view
        self.message: discord.WebhookMessage | None = None  # or the follow-up that does

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "Only the person who ran the command can use these buttons.", ephemeral=True
            )
            return False
        if not await is_moderator(interaction):
            await interaction.response.send_message(
                "You can no longer manage feeds on this server.", ephemeral=True
            )
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        if isinstance(error, UserError | LanternError):
            message = str(error)
        else:
            log.error("button %s failed", getattr(item, "custom_id", "?"), exc_info=error)
            message = "Something went wrong on my side. Please try again."
        try:
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True)
            else:
                await interaction.response.send_message(message, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not answer a button click", exc_info=True)

    async def edit_own_message(self, **kwargs: Any) -> None:
        """Edit the message carrying this view (after a timeout)."""
        try:
            if self.message is not None:
                await self.message.edit(**kwargs)
            elif self.interaction is not None:
                await self.interaction.edit_original_response(**kwargs)
        except discord.HTTPException:
            log.info("could not edit an expired view's message", exc_info=True)


class AlternateOffer(OwnedView):
    """"That page isn't a feed, but it links to one": a button to subscribe to it."""

    def __init__(
        self,
        subscribe: Subscribe,
        owner_id: int,
        *,
        url: str,
        channel_id: int,
        name: str | None,
        backlog: int,
    ) -> None:
        super().__init__(owner_id, timeout=OFFER_TIMEOUT)
        self._subscribe = subscribe
        self.url = url
        self.channel_id = channel_id
        self.name = name
        self.backlog = backlog

    @discord.ui.button(
        label="Subscribe to this feed", style=discord.ButtonStyle.primary,
        custom_id="feed-add:alternate",
    )
    async def subscribe(
        self, interaction: discord.Interaction, button: discord.ui.Button[AlternateOffer]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=f"Subscribing to <{self.url}>…", embeds=[], view=None
        )
        guild = guild_of(interaction)
        channel = guild.get_channel(self.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise UserError("The channel you picked no longer exists. Run `/feed add` again.")
        reply = await self._subscribe(interaction, self.url, channel, self.name, self.backlog)
        await interaction.followup.send(reply.content, embeds=reply.embeds, ephemeral=True)

    async def on_timeout(self) -> None:
        await self.edit_own_message(
            content=f"That offer expired. Run `/feed add` with <{self.url}> to subscribe.",
            view=None,
        )


class ConfirmRemove(OwnedView):
    def __init__(self, store: Storage, owner_id: int, sub: Subscription, label: str) -> None:
        super().__init__(owner_id, timeout=CONFIRM_TIMEOUT)
        self.store = store
        self.sub = sub
        self.label = label

    @discord.ui.button(
        label="Remove", style=discord.ButtonStyle.danger, custom_id="feed-remove:confirm"
    )
    async def confirm(
        self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmRemove]
    ) -> None:
        self.stop()
        current = await self.store.get_subscription(self.sub.id)
        if current is None or current.guild_id != self.sub.guild_id:
            text = f"**{self.label}** was already removed."
        else:
            await self.store.remove_subscription(self.sub.id)
            text = removed(self.label, self.sub.channel_id)
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary,
                       custom_id="feed-remove:cancel")
    async def cancel(
        self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmRemove]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=f"Kept **{self.label}**: nothing was removed.", view=None
        )

    async def on_timeout(self) -> None:
        await self.edit_own_message(
            content=f"No answer, so I kept **{self.label}**: nothing was removed.", view=None
        )


class ListPages(OwnedView):
    def __init__(self, owner_id: int, pages: Sequence[str], total: int) -> None:
        super().__init__(owner_id, timeout=LIST_TIMEOUT)
        self.pages = list(pages)
        self.total = total
        self.page = 0
        self._sync()

    def embed(self) -> discord.Embed:
        return to_embed(list_page(self.pages, self.page, self.total))

    def _sync(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= len(self.pages) - 1

    async def _show(self, interaction: discord.Interaction, page: int) -> None:
        self.page = max(0, min(page, len(self.pages) - 1))
        self._sync()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary,
                       custom_id="feed-list:previous")
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[ListPages]
    ) -> None:
        await self._show(interaction, self.page - 1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary,
                       custom_id="feed-list:next")
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[ListPages]
    ) -> None:
        await self._show(interaction, self.page + 1)

    async def on_timeout(self) -> None:
        await self.edit_own_message(view=None)
