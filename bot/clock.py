"""The one clock: timezone-aware UTC. Code that tests need to pin takes `now`
as an argument instead of calling this."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
