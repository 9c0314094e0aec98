"""Storage: the one layer that holds SQL. The core depends on `Storage` (base.py)."""

from bot.storage.base import (
    Discussion,
    FailureOutcome,
    FeedMeta,
    IngestResult,
    SearchHit,
    SearchQuery,
    Storage,
    SuccessOutcome,
)
from bot.storage.sqlite import SqliteStorage

__all__ = [
    "Discussion",
    "FailureOutcome",
    "FeedMeta",
    "IngestResult",
    "SearchHit",
    "SearchQuery",
    "SqliteStorage",
    "Storage",
    "SuccessOutcome",
]
