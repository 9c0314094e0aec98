"""Crash safety and downtime, with `lantern run` as a real process killed with -9."""

from __future__ import annotations

import asyncio
import random
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.runtime import open_core
from bot.settings import Settings
from tests.e2e import quiet, settle, titles
from tests.feedserver import FeedServer, numbered_items, rss
from tests.lantern_harness import Lantern, lantern_settings
from tests.standin.harness import BotProcess
from tests.standin.server import StandIn

pytestmark = pytest.mark.e2e


async def prepare(settings: Settings, standin: StandIn, url: str, backlog: int) -> None:
    """What `/feed add` would leave behind: a feed, its articles, a subscription."""
    async with open_core(settings) as core:
        feed = (await core.engine.add(url)).feed
        await core.store.add_subscription(
            guild_id=standin.guild.id,
            channel_id=standin.channel("general").id,
            feed_id=feed.id,
            now=datetime.now(UTC),
            backlog=backlog,
        )


def counts(standin: StandIn) -> Counter[str]:
    """How often each article was posted in #general."""
    return Counter(titles(standin, "general"))


async def test_kill_9_during_a_burst_posts_everything_exactly_once(
    discord_standin: StandIn, feed_server: FeedServer, tmp_path: Path
) -> None:
    """Killed with -9 four times mid-burst, the bot still posts every article once, in order."""
    total = 24
    url = feed_server.serve("/feed", rss(numbered_items(0, total)))
    settings = lantern_settings(discord_standin, tmp_path)
    await prepare(settings, discord_standin, url, backlog=total)
    # Discord's per-channel limit, sped up: the burst takes a few seconds.
    discord_standin.enable_message_rate_limit(4, 0.5)
    env = {
        "DATABASE_PATH": str(settings.database_path),
        "FEED_ALLOW_PRIVATE_NETWORKS": "true",
        "PARSER_WORKERS": "0",
        "LOG_LEVEL": "INFO",
    }
    rng = random.Random(7)
    log_path = tmp_path / "bot.log"
    for _round in range(4):
        before = sum(counts(discord_standin).values())
        async with BotProcess(
            discord_standin, [sys.executable, "-m", "bot", "run"], env=env, log_path=log_path
        ) as proc:
            await discord_standin.wait_for(
                lambda b=before: sum(counts(discord_standin).values()) > b, 20, "a new post"
            )
            await asyncio.sleep(rng.uniform(0.0, 0.6))
            await proc.kill()
    async with BotProcess(
        discord_standin, [sys.executable, "-m", "bot", "run"], env=env, log_path=log_path
    ) as proc:
        await discord_standin.wait_for(
            lambda: len(counts(discord_standin)) == total, 40, "every article posted"
        )
        await quiet(discord_standin, "general", at_least=total)  # nothing more may arrive
        assert await proc.stop() == 0, proc.log()  # SIGTERM: a clean shutdown
    posted = counts(discord_standin)
    assert set(posted) == {f"Article {n}" for n in range(total)}
    assert max(posted.values()) == 1, posted
    order = [m.embeds[0]["title"] for m in discord_standin.bot_messages("general")]
    assert order == [f"Article {n}" for n in range(total)]


async def test_a_week_offline_posts_what_was_missed_with_a_note(
    discord_standin: StandIn, feed_server: FeedServer, tmp_path: Path
) -> None:
    """After downtime the newest missed articles are posted once, with one note for the rest."""
    url = feed_server.serve("/feed", rss(numbered_items(0, 2), title="Daily Recovery"))
    harness = Lantern(discord_standin, feed_server, lantern_settings(discord_standin, tmp_path))
    await prepare(harness.settings, discord_standin, url, backlog=1)
    async with harness.running():
        await discord_standin.wait_for(lambda: len(counts(discord_standin)) == 1)
    # offline: fifteen articles are published
    feed_server.serve("/feed", rss(numbered_items(0, 17), title="Daily Recovery"))
    async with harness.running():
        await harness.poll()
        await discord_standin.wait_for(lambda: len(counts(discord_standin)) == 11, 10)
        await settle(harness)
        await quiet(discord_standin, "general", at_least=12)  # eleven articles and a note
    messages = discord_standin.bot_messages("general")
    notes = [m for m in messages if not m.embeds]
    assert len(notes) == 1
    assert "5 more articles were published" in notes[0].content
    assert "while I was offline" in notes[0].content
    assert max(counts(discord_standin).values()) == 1
    assert "Article 16" in counts(discord_standin) and "Article 6" not in counts(discord_standin)
