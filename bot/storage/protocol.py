"""The storage interface the core depends on, and the records that cross it.

`Storage` is deliberately narrow: each method is one unit of work (usually one
transaction) named in domain terms, so a PostgreSQL backend can implement it
without the core ever seeing SQL. SqliteStorage (bot/storage/sqlite/) is the
embedded default. The rules the methods apply (which feeds are due, catch-up and
hash-churn caps, the per-channel hold-back) live in bot/feeds/rules.py and
bot/posting/rules.py, so every backend applies the same ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final, Literal, Protocol

from bot.models import (
    Article,
    Comment,
    Delivery,
    Feed,
    GuildSettings,
    ParsedArticle,
    ParsedComment,
    PostStyle,
    Subscription,
)
from bot.storage.search_plan import SearchPlan, Term, WordStatistics


@dataclass(frozen=True, slots=True)
class FeedMeta:
    title: str | None
    site_url: str | None
    icon_url: str | None


@dataclass(frozen=True, slots=True)
class SuccessOutcome:
    """A poll that worked. `articles` is None when the body was unchanged (304, same hash)."""

    now: datetime
    next_poll_at: datetime
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    meta: FeedMeta | None = None
    articles: tuple[ParsedArticle, ...] | None = None
    new_url: str | None = None  # a permanent redirect moved the feed


@dataclass(frozen=True, slots=True)
class FailureOutcome:
    now: datetime
    next_poll_at: datetime
    error: str
    broken_after: int  # seconds of sustained failure before the feed is marked broken
    gone: bool = False  # HTTP 410: retire the feed


@dataclass(frozen=True, slots=True)
class IngestResult:
    new_ids: tuple[int, ...]
    updated_ids: tuple[int, ...]
    unchanged: int
    recovered: bool  # the feed was broken and this poll worked


@dataclass(frozen=True, slots=True)
class CommentHit:
    comment: Comment
    snippet: str  # \x02 ... \x03 markers like SearchHit.snippet


@dataclass(frozen=True, slots=True)
class SearchHit:
    article: Article
    snippet: str  # matched terms wrapped in \x02 ... \x03 for the renderer to mark up
    # Higher is better. Comparable only within one result list (the scale is the
    # backend's own); 0.0 when the search is sorted by date.
    score: float
    comments: tuple[CommentHit, ...] = ()  # matching source comments, best first
    via_comments: bool = False  # only its comments matched, not the article


@dataclass(frozen=True, slots=True)
class SearchResults:
    """One page of hits for a SearchPlan."""

    hits: tuple[SearchHit, ...]
    # More than `plan.newest_matches` articles matched: the older ones were left out.
    newest_only: bool = False


@dataclass(frozen=True, slots=True)
class TitleMatch:
    """An autocomplete choice."""

    article_id: int
    title: str
    published_at: datetime


@dataclass(frozen=True, slots=True)
class Discussion:
    guild_id: int
    article_id: int
    channel_id: int
    thread_id: int
    message_count: int
    last_activity_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LinkMention:
    """A member's message that linked a stored article (no text is kept)."""

    guild_id: int
    article_id: int
    channel_id: int
    message_id: int
    created_at: datetime


# -- the interface ------------------------------------------------------------------


