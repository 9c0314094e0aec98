"""What storage raises: every driver error becomes a StorageError subclass whose
message names the database and says what to do."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg
import pytest

from bot.storage import Storage
from bot.storage.errors import (
    DatabaseCorruptError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
    DiskFullError,
    SchemaTooNewError,
    SchemaTooOldError,
    StorageError,
)
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.migrations import SCHEMA_VERSION
from tests.unprivileged import permissions_apply

from .conftest import SECRET, Backend, SqliteBackend
from .records import T0, art, ok


async def test_an_unreachable_database_is_unavailable(backend: Backend) -> None:
    """A database that cannot be reached says so, naming where it was looked for."""
    backend.make_unreachable()
    with pytest.raises(DatabaseUnavailableError, match=backend.unreachable_words) as caught:
        await backend.open()
    assert SECRET not in str(caught.value)


async def test_a_newer_schema_is_refused(backend: Backend) -> None:
    """A database from a newer Lantern is left alone with a clear message."""
    backend.make_newer_schema()
    with pytest.raises(SchemaTooNewError, match="newer Lantern"):
        await backend.open()


async def test_a_read_only_store_reads_and_refuses_writes(backend: Backend) -> None:
    """Read commands work on a read-only database; every write says read-only."""
    store = await backend.open_read_only()
    try:
        (feed,) = await store.list_feeds()
        assert await store.due_feeds(T0) == [feed]
        with pytest.raises(DatabaseReadOnlyError, match="read-only"):
            await store.add_feed("https://example.org/other", T0)
        with pytest.raises(DatabaseReadOnlyError):
            await store.record_success(feed.id, ok(art(1)))
        with pytest.raises(DatabaseReadOnlyError):
            await store.update_guild_settings(1, resources="x")
        assert await store.count_articles() == 0
    finally:
        await store.close()


async def test_a_full_disk_writes_nothing(backend: Backend, store: Storage) -> None:
    """No room left: DiskFullError, and the poll is not half stored."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    await backend.fill_disk(store)
    big = [art(n, content="words " * 2000) for n in range(40)]
    with pytest.raises(DiskFullError, match="full"):
        await store.record_success(feed.id, ok(*big, etag='"new"'))
    stored = await store.get_feed(feed.id)
    assert stored is not None and stored.etag is None
    assert await store.count_articles() == 0


async def test_a_bug_in_a_statement_is_still_a_storage_error(store: Storage) -> None:
    """A constraint failure leaves as StorageError (no sqlite3 error escapes)."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    with pytest.raises(StorageError) as caught:
        await store.record_success(feed.id, ok(art(1), art(2, title=None)))
    assert not isinstance(caught.value, sqlite3.Error | asyncpg.PostgresError)
    assert await store.count_articles() == 0


# -- SQLite only: files, permissions and `lantern db migrate` ----------------------------


async def test_sqlite_a_folder_is_not_a_database(tmp_path: Path) -> None:
    """DATABASE_PATH naming a folder says so and suggests a file inside it."""
    backend = SqliteBackend(tmp_path)
    backend.make_folder()
    with pytest.raises(DatabaseUnavailableError, match="is a folder") as caught:
        await backend.open()
    assert str(backend.path) in str(caught.value)


async def test_sqlite_a_file_that_is_not_a_database_is_corrupt(tmp_path: Path) -> None:
    """Someone's notes at DATABASE_PATH: DatabaseCorruptError, file untouched."""
    backend = SqliteBackend(tmp_path)
    backend.make_not_a_database()
    before = backend.path.read_bytes()
    with pytest.raises(DatabaseCorruptError, match="not a Lantern database"):
        await backend.open()
    assert backend.path.read_bytes() == before


async def test_sqlite_a_damaged_database_fails_its_check_at_open(tmp_path: Path) -> None:
    """A file failing the integrity check is refused at open, not used silently."""
    backend = SqliteBackend(tmp_path)
    await backend.make_corrupt()
    with pytest.raises(DatabaseCorruptError, match=r"integrity check|damaged"):
        await backend.open()


# Opens the database at argv[1] as whoever runs it; prints what reading and writing did.
_READER = """
import asyncio, sys
sys.path[:0] = sys.argv[2:]
from bot.storage.errors import StorageError
from bot.storage.sqlite import SqliteStorage
from tests.storage_contract.records import T0

async def main():
    store = await SqliteStorage.open(sys.argv[1])
    try:
        print("feeds", len(await store.list_feeds()))
        try:
            await store.add_feed("https://example.org/other", T0)
            print("wrote")
        except StorageError as exc:
            print(type(exc).__name__)
    finally:
        await store.close()

asyncio.run(main())
"""


def test_sqlite_opens_an_unwritable_file_read_only() -> None:
    """A file and folder this user can't write open read-only: reads work, writes say so."""
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o755)
        preexec = permissions_apply(folder / "probe")
        SqliteStorage.migrate_file(folder / "lantern.db")
        db = sqlite3.connect(folder / "lantern.db")
        db.execute("INSERT INTO feeds (url, next_poll_at, created_at) VALUES ('u', 0, 0)")
        db.commit()
        db.close()
        (folder / "lantern.db").chmod(0o444)
        folder.chmod(0o555)
        root = Path(__file__).resolve().parents[2]
        paths = [str(root), *(p for p in sys.path if p.endswith("site-packages"))]
        done = subprocess.run(
            [sys.executable, "-c", _READER, str(folder / "lantern.db"), *paths],
            capture_output=True, text=True, timeout=60, check=False, cwd=folder,
            preexec_fn=preexec,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["feeds", "1", "DatabaseReadOnlyError"]
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


async def test_sqlite_read_only_and_outdated_asks_for_a_migration(tmp_path: Path) -> None:
    """An old schema that cannot be upgraded here says to run `lantern db migrate`."""
    backend = SqliteBackend(tmp_path)
    db = sqlite3.connect(backend.path)
    db.execute("PRAGMA user_version = 0")
    db.execute("CREATE TABLE something (x)")
    db.close()
    with pytest.raises(SchemaTooOldError, match="lantern db migrate"):
        await SqliteStorage.open(backend.path, read_only=True)


def test_sqlite_migrate_file_reports_the_versions(tmp_path: Path) -> None:
    """`lantern db migrate` upgrades once, then finds nothing to do."""
    backend = SqliteBackend(tmp_path)
    assert SqliteStorage.migrate_file(backend.path) == (0, SCHEMA_VERSION)
    assert SqliteStorage.migrate_file(backend.path) == (SCHEMA_VERSION, SCHEMA_VERSION)
    backend.make_newer_schema()
    with pytest.raises(SchemaTooNewError):
        SqliteStorage.migrate_file(backend.path)
