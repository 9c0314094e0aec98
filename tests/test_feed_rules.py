"""bot.feeds.rules: which feeds are polled, failure status, ingest plan, catch-up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.rules import (
    CATCH_UP_LIMIT,
    HASH_CHANGE_CAP,
    StoredVersion,
    catch_up,
    feed_is_due,
    feed_is_wanted,
    plan_ingest,
    poll_posting,
    status_after_failure,
)
from bot.models import FeedStatus, ParsedArticle

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


def art(key: str, content_hash: str = "h", **kw: object) -> ParsedArticle:
    base = ParsedArticle(
        key=key, link=None, title=key, summary="", content="", author=None, published=T0,
        updated=None, image_url=None, categories=(), comments_url=None,
        comments_feed_url=None, comment_count=None, content_hash=content_hash,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def stored(aid: int, content_hash: str = "h", **kw: object) -> StoredVersion:
    base = StoredVersion(aid, content_hash, updated_at=None, hash_changes=0, comment_count=None)
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "pinned", "live", "wanted"),
    [
        (FeedStatus.ACTIVE, False, 0, False),
        (FeedStatus.ACTIVE, True, 0, True),
        (FeedStatus.BROKEN, False, 2, True),
        (FeedStatus.GONE, True, 2, False),
    ],
)
def test_a_feed_is_wanted_while_pinned_or_subscribed_and_not_gone(
    status: FeedStatus, pinned: bool, live: int, wanted: bool
) -> None:
    """Gone feeds never; otherwise a pin or a live subscription keeps it polled."""
    assert feed_is_wanted(status, pinned=pinned, live_subscriptions=live) is wanted


def test_a_wanted_feed_is_due_when_its_time_comes_or_with_all() -> None:
    """`all_` ignores the schedule, never the wanted rule."""
    later = T0 + timedelta(minutes=1)
    due = feed_is_due(FeedStatus.ACTIVE, later, T0, pinned=True, live_subscriptions=0)
    assert not due
    assert feed_is_due(FeedStatus.ACTIVE, T0, T0, pinned=True, live_subscriptions=0)
    assert feed_is_due(FeedStatus.ACTIVE, later, T0, pinned=True, live_subscriptions=0, all_=True)
    assert not feed_is_due(FeedStatus.GONE, T0, T0, pinned=True, live_subscriptions=1, all_=True)


def test_failure_status_breaks_after_the_threshold_and_gone_is_final() -> None:
    """Active turns broken after `broken_after` s of failure; 410 retires."""
    hour = 3600
    args = {"now": T0 + timedelta(seconds=hour - 1), "broken_after": hour, "gone": False}
    assert status_after_failure(FeedStatus.ACTIVE, first_error_at=T0, **args) is FeedStatus.ACTIVE
    args["now"] = T0 + timedelta(seconds=hour)
    assert status_after_failure(FeedStatus.ACTIVE, first_error_at=T0, **args) is FeedStatus.BROKEN
    assert status_after_failure(FeedStatus.BROKEN, first_error_at=T0, **args) is FeedStatus.BROKEN
    assert status_after_failure(FeedStatus.ACTIVE, first_error_at=None, **args) is FeedStatus.ACTIVE
    args["gone"] = True
    assert status_after_failure(FeedStatus.ACTIVE, first_error_at=None, **args) is FeedStatus.GONE


def test_plan_sorts_new_changed_and_unchanged() -> None:
    """New keys insert, other hashes rewrite, same hashes only bump a moved count."""
    plan = plan_ingest(
        [art("new"), art("edit", "h2"), art("same"), art("count", comment_count=4)],
        {"edit": stored(1), "same": stored(2), "count": stored(3, comment_count=1)},
    )
    assert [a.key for a in plan.fresh] == ["new"]
    assert [(w.stored_id, w.real_update) for w in plan.rewrites] == [(1, False)]
    assert plan.comment_counts == ((3, 4),)
    assert plan.unchanged == 2


def test_hash_only_churn_stops_at_the_cap_but_real_updates_pass() -> None:
    """Past the cap a hash-only change is ignored; a new `updated` is not."""
    capped = {"a": stored(1, hash_changes=HASH_CHANGE_CAP)}
    assert plan_ingest([art("a", "h2")], capped).rewrites == ()
    assert plan_ingest([art("a", "h2")], capped).unchanged == 1
    below = {"a": stored(1, hash_changes=HASH_CHANGE_CAP - 1)}
    assert len(plan_ingest([art("a", "h2")], below).rewrites) == 1
    real = plan_ingest([art("a", "h2", updated=T0)], capped).rewrites
    assert [w.real_update for w in real] == [True]
    same_second = {"a": stored(1, hash_changes=HASH_CHANGE_CAP, updated_at=T0)}
    assert plan_ingest([art("a", "h2", updated=T0 + timedelta(microseconds=5))], same_second) \
        .rewrites == ()


def test_catch_up_keeps_the_newest_and_counts_the_rest() -> None:
    """More than the cap: the newest CATCH_UP_LIMIT, oldest first, and a count."""
    assert catch_up([]) == catch_up(()) and catch_up([]).post == ()
    small = catch_up([1, 2, 3])
    assert small.post == (1, 2, 3) and small.skipped == 0
    burst = catch_up(list(range(CATCH_UP_LIMIT + 4)))
    assert burst.post == tuple(range(4, CATCH_UP_LIMIT + 4)) and burst.skipped == 4


def test_poll_posting_orders_new_articles_by_date_then_arrival_and_caps_them() -> None:
    """Known keys are left out; the rest post oldest first, newest CATCH_UP_LIMIT kept."""
    total = CATCH_UP_LIMIT + 3
    fresh = [art(f"n{i}", published=T0 + timedelta(hours=total - i)) for i in range(total)]
    undated = art("u", published=None)  # dated by the poll: the newest
    twin = art("n0", title="a later duplicate of n0")  # the first of a key is the one stored
    plan = poll_posting([art("old"), *fresh, undated, twin], ["old"], T0 + timedelta(days=1))
    newest_first = [a.key for a in fresh]  # n0 is the newest dated one
    expected = [*reversed(newest_first[: CATCH_UP_LIMIT - 1]), "u"]
    assert plan.post_keys == frozenset(expected) and plan.note_key == expected[0]
    assert plan.skipped == total + 1 - CATCH_UP_LIMIT
    assert poll_posting([art("a")], ["a"], T0) == poll_posting([], [], T0)

