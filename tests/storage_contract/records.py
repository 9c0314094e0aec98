"""Records the contract tests build: parsed articles and poll outcomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.models import ParsedArticle
from bot.storage import SuccessOutcome

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


def art(n: int, **kw: Any) -> ParsedArticle:
    """A parsed article numbered `n`, published n hours after T0."""
    base = ParsedArticle(
        key=f"guid-{n}",
        link=f"https://example.org/{n}",
        title=f"Article {n}",
        summary=f"summary {n}",
        content="",
        author="Sam",
        published=T0 + timedelta(hours=n),
        updated=None,
        image_url=None,
        categories=("recovery",),
        comments_url=None,
        comments_feed_url=None,
        comment_count=None,
        content_hash=f"h{n}",
    )
    return replace(base, **kw)


def ok(*articles: ParsedArticle, now: datetime = T0, etag: str | None = None) -> SuccessOutcome:
    """A successful poll carrying `articles`."""
    return SuccessOutcome(
        now=now,
        next_poll_at=now + timedelta(minutes=10),
        etag=etag,
        last_modified=None,
        body_hash="b",
        articles=articles,
    )
