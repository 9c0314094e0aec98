"""What the PostgreSQL modules share: the pool and its transactions, scoping
helpers. Rows become records in bot/storage/records.py (times are integer Unix
seconds in the database, as in SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Row = asyncpg.Record
# What a transaction hands out: a pooled connection.
Conn = PoolConnectionProxy


def affected(status: str) -> int:
    """Rows a statement touched, from asyncpg's status string ("DELETE 3")."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def scope(feed_id: int | None, guild_id: int | None, first: int = 1) -> tuple[str, list[Any]]:
    """WHERE clauses limiting articles `a` to a feed and/or a guild's feeds;
    placeholders are numbered from `first`."""
    clauses = ["true"]
    params: list[Any] = []
    if feed_id is not None:
        params.append(feed_id)
        clauses.append(f"a.feed_id = ${first + len(params) - 1}")
    if guild_id is not None:
        params.append(guild_id)
        clauses.append(
            f"a.feed_id IN (SELECT feed_id FROM guild_feeds WHERE guild_id ="
            f" ${first + len(params) - 1})"
        )
    return " AND ".join(clauses), params


class Connections:
    """The pool every PostgreSQL module works through."""

    def __init__(self, pool: asyncpg.Pool, *, url: str, read_only: bool = False) -> None:
        self._pool = pool
        self._url = url
        self._read_only = read_only

    @property
    def read_only(self) -> bool:
        return self._read_only

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[Conn]:
        """One connection in one transaction (READ COMMITTED; the methods lock the
        rows whose reads their writes depend on)."""
        async with self._pool.acquire() as conn, conn.transaction():
            yield conn

    async def _one(self, sql: str, *params: Any) -> Row | None:
        row: Row | None = await self._pool.fetchrow(sql, *params)
        return row

    async def _all(self, sql: str, *params: Any) -> list[Row]:
        return list(await self._pool.fetch(sql, *params))

    async def _val(self, sql: str, *params: Any) -> Any:
        return await self._pool.fetchval(sql, *params)


def ids(values: Sequence[int]) -> list[int]:
    return [int(v) for v in values]
