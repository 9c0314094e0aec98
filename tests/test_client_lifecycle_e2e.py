"""The bot's start-up and upkeep on the stand-in: a failed extension doesn't
wipe commands, notices nobody received are told later, finished background
tasks are let go, and `lantern run` fails with one clear line when Discord
refuses an intent or can't be reached."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from pathlib import Path

import pytest

import bot.discord_edge.client
from bot.clock import utcnow
from bot.models import FeedEvent
from tests.feedserver import FeedServer
from tests.lantern_harness import Lantern, lantern_settings
from tests.standin.harness import BotProcess
from tests.standin.server import StandIn

pytestmark = pytest.mark.e2e

LANTERN_RUN = [sys.executable, "-m", "bot", "run"]


async def test_a_broken_extension_keeps_the_synced_commands(
    discord_standin: StandIn,
    feed_server: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A start with an extension that fails loads the rest but does not sync,
    so the failed extension's commands stay registered on Discord."""
    settings = lantern_settings(discord_standin, tmp_path)
    async with Lantern(discord_standin, feed_server, settings).running():
        pass
    synced = set(discord_standin.command_names())
    assert {"feed", "settings", "search", "discuss", "resources"} <= synced
    syncs = len(discord_standin.syncs)

    client_module = bot.discord_edge.client
    broken = ("cogs.does_not_exist", *client_module.EXTENSIONS)
    monkeypatch.setattr(client_module, "EXTENSIONS", broken)
    with caplog.at_level(logging.ERROR, "bot.discord_edge.client"):
        harness = Lantern(discord_standin, feed_server, settings)
        async with harness.running():
            assert harness.bot.get_cog("Feeds") is not None  # the others loaded
            assert harness.bot.tree.get_command("search") is not None
    assert len(discord_standin.syncs) == syncs
    assert set(discord_standin.command_names()) == synced
    messages = [r.getMessage() for r in caplog.records]
    assert any("cogs.does_not_exist" in m and "not syncing" in m for m in messages)


async def test_a_notice_nobody_accepted_is_told_later(lantern: Lantern) -> None:
    """When no destination takes a notice it is not recorded as told: the next
    time the problem is reported, moderators hear about it."""
    standin = lantern.standin
    store = lantern.core.store
    member = standin.user("member")
    member.dms_open = False  # the DM fails with 50007
    guild_id = standin.guild.id
    # The log channel is one the bot can't send in (50013); there is no system channel.
    await store.update_guild_settings(guild_id, log_channel_id=standin.channel("read-only").id)
    feed = await store.add_feed("http://127.0.0.1:9/feed", utcnow())
    await store.add_subscription(
        guild_id=guild_id, channel_id=standin.channel("general").id, feed_id=feed.id,
        now=utcnow(), added_by=member.id,
    )
    event = FeedEvent(kind="broken", feed_id=feed.id, message="HTTP 500")

    await lantern.bot.notifier.feed_status(event)
    assert standin.dm_messages("member") == []
    assert standin.bot_messages("read-only") == []

    member.dms_open = True
    await lantern.bot.notifier.feed_status(event)
    dms = standin.dm_messages("member")
    assert len(dms) == 1 and "is marked broken" in dms[0].content
    await lantern.bot.notifier.feed_status(event)  # told now: once per problem
    assert len(standin.dm_messages("member")) == 1


async def test_finished_background_tasks_are_let_go(lantern: Lantern) -> None:
    """Notice tasks leave the bot's task set when they finish; only the
    long-running loops (engine, delivery, housekeeping) stay."""
    bot_ = lantern.bot
    long_running = set(bot_.background_tasks)
    assert len(long_running) == 3
    for n in range(50):  # unknown feeds: each notice task ends at once
        bot_._on_feed_event(FeedEvent(kind="broken", feed_id=10_000 + n))
    assert len(bot_.background_tasks) == 53
    await lantern.standin.wait_for(
        lambda: bot_.background_tasks == long_running, what="notice tasks to finish"
    )


async def run_until_exit(process: BotProcess) -> int:
    """The exit code of a `lantern run` that should stop by itself."""
    assert process.process is not None
    async with asyncio.timeout(30):  # generous: only catches a hang
        return await process.process.wait()


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_message_content_intent_refused_says_where_to_turn_it_on(
    discord_standin: StandIn, tmp_path: Path
) -> None:
    """MESSAGE_CONTENT_INTENT=true without the portal switch: `lantern run`
    exits non-zero with one line naming the switch, and no traceback."""
    discord_standin.privileged_intents = 0  # the switch is off in the portal
    env = {
        "DATABASE_PATH": str(tmp_path / "lantern.db"),
        "MESSAGE_CONTENT_INTENT": "true",
        "PARSER_WORKERS": "0",
    }
    log_path = tmp_path / "bot.log"
    async with BotProcess(discord_standin, LANTERN_RUN, env=env, log_path=log_path) as proc:
        code = await run_until_exit(proc)
        output = proc.log()
    assert code != 0, output
    assert 4014 in discord_standin.gateway.close_codes
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("lantern:")]
    assert len(errors) == 1, output
    assert "Developer Portal" in errors[0]
    assert "Privileged Gateway Intents > Message Content Intent" in errors[0]


async def test_discord_unreachable_at_start_is_one_line(
    discord_standin: StandIn, tmp_path: Path
) -> None:
    """DISCORD_API_BASE pointing at a closed port: `lantern run` exits non-zero
    with one line saying Discord can't be reached, and no traceback."""
    base = f"http://127.0.0.1:{closed_port()}/api/v10"
    env = {
        "DATABASE_PATH": str(tmp_path / "lantern.db"),
        "DISCORD_API_BASE": base,
        "PARSER_WORKERS": "0",
    }
    log_path = tmp_path / "bot.log"
    async with BotProcess(discord_standin, LANTERN_RUN, env=env, log_path=log_path) as proc:
        code = await run_until_exit(proc)
        output = proc.log()
    assert code != 0, output
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("lantern:")]
    assert len(errors) == 1, output
    assert "Cannot reach Discord" in errors[0] and base in errors[0]
