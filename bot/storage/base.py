"""The storage interface the core depends on, and the records that cross it.

`Storage` is deliberately narrow: each method is one unit of work (usually one
transaction) named in domain terms, so a PostgreSQL backend can implement it
without the core ever seeing SQL. SqliteStorage (bot/storage/sqlite.py) is the
embedded default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.models import Article, Comment, ParsedArticle


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
class SearchQuery:
    match: str  # a safe FTS5 expression built by bot.search, never raw user text
    guild_id: int | None = None
    feed_id: int | None = None
    author: str | None = None
    after: datetime | None = None  # inclusive
    before: datetime | None = None  # exclusive
    sort: Literal["relevance", "newest"] = "relevance"
    limit: int = 10
    offset: int = 0
    exclude_ids: tuple[int, ...] = ()
    comments: bool = False  # also match source comments; hits carry the matching ones
    window: int | None = None  # only the newest `window` indexed articles (by id)


@dataclass(frozen=True, slots=True)
class CommentHit:
    comment: Comment
    snippet: str  # \x02 ... \x03 markers like SearchHit.snippet


@dataclass(frozen=True, slots=True)
class SearchHit:
    article: Article
    snippet: str  # matched terms wrapped in \x02 ... \x03 for the renderer to mark up
    rank: float  # lower is better (bm25); 0.0 when sorted by date
    comments: tuple[CommentHit, ...] = ()  # matching source comments, best first
    via_comments: bool = False  # only its comments matched, not the article


@dataclass(frozen=True, slots=True)
class TitleMatch:
    """An autocomplete choice."""

    article_id: int
    title: str
    published_at: datetime
