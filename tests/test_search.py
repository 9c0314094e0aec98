"""bot.search (parser, vocabulary, dates, snippets, search()) and the SQLite search
backend through the SearchStore protocol, on a real SQLite file. The pure plan
building and the related-articles rule are in test_search_plan.py."""

from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import search as S
from bot.errors import InvalidSearchQueryError
from bot.models import ParsedArticle, ParsedComment
from bot.search import language, planning, service
from bot.search.related import related
from bot.storage import SearchFilters, SearchPlan, SuccessOutcome, Term
from bot.storage.errors import StorageError
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.search import fts5_match, fts5_quote

NOW = datetime(2025, 6, 15, 12, 30, tzinfo=UTC)
GUILD_A, GUILD_B = 111, 222


# -- parser ------------------------------------------------------------------------


def test_parse_words_phrases_exclusions_prefixes() -> None:
    """Each part of the query language lands in its own bucket."""
    p = S.parse_query('stop drinking "one day at a time" -relapse recov* -"rock bottom"')
    assert p.terms == ("stop", "drinking")
    assert p.phrases == ("one day at a time",)
    assert p.excluded == ("relapse", "rock bottom")
    assert p.prefixes == ("recov",)
    assert not p.truncated


def test_parse_unterminated_quote_runs_to_the_end() -> None:
    """An unclosed quote makes a phrase of the rest."""
    assert S.parse_query('naloxone "saves lives').phrases == ("saves lives",)


def test_parse_smart_quotes_and_punctuation() -> None:
    """Curly quotes quote; punctuation splits words but joiners stay inside."""
    p = S.parse_query("“harm reduction” title:fentanyl (alcohol) a,b 12-step don't")
    assert p.phrases == ("harm reduction",)
    assert p.terms == ("title", "fentanyl", "alcohol", "a", "b", "12-step", "don't")


def test_parse_short_prefix_is_a_plain_word() -> None:
    """A prefix under MIN_PREFIX letters is searched as a plain word."""
    p = S.parse_query("ab* x*")
    assert p.prefixes == ()
    assert p.terms == ("ab", "x")


def test_parse_strips_control_and_invisible_characters() -> None:
    """Control and zero-width characters never reach a term."""
    p = S.parse_query("na\x00lox\x02one\u200b \x1bsober\tliving\n")
    assert p.terms == ("na", "lox", "one", "sober", "living")


def test_parse_drops_tokens_without_letters_or_digits() -> None:
    """Symbols alone make no term."""
    p = S.parse_query('--- *** ^^ "" "!!" - ( ) :')
    assert p.empty and p.excluded == ()


def test_parse_caps_terms_and_length() -> None:
    """Long queries are cut to MAX_TERMS parts and MAX_QUERY_CHARS, and say so."""
    p = S.parse_query(" ".join(f"w{i}" for i in range(100)))
    assert len(p.terms) == language.MAX_TERMS and p.truncated
    long = S.parse_query("x" * 2000)
    assert long.truncated and len(long.terms[0]) == language.MAX_QUERY_CHARS


# -- rendering a plan as FTS5 (bot/storage/sqlite/search.py) ---------------------------


def _match(text: str, vocab: S.Vocabulary | None = None, **kw: object) -> str:
    terms = planning.plan_terms(S.parse_query(text), S.Vocabulary() if vocab is None else vocab)
    plan = SearchPlan(terms.required, terms.excluded, **kw)  # type: ignore[arg-type]
    return fts5_match(plan)


def test_every_token_is_quoted() -> None:
    """Member text reaches FTS5 only inside double quotes, inner quotes doubled."""
    assert fts5_quote('say "hi"') == '"say ""hi"""'
    # operators are plain words (and, or, not are ignored as common words)
    assert (
        _match("NEAR(a b) OR AND NOT title:x ^y") == '("NEAR" AND "b" AND "title" AND "x" AND "y")'
    )
    assert fts5_match(SearchPlan((Term('a"b'), Term("c", prefix=True)))) == '("a""b" AND "c"*)'


