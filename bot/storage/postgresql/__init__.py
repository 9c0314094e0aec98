"""The PostgreSQL backend (DATABASE_URL): asyncpg pool, migrations keyed on a
`schema_version` table, the same numbered steps as SQLite's."""

from bot.storage.postgresql.backend import PostgresStorage

__all__ = ["PostgresStorage"]
