"""Storage: the one layer that holds SQL. The core depends on the `Storage`
protocol (protocol.py); each backend is a sub-package (sqlite/), picked only
in bot/runtime.py."""

from bot.storage.protocol import (
    KEEP,
    Discussion,
    FailureOutcome,
    FeedMeta,
    IngestResult,
    Keep,
    SearchHit,
    SearchQuery,
    Storage,
    SuccessOutcome,
)

__all__ = [
    "KEEP",
    "Discussion",
    "FailureOutcome",
    "FeedMeta",
    "IngestResult",
    "Keep",
    "SearchHit",
    "SearchQuery",
    "Storage",
    "SuccessOutcome",
]
