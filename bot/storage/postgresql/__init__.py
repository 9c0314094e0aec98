"""The PostgreSQL backend (DATABASE_URL): asyncpg pool, migrations keyed on a
`schema_version` table, the same numbered steps as SQLite's. search.py is its
SearchStore half, search_schema.py the DDL that search adds to the base tables."""

from bot.storage.postgresql.backend import PostgresStorage

__all__ = ["PostgresStorage"]
