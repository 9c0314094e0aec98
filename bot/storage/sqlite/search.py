"""Full-text search, title autocomplete and term statistics over the FTS5 indexes.

A `SearchPlan` (bot/storage/search_plan.py) is rendered here into an FTS5 MATCH
expression (`fts5_match`: every token quoted, so no text can reach FTS5 as
syntax) and SQL filters. Every query runs on the read connection (`_one`/`_all`),
so searches never queue behind a poll's writes. SQLite and FTS5 errors leave as
StorageError or InvalidSearchQueryError, never as sqlite3 errors.

Scores: FTS5's bm25() is lower-is-better; hits carry its negation, so a higher
`SearchHit.score` is better as the protocol states.

Speed (bench/bench_search.py, 100k articles): the ranking query joins each FTS
match to `articles` through the covering index `articles_search` (migration 2)
with `+a.feed_id` so the planner cannot probe it once per subscribed feed; the
page is picked first and only its rows get a snippet (CROSS JOIN fixes that
order). `plan.newest_matches` becomes a lower bound on the article id: ids
grow as articles arrive, so the newest matches are those with the highest ids.

Term statistics: the index is stemmed (porter), so document frequencies come
from an `fts5vocab` table of type `row` (a lookup costs about as much as the
term's doclist is long, hence a cache), and words are stemmed by the same
tokenizer through a small TEMP FTS5 table on the read connection (the
`instance` vocab of the real index would be a full scan).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.errors import InvalidSearchQueryError
from bot.models import Article, Feed
from bot.storage import records
from bot.storage.errors import StorageError
from bot.storage.protocol import CommentHit, LinkMention, SearchHit, SearchResults, TitleMatch
from bot.storage.search_plan import SearchPlan, Term, WordStatistics
from bot.storage.sqlite import rows

log = logging.getLogger(__name__)

# bm25 column weights: title above summary above full text.
_BM25 = "bm25(articles_fts, 10.0, 4.0, 1.0)"
_SNIPPET = "snippet(articles_fts, -1, char(2), char(3), '…', 24)"
# Must equal the tokenizer of articles_fts (migrations.py), or stems won't match.
_TOKENIZER = "porter unicode61 remove_diacritics 2"
_TEMP_TABLES = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.lantern_tok USING fts5(t, tokenize = '{_TOKENIZER}')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.lantern_tok_terms"
    " USING fts5vocab(temp, lantern_tok, instance)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.lantern_article_terms"
    " USING fts5vocab(main, articles_fts, row)",
)
_WORD = re.compile(r"\w+")
_COMMENTS_PER_HIT = 3
_AUTOCOMPLETE_POOL = 200  # newest-by-id candidates sorted by date for autocomplete

# The covering index of migration step 2: scope and date checks per FTS match.
_COVERING = "INDEXED BY articles_search"
_DF_CACHE_SIZE = 50_000
_DF_CACHE_SECONDS = 600.0

_tok_ids = itertools.count(1)


# -- rendering a plan ------------------------------------------------------------------


def fts5_quote(token: str) -> str:
    """One FTS5 string: everything inside double quotes, inner quotes doubled. A
    NUL would end the expression early in FTS5's C parser: it becomes a space."""
    return '"' + token.replace("\x00", " ").replace('"', '""') + '"'


def _render_term(term: Term) -> str:
    if term.prefix:
        return f"{fts5_quote(term.text)}*"
    alternatives = term.alternatives
    if len(alternatives) == 1:
        return fts5_quote(alternatives[0])
    return "(" + " OR ".join(fts5_quote(a) for a in alternatives) + ")"


def fts5_match(plan: SearchPlan) -> str:
    """The FTS5 expression for `plan`'s terms: all required terms (any one with
    `match_any`), minus every excluded one. A quoted string is a phrase to FTS5,
    which is what every alternative means in a plan."""
    parts = [_render_term(t) for t in plan.required]
    joiner = " OR " if plan.match_any else " AND "
    expr = parts[0] if len(parts) == 1 else "(" + joiner.join(parts) + ")"
    for term in plan.excluded:
        expr += f" NOT {_render_term(term)}"
    return expr


