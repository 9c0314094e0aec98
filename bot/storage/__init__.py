"""Storage: the one layer that holds SQL. The core depends on the `Storage`
protocol (protocol.py); each backend is a sub-package (sqlite/), picked only
in bot/runtime.py."""

from bot.storage.protocol import (
    Discussion,
    FailureOutcome,
    FeedMeta,
    IngestResult,
    SearchHit,
    Storage,
    SuccessOutcome,
)
from bot.storage.search_plan import SearchFilters, SearchPlan, Term

__all__ = [
    "Discussion",
    "FailureOutcome",
    "FeedMeta",
    "IngestResult",
    "SearchFilters",
    "SearchHit",
    "SearchPlan",
    "Storage",
    "SuccessOutcome",
    "Term",
]
