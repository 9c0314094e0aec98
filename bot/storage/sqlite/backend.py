"""The SQLite storage backend: all of Lantern's SQL lives here.

One write connection (transactions serialized by a lock) and one read
connection, so searches never queue behind a poll's writes (WAL mode lets the
reader see the last committed state). Rows leave this module as dataclasses.

Around every public method, edge.py turns driver errors into StorageError and
runs a transaction that found the file locked again; files.py checks and
upgrades the file at open. The rules applied here (which feeds are due, caps,
the per-channel hold-back) are bot.feeds.rules and bot.posting.rules.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.feeds import rules as feed_rules
from bot.models import (
    Article,
    Comment,
    Feed,
    FeedStatus,
    ParsedArticle,
    ParsedComment,
)
from bot.storage import records
from bot.storage.protocol import (
    FailureOutcome,
    FeedMeta,
    IngestResult,
    SuccessOutcome,
)
from bot.storage.sqlite import files, rows
from bot.storage.sqlite.edge import (
    BUSY_TIMEOUT_SECONDS,
    at_the_edge,
    translate,
    wrap_public_methods,
)
from bot.storage.sqlite.guilds import GuildQueries
from bot.storage.sqlite.search import SearchQueries

log = logging.getLogger(__name__)

# Live subscriptions of a feed: in a guild the bot has not left. Paused ones count
# for polling (the archive keeps growing), not for delivery.
_LIVE_SUBSCRIPTIONS = (
    "(SELECT count(*) FROM subscriptions s LEFT JOIN guild_settings g USING (guild_id)"
    " WHERE s.feed_id = f.id AND g.removed_at IS NULL)"
)


async def _connect(uri: str, busy_timeout: float) -> aiosqlite.Connection:
    db = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    except BaseException:
        await db.close()
        raise
    return db


class SqliteStorage(SearchQueries, GuildQueries):
    """Lantern's storage on one SQLite file. Open with `await SqliteStorage.open(path)`.

    Every public method may raise StorageError (see bot/storage/errors.py): driver
    errors are translated at this edge (edge.py), and a transaction that finds the
    file locked by another process is run again, WRITE_ATTEMPTS times in all.
    """

    # -- lifecycle -----------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        read_only: bool = False,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    ) -> SqliteStorage:
        """Open (creating and upgrading when needed) the database at `path`.

        A file (or folder) this user cannot write is opened read-only: reading
        works, writing raises DatabaseReadOnlyError. Raises DatabaseUnavailableError
        (a folder, a missing or unwritable place), DatabaseCorruptError (not a
        database, or fails a quick integrity check), SchemaTooNewError (written by
        a newer Lantern), SchemaTooOldError (read-only and not yet upgraded),
        DatabaseBusyError (another process kept it locked while upgrading).
        """
        if str(path) == ":memory:":
            raise ValueError("SqliteStorage needs a file: reader and writer share it")
        file = Path(path)
        read_only = await asyncio.to_thread(
            files.prepare_file, file, read_only=read_only, busy_timeout=busy_timeout
        )
        uri = files.uri(file, read_only)
        try:
            writer = await _connect(uri, busy_timeout)
        except sqlite3.Error as exc:
            raise translate(exc, str(file)) from exc
        try:
            reader = await _connect(uri, busy_timeout)
        except BaseException as exc:
            await writer.close()
            if isinstance(exc, sqlite3.Error):
                raise translate(exc, str(file)) from exc
            raise
        if read_only:
            log.info("%s is read-only: reading works, changes will be refused", file)
        return cls(writer, reader, path=str(file), read_only=read_only)

    @staticmethod
    def migrate_file(path: Path | str) -> tuple[int, int]:
        """Bring the file's schema up to date (for `lantern db migrate`).
        Returns (version before, version after). Raises like `open`, and
        DatabaseReadOnlyError when a read-only file needs upgrading."""
        file = Path(path)
        files.check_place(file, read_only=False)
        before = files.user_version(file)
        files.prepare_file(
            file, read_only=False, busy_timeout=BUSY_TIMEOUT_SECONDS, for_migrate=True
        )
        return before, files.user_version(file)

    async def close(self) -> None:
        """Close both connections; never raises for a busy database, never hangs
        past an in-flight transaction. Statistics are refreshed best-effort."""
        async with self._lock:
            try:
                if not self._read_only:
                    await files.optimize(self._w, self._path)
            finally:
                for conn in (self._r, self._w):
                    try:
                        await conn.close()
                    except Exception:  # the connection is gone either way
                        log.warning("closing %s failed", self._path, exc_info=True)

    # -- feeds ---------------------------------------------------------------------

    async def add_feed(self, url: str, now: datetime, *, pinned: bool = False) -> Feed:
        """Get the feed for `url`, creating it (due now) if it is new."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO feeds (url, pinned, next_poll_at, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET pinned = pinned OR excluded.pinned",
                (url, int(pinned), records.ts(now), records.ts(now)),
            )
            async with db.execute("SELECT * FROM feeds WHERE url = ?", (url,)) as cur:
                row = await cur.fetchone()
        assert row is not None
        return records.to_feed(row)

    async def get_feed(self, feed_id: int) -> Feed | None:
        row = await self._one("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return None if row is None else records.to_feed(row)

    async def feed_by_url(self, url: str) -> Feed | None:
        row = await self._one("SELECT * FROM feeds WHERE url = ?", (url,))
        return None if row is None else records.to_feed(row)

    async def list_feeds(self) -> list[Feed]:
        return [records.to_feed(r) for r in await self._all("SELECT * FROM feeds ORDER BY id")]

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
        """Feeds to poll now (every wanted feed with `all_`), longest overdue first.
        The rule is bot.feeds.rules.feed_is_due; SQL only narrows the candidates."""
        due: list[Feed] = []
        # Read lazily: candidates come most overdue first, so this stops at `limit`.
        async with self._r.execute(
            f"SELECT f.*, {_LIVE_SUBSCRIPTIONS} AS live FROM feeds f"
            " WHERE f.status != 'gone' AND (? OR f.next_poll_at <= ?)"
            " ORDER BY f.next_poll_at, f.id",
            (int(all_), records.ts(now)),
        ) as cur:
            async for r in cur:
                feed = records.to_feed(r)
                if feed_rules.feed_is_due(
                    feed.status,
                    feed.next_poll_at,
                    now,
                    pinned=bool(r["pinned"]),
                    live_subscriptions=r["live"],
                    all_=all_,
                ):
                    due.append(feed)
                    if len(due) >= limit:
                        break
        return due

    async def next_poll_time(self, exclude: Sequence[int] = ()) -> datetime | None:
        """When the next wanted feed (other than `exclude`) falls due."""
        skip = set(exclude)
        async with self._r.execute(
            f"SELECT f.id, f.status, f.pinned, f.next_poll_at, {_LIVE_SUBSCRIPTIONS} AS live"
            " FROM feeds f WHERE f.status != 'gone' ORDER BY f.next_poll_at, f.id"
        ) as cur:
            async for r in cur:  # soonest first: usually the first row answers
                wanted = feed_rules.feed_is_wanted(
                    FeedStatus(r["status"]),
                    pinned=bool(r["pinned"]),
                    live_subscriptions=r["live"],
                )
                if wanted and r["id"] not in skip:
                    return records.req_dt(r["next_poll_at"])
        return None

    async def record_success(self, feed_id: int, outcome: SuccessOutcome) -> IngestResult:
        """Store a successful poll: caching info, feed metadata and articles in ONE
        transaction, so a crash can never keep the new ETag but lose the articles.
        New articles get an outbox row for every live subscription to the feed.

        A poll of more than INGEST_CHUNK articles is written in several short
        transactions (other processes wait for each, not for all), the caching info
        in the last one: a crash in between refetches, and what was stored already
        is not queued again. What gets posted is decided for the whole poll first."""
        articles = outcome.articles or ()
        if len(articles) <= INGEST_CHUNK:
            done = await self._ingest(feed_id, outcome, articles, final=True, posting=None)
            return done or IngestResult((), (), 0, recovered=False)
        posting = await self._plan_posting(feed_id, articles, outcome.now)
        parts = list(rows.chunks(articles, INGEST_CHUNK))
        results: list[IngestResult] = []
        for n, part in enumerate(parts):
            done = await self._ingest(
                feed_id, outcome, tuple(part), final=n == len(parts) - 1, posting=posting
            )
            if done is None:  # the feed was deleted meanwhile
                return IngestResult((), (), 0, recovered=False)
            results.append(done)
        return IngestResult(
            tuple(i for r in results for i in r.new_ids),
            tuple(i for r in results for i in r.updated_ids),
            sum(r.unchanged for r in results),
            recovered=results[-1].recovered,
        )

    async def _plan_posting(
        self, feed_id: int, articles: Sequence[ParsedArticle], now: datetime
    ) -> feed_rules.PollPosting:
        """Which of a big poll's new articles are posted (bot.feeds.rules.catch_up),
        decided once for the poll, as the single-transaction path decides it."""
        known: set[str] = set()
        keys = [a.key for a in articles]
        for chunk in rows.chunks(keys, 500):
            marks = ",".join("?" * len(chunk))
            found = await self._all(
                f"SELECT key FROM articles WHERE feed_id = ? AND key IN ({marks})",
                (feed_id, *chunk),
            )
            known.update(r[0] for r in found)
        return feed_rules.poll_posting(articles, known, now)

    @at_the_edge
    async def _ingest(
        self,
        feed_id: int,
        outcome: SuccessOutcome,
        articles: tuple[ParsedArticle, ...],
        *,
        final: bool,
        posting: feed_rules.PollPosting | None,
    ) -> IngestResult | None:
        """One write transaction of a poll; `final` also stores the caching info.
        None when the feed does not exist."""
        now = records.ts(outcome.now)
        new_ids: list[int] = []
        updated_ids: list[int] = []
        unchanged = 0
        async with self._tx() as db:
            async with db.execute("SELECT status FROM feeds WHERE id = ?", (feed_id,)) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            recovered = row["status"] == FeedStatus.BROKEN
            if final:
                await _store_feed_success(db, feed_id, outcome)
            if articles:
                keys = [a.key for a in articles]
                stored: dict[str, feed_rules.StoredVersion] = {}
                for chunk in rows.chunks(keys, 500):
                    marks = ",".join("?" * len(chunk))
                    async with db.execute(
                        "SELECT id, key, content_hash, updated_at, hash_changes, comment_count"
                        f" FROM articles WHERE feed_id = ? AND key IN ({marks})",
                        (feed_id, *chunk),
                    ) as cur:
                        async for r in cur:
                            stored[r["key"]] = feed_rules.StoredVersion(
                                id=r["id"],
                                content_hash=r["content_hash"],
                                updated_at=records.dt(r["updated_at"]),
                                hash_changes=r["hash_changes"],
                                comment_count=r["comment_count"],
                            )
                plan = feed_rules.plan_ingest(articles, stored)
                unchanged = plan.unchanged
                # Batched: a poll is a handful of statements, not one per article.
                new_ids = await _insert_articles(db, feed_id, plan.fresh, now)
                await db.executemany(
                    _UPDATE_ARTICLE, [records.rewrite_params(w) for w in plan.rewrites]
                )
                updated_ids = [w.stored_id for w in plan.rewrites]
                await db.executemany(
                    "UPDATE articles SET comment_count = ? WHERE id = ?",
                    [(count, aid) for aid, count in plan.comment_counts],
                )
                if new_ids and posting is None:
                    await self._queue_deliveries(db, feed_id, new_ids, now)
                elif new_ids and posting is not None:
                    # Under the write lock the fresh ones were all inserted: ids align.
                    by_key = dict(zip((a.key for a in plan.fresh), new_ids, strict=True))
                    await _queue_rows(
                        db,
                        feed_id,
                        [
                            (aid, posting.skipped if key == posting.note_key else 0)
                            for key, aid in by_key.items()
                            if key in posting.post_keys
                        ],
                        now,
                    )
        return IngestResult(tuple(new_ids), tuple(updated_ids), unchanged, recovered=recovered)

    @staticmethod
    async def _queue_deliveries(
        db: aiosqlite.Connection, feed_id: int, article_ids: Sequence[int], now: int | None
    ) -> None:
        """Outbox rows for new articles, per live subscription, capped by
        bot.feeds.rules.catch_up."""
        marks = ",".join("?" * len(article_ids))
        async with db.execute(
            f"SELECT id FROM articles WHERE id IN ({marks}) ORDER BY published_at, id",
            tuple(article_ids),
        ) as cur:
            ordered = [r[0] async for r in cur]
        plan = feed_rules.catch_up(ordered)
        rows_ = [(aid, plan.skipped if n == 0 else 0) for n, aid in enumerate(plan.post)]
        await _queue_rows(db, feed_id, rows_, now)

    async def record_failure(self, feed_id: int, outcome: FailureOutcome) -> Feed | None:
        """Count a failed poll; the new status is bot.feeds.rules.status_after_failure
        (broken once failures lasted `broken_after` s, gone for good on HTTP 410)."""
        async with self._tx() as db:
            async with db.execute(
                "SELECT status, first_error_at FROM feeds WHERE id = ?", (feed_id,)
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            first_error_at = records.dt(row["first_error_at"]) or outcome.now
            status = feed_rules.status_after_failure(
                FeedStatus(row["status"]),
                first_error_at=first_error_at,
                now=outcome.now,
                broken_after=outcome.broken_after,
                gone=outcome.gone,
            )
            async with db.execute(
                "UPDATE feeds SET error_count = error_count + 1, last_error = ?,"
                " first_error_at = ?, next_poll_at = ?, status = ? WHERE id = ? RETURNING *",
                (
                    outcome.error,
                    records.ts(first_error_at),
                    records.ts(outcome.next_poll_at),
                    status.value,
                    feed_id,
                ),
            ) as cur:
                updated = await cur.fetchone()
        return None if updated is None else records.to_feed(updated)

    # -- articles ------------------------------------------------------------------

    async def get_article(self, article_id: int) -> Article | None:
        row = await self._one("SELECT * FROM articles WHERE id = ?", (article_id,))
        return None if row is None else records.to_article(row)

    async def get_articles(self, article_ids: Iterable[int]) -> list[Article]:
        ids = list(article_ids)
        out: dict[int, Article] = {}
        for chunk in rows.chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for r in await self._all(f"SELECT * FROM articles WHERE id IN ({marks})", chunk):
                out[r["id"]] = records.to_article(r)
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
        return [records.to_article(r) for r in found]

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
            (records.ts(now), records.ts(published_since), limit),
        )
        return [records.to_article(r) for r in found]

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
                            records.ts(c.published),
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
                (records.ts(next_poll_at), article_id),
            )
        return new

    async def comments_for(self, article_id: int, limit: int = 3) -> list[Comment]:
        found = await self._all(
            "SELECT * FROM comments WHERE article_id = ?"
            " ORDER BY published_at DESC, id DESC LIMIT ?",
            (article_id, limit),
        )
        return [records.to_comment(r) for r in found]

    async def count_comments(self, article_id: int) -> int:
        row = await self._one("SELECT count(*) FROM comments WHERE article_id = ?", (article_id,))
        return 0 if row is None else int(row[0])


