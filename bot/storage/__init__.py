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
    Storage,
    SuccessOutcome,
)
from bot.storage.search_plan import SearchFilters, SearchPlan, Term

__all__ = [
    "KEEP",
    "Discussion",
    "FailureOutcome",
    "FeedMeta",
    "IngestResult",
    "Keep",
    "SearchFilters",
    "SearchHit",
    "SearchPlan",
    "Storage",
    "SuccessOutcome",
    "Term",
]
