"""A member's search and running it through the core's search.

Privacy: a search's text lives only in memory (the view keeps it for paging)
and in the messages shown to the member. Nothing here logs it or who
searched; the log gets counts and timings.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from bot import search as core_search
from bot.clock import utcnow
from bot.storage import Storage

log = logging.getLogger(__name__)

PER_PAGE = 5


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What a member asked for. `repr` leaves the text out, so a stray log of
    the object can't carry it."""

    text: str = field(repr=False)
    guild_id: int
    feed_id: int | None = None
    author: str | None = field(default=None, repr=False)
    after: str | None = None
    before: str | None = None
    sort: str = "relevance"
    comments: bool = False
    crisis: bool = False


async def run_search(store: Storage, req: SearchRequest, page: int) -> core_search.SearchPage:
    """bot.search.search for a request; logs only a count and a timing."""
    start = time.perf_counter()
    result = await core_search.search(
        store,
        req.text,
        guild_id=req.guild_id,
        now=utcnow(),
        feed_id=req.feed_id,
        author=req.author,
        after=req.after,
        before=req.before,
        sort=req.sort,
        page=page,
        per_page=PER_PAGE,
        comments=req.comments,
    )
    log.debug(
        "search: %d hit(s) on page %d in %.1f ms",
        len(result.hits),
        page,
        (time.perf_counter() - start) * 1000,
    )
    return result
