"""Helpers shared by the end-to-end tests: run a command and read its private
answer, subscribe a channel to a feed, read what the bot posted, and wait for
the bot to finish (posts counted only after a quiet period, so a late
duplicate is seen).

Waits are generous: they end as soon as the condition holds, and only a hang
or a lost post makes them run out, also on a machine busy with other work.
"""
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import discord
import pytest

from bot.clock import utcnow
from bot.models import Subscription
from tests.feedserver import numbered_items, rss
from tests.lantern_harness import Lantern
from tests.standin.interactions import EPHEMERAL, LOADING, InteractionRecord
from tests.standin.server import StandIn
from tests.standin.world import Channel, Guild, Message

T = TypeVar("T")

WAIT = 10.0  # seconds: how long a wait may take before the test fails
QUIET = 0.5  # seconds without a new post before posts are counted


# -- commands ------------------------------------------------------------------------------


async def run(lantern: Lantern, command: str, *, as_: str = "member",
              where: str | Channel = "general", **options: Any) -> InteractionRecord:
    """Run a slash command (in `where`, #general by default); returns once the bot
    has responded or deferred. `options` are the command's own, `channel` among them."""
    record = await lantern.standin.invoke(command, as_=as_, channel=where, options=options)
    await record.wait_response(WAIT)
    return record


async def reply(record: InteractionRecord) -> Message:
    """The bot's private answer to an interaction, deferred or not."""
    await record.wait_response(WAIT)
    if record.message is None or record.message.flags & LOADING:
        msg = await record.wait_followup(timeout=WAIT)
    else:
        msg = record.message
    assert msg.flags & EPHEMERAL, f"not private: {msg.content!r}"
    return msg


async def answer(lantern: Lantern, command: str, *, as_: str = "member",
                 where: str | Channel = "general", **options: Any) -> Message:
    """Run a command as a member and return its private answer."""
    return await reply(await run(lantern, command, as_=as_, where=where, **options))


async def manage(lantern: Lantern, command: str, *, as_: str = "owner",
                 where: str | Channel = "general", **options: Any) -> Message:
    """Run a moderator command (by the server's owner unless `as_` says otherwise)."""
    return await answer(lantern, command, as_=as_, where=where, **options)


def serve(lantern: Lantern, path: str, start: int, stop: int, title: str = "Recovery Daily",
          items: list[dict[str, str]] | None = None) -> str:
    """Serve numbered articles start..stop-1 (or `items`) as an RSS feed; its URL."""
    return lantern.feeds.serve(path, rss(items or numbered_items(start, stop), title=title))


async def add(lantern: Lantern, url: str, channel: str = "general", **options: Any) -> Message:
    """/feed add by the owner, run in #general for `channel`."""
    return await manage(lantern, "feed add", url=url, channel=lantern.standin.channel(channel),
                        **options)


@contextlib.contextmanager
def visible_to_everyone(standin: StandIn) -> Iterator[None]:
    """What a server admin does in Integrations: show /feed and /settings to all members."""
    saved = []
    for commands in standin.commands.values():
        for command in commands:
            if command["name"] in ("feed", "settings"):
                saved.append((command, command["default_member_permissions"]))
                command["default_member_permissions"] = None
    try:
        yield
    finally:
        for command, value in saved:
            command["default_member_permissions"] = value


@contextlib.contextmanager
def seen_by_everyone(msg: Message) -> Iterator[None]:
    """Let another member reach an ephemeral message's buttons (Discord's client
    never would): the bot must still refuse them itself."""
    msg.flags &= ~EPHEMERAL
    try:
        yield
    finally:
        msg.flags |= EPHEMERAL


# -- subscriptions --------------------------------------------------------------------------


async def subscribe(lantern: Lantern, channel: str, url: str, *, backlog: int = 1,
                    **edit: Any) -> Subscription:
    """What /feed add does: fetch the feed, subscribe the channel, wake delivery."""
    feed = (await lantern.core.engine.add(url)).feed
    sub = await lantern.core.store.add_subscription(
        guild_id=lantern.standin.guild.id,
        channel_id=lantern.standin.channel(channel).id,
        feed_id=feed.id,
        now=utcnow(),
        backlog=backlog,
        added_by=lantern.standin.user("manager").id,
    )
    if edit:
        sub = await lantern.core.store.update_subscription(sub.id, **edit)
    lantern.bot.delivery.wake()
    return sub


