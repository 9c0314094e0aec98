"""The SQLite storage layer: schema, ingest, outbox, guild records."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import ParsedArticle, ParsedComment
from bot.storage import FailureOutcome, SearchPlan, SuccessOutcome, Term
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.backend import CATCH_UP_LIMIT, HASH_CHANGE_CAP
from bot.storage.sqlite.guilds import DuplicateSubscriptionError
from bot.storage.sqlite.migrations import SCHEMA_VERSION

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


def art(n: int, **kw: object) -> ParsedArticle:
    base = ParsedArticle(
        key=f"guid-{n}",
        link=f"https://example.org/{n}",
        title=f"Article {n}",
        summary=f"summary {n}",
        content="",
        author="Sam",
        published=T0 + timedelta(hours=n),
        updated=None,
        image_url=None,
        categories=("recovery",),
        comments_url=None,
        comments_feed_url=None,
        comment_count=None,
        content_hash=f"h{n}",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def ok(*articles: ParsedArticle, now: datetime = T0, etag: str | None = None) -> SuccessOutcome:
    return SuccessOutcome(
        now=now,
        next_poll_at=now + timedelta(minutes=10),
        etag=etag,
        last_modified=None,
        body_hash="b",
        articles=articles,
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    s = await SqliteStorage.open(tmp_path / "t.db")
    yield s
    await s.close()


async def test_migrations_set_user_version_and_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    assert SqliteStorage.migrate_file(path) == (0, SCHEMA_VERSION)
    assert SqliteStorage.migrate_file(path) == (SCHEMA_VERSION, SCHEMA_VERSION)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="newer than this Lantern"):
        SqliteStorage.migrate_file(path)


async def test_feed_is_one_row_per_url(store: SqliteStorage) -> None:
    a = await store.add_feed("https://example.org/feed", T0)
    b = await store.add_feed("https://example.org/feed", T0, pinned=True)
    assert a.id == b.id
    assert len(await store.list_feeds()) == 1
    # pinned feeds are due without subscribers; unpinned ones are not
    assert [f.id for f in await store.due_feeds(T0)] == [a.id]
    await store.unpin_feed(a.id)
    assert await store.due_feeds(T0) == []


async def test_ingest_new_updated_unchanged(store: SqliteStorage) -> None:
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    first = await store.record_success(feed.id, ok(art(1), art(2), etag='"e1"'))
    assert len(first.new_ids) == 2 and first.updated_ids == ()
    stored = await store.get_feed(feed.id)
    assert stored is not None and stored.etag == '"e1"' and stored.last_success_at == T0

    again = await store.record_success(feed.id, ok(art(1), art(2)))
    assert again.new_ids == () and again.unchanged == 2

    changed = await store.record_success(
        feed.id, ok(art(1, title="Naloxone saves lives", content_hash="h1b"), art(2))
    )
    assert changed.updated_ids == (first.new_ids[0],)
    updated = await store.get_article(first.new_ids[0])
    assert updated is not None and updated.title == "Naloxone saves lives"
    assert updated.revision == 2
    # the FTS index follows the update in the same transaction
    hits = (await store.search(SearchPlan((Term("naloxone"),)))).hits
    assert [h.article.id for h in hits] == [updated.id]
    assert not (await store.search(SearchPlan((Term("article"), Term("1"))))).hits


async def test_hash_only_churn_is_capped(store: SqliteStorage) -> None:
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    (aid,) = (await store.record_success(feed.id, ok(art(1)))).new_ids
    for n in range(HASH_CHANGE_CAP + 3):
        await store.record_success(feed.id, ok(art(1, content_hash=f"churn{n}")))
    article = await store.get_article(aid)
    assert article is not None and article.revision == HASH_CHANGE_CAP + 1
    # a real update (the publisher's `updated` moved) still goes through
    await store.record_success(feed.id, ok(art(1, content_hash="real", updated=T0, title="New")))
    article = await store.get_article(aid)
    assert article is not None and article.title == "New"


async def test_undated_article_gets_first_seen_time(store: SqliteStorage) -> None:
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    (aid,) = (await store.record_success(feed.id, ok(art(1, published=None)))).new_ids
    article = await store.get_article(aid)
    assert article is not None and article.published_at == T0 and article.has_date is False


async def test_failed_transaction_keeps_nothing(store: SqliteStorage) -> None:
    """The ETag and the articles are written together or not at all."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    bad = art(2, title=None)  # NOT NULL violation inside the transaction
    with pytest.raises(sqlite3.IntegrityError):
        await store.record_success(feed.id, ok(art(1), bad, etag='"new"'))
    stored = await store.get_feed(feed.id)
    assert stored is not None and stored.etag is None
    assert await store.count_articles() == 0