def _translate(exc: sqlite3.Error) -> Exception:
    """A driver error as the storage family. An FTS5 complaint means the plan
    could not be rendered (a bug: every token is quoted); the member is told the
    search could not be read. The message can quote the query: only its kind is
    logged (privacy)."""
    log.error("search failed: %s", type(exc).__name__)
    message = str(exc).casefold()
    if "fts5" in message or "unterminated string" in message:
        return InvalidSearchQueryError(
            "That search could not be read. Try plain words, without symbols."
        )
    return StorageError("The archive could not be searched just now. Try again in a moment.")


class SearchQueries(rows.Connections):
    _temp_ready: bool = False
    _df_cache: dict[str, tuple[int, float]] | None = None

    # -- guild scope -----------------------------------------------------------------

    async def add_guild_feed(self, guild_id: int, feed_id: int) -> None:
        """Record that `guild_id` subscribes to `feed_id`: its articles become searchable
        there for good (guild_feeds is never pruned by unsubscribing)."""
        async with self._tx() as db:
            await db.execute(
                "INSERT OR IGNORE INTO guild_feeds (guild_id, feed_id) VALUES (?, ?)",
                (guild_id, feed_id),
            )

    # -- search ----------------------------------------------------------------------

    async def search(self, plan: SearchPlan) -> SearchResults:
        """Ranked full-text search (order and scores: see SearchStore.search). With
        `plan.comments`, articles whose source comments match are included and each
        hit carries its best-matching comments."""
        match = fts5_match(plan)
        floor = await self._newest_floor(plan, match)
        if plan.comments:
            hits = await self._search_with_comments(plan, match, floor)
        else:
            hits = await self._search_articles(plan, match, floor)
        return SearchResults(tuple(hits), newest_only=floor is not None)

    async def _search_articles(
        self, plan: SearchPlan, match: str, floor: int | None
    ) -> list[SearchHit]:
        where, params = _filters(plan, floor, "articles_fts.rowid")
        if plan.sort == "newest":
            order, score = "a.published_at DESC, a.id DESC", "0.0"
        else:
            order, score = "score", _BM25
        # The page is picked first (bm25 only), then snippets are made for its rows
        # alone: snippet() in the ranking query would run for every match.
        sql = (
            "WITH page AS MATERIALIZED ("
            f" SELECT articles_fts.rowid AS id, {score} AS score,"
            "  a.published_at AS published_at"
            f" FROM articles_fts JOIN articles a {_COVERING} ON a.id = articles_fts.rowid"
            f" WHERE articles_fts MATCH ? AND {where}"
            f" ORDER BY {order} LIMIT ? OFFSET ?)"
            f" SELECT a.*, page.score AS score, {_SNIPPET} AS snip"
            # CROSS JOIN keeps this order: otherwise SQLite may walk every match
            # and fetch its article row to find the page's few (60 ms at 66k)
            " FROM page CROSS JOIN articles_fts ON articles_fts.rowid = page.id"
            " CROSS JOIN articles a ON a.id = page.id"
            " WHERE articles_fts MATCH ?"
            f" ORDER BY {'' if plan.sort == 'newest' else 'page.score, '}"
            "page.published_at DESC, page.id DESC"
        )
        found = await self._run(sql, (match, *params, plan.limit, plan.offset, match))
        return [
            SearchHit(records.to_article(r), r["snip"] or "", _score(r["score"])) for r in found
        ]

    async def _search_with_comments(
        self, plan: SearchPlan, match: str, floor: int | None
    ) -> list[SearchHit]:
        awhere, aparams = _filters(plan, floor, "articles_fts.rowid")
        cwhere, cparams = _filters(plan, floor, "c.article_id")
        newest = plan.sort == "newest"
        score_a = "0.0" if newest else _BM25
        score_c = "0.0" if newest else "bm25(comments_fts)"
        by_date = "published_at DESC, id DESC"
        order = by_date if newest else f"score, {by_date}"
        # Each side keeps only its best offset+limit articles: the page of the union
        # (an article's score is its better side's) is always among them. bm25()
        # cannot run inside an aggregate, so comments are scored in a CTE first.
        sql = (
            "WITH art AS MATERIALIZED ("
            f" SELECT articles_fts.rowid AS id, {score_a} AS score,"
            "  a.published_at AS published_at, 1 AS own"
            f" FROM articles_fts JOIN articles a {_COVERING} ON a.id = articles_fts.rowid"
            f" WHERE articles_fts MATCH ? AND {awhere} ORDER BY {order} LIMIT ?),"
            " scored AS MATERIALIZED ("
            f" SELECT c.article_id AS id, {score_c} AS score, a.published_at AS published_at"
            " FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid"
            f" JOIN articles a {_COVERING} ON a.id = c.article_id"
            f" WHERE comments_fts MATCH ? AND {cwhere}),"
            " com AS MATERIALIZED (SELECT id, min(score) AS score,"
            "  max(published_at) AS published_at, 0 AS own FROM scored"
            f"  GROUP BY id ORDER BY {order} LIMIT ?),"
            " page AS MATERIALIZED (SELECT id, min(score) AS score,"
            "  max(published_at) AS published_at, max(own) AS own"
            "  FROM (SELECT * FROM art UNION ALL SELECT * FROM com)"
            f"  GROUP BY id ORDER BY {order} LIMIT ? OFFSET ?)"
            " SELECT a.*, page.score AS score, page.own AS own"
            " FROM page CROSS JOIN articles a ON a.id = page.id"
            f" ORDER BY {', '.join('page.' + o for o in order.split(', '))}"
        )
        k = plan.offset + plan.limit
        found = await self._run(
            sql,
            (
                *(match, *aparams, k),
                *(match, *cparams, k),
                plan.limit,
                plan.offset,
            ),
        )
        if not found:
            return []
        ids = [int(r["id"]) for r in found]
        marks = ",".join("?" * len(ids))
        snippets = {
            int(r[0]): str(r[1] or "")
            for r in await self._run(
                f"SELECT articles_fts.rowid, {_SNIPPET} FROM json_each(?) j"
                " CROSS JOIN articles_fts ON articles_fts.rowid = j.value"
                " WHERE articles_fts MATCH ?",
                (json.dumps(ids), match),
            )
        }
        by_article: dict[int, list[CommentHit]] = {}
        for r in await self._run(
            "SELECT c.*, snippet(comments_fts, 0, char(2), char(3), '…', 16) AS snip"
            " FROM comments c CROSS JOIN comments_fts ON comments_fts.rowid = c.id"
            f" WHERE c.article_id IN ({marks}) AND comments_fts MATCH ?"
            " ORDER BY bm25(comments_fts)",
            (*ids, match),
        ):
            bucket = by_article.setdefault(int(r["article_id"]), [])
            if len(bucket) < _COMMENTS_PER_HIT:
                bucket.append(CommentHit(records.to_comment(r), r["snip"] or ""))
        return [
            SearchHit(
                records.to_article(r),
                snippets.get(int(r["id"]), ""),
                _score(r["score"]),
                comments=tuple(by_article.get(int(r["id"]), ())),
                via_comments=not r["own"],
            )
            for r in found
        ]

    async def count(self, plan: SearchPlan, cap: int = 1000) -> int:
        """How many articles match `plan` (ignoring offset/limit), counting at most `cap`."""
        match = fts5_match(plan)
        # Leaving out all but the newest n matches cannot bring a count below n.
        n = plan.newest_matches
        floor = None if n is None or cap <= n else await self._newest_floor(plan, match)
        where, params = _filters(plan, floor, "articles_fts.rowid")
        articles = (
            "SELECT articles_fts.rowid AS id FROM articles_fts"
            f" JOIN articles a {_COVERING} ON a.id = articles_fts.rowid"
            f" WHERE articles_fts MATCH ? AND {where}"
        )
        args: list[Any] = [match, *params]
        if plan.comments:
            cwhere, cparams = _filters(plan, floor, "c.article_id")
            articles += (
                " UNION SELECT c.article_id FROM comments_fts"
                " JOIN comments c ON c.id = comments_fts.rowid"
                f" JOIN articles a {_COVERING} ON a.id = c.article_id"
                f" WHERE comments_fts MATCH ? AND {cwhere}"
            )
            args += [match, *cparams]
        row = await self._one_checked(f"SELECT count(*) FROM ({articles} LIMIT ?)", (*args, cap))
        return 0 if row is None else int(row[0])

    async def _newest_floor(self, plan: SearchPlan, match: str) -> int | None:
        """The lowest article id among `plan`'s newest `newest_matches` article
        matches in scope, or None when no more than that many match (nothing is
        left out). Costs a walk of that many matches, newest first.
        With comments, articles matching only through comments at or above the
        floor are kept too: at least the newest `newest_matches` remain."""
        n = plan.newest_matches
        if n is None:
            return None
        # Any-guild count first: a walk of the FTS doclists only, no join (~1.5 ms
        # at 66k matches). Fewer in the whole index means fewer in scope.
        row = await self._one_checked(
            "SELECT count(*) FROM (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?)",
            (match, n + 1),
        )
        if row is None or int(row[0]) <= n:
            return None
        # A small scope (a guild with one feed) cannot hold more: without this the
        # walk below would visit every match in the index to learn that.
        f = plan.filters
        scope, sparams = rows.scope(f.feed_id, f.guild_id)
        row = await self._one_checked(
            f"SELECT count(*) FROM (SELECT 1 FROM articles a WHERE {scope} LIMIT ?)",
            (*sparams, n + 1),
        )
        if row is None or int(row[0]) <= n:
            return None
        where, params = _filters(plan, None, "articles_fts.rowid")
        # The n-th newest match is the floor if an (n+1)-th exists.
        found = await self._run(
            "SELECT articles_fts.rowid FROM articles_fts"
            f" JOIN articles a {_COVERING} ON a.id = articles_fts.rowid"
            f" WHERE articles_fts MATCH ? AND {where}"
            " ORDER BY articles_fts.rowid DESC LIMIT 2 OFFSET ?",
            (match, *params, n - 1),
        )
        return int(found[0][0]) if len(found) == 2 else None

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return await self._all(sql, params)
        except sqlite3.Error as exc:
            raise _translate(exc) from exc

    async def _one_checked(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        try:
            return await self._one(sql, params)
        except sqlite3.Error as exc:
            raise _translate(exc) from exc

    # -- term statistics -------------------------------------------------------------

    async def _ensure_temp(self) -> None:
        if self._temp_ready:
            return
        for sql in _TEMP_TABLES:
            await self._r.execute(sql)
        self._temp_ready = True

    async def _index_terms(self, texts: Sequence[str]) -> list[list[str]]:
        """For each text, the index terms the tokenizer makes of it (stemmed, in order)."""
        if not texts:
            return []
        await self._ensure_temp()
        first = next(_tok_ids)
        # Reserve a block of rowids so concurrent callers never read each other's rows.
        for _ in range(len(texts) - 1):
            next(_tok_ids)
        ids = range(first, first + len(texts))
        await self._r.executemany(
            "INSERT INTO temp.lantern_tok (rowid, t) VALUES (?, ?)",
            list(zip(ids, texts, strict=True)),
        )
        try:
            found = await self._all(
                "SELECT doc, term FROM temp.lantern_tok_terms"
                " WHERE doc BETWEEN ? AND ? ORDER BY doc, offset",
                (ids.start, ids.stop - 1),
            )
        finally:
            await self._r.execute(
                "DELETE FROM temp.lantern_tok WHERE rowid BETWEEN ? AND ?",
                (ids.start, ids.stop - 1),
            )
        tokens: list[list[str]] = [[] for _ in texts]
        for r in found:
            tokens[int(r[0]) - first].append(str(r[1]))
        return tokens

    async def _stats(self, texts: Sequence[str]) -> list[tuple[tuple[str, int], ...]]:
        """For each text, its index terms with the number of articles holding each."""
        try:
            tokens = await self._index_terms(texts)
            dfs = await self._doc_freqs({t for ts in tokens for t in ts})
        except sqlite3.Error as exc:
            raise _translate(exc) from exc
        return [tuple((t, dfs[t]) for t in ts) for ts in tokens]

    async def term_frequencies(self, terms: Sequence[Term]) -> list[int | None]:
        """For each term: the articles holding its alternatives added up, each
        alternative counted as its rarest word (a phrase is in at most that many).
        Prefixes: None (counting every word they start would walk the index)."""
        texts = sorted({a for t in terms if not t.prefix for a in t.alternatives})
        stats = dict(zip(texts, await self._stats(texts), strict=True))
        out: list[int | None] = []
        for term in terms:
            if term.prefix:
                out.append(None)
                continue
            out.append(sum(min((df for _, df in stats[a]), default=0) for a in term.alternatives))
        return out

    async def word_statistics(self, words: Sequence[str]) -> list[WordStatistics]:
        """Each word's porter stem (the key) and the articles holding it; a word the
        tokenizer splits (or drops) has no key."""
        return [
            WordStatistics(word, ts[0][0], ts[0][1])
            if len(ts) == 1
            else WordStatistics(word, None, min((df for _, df in ts), default=0))
            for word, ts in zip(words, await self._stats(list(words)), strict=True)
        ]

    async def _doc_freqs(self, stems: set[str]) -> dict[str, int]:
        """Articles containing each stem, from the `row` vocab. A lookup costs about
        as much as the term's doclist is long (2 ms for a term in 66k articles), so
        counts are cached for a while: they drift slowly and only steer ranking."""
        now = time.monotonic()
        cache = self._df_cache
        if cache is None or len(cache) > _DF_CACHE_SIZE:
            cache = self._df_cache = {}
        out: dict[str, int] = {}
        for stem in stems:
            hit = cache.get(stem)
            if hit is not None and now - hit[1] < _DF_CACHE_SECONDS:
                out[stem] = hit[0]
                continue
            row = await self._one(
                "SELECT doc FROM temp.lantern_article_terms WHERE term = ?", (stem,)
            )
            out[stem] = 0 if row is None else int(row[0])
            cache[stem] = (out[stem], now)
        return out

    async def indexed_count(self) -> int:
        """About how many articles are indexed: ids are dense (articles are rarely
        deleted), so the id range answers in O(1)."""
        row = await self._one_checked(
            "SELECT coalesce((SELECT max(id) FROM articles) - (SELECT min(id) FROM articles)"
            " + 1, 0)"
        )
        return 0 if row is None else int(row[0])

    # -- autocomplete and lookups -------------------------------------------------------

    async def autocomplete_titles(
        self, prefix_text: str, guild_id: int | None, limit: int = 25
    ) -> list[TitleMatch]:
        """Titles for an autocomplete box, newest first: every typed word must be in
        the title, the last one as a prefix. Answered from the FTS index (newest
        rows by id, then sorted by date); an empty box lists the newest titles.
        Uses titles_fts (migration 2): titles only, unstemmed, prefix-indexed."""
        limit = max(1, min(limit, 25))
        where, params = rows.scope(None, guild_id)
        words = _WORD.findall(prefix_text)[:8]
        if not words:
            found = await self._run(
                "SELECT a.id, a.title, a.published_at FROM articles a"
                f" WHERE {where} ORDER BY a.published_at DESC, a.id DESC LIMIT ?",
                (*params, limit),
            )
        else:
            parts = [fts5_quote(w) for w in words]
            if re.search(r"\w$", prefix_text):  # still typing the last word
                parts[-1] += "*"
            fwhere, fparams = rows.scope(None, guild_id, fts=True)
            found = await self._run(
                "SELECT a.id, a.title, a.published_at FROM titles_fts"
                f" JOIN articles a {_COVERING} ON a.id = titles_fts.rowid"
                f" WHERE titles_fts MATCH ? AND {fwhere}"
                " ORDER BY titles_fts.rowid DESC LIMIT ?",
                (" AND ".join(parts), *fparams, _AUTOCOMPLETE_POOL),
            )
        picked = sorted(found, key=lambda r: (-int(r["published_at"]), -int(r["id"])))[:limit]
        return [
            TitleMatch(int(r["id"]), str(r["title"]), records.req_dt(r["published_at"]))
            for r in picked
        ]

    async def find_article_by_url(self, url: str, guild_id: int | None) -> Article | None:
        """The guild's article whose link is `url` (also tried: with/without a trailing
        slash, http/https, without #fragment). Newest wins if a link repeats."""
        url = url.strip()
        base = url.split("#", 1)[0]
        variants = {url, base, base.rstrip("/"), base.rstrip("/") + "/"}
        for v in list(variants):
            if v.startswith("https://"):
                variants.add("http://" + v[8:])
            elif v.startswith("http://"):
                variants.add("https://" + v[7:])
        variants.discard("")
        if not variants:
            return None
        where, params = rows.scope(None, guild_id)
        marks = ",".join("?" * len(variants))
        row = await self._one_checked(
            f"SELECT a.* FROM articles a WHERE a.link IN ({marks}) AND {where}"
            " ORDER BY a.link = ? DESC, a.published_at DESC, a.id DESC LIMIT 1",
            (*sorted(variants), *params, url),
        )
        return None if row is None else records.to_article(row)

    # -- what the Discord side shows around an article -----------------------------------

    async def guild_feed_list(self, guild_id: int) -> list[Feed]:
        """The feeds a guild subscribes or has subscribed to (its search scope)."""
        found = await self._all(
            "SELECT f.* FROM guild_feeds g JOIN feeds f ON f.id = g.feed_id"
            " WHERE g.guild_id = ? ORDER BY coalesce(f.title, f.url) COLLATE NOCASE, f.id",
            (guild_id,),
        )
        return [records.to_feed(r) for r in found]

    async def comment_counts(self, article_ids: Sequence[int]) -> dict[int, int]:
        """Stored source comments per article (articles without any are left out)."""
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        found = await self._all(
            f"SELECT article_id, count(*) FROM comments WHERE article_id IN ({marks})"
            " GROUP BY article_id",
            list(article_ids),
        )
        return {int(r[0]): int(r[1]) for r in found}

    async def discussion_message_count(self, thread_id: int) -> int | None:
        """The stored message count of a recorded discussion thread; None when the
        thread is not a recorded discussion (so callers skip the write)."""
        row = await self._one(
            "SELECT max(message_count) FROM discussions WHERE thread_id = ?", (thread_id,)
        )
        return None if row is None or row[0] is None else int(row[0])

    async def record_link_mention(
        self, guild_id: int, article_id: int, channel_id: int, message_id: int, at: datetime
    ) -> None:
        """A member linked a stored article: where and when (never the text)."""
        async with self._tx() as db:
            await db.execute(
                "INSERT OR IGNORE INTO link_mentions"
                " (guild_id, article_id, channel_id, message_id, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (guild_id, article_id, channel_id, message_id, records.ts(at)),
            )

    async def forget_link_mentions(self, message_ids: Sequence[int]) -> None:
        """The linking messages were deleted: their conversations are gone."""
        if not message_ids:
            return
        marks = ",".join("?" * len(message_ids))
        async with self._tx() as db:
            await db.execute(
                f"DELETE FROM link_mentions WHERE message_id IN ({marks})", list(message_ids)
            )

    async def link_mentions_for(
        self, guild_id: int, article_id: int, limit: int = 5
    ) -> list[LinkMention]:
        """Where members of a guild linked an article, newest first."""
        found = await self._all(
            "SELECT * FROM link_mentions WHERE guild_id = ? AND article_id = ?"
            " ORDER BY created_at DESC, message_id DESC LIMIT ?",
            (guild_id, article_id, limit),
        )
        return [
            LinkMention(
                guild_id=int(r["guild_id"]),
                article_id=int(r["article_id"]),
                channel_id=int(r["channel_id"]),
                message_id=int(r["message_id"]),
                created_at=records.req_dt(r["created_at"]),
            )
            for r in found
        ]


def _score(bm25: Any) -> float:
    """bm25 is lower-is-better (and 0.0 when sorted by date): the protocol's score
    is higher-is-better."""
    return 0.0 - float(bm25)


def _filters(plan: SearchPlan, floor: int | None, id_column: str) -> tuple[str, list[Any]]:
    """WHERE clauses (on articles `a`) for the plan's filters; `floor` keeps ids at
    or above it, checked on `id_column` so FTS5 can skip older doclist entries."""
    f = plan.filters
    where, params = rows.scope(f.feed_id, f.guild_id, fts=True)
    clauses = [where]
    if floor is not None:
        clauses.append(f"{id_column} >= ?")
        params.append(floor)
    if f.after is not None:
        clauses.append("+a.published_at >= ?")
        params.append(records.ts(f.after))
    if f.before is not None:
        clauses.append("+a.published_at < ?")
        params.append(records.ts(f.before))
    if f.author:
        clauses.append("a.author LIKE ? ESCAPE '\\'")
        params.append(f"%{_like_escape(f.author)}%")
    if f.exclude_ids:
        clauses.append(f"a.id NOT IN ({','.join('?' * len(f.exclude_ids))})")
        params.extend(f.exclude_ids)
    return " AND ".join(clauses), params


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
