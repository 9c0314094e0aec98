"""The search part of the PostgreSQL schema, kept apart so the search code owns it.

`search_ddl()` returns the statements (tsvector columns, GIN indexes, the
unaccent extension, the text search configuration, triggers) that migration
step 2 (migrations.py, "search") runs, in order, inside that step's
transaction. The search helper (bot/storage/postgresql/search.py) fills it in;
until then the core tables work without a search index.
"""

from __future__ import annotations


def search_ddl() -> list[str]:
    """Statements creating the search index, run by migration step 2."""
    return []
