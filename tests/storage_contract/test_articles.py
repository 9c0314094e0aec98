"""ArticleStore: reading the archive, and source comments."""

from __future__ import annotations

from datetime import timedelta

from bot.models import ParsedComment
from bot.storage import Storage

from .records import T0, art, ok


def comment(n: int, text: str | None = None) -> ParsedComment:
    return ParsedComment(
        key=f"c{n}",
        author=f"Reader {n}",
        published=T0 + timedelta(minutes=n),
        text=text or f"Thanks {n}",
        link=f"https://example.org/1#comment-{n}",
        content_hash=text or f"ch{n}",
    )


async def test_articles_read_back_in_the_order_asked(store: Storage) -> None:
    """get_articles keeps the caller's order and drops unknown ids."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    a, b, c = (await store.record_success(feed.id, ok(art(1), art(2), art(3)))).new_ids
    assert [x.id for x in await store.get_articles([c, 999, a, b])] == [c, a, b]
    assert await store.get_articles([]) == []


async def test_latest_articles_newest_first_within_a_scope(store: Storage) -> None:
    """Newest by publication time, limited to a feed or a guild's feeds."""
    one = await store.add_feed("https://example.org/1", T0, pinned=True)
    two = await store.add_feed("https://example.org/2", T0, pinned=True)
    await store.record_success(one.id, ok(art(1), art(3)))
    await store.record_success(two.id, ok(art(2)))
    assert [a.title for a in await store.latest_articles(2)] == ["Article 3", "Article 2"]
    assert [a.title for a in await store.latest_articles(feed_id=two.id)] == ["Article 2"]
    await store.add_guild_feed(7, one.id)
    scoped = await store.latest_articles(guild_id=7)
    assert [a.title for a in scoped] == ["Article 3", "Article 1"]
    assert await store.latest_articles(guild_id=8) == []


async def test_undated_article_takes_its_first_seen_time(store: Storage) -> None:
    """No date in the feed: published at the poll's time, marked undated."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    (aid,) = (await store.record_success(feed.id, ok(art(1, published=None)))).new_ids
    article = await store.get_article(aid)
    assert article is not None and article.published_at == T0 and not article.has_date


async def test_comments_are_stored_once_per_key(store: Storage) -> None:
    """Re-polling the same comments adds none; an edit updates in place."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    a = art(1, comments_feed_url="https://example.org/1/feed/")
    (aid,) = (await store.record_success(feed.id, ok(a))).new_ids
    assert [x.id for x in await store.comment_polls_due(T0, T0 - timedelta(days=14))] == [aid]
    assert await store.comment_polls_due(T0, T0 + timedelta(days=1)) == []
    nxt = T0 + timedelta(hours=1)
    three = [comment(n) for n in range(3)]
    assert await store.record_comments(aid, three, next_poll_at=nxt, etag='"c"') == 3
    assert await store.record_comments(aid, three, next_poll_at=nxt) == 0
    edited = [comment(0, "Edited thanks"), *three[1:]]
    assert await store.record_comments(aid, edited, next_poll_at=nxt, last_modified="lm") == 0
    assert await store.count_comments(aid) == 3
    assert await store.comments_cache(aid) == (None, "lm")
    newest = await store.comments_for(aid, limit=2)
    assert [c.key for c in newest] == ["c2", "c1"]
    assert "Edited thanks" in [c.text for c in await store.comments_for(aid, limit=5)]
    assert await store.comment_counts([aid, 999]) == {aid: 3}
    assert await store.comment_polls_due(T0, T0 - timedelta(days=14)) == []
    article = await store.get_article(aid)
    assert article is not None and article.comment_count == 3


async def test_an_unchanged_comments_poll_only_reschedules(store: Storage) -> None:
    """None (304 or failure) keeps the cache and moves the next poll."""
    feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
    a = art(1, comments_feed_url="https://example.org/1/feed/")
    (aid,) = (await store.record_success(feed.id, ok(a))).new_ids
    await store.record_comments(aid, [comment(1)], next_poll_at=T0, etag='"c"')
    await store.record_comments(aid, None, next_poll_at=T0 + timedelta(hours=2))
    assert await store.comments_cache(aid) == ('"c"', None)
    assert await store.comment_polls_due(T0 + timedelta(hours=1), T0 - timedelta(days=1)) == []
    assert await store.count_comments(aid) == 1
