"""pytest plugin: the `discord_standin` fixture (enable with pytest_plugins in conftest)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.standin.client import reset_discord
from tests.standin.harness import running_bot
from tests.standin.server import StandIn
from tests.standin.testbot import SampleBot


@pytest.fixture
async def discord_standin() -> AsyncIterator[StandIn]:
    """A local Discord on 127.0.0.1 with the default world; fails the test on unknown routes."""
    standin = StandIn()
    await standin.start()
    try:
        yield standin
    finally:
        await standin.stop()
        reset_discord()
    problems = []
    if standin.unknown_routes:
        problems.append("the bot called routes the stand-in does not know (404): "
                        + ", ".join(standin.unknown_routes))
    if standin.internal_errors:
        problems.append("the stand-in could not handle requests: "
                        + "; ".join(standin.internal_errors))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
async def standin_bot(discord_standin: StandIn) -> AsyncIterator[SampleBot]:
    """The stand-in's own small test bot, connected and ready (commands synced)."""
    bot = SampleBot(guild_id=discord_standin.guild.id)
    async with running_bot(discord_standin, bot):
        yield bot
    if bot.command_errors:
        pytest.fail(f"the sample bot's commands raised: {bot.command_errors!r}", pytrace=False)
