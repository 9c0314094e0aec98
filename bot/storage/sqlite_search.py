"""Full-text search, more-like-this and title autocomplete over the FTS5 indexes.

Every query here runs on the read connection (`_one`/`_all`), so searches never
queue behind a poll's writes. MATCH expressions come from bot.search (every
token quoted); the few expressions built here (related, autocomplete) quote
their tokens the same way.

Term statistics: the index is stemmed (porter), so document frequencies come
from an `fts5vocab` table of type `row` (a b-tree lookup per term), and words
are stemmed by the same tokenizer through a small TEMP FTS5 table on the read
connection (the `instance` vocab of the real index would be a full scan).
"""

from __future__ import annotations

import itertools
import logging
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.models import Article
from bot.storage import rows
from bot.storage.base import CommentHit, SearchHit, SearchQuery, TitleMatch

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

_tok_ids = itertools.count(1)


class SearchQueries(rows.Connections):
    _temp_ready: bool = False

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

    async def search(self, query: SearchQuery) -> list[SearchHit]:
        """Ranked full-text search. `query.match` is an already-safe FTS5 expression.
        With `query.comments`, articles whose source comments match are included and
        each hit carries its best-matching comments."""
        if query.comments:
            return await self._search_with_comments(query)
        where, params = _filters(query)
        window, wparams = self._window(query, "articles_fts.rowid")
        if query.sort == "newest":
            order, score = "a.published_at DESC, a.id DESC", "0.0"
        else:
            order, score = "score", _BM25
        # The page is picked first (bm25 only), then snippets are made for its rows
        # alone: snippet() in the ranking query would run for every match.
        sql = (
            "WITH page AS MATERIALIZED ("
            f" SELECT articles_fts.rowid AS id, {score} AS score,"
            "  a.published_at AS published_at"
            " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
            f" WHERE articles_fts MATCH ?{window} AND {where}"
            f" ORDER BY {order} LIMIT ? OFFSET ?)"
            f" SELECT a.*, page.score AS score, {_SNIPPET} AS snip"
            " FROM page JOIN articles_fts ON articles_fts.rowid = page.id"
            " JOIN articles a ON a.id = page.id"
            " WHERE articles_fts MATCH ?"
            f" ORDER BY {'' if query.sort == 'newest' else 'page.score, '}"
            "page.published_at DESC, page.id DESC"
        )
        found = await self._run(
            sql, (query.match, *wparams, *params, query.limit, query.offset, query.match)
        )
        return [SearchHit(rows.to_article(r), r["snip"] or "", float(r["score"])) for r in found]

    async def _search_with_comments(self, query: SearchQuery) -> list[SearchHit]:
        where, params = _filters(query)
        awin, awp = self._window(query, "articles_fts.rowid")
        cwin, cwp = self._window(query, "c.article_id")
        newest = query.sort == "newest"
        score_a = "0.0" if newest else _BM25
        score_c = "0.0" if newest else "bm25(comments_fts)"
        order = "a.published_at DESC, a.id DESC" if newest else "u.score, a.published_at DESC"
        # bm25() cannot run inside an aggregate: score rows in MATERIALIZED CTEs first.
        sql = (
            "WITH art (id, score) AS MATERIALIZED ("
            f" SELECT articles_fts.rowid, {score_a} FROM articles_fts"
            f" WHERE articles_fts MATCH ?{awin}),"
            " com (id, score) AS MATERIALIZED ("
            f" SELECT c.article_id, {score_c} FROM comments_fts"
            " JOIN comments c ON c.id = comments_fts.rowid"
            f" WHERE comments_fts MATCH ?{cwin}),"
            " u AS (SELECT id, min(score) AS score, max(own) AS own FROM ("
            "  SELECT id, score, 1 AS own FROM art UNION ALL SELECT id, score, 0 FROM com)"
            "  GROUP BY id)"
            " SELECT a.*, u.score AS score, u.own AS own FROM u JOIN articles a ON a.id = u.id"
            f" WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        )
        found = await self._run(
            sql, (query.match, *awp, query.match, *cwp, *params, query.limit, query.offset)
        )
        if not found:
            return []
        ids = [int(r["id"]) for r in found]
        marks = ",".join("?" * len(ids))
        snippets = {
            int(r[0]): str(r[1] or "")
            for r in await self._run(
                f"SELECT rowid, {_SNIPPET} FROM articles_fts"
                f" WHERE articles_fts MATCH ? AND rowid IN ({marks})",
                (query.match, *ids),
            )
        }
        by_article: dict[int, list[CommentHit]] = {}
        for r in await self._run(
            "SELECT c.*, snippet(comments_fts, 0, char(2), char(3), '…', 16) AS snip"
            " FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid"
            f" WHERE comments_fts MATCH ? AND c.article_id IN ({marks})"
            " ORDER BY bm25(comments_fts)",
            (query.match, *ids),
        ):
            bucket = by_article.setdefault(int(r["article_id"]), [])
            if len(bucket) < _COMMENTS_PER_HIT:
                bucket.append(CommentHit(rows.to_comment(r), r["snip"] or ""))
        return [
            SearchHit(
                rows.to_article(r),
                snippets.get(int(r["id"]), ""),
                float(r["score"]),
                comments=tuple(by_article.get(int(r["id"]), ())),
                via_comments=not r["own"],
            )
            for r in found
        ]

    async def count(self, query: SearchQuery, cap: int = 1000) -> int:
        """How many articles match `query` (ignoring limit/offset), counting at most `cap`."""
        where, params = _filters(query)
        awin, awp = self._window(query, "articles_fts.rowid")
        articles = (
            "SELECT articles_fts.rowid AS id FROM articles_fts"
            " JOIN articles a ON a.id = articles_fts.rowid"
            f" WHERE articles_fts MATCH ?{awin} AND {where}"
        )
        args: list[Any] = [query.match, *awp, *params]
        if query.comments:
            cwin, cwp = self._window(query, "c.article_id")
            articles += (
                " UNION SELECT c.article_id FROM comments_fts"
                " JOIN comments c ON c.id = comments_fts.rowid"
                " JOIN articles a ON a.id = c.article_id"
                f" WHERE comments_fts MATCH ?{cwin} AND {where}"
            )
            args += [query.match, *cwp, *params]
        row = await self._one_checked(f"SELECT count(*) FROM ({articles} LIMIT ?)", (*args, cap))
        return 0 if row is None else int(row[0])

    def _window(self, query: SearchQuery, column: str) -> tuple[str, list[Any]]:
        if query.window is None:
            return "", []
        return (
            f" AND {column} > (SELECT coalesce(max(id), 0) FROM articles) - ?",
            [query.window],
        )

    async def _run(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        try:
            return await self._all(sql, params)
        except sqlite3.OperationalError as exc:
            # The query builder quotes everything, so this is a bug, not user input.
            log.error("search failed: %s", exc)
            raise

    async def _one_checked(self, sql: str, params: Sequence[Any]) -> sqlite3.Row | None:
        try:
            return await self._one(sql, params)
        except sqlite3.OperationalError as exc:
            log.error("search count failed: %s", exc)
            raise

    # -- term statistics -------------------------------------------------------------

    async def _ensure_temp(self) -> None:
        if self._temp_ready:
            return
        for sql in _TEMP_TABLES:
            await self._r.execute(sql)
        self._temp_ready = True

    async def term_stats(self, texts: Sequence[str]) -> list[tuple[tuple[str, int], ...]]:
        """For each text, its index tokens (stemmed, in order) with the number of
        articles containing each. Texts may be words or phrases."""
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
                "SELECT i.doc, i.term, coalesce(v.doc, 0) AS df"
                " FROM temp.lantern_tok_terms i"
                " LEFT JOIN temp.lantern_article_terms v ON v.term = i.term"
                " WHERE i.doc BETWEEN ? AND ? ORDER BY i.doc, i.offset",
                (ids.start, ids.stop - 1),
            )
        finally:
            await self._r.execute(
                "DELETE FROM temp.lantern_tok WHERE rowid BETWEEN ? AND ?",
                (ids.start, ids.stop - 1),
            )
        out: list[list[tuple[str, int]]] = [[] for _ in texts]
        for r in found:
            out[int(r[0]) - first].append((str(r[1]), int(r[2])))
        return [tuple(tokens) for tokens in out]

    async def indexed_count(self) -> int:
        """About how many articles are indexed (ids are dense; O(1))."""
        row = await self._one("SELECT coalesce(max(id) - min(id) + 1, 0) FROM articles")
        return 0 if row is None else int(row[0])

    # -- more like this ----------------------------------------------------------------

    async def related(
        self, article_id: int, guild_id: int | None, limit: int = 5
    ) -> list[SearchHit]:
        """Articles like `article_id` (never itself), from the guild's feeds: an OR of
        the most distinctive words of its title and summary, ranked by bm25.
        Empty when the article does not exist or is outside the guild's scope."""
        from bot.search import TermStat, related_terms  # bot.search imports storage records

        where, params = rows.scope(None, guild_id)
        row = await self._one(
            f"SELECT a.title, a.summary FROM articles a WHERE a.id = ? AND {where}",
            (article_id, *params),
        )
        if row is None:
            return []
        weights: dict[str, float] = {}
        for text, weight in ((row["title"], 2.0), (row["summary"][:2000], 1.0)):
            for w in _WORD.findall(text.casefold()):
                weights[w] = weights.get(w, 0.0) + weight
        words = list(weights)[:300]
        stats: list[TermStat] = []
        for word, tokens in zip(words, await self.term_stats(words), strict=True):
            if len(tokens) == 1:
                stats.append(TermStat(word, tokens[0][0], weights[word], tokens[0][1]))
        # Several surface words may share a stem: add their weights up.
        by_stem: dict[str, TermStat] = {}
        for s in stats:
            prev = by_stem.get(s.stem)
            by_stem[s.stem] = (
                s if prev is None else TermStat(prev.word, s.stem, prev.tf + s.tf, s.df)
            )
        terms = related_terms(by_stem.values(), await self.indexed_count())
        if not terms:
            return []
        match = " OR ".join(_quote(t) for t in terms)
        found = await self._run(
            f"SELECT a.*, {_BM25} AS score FROM articles_fts"
            " JOIN articles a ON a.id = articles_fts.rowid"
            f" WHERE articles_fts MATCH ? AND articles_fts.rowid != ? AND {where}"
            " ORDER BY score LIMIT ?",
            (match, article_id, *params, limit),
        )
        return [SearchHit(rows.to_article(r), "", float(r["score"])) for r in found]

    # -- autocomplete and lookups -------------------------------------------------------

    async def autocomplete_titles(
        self, prefix_text: str, guild_id: int | None, limit: int = 25
    ) -> list[TitleMatch]:
        """Titles for an autocomplete box, newest first: every typed word must be in
        the title, the last one as a prefix. Answered from the FTS index (newest
        rows by id, then sorted by date); an empty box lists the newest titles."""
        limit = max(1, min(limit, 25))
        where, params = rows.scope(None, guild_id)
        words = _WORD.findall(prefix_text)[:8]
        if not words or (len(words) == 1 and len(words[0]) < 2):
            found = await self._all(
                "SELECT a.id, a.title, a.published_at FROM articles a"
                f" WHERE {where} ORDER BY a.published_at DESC, a.id DESC LIMIT ?",
                (*params, limit),
            )
        else:
            typing_last = bool(re.search(r"\w$", prefix_text))
            parts = [_quote(w) for w in words]
            if typing_last and len(words[-1]) >= 2:
                parts[-1] += "*"
            match = "title : (" + " AND ".join(parts) + ")"
            found = await self._run(
                "SELECT a.id, a.title, a.published_at FROM articles_fts"
                " JOIN articles a ON a.id = articles_fts.rowid"
                f" WHERE articles_fts MATCH ? AND {where}"
                " ORDER BY articles_fts.rowid DESC LIMIT ?",
                (match, *params, _AUTOCOMPLETE_POOL),
            )
        picked = sorted(found, key=lambda r: (-int(r["published_at"]), -int(r["id"])))[:limit]
        return [
            TitleMatch(int(r["id"]), str(r["title"]), rows.req_dt(r["published_at"]))
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
        row = await self._one(
            f"SELECT a.* FROM articles a WHERE a.link IN ({marks}) AND {where}"
            " ORDER BY a.link = ? DESC, a.published_at DESC, a.id DESC LIMIT 1",
            (*sorted(variants), *params, url),
        )
        return None if row is None else rows.to_article(row)


def _filters(query: SearchQuery) -> tuple[str, list[Any]]:
    where, params = rows.scope(query.feed_id, query.guild_id)
    clauses = [where]
    if query.after is not None:
        clauses.append("a.published_at >= ?")
        params.append(rows.ts(query.after))
    if query.before is not None:
        clauses.append("a.published_at < ?")
        params.append(rows.ts(query.before))
    if query.author:
        clauses.append("a.author LIKE ? ESCAPE '\\'")
        params.append(f"%{_like_escape(query.author)}%")
    if query.exclude_ids:
        clauses.append(f"a.id NOT IN ({','.join('?' * len(query.exclude_ids))})")
        params.extend(query.exclude_ids)
    return " AND ".join(clauses), params


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