async def test_failures_mark_broken_then_success_recovers(store: SqliteStorage) -> None:
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)

    def fail(at: datetime) -> FailureOutcome:
        return FailureOutcome(now=at, next_poll_at=at, error="boom", broken_after=3600)

    f1 = await store.record_failure(feed.id, fail(T0))
    assert f1 is not None and f1.status == "active" and f1.error_count == 1
    f2 = await store.record_failure(feed.id, fail(T0 + timedelta(minutes=59)))
    assert f2 is not None and f2.status == "active"
    f3 = await store.record_failure(feed.id, fail(T0 + timedelta(hours=1)))
    assert f3 is not None and f3.status == "broken" and f3.last_error == "boom"
    result = await store.record_success(feed.id, ok(now=T0 + timedelta(hours=2)))
    assert result.recovered
    f4 = await store.get_feed(feed.id)
    assert f4 is not None and f4.status == "active" and f4.error_count == 0


async def test_gone_feed_is_retired(store: SqliteStorage) -> None:
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    out = FailureOutcome(now=T0, next_poll_at=T0, error="410", broken_after=3600, gone=True)
    retired = await store.record_failure(feed.id, out)
    assert retired is not None and retired.status == "gone"
    assert await store.due_feeds(T0 + timedelta(days=1)) == []


async def test_subscription_queues_backlog_then_new_articles(store: SqliteStorage) -> None:
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.record_success(feed.id, ok(*(art(n) for n in range(5))))
    sub = await store.add_subscription(
        guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=2
    )
    due = await store.due_deliveries(T0)
    titles = [(await store.get_article(d.article_id)).title for d in due]  # type: ignore[union-attr]
    assert titles == ["Article 3", "Article 4"]  # newest two, oldest first
    with pytest.raises(DuplicateSubscriptionError):
        await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)

    new = await store.record_success(feed.id, ok(art(5), art(6)))
    assert len(new.new_ids) == 2
    assert len(await store.due_deliveries(T0)) == 4
    assert await store.guild_has_feed(1, feed.id)
    assert sub.backlog == 2


async def test_catch_up_cap_posts_newest_with_a_note(store: SqliteStorage) -> None:
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=0)
    burst = [art(n) for n in range(CATCH_UP_LIMIT + 7)]
    await store.record_success(feed.id, ok(*burst))
    due = await store.due_deliveries(T0, limit=100)
    assert len(due) == CATCH_UP_LIMIT
    first = await store.get_article(due[0].article_id)
    assert first is not None and first.title == "Article 7"
    assert due[0].note_skipped == 7
    assert due[1].note_skipped == 0


async def test_paused_and_removed_guilds_get_nothing(store: SqliteStorage) -> None:
    feed = await store.add_feed("https://example.org/feed", T0)
    sub = await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
    assert await store.pause_subscription(sub.id, "test", T0)
    assert not await store.pause_subscription(sub.id, "test", T0)  # reported once
    # the feed is still polled while paused, so the archive keeps growing
    assert [f.id for f in await store.due_feeds(T0)] == [feed.id]
    await store.record_success(feed.id, ok(*(art(n) for n in range(6)), now=T0))
    assert await store.due_deliveries(T0) == []
    # resuming posts at most the backlog (1), not everything that arrived meanwhile
    assert await store.resume_subscription(sub.id, T0) == 1
    assert len(await store.due_deliveries(T0)) == 1

    await store.mark_guild_removed(1, T0)
    await store.record_success(feed.id, ok(art(9)))
    assert len(await store.due_deliveries(T0)) == 0
    assert await store.purge_removed_guilds(T0 + timedelta(days=31)) == 1
    assert await store.guild_subscriptions(1) == []


async def test_delivery_lifecycle(store: SqliteStorage) -> None:
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.record_success(feed.id, ok(art(1)))
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
    (d,) = await store.due_deliveries(T0)
    assert d.channel_id == 10 and d.guild_id == 1 and d.status == "pending"
    later = T0 + timedelta(minutes=5)
    assert await store.mark_delivery_retry(d.id, error="502", next_attempt_at=later) == 1
    assert await store.due_deliveries(T0) == []
    assert await store.next_delivery_time() == later
    await store.mark_delivery_sent(d.id, message_id=555, thread_id=None, now=later)
    sent = await store.get_delivery(d.id)
    assert sent is not None and sent.status == "sent" and sent.message_id == 555
    assert (await store.sent_in_guild(1, [d.article_id]))[d.article_id].message_id == 555
    assert await store.sent_in_guild(2, [d.article_id]) == {}


