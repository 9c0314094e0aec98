"""Lantern itself running against the local Discord stand-in and local feeds.

`lantern` starts the real LanternBot in this event loop with settings that
point it at the stand-in (DISCORD_API_BASE / DISCORD_GATEWAY_URL) and lets it
fetch from 127.0.0.1. Tests drive it through `lantern.standin` (members
running commands) and `lantern.feeds` (what the feed sites serve).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.discord_edge.client import LanternBot, point_at
from bot.runtime import Core, open_core
from bot.settings import Settings
from tests.feedserver import FeedServer
from tests.standin.harness import running_bot
from tests.standin.server import StandIn


def lantern_settings(standin: StandIn, tmp_path: Path, **overrides: Any) -> Settings:
    return Settings.defaults(
        discord_token=standin.token,
        database_path=tmp_path / "lantern.db",
        discord_api_base=standin.api_base,
        discord_gateway_url=standin.gateway_url,
        feed_allow_private_networks=True,
        parser_workers=0,
        **overrides,
    )


class Lantern:
    def __init__(self, standin: StandIn, feeds: FeedServer, settings: Settings) -> None:
        self.standin = standin
        self.feeds = feeds
        self.settings = settings
        self.bot: LanternBot
        self.core: Core

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Lantern]:
        point_at(self.settings)
        async with open_core(self.settings) as core:
            self.core = core
            self.bot = LanternBot(core, guild_ready_timeout=0.1)
            async with running_bot(self.standin, self.bot, timeout=10):
                yield self

    async def poll(self) -> None:
        """Poll every feed now (instead of waiting for the schedule)."""
        await self.core.engine.poll_due(all_=True)
        self.bot.delivery.wake()


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = await FeedServer().start()
    yield server
    await server.close()


@pytest.fixture
async def lantern(
    discord_standin: StandIn, feed_server: FeedServer, tmp_path: Path
) -> AsyncIterator[Lantern]:
    harness = Lantern(discord_standin, feed_server, lantern_settings(discord_standin, tmp_path))
    async with harness.running():
        yield harness
