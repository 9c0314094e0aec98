"""Search core: member text -> safe FTS5 expression -> a page of ranked hits.

Discord-free and SQL-free: the cog and the CLI call `search()`; the storage runs
the expression. Everything here except `search()` is pure.

Query language (any text works; nothing a member types reaches FTS5 unquoted):

- plain words are all required; very common English words ("the", "how") are
  ignored unless the query has nothing else;
- ``"quoted phrases"`` match words in a row (an unclosed quote runs to the end);
- ``-word`` and ``-"a phrase"`` exclude;
- ``word*`` matches words starting with ``word`` (at least 3 characters, else
  it is a plain word);
- stemming ("drinking" finds "drink"), case and accents are folded by the
  index's tokenizer (porter unicode61 remove_diacritics 2);
- the recovery vocabulary (bot/search/vocabulary.txt) expands a plain term to its
  equivalents both ways: "AA" searches ("AA" OR "Alcoholics Anonymous").

Dates (UTC) for ``after``/``before``: ``2024-05-01``, ``2024-05``, ``2024``,
``30d``, ``2w``, ``6m``, ``1y``, ``today``, ``yesterday``. Both bounds use the
START of the period named: ``after:2024-05`` means on or after 2024-05-01,
``before:2024`` means before 2024-01-01, ``after:30d`` means the last 30 days.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from bot.errors import InvalidSearchQueryError
from bot.storage.protocol import SearchHit, SearchQuery, SearchStore

MAX_QUERY_CHARS = 500
MAX_TERMS = 32  # words + phrases + exclusions + prefixes kept from one query
MAX_REQUIRED = 8  # a longer query keeps its most distinctive required parts
MIN_PREFIX = 3  # a shorter `ab*` is searched as the plain word
MAX_PER_PAGE = 25
MAX_OFFSET = 500  # deeper pages are refused: narrow the search instead
COUNT_CAP = 500  # totals beyond this are shown as "500+"
# Ranking cost grows with the number of matching articles (bm25 for each): a
# word in most of a 100k archive takes 150-600 ms. A query matching more than
# RANK_BUDGET articles is ranked over the newest articles only, a window sized
# so that about RANK_BUDGET matches fall in it (never under MIN_WINDOW
# articles), when the window still holds WINDOW_MIN_HITS of the guild's matches.
RANK_BUDGET = 5_000
MIN_WINDOW = 5_000
MATCH_COUNT_CAP = 100_000
WINDOW_MIN_HITS = MAX_OFFSET + MAX_PER_PAGE

EMPTY_QUERY = "Type at least one word to search for"

Sort = Literal["relevance", "newest"]

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

_VOCABULARY_FILE = Path(__file__).parent / "vocabulary.txt"
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
_DASHES = "-−–—"  # a leading one excludes the word
_JOINERS = "-'’._"  # kept inside a word: 12-step, don't, covid-19 (FTS5 reads a phrase)


# -- parsing ---------------------------------------------------------------------------


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


def _clean(text: str) -> str:
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


def _has_word(text: str) -> bool:
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
    return [p for p in trimmed if _has_word(p)]


def parse_query(text: str) -> ParsedQuery:
    """Split member text into terms, phrases, exclusions and prefixes. Never raises."""
    cleaned = _clean(text)
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
            if _has_word(body):
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


# -- vocabulary --------------------------------------------------------------------------


def normalize(text: str) -> tuple[str, ...]:
    """Words of `text` folded for vocabulary matching: case, accents, punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return tuple(w for w in re.split(r"[\W_]+", bare) if w)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Equivalence groups of recovery terms; see bot/search/vocabulary.txt."""

    groups: tuple[tuple[str, ...], ...] = ()
    _index: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False, compare=False)
    _longest: int = 0

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Vocabulary:
        groups: list[tuple[str, ...]] = []
        index: dict[tuple[str, ...], int] = {}
        for raw in lines:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            entries: list[str] = []
            keys: list[tuple[str, ...]] = []
            for entry in line.split("|"):
                entry = " ".join(entry.split())
                key = normalize(entry)
                if key and key not in keys:
                    entries.append(entry)
                    keys.append(key)
            if len(entries) < 2:
                continue
            for key in keys:
                index.setdefault(key, len(groups))
            groups.append(tuple(entries))
        longest = max((len(k) for k in index), default=0)
        return cls(tuple(groups), index, longest)

    @classmethod
    def load(cls, path: Path | str | None = None) -> Vocabulary:
        """Read a vocabulary file (default: bot/search/vocabulary.txt)."""
        file = Path(path) if path is not None else _VOCABULARY_FILE
        return cls.from_lines(file.read_text(encoding="utf-8").splitlines())

    @property
    def longest(self) -> int:
        return self._longest

    def equivalents(self, text: str) -> tuple[str, ...]:
        """The other entries of the group `text` belongs to (empty if none)."""
        key = normalize(text)
        group = self._index.get(key)
        if group is None:
            return ()
        return tuple(e for e in self.groups[group] if normalize(e) != key)

    def lookup(self, key: tuple[str, ...]) -> int | None:
        return self._index.get(key)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    return Vocabulary.load()


# -- building the FTS5 expression ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unit:
    """One required or excluded part of the expression: any of `alternatives`."""

    text: str  # as the member typed it
    alternatives: tuple[str, ...]  # text first, then vocabulary equivalents
    prefix: bool = False
    phrase: bool = False

    def render(self) -> str:
        if self.prefix:
            return f"{quote(self.text)}*"
        if len(self.alternatives) == 1:
            return quote(self.alternatives[0])
        return "(" + " OR ".join(quote(a) for a in self.alternatives) + ")"

    def describe(self) -> str:
        shown = f'"{self.text}"' if self.phrase else self.text + ("*" if self.prefix else "")
        if len(self.alternatives) > 1:
            shown += " (or " + ", ".join(self.alternatives[1:]) + ")"
        return shown


def quote(token: str) -> str:
    """One FTS5 string: everything inside double quotes, inner quotes doubled."""
    return '"' + token.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class Plan:
    required: tuple[Unit, ...]
    excluded: tuple[Unit, ...]
    ignored: tuple[str, ...] = ()  # stopwords / words dropped from a long query

    def match(self, *, any_word: bool = False) -> str:
        """The FTS5 expression: all required units (any one with `any_word`),
        minus every excluded one."""
        if not self.required:
            raise InvalidSearchQueryError(EMPTY_QUERY)
        parts = [u.render() for u in self.required]
        joiner = " OR " if any_word else " AND "
        expr = parts[0] if len(parts) == 1 else "(" + joiner.join(parts) + ")"
        for unit in self.excluded:
            expr += f" NOT {unit.render()}"
        return expr

    def describe(self) -> str:
        text = " + ".join(u.describe() for u in self.required)
        if self.excluded:
            text += ", not " + ", not ".join(u.describe() for u in self.excluded)
        return text


def _term_units(terms: Sequence[str], vocabulary: Vocabulary) -> list[Unit]:
    """Plain terms -> units, the longest vocabulary entry winning at each point."""
    words: list[str] = []
    starts: list[int] = []  # index into `terms` for each word
    for t, term in enumerate(terms):
        for w in normalize(term):
            words.append(w)
            starts.append(t)
    units: list[Unit] = []
    t = 0
    while t < len(terms):
        first = starts.index(t) if t in starts else -1
        matched = False
        if first >= 0 and vocabulary.longest:
            for length in range(min(vocabulary.longest, len(words) - first), 0, -1):
                last = first + length - 1
                end_term = starts[last]
                ends_on_boundary = last + 1 == len(words) or starts[last + 1] != end_term
                if not ends_on_boundary:
                    continue
                group = vocabulary.lookup(tuple(words[first : first + length]))
                if group is None:
                    continue
                text = " ".join(terms[t : end_term + 1])
                key = normalize(text)
                others = tuple(e for e in vocabulary.groups[group] if normalize(e) != key)
                units.append(Unit(text, (text, *others)))
                t = end_term + 1
                matched = True
                break
        if not matched:
            units.append(Unit(terms[t], (terms[t],)))
            t += 1
    return units


def plan_query(parsed: ParsedQuery, vocabulary: Vocabulary | None = None) -> Plan:
    """The units of a parsed query. Raises InvalidSearchQueryError when nothing is left."""
    vocab = default_vocabulary() if vocabulary is None else vocabulary
    term_units = _term_units(parsed.terms, vocab)
    ignored: list[str] = []
    kept: list[Unit] = []
    for unit in term_units:
        key = normalize(unit.text)
        if len(unit.alternatives) == 1 and len(key) == 1 and key[0] in STOPWORDS:
            ignored.append(unit.text)
        else:
            kept.append(unit)
    others = [Unit(p, (p,), phrase=True) for p in parsed.phrases]
    others += [Unit(p, (p,), prefix=True) for p in parsed.prefixes]
    if not kept and not others:
        kept, ignored = term_units, []  # "the who": only common words, search them anyway
    required = tuple(kept + others)
    excluded: list[Unit] = []
    for text in parsed.excluded:
        if not _has_word(text):
            continue
        equivalents = vocab.equivalents(text)
        excluded.append(Unit(text, (text, *equivalents), phrase=" " in text))
    if not required:
        raise InvalidSearchQueryError(EMPTY_QUERY)
    return Plan(required, tuple(excluded), tuple(ignored))


def build_match(parsed: ParsedQuery, vocabulary: Vocabulary | None = None) -> str:
    """A safe FTS5 MATCH expression for `parsed` (every token quoted)."""
    return plan_query(parsed, vocabulary).match()


# -- dates -----------------------------------------------------------------------------------

_ABS = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
_REL = re.compile(r"(\d{1,4})\s*(d|days?|w|wks?|weeks?|m|mos?|months?|y|yrs?|years?)(?:\s+ago)?")
_DATE_HELP = (
    "Use a date like 2024-05-01, a month like 2024-05, a year like 2024,"
    " or a time back from now like 30d, 2w, 6m, 1y, today or yesterday."
)


def _months_back(now: datetime, months: int) -> datetime:
    total = now.year * 12 + (now.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    if year < 1:
        raise ValueError("too far back")
    day = min(now.day, calendar.monthrange(year, month)[1])
    return now.replace(year=year, month=month, day=day)


def parse_date(text: str, now: datetime, *, end: bool = False) -> datetime:
    """A search bound (aware UTC). With end=False, the START of the period named;
    with end=True, its exclusive end (the start of the next period). Relative
    forms (30d, 6m ...) name an instant: `end` changes nothing for them."""
    raw = " ".join(_clean(text).split()).casefold()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        if raw in ("today", "yesterday"):
            start = today if raw == "today" else today - timedelta(days=1)
            return start + timedelta(days=1) if end else start
        if m := _REL.fullmatch(raw):
            amount, unit = int(m[1]), m[2][0]
            if unit == "d":
                return now - timedelta(days=amount)
            if unit == "w":
                return now - timedelta(weeks=amount)
            return _months_back(now, amount * (12 if unit == "y" else 1))
        if m := _ABS.fullmatch(raw):
            year = int(m[1])
            month = int(m[2]) if m[2] else None
            day = int(m[3]) if m[3] else None
            if year < 1970:
                raise ValueError("before 1970")
            if month is None:
                start = datetime(year, 1, 1, tzinfo=UTC)
                return start.replace(year=year + 1) if end else start
            if day is None:
                start = datetime(year, month, 1, tzinfo=UTC)
                if not end:
                    return start
                return _months_back(start, -1)
            start = datetime(year, month, day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
    except (ValueError, OverflowError):
        pass
    shown = text.strip()[:40] or "(empty)"
    raise InvalidSearchQueryError(f"I can't read the date “{shown}”. {_DATE_HELP}")


# -- snippets ----------------------------------------------------------------------------------

_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()<])")
_LINE_START = re.compile(r"^([#+-]|\d+\.)")  # headers, subtext (-#), lists
_MENTION = re.compile(r"@(?=\S)")
_BLANKS = re.compile(r"\s+")


def _escape(text: str) -> str:
    text = _BLANKS.sub(" ", text)
    text = _MARKDOWN.sub(r"\\\1", text)
    return _MENTION.sub("@\u200b", text)


def render_snippet(snippet: str) -> str:
    """Storage snippet (matches wrapped in \\x02 … \\x03) -> Discord markdown:
    matches in **bold**, everything else escaped so feed text cannot format,
    link or mention (`@everyone`, `<@123>` are neutralized)."""
    out: list[str] = []
    bold = False
    for part in re.split(r"([\x02\x03])", snippet):
        if part == "\x02":
            bold = True
        elif part == "\x03":
            bold = False
        elif part:
            text = _escape("".join(ch if ch.isprintable() else " " for ch in part))
            if bold and text.strip():
                lead = text[: len(text) - len(text.lstrip())]
                trail = text[len(text.rstrip()) :]
                out.append(f"{lead}**{text.strip()}**{trail}")
            else:
                out.append(text)
    rendered = "".join(out).strip().replace("** **", " ")  # adjacent matches: one bold run
    # Newlines are gone, so only the very start could begin a header or a list.
    return _LINE_START.sub(r"\\\1", rendered)


# -- more like this -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermStat:
    word: str  # a surface form to put in MATCH (the index stems it again)
    stem: str
    tf: float  # weighted occurrences in the source text
    df: int  # articles in the index containing the stem


def related_terms(
    stats: Iterable[TermStat], total_docs: int, limit: int = 12, *, df_budget: int | None = None
) -> list[str]:
    """The most distinctive words of a text, by tf-idf against the index.

    Skipped: words only in the source article (df <= 1), stopwords, numbers and
    1-2 letter words. Words in over 20 % of articles are used only when fewer
    than 3 others are left (a small archive). With `df_budget`, words are taken
    best first while their document frequencies add up to at most the budget
    (the cost of the OR query that follows), but always at least 3."""
    n = max(total_docs, 1)
    scored: list[tuple[float, bool, str, int]] = []
    seen: set[str] = set()
    for s in stats:
        if s.stem in seen or s.df <= 1:
            continue
        if len(s.word) < 3 or s.word.isdigit() or s.word.casefold() in STOPWORDS:
            continue
        seen.add(s.stem)
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


# -- the high-level call -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    page: int
    per_page: int
    has_more: bool
    total: int  # matching articles, at most COUNT_CAP
    total_capped: bool  # there are more than `total`
    query: ParsedQuery
    match: str  # the FTS5 expression that ran
    description: str  # the query as understood, for the member: 'AA (or Alcoholics ...)'
    notes: tuple[str, ...] = ()  # what was ignored or restricted, in plain words
    relaxed: bool = False  # nothing had every word: these hits have some of them


def _unit_df(unit: Unit, stats: dict[str, tuple[tuple[str, int], ...]], total: int) -> int:
    if unit.prefix:
        return total if len(unit.text) < 5 else 0
    estimate = 0
    for alt in unit.alternatives:
        tokens = stats.get(alt, ())
        estimate += min((df for _, df in tokens), default=0)
    return min(estimate, total)


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
    if sort not in ("relevance", "newest"):
        raise InvalidSearchQueryError("Sort by relevance or newest.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidSearchQueryError(f"Show between 1 and {MAX_PER_PAGE} results per page.")
    if page < 0 or page * per_page > MAX_OFFSET:
        raise InvalidSearchQueryError(
            f"Only the first {MAX_OFFSET} results can be paged through: narrow the search."
        )
    if isinstance(after, str):
        after = parse_date(after, now) if after.strip() else None
    if isinstance(before, str):
        before = parse_date(before, now) if before.strip() else None
    start, stop = after, before
    if start is not None and stop is not None and start >= stop:
        raise InvalidSearchQueryError("The `after` date must be earlier than the `before` date.")
    if author is not None:
        author = " ".join(_clean(author).split())[:100] or None

    parsed = parse_query(text)
    plan = plan_query(parsed, vocabulary)
    notes: list[str] = []
    if parsed.truncated:
        notes.append(f"Only the first {MAX_TERMS} words ({MAX_QUERY_CHARS} characters) were used.")

    if len(plan.required) > MAX_REQUIRED:
        # A pasted paragraph: keep the parts found in the fewest articles.
        texts = sorted({alt for u in plan.required for alt in u.alternatives if not u.prefix})
        stats = dict(zip(texts, await store.term_stats(texts), strict=True))
        n = await store.indexed_count()
        dfs = [_unit_df(u, stats, n) for u in plan.required]
        order = sorted(range(len(plan.required)), key=lambda i: (dfs[i], i))[:MAX_REQUIRED]
        keep = sorted(order)
        dropped = [plan.required[i].text for i in range(len(plan.required)) if i not in keep]
        plan = replace(plan, required=tuple(plan.required[i] for i in keep))
        notes.append(
            f"Long query: searched its {MAX_REQUIRED} most distinctive words"
            f" (left out: {', '.join(dropped[:10])}{' …' if len(dropped) > 10 else ''})."
        )
    if plan.ignored:
        notes.append("Ignored common words: " + ", ".join(plan.ignored[:10]) + ".")
    base = SearchQuery(
        match="",
        guild_id=guild_id,
        feed_id=feed_id,
        author=author,
        after=start,
        before=stop,
        sort="newest" if sort == "newest" else "relevance",
        limit=per_page + 1,
        offset=page * per_page,
        comments=comments,
    )
    query, matches = await _windowed(store, replace(base, match=plan.match()))
    hits = await store.search(query) if matches or comments else []
    relaxed = False
    if not hits and len(plan.required) > 1:
        known_empty = page == 0 or not (matches or comments)
        strict_total = 0 if known_empty else await store.count(query, cap=1)
        if strict_total == 0:
            # No article has every word: rank those with any of them instead (bm25
            # puts the ones with more, and rarer, words first), and say so.
            relaxed = True
            query, _ = await _windowed(store, replace(base, match=plan.match(any_word=True)))
            hits = await store.search(query)
            notes.append("No article has all of these words: showing those with some of them.")
    if query.window is not None:
        notes.append(
            f"Very common words: searched the newest {query.window:,} articles."
            " Add a more specific word to search everything."
        )
    match = query.match
    has_more = len(hits) > per_page
    hits = hits[:per_page]
    if not has_more:
        total = page * per_page + len(hits)
    else:
        total = await store.count(query, cap=COUNT_CAP + 1)
    capped = total > COUNT_CAP
    return SearchPage(
        hits=tuple(hits),
        page=page,
        per_page=per_page,
        has_more=has_more,
        total=min(total, COUNT_CAP),
        total_capped=capped,
        query=parsed,
        match=match,
        description=plan.describe(),
        notes=tuple(notes),
        relaxed=relaxed,
    )


async def _windowed(store: SearchStore, query: SearchQuery) -> tuple[SearchQuery, int]:
    """`query`, restricted to the newest articles when its expression matches more
    than RANK_BUDGET articles in the whole index; also returns that match count
    (capped). A small guild whose matches the window would mostly miss is ranked
    in full: its few matches cost little."""
    matches = await store.match_count(query.match, MATCH_COUNT_CAP)
    if matches <= RANK_BUDGET:
        return query, matches
    total = await store.indexed_count()
    window = max(MIN_WINDOW, int(round(total * RANK_BUDGET / matches, -3)))
    if window >= total:
        return query, matches
    windowed = replace(query, window=window)
    if await store.count(windowed, cap=WINDOW_MIN_HITS) >= WINDOW_MIN_HITS:
        return windowed, matches
    return query, matches