def test_exclusions_phrases_and_any_word() -> None:
    """Exclusions become NOT, phrases stay one string, match_any joins with OR."""
    assert _match('"relapse prevention" plan -fentanyl') == (
        '("plan" AND "relapse prevention") NOT "fentanyl"'
    )
    assert _match("sober living", match_any=True) == '("sober" OR "living")'


def test_vocabulary_expansions_render_as_alternatives() -> None:
    """A term's expansions are ORed with it; excluded terms expand too."""
    vocab = S.default_vocabulary()
    assert _match("AA meetings", vocab) == '(("AA" OR "Alcoholics Anonymous") AND "meetings")'
    assert _match("recovery -AA", vocab) == '"recovery" NOT ("AA" OR "Alcoholics Anonymous")'


def test_vocabulary_file_format(tmp_path: Path) -> None:
    """Comments, blank lines, one-entry groups and duplicate spellings are handled."""
    path = tmp_path / "v.txt"
    path.write_text(
        "# comment\n\nFoo Bar | FB  # trailing comment\nsolo\nX-Ray | xray | X ray\n",
        encoding="utf-8",
    )
    vocab = S.Vocabulary.load(path)
    assert vocab.groups == (("Foo Bar", "FB"), ("X-Ray", "xray"))  # "X ray" == "X-Ray"
    assert vocab.equivalents("fb") == ("Foo Bar",)
    assert vocab.equivalents("nothing") == ()
    default = S.Vocabulary.load()
    assert len(default.groups) >= 40
    assert "Narcan" in default.equivalents("naloxone")


def test_the_shipped_vocabulary_is_package_data() -> None:
    """vocabulary.txt ships inside bot/search/."""
    assert (Path(S.__file__).parent / "vocabulary.txt").is_file()


# -- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2024-05-01", False, datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01", True, datetime(2024, 5, 2, tzinfo=UTC)),
        ("2024-5-1", False, datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024/05", False, datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05", True, datetime(2024, 6, 1, tzinfo=UTC)),
        ("2024-12", True, datetime(2025, 1, 1, tzinfo=UTC)),
        ("2024", False, datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024", True, datetime(2025, 1, 1, tzinfo=UTC)),
        ("30d", False, NOW - timedelta(days=30)),
        ("2w", True, NOW - timedelta(days=14)),
        ("6m", False, datetime(2024, 12, 15, 12, 30, tzinfo=UTC)),
        ("1y", False, datetime(2024, 6, 15, 12, 30, tzinfo=UTC)),
        ("3 days ago", False, NOW - timedelta(days=3)),
        (" Today ", False, datetime(2025, 6, 15, tzinfo=UTC)),
        ("today", True, datetime(2025, 6, 16, tzinfo=UTC)),
        ("yesterday", False, datetime(2025, 6, 14, tzinfo=UTC)),
    ],
)
def test_parse_date(text: str, end: bool, expected: datetime) -> None:
    """Absolute, relative and named dates give the start (or end) of their period."""
    assert S.parse_date(text, NOW, end=end) == expected


def test_parse_date_month_arithmetic_clamps() -> None:
    """Going back a month from the 31st lands on the last day of that month."""
    assert S.parse_date("1m", datetime(2024, 3, 31, tzinfo=UTC)) == datetime(
        2024, 2, 29, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text", ["", "soon", "2024-13", "2024-02-30", "1969", "99999", "9999y", "-3d", "2024-05-01x"]
)
def test_bad_dates_are_friendly_errors(text: str) -> None:
    """An unreadable date says which forms work."""
    with pytest.raises(InvalidSearchQueryError, match=r"2024-05-01.*30d"):
        S.parse_date(text, NOW)


# -- snippets -------------------------------------------------------------------------