class Keep(Enum):
    """The type of KEEP: an `update_*` argument left as stored."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP

# Errors. Every method may raise StorageError (bot/storage/errors.py); the ones a
# caller should expect of any method are:
#   DatabaseBusyError      another process kept the write lock past the busy
#                          timeout, even after the transaction was run again
#   DatabaseReadOnlyError  a write on a store opened read-only
#   DiskFullError          a write found the disk full (nothing was written)
#   DatabaseCorruptError   the file turned out damaged while in use
# A method's docstring names only what it raises beyond these. Nothing else
# (no driver error) leaves a backend. Writes are atomic: when a method raises,
# nothing of it was stored. Times are aware UTC datetimes, in and out.


class FeedStore(Protocol):
    async def add_feed(self, url: str, now: datetime, *, pinned: bool = False) -> Feed:
        """The feed for `url`, created (due at `now`) if it is new. `pinned` marks it
        as a maintainer's feed, polled without subscribers; it never unpins."""
        ...

    async def get_feed(self, feed_id: int) -> Feed | None:
        """The feed, or None if there is no such id."""
        ...

    async def feed_by_url(self, url: str) -> Feed | None:
        """The feed stored under exactly `url`, or None."""
        ...

    async def list_feeds(self) -> list[Feed]:
        """Every feed, gone ones included, by id."""
        ...

    async def feed_article_counts(self) -> dict[int, int]:
        """Stored articles per feed id (feeds without articles are left out)."""
        ...

    async def remove_feed(self, feed_id: int) -> None:
        """Delete a feed with its articles, comments, subscriptions and outbox rows.
        An unknown id is not an error."""
        ...

    async def unpin_feed(self, feed_id: int) -> None:
        """Stop polling the feed for its own sake (subscriptions still keep it polled)."""
        ...

    async def due_feeds(
        self, now: datetime, limit: int = 1000, *, all_: bool = False
    ) -> list[Feed]:
        """At most `limit` feeds to poll now, longest overdue first (then by id):
        bot.feeds.rules.feed_is_due (every wanted feed with `all_`)."""
        ...

    async def next_poll_time(self, exclude: Sequence[int] = ()) -> datetime | None:
        """When the next wanted feed (other than `exclude`) falls due; None if none is."""
        ...

    async def record_success(self, feed_id: int, outcome: SuccessOutcome) -> IngestResult:
        """Store a successful poll in one transaction: caching headers, metadata, the
        articles (sorted by bot.feeds.rules.plan_ingest) and, for new articles, one
        outbox row per live (unpaused, guild still joined) subscription, capped by
        bot.feeds.rules.catch_up. An article is new once per feed: polling the same
        entries again never queues them again. An unknown feed stores nothing and
        returns an empty result. `new_ids` follow the order of `outcome.articles`."""
        ...

    async def record_failure(self, feed_id: int, outcome: FailureOutcome) -> Feed | None:
        """Count a failed poll and set the status of bot.feeds.rules.status_after_failure.
        Returns the updated feed, or None for an unknown id."""
        ...


class ArticleStore(Protocol):
    async def get_article(self, article_id: int) -> Article | None:
        """The article, or None."""
        ...

    async def get_articles(self, article_ids: Iterable[int]) -> list[Article]:
        """The articles that exist, in the order of `article_ids` (missing ids left out)."""
        ...

    async def latest_articles(
        self, limit: int = 10, *, feed_id: int | None = None, guild_id: int | None = None
    ) -> list[Article]:
        """The newest articles by publication time (then id), newest first, within a
        feed and/or a guild's feeds (its search scope: only feeds it subscribed to)."""
        ...

    async def count_articles(self) -> int:
        """How many articles are stored in all."""
        ...

    async def comment_polls_due(
        self, now: datetime, published_since: datetime, limit: int = 100
    ) -> list[Article]:
        """Articles published since `published_since` with a comments feed due by
        `now` (feeds not gone), the longest overdue first."""
        ...

    async def comments_cache(self, article_id: int) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) of the article's last comments poll; (None, None)
        if unknown."""
        ...

    async def record_comments(
        self,
        article_id: int,
        comments: Sequence[ParsedComment] | None,
        *,
        next_poll_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> int:
        """Store a comments poll (None: unchanged or failed, only reschedule).
        Comments are keyed per article: a known key is updated, never duplicated.
        Returns how many were new."""
        ...

    async def comments_for(self, article_id: int, limit: int = 3) -> list[Comment]:
        """The article's newest stored comments, newest first."""
        ...

    async def count_comments(self, article_id: int) -> int:
        """How many comments of the article are stored."""
        ...

    async def comment_counts(self, article_ids: Sequence[int]) -> dict[int, int]:
        """Stored comments per article id (articles without any are left out)."""
        ...


