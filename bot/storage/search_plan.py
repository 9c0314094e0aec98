"""The search plan: what the core asks a storage backend to search for.

bot.search turns a member's text into a `SearchPlan` (parse -> plan); each
backend renders the plan in its own query language (SQLite: FTS5, in
bot/storage/sqlite/search.py). Nothing here is backend syntax: a term is plain
text that the backend splits and folds the way its index does (case, accents,
word endings), so any text is safe in a plan.

This module imports nothing from bot.search: the core depends on storage's
vocabulary, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SortOrder = Literal["relevance", "newest"]


@dataclass(frozen=True, slots=True)
class Term:
    """One part of a search: an article has the term when it has any one of its
    `alternatives`, the member's `text` first, then its `expansions`.

    Every alternative matches its words in a row, in that order ("Alcoholics
    Anonymous" is one alternative; "12-step" is the words 12 and step). With
    `prefix`, `text` is one word matched as the start of a word and there are no
    expansions."""

    text: str  # as the member typed it
    expansions: tuple[str, ...] = ()  # equivalents from the recovery vocabulary
    prefix: bool = False
    quoted: bool = False  # the member typed it as a "phrase" (said back to them so)

    def __post_init__(self) -> None:
        if self.prefix and (self.expansions or " " in self.text.strip()):
            raise ValueError("a prefix term is one word without expansions")

    @property
    def alternatives(self) -> tuple[str, ...]:
        return (self.text, *self.expansions)


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Which articles a search may return, whatever their text."""

    guild_id: int | None = None  # only that guild's feeds (its search scope); None: every feed
    feed_id: int | None = None
    author: str | None = None  # a case-insensitive part of the byline
    after: datetime | None = None  # published at or after (aware UTC)
    before: datetime | None = None  # published before (aware UTC)
    exclude_ids: tuple[int, ...] = ()  # never these articles


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """A search a backend can run as it likes, with the results the protocol states
    (see SearchStore.search): which articles match, in what order, which page."""

    required: tuple[Term, ...]
    excluded: tuple[Term, ...] = ()  # an article with any of these never matches
    # False: an article needs every required term. True: any one is enough, and
    # articles with more of them, and rarer ones, rank higher.
    match_any: bool = False
    filters: SearchFilters = field(default_factory=SearchFilters)
    comments: bool = False  # an article also matches through its source comments
    sort: SortOrder = "relevance"
    offset: int = 0
    limit: int = 10
    # Rank, page and count only the `newest_matches` matching articles (in scope)
    # added to the archive most recently; a backend may keep more, never fewer.
    # The core sets it when so many articles match that ranking them all would be
    # slow. None: every match.
    newest_matches: int | None = None

    def __post_init__(self) -> None:
        if not self.required:
            raise ValueError("a search plan needs at least one required term")
        if self.offset < 0 or self.limit < 1:
            raise ValueError("offset must be >= 0 and limit >= 1")
        if self.newest_matches is not None and self.newest_matches < 1:
            raise ValueError("newest_matches must be >= 1")


@dataclass(frozen=True, slots=True)
class WordStatistics:
    """How the index sees one word (for the core's related-articles rule)."""

    word: str  # as asked
    # The one term the index files `word` under: words with equal keys are the
    # same term to the index ("meeting", "meetings"). Opaque: compare it, don't
    # read it. None when the word is not exactly one index term.
    key: str | None
    articles: int  # about how many articles (any guild) contain it; may lag minutes
