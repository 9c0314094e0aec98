"""The SQLite backend (the embedded default): WAL, FTS5, migrations keyed on
`PRAGMA user_version`."""

from bot.storage.sqlite.backend import SqliteStorage

__all__ = ["SqliteStorage"]
