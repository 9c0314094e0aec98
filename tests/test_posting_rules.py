"""bot.posting.rules: which pending deliveries go now, and what a resume posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.posting.rules import Pending, due_now, split_backlog

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


def pending(did: int, channel: int, hour: int, wait_minutes: int = 0) -> Pending:
    return Pending(
        delivery_id=did,
        channel_id=channel,
        published_at=T0 + timedelta(hours=hour),
        article_id=did,
        next_attempt_at=T0 + timedelta(minutes=wait_minutes),
    )


def test_due_deliveries_go_per_channel_in_publication_order() -> None:
    """Channels by id, each in publication order whatever the input order."""
    rows = [pending(3, 20, 1), pending(1, 10, 2), pending(2, 10, 1)]
    assert due_now(rows, T0, limit=10) == [2, 1, 3]
    assert due_now(rows, T0, limit=2) == [2, 1]


def test_an_older_retry_holds_back_its_channel_only() -> None:
    """A later-due older article blocks newer ones in its channel, not elsewhere."""
    rows = [pending(1, 10, 1, wait_minutes=5), pending(2, 10, 2), pending(3, 20, 3)]
    assert due_now(rows, T0, limit=10) == [3]
    assert due_now(rows, T0 + timedelta(minutes=5), limit=10) == [1, 2, 3]
    # a newer article waiting does not hold back an older one
    rows = [pending(1, 10, 1), pending(2, 10, 2, wait_minutes=5)]
    assert due_now(rows, T0, limit=10) == [1]


def test_a_resume_posts_its_backlog_and_skips_the_rest() -> None:
    """The `backlog` newest are posted; a negative backlog posts nothing."""
    assert split_backlog([5, 4, 3], 2) == ([5, 4], [3])
    assert split_backlog([5, 4, 3], 0) == ([], [5, 4, 3])
    assert split_backlog([5], -1) == ([], [5])