class GuildStore(Protocol):
    async def add_subscription(
        self,
        *,
        guild_id: int,
        channel_id: int,
        feed_id: int,
        now: datetime,
        name: str | None = None,
        backlog: int = 1,
        added_by: int | None = None,
    ) -> Subscription:
        """Subscribe a channel to a feed and queue the feed's `backlog` newest
        articles for it. The feed joins the guild's search scope for good, and a
        guild marked removed counts as joined again. Raises
        DuplicateSubscriptionError when the channel already receives the feed."""
        ...

    async def get_subscription(self, subscription_id: int) -> Subscription | None:
        """The subscription, or None."""
        ...

    async def guild_subscriptions(self, guild_id: int) -> list[Subscription]:
        """The guild's subscriptions, by id."""
        ...

    async def feed_subscriptions(self, feed_id: int) -> list[Subscription]:
        """Every subscription to the feed, across guilds, by id."""
        ...

    async def channel_subscriptions(self, channel_id: int) -> list[Subscription]:
        """The channel's subscriptions, by id."""
        ...

    async def subscribed_guilds(self) -> set[int]:
        """Guilds with subscriptions that the bot is not known to have left."""
        ...

    async def count_subscriptions(self, guild_id: int) -> int:
        """How many subscriptions the guild has (paused ones included)."""
        ...

    async def update_subscription(
        self,
        subscription_id: int,
        *,
        channel_id: int | Keep = KEEP,
        name: str | Keep | None = KEEP,
        backlog: int | Keep = KEEP,
        include: Sequence[str] | Keep = KEEP,
        exclude: Sequence[str] | Keep = KEEP,
        mention_role_id: int | Keep | None = KEEP,
        threads: bool | Keep = KEEP,
        style: PostStyle | Keep = KEEP,
    ) -> Subscription:
        """Change the given fields (KEEP leaves one as stored); returns the result.
        Raises NotFoundError if the subscription no longer exists, ValueError for
        a style that is not a PostStyle."""
        ...

    async def remove_subscription(self, subscription_id: int) -> None:
        """Delete the subscription and its outbox rows. An unknown id is not an error."""
        ...

    async def pause_subscription(
        self, subscription_id: int, reason: str, now: datetime
    ) -> bool:
        """Stop posting; what waits stays queued for `resume_subscription` to decide.
        False when it was already paused (or does not exist), so callers report once."""
        ...

    async def resume_subscription(self, subscription_id: int, now: datetime) -> int:
        """Post again: at most `backlog` of what arrived or waited while paused
        (bot.posting.rules.split_backlog), newest first; the rest is skipped.
        Returns how many were queued (0 when it was not paused)."""
        ...

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """The guild's settings (all defaults for a guild never seen)."""
        ...

    async def update_guild_settings(
        self,
        guild_id: int,
        *,
        moderator_role_id: int | Keep | None = KEEP,
        log_channel_id: int | Keep | None = KEEP,
        content_warnings: Sequence[str] | Keep | None = KEEP,
        resources: str | Keep | None = KEEP,
        subscription_quota: int | Keep | None = KEEP,
    ) -> GuildSettings:
        """Change the given settings (KEEP leaves one as stored, None restores the
        default); returns the result."""
        ...

    async def mark_guild_removed(self, guild_id: int, now: datetime | None) -> None:
        """The bot left the guild at `now`, or came back (None). Its subscriptions
        neither post nor keep feeds polled meanwhile."""
        ...

    async def purge_removed_guilds(self, removed_before: datetime) -> int:
        """Delete the subscriptions of guilds the bot left before `removed_before`.
        Returns how many were deleted."""
        ...

    async def guild_has_feed(self, guild_id: int, feed_id: int) -> bool:
        """Whether the feed is in the guild's search scope."""
        ...

    async def guild_feed_list(self, guild_id: int) -> list[Feed]:
        """The guild's search scope (feeds it subscribes or subscribed to), by title."""
        ...

    async def add_guild_feed(self, guild_id: int, feed_id: int) -> None:
        """Put the feed in the guild's search scope for good (idempotent)."""
        ...

    async def remember_notice(self, guild_id: int, key: str, now: datetime) -> bool:
        """Record that moderators were told `key`; False if they already were."""
        ...

    async def forget_notice(self, guild_id: int, key: str) -> bool:
        """Forget that moderators were told `key`; False if they never were."""
        ...


class OutboxStore(Protocol):
    async def due_deliveries(self, now: datetime, limit: int = 100) -> list[Delivery]:
        """At most `limit` pending deliveries of live subscriptions to send now,
        grouped by channel (by id), each channel in publication order; an older
        article waiting for a retry holds back the newer ones in its channel
        (bot.posting.rules.due_now)."""
        ...

    async def next_delivery_time(self) -> datetime | None:
        """The earliest attempt time of a pending delivery of an unpaused
        subscription; None when nothing waits."""
        ...

    async def get_delivery(self, delivery_id: int) -> Delivery | None:
        """The delivery, or None."""
        ...

    async def deliveries_for_article(self, article_id: int) -> list[Delivery]:
        """Every delivery of the article (at most one per subscription), by id."""
        ...

    async def sent_in_guild(
        self, guild_id: int, article_ids: Sequence[int]
    ) -> dict[int, Delivery]:
        """Where each article was posted in the guild (its first sent delivery);
        articles never posted there are left out."""
        ...

    async def mark_delivery_sent(
        self, delivery_id: int, *, message_id: int, thread_id: int | None, now: datetime
    ) -> None:
        """The delivery was posted as `message_id`: it is never sent again. The
        attempt itself was counted before the send (`mark_delivery_retry`)."""
        ...

    async def mark_delivery_retry(
        self,
        delivery_id: int,
        *,
        error: str,
        next_attempt_at: datetime,
        count_attempt: bool = True,
    ) -> int:
        """Count a failed attempt and schedule the next. Returns attempts so far
        (0 for an unknown id). With `count_attempt=False` only the error and the
        next time are recorded: for an attempt already counted before its send."""
        ...

    async def mark_delivery_done(
        self, delivery_id: int, status: Literal["skipped", "failed"], reason: str | None
    ) -> None:
        """End a delivery without a message. Raises ValueError for another status."""
        ...


