"""The query language members type, parsed into its parts. Pure; never raises.

- plain words are all required; very common English words ("the", "how") are
  ignored unless the query has nothing else (planning.py decides that);
- ``"quoted phrases"`` match words in a row (an unclosed quote runs to the end);
- ``-word`` and ``-"a phrase"`` exclude;
- ``word*`` matches words starting with ``word`` (at least 3 characters, else
  it is a plain word);
- anything else (``title:x``, ``(``, ``NEAR``, ``OR``) is plain text: operators
  of a backend's own query language are just words here.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_TERMS = 32  # words + phrases + exclusions + prefixes kept from one query
MIN_PREFIX = 3  # a shorter `ab*` is searched as the plain word

# Ignored as plain required words (kept inside phrases), unless nothing else is left.
_STOPWORD_TEXT = """
    a about after all also am an and any are as at be been before being but by can
    could did do does doing for from had has have having he her here hers him his how
    i if in into is it its just me more most my no nor not of off on once only or other
    our ours out over own same she should so some such than that the their theirs them
    then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
_DASHES = "-−–—"  # a leading one excludes the word
_JOINERS = "-'’._"  # kept inside a word: 12-step, don't, covid-19 (matched as words in a row)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """What a member typed, split into its parts (original spelling kept)."""

    terms: tuple[str, ...] = ()  # plain words, in order
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()  # words or phrases
    prefixes: tuple[str, ...] = ()  # without the '*'
    truncated: bool = False  # the query was cut to MAX_QUERY_CHARS / MAX_TERMS

    @property
    def empty(self) -> bool:
        return not (self.terms or self.phrases or self.prefixes)


def clean(text: str) -> str:
    """`text` without control or invisible characters, curly quotes made straight."""
    out: list[str] = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc" or cat == "Zl" or cat == "Zp":
            out.append(" ")  # tabs, newlines, NUL, \x02/\x03 markers ...
        elif cat in ("Cf", "Cs", "Co", "Cn"):
            continue  # zero-width and invisible characters, lone surrogates
        else:
            out.append(ch)
    return "".join(out).translate(_QUOTES)


def has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _pieces(word: str) -> list[str]:
    """Split a typed word on punctuation that is not part of a word (`title:x`,
    `(alcohol`, `a,b`), keeping joiners inside (12-step), trimming them at the ends."""
    pieces: list[str] = []
    current: list[str] = []
    for ch in word:
        if ch.isalnum() or ch in _JOINERS or unicodedata.category(ch).startswith("M"):
            current.append(ch)
        else:
            pieces.append("".join(current))
            current = []
    pieces.append("".join(current))
    trimmed = (p.strip(_JOINERS) for p in pieces)
    return [p for p in trimmed if has_word(p)]


def parse_query(text: str) -> ParsedQuery:
    """Split member text into terms, phrases, exclusions and prefixes. Never raises."""
    cleaned = clean(text)
    truncated = len(cleaned) > MAX_QUERY_CHARS
    s = cleaned[:MAX_QUERY_CHARS]
    terms: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    prefixes: list[str] = []
    count = 0
    i, n = 0, len(s)

    def add(bucket: list[str], value: str) -> None:
        nonlocal count, truncated
        if count >= MAX_TERMS:
            truncated = True
            return
        bucket.append(value)
        count += 1

    while i < n:
        if s[i].isspace():
            i += 1
            continue
        negate = False
        if s[i] in _DASHES and i + 1 < n and not s[i + 1].isspace():
            negate = True
            i += 1
            while i < n and s[i] in _DASHES:
                i += 1
        if i < n and s[i] == '"':
            end = s.find('"', i + 1)
            end = n if end < 0 else end
            body = " ".join(s[i + 1 : end].split())
            i = end + 1
            if has_word(body):
                add(excluded if negate else phrases, body)
            continue
        start = i
        while i < n and not s[i].isspace() and s[i] != '"':
            i += 1
        word = s[start:i]
        if negate:
            body = " ".join(_pieces(word))
            if body:
                add(excluded, body)
            continue
        star = word.endswith("*")
        parts = _pieces(word)
        for k, part in enumerate(parts):
            if star and k == len(parts) - 1 and len(part) >= MIN_PREFIX:
                add(prefixes, part)
            else:
                add(terms, part)
    return ParsedQuery(tuple(terms), tuple(phrases), tuple(excluded), tuple(prefixes), truncated)
