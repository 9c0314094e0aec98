"""The SQLite storage backend: all of Lantern's SQL lives here.

One write connection (transactions serialized by a lock) and one read
connection, so searches never queue behind a poll's writes (WAL mode lets the
reader see the last committed state). Rows leave this module as dataclasses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.models import (
    Article,
    Comment,
    Feed,
    ParsedArticle,
    ParsedComment,
)
from bot.storage.protocol import (
    FailureOutcome,
    FeedMeta,
    IngestResult,
    SuccessOutcome,
)
from bot.storage.sqlite import rows
from bot.storage.sqlite.guilds import GuildQueries
from bot.storage.sqlite.migrations import migrate
from bot.storage.sqlite.search import SearchQueries

log = logging.getLogger(__name__)

# A hash-only change (the publisher's `updated` is the same) rewrites the
# article at most this many times, so entries that embed the time don't churn.
HASH_CHANGE_CAP = 5
# At most this many articles of one poll are posted to one subscription.
CATCH_UP_LIMIT = 10


# A feed is wanted while it is not retired and a maintainer pinned it or a
# subscription in a guild the bot is still in needs it. Paused subscriptions
# count: the archive keeps growing, and resuming then posts only the backlog.
_WANTED = (
    "f.status != 'gone' AND (f.pinned OR EXISTS (SELECT 1 FROM subscriptions s"
    " LEFT JOIN guild_settings g ON g.guild_id = s.guild_id"
    " WHERE s.feed_id = f.id AND g.removed_at IS NULL))"
)


async def _connect(path: str) -> aiosqlite.Connection:
    db = await aiosqlite.connect(path, isolation_level=None)
    db.row_factory = sqlite3.Row
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("PRAGMA synchronous = NORMAL")
    await db.execute("PRAGMA foreign_keys = ON")
    await db.execute("PRAGMA busy_timeout = 5000")
    return db


class SqliteStorage(SearchQueries, GuildQueries):
    """Lantern's storage on one SQLite file. Open with `await SqliteStorage.open(path)`."""

    # -- lifecycle -----------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStorage:
        path = str(path)
        if path == ":memory:":
            raise ValueError("SqliteStorage needs a file: reader and writer share it")
        await asyncio.to_thread(cls.migrate_file, path)
        writer = await _connect(path)
        try:
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        return cls(writer, reader)

    @staticmethod
    def migrate_file(path: Path | str) -> tuple[int, int]:
        """Run migrations synchronously (for `lantern db migrate`)."""
        db = sqlite3.connect(str(path), isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return migrate(db)
        finally:
            db.close()

    async def close(self) -> None:
        async with self._lock:
            await self._r.close()
            await self._w.execute("PRAGMA optimize")
            await self._w.close()

    # -- feeds ---------------------------------------------------------------------

    async def add_feed(self, url: str, now: datetime, *, pinned: bool = False) -> Feed:
        """Get the feed for `url`, creating it (due now) if it is new."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO feeds (url, pinned, next_poll_at, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET pinned = pinned OR excluded.pinned",
                (url, int(pinned), rows.ts(now), rows.ts(now)),
            )
            async with db.execute("SELECT * FROM feeds WHERE url = ?", (url,)) as cur:
                row = await cur.fetchone()
        assert row is not None
        return rows.to_feed(row)

    async def get_feed(self, feed_id: int) -> Feed | None:
        row = await self._one("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return None if row is None else rows.to_feed(row)

    async def feed_by_url(self, url: str) -> Feed | None:
        row = await self._one("SELECT * FROM feeds WHERE url = ?", (url,))
        return None if row is None else rows.to_feed(row)

    async def list_feeds(self) -> list[Feed]:
        return [rows.to_feed(r) for r in await self._all("SELECT * FROM feeds ORDER BY id")]

    async def feed_article_counts(self) -> dict[int, int]:
        found = await self._all("SELECT feed_id, count(*) FROM articles GROUP BY feed_id")
        return {r[0]: r[1] for r in found}

    async def remove_feed(self, feed_id: int) -> None:
        """Delete a feed with its articles, comments and subscriptions."""
        async with self._tx() as db:
            await db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))

    async def unpin_feed(self, feed_id: int) -> None:
        async with self._tx() as db:
            await db.execute("UPDATE feeds SET pinned = 0 WHERE id = ?", (feed_id,))

    async def due_feeds(
        self, now: datetime, limit: int = 1000, *, all_: bool = False
    ) -> list[Feed]:
        """Feeds to poll now (every wanted feed with `all_`), longest overdue first."""
        found = await self._all(
            f"SELECT * FROM feeds f WHERE {_WANTED} AND (? OR next_poll_at <= ?)"
            " ORDER BY next_poll_at, id LIMIT ?",
            (int(all_), rows.ts(now), limit),
        )
        return [rows.to_feed(r) for r in found]

    async def next_poll_time(self, exclude: Sequence[int] = ()) -> datetime | None:
        """When the next wanted feed (other than `exclude`) falls due."""
        marks = ",".join("?" * len(exclude))
        row = await self._one(
            f"SELECT min(next_poll_at) FROM feeds f WHERE {_WANTED} AND id NOT IN ({marks})",
            tuple(exclude),
        )
        return None if row is None or row[0] is None else rows.req_dt(row[0])

    async def record_success(self, feed_id: int, outcome: SuccessOutcome) -> IngestResult:
        """Store a successful poll: caching info, feed metadata and articles in ONE
        transaction, so a crash can never keep the new ETag but lose the articles.
        New articles get an outbox row for every live subscription to the feed."""
        now = rows.ts(outcome.now)
        new_ids: list[int] = []
        updated_ids: list[int] = []
        unchanged = 0
        async with self._tx() as db:
            async with db.execute("SELECT status FROM feeds WHERE id = ?", (feed_id,)) as cur:
                row = await cur.fetchone()
            if row is None:
                return IngestResult((), (), 0, recovered=False)
            recovered = row["status"] == "broken"
            meta = outcome.meta or FeedMeta(None, None, None)
            await db.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, body_hash = ?,"
                " title = coalesce(?, title), site_url = coalesce(?, site_url),"
                " icon_url = coalesce(?, icon_url), status = 'active',"
                " error_count = 0, last_error = NULL, first_error_at = NULL,"
                " last_success_at = ?, next_poll_at = ? WHERE id = ?",
                (
                    outcome.etag,
                    outcome.last_modified,
                    outcome.body_hash,
                    meta.title,
                    meta.site_url,
                    meta.icon_url,
                    now,
                    rows.ts(outcome.next_poll_at),
                    feed_id,
                ),
            )
            if outcome.new_url:
                # A permanent redirect moved the feed; keep the old URL if another
                # feed row already has the new one (they merge only by hand).
                await db.execute(
                    "UPDATE feeds SET url = ? WHERE id = ?"
                    " AND NOT EXISTS (SELECT 1 FROM feeds WHERE url = ?)",
                    (outcome.new_url, feed_id, outcome.new_url),
                )
            if outcome.articles:
                keys = [a.key for a in outcome.articles]
                existing: dict[str, sqlite3.Row] = {}
                for chunk in rows.chunks(keys, 500):
                    marks = ",".join("?" * len(chunk))
                    async with db.execute(
                        "SELECT id, key, content_hash, updated_at, hash_changes, comment_count"
                        f" FROM articles WHERE feed_id = ? AND key IN ({marks})",
                        (feed_id, *chunk),
                    ) as cur:
                        existing.update({r["key"]: r async for r in cur})
                fresh: list[ParsedArticle] = []
                changed: list[tuple[ParsedArticle, int, bool]] = []
                counts: list[tuple[int, int]] = []
                for art in outcome.articles:
                    old = existing.get(art.key)
                    if old is None:
                        fresh.append(art)
                    elif old["content_hash"] != art.content_hash:
                        real_update = rows.ts(art.updated) != old["updated_at"]
                        if real_update or old["hash_changes"] < HASH_CHANGE_CAP:
                            changed.append((art, old["id"], real_update))
                        else:
                            unchanged += 1
                    else:
                        if art.comment_count not in (None, old["comment_count"]):
                            counts.append((art.comment_count, old["id"]))
                        unchanged += 1
                # Batched: a poll is a handful of statements, not one per article.
                new_ids = await _insert_articles(db, feed_id, fresh, now)
                await db.executemany(_UPDATE_ARTICLE, [_update_row(*c) for c in changed])
                updated_ids = [c[1] for c in changed]
                await db.executemany("UPDATE articles SET comment_count = ? WHERE id = ?", counts)
                if new_ids:
                    await self._queue_deliveries(db, feed_id, new_ids, now)
        return IngestResult(tuple(new_ids), tuple(updated_ids), unchanged, recovered=recovered)

    @staticmethod
    async def _queue_deliveries(
        db: aiosqlite.Connection, feed_id: int, article_ids: Sequence[int], now: int | None
    ) -> None:
        """Outbox rows for new articles, per live subscription. More than
        CATCH_UP_LIMIT at once (downtime, a feed re-keying everything) posts the
        newest ones and a note counting the rest, instead of flooding a channel."""
        marks = ",".join("?" * len(article_ids))
        async with db.execute(
            f"SELECT id FROM articles WHERE id IN ({marks}) ORDER BY published_at, id",
            tuple(article_ids),
        ) as cur:
            ordered = [r[0] async for r in cur]
        async with db.execute(
            "SELECT s.id FROM subscriptions s LEFT JOIN guild_settings g USING (guild_id)"
            " WHERE s.feed_id = ? AND s.paused = 0 AND g.removed_at IS NULL",
            (feed_id,),
        ) as cur:
            subscription_ids = [r[0] async for r in cur]
        for sub_id in subscription_ids:
            await _queue_for(db, sub_id, ordered, now)

    async def record_failure(self, feed_id: int, outcome: FailureOutcome) -> Feed | None:
        """Count a failed poll. The feed turns 'broken' once failures have lasted
        `broken_after` seconds; `gone` retires it for good (HTTP 410)."""
        now = rows.ts(outcome.now)
        async with self._tx() as db:
            await db.execute(
                "UPDATE feeds SET error_count = error_count + 1, last_error = ?,"
                " first_error_at = coalesce(first_error_at, ?), next_poll_at = ?,"
                " status = CASE WHEN ? THEN 'gone'"
                "   WHEN status = 'active' AND ? - coalesce(first_error_at, ?) >= ? THEN 'broken'"
                "   ELSE status END"
                " WHERE id = ?",
                (
                    outcome.error,
                    now,
                    rows.ts(outcome.next_poll_at),
                    int(outcome.gone),
                    now,
                    now,
                    outcome.broken_after,
                    feed_id,
                ),
            )
            async with db.execute("SELECT * FROM feeds WHERE id = ?", (feed_id,)) as cur:
                row = await cur.fetchone()
        return None if row is None else rows.to_feed(row)

    # -- articles ------------------------------------------------------------------

    async def get_article(self, article_id: int) -> Article | None:
        row = await self._one("SELECT * FROM articles WHERE id = ?", (article_id,))
        return None if row is None else rows.to_article(row)

    async def get_articles(self, article_ids: Iterable[int]) -> list[Article]:
        ids = list(article_ids)
        out: dict[int, Article] = {}
        for chunk in rows.chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for r in await self._all(f"SELECT * FROM articles WHERE id IN ({marks})", chunk):
                out[r["id"]] = rows.to_article(r)
        return [out[i] for i in ids if i in out]

    async def latest_articles(
        self, limit: int = 10, *, feed_id: int | None = None, guild_id: int | None = None
    ) -> list[Article]:
        where, params = rows.scope(feed_id, guild_id)
        found = await self._all(
            f"SELECT a.* FROM articles a WHERE {where} ORDER BY a.published_at DESC, a.id DESC"
            " LIMIT ?",
            (*params, limit),
        )
        return [rows.to_article(r) for r in found]

    async def count_articles(self) -> int:
        row = await self._one("SELECT count(*) FROM articles")
        return 0 if row is None else int(row[0])

    # -- source comments -----------------------------------------------------------

    async def comment_polls_due(
        self, now: datetime, published_since: datetime, limit: int = 100
    ) -> list[Article]:
        """Recent articles whose comments feed is due for a poll."""
        found = await self._all(
            "SELECT a.* FROM articles a JOIN feeds f ON f.id = a.feed_id"
            " WHERE a.comments_feed_url IS NOT NULL AND a.comments_next_poll_at <= ?"
            " AND a.published_at >= ? AND f.status != 'gone'"
            " ORDER BY a.comments_next_poll_at LIMIT ?",
            (rows.ts(now), rows.ts(published_since), limit),
        )
        return [rows.to_article(r) for r in found]

    async def comments_cache(self, article_id: int) -> tuple[str | None, str | None]:
        row = await self._one(
            "SELECT comments_etag, comments_last_modified FROM articles WHERE id = ?",
            (article_id,),
        )
        return (None, None) if row is None else (row[0], row[1])

    async def record_comments(
        self,
        article_id: int,
        comments: Sequence[ParsedComment] | None,
        *,
        next_poll_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> int:
        """Store a comments poll (None: unchanged or failed). Returns how many were new."""
        new = 0
        async with self._tx() as db:
            if comments is not None:
                before = await _count(db, article_id)
                await db.executemany(
                    "INSERT INTO comments (article_id, key, author, published_at, text, link,"
                    " content_hash) VALUES (?,?,?,?,?,?,?)"
                    " ON CONFLICT (article_id, key) DO UPDATE SET author = excluded.author,"
                    " text = excluded.text, link = excluded.link,"
                    " content_hash = excluded.content_hash"
                    " WHERE content_hash != excluded.content_hash",
                    [
                        (
                            article_id,
                            c.key,
                            c.author,
                            rows.ts(c.published),
                            c.text,
                            c.link,
                            c.content_hash,
                        )
                        for c in comments
                    ],
                )
                stored = await _count(db, article_id)
                new = stored - before
                await db.execute(
                    "UPDATE articles SET comments_etag = ?, comments_last_modified = ?,"
                    " comment_count = max(coalesce(comment_count, 0), ?) WHERE id = ?",
                    (etag, last_modified, stored, article_id),
                )
            await db.execute(
                "UPDATE articles SET comments_next_poll_at = ? WHERE id = ?",
                (rows.ts(next_poll_at), article_id),
            )
        return new

    async def comments_for(self, article_id: int, limit: int = 3) -> list[Comment]:
        found = await self._all(
            "SELECT * FROM comments WHERE article_id = ?"
            " ORDER BY published_at DESC, id DESC LIMIT ?",
            (article_id, limit),
        )
        return [rows.to_comment(r) for r in found]

    async def count_comments(self, article_id: int) -> int:
        row = await self._one("SELECT count(*) FROM comments WHERE article_id = ?", (article_id,))
        return 0 if row is None else int(row[0])


_INSERT_ARTICLE = (
    "INSERT INTO articles (feed_id, key, link, title, summary, content, author,"
    " published_at, updated_at, has_date, image_url, categories, comments_url,"
    " comments_feed_url, comment_count, content_hash, first_seen_at,"
    " comments_next_poll_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT (feed_id, key) DO NOTHING"
)

_UPDATE_ARTICLE = (
    "UPDATE articles SET link = ?, title = ?, summary = ?, content = ?, author = ?,"
    " updated_at = ?, image_url = ?, categories = ?, comments_url = ?,"
    " comments_feed_url = coalesce(?, comments_feed_url),"
    " comment_count = coalesce(?, comment_count), content_hash = ?,"
    " hash_changes = hash_changes + ?, revision = revision + 1,"
    " published_at = CASE WHEN has_date THEN coalesce(?, published_at)"
    "   ELSE published_at END"
    " WHERE id = ?"
)


async def _insert_articles(
    db: aiosqlite.Connection, feed_id: int, articles: Sequence[ParsedArticle], now: int | None
) -> list[int]:
    """Insert new articles; returns their ids in the order given."""
    if not articles:
        return []
    await db.executemany(
        _INSERT_ARTICLE,
        [
            (
                feed_id,
                a.key,
                a.link,
                a.title,
                a.summary,
                a.content,
                a.author,
                rows.ts(a.published) or rows.ts(a.updated) or now,
                rows.ts(a.updated),
                int(a.published is not None or a.updated is not None),
                a.image_url,
                json.dumps(list(a.categories)),
                a.comments_url,
                a.comments_feed_url,
                a.comment_count,
                a.content_hash,
                now,
                now if a.comments_feed_url else None,
            )
            for a in articles
        ],
    )
    ids: dict[str, int] = {}
    for chunk in rows.chunks([a.key for a in articles], 500):
        marks = ",".join("?" * len(chunk))
        async with db.execute(
            f"SELECT id, key FROM articles WHERE feed_id = ? AND key IN ({marks})",
            (feed_id, *chunk),
        ) as cur:
            ids.update({r["key"]: r["id"] async for r in cur})
    return [ids[a.key] for a in articles if a.key in ids]


def _update_row(a: ParsedArticle, article_id: int, real_update: bool) -> tuple[Any, ...]:
    return (
        a.link,
        a.title,
        a.summary,
        a.content,
        a.author,
        rows.ts(a.updated),
        a.image_url,
        json.dumps(list(a.categories)),
        a.comments_url,
        a.comments_feed_url,
        a.comment_count,
        a.content_hash,
        0 if real_update else 1,
        rows.ts(a.published),
        article_id,
    )


async def _queue_for(
    db: aiosqlite.Connection, subscription_id: int, ordered_ids: Sequence[int], now: int | None
) -> int:
    """Queue `ordered_ids` (oldest first) for one subscription, capped. Returns rows queued."""
    keep = list(ordered_ids[-CATCH_UP_LIMIT:])
    skipped = len(ordered_ids) - len(keep)
    await db.executemany(
        "INSERT OR IGNORE INTO deliveries (subscription_id, article_id, next_attempt_at,"
        " created_at, note_skipped) VALUES (?, ?, ?, ?, ?)",
        [(subscription_id, aid, now, now, skipped if n == 0 else 0) for n, aid in enumerate(keep)],
    )
    return len(keep)


async def _count(db: aiosqlite.Connection, article_id: int) -> int:
    async with db.execute("SELECT count(*) FROM comments WHERE article_id = ?", (article_id,)) as c:
        row = await c.fetchone()
    return int(row[0]) if row else 0