class DiscussionStore(Protocol):
    async def set_discussion(
        self, guild_id: int, article_id: int, channel_id: int, thread_id: int, now: datetime
    ) -> None:
        """Record the guild's discussion thread of an article (replacing an older one)."""
        ...

    async def discussion(self, guild_id: int, article_id: int) -> Discussion | None:
        """The guild's discussion thread of the article, or None."""
        ...

    async def discussions_for(
        self, guild_id: int, article_ids: Sequence[int]
    ) -> dict[int, Discussion]:
        """The guild's discussion threads of these articles, by article id."""
        ...

    async def discussion_activity(
        self,
        thread_id: int,
        *,
        message_count: int | None = None,
        new_messages: int = 0,
        last_activity_at: datetime | None = None,
    ) -> None:
        """Set a thread's message count (from Discord) or add `new_messages` to it.
        An unknown thread is not an error."""
        ...

    async def discussion_message_count(self, thread_id: int) -> int | None:
        """The stored message count of a recorded thread; None if it is not one."""
        ...

    async def drop_discussion_thread(self, thread_id: int) -> None:
        """Forget a thread (deleted on Discord)."""
        ...

    async def record_link_mention(
        self, guild_id: int, article_id: int, channel_id: int, message_id: int, at: datetime
    ) -> None:
        """A member's message linked a stored article: where and when (never the
        text). Recording the same message again changes nothing."""
        ...

    async def link_mentions_for(
        self, guild_id: int, article_id: int, limit: int = 5
    ) -> list[LinkMention]:
        """Where members of the guild linked the article, newest first."""
        ...

    async def forget_link_mentions(self, message_ids: Sequence[int]) -> None:
        """The linking messages were deleted: forget them."""
        ...


class SearchStore(Protocol):
    """Full-text search over the archive, driven by a `SearchPlan` (search_plan.py).

    Every method may raise StorageError (errors.py). A backend never lets its
    driver's errors, nor its query language's, escape: a plan the backend cannot
    run raises InvalidSearchQueryError. A guild sees only its scope: the feeds it
    subscribes or has subscribed to (`add_guild_feed`)."""

    async def search(self, plan: SearchPlan) -> SearchResults:
        """One page (`plan.offset`, `plan.limit`) of the articles matching `plan`.

        Order: with sort="relevance", best first by the backend's relevance
        (`SearchHit.score`, higher is better: a title match above a summary match
        above a body match; rarer terms weigh more); with sort="newest", by
        publication date. Ties, and equal dates, go newest published first, then
        highest id, so pages never overlap. With `plan.comments`, an article also
        matches through its source comments, scores the better of the two, and
        carries its best-matching comments (`via_comments` when only they matched).
        With `plan.newest_matches`, only that many newest matches are ranked and
        paged (`newest_only` says when others were left out).
        """
        ...

    async def count(self, plan: SearchPlan, cap: int = 1000) -> int:
        """How many articles match `plan` (ignoring offset and limit), counting at
        most `cap`."""
        ...

    async def term_frequencies(self, terms: Sequence[Term]) -> list[int | None]:
        """For each term on its own: about how many articles (any guild) have it,
        as the backend's index counts them. An estimate (may lag minutes; a phrase
        may count as its rarest word); None when the backend has no cheap one."""
        ...

    async def word_statistics(self, words: Sequence[str]) -> list[WordStatistics]:
        """For each word, the term the index files it under and how many articles
        (any guild) contain that term, estimated as in `term_frequencies`."""
        ...

    async def indexed_count(self) -> int:
        """About how many articles are searchable, all guilds together (cheap)."""
        ...

    async def autocomplete_titles(
        self, prefix_text: str, guild_id: int | None, limit: int = 25
    ) -> list[TitleMatch]:
        """Titles of the guild's articles holding every typed word (the last one as
        a prefix while it is being typed), newest first; blank text lists the
        newest titles. Any text is safe."""
        ...

    async def find_article_by_url(self, url: str, guild_id: int | None) -> Article | None:
        """The guild's article whose link is `url` (tried with/without a trailing
        slash, http/https, without #fragment); the newest when a link repeats."""
        ...


class Storage(
    FeedStore, ArticleStore, GuildStore, OutboxStore, DiscussionStore, SearchStore, Protocol
):
    """Everything the core and the cogs may ask of storage."""

    async def close(self) -> None:
        """Release the connections. Never raises for a busy database and never
        waits past an in-flight transaction; calling it twice is harmless."""
        ...
