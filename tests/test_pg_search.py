"""PostgresSearch (bot/storage/postgresql/search.py) through the SearchStore protocol,
on a migrated database of the session's throwaway PostgreSQL 15 (tests/pgserver.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot import search as S
from bot.errors import InvalidSearchQueryError
from bot.storage.errors import StorageError
from bot.storage.postgresql.search import PostgresSearch
from bot.storage.search_plan import SearchFilters, SearchPlan, Term
from tests.pg_search_rows import add_article, add_comment, add_feed, fresh_pool
from tests.pgserver import PgServer

G1, G2 = 101, 202
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def day(n: int) -> datetime:
    return datetime(2025, 1, n, 12, tzinfo=UTC)


def plan(*words: str, **kw: Any) -> SearchPlan:
    kw.setdefault("filters", SearchFilters(guild_id=G1))
    return SearchPlan(required=tuple(Term(w) for w in words), **kw)


async def ids(store: PostgresSearch, p: SearchPlan) -> list[int]:
    return [h.article.id for h in (await store.search(p)).hits]


@pytest.fixture
async def pg_pool(pg_server: PgServer) -> AsyncIterator[Any]:
    """An asyncpg pool on a fresh, migrated database."""
    async with fresh_pool(pg_server) as pool:
        yield pool


@pytest.fixture
async def env(pg_pool: Any) -> tuple[PostgresSearch, Any, int, int]:
    """A store with two feeds: feed 1 in guild G1, feed 2 in guild G2."""
    f1 = await add_feed(pg_pool, "https://one.example/feed", G1)
    f2 = await add_feed(pg_pool, "https://two.example/feed", G2)
    return PostgresSearch(pg_pool), pg_pool, f1, f2


async def test_all_words_required(env: Any) -> None:
    """Every required word must be present; an article with only some is left out."""
    store, pool, f1, _ = env
    both = await add_article(pool, f1, "Naloxone saves lives", "carry naloxone to meetings")
    await add_article(pool, f1, "Naloxone training", "free training")
    assert await ids(store, plan("naloxone", "meetings")) == [both]


async def test_phrase_needs_words_in_a_row(env: Any) -> None:
    """A multi-word alternative matches its words in a row, in that order."""
    store, pool, f1, _ = env
    row = await add_article(pool, f1, "Harm reduction works", "")
    await add_article(pool, f1, "Reduction of harm", "")
    assert await ids(store, plan("harm reduction")) == [row]


async def test_exclusions(env: Any) -> None:
    """An article holding an excluded term never matches."""
    store, pool, f1, _ = env
    keep = await add_article(pool, f1, "Naloxone basics", "")
    await add_article(pool, f1, "Naloxone and fentanyl", "")
    p = plan("naloxone", excluded=(Term("fentanyl"),))
    assert await ids(store, p) == [keep]
    assert await store.count(p) == 1


async def test_prefix(env: Any) -> None:
    """A prefix term matches words starting with it, stemmed or not."""
    store, pool, f1, _ = env
    a = await add_article(pool, f1, "Recovery stories", "")
    b = await add_article(pool, f1, "Recovering together", "")
    await add_article(pool, f1, "Relapse", "")
    p = SearchPlan(required=(Term("recove", prefix=True),), filters=SearchFilters(guild_id=G1))
    assert set(await ids(store, p)) == {a, b}


async def test_stemming_and_diacritics(env: Any) -> None:
    """Word endings and accents are folded the same way in articles and queries."""
    store, pool, f1, _ = env
    a = await add_article(pool, f1, "Weekly meetings", "at the café")
    assert await ids(store, plan("meeting")) == [a]
    assert await ids(store, plan("cafe")) == [a]
    assert await ids(store, plan("Cafés")) == [a]


async def test_hyphenated_words(env: Any) -> None:
    """'12-step' finds both '12-step' and '12 step', as in SQLite."""
    store, pool, f1, _ = env
    a = await add_article(pool, f1, "A 12-step program", "")
    b = await add_article(pool, f1, "The 12 step way", "")
    assert set(await ids(store, plan("12-step"))) == {a, b}


async def test_vocabulary_expansions(env: Any) -> None:
    """A term matches any of its alternatives (the vocabulary's expansions)."""
    store, pool, f1, _ = env
    a = await add_article(pool, f1, "AA tonight", "")
    b = await add_article(pool, f1, "Alcoholics Anonymous history", "")
    await add_article(pool, f1, "Anonymous alcoholics", "")  # words not in a row
    p = SearchPlan(
        required=(Term("AA", expansions=("Alcoholics Anonymous",)),),
        filters=SearchFilters(guild_id=G1),
    )
    assert set(await ids(store, p)) == {a, b}


async def test_vocabulary_through_the_core(env: Any) -> None:
    """bot.search.search runs on PostgresSearch and expands 'AA' from vocabulary.txt."""
    store, pool, f1, _ = env
    b = await add_article(pool, f1, "Alcoholics Anonymous history", "")
    page = await S.search(store, "AA", guild_id=G1, now=NOW)
    assert [h.article.id for h in page.hits] == [b]


async def test_any_word_fallback_ranks_more_and_rarer_words_first(env: Any) -> None:
    """match_any: any term suffices; more terms, then rarer ones, rank higher."""
    store, pool, f1, _ = env
    both = await add_article(pool, f1, "Sponsor", "a sponsor at meetings")
    rare = await add_article(pool, f1, "Sponsor", "")
    common = [await add_article(pool, f1, "Meetings", "") for _ in range(6)]
    hits = (await store.search(plan("sponsor", "meetings", match_any=True, limit=20))).hits
    order = [h.article.id for h in hits]
    assert order[:2] == [both, rare]
    assert set(order[2:]) == set(common)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # Through the core: no article has both words, so it falls back and says so.
    page = await S.search(store, "sponsor relapse", guild_id=G1, now=NOW, per_page=5)
    assert {h.article.id for h in page.hits} == {both, rare}
    assert any("some of them" in n for n in page.notes)


async def test_title_above_summary_above_content(env: Any) -> None:
    """Scores are higher-is-better: a title match beats a summary match beats content."""
    store, pool, f1, _ = env
    body = await add_article(pool, f1, "Other", "nothing", "all about naloxone here")
    summ = await add_article(pool, f1, "Other", "all about naloxone", "nothing")
    title = await add_article(pool, f1, "Naloxone", "nothing", "nothing")
    hits = (await store.search(plan("naloxone"))).hits
    assert [h.article.id for h in hits] == [title, summ, body]
    assert hits[0].score > hits[1].score > hits[2].score > 0


async def test_snippet_marks_matches(env: Any) -> None:
    """The snippet wraps matched words in \\x02 ... \\x03."""
    store, pool, f1, _ = env
    await add_article(pool, f1, "Title", "Carry naloxone with you always")
    (hit,) = (await store.search(plan("naloxone"))).hits
    assert "\x02naloxone\x03" in hit.snippet


async def test_guild_isolation(env: Any) -> None:
    """A guild never sees another guild's articles, in search, autocomplete or lookups."""
    store, pool, f1, f2 = env
    mine = await add_article(pool, f1, "Naloxone one", link="https://one.example/a")
    await add_article(pool, f2, "Naloxone two", link="https://two.example/b")
    assert await ids(store, plan("naloxone")) == [mine]
    assert await store.count(plan("naloxone")) == 1
    assert [t.article_id for t in await store.autocomplete_titles("nalox", G1)] == [mine]
    assert await store.find_article_by_url("https://two.example/b", G1) is None
    found = await store.find_article_by_url("https://two.example/b", G2)
    assert found is not None and found.title == "Naloxone two"
    assert len(await ids(store, plan("naloxone", filters=SearchFilters()))) == 2


async def test_filters(env: Any) -> None:
    """Feed, author (case-insensitive part), date range and excluded ids filter matches."""
    store, pool, f1, _ = env
    f3 = await add_feed(pool, "https://three.example/feed", G1)
    a = await add_article(pool, f1, "Naloxone", author="Dr. Ada Lovelace", published=day(1))
    b = await add_article(pool, f3, "Naloxone", author="Bob", published=day(5))
    c = await add_article(pool, f1, "Naloxone", author="ada_x", published=day(10))
    assert await ids(store, plan("naloxone", filters=SearchFilters(guild_id=G1, feed_id=f3))) == [b]
    by_ada = plan("naloxone", filters=SearchFilters(guild_id=G1, author="ADA"))
    assert set(await ids(store, by_ada)) == {a, c}
    # LIKE wildcards in the author are literal
    literal = SearchFilters(guild_id=G1, author="a_")  # "_" would match "a " in "Ada Lovelace"
    assert await ids(store, plan("naloxone", filters=literal)) == [c]
    ranged = SearchFilters(guild_id=G1, after=day(2), before=day(10))
    assert await ids(store, plan("naloxone", filters=ranged)) == [b]
    assert set(await ids(store, plan("naloxone", filters=SearchFilters(exclude_ids=(a, b))))) == {c}


async def test_sort_newest_and_paging(env: Any) -> None:
    """sort=newest orders by publication date (ties: highest id); pages never overlap."""
    store, pool, f1, _ = env
    made = [
        await add_article(pool, f1, f"Naloxone {i}", published=day(1 + i % 3)) for i in range(7)
    ]
    expected = sorted(made, key=lambda i: (day(1 + made.index(i) % 3), i), reverse=True)
    pages = []
    for offset in range(0, 7, 3):
        hits = (await store.search(plan("naloxone", sort="newest", offset=offset, limit=3))).hits
        assert all(h.score == 0.0 for h in hits)
        pages += [h.article.id for h in hits]
    assert pages == expected
    # relevance order with equal scores falls back to the same tie order
    ranked = []
    for offset in range(0, 7, 2):
        ranked += await ids(store, plan("naloxone", offset=offset, limit=2))
    assert ranked == expected
    assert await store.count(plan("naloxone"), cap=5) == 5


async def test_newest_matches(env: Any) -> None:
    """newest_matches ranks only the newest N matches (by arrival) and says so."""
    store, pool, f1, _ = env
    made = [await add_article(pool, f1, "Naloxone", published=day(1)) for _ in range(5)]
    res = await store.search(plan("naloxone", newest_matches=3, limit=10))
    assert res.newest_only
    assert {h.article.id for h in res.hits} == set(made[-3:])
    assert await store.count(plan("naloxone", newest_matches=3), cap=100) == 3
    res = await store.search(plan("naloxone", newest_matches=5, limit=10))
    assert not res.newest_only and len(res.hits) == 5


async def test_comments(env: Any) -> None:
    """With comments on, an article also matches through its comments (via_comments),
    carrying its best comments; with comments off it does not."""
    store, pool, f1, _ = env
    own = await add_article(pool, f1, "Naloxone guide", "")
    other = await add_article(pool, f1, "Weekly thread", "")
    await add_comment(pool, other, "Where can I get naloxone?")
    await add_comment(pool, other, "unrelated")
    await add_comment(pool, own, "naloxone naloxone")
    assert await ids(store, plan("naloxone")) == [own]
    res = await store.search(plan("naloxone", comments=True))
    by_id = {h.article.id: h for h in res.hits}
    assert set(by_id) == {own, other}
    assert by_id[other].via_comments and not by_id[own].via_comments
    assert [c.comment.text for c in by_id[other].comments] == ["Where can I get naloxone?"]
    assert "\x02naloxone\x03" in by_id[other].comments[0].snippet
    assert await store.count(plan("naloxone", comments=True)) == 2
    newest = await store.search(plan("naloxone", comments=True, sort="newest"))
    assert [h.article.id for h in newest.hits] == [other, own]


async def test_autocomplete(env: Any) -> None:
    """Every typed word in the title, the last as a prefix, folded, newest first."""
    store, pool, f1, _ = env
    old = await add_article(pool, f1, "Café meetings downtown", published=day(1))
    new = await add_article(pool, f1, "Meetings online", published=day(9))
    mid = await add_article(pool, f1, "Naloxone", published=day(5))
    assert [t.article_id for t in await store.autocomplete_titles("meet", G1)] == [new, old]
    assert [t.article_id for t in await store.autocomplete_titles("cafe mee", G1)] == [old]
    # a finished word (trailing space) is no longer a prefix
    assert await store.autocomplete_titles("meet ", G1) == []
    blank = await store.autocomplete_titles("  ", G1, limit=2)
    assert [t.article_id for t in blank] == [new, mid]
    assert await store.autocomplete_titles("zz'\\\":* & |!(", G1) == []
    assert [t.article_id for t in await store.autocomplete_titles("online:* | meet", G1)] == [new]


async def test_hostile_text_is_safe(env: Any) -> None:
    """Query-language symbols, quotes, backslashes and NUL are plain text."""
    store, pool, f1, _ = env
    a = await add_article(pool, f1, "It's O'Brien's story", "")
    for text in ["O'Brien's", "a & b | !c", "\\", "'\x00'", ":*", "<->", "(((", "a:*b"]:
        await store.search(plan(text))
        await store.count(plan(text, match_any=True, excluded=(Term(text),)))
        await store.term_frequencies([Term(text), Term(text.replace(" ", "") + "x", prefix=True)])
    assert await ids(store, plan("O'Brien's")) == [a]


async def test_term_frequencies_and_word_statistics(env: Any) -> None:
    """Document frequencies per term and per word; stems share a key."""
    store, pool, f1, f2 = env
    for _ in range(3):
        await add_article(pool, f1, "Meetings", "")
    await add_article(pool, f2, "Meeting", "")  # any guild counts
    await add_article(pool, f1, "Sponsor", "")
    freqs = await store.term_frequencies(
        [Term("meeting"), Term("sponsor", expansions=("mentor",)), Term("spon", prefix=True)]
    )
    assert freqs == [4, 1, None]
    stats = await store.word_statistics(["meetings", "meeting", "sponsor", "12-step", "zzz"])
    assert stats[0].key == stats[1].key is not None and stats[0].articles == 4
    assert stats[2].articles == 1
    assert stats[3].key is None
    assert stats[4].articles == 0
    assert await store.indexed_count() == 5
    # After ANALYZE, common lexemes are estimated from pg_stats (a fresh store: the
    # statistics are cached); the estimate agrees with the count here.
    async with pool.acquire() as conn:
        await conn.execute("ANALYZE articles")
        assert await conn.fetchval(
            "SELECT 'meet' = ANY(most_common_elems::text::text[]) FROM pg_stats"
            " WHERE tablename = 'articles' AND attname = 'search_vector'"
        )
    fresh = PostgresSearch(pool)
    assert (await fresh.word_statistics(["meetings"]))[0].articles == 4
    assert await fresh.term_frequencies([Term("meeting")]) == [4]


async def test_related_articles_rule_runs(env: Any) -> None:
    """The core's related-articles search works on PostgreSQL's word statistics."""
    store, pool, f1, _ = env
    a = await add_article(pool, f1, "Naloxone distribution program", "naloxone kits for overdose")
    b = await add_article(pool, f1, "Naloxone kits handed out", "overdose prevention")
    await add_article(pool, f1, "Gardening", "tomatoes")
    await add_article(pool, f1, "Naloxone", "kits")
    words = ["naloxone", "distribution", "program", "kits", "overdose"]
    stats = await store.word_statistics(words)
    from bot.search.related import describing_words, related_plan

    chosen = describing_words(dict.fromkeys(words, 1.0), stats, await store.indexed_count())
    hits = (await store.search(related_plan(a, chosen, G1, 5))).hits
    assert hits and hits[0].article.id == b
    assert a not in {h.article.id for h in hits}


async def test_find_article_by_url_variants(env: Any) -> None:
    """Links are found with/without a trailing slash, http/https and #fragment."""
    store, pool, f1, _ = env
    a = await add_article(pool, f1, "Post", link="https://one.example/post/")
    urls = ["http://one.example/post", "https://one.example/post/#c1", " https://one.example/post "]
    for url in urls:
        found = await store.find_article_by_url(url, G1)
        assert found is not None and found.id == a
        assert found.published_at.tzinfo is not None


async def test_driver_errors_are_translated(
    env: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A closed pool raises StorageError, never an asyncpg error, and the log names
    only the error's type, never the query."""
    store, pool, _, _ = env
    await pool.close()
    caplog.set_level(logging.ERROR)
    with pytest.raises(StorageError):
        await store.search(plan("secretword"))
    with pytest.raises(StorageError):
        await store.autocomplete_titles("secretword", G1)
    assert "secretword" not in caplog.text
    assert "search failed" in caplog.text


async def test_unreadable_query_is_invalid(env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tsquery PostgreSQL refuses becomes InvalidSearchQueryError."""
    store, *_ = env
    from bot.storage.postgresql import search as pg

    monkeypatch.setattr(pg, "_any", lambda parts: "'a' & & ")
    with pytest.raises(InvalidSearchQueryError):
        await store.search(plan("naloxone"))
