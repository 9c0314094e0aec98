"""Storage: the one layer that holds SQL. The core depends on the `Storage`
protocol (protocol.py); each backend is a sub-package (sqlite/), picked only
in bot/runtime.py."""

from bot.storage.protocol import (
    Discussion,
    FailureOutcome,
    FeedMeta,
    IngestResult,
    SearchHit,
    SearchQuery,
    Storage,
    SuccessOutcome,
)

__all__ = [
    "Discussion",
    "FailureOutcome",
    "FeedMeta",
    "IngestResult",
    "SearchHit",
    "SearchQuery",
    "Storage",
    "SuccessOutcome",
]
