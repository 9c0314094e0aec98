"""The delivery worker: drains the outbox into Discord (moderators hear about a
channel it can't post in through bot.discord_edge.notices).

Exactly-once posting rests on three things: the outbox row is written in the
same transaction as the article; each attempt is counted *before* the send, so
after a crash we know a send may have happened; and every create carries a
nonce derived from the delivery (Discord answers a repeated nonce with the
first message), backed by a look at the channel's recent messages when a
retry comes later than the nonce window.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord

from bot.clock import utcnow
from bot.discord_edge.embeds import message_kwargs
from bot.discord_edge.notices import Notifier
from bot.models import Delivery
from bot.posting.content_warnings import DEFAULT_CONTENT_WARNINGS, match_warnings, matches_keywords
from bot.posting.formatting import PostSpec, format_backlog_note, format_post
from bot.storage import Storage

log = logging.getLogger(__name__)

MAX_RETRY_DELAY = 3600.0
CHANNELS_AT_ONCE = 50  # channels drained in parallel; discord.py paces each bucket
HISTORY_CHECK = 50  # recent messages searched for an earlier copy after a crash


def retry_delay(attempts: int) -> float:
    return min(5.0 * 2.0 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


def nonce(delivery_id: int, part: str = "a") -> str:
    return f"lantern{part}{delivery_id}"


class DeliveryWorker:
    def __init__(
        self,
        client: discord.Client,
        store: Storage,
        notifier: Notifier,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client = client
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self._wake = asyncio.Event()
        self._channels = asyncio.Semaphore(CHANNELS_AT_ONCE)

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        # A start that never gets ready (a refused intent) must not hold up close().
        await _first_of(self.client.wait_until_ready(), stop.wait())
        while not stop.is_set():
            self._wake.clear()
            due = await self.store.due_deliveries(self.clock(), limit=200)
            by_channel: defaultdict[int, list[Delivery]] = defaultdict(list)
            for d in due:
                by_channel[d.channel_id].append(d)
            await asyncio.gather(*(self._drain(ds, stop) for ds in by_channel.values()))
            if len(due) == 200:
                continue
            await self._sleep(stop)

    async def _sleep(self, stop: asyncio.Event) -> None:
        timeout = 30.0
        nxt = await self.store.next_delivery_time()
        if nxt is not None:
            timeout = min(timeout, max(0.05, (nxt - self.clock()).total_seconds()))
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    async def _drain(self, deliveries: Sequence[Delivery], stop: asyncio.Event) -> None:
        """One channel's deliveries, in order; the first that can't go ends the run
        (the rest wait behind it, so the channel keeps publication order)."""
        async with self._channels:
            for d in deliveries:
                if stop.is_set() or not await self.deliver(d):
                    return

    async def deliver(self, d: Delivery) -> bool:
        """Send one delivery. True when it is finished (sent or skipped)."""
        sub = await self.store.get_subscription(d.subscription_id)
        article = await self.store.get_article(d.article_id)
        feed = await self.store.get_feed(article.feed_id) if article else None
        if sub is None or article is None or feed is None:
            await self.store.mark_delivery_done(d.id, "skipped", "gone before it was sent")
            return True
        if not matches_keywords(
            sub.include, sub.exclude, article.title, article.summary, article.categories
        ):
            await self.store.mark_delivery_done(d.id, "skipped", "filtered out")
            return True
        settings = await self.store.guild_settings(sub.guild_id)
        terms = settings.content_warnings
        warnings = match_warnings(
            DEFAULT_CONTENT_WARNINGS if terms is None else terms,
            article.title,
            article.summary,
            article.categories,
        )
        now = self.clock()
        spec = format_post(article, feed, sub, warnings, now)
        note = format_backlog_note(d.note_skipped, feed, feed.site_url) if d.note_skipped else None

        counted = False
        try:
            channel = self.client.get_channel(d.channel_id) or await self.client.fetch_channel(
                d.channel_id
            )
            if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
                await self.channel_unusable(
                    d.guild_id, d.channel_id, "it is not a text, announcement or forum channel"
                )
                return False
            earlier = await self._find_earlier(channel, d, spec) if d.attempts else None
            # Counted before the send: after a crash, attempts > 0 says "maybe sent".
            retry_at = now + timedelta(seconds=retry_delay(d.attempts + 1))
            await self.store.mark_delivery_retry(d.id, error="sending", next_attempt_at=retry_at)
            counted = True
            if earlier is not None:
                message_id, thread_id = earlier
            else:
                message_id, thread_id = await self._send(channel, d, sub.threads, spec, note)
        except (discord.Forbidden, discord.NotFound) as exc:
            await self._unusable(d, sub.added_by, exc)
            return False
        except discord.HTTPException as exc:
            if exc.status >= 500 or exc.status == 429:  # discord.py's own retries ran out
                return await self._retry(d, f"Discord answered {exc.status}", counted)
            log.error("delivery %s rejected by Discord: %s %s", d.id, exc.status, exc.text)
            await self.store.mark_delivery_done(d.id, "failed", f"rejected: {exc.text}"[:500])
            return True
        except (TimeoutError, aiohttp.ClientError) as exc:
            return await self._retry(d, f"network: {type(exc).__name__}", counted)
        await self.store.mark_delivery_sent(
            d.id, message_id=message_id, thread_id=thread_id, now=self.clock()
        )
        if thread_id is not None:
            await self.store.set_discussion(
                sub.guild_id, article.id, d.channel_id, thread_id, self.clock()
            )
        return True

    async def _send(
        self,
        channel: discord.TextChannel | discord.ForumChannel,
        d: Delivery,
        threads: bool,
        spec: PostSpec,
        note: PostSpec | None,
    ) -> tuple[int, int | None]:
        if isinstance(channel, discord.ForumChannel):
            if note is not None and note.content:
                # A forum has no plain messages: the note leads the first post instead.
                lead = f"{note.content}\n{spec.content or ''}".strip()
                spec = replace(spec, content=lead[:2000])
            created = await channel.create_thread(
                name=spec.thread_name or "New article", **message_kwargs(spec)
            )
            return created.message.id, created.thread.id
        if note is not None:
            await channel.send(nonce=nonce(d.id, "n"), **message_kwargs(note))
        message = await channel.send(nonce=nonce(d.id), **message_kwargs(spec))
        thread_id = None
        if threads and spec.thread_name:
            try:
                thread = await message.create_thread(
                    name=spec.thread_name, auto_archive_duration=1440
                )
                thread_id = thread.id
            except discord.HTTPException as exc:
                log.info("no thread for delivery %s: %s", d.id, exc.status)
        return message.id, thread_id

    async def _find_earlier(
        self, channel: discord.TextChannel | discord.ForumChannel, d: Delivery, spec: PostSpec
    ) -> tuple[int, int | None] | None:
        """After a crash mid-send: the message a previous attempt already posted."""
        me = self.client.user
        url = spec.embeds[0].url if spec.embeds else None
        after = discord.Object(discord.utils.time_snowflake(d.created_at) - 1)
        if isinstance(channel, discord.ForumChannel):
            for thread in channel.threads:
                if thread.owner_id == getattr(me, "id", None) and thread.name == spec.thread_name:
                    return thread.id, thread.id
            return None
        async for message in channel.history(limit=HISTORY_CHECK, after=after):
            if message.author.id != getattr(me, "id", None):
                continue
            same = (url is not None and any(e.url == url for e in message.embeds)) or (
                bool(spec.content) and message.content == spec.content and not spec.embeds
            )
            if same:
                existing = channel.get_thread(message.id)
                return message.id, existing.id if existing else None
        return None

    async def _retry(self, d: Delivery, error: str, counted: bool) -> bool:
        """Schedule the next try; `counted` when this attempt was counted before its send."""
        delay = retry_delay(d.attempts + 1)
        await self.store.mark_delivery_retry(
            d.id,
            error=error,
            next_attempt_at=self.clock() + timedelta(seconds=delay),
            count_attempt=not counted,
        )
        log.info("delivery %s failed (%s); retry in %.0fs", d.id, error, delay)
        return False

    async def _unusable(
        self, d: Delivery, added_by: int | None, exc: discord.HTTPException
    ) -> None:
        if isinstance(exc, discord.NotFound):
            reason = "the channel no longer exists"
        else:
            reason = "I am missing permissions there (View Channel, Send Messages, Embed Links)"
        await self.channel_unusable(d.guild_id, d.channel_id, reason, user_id=added_by)

    async def channel_unusable(
        self, guild_id: int, channel_id: int, reason: str, *, user_id: int | None = None
    ) -> None:
        """Pause every subscription posting to a channel, and tell moderators once."""
        now = self.clock()
        for sub in await self.store.channel_subscriptions(channel_id):
            if await self.store.pause_subscription(sub.id, reason, now):
                feed = await self.store.get_feed(sub.feed_id)
                name = sub.name or (feed.display_name if feed else "a feed")
                await self.notifier.subscription_paused(
                    guild_id, sub.id, name, channel_id, reason, user_id=user_id or sub.added_by
                )


async def _first_of(*waits: Coroutine[Any, Any, Any]) -> None:
    """Wait until one of `waits` is done; cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
