"""A member's search, end to end: text and options -> a plan -> a page of hits.

`search()` is the one call the cogs and the CLI make. It validates the options,
plans the query (planning.py) and asks storage for the page, adding what the
member should know: common words ignored, a long query trimmed, nothing having
every word (so any word is shown), a very common query ranked over its newest
matches only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.errors import InvalidSearchQueryError
from bot.search.dates import parse_date
from bot.search.language import MAX_QUERY_CHARS, MAX_TERMS, ParsedQuery, parse_query
from bot.search.planning import (
    MAX_REQUIRED,
    QueryTerms,
    build_plan,
    estimated_frequency,
    keep_distinctive,
    plan_terms,
    search_filters,
)
from bot.search.vocabulary import Vocabulary
from bot.storage.protocol import SearchHit, SearchStore
from bot.storage.search_plan import SearchPlan, SortOrder

MAX_PER_PAGE = 25
MAX_OFFSET = 500  # deeper pages are refused: narrow the search instead
COUNT_CAP = 500  # totals beyond this are shown as "500+"
# Ranking cost grows with the number of matching articles: a word in most of a
# 100k archive takes 150-600 ms to rank in full. A query matching more than
# RANK_BUDGET articles (in the guild's scope) is ranked over its RANK_BUDGET
# newest matches only; a small guild's few matches are always ranked in full.
RANK_BUDGET = 5_000
_SORTS: dict[str, SortOrder] = {"relevance": "relevance", "newest": "newest"}


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    page: int
    per_page: int
    has_more: bool
    total: int  # matching articles, at most COUNT_CAP
    total_capped: bool  # there are more than `total`
    query: ParsedQuery
    plan: SearchPlan  # what storage was asked for this page
    description: str  # the query as understood, for the member: 'AA (or Alcoholics ...)'
    notes: tuple[str, ...] = ()  # what was ignored or restricted, in plain words
    relaxed: bool = False  # nothing had every word: these hits have some of them


def check_paging(page: int, per_page: int) -> None:
    """Raises InvalidSearchQueryError for a page size or depth members may not ask for."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidSearchQueryError(f"Show between 1 and {MAX_PER_PAGE} results per page.")
    if page < 0 or page * per_page > MAX_OFFSET:
        raise InvalidSearchQueryError(
            f"Only the first {MAX_OFFSET} results can be paged through: narrow the search."
        )


async def _trim_long_query(store: SearchStore, terms: QueryTerms, notes: list[str]) -> QueryTerms:
    """A pasted paragraph: keep the MAX_REQUIRED parts found in the fewest articles."""
    if len(terms.required) <= MAX_REQUIRED:
        return terms
    estimates = await store.term_frequencies(terms.required)
    total = await store.indexed_count()
    frequencies = [
        estimated_frequency(t, e, total) for t, e in zip(terms.required, estimates, strict=True)
    ]
    kept, dropped = keep_distinctive(terms.required, frequencies)
    names = [t.text for t in dropped]
    notes.append(
        f"Long query: searched its {MAX_REQUIRED} most distinctive words"
        f" (left out: {', '.join(names[:10])}{' …' if len(names) > 10 else ''})."
    )
    return replace(terms, required=kept)


async def search(
    store: SearchStore,
    text: str,
    *,
    guild_id: int | None,
    now: datetime,
    feed_id: int | None = None,
    author: str | None = None,
    after: str | datetime | None = None,
    before: str | datetime | None = None,
    sort: str = "relevance",
    page: int = 0,
    per_page: int = 5,
    comments: bool = False,
    vocabulary: Vocabulary | None = None,
) -> SearchPage:
    """Run a member's search. Raises InvalidSearchQueryError (message fit to
    show the member) for an empty query, a bad date or a bad page."""
    order = _SORTS.get(sort)
    if order is None:
        raise InvalidSearchQueryError("Sort by relevance or newest.")
    check_paging(page, per_page)
    if isinstance(after, str):
        after = parse_date(after, now) if after.strip() else None
    if isinstance(before, str):
        before = parse_date(before, now) if before.strip() else None
    filters = search_filters(
        guild_id=guild_id, feed_id=feed_id, author=author, after=after, before=before
    )

    parsed = parse_query(text)
    terms = plan_terms(parsed, vocabulary)
    notes: list[str] = []
    if parsed.truncated:
        notes.append(f"Only the first {MAX_TERMS} words ({MAX_QUERY_CHARS} characters) were used.")
    terms = await _trim_long_query(store, terms, notes)
    if terms.ignored:
        notes.append("Ignored common words: " + ", ".join(terms.ignored[:10]) + ".")

    strict = build_plan(
        terms,
        filters=filters,
        sort=order,
        page=page,
        per_page=per_page,
        comments=comments,
        newest_matches=RANK_BUDGET,
    )
    plan = strict
    results = await store.search(plan)
    relaxed = False
    # An empty page past the first may just be past the end: count to be sure.
    if (
        not results.hits
        and len(terms.required) > 1
        and (page == 0 or await store.count(strict, cap=1) == 0)
    ):
        # No article has every word: rank those with any of them instead (more,
        # and rarer, words first), and say so.
        relaxed = True
        plan = replace(strict, match_any=True)
        results = await store.search(plan)
        notes.append("No article has all of these words: showing those with some of them.")
    if results.newest_only:
        notes.append(
            f"Very common words: searched the newest {RANK_BUDGET:,} matching articles."
            " Add a more specific word to search everything."
        )
    has_more = len(results.hits) > per_page
    hits = results.hits[:per_page]
    if not has_more:
        total = plan.offset + len(hits)
    elif results.newest_only and RANK_BUDGET > COUNT_CAP:
        total = COUNT_CAP + 1  # known without counting: more than RANK_BUDGET match
    else:
        total = await store.count(plan, cap=COUNT_CAP + 1)
    return SearchPage(
        hits=hits,
        page=page,
        per_page=per_page,
        has_more=has_more,
        total=min(total, COUNT_CAP),
        total_capped=total > COUNT_CAP,
        query=parsed,
        plan=plan,
        description=terms.describe(),
        notes=tuple(notes),
        relaxed=relaxed,
    )
