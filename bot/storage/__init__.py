"""Storage: the one layer that holds SQL. The core depends on `Storage` (base.py)."""

from bot.storage.base import (
    FailureOutcome,
    FeedMeta,
    IngestResult,
    SearchHit,
    SearchQuery,
    SuccessOutcome,
)
from bot.storage.sqlite import SqliteStorage

__all__ = [
    "FailureOutcome",
    "FeedMeta",
    "IngestResult",
    "SearchHit",
    "SearchQuery",
    "SqliteStorage",
    "SuccessOutcome",
]
