"""Tests for bot.posting.content_warnings: folding, word-prefix matching, term parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.posting.content_warnings import (
    DEFAULT_CONTENT_WARNINGS,
    MAX_TERM_LENGTH,
    MAX_TERMS,
    label_for,
    match_warnings,
    matches_keywords,
    parse_terms,
)

SEEDS = Path("/work/shared/seeds")


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("overdose", "She overdosed twice"),
        ("overdose", "Overdoses are rising"),
        ("suicid", "suicidal thoughts"),
        ("suicid", "SUICIDE prevention"),
        ("sexual assault", "she was sexually assaulted"),
        ("self-harm", "self harming"),
        ("self-harm", "Self-Harm"),
        ("od", "an OD last week"),
        ("sobriete", "Sobriété"),
        ("Sobriété", "SOBRIETE"),
        ("café", "CAFE culture"),
        ("strasse", "Straße"),  # casefold
        ("suicide", "sui\u200bcide"),  # zero-width space inside the word
        ("relapse", "re\u00adlapse"),  # soft hyphen
    ],
)
def test_term_matches(term: str, text: str) -> None:
    """A term matches folded text at the start of words."""
    assert match_warnings([term], text, "", ()) == (term,)


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("od", "my body"),  # never inside a word
        ("od", "an odd day"),  # short terms are whole words
        ("overdose", "over dose"),
        ("rape", "grape juice"),
        ("sexual assault", "sexual health; assault charges"),  # not consecutive
        ("death", "deaf"),
        ("!!!", "!!!"),  # no letters or digits: matches nothing
        ("", "anything"),
    ],
)
def test_term_does_not_match(term: str, text: str) -> None:
    """Terms do not match inside words, across gaps, or when empty."""
    assert match_warnings([term], text, text, [text]) == ()


def test_match_order_and_dedupe() -> None:
    """Matched terms come back in list order, once each."""
    terms = ["relapse", "overdose", "relapse", "death"]
    got = match_warnings(terms, "Overdose and relapse", "", ())
    assert got == ("relapse", "overdose")


def test_terms_do_not_span_fields() -> None:
    """A multi-word term must sit inside one field."""
    assert match_warnings(["sexual assault"], "sexual", "assault", ()) == ()
    assert match_warnings(["sexual assault"], None, None, ["Sexual Assault"]) == ("sexual assault",)


def test_none_fields() -> None:
    """None title, summary and categories are simply empty."""
    assert match_warnings(DEFAULT_CONTENT_WARNINGS, None, None, None) == ()
    assert matches_keywords([], [], None, None, None) is True
    assert matches_keywords(["x"], [], None, None, None) is False


def test_defaults_find_what_matters_and_spare_everyday_recovery_words() -> None:
    """The default list flags suicide/overdose but not 'substance abuse' or 'deadline'."""
    text = "After his overdose she had suicidal thoughts; her father died."
    got = match_warnings(DEFAULT_CONTENT_WARNINGS, "", text, ())
    assert got == ("suicid", "overdos", "died")
    assert [label_for(t) for t in got] == ["suicide", "overdose", "death"]
    calm = "Substance abuse treatment; the deadline for the 12-step meeting; drug use."
    assert match_warnings(DEFAULT_CONTENT_WARNINGS, calm, calm, [calm]) == ()


def test_defaults_are_parseable_and_within_limits() -> None:
    """The default list survives parse_terms unchanged."""
    assert parse_terms(",".join(DEFAULT_CONTENT_WARNINGS)) == DEFAULT_CONTENT_WARNINGS
    assert label_for("my own term") == "my own term"


def test_seed_articles() -> None:
    """Real recovery articles: the baclofen piece mentions a death; nothing crashes."""
    seeds = sorted(SEEDS.glob("*.txt"))
    if not seeds:
        pytest.skip("no seed articles")
    for seed in seeds:
        text = seed.read_text(encoding="utf-8")
        match_warnings(DEFAULT_CONTENT_WARNINGS, text[:200], text, ())
    baclofen = (SEEDS / "000_23c8394ac7eb137c.txt").read_text(encoding="utf-8")
    assert "died" in match_warnings(DEFAULT_CONTENT_WARNINGS, "", baclofen, ())


def test_parse_terms() -> None:
    """Comma/newline separated, trimmed, collapsed, deduped (folded), capped."""
    assert parse_terms("Relapse, overdose\n relapse ,\r\n\nSobriété,sobriete , ,") == (
        "Relapse",
        "overdose",
        "Sobriété",
    )
    assert parse_terms("  self   harm  ") == ("self harm",)
    assert parse_terms("") == ()
    assert parse_terms(None) == ()
    assert parse_terms("!!!, --") == ()
    long = parse_terms("y" * 200)
    assert long == ("y" * MAX_TERM_LENGTH,)
    many = parse_terms(",".join(f"term{i}" for i in range(500)))
    assert len(many) == MAX_TERMS
    assert many[0] == "term0"
    assert many[-1] == f"term{MAX_TERMS - 1}"


def test_keyword_filters_fold_case_and_diacritics() -> None:
    """Include/exclude filters use the same folding: 'Sobriété' matches 'sobriete'."""
    assert matches_keywords(["sobriete"], [], "Ma Sobriété", "", ())
    assert matches_keywords(["SOBRIÉTÉ"], [], "", "sobriete day by day", ())
    assert not matches_keywords([], ["sobriete"], "", "", ["Sobriété"])


def test_keyword_filter_semantics() -> None:
    """Empty include passes; any include term suffices; any exclude term blocks."""
    assert matches_keywords([], [], "anything", "", ())
    assert matches_keywords(["alcohol", "gambling"], [], "Gambling addiction", "", ())
    assert not matches_keywords(["alcohol"], [], "Gambling addiction", "", ())
    assert not matches_keywords(
        ["gambling"], ["sponsored"], "Gambling addiction", "", ["Sponsored"]
    )
    assert matches_keywords([], ["od"], "Somebody odd", "", ())