# A poll of more articles than this is written in several transactions.
INGEST_CHUNK = 500



async def _store_feed_success(
    db: aiosqlite.Connection, feed_id: int, outcome: SuccessOutcome
) -> None:
    meta = outcome.meta or FeedMeta(None, None, None)
    await db.execute(
        "UPDATE feeds SET etag = ?, last_modified = ?, body_hash = ?,"
        " title = coalesce(?, title), site_url = coalesce(?, site_url),"
        " icon_url = coalesce(?, icon_url), status = ?,"
        " error_count = 0, last_error = NULL, first_error_at = NULL,"
        " last_success_at = ?, next_poll_at = ? WHERE id = ?",
        (
            outcome.etag,
            outcome.last_modified,
            outcome.body_hash,
            meta.title,
            meta.site_url,
            meta.icon_url,
            FeedStatus.ACTIVE.value,
            records.ts(outcome.now),
            records.ts(outcome.next_poll_at),
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


async def _queue_rows(
    db: aiosqlite.Connection, feed_id: int, posts: Sequence[tuple[int, int]], now: int | None
) -> None:
    """(article id, note_skipped) outbox rows for every live subscription of the feed."""
    if not posts:
        return
    async with db.execute(
        "SELECT s.id FROM subscriptions s LEFT JOIN guild_settings g USING (guild_id)"
        " WHERE s.feed_id = ? AND s.paused = 0 AND g.removed_at IS NULL",
        (feed_id,),
    ) as cur:
        subscription_ids = [r[0] async for r in cur]
    await db.executemany(
        "INSERT OR IGNORE INTO deliveries (subscription_id, article_id, next_attempt_at,"
        " created_at, note_skipped) VALUES (?, ?, ?, ?, ?)",
        [(sub_id, aid, now, now, note) for sub_id in subscription_ids for aid, note in posts],
    )


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
                records.ts(a.published) or records.ts(a.updated) or now,
                records.ts(a.updated),
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



async def _count(db: aiosqlite.Connection, article_id: int) -> int:
    async with db.execute("SELECT count(*) FROM comments WHERE article_id = ?", (article_id,)) as c:
        row = await c.fetchone()
    return int(row[0]) if row else 0


# Every method of the Storage protocol goes through the translation and retry edge.
wrap_public_methods(
    SqliteStorage,
    {n for n in dir(SqliteStorage) if not n.startswith("_")} - {"open", "close", "migrate_file"},
)
