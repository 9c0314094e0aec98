"""ParserPool against hostile feeds: the parse time limit, shutdown that never
waits on a stuck parse, workers that ignore Ctrl-C and die with their parent."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import FetchErrorKind
from bot.feeds.parse import ParserCrashError, ParserPool, ParseTimeoutError

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FEED = Path(__file__).parent / "data" / "feeds" / "no-guids.xml"
RSS = {"Content-Type": "application/rss+xml"}

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


async def test_a_parse_past_the_limit_fails_alone_and_the_pool_recovers() -> None:
    """A stuck call raises ParseTimeoutError; a call beside it still succeeds."""
    async with ParserPool(2, timeout=2) as pool:
        started = time.monotonic()
        stuck = asyncio.create_task(pool._submit(time.sleep, 600))
        await asyncio.sleep(0.2)
        bystander = asyncio.create_task(
            pool.parse_feed(FEED.read_bytes(), RSS, "https://s.example/f", NOW)
        )
        with pytest.raises(ParseTimeoutError) as info:
            await stuck
        assert info.value.kind == FetchErrorKind.PARSE_TIMEOUT == "parse_timeout"
        assert "PARSE_TIMEOUT" in str(info.value)
        assert time.monotonic() - started < 60  # generous: only catches a hang
        assert len((await bystander).articles) == 3
        # The killed worker was replaced: the pool keeps working.
        parsed = await pool.parse_feed(FEED.read_bytes(), RSS, "https://s.example/f", NOW)
        assert len(parsed.articles) == 3


async def test_the_limit_times_the_parse_not_the_queue() -> None:
    """Calls queued behind a busy worker do not use up their time limit waiting."""
    async with ParserPool(1, timeout=3) as pool:
        sleeps = [asyncio.create_task(pool._submit(time.sleep, 1.5)) for _ in range(3)]
        # 4.5 s of work through one worker, each call well under its 3 s limit.
        await asyncio.gather(*sleeps)


async def test_close_does_not_wait_for_a_stuck_parse() -> None:
    """Closing the pool kills a stuck worker instead of waiting for it."""
    pool = ParserPool(1, timeout=None)
    await pool.start()
    stuck = asyncio.create_task(pool._submit(time.sleep, 600))
    await asyncio.sleep(0.5)
    started = time.monotonic()
    await pool.close()
    assert time.monotonic() - started < 30  # generous: only catches waiting on the parse
    with pytest.raises(ParserCrashError):
        await asyncio.wait_for(stuck, 30)


async def test_thread_mode_has_the_limit_too() -> None:
    """With workers=0 a slow parse still fails after the limit."""
    async with ParserPool(0, timeout=0.5) as pool:
        with pytest.raises(ParseTimeoutError):
            await pool._submit(time.sleep, 3)


async def test_workers_ignore_ctrl_c() -> None:
    """SIGINT (Ctrl-C reaches the whole process group) does not kill a worker."""
    async with ParserPool(1) as pool:
        pid = await pool._submit(os.getpid)
        os.kill(pid, signal.SIGINT)
        await asyncio.sleep(0.5)
        assert await pool._submit(os.getpid) == pid


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except FileNotFoundError:
                continue
            found.update(children)
            todo.extend(children)
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has ended; only its reaping is left


_OWNER = """
import asyncio, sys, time
from bot.feeds.parse import ParserPool

async def main():
    async with ParserPool(2) as pool:
        stuck = asyncio.ensure_future(pool._submit(time.sleep, 600))
        await asyncio.sleep(0.5)
        print("ready", flush=True)
        await stuck

asyncio.run(main())
"""


@linux_only
def test_kill_9_of_the_owner_leaves_no_orphans() -> None:
    """After kill -9 of a process with a pool (one worker mid-parse), the
    forkserver, the workers and the resource tracker all end."""
    # stderr: the orphaned resource tracker's "leaked semaphore" note is expected.
    with subprocess.Popen(
        [sys.executable, "-c", _OWNER],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as owner:
        try:
            assert owner.stdout is not None
            assert owner.stdout.readline().strip() == "ready"
            children = _descendants(owner.pid)
            assert len(children) >= 4  # resource tracker, forkserver, two workers
        finally:
            owner.kill()
            owner.wait(30)
    deadline = time.monotonic() + 20  # generous; they end within a second
    while time.monotonic() < deadline and any(_running(p) for p in children):
        time.sleep(0.1)
    left = [p for p in children if _running(p)]
    for pid in left:  # don't leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []


_INTERRUPTED = """
import asyncio
from bot.feeds.parse import ParserPool

async def main():
    async with ParserPool(2) as pool:
        print("ready", flush=True)
        await asyncio.sleep(60)

try:
    asyncio.run(main())
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_ctrl_c_prints_no_worker_tracebacks() -> None:
    """Ctrl-C (SIGINT to the whole process group) ends a pool's owner without
    a KeyboardInterrupt traceback from any worker."""
    with subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    ) as owner:
        try:
            assert owner.stdout is not None
            assert owner.stdout.readline().strip() == "ready"
            time.sleep(0.5)
            os.killpg(owner.pid, signal.SIGINT)
            out, err = owner.communicate(timeout=60)
        finally:
            owner.kill()
    assert out.strip() == "interrupted"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
