"""Where asyncpg's errors stop: `translate` turns any driver or connection error
into the StorageError family with a message naming DATABASE_URL (password
hidden), and `at_the_edge` applies it, and the retry of a transaction that lost
a lock or serialization race, around every public method of PostgresStorage."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

import asyncpg

from bot.feeds.urls import redact_url
from bot.storage.errors import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
    DiskFullError,
    StorageError,
)

log = logging.getLogger(__name__)

# How long one statement waits for another connection's lock (lock_timeout).
BUSY_TIMEOUT_SECONDS = 10.0
# A transaction that lost a lock wait, a serialization race or a deadlock runs
# again from the start, this many times in all (as the SQLite backend does).
WRITE_ATTEMPTS = 3
_BACKOFF_SECONDS = (0.05, 0.25)  # before the 2nd and 3rd attempts, plus jitter

# SQLSTATEs (PostgreSQL appendix A).
_RETRY = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock timeout
_READ_ONLY = "25006"
_DISK_FULL = {"53100"}
_CORRUPT = {"XX001", "XX002"}
_UNAVAILABLE_CLASSES = ("08", "28", "3D", "57P")  # connection, auth, no database, shutdown


def describe(url: str) -> str:
    """How messages name the database: the setting and its URL without the password."""
    return f"DATABASE_URL={redact_url(url)}"


def scrub(text: str, url: str) -> str:
    """`text` without the URL's password, wherever a driver message quoted it."""
    password = _password(url)
    return text.replace(password, "***") if password else text


def _password(url: str) -> str | None:
    try:
        raw = urlsplit(url).password
    except ValueError:
        raw = url.partition("://")[2].rpartition("@")[0].partition(":")[2] or None
    return None if not raw else unquote(raw)


def _state(exc: BaseException) -> str:
    return str(getattr(exc, "sqlstate", "") or "")


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, asyncpg.PostgresError) and _state(exc) in _RETRY


def is_driver_error(exc: BaseException) -> bool:
    """Errors that come from the database or the way to it, never a caller's bug."""
    return isinstance(
        exc, asyncpg.PostgresError | asyncpg.InterfaceError | OSError | asyncio.TimeoutError
    )


def unavailable(url: str, detail: str) -> DatabaseUnavailableError:
    return DatabaseUnavailableError(
        f"Cannot reach the PostgreSQL database {describe(url)} ({scrub(detail, url)})."
        " Check that the server is running and that DATABASE_URL names the right host,"
        " port, user, password and database."
    )


def translate(exc: BaseException, url: str) -> StorageError:
    """The StorageError for a driver (or connection) error on the database at `url`."""
    if isinstance(exc, StorageError):
        return exc
    where = describe(url)
    detail = scrub(str(exc) or type(exc).__name__, url)
    state = _state(exc)
    if state in _RETRY:
        return DatabaseBusyError(
            f"The PostgreSQL database {where} stayed locked by another process through"
            f" {WRITE_ATTEMPTS} tries ({detail}). Another Lantern (the bot, a poll, a"
            " migration) is writing the same rows; try again when it has finished."
        )
    if state == _READ_ONLY:
        return DatabaseReadOnlyError(
            f"The PostgreSQL database {where} is read-only ({detail}): Lantern can show"
            " what it holds but not change it. Point DATABASE_URL at the primary server,"
            " or turn off default_transaction_read_only."
        )
    if state in _DISK_FULL:
        return DiskFullError(
            f"The disk of the PostgreSQL server {where} is full ({detail}); nothing was"
            " written. Free some space on the server and try again."
        )
    if state in _CORRUPT:
        return DatabaseCorruptError(
            f"The PostgreSQL database {where} is damaged ({detail}). Restore it from a backup."
        )
    if (
        isinstance(exc, OSError | asyncio.TimeoutError | asyncpg.ConnectionDoesNotExistError)
        or state.startswith(_UNAVAILABLE_CLASSES)
        or isinstance(exc, asyncpg.exceptions.ClientCannotConnectError)
    ):
        return unavailable(url, detail)
    if isinstance(exc, asyncpg.InterfaceError) and "closed" in detail:
        return StorageError(f"The storage for {where} is closed ({detail}).")
    return StorageError(f"The PostgreSQL database {where} failed: {detail}")


class _HasUrl(Protocol):
    _url: str


T = TypeVar("T")


def at_the_edge(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Wrap a storage method: a transaction that lost a lock wait, a serialization
    race or a deadlock runs again after a short backoff, up to WRITE_ATTEMPTS times
    in all; every driver error leaves as a StorageError. A method is one unit of
    work whose failed transaction was rolled back, so running it again is safe."""

    @functools.wraps(method)
    async def wrapper(self: _HasUrl, *args: Any, **kwargs: Any) -> T:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return await method(self, *args, **kwargs)
            except BaseException as exc:
                if not is_driver_error(exc):
                    raise
                if is_retryable(exc) and attempt < WRITE_ATTEMPTS:
                    pause = _BACKOFF_SECONDS[attempt - 1] * (1 + random.random())
                    log.info(
                        "%s is locked; %s runs again in %.2f s (attempt %s of %s)",
                        describe(self._url), method.__name__, pause, attempt + 1,
                        WRITE_ATTEMPTS,
                    )
                    await asyncio.sleep(pause)
                    continue
                raise translate(exc, self._url) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def wrap_public_methods(cls: type, names: set[str]) -> None:
    """Apply `at_the_edge` to each public coroutine method of `cls` in `names`."""
    for name in sorted(names):
        fn = getattr(cls, name, None)
        if fn is not None and inspect.iscoroutinefunction(fn):
            setattr(cls, name, at_the_edge(fn))