def test_render_snippet_bolds_matches_and_escapes_markdown() -> None:
    """Matches are bold; markdown in feed text is escaped."""
    out = S.render_snippet(
        "…a *star* and \x02Narcan\x03 kit_s `x` [l](u) \x02saves\x03 \x02lives\x03"
    )
    assert out == r"…a \*star\* and **Narcan** kit\_s \`x\` \[l\]\(u\) **saves lives**"


def test_render_snippet_escapes_line_starts_only_at_the_start() -> None:
    """Header and list markers are escaped only where they would format."""
    assert S.render_snippet("# Title: 12-step\nwork") == r"\# Title: 12-step work"
    assert S.render_snippet("-# small") == r"\-# small"
    assert S.render_snippet("3. third") == r"\3. third"


def test_render_snippet_neutralizes_mentions() -> None:
    """Mentions in feed text can never ping."""
    out = S.render_snippet("ping @everyone and <@123> <@&9> <#5> \x02@here\x03")
    assert "@everyone" not in out and "@here" not in out
    assert "<@" not in out.replace("\\<@", "")
    assert "@\u200beveryone" in out and "**@\u200bhere**" in out


def test_render_snippet_handles_broken_markers_and_whitespace() -> None:
    """Unbalanced markers and blank matches render cleanly."""
    assert S.render_snippet("a\x03b \x02open\nended") == "ab **open ended**"
    assert S.render_snippet("\x02 \x03x") == "x"
    assert S.render_snippet("") == ""


# -- through the storage -------------------------------------------------------------------


def _article(key: str, title: str, summary: str, content: str = "", **kw: object) -> ParsedArticle:
    fields: dict[str, object] = {
        "key": key,
        "link": f"https://example.org/{key}",
        "title": title,
        "summary": summary,
        "content": content,
        "author": "Sam Writer",
        "published": NOW - timedelta(days=int(key.strip("ab")) if key.strip("ab").isdigit() else 1),
        "updated": None,
        "image_url": None,
        "categories": (),
        "comments_url": None,
        "comments_feed_url": None,
        "comment_count": None,
        "content_hash": key,
    }
    fields.update(kw)
    return ParsedArticle(**fields)  # type: ignore[arg-type]


async def _feed(store: SqliteStorage, url: str, guild: int, articles: list[ParsedArticle]) -> int:
    feed = await store.add_feed(url, NOW)
    await store.record_success(
        feed.id,
        SuccessOutcome(
            now=NOW,
            next_poll_at=NOW,
            etag=None,
            last_modified=None,
            body_hash=None,
            articles=tuple(articles),
        ),
    )
    await store.add_guild_feed(guild, feed.id)
    return feed.id


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    st = await SqliteStorage.open(tmp_path / "search.db")
    await _feed(
        st,
        "https://a.example/feed",
        GUILD_A,
        [
            _article("a1", "My first Alcoholics Anonymous meeting", "Coffee in a church basement."),
            _article(
                "a2",
                "Narcan saves lives",
                "Free naloxone kits at the library.",
                "Training on Tuesday. Bring a friend.",
                author="Rosa Diaz",
            ),
            _article(
                "a3",
                "Drinking less in January",
                "Dry January and sobriety tips.",
                published=datetime(2024, 1, 10, tzinfo=UTC),
            ),
            _article(
                "a4",
                "Buprenorphine by telehealth",
                "Suboxone access widened.",
                published=datetime(2023, 5, 2, tzinfo=UTC),
            ),
            _article(
                "a5",
                "The twelve-step way",
                "Working the steps with a sponsor.",
                link="https://a.example/posts/12-steps/",
            ),
        ]
        + [
            _article(f"a{i}", f"Recovery diary day {i}", f"Another day of recovery number {i}.")
            for i in range(10, 50)
        ],
    )
    await _feed(
        st,
        "https://b.example/feed",
        GUILD_B,
        [
            _article("b1", "Secret guild B naloxone story", "Only guild B may see this naloxone."),
            _article("b2", "Recovery diary from B", "Guild B recovery."),
        ],
    )
    yield st
    await st.close()


