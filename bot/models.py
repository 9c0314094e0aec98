"""Domain records. Parsed* are what the parser produces from feed bytes (plain,
picklable data that crosses the process pool); the rest are stored rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.feeds.urls import redact_url


# The values are the strings stored in the database (and compared against
# before these enums existed): never rename one without a migration.
class FeedStatus(StrEnum):
    ACTIVE = "active"
    BROKEN = "broken"  # failures lasted longer than FEED_BROKEN_AFTER
    GONE = "gone"  # HTTP 410 or removed by hand: never polled again


class PostStyle(StrEnum):
    FULL = "full"  # an embed with the summary
    COMPACT = "compact"  # one line with the link


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"  # filtered out, or arrived while paused
    FAILED = "failed"  # gave up after retries


class FeedEventKind(StrEnum):
    ARTICLES = "articles"
    UPDATED = "updated"
    BROKEN = "broken"
    RECOVERED = "recovered"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    key: str  # stable identity within its feed (guid, else link, else a content hash)
    link: str | None  # absolute http(s) URL or None
    title: str  # plain text
    summary: str  # clean plain text, boilerplate removed
    content: str  # full text as plain text when the feed carries it, else ""
    author: str | None
    published: datetime | None  # aware UTC; None when the feed gives no date
    updated: datetime | None  # aware UTC
    image_url: str | None
    categories: tuple[str, ...]
    comments_url: str | None  # the page anchor where readers comment
    comments_feed_url: str | None  # wfw:commentRss or Atom rel="replies"
    comment_count: int | None
    content_hash: str  # hash of the fields above that matter to readers


@dataclass(frozen=True, slots=True)
class ParsedComment:
    key: str
    author: str | None
    published: datetime | None
    text: str  # clean plain text
    link: str | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    site_url: str | None
    icon_url: str | None
    articles: tuple[ParsedArticle, ...]
    ttl_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    title: str | None
    site_url: str | None
    icon_url: str | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    status: FeedStatus
    error_count: int
    last_error: str | None
    first_error_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime
    created_at: datetime

    @property
    def display_name(self) -> str:
        return self.title or redact_url(self.url)  # never show a URL's credentials


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    feed_id: int
    key: str
    link: str | None
    title: str
    summary: str
    content: str
    author: str | None
    published_at: datetime
    updated_at: datetime | None
    has_date: bool
    image_url: str | None
    categories: tuple[str, ...]
    comments_url: str | None
    comments_feed_url: str | None
    comment_count: int | None
    content_hash: str
    first_seen_at: datetime
    revision: int


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    article_id: int
    key: str
    author: str | None
    published_at: datetime | None
    text: str
    link: str | None


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    guild_id: int
    channel_id: int
    feed_id: int
    name: str | None
    backlog: int
    paused: bool
    pause_reason: str | None
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    mention_role_id: int | None
    threads: bool
    style: PostStyle
    added_by: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    subscription_id: int
    article_id: int
    channel_id: int
    guild_id: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    message_id: int | None
    thread_id: int | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    note_skipped: int = 0  # older articles of its batch left unposted (a note says so)


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    moderator_role_id: int | None = None
    log_channel_id: int | None = None
    content_warnings: tuple[str, ...] | None = None  # None: use the default list
    resources: str | None = None  # None: use the default text
    subscription_quota: int | None = None  # None: the GUILD_SUBSCRIPTION_QUOTA setting
    removed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """What the scheduler tells the Discord side. It never posts itself."""

    kind: FeedEventKind
    feed_id: int
    article_ids: tuple[int, ...] = field(default=())
    message: str | None = None
