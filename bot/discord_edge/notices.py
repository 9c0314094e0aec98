"""Moderator notices: telling a guild's moderators about a problem, once per
problem (a broken or gone feed, a paused subscription)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import discord

from bot.clock import utcnow
from bot.models import FeedEvent
from bot.storage import Storage

log = logging.getLogger(__name__)


def plain(text: str) -> str:
    """Feed or server text inside a notice: renders literally and pings nobody."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))[:300]


class Notifier:
    """Tells a guild's moderators about a problem, once per problem: in the log
    channel, else the system channel, else a DM to whoever added the feed."""

    def __init__(self, client: discord.Client, store: Storage) -> None:
        self.client = client
        self.store = store

    async def tell(self, guild_id: int, key: str, text: str, *, user_id: int | None = None) -> bool:
        """True when a destination accepted the notice. The notice is recorded
        first (the record is the claim that keeps two tellers from both sending)
        and forgotten again when nobody could be told, so a later occurrence of
        the same problem tries again instead of staying silent forever."""
        if not await self.store.remember_notice(guild_id, key, utcnow()):
            return False
        for destination in await self._destinations(guild_id, user_id):
            try:
                await destination.send(text, allowed_mentions=discord.AllowedMentions.none())
                return True
            except discord.HTTPException as exc:
                log.info("notice to guild %s not delivered there: %s", guild_id, exc.status)
        await self.store.forget_notice(guild_id, key)
        log.warning("no way to tell guild %s: %s", guild_id, key)
        return False

    async def _destinations(self, guild_id: int, user_id: int | None) -> list[Any]:
        out: list[Any] = []
        settings = await self.store.guild_settings(guild_id)
        guild = self.client.get_guild(guild_id)
        if settings.log_channel_id:
            channel = self.client.get_channel(settings.log_channel_id)
            if channel is not None:
                out.append(channel)
        if guild is not None and guild.system_channel is not None:
            out.append(guild.system_channel)
        if user_id is not None:
            with contextlib.suppress(discord.HTTPException):
                out.append(await self.client.fetch_user(user_id))
        return out

    async def feed_status(self, event: FeedEvent) -> None:
        feed = await self.store.get_feed(event.feed_id)
        if feed is None:
            return
        by_guild: dict[int, int | None] = {}
        for sub in await self.store.feed_subscriptions(feed.id):
            by_guild.setdefault(sub.guild_id, sub.added_by)
        name = feed.display_name
        for guild_id, user_id in by_guild.items():
            broken_key = f"feed:{feed.id}:broken"
            if event.kind == "broken":
                await self.tell(
                    guild_id,
                    broken_key,
                    f"⚠️ The feed **{plain(name)}** has been failing for a while and is marked"
                    f" broken: {plain(event.message or 'unknown error')}. I keep trying and"
                    " will say when it works again.",
                    user_id=user_id,
                )
            elif event.kind == "gone":
                await self.tell(
                    guild_id,
                    f"feed:{feed.id}:gone",
                    f"⚠️ The feed **{plain(name)}** says it is gone for good (HTTP 410), so I"
                    " stopped polling it. Remove it with `/feed remove`.",
                    user_id=user_id,
                )
            # Only a guild that heard about the breakage hears about the fix.
            elif event.kind == "recovered" and await self.store.forget_notice(guild_id, broken_key):
                await self.store.forget_notice(guild_id, f"feed:{feed.id}:recovered")
                await self.tell(
                    guild_id,
                    f"feed:{feed.id}:recovered",
                    f"✅ The feed **{plain(name)}** works again.",
                    user_id=user_id,
                )

    async def subscription_paused(
        self, guild_id: int, sub_id: int, name: str, channel_id: int, reason: str, *,
        user_id: int | None,
    ) -> bool:
        return await self.tell(
            guild_id,
            f"sub:{sub_id}:paused",
            f"⏸️ I paused **{plain(name)}** for <#{channel_id}>:"
            f" {reason}. Fix it, then run `/feed resume`.",
            user_id=user_id,
        )
