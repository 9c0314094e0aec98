"""SQLite specifics of the storage layer. What every backend must do is in the
contract suite (tests/storage_contract/); this file keeps what only SQLite has."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import SearchPlan, Term
from bot.storage.errors import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
    DiskFullError,
    StorageError,
)
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.edge import translate
from bot.storage.sqlite.migrations import SCHEMA_VERSION
from tests.storage_contract.records import T0, art, ok


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    s = await SqliteStorage.open(tmp_path / "t.db")
    yield s
    await s.close()


async def test_migrations_set_user_version_and_wal(tmp_path: Path) -> None:
    """A new file gets the current schema in WAL mode; migrating again is a no-op."""
    path = tmp_path / "m.db"
    assert SqliteStorage.migrate_file(path) == (0, SCHEMA_VERSION)
    assert SqliteStorage.migrate_file(path) == (SCHEMA_VERSION, SCHEMA_VERSION)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


async def test_the_fts_index_follows_an_update_in_the_same_transaction(
    store: SqliteStorage,
) -> None:
    """A rewritten article is found by its new words and not by its old ones."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    (aid, _) = (await store.record_success(feed.id, ok(art(1), art(2)))).new_ids
    await store.record_success(
        feed.id, ok(art(1, title="Naloxone saves lives", content_hash="h1b"), art(2))
    )
    hits = (await store.search(SearchPlan((Term("naloxone"),)))).hits
    assert [h.article.id for h in hits] == [aid]
    assert not (await store.search(SearchPlan((Term("article"), Term("1"))))).hits


def _error(code: int, name: str, message: str) -> sqlite3.Error:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    exc.sqlite_errorname = name  # type: ignore[attr-defined]
    return exc


@pytest.mark.parametrize(
    ("code", "name", "message", "expected"),
    [
        (5, "SQLITE_BUSY", "database is locked", DatabaseBusyError),
        (6, "SQLITE_LOCKED", "database table is locked", DatabaseBusyError),
        (8, "SQLITE_READONLY", "attempt to write a readonly database", DatabaseReadOnlyError),
        (11, "SQLITE_CORRUPT", "database disk image is malformed", DatabaseCorruptError),
        (26, "SQLITE_NOTADB", "file is not a database", DatabaseCorruptError),
        (13, "SQLITE_FULL", "database or disk is full", DiskFullError),
        (14, "SQLITE_CANTOPEN", "unable to open database file", DatabaseUnavailableError),
        (10 | (3 << 8), "SQLITE_IOERR_WRITE", "disk I/O error", DatabaseUnavailableError),
        (1, "SQLITE_ERROR", "no such table: nothing", StorageError),
    ],
)
def test_each_driver_error_has_its_storage_error(
    code: int, name: str, message: str, expected: type[StorageError]
) -> None:
    """The translation keys on SQLite's result code and names the file."""
    translated = translate(_error(code, name, message), "data/lantern.db")
    assert type(translated) is expected
    assert "data/lantern.db" in str(translated) and message in str(translated)


@pytest.mark.parametrize("place", ["folder", "not a database", "newer schema"])
async def test_the_cli_says_what_is_wrong_with_the_database(tmp_path: Path, place: str) -> None:
    """`lantern feeds list` on a bad DATABASE_PATH: one line naming it, no traceback."""
    path = tmp_path / "lantern.db"
    if place == "folder":
        path.mkdir()
    elif place == "not a database":
        path.write_text("notes\n" * 500)
    else:
        db = sqlite3.connect(path)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        db.close()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FEED_"))},
        "DATABASE_PATH": str(path),
        "PYTHONPATH": str(Path(__file__).parent.parent),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "feeds", "list", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)  # a hang, not a timing check
    assert proc.returncode == 1
    text = err.decode()
    assert "Traceback" not in text and text.startswith("lantern: ") and str(path) in text


async def test_a_poll_waits_out_another_process_holding_the_write_lock(tmp_path: Path) -> None:
    """`lantern poll --once --all` facing an 8 s write lock waits, stores, exits 0."""
    from tests.feedserver import FeedServer, numbered_items, rss
    from tests.storage_contract.conftest import SqliteBackend
    from tests.test_cli import Cli

    server = await FeedServer().start()
    try:
        cli = Cli(tmp_path)
        server.serve("/feed", rss(numbered_items(0, 2), title="Sober Blog"))
        assert (await cli("feeds", "add", server.url("/feed"))).code == 0
        server.serve("/feed", rss(numbered_items(0, 3), title="Sober Blog"))
        holder = SqliteBackend(tmp_path)
        holder.path = tmp_path / "data" / "lantern.db"
        async with holder.write_lock_held(8.0, "https://example.org/theirs") as theirs:
            polled = await cli("poll", "--once", "--all")
            await theirs
        assert polled.code == 0, polled.err
        assert "1 new articles, 0 failed" in polled.out and "Traceback" not in polled.err
        listed = await cli("feeds", "list")
        assert "https://example.org/theirs" in listed.out  # the other write is kept too
    finally:
        await server.close()


async def test_open_store_names_a_database_folder_it_cannot_create(tmp_path: Path) -> None:
    """DATABASE_PATH under a file: DatabaseUnavailableError naming the path."""
    from bot.runtime import open_store
    from bot.settings import Settings

    (tmp_path / "notes").write_text("a file, not a folder")
    path = tmp_path / "notes" / "data" / "lantern.db"
    settings = Settings.defaults(discord_token="x", database_path=path)
    with pytest.raises(DatabaseUnavailableError, match="Cannot create the folder") as caught:
        async with open_store(settings):
            pass
    assert str(path) in str(caught.value)


async def test_a_big_poll_in_several_transactions_keeps_the_etag_for_last(
    store: SqliteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunked ingest: a failure midway keeps the old ETag; the retry queues each once."""
    from bot.storage.sqlite import backend

    monkeypatch.setattr(backend, "INGEST_CHUNK", 3)
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=0)
    good = [art(n) for n in range(8)]
    broken = [*good[:4], art(4, title=None), *good[5:]]  # the second transaction fails
    with pytest.raises(StorageError):
        await store.record_success(feed.id, ok(*broken, etag='"new"'))
    stored = await store.get_feed(feed.id)
    assert stored is not None and stored.etag is None
    assert await store.count_articles() == 3  # the first transaction stands
    retried = await store.record_success(feed.id, ok(*good, etag='"new"'))
    assert len(retried.new_ids) == 5 and retried.unchanged == 3
    stored = await store.get_feed(feed.id)
    assert stored is not None and stored.etag == '"new"'
    due = await store.due_deliveries(T0)
    assert len(due) == len({d.article_id for d in due}) == 8
