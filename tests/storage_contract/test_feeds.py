"""FeedStore: feeds, what is due, and what a poll writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.feeds.rules import HASH_CHANGE_CAP
from bot.models import FeedStatus
from bot.storage import FailureOutcome, FeedMeta, Storage

from .records import T0, art, ok


def fail(at_minutes: float, *, gone: bool = False) -> FailureOutcome:
    at = T0 + timedelta(minutes=at_minutes)
    return FailureOutcome(now=at, next_poll_at=at, error="boom", broken_after=3600, gone=gone)


async def test_a_feed_is_one_record_per_url(store: Storage) -> None:
    """Adding a URL twice returns the same feed; pinning sticks."""
    a = await store.add_feed("https://example.org/feed", T0)
    b = await store.add_feed("https://example.org/feed", T0, pinned=True)
    assert a.id == b.id and a.status is FeedStatus.ACTIVE
    assert [f.id for f in await store.list_feeds()] == [a.id]
    assert await store.get_feed(a.id) == await store.feed_by_url("https://example.org/feed")
    assert await store.get_feed(a.id + 100) is None
    assert await store.feed_by_url("https://example.org/other") is None


async def test_only_wanted_feeds_are_due_longest_overdue_first(store: Storage) -> None:
    """Pinned or subscribed feeds are due; unpinned unsubscribed ones are not."""
    pinned = await store.add_feed("https://example.org/a", T0 + timedelta(minutes=1), pinned=True)
    subscribed = await store.add_feed("https://example.org/b", T0)
    orphan = await store.add_feed("https://example.org/c", T0)
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=subscribed.id, now=T0)
    later = T0 + timedelta(minutes=5)
    assert [f.id for f in await store.due_feeds(later)] == [subscribed.id, pinned.id]
    assert [f.id for f in await store.due_feeds(later, limit=1)] == [subscribed.id]
    assert await store.due_feeds(T0 - timedelta(minutes=1)) == []
    assert len(await store.due_feeds(T0 - timedelta(minutes=1), all_=True)) == 2
    assert await store.next_poll_time() == T0
    assert await store.next_poll_time(exclude=[subscribed.id]) == pinned.next_poll_at
    await store.unpin_feed(pinned.id)
    assert [f.id for f in await store.due_feeds(later)] == [subscribed.id]
    assert orphan.id not in [f.id for f in await store.due_feeds(later, all_=True)]


async def test_a_removed_guild_no_longer_keeps_its_feed_polled(store: Storage) -> None:
    """Subscriptions of a guild the bot left do not make a feed due."""
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
    await store.mark_guild_removed(1, T0)
    assert await store.due_feeds(T0) == []
    assert await store.next_poll_time() is None
    await store.mark_guild_removed(1, None)
    assert [f.id for f in await store.due_feeds(T0)] == [feed.id]


async def test_ingest_sorts_new_updated_unchanged(store: Storage) -> None:
    """A poll inserts new articles, rewrites changed ones, counts the rest."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    meta = FeedMeta(title="Recovery Daily", site_url="https://example.org", icon_url=None)
    first = await store.record_success(feed.id, replace(ok(art(1), art(2), etag='"e"'), meta=meta))
    assert len(first.new_ids) == 2 and first.updated_ids == () and not first.recovered
    stored = await store.get_feed(feed.id)
    assert stored is not None and stored.etag == '"e"' and stored.title == "Recovery Daily"
    again = await store.record_success(feed.id, ok(art(1), art(2)))
    assert again.new_ids == () and again.updated_ids == () and again.unchanged == 2
    changed = await store.record_success(feed.id, ok(art(1, title="New", content_hash="x"), art(2)))
    assert changed.updated_ids == (first.new_ids[0],) and changed.unchanged == 1
    article = await store.get_article(first.new_ids[0])
    assert article is not None and article.title == "New" and article.revision == 2
    assert await store.feed_article_counts() == {feed.id: 2}
    assert await store.count_articles() == 2


async def test_hash_only_churn_is_capped_but_real_updates_pass(store: Storage) -> None:
    """An entry whose hash changes without a new `updated` is rewritten at most the cap."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    (aid,) = (await store.record_success(feed.id, ok(art(1)))).new_ids
    for n in range(HASH_CHANGE_CAP + 2):
        await store.record_success(feed.id, ok(art(1, content_hash=f"churn{n}")))
    article = await store.get_article(aid)
    assert article is not None and article.revision == HASH_CHANGE_CAP + 1
    real = art(1, content_hash="real", updated=T0 + timedelta(days=1), title="Edited")
    assert (await store.record_success(feed.id, ok(real))).updated_ids == (aid,)


async def test_unknown_feed_stores_nothing(store: Storage) -> None:
    """A poll result for a deleted feed is dropped quietly."""
    result = await store.record_success(999, ok(art(1)))
    assert result.new_ids == () and await store.count_articles() == 0
    assert await store.record_failure(999, fail(0)) is None


async def test_failures_break_a_feed_after_a_while_and_success_recovers(store: Storage) -> None:
    """Broken after `broken_after` seconds of failure; the next success recovers it."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    f1 = await store.record_failure(feed.id, fail(0))
    assert f1 is not None and f1.status is FeedStatus.ACTIVE and f1.error_count == 1
    assert f1.first_error_at == T0
    f2 = await store.record_failure(feed.id, fail(59))
    assert f2 is not None and f2.status is FeedStatus.ACTIVE and f2.first_error_at == T0
    f3 = await store.record_failure(feed.id, fail(60))
    assert f3 is not None and f3.status is FeedStatus.BROKEN and f3.error_count == 3
    assert (await store.record_success(feed.id, ok(now=T0 + timedelta(hours=2)))).recovered
    f4 = await store.get_feed(feed.id)
    assert f4 is not None and f4.status is FeedStatus.ACTIVE and f4.error_count == 0
    assert f4.first_error_at is None and f4.last_error is None


async def test_gone_retires_a_feed_for_good(store: Storage) -> None:
    """HTTP 410 retires the feed: never due again, even with `all_`."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    gone = await store.record_failure(feed.id, fail(0, gone=True))
    assert gone is not None and gone.status is FeedStatus.GONE
    assert await store.due_feeds(T0 + timedelta(days=1), all_=True) == []


async def test_removing_a_feed_removes_what_hangs_on_it(store: Storage) -> None:
    """Articles, subscriptions and deliveries go with their feed."""
    feed = await store.add_feed("https://example.org/feed", T0)
    sub = await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
    (aid,) = (await store.record_success(feed.id, ok(art(1)))).new_ids
    await store.remove_feed(feed.id)
    await store.remove_feed(feed.id)  # twice is fine
    assert await store.get_feed(feed.id) is None and await store.get_article(aid) is None
    assert await store.get_subscription(sub.id) is None
    assert await store.deliveries_for_article(aid) == []


async def test_permanent_redirect_moves_the_feed_unless_the_url_is_taken(store: Storage) -> None:
    """A 301 renames the feed, except onto another feed's URL."""
    a = await store.add_feed("http://example.org/old", T0, pinned=True)
    b = await store.add_feed("http://example.org/taken", T0, pinned=True)
    await store.record_success(a.id, replace(ok(), new_url="https://example.org/new"))
    await store.record_success(a.id, replace(ok(), new_url=b.url))
    moved = await store.get_feed(a.id)
    assert moved is not None and moved.url == "https://example.org/new"
