"""Where SQLite's errors stop: `translate` turns any sqlite3/aiosqlite error into
the StorageError family with a message that names the file and says what to do,
and `at_the_edge` applies it (and the busy retry) around every public method of
the SQLite backend."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from bot.storage.errors import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
    DiskFullError,
    StorageError,
)

log = logging.getLogger(__name__)

# How long SQLite itself waits for another connection's write lock (one attempt).
BUSY_TIMEOUT_SECONDS = 10.0
# A transaction that still finds the database locked is run again from the start,
# this many times in all, so a write waits about 3 x 10 s before it gives up.
WRITE_ATTEMPTS = 3
_BACKOFF_SECONDS = (0.05, 0.25)  # before the 2nd and 3rd attempts, plus jitter

# Primary result codes (sqlite3.h); Python 3.11 exposes them as `sqlite_errorcode`.
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = (
    3, 5, 6, 8, 10, 11, 13, 14, 26,
)


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()
    for needle, guess in (
        ("locked", _BUSY),
        ("readonly", _READONLY),
        ("read-only", _READONLY),
        ("not a database", _NOTADB),
        ("malformed", _CORRUPT),
        ("disk is full", _FULL),
        ("unable to open", _CANTOPEN),
    ):
        if needle in text:
            return guess
    return None


def is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) and _code(exc) in (_BUSY, _LOCKED)


def translate(exc: BaseException, path: str) -> StorageError:
    """The StorageError for a driver error on the database at `path`."""
    if isinstance(exc, StorageError):
        return exc
    detail = str(exc) or type(exc).__name__
    code = _code(exc)
    if code in (_BUSY, _LOCKED):
        return DatabaseBusyError(
            f"{path} stayed locked by another process through {WRITE_ATTEMPTS} tries of"
            f" up to {BUSY_TIMEOUT_SECONDS:.0f} s each ({detail})."
            " Another Lantern (the bot, a poll, a migration) is writing to it; try again"
            " when it has finished, and run only one `lantern poll` at a time."
        )
    if code == _READONLY:
        return DatabaseReadOnlyError(
            f"{path} is read-only ({detail}): Lantern can show what it holds but not change"
            " it. Make the file and its folder writable by the user running Lantern."
        )
    if code in (_CORRUPT, _NOTADB):
        return DatabaseCorruptError(
            f"{path} is damaged or is not a Lantern database ({detail}). Restore it from a"
            " backup, or point DATABASE_PATH at a new file."
        )
    if code == _FULL:
        return DiskFullError(
            f"The disk holding {path} is full ({detail}); nothing was written. Free some"
            " space and try again."
        )
    if code in (_CANTOPEN, _PERM, _IOERR):
        return DatabaseUnavailableError(
            f"Cannot use {path} ({detail}). Check that DATABASE_PATH names a file in a"
            " folder the user running Lantern can write to, and that the disk is mounted."
        )
    if isinstance(exc, ValueError):  # aiosqlite: the connection is closed
        return StorageError(f"The storage for {path} is closed ({detail}).")
    return StorageError(f"The database {path} failed: {detail}")


def _closed(exc: ValueError) -> bool:
    # aiosqlite's words for a connection that was closed underneath a call
    return str(exc) in ("Connection closed", "no active connection")


class _HasPath(Protocol):
    _path: str


T = TypeVar("T")


def at_the_edge(
    method: Callable[..., Awaitable[T]],
) -> Callable[..., Awaitable[T]]:
    """Wrap a storage method: a locked database runs the whole method (its
    transaction) again after a short backoff, up to WRITE_ATTEMPTS times; every
    driver error leaves as a StorageError. A method is one unit of work whose
    failed transaction was rolled back, so running it again is safe."""

    @functools.wraps(method)
    async def wrapper(self: _HasPath, *args: Any, **kwargs: Any) -> T:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return await method(self, *args, **kwargs)
            except (sqlite3.Error, ValueError) as exc:
                if isinstance(exc, ValueError) and not _closed(exc):
                    raise  # a caller's mistake, not the driver's
                if is_busy(exc) and attempt < WRITE_ATTEMPTS:
                    pause = _BACKOFF_SECONDS[attempt - 1] * (1 + random.random())
                    log.info(
                        "%s is locked; %s runs again in %.2f s (attempt %s of %s)",
                        self._path, method.__name__, pause, attempt + 1, WRITE_ATTEMPTS,
                    )
                    await asyncio.sleep(pause)
                    continue
                raise translate(exc, self._path) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def wrap_public_methods(cls: type, names: set[str]) -> None:
    """Apply `at_the_edge` to each public coroutine method of `cls` in `names`."""
    for name in sorted(names):
        fn = getattr(cls, name, None)
        if fn is not None and inspect.iscoroutinefunction(fn):
            setattr(cls, name, at_the_edge(fn))
