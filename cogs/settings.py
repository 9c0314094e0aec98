"""/settings: the server's moderator role, log channel, content warnings and the
support contacts /resources shows.

Same permission rule as /feed: Manage Server (or Administrator, or the owner),
or the configured moderator role. Every answer is private.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_edge.client import UserError
from bot.posting.content_warnings import DEFAULT_CONTENT_WARNINGS, label_for, parse_terms
from bot.posting.formatting import neutralize_mentions, safe_text
from bot.support.crisis_contacts import RESOURCES_MAX_CHARS, clean_resources, resources_text
from cogs._checks import effective_quota, guild_of, human_join, require_moderator

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot

log = logging.getLogger(__name__)

SHOWN_TERMS = 40


def warnings_text(terms: tuple[str, ...] | None) -> str:
    if terms is None:
        labels: list[str] = []
        for term in DEFAULT_CONTENT_WARNINGS:
            label = label_for(term)
            if label not in labels:
                labels.append(label)
        return f"the default list ({', '.join(labels)})"
    if not terms:
        return "off"
    shown = ", ".join(safe_text(t) for t in terms[:SHOWN_TERMS])
    more = f" and {len(terms) - SHOWN_TERMS} more" if len(terms) > SHOWN_TERMS else ""
    return f"{len(terms)} custom term(s): {shown}{more}"


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
        shown = "the default contacts" if value is None else "your text"
        await interaction.response.send_message(
            f"Saved: `/resources` now shows {shown}:\n\n"
            + neutralize_mentions(resources_text(value)),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        log.info("support contacts edited in a server")



@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Settings(commands.GroupCog, group_name="settings"):
    """Configure Lantern for this server."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
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
            raise UserError(
                "Pick a specific role: @everyone would let every member manage feeds."
            )
        await self.bot.core.store.update_guild_settings(
            guild.id, moderator_role_id=role.id if role else None
        )
        if role is None:
            text = "Cleared the moderator role: only members with Manage Server can manage feeds."
        else:
            text = f"Members with {role.mention} can now use `/feed` and `/settings`."
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
                raise UserError(
                    f"I can't post in {channel.mention}: I'm missing {human_join(missing)}"
                    " there. Give my role those permissions, then try again."
                )
        await self.bot.core.store.update_guild_settings(
            guild.id, log_channel_id=channel.id if channel else None
        )
        if channel is None:
            text = (
                "Cleared the log channel: notices go to the system channel, or to whoever"
                " added the feed."
            )
        else:
            text = f"Moderator notices will go to {channel.mention}."
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
                raise UserError(
                    "I found no words there. Give comma-separated terms, `default` for the"
                    " default list, or `none` to turn content warnings off."
                )
        await self.bot.core.store.update_guild_settings(guild.id, content_warnings=chosen)
        if chosen is None:
            text = "Content warnings use the default list again."
        elif not chosen:
            text = "Content warnings are off: posts show their summary and image as they are."
        else:
            text = f"Content warnings now use {warnings_text(chosen)}."
        await interaction.response.send_message(text[:2000], ephemeral=True)

    @app_commands.command(name="resources")
    @app_commands.describe(reset="Go back to the default contacts instead of editing")
    async def resources(self, interaction: discord.Interaction, reset: bool = False) -> None:
        """Edit the crisis and support contacts that /resources shows."""
        guild = guild_of(interaction)
        store = self.bot.core.store
        if reset:
            await store.update_guild_settings(guild.id, resources=None)
            await interaction.response.send_message(
                "`/resources` shows the default contacts again.", ephemeral=True
            )
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
        role = (
            f"<@&{settings.moderator_role_id}>"
            if settings.moderator_role_id
            else "none (Manage Server only)"
        )
        log_channel = (
            f"<#{settings.log_channel_id}>"
            if settings.log_channel_id
            else "none (the system channel, or whoever added the feed)"
        )
        lines = [
            "**Lantern settings**",
            f"• Moderator role: {role}",
            f"• Log channel: {log_channel}",
            f"• Content warnings: {warnings_text(settings.content_warnings)}",
            f"• Feeds: {used} of {quota} used",
        ]
        await interaction.response.send_message("\n".join(lines)[:2000], ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Settings(bot))  # type: ignore[arg-type]
