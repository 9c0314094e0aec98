"""Content warnings and keyword filters: which terms an article matches.

Matching semantics (one rule for warnings and for include/exclude filters):

* Text and terms are folded the same way: format characters (zero-width
  spaces, soft hyphens, ...) removed, then casefold + NFKD with combining marks
  stripped (``bot.text.fold``), so "Sobriété", "SOBRIETE" and "so\u200bbriete"
  are all "sobriete".
* Both are split into words: runs of letters and digits; everything else
  (spaces, punctuation, hyphens, apostrophes, underscores) separates words. So
  "self-harm" is the two words ``self harm``.
* A term matches when its words appear consecutively in one field (the title,
  the summary, or a single category; a term never spans two fields), each
  term word being the *start* of the text word: "overdose" matches
  "overdosed" and "Overdoses", "suicid" matches "suicide" and "suicidal",
  "sexual assault" matches "sexually assaulted". A term word never matches
  the middle of a text word: "od" does not match "body".
* Term words of three characters or fewer must match a whole word ("od"
  matches "OD" but not "odd"): short prefixes hit far too many words.
* A term with no letters or digits ("!!!") matches nothing.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from functools import lru_cache

from bot.text import fold

MAX_TERM_LENGTH = 50
MAX_TERMS = 100
# Term words this short must match a whole word, not a prefix.
_WHOLE_WORD_MAX = 3

# Word stems, prefix-matched. Chosen for recovery communities, where drug and
# alcohol use is the everyday subject and must not trigger warnings by itself.
# Bare "abuse" is deliberately absent: "substance abuse" is in nearly every
# article; the specific forms of abuse are listed instead. "dead" is absent
# because it prefixes "deadline".
DEFAULT_CONTENT_WARNINGS: tuple[str, ...] = (
    "suicid",  # suicide, suicidal, suicides
    "kill myself",  # killing myself, killed myself
    "kill himself",
    "kill herself",
    "kill themselves",
    "self-harm",  # self-harm, self harming
    "selfharm",
    "self-injur",  # self-injury, self-injurious
    "overdos",  # overdose, overdosed, overdosing
    "relaps",  # relapse, relapsed, relapsing
    "sexual assault",  # sexual assaults, sexually assaulted
    "sexual abuse",
    "rape",  # raped, rapes
    "rapist",
    "molest",  # molested, molestation
    "incest",
    "child abuse",
    "domestic violence",
    "domestic abuse",
    "abusive",
    "eating disorder",
    "anorexi",  # anorexia, anorexic
    "bulimi",  # bulimia, bulimic
    "death",  # deaths
    "died",
    "dying",
    "murder",  # murdered, murderer
)

# How a default stem is shown to readers ("Content warning: suicide", never
# "suicid"). Terms not listed here (a guild's own) are shown as written.
_LABELS: dict[str, str] = {
    "suicid": "suicide",
    "kill myself": "suicide",
    "kill himself": "suicide",
    "kill herself": "suicide",
    "kill themselves": "suicide",
    "selfharm": "self-harm",
    "self-injur": "self-harm",
    "overdos": "overdose",
    "relaps": "relapse",
    "rapist": "rape",
    "molest": "sexual abuse",
    "incest": "sexual abuse",
    "abusive": "abuse",
    "anorexi": "eating disorders",
    "bulimi": "eating disorders",
    "eating disorder": "eating disorders",
    "died": "death",
    "dying": "death",
}

_SEPARATORS = re.compile(r"[,\n\r]+")
_WORD = re.compile(r"[^\W_]+")


def _strip_format_chars(text: str) -> str:
    # Cf: zero-width space/joiners, soft hyphen, bidi controls. They hide
    # inside words ("sui\u200bcide") and carry no meaning for matching.
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _words(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(_WORD.findall(fold(_strip_format_chars(text))))


@lru_cache(maxsize=4096)
def _term_words(term: str) -> tuple[str, ...]:
    return _words(term)


def label_for(term: str) -> str:
    """How a matched term is shown to readers: default stems get a readable
    word ("overdos" -> "overdose"); any other term is returned as written."""
    return _LABELS.get(term, term)


def parse_terms(text: str | None) -> tuple[str, ...]:
    """Comma- or newline-separated terms -> a clean tuple.

    Each term is trimmed, inner whitespace collapsed and cut to 50 characters;
    terms that are empty or have no letters or digits are dropped; duplicates
    (compared folded, so "Relapse" and "relapse" are one) keep the first
    spelling; at most 100 terms are kept.
    """
    if not text:
        return ()
    terms: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for raw in _SEPARATORS.split(text):
        term = " ".join(raw.split())[:MAX_TERM_LENGTH].strip()
        words = _term_words(term)
        if not words or words in seen:
            continue
        seen.add(words)
        terms.append(term)
        if len(terms) >= MAX_TERMS:
            break
    return tuple(terms)


class _Field:
    """One field's words, with a sorted copy for prefix look-ups."""

    __slots__ = ("sorted_words", "word_set", "words")

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words = words
        self.word_set = frozenset(words)
        self.sorted_words = sorted(self.word_set)

    def _has_word(self, term_word: str) -> bool:
        if len(term_word) <= _WHOLE_WORD_MAX:
            return term_word in self.word_set
        i = bisect_left(self.sorted_words, term_word)
        return i < len(self.sorted_words) and self.sorted_words[i].startswith(term_word)

    def contains(self, term_words: tuple[str, ...]) -> bool:
        if not all(self._has_word(w) for w in term_words):
            return False  # the fast path: most terms miss entirely
        if len(term_words) == 1:
            return True
        n = len(term_words)
        words = self.words
        return any(
            all(_word_matches(tw, words[i + k]) for k, tw in enumerate(term_words))
            for i in range(len(words) - n + 1)
        )


def _word_matches(term_word: str, word: str) -> bool:
    if len(term_word) <= _WHOLE_WORD_MAX:
        return word == term_word
    return word.startswith(term_word)


def _fields(
    title: str | None, summary: str | None, categories: Iterable[str] | None
) -> list[_Field]:
    texts: list[str | None] = [title, summary]
    texts.extend(c for c in (categories or ()) if isinstance(c, str))
    return [_Field(w) for w in map(_words, texts) if w]


def _any_match(term: str, fields: Sequence[_Field]) -> bool:
    words = _term_words(term) if isinstance(term, str) else ()
    return bool(words) and any(f.contains(words) for f in fields)


def match_warnings(
    terms: Iterable[str],
    title: str | None,
    summary: str | None,
    categories: Iterable[str] | None,
) -> tuple[str, ...]:
    """The terms that match the article, in the order of `terms`, each once."""
    fields = _fields(title, summary, categories)
    if not fields:
        return ()
    matched: list[str] = []
    for term in terms:
        if term not in matched and _any_match(term, fields):
            matched.append(term)
    return tuple(matched)


def matches_keywords(
    include: Iterable[str],
    exclude: Iterable[str],
    title: str | None,
    summary: str | None,
    categories: Iterable[str] | None,
) -> bool:
    """A subscription's include/exclude filter: True when the article passes.

    With no include terms every article is included; otherwise at least one
    include term must match. No exclude term may match. Same folding and
    word-prefix rules as the content warnings.
    """
    fields = _fields(title, summary, categories)
    include = tuple(include)
    if include and not any(_any_match(t, fields) for t in include):
        return False
    return not any(_any_match(t, fields) for t in exclude)
