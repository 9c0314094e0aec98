"""The feed rules storage applies inside its transactions: which feeds are
polled, how a failed poll changes a feed's status, what one poll's articles do
to the archive, and how many of them reach a channel at once.

Pure functions of plain values, so each backend applies the same rules and
they are tested without a database. A backend may pre-select rows in its own
query language for speed, but the decision is made here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.models import FeedStatus, ParsedArticle

# A hash-only change (the publisher's `updated` is the same) rewrites the
# article at most this many times, so entries that embed the time don't churn.
HASH_CHANGE_CAP = 5
# At most this many articles of one poll are posted to one subscription.
CATCH_UP_LIMIT = 10


# -- which feeds are polled ------------------------------------------------------------


def feed_is_wanted(status: FeedStatus, *, pinned: bool, live_subscriptions: int) -> bool:
    """A feed is polled while it is not retired and a maintainer pinned it or a
    subscription in a guild the bot is still in needs it. Paused subscriptions
    count: the archive keeps growing, and resuming then posts only the backlog."""
    return status != FeedStatus.GONE and (pinned or live_subscriptions > 0)


def feed_is_due(
    status: FeedStatus,
    next_poll_at: datetime,
    now: datetime,
    *,
    pinned: bool,
    live_subscriptions: int,
    all_: bool = False,
) -> bool:
    """Poll now: wanted, and its time has come (or every wanted feed with `all_`)."""
    wanted = feed_is_wanted(status, pinned=pinned, live_subscriptions=live_subscriptions)
    return wanted and (all_ or next_poll_at <= now)


# -- a failed poll ---------------------------------------------------------------------


def status_after_failure(
    status: FeedStatus,
    *,
    first_error_at: datetime | None,
    now: datetime,
    broken_after: int,
    gone: bool,
) -> FeedStatus:
    """`gone` retires a feed for good (HTTP 410); an active feed turns broken once
    its failures have lasted `broken_after` seconds; otherwise nothing changes."""
    if gone:
        return FeedStatus.GONE
    since = first_error_at or now
    if status == FeedStatus.ACTIVE and (now - since).total_seconds() >= broken_after:
        return FeedStatus.BROKEN
    return status


# -- what a poll's articles do to the archive ------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """What the archive holds of an article, as far as ingest decisions go."""

    id: int
    content_hash: str
    updated_at: datetime | None
    hash_changes: int  # rewrites so far whose `updated` did not change
    comment_count: int | None


@dataclass(frozen=True, slots=True)
class Rewrite:
    article: ParsedArticle
    stored_id: int
    # The publisher's `updated` changed: a real edit, not counted against the cap.
    real_update: bool


@dataclass(frozen=True, slots=True)
class IngestPlan:
    """What to write for one poll's articles."""

    fresh: tuple[ParsedArticle, ...]  # not stored yet: insert
    rewrites: tuple[Rewrite, ...]  # stored with other content: rewrite
    comment_counts: tuple[tuple[int, int], ...]  # (stored id, new count) when only that moved
    unchanged: int


def plan_ingest(
    articles: Iterable[ParsedArticle], stored: Mapping[str, StoredVersion]
) -> IngestPlan:
    """Sort a poll's articles (keyed by `ParsedArticle.key`) into inserts, rewrites
    and comment-count bumps. A rewrite whose `updated` stayed the same counts
    against HASH_CHANGE_CAP; past the cap the article is left as stored."""
    fresh: list[ParsedArticle] = []
    rewrites: list[Rewrite] = []
    counts: list[tuple[int, int]] = []
    unchanged = 0
    for art in articles:
        old = stored.get(art.key)
        if old is None:
            fresh.append(art)
        elif old.content_hash != art.content_hash:
            real_update = _same_second(art.updated) != _same_second(old.updated_at)
            if real_update or old.hash_changes < HASH_CHANGE_CAP:
                rewrites.append(Rewrite(art, old.id, real_update))
            else:
                unchanged += 1
        else:
            if art.comment_count is not None and art.comment_count != old.comment_count:
                counts.append((old.id, art.comment_count))
            unchanged += 1
    return IngestPlan(tuple(fresh), tuple(rewrites), tuple(counts), unchanged)


def _same_second(value: datetime | None) -> int | None:
    # Stored times have whole seconds; compare at that precision.
    return None if value is None else int(value.timestamp())


# -- how many new articles reach a channel at once -------------------------------------


@dataclass(frozen=True, slots=True)
class CatchUp:
    post: tuple[int, ...]  # oldest first
    skipped: int  # older ones not posted; the first post carries a note counting them


def catch_up(ordered_ids: Sequence[int]) -> CatchUp:
    """New articles of one poll (oldest first) for one subscription. More than
    CATCH_UP_LIMIT at once (downtime, a feed re-keying everything) posts the
    newest ones and a note counting the rest, instead of flooding a channel."""
    keep = tuple(ordered_ids[-CATCH_UP_LIMIT:]) if ordered_ids else ()
    return CatchUp(keep, len(ordered_ids) - len(keep))


@dataclass(frozen=True, slots=True)
class PollPosting:
    """What a poll too big for one transaction posts, decided before its writes."""

    post_keys: frozenset[str]
    note_key: str | None  # the oldest posted article carries the note...
    skipped: int  # ...counting the new ones left unposted


def poll_posting(
    articles: Sequence[ParsedArticle], known: Iterable[str], now: datetime
) -> PollPosting:
    """Which of a poll's articles (not among the `known` keys) are posted: in
    publication order (whole seconds, as stored), then arrival order, through
    `catch_up`; the same choice the single-transaction path makes."""
    stored = set(known)
    arrival = {a.key: n for n, a in reversed(list(enumerate(articles)))}  # first occurrence
    when = {  # the first of duplicate keys is the one stored
        a.key: int((a.published or a.updated or now).timestamp()) for a in reversed(articles)
    }
    fresh = [k for k in arrival if k not in stored]
    ordered = sorted(fresh, key=lambda k: (when[k], arrival[k]))
    plan = catch_up(range(len(ordered)))
    post = [ordered[i] for i in plan.post]
    return PollPosting(frozenset(post), post[0] if post else None, plan.skipped)
