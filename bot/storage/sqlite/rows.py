"""Row <-> record conversion shared by the SQLite modules. Times are stored as
integer Unix seconds and come back as aware UTC datetimes."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.models import (
    Article,
    Comment,
    Delivery,
    DeliveryStatus,
    Feed,
    FeedStatus,
    GuildSettings,
    PostStyle,
    Subscription,
)
from bot.storage.errors import DatabaseReadOnlyError


def ts(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def dt(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def req_dt(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def to_feed(r: sqlite3.Row) -> Feed:
    return Feed(
        id=r["id"],
        url=r["url"],
        title=r["title"],
        site_url=r["site_url"],
        icon_url=r["icon_url"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        body_hash=r["body_hash"],
        status=FeedStatus(r["status"]),
        error_count=r["error_count"],
        last_error=r["last_error"],
        first_error_at=dt(r["first_error_at"]),
        last_success_at=dt(r["last_success_at"]),
        next_poll_at=req_dt(r["next_poll_at"]),
        created_at=req_dt(r["created_at"]),
    )


def to_article(r: sqlite3.Row) -> Article:
    return Article(
        id=r["id"],
        feed_id=r["feed_id"],
        key=r["key"],
        link=r["link"],
        title=r["title"],
        summary=r["summary"],
        content=r["content"],
        author=r["author"],
        published_at=req_dt(r["published_at"]),
        updated_at=dt(r["updated_at"]),
        has_date=bool(r["has_date"]),
        image_url=r["image_url"],
        categories=tuple(json.loads(r["categories"])),
        comments_url=r["comments_url"],
        comments_feed_url=r["comments_feed_url"],
        comment_count=r["comment_count"],
        content_hash=r["content_hash"],
        first_seen_at=req_dt(r["first_seen_at"]),
        revision=r["revision"],
    )


def to_comment(r: sqlite3.Row) -> Comment:
    return Comment(
        id=r["id"],
        article_id=r["article_id"],
        key=r["key"],
        author=r["author"],
        published_at=dt(r["published_at"]),
        text=r["text"],
        link=r["link"],
    )


def to_subscription(r: sqlite3.Row) -> Subscription:
    return Subscription(
        id=r["id"],
        guild_id=r["guild_id"],
        channel_id=r["channel_id"],
        feed_id=r["feed_id"],
        name=r["name"],
        backlog=r["backlog"],
        paused=bool(r["paused"]),
        pause_reason=r["pause_reason"],
        include=tuple(json.loads(r["include_terms"])),
        exclude=tuple(json.loads(r["exclude_terms"])),
        mention_role_id=r["mention_role_id"],
        threads=bool(r["threads"]),
        style=PostStyle(r["style"]),
        added_by=r["added_by"],
        created_at=req_dt(r["created_at"]),
    )


def to_delivery(r: sqlite3.Row) -> Delivery:
    return Delivery(
        id=r["id"],
        subscription_id=r["subscription_id"],
        article_id=r["article_id"],
        channel_id=r["channel_id"],
        guild_id=r["guild_id"],
        status=DeliveryStatus(r["status"]),
        attempts=r["attempts"],
        next_attempt_at=req_dt(r["next_attempt_at"]),
        message_id=r["message_id"],
        thread_id=r["thread_id"],
        last_error=r["last_error"],
        created_at=req_dt(r["created_at"]),
        sent_at=dt(r["sent_at"]),
        note_skipped=r["note_skipped"],
    )


def to_guild_settings(r: sqlite3.Row) -> GuildSettings:
    warnings = r["content_warnings"]
    return GuildSettings(
        guild_id=r["guild_id"],
        moderator_role_id=r["moderator_role_id"],
        log_channel_id=r["log_channel_id"],
        content_warnings=None if warnings is None else tuple(json.loads(warnings)),
        resources=r["resources"],
        subscription_quota=r["subscription_quota"],
        removed_at=dt(r["removed_at"]),
    )


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
