"""From a parsed query to the terms of a search plan (bot/storage/search_plan.py).

Pure: the vocabulary expands plain terms (the longest entry wins at each point),
common words are dropped unless nothing else is left, and a pasted paragraph
keeps only its most distinctive parts. Storage renders the plan; nothing here
knows a backend's query language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.errors import InvalidSearchQueryError
from bot.search.language import STOPWORDS, ParsedQuery, clean, has_word
from bot.search.vocabulary import Vocabulary, default_vocabulary, normalize
from bot.storage.search_plan import SearchFilters, SearchPlan, SortOrder, Term

EMPTY_QUERY = "Type at least one word to search for"
MAX_REQUIRED = 8  # a longer query keeps its most distinctive required parts
# A prefix this short matches too many words to be distinctive (when storage has
# no estimate for it); a longer one is treated as rare.
SHORT_PREFIX = 5


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """The terms of a member's query: what an article must and must not have."""

    required: tuple[Term, ...]
    excluded: tuple[Term, ...] = ()
    ignored: tuple[str, ...] = ()  # common words left out

    def describe(self) -> str:
        """The query as understood, for the member: 'AA (or Alcoholics Anonymous) + meetings'."""
        text = " + ".join(describe_term(t) for t in self.required)
        if self.excluded:
            text += ", not " + ", not ".join(describe_term(t) for t in self.excluded)
        return text


def describe_term(term: Term) -> str:
    shown = f'"{term.text}"' if term.quoted else term.text + ("*" if term.prefix else "")
    if term.expansions:
        shown += " (or " + ", ".join(term.expansions) + ")"
    return shown


def _word_terms(words: Sequence[str], vocabulary: Vocabulary) -> list[Term]:
    """Plain words -> terms, the longest vocabulary entry winning at each point."""
    folded: list[str] = []
    starts: list[int] = []  # index into `words` for each folded word
    for t, word in enumerate(words):
        for w in normalize(word):
            folded.append(w)
            starts.append(t)
    terms: list[Term] = []
    t = 0
    while t < len(words):
        first = starts.index(t) if t in starts else -1
        matched = False
        if first >= 0 and vocabulary.longest:
            for length in range(min(vocabulary.longest, len(folded) - first), 0, -1):
                last = first + length - 1
                end_word = starts[last]
                ends_on_boundary = last + 1 == len(folded) or starts[last + 1] != end_word
                if not ends_on_boundary:
                    continue
                group = vocabulary.lookup(tuple(folded[first : first + length]))
                if group is None:
                    continue
                text = " ".join(words[t : end_word + 1])
                key = normalize(text)
                others = tuple(e for e in vocabulary.groups[group] if normalize(e) != key)
                terms.append(Term(text, others))
                t = end_word + 1
                matched = True
                break
        if not matched:
            terms.append(Term(words[t]))
            t += 1
    return terms


def plan_terms(parsed: ParsedQuery, vocabulary: Vocabulary | None = None) -> QueryTerms:
    """The terms of a parsed query. Raises InvalidSearchQueryError when nothing is left."""
    vocab = default_vocabulary() if vocabulary is None else vocabulary
    word_terms = _word_terms(parsed.terms, vocab)
    ignored: list[str] = []
    kept: list[Term] = []
    for term in word_terms:
        key = normalize(term.text)
        if not term.expansions and len(key) == 1 and key[0] in STOPWORDS:
            ignored.append(term.text)
        else:
            kept.append(term)
    others = [Term(p, quoted=True) for p in parsed.phrases]
    others += [Term(p, prefix=True) for p in parsed.prefixes]
    if not kept and not others:
        kept, ignored = word_terms, []  # "the who": only common words, search them anyway
    required = tuple(kept + others)
    excluded = tuple(
        Term(text, vocab.equivalents(text), quoted=" " in text)
        for text in parsed.excluded
        if has_word(text)
    )
    if not required:
        raise InvalidSearchQueryError(EMPTY_QUERY)
    return QueryTerms(required, excluded, tuple(ignored))


def estimated_frequency(term: Term, estimate: int | None, total: int) -> int:
    """How many of `total` articles probably have `term`: storage's estimate, or
    for a prefix without one, "all" when it is short and "few" when it is long."""
    if estimate is None:
        return total if term.prefix and len(term.text) < SHORT_PREFIX else 0
    return min(estimate, total)


def keep_distinctive(
    required: Sequence[Term], frequencies: Sequence[int], keep: int = MAX_REQUIRED
) -> tuple[tuple[Term, ...], tuple[Term, ...]]:
    """(kept, dropped): the `keep` terms found in the fewest articles, both in the
    query's order; the earlier of two equally common terms is kept."""
    order = sorted(range(len(required)), key=lambda i: (frequencies[i], i))[:keep]
    chosen = set(order)
    kept = tuple(t for i, t in enumerate(required) if i in chosen)
    dropped = tuple(t for i, t in enumerate(required) if i not in chosen)
    return kept, dropped


def build_plan(
    terms: QueryTerms,
    *,
    filters: SearchFilters,
    sort: SortOrder = "relevance",
    page: int = 0,
    per_page: int = 5,
    comments: bool = False,
    newest_matches: int | None = None,
) -> SearchPlan:
    """The plan for one page of results: one more hit than shown, to know whether
    there is a next page."""
    return SearchPlan(
        required=terms.required,
        excluded=terms.excluded,
        filters=filters,
        comments=comments,
        sort=sort,
        offset=page * per_page,
        limit=per_page + 1,
        newest_matches=newest_matches,
    )


def search_filters(
    *,
    guild_id: int | None,
    feed_id: int | None = None,
    author: str | None = None,
    after: datetime | None = None,
    before: datetime | None = None,
) -> SearchFilters:
    """Filters from a member's options (dates already read). Raises
    InvalidSearchQueryError when the dates are the wrong way round."""
    if after is not None and before is not None and after >= before:
        raise InvalidSearchQueryError("The `after` date must be earlier than the `before` date.")
    if author is not None:
        author = " ".join(clean(author).split())[:100] or None
    return SearchFilters(
        guild_id=guild_id, feed_id=feed_id, author=author, after=after, before=before
    )
