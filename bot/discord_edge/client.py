"""The Discord edge: the discord.py client, its start-up and shutdown.

Resources (storage, fetcher, parser, engine) are opened in `run_bot` and handed
to the bot; the bot starts the feed engine and the delivery worker in
`setup_hook` and stops them in `close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import uuid
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.clock import utcnow
from bot.discord_edge.delivery import DeliveryWorker
from bot.discord_edge.errors import UserError
from bot.discord_edge.logfilter import redact_discord_debug_logs
from bot.discord_edge.notices import Notifier
from bot.errors import LanternError
from bot.models import FeedEvent
from bot.runtime import Core, open_core
from bot.settings import Settings

log = logging.getLogger(__name__)

EXTENSIONS = (
    "cogs.feeds",
    "cogs.settings",
    "cogs.search",
    "cogs.discussion",
    "cogs.support",
)
REMOVED_GUILD_RETENTION = timedelta(days=30)


def point_at(settings: Settings) -> None:
    """Aim discord.py at the configured REST and gateway endpoints (Discord's by
    default; a proxy, or the local stand-in in tests)."""
    discord.http.Route.BASE = settings.discord_api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class LanternBot(commands.Bot):
    def __init__(self, core: Core, *, guild_ready_timeout: float = 2.0) -> None:
        settings = core.settings
        intents = discord.Intents.none()
        intents.guilds = True
        if settings.message_content_intent:
            intents.guild_messages = True
            intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
        )
        redact_discord_debug_logs()
        self.core = core
        self.settings = settings
        self.notifier = Notifier(self, core.store)
        self.delivery = DeliveryWorker(self, core.store, self.notifier)
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()  # running ones only
        core.engine.subscribe(self._on_feed_event)
        self.tree.error(self.on_app_command_error)

    # -- lifecycle -------------------------------------------------------------------

    async def setup_hook(self) -> None:
        failed = []
        for name in EXTENSIONS:
            try:
                await self.load_extension(name)
            except Exception:
                failed.append(name)
                log.exception("extension %s failed to load; the others go on", name)
        if failed:
            # A sync replaces the whole command list: syncing now would delete the
            # failed extensions' commands from every server until the next good start.
            log.error(
                "not syncing commands because %s failed to load; the commands last synced"
                " stay in place",
                ", ".join(failed),
            )
        else:
            await self._sync_commands()
        self._spawn(self.core.engine.run(self._stop), "feed engine")
        self._spawn(self.delivery.run(self._stop), "delivery worker")
        self._spawn(self._housekeeping(), "housekeeping")

    async def _sync_commands(self) -> None:
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("synced %d commands", len(synced))

    @property
    def background_tasks(self) -> frozenset[asyncio.Task[Any]]:
        """The bot's own tasks still running (loops, and notices being sent)."""
        return frozenset(self._tasks)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._task_done)
        self._tasks.add(task)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.critical("%s stopped", task.get_name(), exc_info=exc)

    async def close(self) -> None:
        """Stop polling and delivering: a send under way finishes (or stays
        pending in the outbox), then discord.py disconnects."""
        self._stop.set()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=10)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await super().close()

    async def _housekeeping(self) -> None:
        while not self._stop.is_set():
            purged = await self.core.store.purge_removed_guilds(utcnow() - REMOVED_GUILD_RETENTION)
            if purged:
                log.info("deleted %d subscriptions of servers the bot left", purged)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 3600)

    # -- events ----------------------------------------------------------------------

    def _on_feed_event(self, event: FeedEvent) -> None:
        if event.kind == "articles":
            self.delivery.wake()
        elif event.kind in ("broken", "recovered", "gone"):
            self._spawn(self.notifier.feed_status(event), f"notice feed {event.feed_id}")

    async def on_ready(self) -> None:
        """Guilds that removed the bot while it was offline stop their subscriptions too."""
        present = {g.id for g in self.guilds}
        for guild_id in await self.core.store.subscribed_guilds() - present:
            await self.core.store.mark_guild_removed(guild_id, utcnow())
            log.info("not in guild %s any more; its subscriptions stop", guild_id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.core.store.mark_guild_removed(guild.id, utcnow())
        log.info("removed from guild %s; its subscriptions stop", guild.id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        settings = await self.core.store.guild_settings(guild.id)
        if settings.removed_at is not None:
            await self.core.store.mark_guild_removed(guild.id, None)
            self.delivery.wake()

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.delivery.channel_unusable(
            channel.guild.id, channel.id, "the channel was deleted"
        )

    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.core.store.drop_discussion_thread(payload.thread_id)

    # -- errors ----------------------------------------------------------------------

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = getattr(error, "original", error)
        if isinstance(original, UserError | LanternError):
            message = str(original)
        elif isinstance(error, app_commands.CheckFailure | app_commands.TransformerError):
            message = str(error) or "You can't use this command here."
        elif isinstance(error, app_commands.CommandOnCooldown):
            message = f"Slow down a little: try again in {error.retry_after:.0f} s."
        else:
            error_id = uuid.uuid4().hex[:8]
            name = interaction.command.qualified_name if interaction.command else "?"
            log.error("command /%s failed [%s]", name, error_id, exc_info=original)
            message = f"Something went wrong on my side (error `{error_id}`). Please try again."
        await reply(interaction, message)


async def reply(interaction: discord.Interaction, message: str, **kwargs: Any) -> None:
    """Answer privately, whether or not the interaction was already answered."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(message, ephemeral=True, **kwargs)
    except discord.HTTPException:
        log.warning("could not answer an interaction", exc_info=True)


async def run_bot(settings: Settings, *, guild_ready_timeout: float = 2.0) -> None:
    """Run until SIGINT/SIGTERM or a fatal error; always closes the database."""
    point_at(settings)
    discord.utils.setup_logging(level=logging.getLevelName(settings.log_level), root=True)
    async with open_core(settings) as core:
        bot = LanternBot(core, guild_ready_timeout=guild_ready_timeout)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
        try:
            async with bot:
                await login(bot, settings)
                await bot.connect()
        except discord.LoginFailure:
            raise LanternError(
                "Discord refused the token: check DISCORD_TOKEN (Bot > Reset Token)."
            ) from None
        except discord.PrivilegedIntentsRequired:
            raise LanternError(MESSAGE_CONTENT_REFUSED) from None


MESSAGE_CONTENT_REFUSED = (
    "Discord refused the Message Content intent that MESSAGE_CONTENT_INTENT=true asks for:"
    " turn it on in the Discord Developer Portal (your application > Bot > Privileged"
    " Gateway Intents > Message Content Intent), or set MESSAGE_CONTENT_INTENT=false."
)


async def login(bot: LanternBot, settings: Settings) -> None:
    """Log in, or a LanternError saying Discord could not be reached. (Once
    connected, discord.py reconnects by itself: only the first contact is fatal.)"""
    try:
        await bot.login(settings.discord_token)
    except (OSError, aiohttp.ClientError) as exc:  # refused, DNS, TLS, a timeout
        reason = str(exc) or type(exc).__name__
        raise LanternError(
            f"Cannot reach Discord at {settings.discord_api_base} ({reason});"
            " check the network, or DISCORD_API_BASE."
        ) from None
