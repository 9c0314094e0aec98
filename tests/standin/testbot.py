"""A small discord.py bot that exercises what a feed bot does; driven by the stand-in tests.

Run as a process with `python -m tests.standin.testbot` and DISCORD_API_BASE,
DISCORD_GATEWAY_URL, DISCORD_TOKEN (and STANDIN_GUILD_ID for its guild command).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from tests.standin.client import configure_discord

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
FEEDS = ["recovery-blog", "sober-stories", "daily-reflections", "harm-reduction-news"]


class FeedbackModal(discord.ui.Modal, title="Send feedback"):
    text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Your feedback", custom_id="feedback:text", style=discord.TextStyle.paragraph,
        max_length=500)
    mood: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Mood", custom_id="feedback:mood", required=False, max_length=20)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"Thanks for the feedback: {self.text.value} ({self.mood.value or 'no mood'})",
            ephemeral=True, allowed_mentions=NO_PINGS)


class Panel(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Confirm", custom_id="panel:confirm",
                       style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[Any]
                      ) -> None:
        button.disabled = True
        await interaction.response.edit_message(content=f"Confirmed by {interaction.user.name}",
                                                view=self)

    @discord.ui.button(label="Later", custom_id="panel:later")
    async def later(self, interaction: discord.Interaction, button: discord.ui.Button[Any]
                    ) -> None:
        await interaction.response.defer()
        await interaction.followup.send("Deferred, done later", ephemeral=True)

    @discord.ui.button(label="Feedback", custom_id="panel:feedback")
    async def feedback(self, interaction: discord.Interaction, button: discord.ui.Button[Any]
                       ) -> None:
        await interaction.response.send_modal(FeedbackModal())


    @discord.ui.select(custom_id="panel:pick", placeholder="Pick feeds", min_values=1,
                       max_values=2, options=[discord.SelectOption(label=f, value=f)
                                              for f in FEEDS])
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Any]
                   ) -> None:
        await interaction.response.send_message(f"picked {', '.join(select.values)}",
                                                ephemeral=True)


class FeedGroup(app_commands.Group, name="feed", description="Manage feeds"):
    config = app_commands.Group(name="config", description="Feed settings")

    @app_commands.command(name="add", description="Follow a feed in a channel")
    @app_commands.describe(url="Feed URL", channel="Where new articles go")
    async def add(self, interaction: discord.Interaction, url: str,
                  channel: discord.TextChannel | discord.ForumChannel,
                  limit: app_commands.Range[int, 1, 25] = 5) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        await interaction.followup.send(f"Following {url} in {channel.mention} (limit {limit})",
                                        allowed_mentions=NO_PINGS)

    @app_commands.command(name="remove", description="Stop following a feed")
    async def remove(self, interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"Removed {name}", allowed_mentions=NO_PINGS)

    @remove.autocomplete("name")
    async def remove_name(self, interaction: discord.Interaction, current: str
                          ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f, value=f) for f in FEEDS if current.lower() in f]

    @config.command(name="show", description="Show feed settings")
    @app_commands.choices(view=[app_commands.Choice(name="Short", value="short"),
                                app_commands.Choice(name="Full", value="full")])
    async def show(self, interaction: discord.Interaction, view: str = "short") -> None:
        await interaction.response.send_message(f"settings view={view}", ephemeral=True)


class SampleBot(commands.Bot):
    """Records what it sees so tests can assert on the bot's side too."""

    def __init__(self, guild_id: int | None = None, *, message_content: bool = True,
                 **options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        intents.members = True
        options.setdefault("guild_ready_timeout", 0.05)
        super().__init__(command_prefix=commands.when_mentioned, intents=intents,
                         allowed_mentions=NO_PINGS, **options)
        self.guild_id = guild_id
        self.events: list[tuple[str, Any]] = []
        self.ready_count = 0
        self.errors: list[BaseException] = []
        self.command_errors: list[BaseException] = []
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]
        self._add_commands()

    async def _on_command_error(self, interaction: discord.Interaction,
                                error: app_commands.AppCommandError) -> None:
        # Unexpected failures in commands are test failures (see the standin_bot fixture).
        log.error("command %s failed", interaction.command, exc_info=error)
        self.command_errors.append(error)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before re-IDENTIFYing; the stand-in has no identify limit.
        return None

    async def setup_hook(self) -> None:
        await self.tree.sync()
        if self.guild_id is not None:
            guild = discord.Object(self.guild_id)
            self.tree.add_command(self._guild_command, guild=guild)
            await self.tree.sync(guild=guild)

    def _add_commands(self) -> None:
        tree = self.tree
        tree.add_command(FeedGroup())

        @tree.command(name="ping", description="Check the bot is alive")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

        @tree.command(name="echo", description="Repeat text without pinging anyone")
        async def echo(interaction: discord.Interaction, text: str, ephemeral: bool = False
                       ) -> None:
            await interaction.response.send_message(text, ephemeral=ephemeral)

        @tree.command(name="loud", description="Repeat text, pings allowed (a bad idea)")
        async def loud(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.send_message(
                text, allowed_mentions=discord.AllowedMentions.all())

        @tree.command(name="whoami", description="Show resolved options and permissions")
        async def whoami(interaction: discord.Interaction, user: discord.Member | None = None,
                         role: discord.Role | None = None) -> None:
            perms = interaction.permissions
            app = interaction.app_permissions
            await interaction.response.send_message(
                f"you={interaction.user.name} manage_guild={perms.manage_guild} "
                f"manage_messages={perms.manage_messages} app_send={app.send_messages} "
                f"app_embed={app.embed_links} user={user.name if user else None} "
                f"role={role.name if role else None}", ephemeral=True)

        @tree.command(name="settings", description="Server settings (managers only)")
        @app_commands.default_permissions(manage_guild=True)
        async def settings(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("settings", ephemeral=True)

        @tree.command(name="post", description="Post an article embed into a channel")
        async def post(interaction: discord.Interaction, channel: discord.TextChannel,
                       title: str, thread: bool = False) -> None:
            await interaction.response.defer(ephemeral=True)
            embed = discord.Embed(title=title, url="https://example.org/article",
                                  description="An article")
            try:
                msg = await channel.send(embed=embed)
                if thread:
                    await msg.create_thread(name=title[:100])
            except discord.HTTPException as exc:
                await interaction.edit_original_response(
                    content=f"failed: {exc.status} {exc.code}")
                return
            await interaction.edit_original_response(content=f"posted {msg.id}")

        @tree.command(name="forum", description="Create a forum post")
        async def forum(interaction: discord.Interaction, channel: discord.ForumChannel,
                        title: str) -> None:
            tags = channel.available_tags[:1]
            created = await channel.create_thread(
                name=title, content="First post",
                embed=discord.Embed(title=title, url="https://example.org/a"), applied_tags=tags)
            await interaction.response.send_message(f"forum {created.thread.id}", ephemeral=True)

        @tree.command(name="cleanup", description="Edit and delete responses and follow-ups")
        async def cleanup(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("temporary")
            await interaction.edit_original_response(content="edited original")
            original = await interaction.original_response()
            followup = await interaction.followup.send("follow-up", wait=True)
            await followup.edit(content="edited follow-up")
            fetched = await interaction.followup.fetch_message(followup.id)
            await followup.delete()
            await interaction.delete_original_response()
            self.events.append(("cleanup", (original.content, fetched.content)))

        @tree.command(name="panel", description="Show the button panel")
        async def panel(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Panel", view=Panel())

        @tree.command(name="feedback", description="Open the feedback form")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(FeedbackModal())

        @tree.command(name="dm", description="Send a user a direct message")
        async def dm(interaction: discord.Interaction, user: discord.User) -> None:
            try:
                await user.send("Hello from Lantern")
            except discord.Forbidden as exc:
                await interaction.response.send_message(f"dm failed {exc.code}", ephemeral=True)
                return
            await interaction.response.send_message("dm sent", ephemeral=True)

        @tree.command(name="pin", description="Post and pin a message")
        async def pin(interaction: discord.Interaction) -> None:
            assert isinstance(interaction.channel, discord.TextChannel)
            msg = await interaction.channel.send("pinned notice")
            try:
                await msg.pin()
            except discord.Forbidden as exc:
                await interaction.response.send_message(f"pin failed {exc.code}")
                return
            pins = [m async for m in interaction.channel.pins()]
            await interaction.response.send_message(f"pins {len(pins)}")

        @tree.command(name="hook", description="Post through a channel webhook")
        async def hook(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
            try:
                webhook = await channel.create_webhook(name="Lantern feed")
            except discord.Forbidden as exc:
                await interaction.response.send_message(f"webhook failed {exc.code}")
                return
            sent = await webhook.send("via webhook", username="Recovery Daily", wait=True)
            await sent.edit(content="via webhook, edited")
            await interaction.response.send_message(f"hook {sent.id}")

        @tree.command(name="history", description="Count recent messages")
        async def history(interaction: discord.Interaction, channel: discord.TextChannel
                          ) -> None:
            count = len([m async for m in channel.history(limit=10)])
            await interaction.response.send_message(f"history {count}", ephemeral=True)

        @tree.command(name="slow", description="Takes too long to answer")
        async def slow(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.3)
            try:
                await interaction.response.send_message("too late")
            except discord.NotFound as exc:
                self.errors.append(exc)

        @app_commands.command(name="guildonly", description="Only in the test guild")
        async def guildonly(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"guild {interaction.guild_id}")

        self._guild_command = guildonly

    # -- event recording -------------------------------------------------------------------

    async def on_ready(self) -> None:
        self.ready_count += 1
        self.events.append(("ready", self.ready_count))

    async def on_resumed(self) -> None:
        self.events.append(("resumed", None))

    async def on_message(self, message: discord.Message) -> None:
        self.events.append(("message", message))

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        self.events.append(("message_edit", after.content))

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self.events.append(("message_delete", payload.message_id))

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.events.append(("reaction_add", (payload.message_id, str(payload.emoji))))

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.events.append(("guild_join", guild.id))

    async def on_member_join(self, member: discord.Member) -> None:
        self.events.append(("member_join", member.id))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.events.append(("guild_remove", guild.id))

    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        self.events.append(("channel_create", channel.id))

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        self.events.append(("channel_delete", channel.id))

    async def on_guild_channel_update(self, before: Any, after: Any) -> None:
        self.events.append(("channel_update", after.id))

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.events.append(("thread_create", thread.id))

    async def on_thread_update(self, before: discord.Thread, after: discord.Thread) -> None:
        self.events.append(("thread_update", after.id))

    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        self.events.append(("thread_delete", payload.thread_id))

    def seen(self, kind: str) -> list[Any]:
        return [value for k, value in self.events if k == kind]


async def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    configure_discord(os.environ["DISCORD_API_BASE"], os.environ["DISCORD_GATEWAY_URL"])
    guild = os.environ.get("STANDIN_GUILD_ID")
    bot = SampleBot(guild_id=int(guild) if guild else None)
    async with bot:
        await bot.start(os.environ["DISCORD_TOKEN"])


if __name__ == "__main__":
    asyncio.run(main())
