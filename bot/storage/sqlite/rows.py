"""What the SQLite modules share: the two connections and their transactions,
scoping and chunking helpers. Rows become records in bot/storage/records.py."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from bot.storage.errors import DatabaseReadOnlyError


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def scope(
    feed_id: int | None, guild_id: int | None, *, fts: bool = False
) -> tuple[str, list[Any]]:
    """WHERE clauses limiting articles `a` to a feed and/or a guild's feeds. With
    `fts` (FTS joins), the unary + keeps SQLite from probing the covering index
    once per subscribed feed for every match."""
    column = "+a.feed_id" if fts else "a.feed_id"
    clauses = ["1"]
    params: list[Any] = []
    if feed_id is not None:
        clauses.append(f"{column} = ?")
        params.append(feed_id)
    if guild_id is not None:
        clauses.append(f"{column} IN (SELECT feed_id FROM guild_feeds WHERE guild_id = ?)")
        params.append(guild_id)
    return " AND ".join(clauses), params


class Connections:
    """The two connections every SQLite module works through. A read-only store
    (the file or its folder can't be written) refuses transactions up front."""

    def __init__(
        self,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        *,
        path: str = "the database",
        read_only: bool = False,
    ) -> None:
        self._w = writer
        self._r = reader
        self._lock = asyncio.Lock()
        self._path = path
        self._read_only = read_only

    @property
    def read_only(self) -> bool:
        return self._read_only

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._read_only:
            raise DatabaseReadOnlyError(
                f"{self._path} is read-only, so Lantern can show what it holds but not"
                " change it. Make the file and its folder writable by the user running"
                " Lantern."
            )
        async with self._lock:
            await self._w.execute("BEGIN IMMEDIATE")
            try:
                yield self._w
            except BaseException:
                # A failed COMMIT can leave no transaction open: nothing to undo then.
                if self._w.in_transaction:
                    await self._w.execute("ROLLBACK")
                raise
            else:
                await self._w.execute("COMMIT")

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self._r.execute(sql, params) as cur:
            row: sqlite3.Row | None = await cur.fetchone()
            return row

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._r.execute(sql, params) as cur:
            return list(await cur.fetchall())
