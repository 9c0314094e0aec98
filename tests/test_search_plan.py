"""The pure rules of search, without storage: member text -> search plan
(bot/search/planning.py) and the words that describe an article for related
articles (bot/search/related.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from bot.errors import InvalidSearchQueryError
from bot.search.language import parse_query
from bot.search.planning import (
    EMPTY_QUERY,
    MAX_REQUIRED,
    QueryTerms,
    build_plan,
    estimated_frequency,
    keep_distinctive,
    plan_terms,
    search_filters,
)
from bot.search.related import (
    TermStat,
    candidate_words,
    describing_words,
    related_plan,
    related_terms,
    term_stats,
)
from bot.search.vocabulary import Vocabulary, default_vocabulary
from bot.storage.search_plan import SearchFilters, SearchPlan, Term, WordStatistics

BARE = Vocabulary()


def _terms(text: str, vocab: Vocabulary = BARE) -> QueryTerms:
    return plan_terms(parse_query(text), vocab)


def _alternatives(terms: tuple[Term, ...]) -> list[tuple[str, ...]]:
    return [t.alternatives for t in terms]


# -- text -> terms --------------------------------------------------------------------


def test_words_phrases_prefixes_and_exclusions_become_terms() -> None:
    """Each part of the query language has its own kind of term."""
    got = _terms('stop drinking "one day at a time" recov* -relapse -"rock bottom"')
    assert got.required == (
        Term("stop"),
        Term("drinking"),
        Term("one day at a time", quoted=True),
        Term("recov", prefix=True),
    )
    assert got.excluded == (Term("relapse"), Term("rock bottom", quoted=True))
    assert got.ignored == ()


def test_backend_operators_are_plain_words() -> None:
    """NEAR, OR, title: and friends are words; and/or/not are dropped as common."""
    got = _terms("NEAR(a b) OR AND NOT title:x ^y")
    assert [t.text for t in got.required] == ["NEAR", "b", "title", "x", "y"]
    assert got.ignored == ("a", "OR", "AND", "NOT")


def test_common_words_are_ignored_unless_alone() -> None:
    """Stopwords are left out (and said), but a query of only stopwords keeps them."""
    got = _terms("how to stop drinking")
    assert [t.text for t in got.required] == ["stop", "drinking"]
    assert got.ignored == ("how", "to")
    assert [t.text for t in _terms("the who").required] == ["the", "who"]
    assert _terms("the who").ignored == ()


def test_nothing_to_search_is_rejected() -> None:
    """Only exclusions, symbols or nothing at all: a friendly error."""
    for text in ("", "   ", "-alcohol -opioids", "*** ---", "\x00\x01"):
        with pytest.raises(InvalidSearchQueryError, match=EMPTY_QUERY):
            _terms(text)


def test_vocabulary_expands_both_ways() -> None:
    """A vocabulary entry expands to its group, whichever entry was typed."""
    vocab = default_vocabulary()
    assert _alternatives(_terms("AA meetings", vocab).required) == [
        ("AA", "Alcoholics Anonymous"),
        ("meetings",),
    ]
    assert _alternatives(_terms("alcoholics ANONYMOUS", vocab).required) == [
        ("alcoholics ANONYMOUS", "AA")
    ]
    (mat,) = _terms("MAT", vocab).required
    assert mat.alternatives[:2] == ("MAT", "medication-assisted treatment")
    twelve = _terms("twelve-step program", vocab).required
    assert {"12-step", "twelve-step"} <= set(twelve[0].alternatives)
    assert twelve[1] == Term("program")
    assert "twelve-step" in _terms("12 step", vocab).required[0].alternatives
    assert "naloxone" in _terms("Nárcan", vocab).required[0].alternatives  # accent folded


def test_longest_vocabulary_entry_wins_and_exclusions_expand() -> None:
    """'fentanyl test strips' is one term, not three; an excluded AA excludes its group."""
    vocab = default_vocabulary()
    (strips,) = _terms("fentanyl test strips", vocab).required
    assert strips.text == "fentanyl test strips" and "FTS" in strips.expansions
    got = _terms("recovery -AA", vocab)
    assert got.required == (Term("recovery"),)
    assert got.excluded == (Term("AA", ("Alcoholics Anonymous",)),)


def test_describe_says_the_query_as_understood() -> None:
    """The member sees expansions, phrases, prefixes and exclusions in plain words."""
    vocab = default_vocabulary()
    assert _terms("AA meetings", vocab).describe() == "AA (or Alcoholics Anonymous) + meetings"
    assert _terms('"rock bottom" reco* -relapse').describe() == (
        '"rock bottom" + reco*, not relapse'
    )


def test_prefix_terms_are_single_words() -> None:
    """A prefix term cannot carry expansions or several words."""
    with pytest.raises(ValueError, match="prefix"):
        Term("reco", ("x",), prefix=True)
    with pytest.raises(ValueError, match="prefix"):
        Term("two words", prefix=True)


# -- long queries ------------------------------------------------------------------


def test_keep_distinctive_keeps_the_rarest_in_query_order() -> None:
    """The terms in the fewest articles are kept, in the member's order; ties keep
    the earlier term."""
    terms = [Term(w) for w in ("common", "rare", "mid", "rarest", "tie1", "tie2")]
    kept, dropped = keep_distinctive(terms, [900, 5, 50, 1, 70, 70], keep=4)
    assert [t.text for t in kept] == ["rare", "mid", "rarest", "tie1"]
    assert [t.text for t in dropped] == ["common", "tie2"]
    assert keep_distinctive(terms[:2], [1, 2]) == (tuple(terms[:2]), ())
    assert MAX_REQUIRED == 8


def test_estimated_frequency_of_prefixes_and_caps() -> None:
    """Storage's estimate, capped at the archive size; a prefix without one is common
    when short, rare when long."""
    assert estimated_frequency(Term("naloxone"), 40, 1000) == 40
    assert estimated_frequency(Term("naloxone"), 4000, 1000) == 1000
    assert estimated_frequency(Term("naloxone"), None, 1000) == 0
    assert estimated_frequency(Term("reco", prefix=True), None, 1000) == 1000
    assert estimated_frequency(Term("recove", prefix=True), None, 1000) == 0
    assert estimated_frequency(Term("reco", prefix=True), 7, 1000) == 7


# -- options -> plan -------------------------------------------------------------------


def test_build_plan_pages_and_filters() -> None:
    """A page asks for one extra hit (to know about the next page) at its offset."""
    filters = search_filters(guild_id=7, feed_id=3, author="  Rosa \x00 Diaz ")
    assert filters == SearchFilters(guild_id=7, feed_id=3, author="Rosa Diaz")
    plan = build_plan(
        _terms("naloxone -fentanyl"),
        filters=filters,
        sort="newest",
        page=2,
        per_page=5,
        comments=True,
    )
    assert plan == SearchPlan(
        required=(Term("naloxone"),),
        excluded=(Term("fentanyl"),),
        filters=filters,
        comments=True,
        sort="newest",
        offset=10,
        limit=6,
    )
    assert not plan.match_any and plan.newest_matches is None


def test_search_filters_check_dates() -> None:
    """Bounds the wrong way round are refused; a blank author is no filter."""
    may, june = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    assert search_filters(guild_id=None, after=may, before=june).after == may
    with pytest.raises(InvalidSearchQueryError, match="earlier"):
        search_filters(guild_id=None, after=june, before=may)
    assert search_filters(guild_id=None, author=" \u200b ").author is None


def test_a_plan_needs_a_required_term_and_a_sane_page() -> None:
    """Plans that no backend could run are refused when built."""
    with pytest.raises(ValueError, match="required"):
        SearchPlan(())
    with pytest.raises(ValueError, match="limit"):
        SearchPlan((Term("x"),), limit=0)
    with pytest.raises(ValueError, match="newest_matches"):
        SearchPlan((Term("x"),), newest_matches=0)


# -- related articles ------------------------------------------------------------------


def test_related_terms_prefers_distinctive_words() -> None:
    """tf-idf picks rare shared words; unique words, stopwords and numbers are skipped."""
    stats = [
        TermStat("recovery", "recoveri", 3, 9000),  # too common
        TermStat("naloxone", "naloxon", 2, 40),
        TermStat("vending", "vend", 1, 12),
        TermStat("unique", "uniqu", 1, 1),  # only in the article itself
        TermStat("the", "the", 5, 500),  # stopword
        TermStat("2024", "2024", 1, 30),  # number
    ]
    more = [*stats, TermStat("kits", "kit", 1, 300)]
    assert related_terms(more, 10_000, limit=5) == ["naloxone", "vending", "kits"]
    assert related_terms(more, 10_000, limit=2) == ["naloxone", "vending"]
    assert related_terms(more, 10_000, df_budget=100) == ["naloxone", "vending", "kits"]
    rare = [TermStat(f"w{i}x", f"w{i}", 1, 50) for i in range(6)]
    assert len(related_terms(rare, 10_000, df_budget=220)) == 4
    # fewer than 3 distinctive words (a small archive): common ones fill in
    assert related_terms(stats, 10_000) == ["naloxone", "vending", "recovery"]


def test_candidate_words_weigh_the_title_double() -> None:
    """Title words count twice; short words, numbers and stopwords are not candidates;
    only the start of the summary is read."""
    got = candidate_words("Naloxone Kits", "Free naloxone at the library in 2024.")
    assert got == {"naloxone": 3.0, "kits": 2.0, "free": 1.0, "library": 1.0}
    assert "late" not in candidate_words("", "a" * 600 + " late")


def test_words_the_index_files_together_add_up() -> None:
    """Words sharing an index key become one term (the first spelling); keyless
    words are dropped."""
    weights = {"meeting": 2.0, "meetings": 1.0, "12-step": 1.0}
    stats = [
        WordStatistics("meeting", "k1", 30),
        WordStatistics("meetings", "k1", 30),
        WordStatistics("12-step", None, 4),
    ]
    assert term_stats(weights, stats) == [TermStat("meeting", "k1", 3.0, 30)]


def test_describing_words_and_the_related_plan() -> None:
    """The rule end to end; the plan asks for any of the words, in scope, never the
    article itself."""
    weights = candidate_words("Naloxone vending machines", "Free naloxone kits")
    stats = [
        WordStatistics(w, w, df)
        for w, df in (("naloxone", 40), ("vending", 12), ("machines", 1), ("free", 9000))
    ]
    words = describing_words(weights, stats, 10_000)
    assert words[:2] == ["naloxone", "vending"] and "machines" not in words
    plan = related_plan(17, words, 7, 5)
    assert plan.match_any and plan.limit == 5 and plan.sort == "relevance"
    assert plan.filters == SearchFilters(guild_id=7, exclude_ids=(17,))
    assert [t.text for t in plan.required] == words


def test_storage_never_imports_search() -> None:
    """bot.storage and its SQLite backend load without bot.search: no import cycle."""
    code = (
        "import sys, bot.storage, bot.storage.sqlite;"
        " print(sorted(m for m in sys.modules if m.startswith('bot.search')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
