"""Run a bot against the stand-in: in this event loop, or as a separate process."""

# ruff: noqa: ASYNC109
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TypeVar

import discord

from tests.standin.client import configure_discord
from tests.standin.server import StandIn

B = TypeVar("B", bound=discord.Client)
REPO_ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def running_bot(standin: StandIn, bot: B, *, timeout: float = 5.0) -> AsyncIterator[B]:
    """Start `bot` against the stand-in, wait for on_ready, and close it afterwards."""
    configure_discord(standin.api_base, standin.gateway_url)
    task = asyncio.create_task(bot.start(standin.token), name="standin-bot")
    try:
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ready
            if task in done:
                task.result()  # re-raise the start-up failure
            raise TimeoutError(f"bot not ready after {timeout}s\n{standin.dump()}")
        yield bot
        if task.done():
            task.result()  # the bot died during the test: surface why
    finally:
        await bot.close()
        # Start-up failures were already raised above; what is left here is shutdown noise.
        with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed,
                                 discord.LoginFailure):
            await asyncio.wait_for(task, 5)


class BotProcess:
    """A bot in a child process, connected to the stand-in over TCP; kill() is kill -9."""

    def __init__(self, standin: StandIn, argv: Sequence[str] | None = None, *,
                 env: dict[str, str] | None = None, log_path: Path | None = None) -> None:
        self.standin = standin
        self.argv = list(argv or [sys.executable, "-m", "tests.standin.testbot"])
        self.env = {**os.environ, **standin.env(), "PYTHONUNBUFFERED": "1", **(env or {})}
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self._log_file: object | None = None

    async def start(self) -> BotProcess:
        log = self.log_path.open("ab") if self.log_path else None
        self._log_file = log
        self.process = await asyncio.create_subprocess_exec(
            *self.argv, cwd=REPO_ROOT, env=self.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=log or asyncio.subprocess.DEVNULL, stderr=log or asyncio.subprocess.DEVNULL)
        return self

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

    async def kill(self) -> int:
        """SIGKILL, no chance to clean up (the crash case)."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        code = await self.process.wait()
        self._close_log()
        return code

    async def stop(self, timeout: float = 5.0) -> int:
        """SIGTERM, then SIGKILL if it does not exit."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.terminate()
            try:
                return await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                return await self.kill()
        self._close_log()
        return self.process.returncode

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
            self._log_file = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    async def __aenter__(self) -> BotProcess:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None:
            await self.kill()
