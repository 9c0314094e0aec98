"""The storage contract: every test here talks to a `Storage` through the protocol
only, once per backend. A backend is a small `Backend` object that knows how to
make a fresh database, open more stores on it, and stage the conditions the
protocol cannot (another process holding the write lock, a damaged file).

Adding PostgreSQL: write a `PostgresBackend` with the same methods and add it
to BACKENDS (one line).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest

from bot.storage import Storage
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.migrations import SCHEMA_VERSION

from .records import T0, art, ok

# A process that takes the write lock, says so, holds it, writes one feed, commits.
_HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("INSERT INTO feeds (url, next_poll_at, created_at) VALUES (?, 0, 0)", (sys.argv[3],))
db.execute("COMMIT")
print("committed", flush=True)
"""


class SqliteBackend:
    name = "sqlite"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.path = tmp / "lantern.db"

    async def open(self, **options: Any) -> Storage:
        """A store on this backend's database (created on first use); options go to
        SqliteStorage.open (`busy_timeout`)."""
        return await SqliteStorage.open(self.path, **options)

    @asynccontextmanager
    async def write_lock_held(self, seconds: float, url: str) -> AsyncIterator[asyncio.Task[None]]:
        """Another process holds the write lock for `seconds`, then adds a feed at
        `url` and commits. Yields (once the lock is taken) a task that ends with it."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _HOLDER, str(self.path), str(seconds), url,
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        assert (await proc.stdout.readline()).strip() == b"locked"

        async def finish() -> None:
            assert proc.stdout is not None
            rest = await proc.stdout.read()
            assert await proc.wait() == 0 and b"committed" in rest

        task = asyncio.create_task(finish())
        try:
            yield task
        finally:
            if not task.done():
                await asyncio.wait_for(task, timeout=30)  # a hang, not a timing check

    # -- broken places, for error translation ------------------------------------

    def make_folder(self) -> None:
        self.path.mkdir()

    def make_unreachable(self) -> None:
        blocker = self.tmp / "not-a-folder"
        blocker.write_text("a file where a folder should be")
        self.path = blocker / "lantern.db"

    def make_not_a_database(self) -> None:
        self.path.write_bytes(b"these are my notes, not a database\n" * 200)

    def make_newer_schema(self) -> None:
        db = sqlite3.connect(self.path)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        db.close()

    async def make_corrupt(self) -> None:
        """A real database whose pages past the first are overwritten."""
        store = await self.open()
        feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
        await store.record_success(feed.id, ok(*(art(n, content="x" * 2000) for n in range(60))))
        await store.close()
        data = bytearray(self.path.read_bytes())
        page = 4096
        assert len(data) > 12 * page
        for at in range(3 * page, 10 * page, page):
            data[at + 8 : at + page] = os.urandom(page - 8)
        self.path.write_bytes(bytes(data))

    async def open_read_only(self) -> Storage:
        """A store on a database holding one feed, opened without write access."""
        store = await self.open()
        await store.add_feed("https://example.org/feed", T0, pinned=True)
        await store.close()
        return await SqliteStorage.open(self.path, read_only=True)

    async def fill_disk(self, store: Storage) -> None:
        """Make further writes find no room (SQLite: cap the file at its size)."""
        assert isinstance(store, SqliteStorage)
        w = store._w  # the backend's own handle: no protocol can fill a disk
        (pages,) = await (await w.execute("PRAGMA page_count")).fetchone()  # type: ignore[misc]
        await w.execute(f"PRAGMA max_page_count = {pages}")


class Backend(Protocol):
    """What the contract tests need of a backend besides the Storage protocol."""

    name: str
    path: Path  # where the database lives (a file for SQLite; a label elsewhere)

    async def open(self, **options: Any) -> Storage:
        """A store on this backend's database. `busy_timeout` (seconds) bounds
        one wait for another connection's write lock."""
        ...

    def write_lock_held(
        self, seconds: float, url: str
    ) -> AbstractAsyncContextManager[asyncio.Task[None]]: ...
    def make_folder(self) -> None: ...
    def make_unreachable(self) -> None: ...
    def make_not_a_database(self) -> None: ...
    def make_newer_schema(self) -> None: ...
    async def make_corrupt(self) -> None: ...
    async def open_read_only(self) -> Storage: ...
    async def fill_disk(self, store: Storage) -> None: ...


# Adding a backend is one line here (and its class above).
BACKENDS: dict[str, Callable[[Path], Backend]] = {
    "sqlite": SqliteBackend,
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return BACKENDS[request.param](tmp_path)


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Storage]:
    s = await backend.open()
    yield s
    await s.close()
