"""More like this: the articles most like a given one, in a guild's scope.

The rule is pure (`describing_words`): the most distinctive words of the
article's title and summary, by tf-idf against the archive. Storage only says
how many articles have each word (`SearchStore.word_statistics`) and runs the
resulting any-word search.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.search.language import STOPWORDS
from bot.storage.protocol import SearchHit, Storage
from bot.storage.search_plan import SearchFilters, SearchPlan, Term, WordStatistics

TITLE_WEIGHT = 2.0  # a word in the title counts as two in the summary
SUMMARY_CHARS = 600  # only the start of the summary: the gist, and a bounded cost
MAX_CANDIDATES = 120  # words looked up in the index
RELATED_TERMS = 12
# The any-word search costs about as much as its words' article counts add up to.
RELATED_DF_BUDGET = 10_000

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class TermStat:
    word: str  # a surface form to search for (the index folds it again)
    key: str  # the index term it stands for (WordStatistics.key)
    tf: float  # weighted occurrences in the source text
    df: int  # articles in the index containing it


def candidate_words(title: str, summary: str) -> dict[str, float]:
    """Words of an article worth looking up, with their weighted counts (title
    words count double), in order of first appearance."""
    weights: dict[str, float] = {}
    for text, weight in ((title, TITLE_WEIGHT), (summary[:SUMMARY_CHARS], 1.0)):
        for w in _WORD.findall(text.casefold()):
            if len(w) > 2 and not w.isdigit() and w not in STOPWORDS:
                weights[w] = weights.get(w, 0.0) + weight
    return dict(list(weights.items())[:MAX_CANDIDATES])


def term_stats(weights: dict[str, float], stats: Iterable[WordStatistics]) -> list[TermStat]:
    """One TermStat per index term: words the index files together (meeting,
    meetings) add their weights up under the first one's spelling."""
    by_key: dict[str, TermStat] = {}
    for s in stats:
        if s.key is None or s.word not in weights:
            continue
        prev = by_key.get(s.key)
        tf = weights[s.word] + (0.0 if prev is None else prev.tf)
        by_key[s.key] = TermStat(s.word if prev is None else prev.word, s.key, tf, s.articles)
    return list(by_key.values())


def related_terms(
    stats: Iterable[TermStat], total_docs: int, limit: int = 12, *, df_budget: int | None = None
) -> list[str]:
    """The most distinctive words of a text, by tf-idf against the index.

    Skipped: words only in the source article (df <= 1), stopwords, numbers and
    1-2 letter words. Words in over 20 % of articles are used only when fewer
    than 3 others are left (a small archive). With `df_budget`, words are taken
    best first while their document frequencies add up to at most the budget
    (the cost of the any-word search that follows), but always at least 3."""
    n = max(total_docs, 1)
    scored: list[tuple[float, bool, str, int]] = []
    seen: set[str] = set()
    for s in stats:
        if s.key in seen or s.df <= 1:
            continue
        if len(s.word) < 3 or s.word.isdigit() or s.word.casefold() in STOPWORDS:
            continue
        seen.add(s.key)
        idf = math.log(1 + (n - s.df + 0.5) / (s.df + 0.5))
        tf = 1 + math.log(max(s.tf, 1.0))
        scored.append((tf * idf, s.df > max(2, n // 5), s.word, s.df))
    scored.sort(key=lambda x: -x[0])
    pool = [x for x in scored if not x[1]]
    if len(pool) < 3:
        pool = scored
    picked: list[str] = []
    spent = 0
    for _, _, word, df in pool:
        if len(picked) >= limit:
            break
        if df_budget is not None and len(picked) >= 3 and spent + df > df_budget:
            continue
        picked.append(word)
        spent += df
    return picked


def describing_words(
    weights: dict[str, float], stats: Sequence[WordStatistics], total_docs: int
) -> list[str]:
    """The words to look for in articles like the one `weights` came from."""
    return related_terms(
        term_stats(weights, stats), total_docs, RELATED_TERMS, df_budget=RELATED_DF_BUDGET
    )


def related_plan(
    article_id: int, words: Sequence[str], guild_id: int | None, limit: int
) -> SearchPlan:
    """Articles with any of `words` (more and rarer first), in the guild's scope,
    never the article itself."""
    return SearchPlan(
        required=tuple(Term(w) for w in words),
        match_any=True,
        filters=SearchFilters(guild_id=guild_id, exclude_ids=(article_id,)),
        limit=limit,
    )


async def related(
    store: Storage, article_id: int, guild_id: int | None, limit: int = 5
) -> list[SearchHit]:
    """Articles like `article_id` (never itself), from the guild's feeds, best
    first. Empty when the article does not exist or is outside the guild's scope."""
    article = await store.get_article(article_id)
    if article is None:
        return []
    if guild_id is not None and not await store.guild_has_feed(guild_id, article.feed_id):
        return []
    weights = candidate_words(article.title, article.summary)
    stats = await store.word_statistics(list(weights))
    words = describing_words(weights, stats, await store.indexed_count())
    if not words:
        return []
    return list((await store.search(related_plan(article_id, words, guild_id, limit))).hits)
