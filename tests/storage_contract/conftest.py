"""The storage contract: every test here talks to a `Storage` through the protocol
only, once per backend. A backend is a small `Backend` object that knows how to
make a fresh database, open more stores on it, and stage the conditions the
protocol cannot (another process holding the write lock, an unreachable
database, a full disk). SQLite-file-only conditions (a folder, a damaged file)
are staged by SqliteBackend alone, in test_errors.py's SQLite section.

PostgreSQL runs against the session's throwaway server (tests/pgserver.py),
one fresh database per test.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import pytest

from bot.storage import Storage
from bot.storage.postgresql import PostgresStorage
from bot.storage.postgresql.migrations import SCHEMA_VERSION as PG_SCHEMA_VERSION
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.migrations import SCHEMA_VERSION
from tests.pgserver import PgServer

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
    # what the message of an unreachable database says
    unreachable_words = "not an existing folder"

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

    async def aclose(self) -> None:
        """Nothing to clean: the database is a file in the test's folder."""

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


# A second connection that takes the write locks of every table a poll or a
# subscription writes, holds them, adds one feed and commits.
_LOCKED_TABLES = "feeds, articles, comments, subscriptions, deliveries, guild_settings"


class PostgresBackend:
    name = "postgres"
    unreachable_words = "DATABASE_URL"

    def __init__(self, server: PgServer, tmp: Path) -> None:
        self.server = server
        self.tmp = tmp
        self.path = tmp / "postgres"  # a label: the database lives on the server
        self.url: str | None = None
        self._made: list[str] = []

    async def _url(self) -> str:
        if self.url is None:
            self.url = await self.server.fresh_database()
            self._made.append(self.url)
        return self.url

    async def open(self, **options: Any) -> Storage:
        """A store on this backend's database (created on first use); options go to
        PostgresStorage.open (`busy_timeout`)."""
        return await PostgresStorage.open(await self._url(), **options)

    async def aclose(self) -> None:
        """Drop the databases this test made."""
        for url in self._made:
            await self.server.drop(url)

    @asynccontextmanager
    async def write_lock_held(self, seconds: float, url: str) -> AsyncIterator[asyncio.Task[None]]:
        """Another connection holds write locks on the tables for `seconds`, then adds
        a feed at `url` and commits. Yields (once locked) a task that ends with it."""
        conn = await asyncpg.connect(await self._url())
        tx = conn.transaction()
        await tx.start()
        await conn.execute(f"LOCK TABLE {_LOCKED_TABLES} IN EXCLUSIVE MODE")

        async def finish() -> None:
            try:
                await asyncio.sleep(seconds)
                await conn.execute(
                    "INSERT INTO feeds (url, next_poll_at, created_at) VALUES ($1, 0, 0)", url
                )
                await tx.commit()
            finally:
                await conn.close()

        task = asyncio.create_task(finish())
        try:
            yield task
        finally:
            if not task.done():
                await asyncio.wait_for(task, timeout=30)  # a hang, not a timing check
            await task

    def make_unreachable(self) -> None:
        """DATABASE_URL names a port nobody listens on (and carries a password)."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"postgresql://lantern:{SECRET}@127.0.0.1:{port}/lantern"

    def make_newer_schema(self) -> None:
        """The schema_version says a newer Lantern wrote the database."""

        async def bump() -> None:
            conn = await asyncpg.connect(await self._url())
            try:
                await conn.execute(
                    "UPDATE schema_version SET version = $1", PG_SCHEMA_VERSION + 1
                )
            finally:
                await conn.close()

        _run_soon(bump())

    async def open_read_only(self) -> Storage:
        """A store on a database holding one feed, whose transactions are read-only."""
        store = await self.open()
        await store.add_feed("https://example.org/feed", T0, pinned=True)
        await store.close()
        name = (await self._url()).rsplit("/", 1)[1]
        admin = await self.server.admin()
        try:
            await admin.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        finally:
            await admin.close()
        return await self.open()

    async def fill_disk(self, store: Storage) -> None:
        """Make further article writes find no room: the server's own disk-full error
        (SQLSTATE 53100), raised where the write lands."""
        conn = await asyncpg.connect(await self._url())
        try:
            await conn.execute(
                "CREATE FUNCTION disk_is_full() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'"
                " USING ERRCODE = 'disk_full'; END $$;"
                " CREATE TRIGGER disk_is_full BEFORE INSERT ON articles"
                " FOR EACH ROW EXECUTE FUNCTION disk_is_full();"
            )
        finally:
            await conn.close()


SECRET = "s3cret-Pa55word"  # must never appear in a message


def _run_soon(coro: Coroutine[Any, Any, None]) -> None:
    """Run `coro` to completion from sync staging code (on a fresh loop in a thread,
    since a test's loop may already be running)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result(timeout=60)


class Backend(Protocol):
    """What the contract tests need of a backend besides the Storage protocol."""

    name: str
    path: Path  # where the database lives (a file for SQLite; a label elsewhere)
    unreachable_words: str  # the error for an unreachable database says these

    async def open(self, **options: Any) -> Storage:
        """A store on this backend's database. `busy_timeout` (seconds) bounds
        one wait for another connection's write lock."""
        ...

    def write_lock_held(
        self, seconds: float, url: str
    ) -> AbstractAsyncContextManager[asyncio.Task[None]]: ...
    async def aclose(self) -> None: ...
    def make_unreachable(self) -> None: ...
    def make_newer_schema(self) -> None: ...
    async def open_read_only(self) -> Storage: ...
    async def fill_disk(self, store: Storage) -> None: ...


# Adding a backend is one line here (and its class above).
BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], Backend]] = {
    "sqlite": lambda request, tmp: SqliteBackend(tmp),
    "postgres": lambda request, tmp: PostgresBackend(request.getfixturevalue("pg_server"), tmp),
}


@pytest.fixture(params=sorted(BACKENDS))
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    made = BACKENDS[request.param](request, tmp_path)
    yield made
    await made.aclose()


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Storage]:
    s = await backend.open()
    yield s
    await s.close()
