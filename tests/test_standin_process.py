"""A bot in a separate process, connected over TCP to the stand-in in this event loop."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.standin import BotProcess, StandIn

pytestmark = pytest.mark.e2e


async def test_subprocess_bot_survives_kill_9_and_restart(discord_standin: StandIn,
                                                          tmp_path: Path) -> None:
    """Start the sample bot as a process from env settings, use it, kill -9 it, start again."""
    s = discord_standin
    env = {"STANDIN_GUILD_ID": str(s.guild.id)}
    log = tmp_path / "bot.log"
    async with BotProcess(s, env=env, log_path=log) as bot:
        await s.wait_identified(1, timeout=20)
        await s.wait_for(lambda: s.command_names(s.guild).count("guildonly") == 1, 10,
                         "the guild command sync")
        it = await s.invoke("ping")
        assert (await it.wait_message(timeout=5)).content == "pong", bot.log()
        code = await bot.kill()
        assert code == -9
    await s.wait_for(lambda: not s.gateway.current or not s.gateway.current.connected, 5,
                     "the socket to close")
    async with BotProcess(s, env=env, log_path=log) as bot:
        await s.wait_identified(2, timeout=20)
        it = await s.invoke("echo", options={"text": "back again"})
        assert (await it.wait_message(timeout=5)).content == "back again", bot.log()
        await s.force_reconnect()
        await s.wait_resumed(timeout=10)
        it = await s.invoke("ping")
        assert (await it.wait_message(timeout=5)).content == "pong", bot.log()
    assert "Traceback" not in log.read_text()