async def _search(st: SqliteStorage, text: str, guild: int = GUILD_A, **kw: object) -> S.SearchPage:
    return await S.search(st, text, guild_id=guild, now=NOW, **kw)  # type: ignore[arg-type]


async def test_search_end_to_end(store: SqliteStorage) -> None:
    """Vocabulary, stemming, case and joined words work through search()."""
    page = await _search(store, "AA meetings")
    assert [h.article.key for h in page.hits] == ["a1"]
    assert S.render_snippet(page.hits[0].snippet).count("**") >= 2
    assert page.description == "AA (or Alcoholics Anonymous) + meetings"
    drinking = await _search(store, "drink")
    assert [h.article.key for h in drinking.hits] == ["a3"]  # stemming
    assert [h.article.key for h in (await _search(store, "SUBOXONE")).hits] == ["a4"]
    assert [h.article.key for h in (await _search(store, "12-step")).hits] == ["a5"]


async def test_guild_isolation(store: SqliteStorage) -> None:
    """A guild never sees another guild's articles, in search, related or lookups."""
    a = await _search(store, "naloxone")
    b = await _search(store, "naloxone", guild=GUILD_B)
    assert {h.article.key for h in a.hits} == {"a2"}
    assert {h.article.key for h in b.hits} == {"b1"}
    for text in ("recovery", "guild", "secret", "diary"):
        page = await _search(store, text, per_page=25)
        assert all(h.article.key.startswith("a") for h in page.hits)
    assert await related(store, 2, GUILD_B) == []  # a2 is not B's
    assert await store.find_article_by_url("https://example.org/b1", GUILD_A) is None


async def test_filters_and_sorting(store: SqliteStorage) -> None:
    """Date, author and sort options filter and order the hits."""
    assert (await _search(store, "sobriety", after="2024-01", before="2024-02")).total == 1
    assert (await _search(store, "sobriety", before="2024")).total == 0
    assert (await _search(store, "sobriety", after="2024-01-11")).total == 0
    assert [h.article.key for h in (await _search(store, "naloxone", author="rosa")).hits] == ["a2"]
    assert (await _search(store, "naloxone", author="nobody")).total == 0
    newest = await _search(store, "recovery", sort="newest", per_page=25)
    dates = [h.article.published_at for h in newest.hits]
    assert dates == sorted(dates, reverse=True)
    with pytest.raises(InvalidSearchQueryError, match="earlier"):
        await _search(store, "x", after="2024", before="2023")
    with pytest.raises(InvalidSearchQueryError, match="date"):
        await _search(store, "x", after="last tuesday")
    with pytest.raises(InvalidSearchQueryError):
        await _search(store, "x", sort="random")
    assert (await _search(store, "sobriety", after=" ", before="")).total == 1  # blank: no bound


async def test_paging(store: SqliteStorage) -> None:
    """Pages never overlap and together cover every match; deep pages are refused."""
    first = await _search(store, "diary")
    assert len(first.hits) == 5 and first.has_more and first.total == 40
    seen = {h.article.id for h in first.hits}
    page = 1
    while True:
        nxt = await _search(store, "diary", page=page)
        assert not seen & {h.article.id for h in nxt.hits}
        seen |= {h.article.id for h in nxt.hits}
        if not nxt.has_more:
            break
        page += 1
    assert len(seen) == 40 and page == 7
    with pytest.raises(InvalidSearchQueryError, match="first"):
        await _search(store, "diary", page=1000)


async def test_relaxed_when_nothing_has_every_word(store: SqliteStorage) -> None:
    """With no article holding every word, articles with some of them are shown."""
    page = await _search(store, "naloxone zebra")
    assert page.relaxed and [h.article.key for h in page.hits] == ["a2"]
    assert "some of them" in page.notes[-1]
    assert not (await _search(store, "naloxone library")).relaxed


