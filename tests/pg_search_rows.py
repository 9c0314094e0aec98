"""Rows for the PostgreSQL search tests, written straight into the backend's
tables (bot/storage/postgresql/migrations.py) on a database of `pg_server`."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]

from tests.pgserver import PgServer

_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


@asynccontextmanager
async def fresh_pool(server: PgServer) -> AsyncIterator[Any]:
    """A pool on a new, migrated database of the session's server; dropped afterwards."""
    url = await server.fresh_database()
    pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()
        await server.drop(url)


async def add_feed(pool: Any, url: str, *guilds: int) -> int:
    """A feed in the scope of `guilds`; returns its id."""
    async with pool.acquire() as conn:
        feed_id = int(
            await conn.fetchval(
                "INSERT INTO feeds (url, next_poll_at, created_at) VALUES ($1, 0, 0)"
                " RETURNING id",
                url,
            )
        )
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
    when = int((published or _EPOCH).timestamp())
    key = f"k{next(_keys)}"
    async with pool.acquire() as conn:
        if article_id is None:
            article_id = int(
                await conn.fetchval(
                    "INSERT INTO articles (feed_id, key, link, title, summary, content, author,"
                    " published_at, categories, has_date, content_hash, first_seen_at)"
                    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,true,$2,$8) RETURNING id",
                    feed_id, key, link, title, summary, content, author, when,
                    json.dumps(list(categories)),
                )
            )
        else:
            await conn.execute(
                "INSERT INTO articles (id, feed_id, key, link, title, summary, content, author,"
                " published_at, has_date, content_hash, first_seen_at)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,true,$3,$9)",
                article_id, feed_id, key, link, title, summary, content, author, when,
            )
    return article_id


async def add_comment(pool: Any, article_id: int, text: str, author: str | None = None) -> int:
    """A source comment on an article; returns its id."""
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "INSERT INTO comments (article_id, key, author, text, content_hash)"
                " VALUES ($1, $2, $3, $4, $2) RETURNING id",
                article_id, f"c{next(_keys)}", author, text,
            )
        )

