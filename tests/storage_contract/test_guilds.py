"""GuildStore: subscriptions, settings, notices, and one guild never seeing another."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import DuplicateSubscriptionError, NotFoundError
from bot.models import GuildSettings, PostStyle
from bot.storage import Storage

from .records import T0, art, ok


async def test_subscribing_queues_the_backlog_and_refuses_duplicates(store: Storage) -> None:
    """A new subscription queues its `backlog` newest articles, oldest first."""
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.record_success(feed.id, ok(*(art(n) for n in range(5))))
    sub = await store.add_subscription(
        guild_id=1, channel_id=10, feed_id=feed.id, now=T0, backlog=2, name="Daily", added_by=5
    )
    assert (sub.name, sub.backlog, sub.added_by, sub.style) == ("Daily", 2, 5, PostStyle.FULL)
    due = await store.due_deliveries(T0)
    titles = [a.title for a in await store.get_articles([d.article_id for d in due])]
    assert titles == ["Article 3", "Article 4"]
    with pytest.raises(DuplicateSubscriptionError):
        await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
    assert await store.count_subscriptions(1) == 1
    assert await store.guild_has_feed(1, feed.id)


async def test_subscriptions_are_listed_by_guild_feed_and_channel(store: Storage) -> None:
    """Each listing holds exactly its own subscriptions, by id."""
    a = await store.add_feed("https://example.org/a", T0)
    b = await store.add_feed("https://example.org/b", T0)
    s1 = await store.add_subscription(guild_id=1, channel_id=10, feed_id=a.id, now=T0)
    s2 = await store.add_subscription(guild_id=1, channel_id=11, feed_id=b.id, now=T0)
    s3 = await store.add_subscription(guild_id=2, channel_id=20, feed_id=a.id, now=T0)
    assert [s.id for s in await store.guild_subscriptions(1)] == [s1.id, s2.id]
    assert [s.id for s in await store.feed_subscriptions(a.id)] == [s1.id, s3.id]
    assert [s.id for s in await store.channel_subscriptions(20)] == [s3.id]
    assert await store.get_subscription(s2.id) == s2
    assert await store.subscribed_guilds() == {1, 2}
    await store.mark_guild_removed(2, T0)
    assert await store.subscribed_guilds() == {1}
    await store.remove_subscription(s2.id)
    await store.remove_subscription(s2.id)  # twice is fine
    assert await store.get_subscription(s2.id) is None
    assert await store.count_subscriptions(1) == 1


async def test_update_subscription_changes_only_what_is_given(store: Storage) -> None:
    """Typed changes apply; KEEP (the default) leaves a field alone."""
    feed = await store.add_feed("https://example.org/feed", T0)
    sub = await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
    changed = await store.update_subscription(
        sub.id, include=["naloxone"], style=PostStyle.COMPACT, mention_role_id=42, threads=True
    )
    assert changed.include == ("naloxone",) and changed.exclude == ()
    assert changed.style is PostStyle.COMPACT and changed.threads
    assert changed.mention_role_id == 42 and changed.channel_id == 10
    moved = await store.update_subscription(sub.id, channel_id=12, mention_role_id=None)
    assert moved.channel_id == 12 and moved.mention_role_id is None
    assert moved.include == ("naloxone",) and moved.style is PostStyle.COMPACT
    assert await store.update_subscription(sub.id) == moved
    await store.remove_subscription(sub.id)
    with pytest.raises(NotFoundError):
        await store.update_subscription(sub.id, backlog=3)


async def test_guild_settings_round_trip(store: Storage) -> None:
    """Unknown guilds have defaults; updates merge; None restores a default."""
    assert await store.guild_settings(7) == GuildSettings(7)
    s = await store.update_guild_settings(7, moderator_role_id=99, content_warnings=["relapse"])
    assert s.moderator_role_id == 99 and s.content_warnings == ("relapse",)
    s = await store.update_guild_settings(7, log_channel_id=5, subscription_quota=50)
    assert (s.moderator_role_id, s.log_channel_id, s.subscription_quota) == (99, 5, 50)
    s = await store.update_guild_settings(7, content_warnings=None, resources="Call 988")
    assert s.content_warnings is None and s.resources == "Call 988"
    assert await store.guild_settings(7) == s
    assert await store.update_guild_settings(8) == GuildSettings(8)


async def test_notices_are_remembered_once_per_guild(store: Storage) -> None:
    """A notice is told once per guild until forgotten."""
    assert await store.remember_notice(7, "feed:1:broken", T0)
    assert not await store.remember_notice(7, "feed:1:broken", T0)
    assert await store.remember_notice(8, "feed:1:broken", T0)
    assert await store.forget_notice(7, "feed:1:broken")
    assert not await store.forget_notice(7, "feed:1:broken")
    assert await store.remember_notice(7, "feed:1:broken", T0)


async def test_removed_guilds_are_purged_after_their_grace(store: Storage) -> None:
    """Only guilds removed before the cutoff lose their subscriptions."""
    feed = await store.add_feed("https://example.org/feed", T0)
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)
    await store.add_subscription(guild_id=2, channel_id=20, feed_id=feed.id, now=T0)
    await store.mark_guild_removed(1, T0)
    await store.mark_guild_removed(2, T0 + timedelta(days=30))
    assert (await store.guild_settings(1)).removed_at == T0
    assert await store.purge_removed_guilds(T0 + timedelta(days=1)) == 1
    assert await store.guild_subscriptions(1) == []
    assert len(await store.guild_subscriptions(2)) == 1


async def test_one_guild_never_sees_another_guilds_records(store: Storage) -> None:
    """Scope, posts, settings, threads and mentions stay inside their guild."""
    mine = await store.add_feed("https://example.org/mine", T0)
    theirs = await store.add_feed("https://example.org/theirs", T0)
    await store.add_subscription(guild_id=1, channel_id=10, feed_id=mine.id, now=T0)
    await store.add_subscription(guild_id=2, channel_id=20, feed_id=theirs.id, now=T0)
    (a_mine,) = (await store.record_success(mine.id, ok(art(1)))).new_ids
    (a_theirs,) = (await store.record_success(theirs.id, ok(art(2)))).new_ids
    assert [f.id for f in await store.guild_feed_list(1)] == [mine.id]
    assert not await store.guild_has_feed(1, theirs.id)
    assert [a.id for a in await store.latest_articles(guild_id=1)] == [a_mine]
    for d in await store.due_deliveries(T0):
        await store.mark_delivery_sent(d.id, message_id=d.id + 1000, thread_id=None, now=T0)
    assert await store.sent_in_guild(1, [a_theirs]) == {}
    assert list(await store.sent_in_guild(2, [a_mine, a_theirs])) == [a_theirs]
    await store.update_guild_settings(1, resources="mine")
    assert (await store.guild_settings(2)).resources is None
    await store.set_discussion(2, a_theirs, 20, 900, T0)
    assert await store.discussion(1, a_theirs) is None
    assert await store.discussions_for(1, [a_theirs]) == {}
    await store.record_link_mention(2, a_theirs, 20, 901, T0)
    assert await store.link_mentions_for(1, a_theirs) == []
    assert await store.subscribed_guilds() == {1, 2}
    # unsubscribing keeps a feed searchable where it was, and only there
    await store.add_guild_feed(1, mine.id)
    for sub in await store.guild_subscriptions(1):
        await store.remove_subscription(sub.id)
    assert [f.id for f in await store.guild_feed_list(1)] == [mine.id]