async def test_long_query_keeps_distinctive_words(store: SqliteStorage) -> None:
    """A pasted paragraph is cut to its MAX_REQUIRED rarest parts, and says so."""
    text = "recovery diary day another number " * 3 + "naloxone library kits free training"
    page = await _search(store, text)
    assert any("most distinctive" in n for n in page.notes)
    assert page.description.count(" + ") == planning.MAX_REQUIRED - 1


async def test_very_common_queries_rank_their_newest_matches(
    store: SqliteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over RANK_BUDGET matches in scope, only the newest RANK_BUDGET are ranked, and
    the member is told; a guild with few matches is ranked in full."""
    monkeypatch.setattr(service, "RANK_BUDGET", 5)
    page = await _search(store, "recovery", per_page=25)
    assert any("newest 5 matching" in n for n in page.notes)
    matching = [
        a.id
        for a in await store.latest_articles(100, guild_id=GUILD_A)
        if "recovery" in (a.title + a.summary).casefold()
    ]
    assert len(matching) > 5
    assert {h.article.id for h in page.hits} == set(sorted(matching, reverse=True)[:5])
    assert page.total == 5 and not page.has_more
    b = await _search(store, "recovery", guild=GUILD_B)
    assert [h.article.key for h in b.hits] == ["b2"] and not b.notes


async def test_newest_matches_through_the_protocol(store: SqliteStorage) -> None:
    """plan.newest_matches keeps the newest matches in scope, for ranking, paging and
    counting, with either sort order."""
    diary = [
        a.id
        for a in await store.latest_articles(100, guild_id=GUILD_A)
        if "diary" in a.title.casefold()
    ]
    newest = set(sorted(diary, reverse=True)[:7])
    for sort in ("relevance", "newest"):
        plan = SearchPlan(
            (Term("diary"),),
            filters=SearchFilters(guild_id=GUILD_A),
            sort=sort,  # type: ignore[arg-type]
            limit=25,
            newest_matches=7,
        )
        results = await store.search(plan)
        assert {h.article.id for h in results.hits} == newest and results.newest_only
        assert await store.count(plan) == 7
    everything = SearchPlan((Term("diary"),), filters=SearchFilters(guild_id=GUILD_A), limit=50)
    results = await store.search(everything)
    assert len(results.hits) == len(diary) == 40 and not results.newest_only
    exactly = await store.search(replace(everything, newest_matches=40))
    assert len(exactly.hits) == 40 and not exactly.newest_only  # nothing left out


async def test_scores_are_higher_for_better_hits(store: SqliteStorage) -> None:
    """Relevance hits come best first with falling scores; a title match beats a
    summary match; date order carries score 0.0."""
    plan = SearchPlan((Term("naloxone"),), limit=10)
    hits = (await store.search(plan)).hits
    assert [h.article.key for h in hits][:1] == ["b1"]  # in b1's title and summary
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.score > 0 for h in hits)
    by_date = await store.search(SearchPlan((Term("naloxone"),), sort="newest"))
    assert {h.score for h in by_date.hits} == {0.0}


async def test_fuzz_never_breaks_fts5(
    store: SqliteStorage, caplog: pytest.LogCaptureFixture
) -> None:
    """Random member text never makes the backend fail (it would log the failure)."""
    rng = random.Random(1234)
    alphabet = [
        *"abcdeAB \"'()*-:^+.,;{}[]<>@#~|&!?/\\_=%$",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "NEAR(",
        " title:",
        "rank",
        "é",
        "ß",
        "ﬁ",
        "İ",
        "日本",
        "😀",
        "\u200b",
        "\u0301",
        "\x00",
        "\x02",
        "\x03",
        "\n",
        "\t",
        "\ufeff",
        "\U0010ffff",
        "12-step",
        "AA",
        '""',
        '*"',
        '-"',
        "naloxone",
    ]
    errors = 0
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        try:
            await _search(
                store, text, comments=rng.random() < 0.2, sort=rng.choice(("relevance", "newest"))
            )
        except InvalidSearchQueryError:
            pass
        except (StorageError, sqlite3.Error):
            errors += 1
        try:
            await store.autocomplete_titles(text, GUILD_A)
        except (StorageError, sqlite3.Error):
            errors += 1
        words = text.split()
        if words and rng.random() < 0.3:
            # straight to the backend: plan terms are any text at all
            plan = SearchPlan(
                tuple(Term(w) for w in words[:4]),
                excluded=(Term(text),),
                match_any=rng.random() < 0.5,
                comments=rng.random() < 0.2,
            )
            try:
                await store.search(plan)
                await store.count(plan)
            except (StorageError, InvalidSearchQueryError, sqlite3.Error):
                errors += 1
    assert errors == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_comments_are_searched_and_grouped(store: SqliteStorage) -> None:
    """Comment matches bring their article, merged with its own match."""
    a1 = await store.find_article_by_url("https://example.org/a1", GUILD_A)
    b1 = await store.find_article_by_url("https://example.org/b1", GUILD_B)
    assert a1 is not None and b1 is not None
    for art, texts in (
        (a1, ["Welcome! Methadone helped me too.", "Keep coming back", "methadone"]),
        (b1, ["Guild B methadone comment"]),
    ):
        await store.record_comments(
            art.id,
            [ParsedComment(f"c{i}", "Ann", NOW, t, None, f"h{i}") for i, t in enumerate(texts)],
            next_poll_at=NOW,
        )
    without = await _search(store, "methadone")
    assert without.hits == ()
    assert not without.relaxed
    page = await _search(store, "methadone", comments=True)
    assert [h.article.key for h in page.hits] == ["a1"]
    hit = page.hits[0]
    assert hit.via_comments and len(hit.comments) == 2
    assert all("\x02" in c.snippet for c in hit.comments)
    # article and comment matches merge into one hit
    both = await _search(store, "welcome", comments=True)
    assert [h.article.key for h in both.hits] == ["a1"]
    meeting = await _search(store, "meeting", comments=True)
    assert meeting.hits[0].article.key == "a1" and not meeting.hits[0].via_comments
    in_b = await _search(store, "methadone", guild=GUILD_B, comments=True)
    assert [h.article.key for h in in_b.hits] == ["b1"]


async def test_related(store: SqliteStorage) -> None:
    """Related articles share distinctive words, stay in scope and exclude the article."""
    a10 = await store.find_article_by_url("https://example.org/a10", GUILD_A)
    assert a10 is not None
    similar = await related(store, a10.id, GUILD_A)
    assert similar and len(similar) <= 5
    keys = [h.article.key for h in similar]
    assert "a10" not in keys
    assert all(k.startswith("a") for k in keys)
    assert all("diary" in h.article.title.casefold() for h in similar)
    assert await related(store, 999_999, GUILD_A) == []


async def test_autocomplete_titles(store: SqliteStorage) -> None:
    """Titles with every typed word, the last as a prefix, newest first, in scope."""
    got = await store.autocomplete_titles("recovery dia", GUILD_A)
    assert 0 < len(got) <= 25
    dates = [t.published_at for t in got]
    assert dates == sorted(dates, reverse=True)
    assert all(t.title.startswith("Recovery diary") for t in got)
    assert got[0].title == "Recovery diary day 10"  # the newest
    assert [t.title for t in await store.autocomplete_titles("narc", GUILD_A)] == [
        "Narcan saves lives"
    ]
    assert await store.autocomplete_titles("secret", GUILD_A) == []
    assert len(await store.autocomplete_titles("", GUILD_A)) == 25
    assert len(await store.autocomplete_titles("r", GUILD_A, limit=3)) == 3
    for weird in ('"', "*", "NEAR(", "-", "a:b", "\x00"):
        await store.autocomplete_titles(weird, GUILD_A)


async def test_find_article_by_url(store: SqliteStorage) -> None:
    """A link is found with or without slash, scheme variant or fragment."""
    for url in (
        "https://a.example/posts/12-steps/",
        "https://a.example/posts/12-steps",
        "http://a.example/posts/12-steps/#comments",
    ):
        found = await store.find_article_by_url(url, GUILD_A)
        assert found is not None and found.key == "a5"
    assert await store.find_article_by_url("https://nowhere.example/", GUILD_A) is None


async def test_storage_count_caps(store: SqliteStorage) -> None:
    """count() counts matches in scope, at most `cap`."""
    plan = SearchPlan((Term("diary"),), filters=SearchFilters(guild_id=GUILD_A))
    assert await store.count(plan) == 40
    assert await store.count(plan, cap=7) == 7


async def test_term_frequencies(store: SqliteStorage) -> None:
    """Per term: articles having it (any guild; alternatives add up, a phrase counts
    as its rarest word); None for prefixes."""
    got = await store.term_frequencies(
        [
            Term("Drinking"),
            Term("naloxone", ("diary",)),
            Term("recovery diary"),
            Term("zzzz"),
            Term("---"),
            Term("reco", prefix=True),
        ]
    )
    assert got == [1, 2 + 41, 41, 0, 0, None]


async def test_word_statistics(store: SqliteStorage) -> None:
    """Words the index files together share a key; split or empty words have none."""
    stats = await store.word_statistics(["Drinking", "drink", "12-step", "zzzz", "---"])
    assert [s.word for s in stats] == ["Drinking", "drink", "12-step", "zzzz", "---"]
    assert stats[0].key is not None and stats[0].key == stats[1].key
    assert stats[0].articles == 1
    assert stats[2].key is None and stats[4].key is None
    assert stats[3].key is not None and stats[3].articles == 0


async def test_driver_errors_leave_as_storage_errors(
    store: SqliteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An FTS5 complaint becomes InvalidSearchQueryError, any other driver error a
    StorageError; neither message repeats the query."""
    plan = SearchPlan((Term("secretword"),))

    async def fts_error(*_: object) -> None:
        raise sqlite3.OperationalError('fts5: syntax error near "secretword"')

    monkeypatch.setattr(store, "_all", fts_error)
    with pytest.raises(InvalidSearchQueryError) as bad:
        await store.search(plan)
    assert "secretword" not in str(bad.value)

    async def disk_error(*_: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_all", disk_error)
    monkeypatch.setattr(store, "_one", disk_error)
    with pytest.raises(StorageError):
        await store.search(plan)
    with pytest.raises(StorageError):
        await store.count(plan)


async def test_comment_search_pages_through_the_union(store: SqliteStorage) -> None:
    """Paging through comment-only matches sees each article once, in order."""
    arts = [
        a
        for a in await store.latest_articles(100, guild_id=GUILD_A)
        if a.title.startswith("Recovery diary")
    ][:7]
    for i, art in enumerate(arts):
        text = "the lighthouse keeper" if i % 2 else "a lighthouse, a lighthouse again"
        await store.record_comments(
            art.id, [ParsedComment("k", "Ann", NOW, text, None, "h")], next_poll_at=NOW
        )
    for sort in ("relevance", "newest"):
        seen: list[int] = []
        page = 0
        while True:
            got = await _search(
                store, "lighthouse", comments=True, per_page=2, page=page, sort=sort
            )
            assert all(h.via_comments and h.comments for h in got.hits)
            seen += [h.article.id for h in got.hits]
            if not got.has_more:
                break
            page += 1
        assert sorted(seen) == sorted(a.id for a in arts) and len(set(seen)) == 7
        if sort == "newest":
            assert seen == [a.id for a in arts]  # latest_articles is newest first
