"""/resources: crisis and support contacts, for every member."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from cogs.checks import guild_of
from cogs.replies import send_private
from cogs.support.render import resources_reply

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot


class Support(commands.Cog):
    """Crisis and support contacts."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot

    @app_commands.command(name="resources", description="Crisis and support contacts")
    @app_commands.guild_only()
    async def resources(self, interaction: discord.Interaction) -> None:
        guild = guild_of(interaction)
        settings = await self.bot.core.store.guild_settings(guild.id)
        await send_private(interaction, resources_reply(settings.resources))
