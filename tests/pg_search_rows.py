"""Rows for the PostgreSQL search tests, written straight into the stand-in
tables of tests/pg_search_fixture.py (the pool comes from its `pg_pool`)."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]

TEMPLATE = "lantern_search_template"  # pg_search_fixture.py fills it once per session
_db_ids = itertools.count(1)


@asynccontextmanager
async def fresh_pool(dsn: Callable[[str], str]) -> AsyncIterator[Any]:
    """A pool on a new database copied from the template; dropped afterwards."""
    name = f"t{os.getpid()}_{next(_db_ids)}"
    admin = await asyncpg.connect(dsn("postgres"))
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    finally:
        await admin.close()
    pool = await asyncpg.create_pool(dsn(name), min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()
        admin = await asyncpg.connect(dsn("postgres"))
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


async def add_feed(pool: Any, url: str, *guilds: int) -> int:
    """A feed in the scope of `guilds`; returns its id."""
    async with pool.acquire() as conn:
        feed_id = int(await conn.fetchval("INSERT INTO feeds (url) VALUES ($1) RETURNING id", url))
        for g in guilds:
            await conn.execute(
                "INSERT INTO guild_feeds (guild_id, feed_id) VALUES ($1, $2)", g, feed_id
            )
    return feed_id


_keys = itertools.count(1)


async def add_article(
    pool: Any,
    feed_id: int,
    title: str,
    summary: str = "",
    content: str = "",
    *,
    author: str | None = None,
    published: datetime | None = None,
    link: str | None = None,
    article_id: int | None = None,
    categories: tuple[str, ...] = (),
) -> int:
    """Insert an article (ids grow in insertion order); returns its id."""
    published = published or datetime(2025, 1, 1, tzinfo=UTC)
    key = f"k{next(_keys)}"
    async with pool.acquire() as conn:
        if article_id is None:
            article_id = int(
                await conn.fetchval(
                    "INSERT INTO articles (feed_id, key, link, title, summary, content, author,"
                    " published_at, categories) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
                    feed_id, key, link, title, summary, content, author, published,
                    json.dumps(list(categories)),
                )
            )
        else:
            await conn.execute(
                "INSERT INTO articles (id, feed_id, key, link, title, summary, content, author,"
                " published_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                article_id, feed_id, key, link, title, summary, content, author, published,
            )
    return article_id


async def add_comment(pool: Any, article_id: int, text: str, author: str | None = None) -> int:
    """A source comment on an article; returns its id."""
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "INSERT INTO comments (article_id, key, author, text) VALUES ($1, $2, $3, $4)"
                " RETURNING id",
                article_id, f"c{next(_keys)}", author, text,
            )
        )

