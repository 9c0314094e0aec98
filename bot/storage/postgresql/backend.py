"""The PostgreSQL storage backend (DATABASE_URL): an asyncpg pool, one
transaction per protocol method, the same rules and semantics as the SQLite
backend (bot/storage/sqlite/backend.py), so both pass one contract suite.

Where SQLite serializes writers with its one write lock, this backend takes the
row locks a method's reads depend on (a poll locks its feed row, so two
processes polling one feed queue instead of both seeing an article as new) and
lets unique constraints settle races (ON CONFLICT). A transaction that loses a
lock wait, a serialization race or a deadlock runs again (edge.py).

asyncpg rather than psycopg 3: asyncio-native with its own pool, binary protocol
and server-side prepared statements per connection, and `executemany` that
pipelines a poll's rows in one round trip.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from bot.feeds import rules as feed_rules
from bot.models import Article, Comment, Feed, FeedStatus, ParsedArticle, ParsedComment
from bot.storage import records
from bot.storage.errors import SchemaTooNewError, SchemaTooOldError
from bot.storage.postgresql import migrations, rows
from bot.storage.postgresql.edge import (
    BUSY_TIMEOUT_SECONDS,
    at_the_edge,
    describe,
    is_driver_error,
    translate,
    wrap_public_methods,
)
from bot.storage.postgresql.guilds import GuildQueries
from bot.storage.postgresql.search import PostgresSearch
from bot.storage.protocol import (
    FailureOutcome,
    FeedMeta,
    IngestResult,
    SearchResults,
    SuccessOutcome,
    TitleMatch,
)
from bot.storage.search_plan import SearchPlan, Term, WordStatistics

log = logging.getLogger(__name__)

# A poll of more articles than this is written in several transactions.
INGEST_CHUNK = 500
# close() waits this long for borrowed connections, then cuts them.
_CLOSE_GRACE_SECONDS = 2.0
_CONNECT_TIMEOUT_SECONDS = 10.0

_LIVE_SUBSCRIPTIONS = (
    "(SELECT count(*) FROM subscriptions s LEFT JOIN guild_settings g USING (guild_id)"
    " WHERE s.feed_id = f.id AND g.removed_at IS NULL)"
)


async def _connect(url: str, busy_timeout: float) -> asyncpg.Pool:
    # lock_timeout is PostgreSQL's busy timeout: how long one statement waits
    # for another transaction's lock before the edge runs the method again.
    pool: asyncpg.Pool = await asyncpg.create_pool(
        url,
        min_size=1,
        max_size=8,
        timeout=_CONNECT_TIMEOUT_SECONDS,
        server_settings={
            "lock_timeout": str(int(busy_timeout * 1000)),
            "application_name": "lantern",
        },
    )
    return pool


class PostgresStorage(GuildQueries):
    """Lantern's storage in a PostgreSQL database. Open with
    `await PostgresStorage.open(url)`. Every public method may raise StorageError."""

    def __init__(self, pool: asyncpg.Pool, *, url: str, read_only: bool = False) -> None:
        super().__init__(pool, url=url, read_only=read_only)
        self._searcher = PostgresSearch(pool)
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------

    @classmethod
    async def open(
        cls, url: str, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS
    ) -> PostgresStorage:
        """Connect to the database at `url`, creating or upgrading its schema.

        Raises DatabaseUnavailableError (bad URL, unreachable server, refused login,
        no such database: the message names DATABASE_URL without its password),
        SchemaTooNewError (written by a newer Lantern), SchemaTooOldError (a
        read-only database not yet upgraded), DatabaseBusyError."""
        try:
            pool = await _connect(url, busy_timeout)
        except Exception as exc:  # whatever stops a connection: the URL or the server
            raise translate(_as_connect_error(exc), url) from None
        try:
            async with pool.acquire() as conn:
                read_only = await conn.fetchval("SHOW transaction_read_only") == "on"
                await _migrate(conn, url, read_only=read_only)
        except BaseException as exc:
            pool.terminate()
            if is_driver_error(exc):
                raise translate(exc, url) from exc
            raise
        if read_only:
            log.info("%s is read-only: reading works, changes will be refused", describe(url))
        return cls(pool, url=url, read_only=read_only)

    @staticmethod
    async def migrate_url(url: str) -> tuple[int, int]:
        """Bring the database's schema up to date (`lantern db migrate`). Returns
        (version before, version after). Raises like `open`."""
        try:
            conn = await asyncpg.connect(url, timeout=_CONNECT_TIMEOUT_SECONDS)
        except Exception as exc:  # whatever stops a connection: the URL or the server
            raise translate(_as_connect_error(exc), url) from None
        try:
            return await _migrate(conn, url, read_only=False)
        except BaseException as exc:
            if is_driver_error(exc):
                raise translate(exc, url) from exc
            raise
        finally:
            conn.terminate()

    async def close(self) -> None:
        """Return the connections; never waits long on a connection still in use."""
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.wait_for(self._pool.close(), timeout=_CLOSE_GRACE_SECONDS)
        except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            log.warning("closing %s took too long; cutting its connections", describe(self._url))
            self._pool.terminate()

    # -- feeds ---------------------------------------------------------------------

    async def add_feed(self, url: str, now: datetime, *, pinned: bool = False) -> Feed:
        async with self._tx() as db:
            row = await db.fetchrow(
                "INSERT INTO feeds (url, pinned, next_poll_at, created_at) VALUES ($1, $2, $3, $3)"
                " ON CONFLICT (url) DO UPDATE SET pinned = feeds.pinned OR excluded.pinned"
                " RETURNING *",
                url, pinned, records.ts(now),
            )
        assert row is not None
        return records.to_feed(row)

    async def get_feed(self, feed_id: int) -> Feed | None:
        row = await self._one("SELECT * FROM feeds WHERE id = $1", feed_id)
        return None if row is None else records.to_feed(row)

    async def feed_by_url(self, url: str) -> Feed | None:
        row = await self._one("SELECT * FROM feeds WHERE url = $1", url)
        return None if row is None else records.to_feed(row)

    async def list_feeds(self) -> list[Feed]:
        return [records.to_feed(r) for r in await self._all("SELECT * FROM feeds ORDER BY id")]

    async def feed_article_counts(self) -> dict[int, int]:
        found = await self._all("SELECT feed_id, count(*) FROM articles GROUP BY feed_id")
        return {int(r[0]): int(r[1]) for r in found}

    async def remove_feed(self, feed_id: int) -> None:
        async with self._tx() as db:
            await db.execute("DELETE FROM feeds WHERE id = $1", feed_id)

    async def unpin_feed(self, feed_id: int) -> None:
        async with self._tx() as db:
            await db.execute("UPDATE feeds SET pinned = false WHERE id = $1", feed_id)

    async def due_feeds(
        self, now: datetime, limit: int = 1000, *, all_: bool = False
    ) -> list[Feed]:
        """The rule is bot.feeds.rules.feed_is_due; SQL only narrows the candidates."""
        due: list[Feed] = []
        async with self._pool.acquire() as conn, conn.transaction(readonly=True):
            # A cursor reads lazily: candidates come most overdue first, so this
            # stops at `limit` without reading every feed.
            async for r in conn.cursor(
                f"SELECT f.*, {_LIVE_SUBSCRIPTIONS} AS live FROM feeds f"
                " WHERE f.status != 'gone' AND ($1 OR f.next_poll_at <= $2)"
                " ORDER BY f.next_poll_at, f.id",
                all_, records.ts(now),
            ):
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
        skip = set(exclude)
        async with self._pool.acquire() as conn, conn.transaction(readonly=True):
            async for r in conn.cursor(
                f"SELECT f.id, f.status, f.pinned, f.next_poll_at, {_LIVE_SUBSCRIPTIONS} AS live"
                " FROM feeds f WHERE f.status != 'gone' ORDER BY f.next_poll_at, f.id"
            ):  # soonest first: usually the first row answers
                wanted = feed_rules.feed_is_wanted(
                    FeedStatus(r["status"]),
                    pinned=bool(r["pinned"]),
                    live_subscriptions=r["live"],
                )
                if wanted and r["id"] not in skip:
                    return records.req_dt(r["next_poll_at"])
        return None

    async def record_success(self, feed_id: int, outcome: SuccessOutcome) -> IngestResult:
        """Store a successful poll in one transaction (a poll of more than
        INGEST_CHUNK articles in several, the caching info in the last; what gets
        posted is decided for the whole poll first), as the SQLite backend does."""
        articles = outcome.articles or ()
        if len(articles) <= INGEST_CHUNK:
            done = await self._ingest(feed_id, outcome, articles, final=True, posting=None)
            return done or IngestResult((), (), 0, recovered=False)
        posting = await self._plan_posting(feed_id, articles, outcome.now)
        parts = [articles[i : i + INGEST_CHUNK] for i in range(0, len(articles), INGEST_CHUNK)]
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
        keys = [a.key for a in articles]
        found = await self._all(
            "SELECT key FROM articles WHERE feed_id = $1 AND key = ANY($2::text[])", feed_id, keys
        )
        known = {r[0] for r in found}
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
            # The feed's row lock queues another process polling the same feed, so
            # an article is new for exactly one of them.
            status = await db.fetchval("SELECT status FROM feeds WHERE id = $1 FOR UPDATE", feed_id)
            if status is None:
                return None
            recovered = status == FeedStatus.BROKEN
            if final:
                await _store_feed_success(db, feed_id, outcome)
            if articles:
                found = await db.fetch(
                    "SELECT id, key, content_hash, updated_at, hash_changes, comment_count"
                    " FROM articles WHERE feed_id = $1 AND key = ANY($2::text[])",
                    feed_id, [a.key for a in articles],
                )
                stored = {
                    r["key"]: feed_rules.StoredVersion(
                        id=r["id"],
                        content_hash=r["content_hash"],
                        updated_at=records.dt(r["updated_at"]),
                        hash_changes=r["hash_changes"],
                        comment_count=r["comment_count"],
                    )
                    for r in found
                }
                plan = feed_rules.plan_ingest(articles, stored)
                unchanged = plan.unchanged
                new_ids = await _insert_articles(db, feed_id, plan.fresh, now)
                if plan.rewrites:
                    await db.executemany(
                        _UPDATE_ARTICLE, [records.rewrite_params(w) for w in plan.rewrites]
                    )
                updated_ids = [w.stored_id for w in plan.rewrites]
                if plan.comment_counts:
                    await db.executemany(
                        "UPDATE articles SET comment_count = $1 WHERE id = $2",
                        [(count, aid) for aid, count in plan.comment_counts],
                    )
                if new_ids and posting is None:
                    await _queue_deliveries(db, feed_id, new_ids, now)
                elif new_ids and posting is not None:
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

    async def record_failure(self, feed_id: int, outcome: FailureOutcome) -> Feed | None:
        """The new status is bot.feeds.rules.status_after_failure."""
        async with self._tx() as db:
            row = await db.fetchrow(
                "SELECT status, first_error_at FROM feeds WHERE id = $1 FOR UPDATE", feed_id
            )
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
            updated = await db.fetchrow(
                "UPDATE feeds SET error_count = error_count + 1, last_error = $1,"
                " first_error_at = $2, next_poll_at = $3, status = $4 WHERE id = $5 RETURNING *",
                outcome.error,
                records.ts(first_error_at),
                records.ts(outcome.next_poll_at),
                status.value,
                feed_id,
            )
        return None if updated is None else records.to_feed(updated)

    # -- articles ------------------------------------------------------------------

    async def get_article(self, article_id: int) -> Article | None:
        row = await self._one("SELECT * FROM articles WHERE id = $1", article_id)
        return None if row is None else records.to_article(row)

    async def get_articles(self, article_ids: Iterable[int]) -> list[Article]:
        wanted = rows.ids(list(article_ids))
        if not wanted:
            return []
        found = await self._all("SELECT * FROM articles WHERE id = ANY($1::bigint[])", wanted)
        out = {r["id"]: records.to_article(r) for r in found}
        return [out[i] for i in wanted if i in out]

    async def latest_articles(
        self, limit: int = 10, *, feed_id: int | None = None, guild_id: int | None = None
    ) -> list[Article]:
        where, params = rows.scope(feed_id, guild_id)
        found = await self._all(
            f"SELECT a.* FROM articles a WHERE {where} ORDER BY a.published_at DESC, a.id DESC"
            f" LIMIT ${len(params) + 1}",
            *params, limit,
        )
        return [records.to_article(r) for r in found]

    async def count_articles(self) -> int:
        return int(await self._val("SELECT count(*) FROM articles"))

    # -- source comments -----------------------------------------------------------

    async def comment_polls_due(
        self, now: datetime, published_since: datetime, limit: int = 100
    ) -> list[Article]:
        found = await self._all(
            "SELECT a.* FROM articles a JOIN feeds f ON f.id = a.feed_id"
            " WHERE a.comments_feed_url IS NOT NULL AND a.comments_next_poll_at <= $1"
            " AND a.published_at >= $2 AND f.status != 'gone'"
            " ORDER BY a.comments_next_poll_at, a.id LIMIT $3",
            records.ts(now), records.ts(published_since), limit,
        )
        return [records.to_article(r) for r in found]

    async def comments_cache(self, article_id: int) -> tuple[str | None, str | None]:
        row = await self._one(
            "SELECT comments_etag, comments_last_modified FROM articles WHERE id = $1",
            article_id,
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
        new = 0
        async with self._tx() as db:
            if comments is not None:
                # The article's row lock queues two polls of its comments.
                await db.execute("SELECT 1 FROM articles WHERE id = $1 FOR UPDATE", article_id)
                before = await _count(db, article_id)
                if comments:
                    await db.executemany(
                        "INSERT INTO comments (article_id, key, author, published_at, text, link,"
                        " content_hash) VALUES ($1,$2,$3,$4,$5,$6,$7)"
                        " ON CONFLICT (article_id, key) DO UPDATE SET author = excluded.author,"
                        " text = excluded.text, link = excluded.link,"
                        " content_hash = excluded.content_hash"
                        " WHERE comments.content_hash != excluded.content_hash",
                        [
                            (article_id, c.key, c.author, records.ts(c.published), c.text, c.link,
                             c.content_hash)
                            for c in comments
                        ],
                    )
                stored = await _count(db, article_id)
                new = stored - before
                await db.execute(
                    "UPDATE articles SET comments_etag = $1, comments_last_modified = $2,"
                    " comment_count = greatest(coalesce(comment_count, 0), $3) WHERE id = $4",
                    etag, last_modified, stored, article_id,
                )
            await db.execute(
                "UPDATE articles SET comments_next_poll_at = $1 WHERE id = $2",
                records.ts(next_poll_at), article_id,
            )
        return new

    async def comments_for(self, article_id: int, limit: int = 3) -> list[Comment]:
        found = await self._all(
            "SELECT * FROM comments WHERE article_id = $1"
            " ORDER BY published_at DESC NULLS LAST, id DESC LIMIT $2",
            article_id, limit,
        )
        return [records.to_comment(r) for r in found]

    async def count_comments(self, article_id: int) -> int:
        return int(
            await self._val("SELECT count(*) FROM comments WHERE article_id = $1", article_id)
        )

    async def comment_counts(self, article_ids: Sequence[int]) -> dict[int, int]:
        if not article_ids:
            return {}
        found = await self._all(
            "SELECT article_id, count(*) FROM comments WHERE article_id = ANY($1::bigint[])"
            " GROUP BY article_id",
            rows.ids(article_ids),
        )
        return {int(r[0]): int(r[1]) for r in found}

    # -- search: bot/storage/postgresql/search.py ------------------------------------

    async def search(self, plan: SearchPlan) -> SearchResults:
        return await self._searcher.search(plan)

    async def count(self, plan: SearchPlan, cap: int = 1000) -> int:
        return await self._searcher.count(plan, cap)

    async def term_frequencies(self, terms: Sequence[Term]) -> list[int | None]:
        return await self._searcher.term_frequencies(terms)

    async def word_statistics(self, words: Sequence[str]) -> list[WordStatistics]:
        return await self._searcher.word_statistics(words)

    async def indexed_count(self) -> int:
        return await self._searcher.indexed_count()

    async def autocomplete_titles(
        self, prefix_text: str, guild_id: int | None, limit: int = 25
    ) -> list[TitleMatch]:
        return await self._searcher.autocomplete_titles(prefix_text, guild_id, limit)

    async def find_article_by_url(self, url: str, guild_id: int | None) -> Article | None:
        return await self._searcher.find_article_by_url(url, guild_id)


def _as_connect_error(exc: Exception) -> BaseException:
    """A malformed DATABASE_URL (asyncpg raises ValueError, OverflowError, ...) reads
    as unavailable, like a server that cannot be reached."""
    if not is_driver_error(exc):
        return OSError(f"the URL is not a valid PostgreSQL URL: {exc}")
    return exc


async def _migrate(conn: Any, url: str, *, read_only: bool) -> tuple[int, int]:
    def too_new(version: int) -> Exception:
        return SchemaTooNewError(
            f"The PostgreSQL database {describe(url)} was written by a newer Lantern (schema"
            f" version {version}; this one knows up to {migrations.SCHEMA_VERSION}). Upgrade"
            " Lantern, or point DATABASE_URL at another database."
        )

    if read_only:
        version = await migrations.current_version(conn)
        if version > migrations.SCHEMA_VERSION:
            raise too_new(version)
        if version < migrations.SCHEMA_VERSION:
            raise SchemaTooOldError(
                f"The PostgreSQL database {describe(url)} is read-only and has schema version"
                f" {version}; this Lantern needs {migrations.SCHEMA_VERSION}. Run"
                " `lantern db migrate` with write access first."
            )
        return version, version
    before, after = await migrations.migrate(conn, too_new)
    if before != after:
        log.info("%s: migrated schema from version %s to %s", describe(url), before, after)
    return before, after



async def _store_feed_success(db: Any, feed_id: int, outcome: SuccessOutcome) -> None:
    meta = outcome.meta or FeedMeta(None, None, None)
    await db.execute(
        "UPDATE feeds SET etag = $1, last_modified = $2, body_hash = $3,"
        " title = coalesce($4, title), site_url = coalesce($5, site_url),"
        " icon_url = coalesce($6, icon_url), status = $7,"
        " error_count = 0, last_error = NULL, first_error_at = NULL,"
        " last_success_at = $8, next_poll_at = $9 WHERE id = $10",
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
    )
    if outcome.new_url:
        # A permanent redirect moved the feed; keep the old URL if another
        # feed row already has the new one (they merge only by hand).
        await db.execute(
            "UPDATE feeds SET url = $1 WHERE id = $2"
            " AND NOT EXISTS (SELECT 1 FROM feeds WHERE url = $1)",
            outcome.new_url, feed_id,
        )


async def _queue_deliveries(
    db: Any, feed_id: int, article_ids: Sequence[int], now: int | None
) -> None:
    """Outbox rows for new articles, per live subscription, capped by
    bot.feeds.rules.catch_up."""
    found = await db.fetch(
        "SELECT id FROM articles WHERE id = ANY($1::bigint[]) ORDER BY published_at, id",
        rows.ids(article_ids),
    )
    plan = feed_rules.catch_up([r[0] for r in found])
    posts = [(aid, plan.skipped if n == 0 else 0) for n, aid in enumerate(plan.post)]
    await _queue_rows(db, feed_id, posts, now)


async def _queue_rows(
    db: Any, feed_id: int, posts: Sequence[tuple[int, int]], now: int | None
) -> None:
    """(article id, note_skipped) outbox rows for every live subscription of the feed."""
    if not posts:
        return
    found = await db.fetch(
        "SELECT s.id FROM subscriptions s LEFT JOIN guild_settings g USING (guild_id)"
        " WHERE s.feed_id = $1 AND NOT s.paused AND g.removed_at IS NULL ORDER BY s.id",
        feed_id,
    )
    subscription_ids = [r[0] for r in found]
    if not subscription_ids:
        return
    await db.executemany(
        "INSERT INTO deliveries (subscription_id, article_id, next_attempt_at,"
        " created_at, note_skipped) VALUES ($1, $2, $3, $3, $4) ON CONFLICT DO NOTHING",
        [(sub_id, aid, now, note) for sub_id in subscription_ids for aid, note in posts],
    )


_INSERT_ARTICLE = (
    "INSERT INTO articles (feed_id, key, link, title, summary, content, author,"
    " published_at, updated_at, has_date, image_url, categories, comments_url,"
    " comments_feed_url, comment_count, content_hash, first_seen_at,"
    " comments_next_poll_at)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)"
    " ON CONFLICT (feed_id, key) DO NOTHING"
)

_UPDATE_ARTICLE = (
    "UPDATE articles SET link = $1, title = $2, summary = $3, content = $4, author = $5,"
    " updated_at = $6, image_url = $7, categories = $8, comments_url = $9,"
    " comments_feed_url = coalesce($10, comments_feed_url),"
    " comment_count = coalesce($11, comment_count), content_hash = $12,"
    " hash_changes = hash_changes + $13, revision = revision + 1,"
    " published_at = CASE WHEN has_date THEN coalesce($14, published_at)"
    "   ELSE published_at END"
    " WHERE id = $15"
)


async def _insert_articles(
    db: Any, feed_id: int, articles: Sequence[ParsedArticle], now: int | None
) -> list[int]:
    """Insert new articles in the order given; returns their ids in that order.
    The caller holds the feed's row lock, so the keys read back are this poll's."""
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
                a.published is not None or a.updated is not None,
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
    found = await db.fetch(
        "SELECT id, key FROM articles WHERE feed_id = $1 AND key = ANY($2::text[])",
        feed_id, [a.key for a in articles],
    )
    ids = {r["key"]: r["id"] for r in found}
    return [ids[a.key] for a in articles if a.key in ids]



async def _count(db: Any, article_id: int) -> int:
    value = await db.fetchval("SELECT count(*) FROM comments WHERE article_id = $1", article_id)
    return int(value or 0)


# Every method of the Storage protocol goes through the translation and retry edge.
wrap_public_methods(
    PostgresStorage,
    {n for n in dir(PostgresStorage) if not n.startswith("_")}
    - {"open", "close", "migrate_url", "read_only"},
)
