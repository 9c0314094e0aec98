"""Exactly-once across processes: two stores on one database racing to store the
same poll or add the same subscription still queue each article once per
subscription, and a duplicate subscription is refused to exactly one of them."""

from __future__ import annotations

import asyncio

from bot.errors import DuplicateSubscriptionError
from bot.storage import Storage

from .conftest import Backend
from .records import T0, art, ok


async def test_the_same_poll_stored_twice_at_once_is_queued_once(backend: Backend) -> None:
    """Two processes storing the same entries at once: each article is new for one."""
    one, two = await backend.open(), await backend.open()
    try:
        feed = await one.add_feed("https://example.org/feed", T0)
        await one.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=0)
        await one.add_subscription(guild_id=2, channel_id=20, feed_id=feed.id, now=T0, backlog=0)
        for round_ in range(5):
            poll = ok(*(art(round_ * 10 + n) for n in range(8)))
            a, b = await asyncio.gather(
                one.record_success(feed.id, poll), two.record_success(feed.id, poll)
            )
            assert sorted(a.new_ids + b.new_ids) == sorted(set(a.new_ids + b.new_ids))
            assert len(a.new_ids) + len(b.new_ids) == 8
        assert await two.count_articles() == 40
        for article in await one.latest_articles(100):
            deliveries = await two.deliveries_for_article(article.id)
            assert sorted(d.channel_id for d in deliveries) == [10, 20]
    finally:
        await one.close()
        await two.close()


async def test_a_big_poll_stored_twice_at_once_is_queued_once(backend: Backend) -> None:
    """The same for a poll written in several transactions (more than 500 entries)."""
    one, two = await backend.open(), await backend.open()
    try:
        feed = await one.add_feed("https://example.org/feed", T0)
        await one.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=0)
        poll = ok(*(art(n) for n in range(700)))
        a, b = await asyncio.gather(
            one.record_success(feed.id, poll), two.record_success(feed.id, poll)
        )
        assert len(set(a.new_ids) | set(b.new_ids)) == len(a.new_ids) + len(b.new_ids) == 700
        due = await one.due_deliveries(T0, limit=1000)
        assert len(due) == len({d.article_id for d in due})
    finally:
        await one.close()
        await two.close()


async def test_racing_subscriptions_to_one_channel_make_one(backend: Backend) -> None:
    """Two processes subscribing one channel to one feed: one wins, one is refused."""
    one, two = await backend.open(), await backend.open()
    try:
        feed = await one.add_feed("https://example.org/feed", T0)
        await one.record_success(feed.id, ok(art(1), art(2)))

        async def subscribe(store: Storage) -> bool:
            try:
                await store.add_subscription(
                    guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=2
                )
            except DuplicateSubscriptionError:
                return False
            return True

        won = await asyncio.gather(subscribe(one), subscribe(two))
        assert sorted(won) == [False, True]
        (sub,) = await two.channel_subscriptions(10)
        due = await one.due_deliveries(T0)
        assert len(due) == 2 and {d.subscription_id for d in due} == {sub.id}
    finally:
        await one.close()
        await two.close()


async def test_a_delivery_marked_sent_by_one_store_is_not_due_in_another(
    backend: Backend,
) -> None:
    """The outbox is shared: once one process posted a delivery, no other sends it."""
    one, two = await backend.open(), await backend.open()
    try:
        feed = await one.add_feed("https://example.org/feed", T0)
        await one.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
        await one.record_success(feed.id, ok(art(1)))
        (delivery,) = await two.due_deliveries(T0)
        await one.mark_delivery_sent(delivery.id, message_id=99, thread_id=None, now=T0)
        assert await two.due_deliveries(T0) == []
        sent = await two.get_delivery(delivery.id)
        assert sent is not None and sent.message_id == 99
    finally:
        await one.close()
        await two.close()
