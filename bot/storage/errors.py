"""What storage raises. Driver errors (sqlite3, aiosqlite, and later the
PostgreSQL driver) never cross the storage boundary: each backend translates
them into this family, with a message a person can act on.

Every `Storage` method may raise `StorageError`; the protocol's docstrings
name the subclasses a caller is expected to handle.
"""

from __future__ import annotations

from bot.errors import LanternError


class StorageError(LanternError):
    """The database could not do what was asked. The message says what to do."""


class DatabaseUnavailableError(StorageError):
    """The database cannot be opened: a missing or unwritable place, a folder
    where a file should be, an unreachable server."""


class DatabaseBusyError(StorageError):
    """Another process held the database's write lock past the busy timeout,
    even after the transaction was retried."""


class DatabaseReadOnlyError(StorageError):
    """The database (or its folder) can be read but not written."""


class DatabaseCorruptError(StorageError):
    """The file is not a database, or fails its integrity check."""


class DiskFullError(StorageError):
    """The disk (or quota) holding the database is full; nothing was written."""


class SchemaTooNewError(StorageError):
    """The database was written by a newer Lantern; this version won't touch it."""


class SchemaTooOldError(StorageError):
    """The schema needs upgrading and this command does not upgrade it
    (`lantern db migrate` does)."""