async def test_guild_settings_round_trip(store: SqliteStorage) -> None:
    assert (await store.guild_settings(7)).moderator_role_id is None
    s = await store.update_guild_settings(7, moderator_role_id=99, content_warnings=("relapse",))
    assert s.moderator_role_id == 99 and s.content_warnings == ("relapse",)
    s = await store.update_guild_settings(7, log_channel_id=5)
    assert s.moderator_role_id == 99 and s.log_channel_id == 5
    assert await store.remember_notice(7, "feed:1:broken", T0)
    assert not await store.remember_notice(7, "feed:1:broken", T0)
    await store.forget_notice(7, "feed:1:broken")
    assert await store.remember_notice(7, "feed:1:broken", T0)


async def test_comments_are_stored_once(store: SqliteStorage) -> None:
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    a = art(1, comments_feed_url="https://example.org/1/feed/")
    (aid,) = (await store.record_success(feed.id, ok(a))).new_ids
    due = await store.comment_polls_due(T0, T0 - timedelta(days=14))
    assert [x.id for x in due] == [aid]
    comments = [
        ParsedComment(
            key=f"c{n}",
            author=f"Reader {n}",
            published=T0,
            text=f"Thanks {n}",
            link=f"https://example.org/1#comment-{n}",
            content_hash=f"ch{n}",
        )
        for n in range(3)
    ]
    nxt = T0 + timedelta(hours=1)
    assert await store.record_comments(aid, comments, next_poll_at=nxt, etag='"c"') == 3
    assert await store.record_comments(aid, comments, next_poll_at=nxt) == 0
    assert await store.count_comments(aid) == 3
    assert await store.comments_cache(aid) == (None, None)
    assert await store.comment_polls_due(T0, T0 - timedelta(days=14)) == []
    article = await store.get_article(aid)
    assert article is not None and article.comment_count == 3


async def test_a_retrying_delivery_holds_back_newer_ones_in_its_channel(
    store: SqliteStorage,
) -> None:
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.record_success(feed.id, ok(art(1), art(2)))
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=2)
    first, second = await store.due_deliveries(T0)
    await store.mark_delivery_retry(first.id, error="502", next_attempt_at=T0 + timedelta(60))
    assert await store.due_deliveries(T0) == []  # publication order is kept
    later = await store.due_deliveries(T0 + timedelta(61))
    assert [d.id for d in later] == [first.id, second.id]


async def test_permanent_redirect_moves_the_feed_unless_the_url_is_taken(
    store: SqliteStorage,
) -> None:
    a = await store.add_feed("http://example.org/old", T0, pinned=True)
    b = await store.add_feed("http://example.org/taken", T0, pinned=True)
    moved = replace(ok(), new_url="https://example.org/new")
    await store.record_success(a.id, moved)
    assert (await store.get_feed(a.id)).url == "https://example.org/new"  # type: ignore[union-attr]
    await store.record_success(a.id, replace(ok(), new_url=b.url))
    assert (await store.get_feed(a.id)).url == "https://example.org/new"  # type: ignore[union-attr]


async def test_resume_posts_only_what_arrived_while_paused(store: SqliteStorage) -> None:
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.record_success(feed.id, ok(art(0), art(1)))
    # backlog 0: the two archived articles are never posted, even if the pause
    # and resume happen within the same second
    sub = await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0,
                                       backlog=0)
    await store.pause_subscription(sub.id, "moderator", T0)
    assert await store.resume_subscription(sub.id, T0) == 0
    assert await store.due_deliveries(T0) == []

    await store.update_subscription(sub.id, backlog=2)
    await store.record_success(feed.id, ok(art(2)))  # queued while live
    await store.pause_subscription(sub.id, "moderator", T0)
    await store.record_success(feed.id, ok(art(3), art(4), art(5)))  # while paused
    assert await store.resume_subscription(sub.id, T0) == 2
    due = await store.due_deliveries(T0)
    titles = [a.title for a in await store.get_articles([d.article_id for d in due])]
    assert titles == ["Article 4", "Article 5"]


async def test_guild_quota_is_unset_until_chosen(store: SqliteStorage) -> None:
    assert (await store.guild_settings(3)).subscription_quota is None
    chosen = await store.update_guild_settings(3, subscription_quota=50)
    assert chosen.subscription_quota == 50
