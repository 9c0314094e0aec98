"""OutboxStore: each new article reaches each live subscription exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.feeds.rules import CATCH_UP_LIMIT
from bot.models import DeliveryStatus
from bot.storage import Storage

from .records import T0, art, ok


async def test_each_article_is_queued_once_per_subscription(store: Storage) -> None:
    """Re-ingesting, updating or re-subscribing never duplicates a delivery row."""
    feed = await store.add_feed("https://example.org/feed", T0)
    s1 = await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
    s2 = await store.add_subscription(guild_id=2, channel_id=20, feed_id=feed.id, now=T0)
    (aid,) = (await store.record_success(feed.id, ok(art(1)))).new_ids
    await store.record_success(feed.id, ok(art(1)))
    await store.record_success(feed.id, ok(art(1, title="Edited", content_hash="e")))
    rows = await store.deliveries_for_article(aid)
    assert sorted(d.subscription_id for d in rows) == [s1.id, s2.id]
    assert all(d.status is DeliveryStatus.PENDING for d in rows)
    # a new subscription's backlog does not re-queue it for the old ones
    await store.add_subscription(guild_id=1, channel_id=11, feed_id=feed.id, now=T0)
    assert len(await store.deliveries_for_article(aid)) == 3
    assert len({d.subscription_id for d in await store.deliveries_for_article(aid)}) == 3


async def test_a_sent_delivery_is_never_due_again(store: Storage) -> None:
    """Once marked sent, the delivery leaves the queue for good."""
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.record_success(feed.id, ok(art(1)))
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
    (d,) = await store.due_deliveries(T0)
    assert (d.channel_id, d.guild_id, d.status) == (10, 1, DeliveryStatus.PENDING)
    later = T0 + timedelta(minutes=5)
    assert await store.mark_delivery_retry(d.id, error="502", next_attempt_at=later) == 1
    assert await store.due_deliveries(T0) == []
    assert await store.next_delivery_time() == later
    await store.mark_delivery_sent(d.id, message_id=555, thread_id=77, now=later)
    sent = await store.get_delivery(d.id)
    assert sent is not None and sent.status is DeliveryStatus.SENT and sent.thread_id == 77
    assert sent.attempts == 1 and sent.sent_at == later and sent.last_error is None
    assert await store.due_deliveries(later + timedelta(days=1)) == []
    assert await store.next_delivery_time() is None
    await store.record_success(feed.id, ok(art(1)))
    assert await store.due_deliveries(later + timedelta(days=1)) == []
    assert (await store.sent_in_guild(1, [d.article_id]))[d.article_id].message_id == 555
    assert await store.sent_in_guild(1, []) == {}
    assert await store.get_delivery(d.id + 100) is None
    assert await store.mark_delivery_retry(d.id + 100, error="x", next_attempt_at=later) == 0


async def test_a_failure_after_a_counted_attempt_is_not_counted_again(store: Storage) -> None:
    """count_attempt=False records the error and the next time, not another attempt."""
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.record_success(feed.id, ok(art(1)))
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
    (d,) = await store.due_deliveries(T0)
    soon, later = T0 + timedelta(minutes=1), T0 + timedelta(minutes=5)
    assert await store.mark_delivery_retry(d.id, error="sending", next_attempt_at=soon) == 1
    assert (
        await store.mark_delivery_retry(
            d.id, error="503", next_attempt_at=later, count_attempt=False
        )
        == 1
    )
    again = await store.get_delivery(d.id)
    assert again is not None and (again.attempts, again.last_error) == (1, "503")
    assert again.next_attempt_at == later


async def test_ending_a_delivery_without_a_message(store: Storage) -> None:
    """Skipped and failed deliveries end; other statuses are refused."""
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.record_success(feed.id, ok(art(1), art(2)))
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=2)
    a, b = await store.due_deliveries(T0)
    await store.mark_delivery_done(a.id, "skipped", "filtered")
    await store.mark_delivery_done(b.id, "failed", "gave up")
    ended = [await store.get_delivery(x.id) for x in (a, b)]
    assert [(d.status, d.last_error) for d in ended if d] == [
        (DeliveryStatus.SKIPPED, "filtered"),
        (DeliveryStatus.FAILED, "gave up"),
    ]
    assert await store.due_deliveries(T0) == []
    with pytest.raises(ValueError, match="skipped or failed"):
        await store.mark_delivery_done(a.id, "sent", None)  # type: ignore[arg-type]


async def test_catch_up_cap_posts_the_newest_with_a_note(store: Storage) -> None:
    """A burst larger than the cap posts the newest ones, counting the rest."""
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=0)
    await store.record_success(feed.id, ok(*(art(n) for n in range(CATCH_UP_LIMIT + 7))))
    due = await store.due_deliveries(T0, limit=100)
    assert len(due) == CATCH_UP_LIMIT
    titles = [a.title for a in await store.get_articles([d.article_id for d in due])]
    assert titles[0] == "Article 7" and titles[-1] == f"Article {CATCH_UP_LIMIT + 6}"
    assert [d.note_skipped for d in due[:2]] == [7, 0]


async def test_a_retrying_delivery_holds_back_its_channel_only(store: Storage) -> None:
    """An older article waiting for a retry holds back newer ones in its channel."""
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.record_success(feed.id, ok(art(1), art(2)))
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=2)
    await store.add_subscription(guild_id=1, channel_id=11, feed_id=feed.id, now=T0, backlog=2)
    due = await store.due_deliveries(T0)
    assert [d.channel_id for d in due] == [10, 10, 11, 11]
    first = due[0]
    await store.mark_delivery_retry(first.id, error="502", next_attempt_at=T0 + timedelta(60))
    assert [d.channel_id for d in await store.due_deliveries(T0)] == [11, 11]
    later = await store.due_deliveries(T0 + timedelta(61), limit=3)
    assert [d.id for d in later] == [first.id, due[1].id, due[2].id]


async def test_paused_and_removed_subscriptions_get_nothing(store: Storage) -> None:
    """Paused subscriptions and removed guilds are not queued or due."""
    feed = await store.add_feed("https://example.org/feed", T0)
    sub = await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
    assert await store.pause_subscription(sub.id, "moderator", T0)
    assert not await store.pause_subscription(sub.id, "moderator", T0)  # reported once
    await store.record_success(feed.id, ok(*(art(n) for n in range(6))))
    assert await store.due_deliveries(T0) == []
    assert await store.resume_subscription(sub.id, T0) == 1  # its backlog, not all six
    assert await store.resume_subscription(sub.id, T0) == 0  # not paused
    assert len(await store.due_deliveries(T0)) == 1
    await store.mark_guild_removed(1, T0)
    await store.record_success(feed.id, ok(art(9)))
    assert await store.due_deliveries(T0) == []


async def test_resume_posts_only_what_arrived_while_paused(store: Storage) -> None:
    """Resuming posts at most `backlog` of what came meanwhile, newest first."""
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.record_success(feed.id, ok(art(0), art(1)))
    sub = await store.add_subscription(
        guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=0
    )
    await store.pause_subscription(sub.id, "moderator", T0)
    assert await store.resume_subscription(sub.id, T0) == 0
    await store.update_subscription(sub.id, backlog=2)
    await store.record_success(feed.id, ok(art(2)))  # queued while live
    await store.pause_subscription(sub.id, "moderator", T0)
    await store.record_success(feed.id, ok(art(3), art(4), art(5)))  # while paused
    assert await store.resume_subscription(sub.id, T0) == 2
    due = await store.due_deliveries(T0)
    titles = [a.title for a in await store.get_articles([d.article_id for d in due])]
    assert titles == ["Article 4", "Article 5"]


async def test_a_very_large_poll_posts_like_a_small_one(store: Storage) -> None:
    """1,100 new articles at once: all stored in order, the newest few posted once."""
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=0)
    burst = [art(n) for n in range(1100)]
    first = await store.record_success(feed.id, ok(*burst[:1000], etag='"big"'))
    assert len(first.new_ids) == 1000 and list(first.new_ids) == sorted(first.new_ids)
    stored = await store.get_feed(feed.id)
    assert stored is not None and stored.etag == '"big"'
    again = await store.record_success(feed.id, ok(*reversed(burst)))
    assert len(again.new_ids) == 100 and again.unchanged == 1000
    due = await store.due_deliveries(T0, limit=100)
    titles = [a.title for a in await store.get_articles([d.article_id for d in due])]
    # each poll posts its own newest ones, with a note counting the rest
    newest = [f"Article {n}" for end in (1000, 1100) for n in range(end - CATCH_UP_LIMIT, end)]
    assert titles == newest
    assert sorted(d.note_skipped for d in due if d.note_skipped) == [
        100 - CATCH_UP_LIMIT,
        1000 - CATCH_UP_LIMIT,
    ]
    for d in due:
        assert len(await store.deliveries_for_article(d.article_id)) == 1