async def stored_subscription(lantern: Lantern, name: str, channel: str = "general", *,
                              guild: Guild | None = None, url: str | None = None
                              ) -> Subscription:
    """A named subscription straight in storage, its feed never fetched."""
    store, s = lantern.core.store, lantern.standin
    guild = guild or s.guild
    feed = await store.add_feed(url or f"https://{name.lower().replace(' ', '-')}.example/feed",
                                utcnow())
    return await store.add_subscription(guild_id=guild.id, channel_id=s.channel(channel, guild).id,
                                        feed_id=feed.id, now=utcnow(), name=name)


async def only_sub(lantern: Lantern) -> Subscription:
    """The guild's one subscription."""
    subs = await lantern.core.store.guild_subscriptions(lantern.standin.guild.id)
    assert len(subs) == 1, subs
    return subs[0]


# -- what the bot posted ----------------------------------------------------------------------


def titles(standin: StandIn, channel: str | Channel = "general") -> list[str]:
    """Titles of the bot's article posts in a channel, oldest first."""
    return [m.embeds[0]["title"] for m in standin.bot_messages(channel) if m.embeds]


async def quiet(standin: StandIn, channel: str | Channel, *, at_least: int = 1,
                period: float = QUIET, timeout: float = WAIT) -> list[Message]:
    """The bot's posts in a channel once there are `at_least` and then none came
    for `period` seconds: compare the result with ==, and a duplicate that
    arrives a little later fails the test instead of slipping by."""
    await standin.wait_for(lambda: len(standin.bot_messages(channel)) >= at_least, timeout,
                           f"{at_least} post(s) in #{channel}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = len(standin.bot_messages(channel))
    still_since = loop.time()
    while loop.time() - still_since < period:
        if loop.time() > deadline:
            pytest.fail(f"#{channel} never went quiet: {len(standin.bot_messages(channel))} posts")
        await asyncio.sleep(0.05)
        now = len(standin.bot_messages(channel))
        if now != seen:
            seen, still_since = now, loop.time()
    return standin.bot_messages(channel)


async def settled_posts(lantern: Lantern, channel: str | Channel, at_least: int = 1,
                        timeout: float = WAIT) -> list[Message]:
    """The bot's posts in a channel after delivery has finished and the channel
    stayed quiet (see `quiet` and `settle`)."""
    await quiet(lantern.standin, channel, at_least=at_least, timeout=timeout)
    await settle(lantern, timeout)
    return await quiet(lantern.standin, channel, at_least=at_least, timeout=timeout)


async def settle(lantern: Lantern, timeout: float = WAIT) -> None:
    """Until the delivery worker has finished everything queued (sent or skipped);
    a send in flight counts as queued (its retry is scheduled seconds ahead)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await lantern.core.store.due_deliveries(utcnow() + timedelta(hours=1)):
        if loop.time() > deadline:
            pytest.fail(f"deliveries still pending after {timeout} s")
        await asyncio.sleep(0.02)


async def bot_sees_overwrites(lantern: Lantern, channel: str | Channel) -> None:
    """Until the bot's cache holds the channel's permission overwrites as the
    stand-in has them (the CHANNEL_UPDATE arrived): checks it runs read the cache."""
    ch = lantern.standin.channel(channel) if isinstance(channel, str) else channel
    expected = {(o.id, o.allow, o.deny) for o in ch.overwrites}

    def seen() -> bool:
        cached = lantern.bot.get_channel(ch.id)
        if not isinstance(cached, discord.abc.GuildChannel):
            return False
        pairs = cached.overwrites.items()
        return {(t.id, *(p.value for p in o.pair())) for t, o in pairs} == expected

    await lantern.standin.wait_for(seen, WAIT, f"the bot to see #{ch.name}'s overwrites")


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = WAIT) -> T:
    """Poll an async check until it returns something truthy (or time runs out:
    then its last result, for the caller's assert)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.02)
