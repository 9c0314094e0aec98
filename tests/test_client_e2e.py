"""The bot's start-up, command sync, intents and error handling on the stand-in."""

from __future__ import annotations

import logging
from pathlib import Path

import discord
import pytest

from tests.e2e import eventually
from tests.feedserver import FeedServer
from tests.lantern_harness import Lantern, lantern_settings
from tests.standin.server import StandIn

pytestmark = pytest.mark.e2e

MEMBER_COMMANDS = {"discuss", "latest", "related", "resources", "search"}


async def test_guilds_intent_only_and_no_mentions(lantern: Lantern) -> None:
    """The bot asks for the Guilds intent only and allows no mentions by default."""
    session = lantern.standin.gateway.current
    assert session is not None
    assert session.intents == discord.Intents(guilds=True).value
    mentions = lantern.bot.allowed_mentions
    assert mentions is not None
    assert mentions.to_dict() == discord.AllowedMentions.none().to_dict()


async def test_commands_synced_globally(lantern: Lantern) -> None:
    """All commands are synced globally, none per guild."""
    names = set(lantern.standin.command_names())
    assert {"feed", "settings"} | MEMBER_COMMANDS <= names
    assert lantern.standin.commands.get(lantern.standin.guild.id) in (None, [])


async def test_dev_guild_sync(
    discord_standin: StandIn, feed_server: FeedServer, tmp_path: Path
) -> None:
    """With DEV_GUILD_ID the commands are synced to that guild only."""
    guild = discord_standin.guild
    settings = lantern_settings(discord_standin, tmp_path, dev_guild_id=guild.id)
    async with Lantern(discord_standin, feed_server, settings).running():
        assert not discord_standin.commands.get(None)
        names = {c["name"] for c in discord_standin.commands[guild.id]}
        assert {"feed", "settings", "search"} <= names


async def test_unexpected_errors_get_an_error_id(
    lantern: Lantern, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error answers with an id that is in the log, not the error text."""
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(lantern.core.store, "guild_subscriptions", broken)
    with caplog.at_level(logging.ERROR, "bot.discord_edge.client"):
        record = await lantern.standin.invoke("feed list", as_="owner")
        reply = await record.wait_followup() if record.deferred else None
        await record.wait_response()
    text = reply.content if reply is not None else record.callbacks[0]["data"]["content"]
    assert "Something went wrong" in text and "database on fire" not in text
    error_id = text.split("`")[1]
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None


async def test_guilds_left_while_offline_stop_their_subscriptions(
    discord_standin: StandIn, feed_server: FeedServer, tmp_path: Path
) -> None:
    """Guilds the bot left while offline are marked removed at start-up; present ones are not."""
    from bot.clock import utcnow
    from bot.runtime import open_store

    settings = lantern_settings(discord_standin, tmp_path)
    async with open_store(settings) as store:
        feed = await store.add_feed("http://127.0.0.1:9/feed", utcnow())
        await store.add_subscription(guild_id=424242, channel_id=1, feed_id=feed.id, now=utcnow())
        here = await store.add_subscription(
            guild_id=discord_standin.guild.id, channel_id=2, feed_id=feed.id, now=utcnow()
        )
    harness = Lantern(discord_standin, feed_server, settings)
    async with harness.running():
        store = harness.core.store

        async def removed() -> bool:
            return (await store.guild_settings(424242)).removed_at is not None

        assert await eventually(removed)
        assert (await store.guild_settings(here.guild_id)).removed_at is None
