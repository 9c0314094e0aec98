"""The database file before and after use: is DATABASE_PATH a place we can use,
is the file sound and of a schema we know, upgrade it, and tidy up at close.
Everything here raises StorageError with a message naming the file."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

import aiosqlite

from bot.storage.errors import (
    DatabaseCorruptError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
    SchemaTooNewError,
    SchemaTooOldError,
)
from bot.storage.sqlite.edge import WRITE_ATTEMPTS, is_busy, translate
from bot.storage.sqlite.migrations import SCHEMA_VERSION, migrate

log = logging.getLogger(__name__)

# PRAGMA optimize at close looks at this many rows per index at most, and gives
# up at once if another process holds the write lock: closing never waits.
OPTIMIZE_ANALYSIS_LIMIT = 400
# The integrity check at open stops after this long on a big file (then it is
# skipped, and the log says so): starting stays quick.
QUICK_CHECK_SECONDS = 2.0


def uri(file: Path, read_only: bool) -> str:
    """The SQLite URI for `file`; `mode=ro` never creates or writes anything."""
    base = f"file:{quote(str(file.absolute()))}?mode={'ro' if read_only else 'rwc'}"
    if read_only and not _can_create_beside(file) and not Path(f"{file}-shm").exists():
        # A WAL database needs its -shm file even to be read; in a folder nobody
        # here can write, no process can be changing it, so read it as immutable.
        return base + "&immutable=1"
    return base


def _can_create_beside(file: Path) -> bool:
    return os.access(file.parent, os.W_OK | os.X_OK)


def check_place(file: Path, *, read_only: bool) -> bool:
    """Refuse a DATABASE_PATH that cannot work; True when the file can only be read."""
    if file.is_dir():
        raise DatabaseUnavailableError(
            f"DATABASE_PATH {file} is a folder, not a database file. Name a file inside"
            f" it instead, e.g. DATABASE_PATH={file / 'lantern.db'}"
        )
    folder = file.parent
    if not folder.is_dir():
        raise DatabaseUnavailableError(
            f"Cannot create {file}: {folder} is not an existing folder. Create it, or"
            " point DATABASE_PATH somewhere else."
        )
    if not file.exists():
        if read_only:
            raise DatabaseUnavailableError(f"{file} does not exist yet: nothing to read.")
        if not _can_create_beside(file):
            raise DatabaseUnavailableError(
                f"Cannot create {file}: the folder {folder} is not writable by this user."
                " Make it writable, or point DATABASE_PATH somewhere else."
            )
        return False
    if not os.access(file, os.R_OK):
        raise DatabaseUnavailableError(
            f"Cannot read {file}: permission denied. Run Lantern as the user owning it,"
            " or make it readable."
        )
    if read_only:
        return True
    # WAL mode writes two files beside the database: the folder must take them.
    beside = [Path(f"{file}-wal"), Path(f"{file}-shm")]
    folder_ok = _can_create_beside(file) or all(
        p.exists() and os.access(p, os.W_OK) for p in beside
    )
    return not (os.access(file, os.W_OK) and folder_ok)


def user_version(file: Path) -> int:
    """The schema version of an existing file (0 for a new or missing one)."""
    if not file.exists():
        return 0
    try:
        db = sqlite3.connect(uri(file, True), uri=True)
    except sqlite3.Error as exc:
        raise translate(exc, str(file)) from exc
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise translate(exc, str(file)) from exc
    finally:
        db.close()


def prepare_file(
    file: Path, *, read_only: bool, busy_timeout: float, for_migrate: bool = False
) -> bool:
    """Check and upgrade the file before the store's connections open it.
    Returns whether it must be used read-only."""
    read_only = check_place(file, read_only=read_only)
    try:
        db = sqlite3.connect(uri(file, read_only), uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, str(file)) from exc
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"{file} was written by a newer Lantern (schema version {version}; this"
                f" one knows up to {SCHEMA_VERSION}). Upgrade Lantern, or restore a backup"
                " made before the upgrade. This version will not touch the file."
            )
        quick_check(db, file)
        if version < SCHEMA_VERSION and read_only:
            message = (
                f"{file} has schema version {version}, this Lantern needs"
                f" {SCHEMA_VERSION}, and the file is read-only. Make it (and its folder)"
                " writable, then run `lantern db migrate`."
            )
            raise DatabaseReadOnlyError(message) if for_migrate else SchemaTooOldError(message)
        if not read_only:
            _upgrade(db, file, version)
    except sqlite3.Error as exc:
        raise translate(exc, str(file)) from exc
    finally:
        db.close()
    return read_only


def _upgrade(db: sqlite3.Connection, file: Path, version: int) -> None:
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            db.execute("PRAGMA journal_mode = WAL")
            before, after = migrate(db)
        except sqlite3.Error as exc:
            if is_busy(exc) and attempt < WRITE_ATTEMPTS:
                time.sleep(0.2 * attempt)  # runs in a worker thread (asyncio.to_thread)
                continue
            raise
        if before != after:
            log.info("upgraded %s from schema version %s to %s", file, before, after)
        return


def quick_check(db: sqlite3.Connection, file: Path) -> None:
    """Raise DatabaseCorruptError if the file fails `PRAGMA quick_check`. The check
    reads the whole file, so it is given QUICK_CHECK_SECONDS and skipped past that."""
    deadline = time.monotonic() + QUICK_CHECK_SECONDS
    db.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        found = [str(r[0]) for r in db.execute("PRAGMA quick_check(3)").fetchall()]
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc):
            raise
        log.info("%s: integrity check skipped after %.0f s (large file)", file, QUICK_CHECK_SECONDS)
        return
    finally:
        db.set_progress_handler(None, 0)
    if found != ["ok"]:
        problems = " ".join("; ".join(found).split())[:300]
        raise DatabaseCorruptError(
            f"{file} failed its integrity check ({problems}). Restore it from a backup;"
            f" `sqlite3 {file} .recover` may save what is left."
        )


async def optimize(db: aiosqlite.Connection, path: str) -> None:
    """Refresh the query planner's statistics if the file is free right now."""
    try:
        await db.execute("PRAGMA busy_timeout = 0")
        await db.execute(f"PRAGMA analysis_limit = {OPTIMIZE_ANALYSIS_LIMIT}")
        await db.execute("PRAGMA optimize")
    except (sqlite3.Error, ValueError) as exc:
        # Busy (another process writes), read-only or already closed: skip it.
        log.info("%s: skipped PRAGMA optimize at close (%s)", path, exc)
