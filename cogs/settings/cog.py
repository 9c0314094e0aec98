"""/settings: parse the options, store them, answer (privately).

Same permission rule as /feed: Manage Server (or Administrator, or the owner),
or the configured moderator role. Every answer is private.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_edge.errors import UserError
from bot.posting.content_warnings import parse_terms
from bot.support.crisis_contacts import resources_text
from cogs.checks import effective_quota, guild_of, require_moderator
from cogs.settings.render import (
    EVERYONE_AS_MODERATOR,
    NO_TERMS,
    RESOURCES_RESET,
    content_warnings_saved,
    log_channel_refused,
    log_channel_saved,
    moderator_role_saved,
    settings_summary,
)
from cogs.settings.views import ResourcesModal

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot

log = logging.getLogger(__name__)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Settings(commands.GroupCog, group_name="settings"):
    """Configure Lantern for this server."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await require_moderator(interaction)

    @app_commands.command(name="moderator-role")
    @app_commands.describe(
        role="Members with this role may use /feed and /settings (leave empty to clear)"
    )
    async def moderator_role(
        self, interaction: discord.Interaction, role: discord.Role | None = None
    ) -> None:
        """Let a role manage feeds, besides members with Manage Server."""
        guild = guild_of(interaction)
        if role is not None and role.is_default():
            raise UserError(EVERYONE_AS_MODERATOR)
        await self.bot.core.store.update_guild_settings(
            guild.id, moderator_role_id=role.id if role else None
        )
        text = moderator_role_saved(role.id if role else None)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="log-channel")
    @app_commands.describe(
        channel="Where I tell moderators about broken feeds and paused posts (empty: clear)"
    )
    async def log_channel(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        """Choose the channel for moderator notices."""
        guild = guild_of(interaction)
        if channel is not None:
            perms = channel.permissions_for(guild.me)
            missing = [
                name
                for name, ok in (
                    ("View Channel", perms.view_channel),
                    ("Send Messages", perms.send_messages),
                )
                if not ok
            ]
            if missing:
                raise UserError(log_channel_refused(channel.id, missing))
        await self.bot.core.store.update_guild_settings(
            guild.id, log_channel_id=channel.id if channel else None
        )
        text = log_channel_saved(channel.id if channel else None)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="content-warnings")
    @app_commands.describe(
        terms="Comma-separated words that add a content warning; `default` or `none` (off)"
    )
    async def content_warnings(
        self, interaction: discord.Interaction, terms: app_commands.Range[str, 1, 4000]
    ) -> None:
        """Choose which words put a content warning on a post."""
        guild = guild_of(interaction)
        word = terms.strip().casefold()
        chosen: tuple[str, ...] | None
        if word == "default":
            chosen = None
        elif word in ("none", "off", "-"):
            chosen = ()
        else:
            chosen = parse_terms(terms)
            if not chosen:
                raise UserError(NO_TERMS)
        await self.bot.core.store.update_guild_settings(guild.id, content_warnings=chosen)
        await interaction.response.send_message(content_warnings_saved(chosen), ephemeral=True)

    @app_commands.command(name="resources")
    @app_commands.describe(reset="Go back to the default contacts instead of editing")
    async def resources(self, interaction: discord.Interaction, reset: bool = False) -> None:
        """Edit the crisis and support contacts that /resources shows."""
        guild = guild_of(interaction)
        store = self.bot.core.store
        if reset:
            await store.update_guild_settings(guild.id, resources=None)
            await interaction.response.send_message(RESOURCES_RESET, ephemeral=True)
            log.info("support contacts reset in a server")
            return
        settings = await store.guild_settings(guild.id)
        await interaction.response.send_modal(
            ResourcesModal(self.bot, resources_text(settings.resources))
        )

    @app_commands.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show this server's Lantern settings."""
        guild = guild_of(interaction)
        store = self.bot.core.store
        settings = await store.guild_settings(guild.id)
        used = await store.count_subscriptions(guild.id)
        quota = effective_quota(settings, self.bot.core.settings)
        await interaction.response.send_message(
            settings_summary(settings, used, quota), ephemeral=True
        )

