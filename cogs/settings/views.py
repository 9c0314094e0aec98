"""The form moderators edit the support contacts in."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.discord_edge.errors import UserError
from bot.support.crisis_contacts import RESOURCES_MAX_CHARS, clean_resources
from cogs.checks import guild_of, require_moderator
from cogs.settings.render import resources_saved

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot

log = logging.getLogger(__name__)


class ResourcesModal(discord.ui.Modal, title="Support contacts"):
    text: discord.ui.TextInput[ResourcesModal] = discord.ui.TextInput(
        custom_id="resources_text",
        label="Contacts shown by /resources (blank: default)",
        style=discord.TextStyle.paragraph,
        max_length=RESOURCES_MAX_CHARS,
        required=False,
    )

    def __init__(self, bot: LanternBot, current: str) -> None:
        super().__init__()
        self.bot = bot
        self.text.default = current

    async def on_submit(self, interaction: discord.Interaction) -> None:
        guild = guild_of(interaction)
        try:
            await require_moderator(interaction)
        except UserError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        value = clean_resources(self.text.value or "")
        await self.bot.core.store.update_guild_settings(guild.id, resources=value)
        await interaction.response.send_message(
            resources_saved(value),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        log.info("support contacts edited in a server")
