"""The storage interface the core depends on, and the records that cross it.

`Storage` is deliberately narrow: each method is one unit of work (usually one
transaction) named in domain terms, so a PostgreSQL backend can implement it
without the core ever seeing SQL. SqliteStorage (bot/storage/sqlite.py) is the
embedded default.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.models import (
    Article,
    Comment,
    Delivery,
    Feed,
    GuildSettings,
    ParsedArticle,
    ParsedComment,
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


class FeedStore(Protocol):
    async def add_feed(self, url: str, now: datetime, *, pinned: bool = False) -> Feed: ...
    async def get_feed(self, feed_id: int) -> Feed | None: ...
    async def feed_by_url(self, url: str) -> Feed | None: ...
    async def list_feeds(self) -> list[Feed]: ...
    async def feed_article_counts(self) -> dict[int, int]: ...
    async def remove_feed(self, feed_id: int) -> None: ...
    async def unpin_feed(self, feed_id: int) -> None: ...
    async def due_feeds(
        self, now: datetime, limit: int = 1000, *, all_: bool = False
    ) -> list[Feed]: ...
    async def next_poll_time(self, exclude: Sequence[int] = ()) -> datetime | None: ...
    async def record_success(self, feed_id: int, outcome: SuccessOutcome) -> IngestResult: ...
    async def record_failure(self, feed_id: int, outcome: FailureOutcome) -> Feed | None: ...


class ArticleStore(Protocol):
    async def get_article(self, article_id: int) -> Article | None: ...
    async def get_articles(self, article_ids: Iterable[int]) -> list[Article]: ...
    async def latest_articles(
        self, limit: int = 10, *, feed_id: int | None = None, guild_id: int | None = None
    ) -> list[Article]: ...
    async def count_articles(self) -> int: ...
    async def comment_polls_due(
        self, now: datetime, published_since: datetime, limit: int = 100
    ) -> list[Article]: ...
    async def comments_cache(self, article_id: int) -> tuple[str | None, str | None]: ...
    async def record_comments(
        self,
        article_id: int,
        comments: Sequence[ParsedComment] | None,
        *,
        next_poll_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> int: ...
    async def comments_for(self, article_id: int, limit: int = 3) -> list[Comment]: ...
    async def count_comments(self, article_id: int) -> int: ...
    async def comment_counts(self, article_ids: Sequence[int]) -> dict[int, int]: ...


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
    ) -> Subscription: ...
    async def get_subscription(self, subscription_id: int) -> Subscription | None: ...
    async def guild_subscriptions(self, guild_id: int) -> list[Subscription]: ...
    async def feed_subscriptions(self, feed_id: int) -> list[Subscription]: ...
    async def channel_subscriptions(self, channel_id: int) -> list[Subscription]: ...
    async def subscribed_guilds(self) -> set[int]: ...

    async def count_subscriptions(self, guild_id: int) -> int: ...
    async def update_subscription(self, subscription_id: int, **changes: Any) -> Subscription: ...
    async def remove_subscription(self, subscription_id: int) -> None: ...
    async def pause_subscription(
        self, subscription_id: int, reason: str, now: datetime
    ) -> bool: ...
    async def resume_subscription(self, subscription_id: int, now: datetime) -> int: ...
    async def guild_settings(self, guild_id: int) -> GuildSettings: ...
    async def update_guild_settings(self, guild_id: int, **changes: Any) -> GuildSettings: ...
    async def mark_guild_removed(self, guild_id: int, now: datetime | None) -> None: ...
    async def purge_removed_guilds(self, removed_before: datetime) -> int: ...
    async def guild_has_feed(self, guild_id: int, feed_id: int) -> bool: ...
    async def guild_feed_list(self, guild_id: int) -> list[Feed]: ...
    async def add_guild_feed(self, guild_id: int, feed_id: int) -> None: ...
    async def remember_notice(self, guild_id: int, key: str, now: datetime) -> bool: ...
    async def forget_notice(self, guild_id: int, key: str) -> bool: ...


class OutboxStore(Protocol):
    async def due_deliveries(self, now: datetime, limit: int = 100) -> list[Delivery]: ...
    async def next_delivery_time(self) -> datetime | None: ...
    async def get_delivery(self, delivery_id: int) -> Delivery | None: ...
    async def deliveries_for_article(self, article_id: int) -> list[Delivery]: ...
    async def sent_in_guild(
        self, guild_id: int, article_ids: Sequence[int]
    ) -> dict[int, Delivery]: ...
    async def mark_delivery_sent(
        self, delivery_id: int, *, message_id: int, thread_id: int | None, now: datetime
    ) -> None: ...
    async def mark_delivery_retry(
        self, delivery_id: int, *, error: str, next_attempt_at: datetime
    ) -> int: ...
    async def mark_delivery_done(
        self, delivery_id: int, status: str, reason: str | None
    ) -> None: ...


class DiscussionStore(Protocol):
    async def set_discussion(
        self, guild_id: int, article_id: int, channel_id: int, thread_id: int, now: datetime
    ) -> None: ...
    async def discussion(self, guild_id: int, article_id: int) -> Discussion | None: ...
    async def discussions_for(
        self, guild_id: int, article_ids: Sequence[int]
    ) -> dict[int, Discussion]: ...
    async def discussion_activity(
        self,
        thread_id: int,
        *,
        message_count: int | None = None,
        new_messages: int = 0,
        last_activity_at: datetime | None = None,
    ) -> None: ...
    async def discussion_message_count(self, thread_id: int) -> int | None: ...
    async def drop_discussion_thread(self, thread_id: int) -> None: ...
    async def record_link_mention(
        self, guild_id: int, article_id: int, channel_id: int, message_id: int, at: datetime
    ) -> None: ...
    async def link_mentions_for(
        self, guild_id: int, article_id: int, limit: int = 5
    ) -> list[LinkMention]: ...
    async def forget_link_mentions(self, message_ids: Sequence[int]) -> None: ...


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

    async def close(self) -> None: ...
