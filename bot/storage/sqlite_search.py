"""Full-text search and related-article queries over the FTS5 index."""

from __future__ import annotations

import logging
import sqlite3

from bot.storage import rows
from bot.storage.base import SearchHit, SearchQuery

log = logging.getLogger(__name__)

# bm25 column weights: title above summary above full text.
_BM25 = "bm25(articles_fts, 10.0, 4.0, 1.0)"


class SearchQueries(rows.Connections):
    # -- search --------------------------------------------------------------------

    async def search(self, query: SearchQuery) -> list[SearchHit]:
        """Ranked full-text search. `query.match` is an already-safe FTS5 expression."""
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
        order = "a.published_at DESC, a.id DESC" if query.sort == "newest" else "rank"
        sql = (
            f"SELECT a.*, {_BM25} AS rank,"
            " snippet(articles_fts, -1, char(2), char(3), '…', 24) AS snip"
            " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
            f" WHERE articles_fts MATCH ? AND {' AND '.join(clauses)}"
            f" ORDER BY {order} LIMIT ? OFFSET ?"
        )
        try:
            found = await self._all(sql, (query.match, *params, query.limit, query.offset))
        except sqlite3.OperationalError as exc:
            # The query builder quotes everything, so this is a bug, not user input.
            log.error("search failed: %s", exc)
            raise
        return [SearchHit(rows.to_article(r), r["snip"] or "", float(r["rank"])) for r in found]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
