"""DiscussionStore: discussion threads and link mentions."""

from __future__ import annotations

from datetime import timedelta

from bot.storage import Storage

from .records import T0, art, ok


async def test_a_discussion_thread_per_guild_and_article(store: Storage) -> None:
    """Setting again replaces the thread; activity adds or sets the count."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    a, b = (await store.record_success(feed.id, ok(art(1), art(2)))).new_ids
    await store.set_discussion(1, a, 10, 100, T0)
    found = await store.discussion(1, a)
    assert found is not None and (found.thread_id, found.message_count) == (100, 0)
    later = T0 + timedelta(minutes=3)
    await store.discussion_activity(100, new_messages=2, last_activity_at=later)
    await store.discussion_activity(100, new_messages=1)
    assert await store.discussion_message_count(100) == 3
    await store.discussion_activity(100, message_count=10)
    assert await store.discussion_message_count(100) == 10
    again = await store.discussion(1, a)
    assert again is not None and again.last_activity_at == later
    await store.set_discussion(1, a, 10, 101, T0)
    assert await store.discussion_message_count(100) is None
    assert await store.discussion_message_count(101) == 0
    assert list(await store.discussions_for(1, [a, b])) == [a]
    assert await store.discussions_for(1, []) == {}
    await store.discussion_activity(999, new_messages=1)  # unknown thread: no error
    await store.drop_discussion_thread(101)
    assert await store.discussion(1, a) is None


async def test_link_mentions_are_kept_once_and_forgotten_on_delete(store: Storage) -> None:
    """A linking message is recorded once, newest first, and can be forgotten."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    (a,) = (await store.record_success(feed.id, ok(art(1)))).new_ids
    await store.record_link_mention(1, a, 10, 500, T0)
    await store.record_link_mention(1, a, 10, 500, T0)
    await store.record_link_mention(1, a, 11, 501, T0 + timedelta(minutes=1))
    found = await store.link_mentions_for(1, a)
    assert [m.message_id for m in found] == [501, 500]
    assert found[0].channel_id == 11 and found[0].created_at == T0 + timedelta(minutes=1)
    assert len(await store.link_mentions_for(1, a, limit=1)) == 1
    await store.forget_link_mentions([501])
    await store.forget_link_mentions([])
    assert [m.message_id for m in await store.link_mentions_for(1, a)] == [500]
