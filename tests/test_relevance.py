"""Search relevance over a judged test set (tests/data/relevance, made by its
make_corpus.py), through the real storage and bot.search.search.

nDCG@5 uses graded gains (2 = about the topic, 1 = mentions it); recall@10 is
the share of judged-relevant articles found in the top 10, out of at most 10
(a query with 25 relevant articles can reach 1.0). The floors sit just below
what was measured when the set was made: a drop means ranking got worse.
Runs on SQLite and on PostgreSQL (a throwaway server, tests/pgserver.py)."""

from __future__ import annotations

import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import search as S
from bot.models import ParsedArticle
from bot.storage import Storage, SuccessOutcome
from bot.storage.postgresql import PostgresStorage
from bot.storage.protocol import SearchStore
from bot.storage.sqlite import SqliteStorage

DATA = Path(__file__).parent / "data" / "relevance"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
GUILD = 7

# Measured 2026-12-01 on SQLite: nDCG@5 0.9189, recall@10 0.9271 (pytest -s prints
# them); 2026-12-08 on PostgreSQL: 0.9639, 0.9292. Both backends share the floors.
MIN_NDCG5 = 0.91
MIN_RECALL10 = 0.92


def _load() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with (DATA / "corpus.jsonl").open(encoding="utf-8") as fh:
        corpus = [json.loads(line) for line in fh]
    queries = json.loads((DATA / "qrels.json").read_text(encoding="utf-8"))["queries"]
    return corpus, queries


def _dcg(gains: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at(ranked: list[int], relevant: dict[int, int], k: int) -> float:
    ideal = _dcg(sorted(relevant.values(), reverse=True)[:k])
    return _dcg([relevant.get(i, 0) for i in ranked[:k]]) / ideal if ideal else 0.0


def recall_at(ranked: list[int], relevant: dict[int, int], k: int) -> float:
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / min(k, len(relevant))


async def test_corpus_is_reproducible() -> None:
    """make_corpus.py regenerates the stored corpus and judgements exactly."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", DATA / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["make_corpus"]
    corpus, queries = _load()
    assert module.make_corpus() == corpus
    assert module.judge(corpus) == queries
    assert len(corpus) >= 300 and len(queries) >= 30


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The judged corpus in one guild's scope, on each backend; yields the store
    and a map from its article ids to corpus ids."""
    corpus, _ = _load()
    st: Storage
    url = None
    if request.param == "postgresql":
        server = request.getfixturevalue("pg_server")
        url = await server.fresh_database()
        st = await PostgresStorage.open(url)
    else:
        st = await SqliteStorage.open(tmp_path / "rel.db")
    feed = await st.add_feed("https://example.org/feed", NOW)
    articles = tuple(
        ParsedArticle(
            key=str(a["id"]),
            link=f"https://example.org/{a['id']}",
            title=str(a["title"]),
            summary=str(a["summary"]),
            content=str(a["content"]),
            author=str(a["author"]),
            published=datetime.fromisoformat(str(a["published"])),
            updated=None,
            image_url=None,
            categories=(),
            comments_url=None,
            comments_feed_url=None,
            comment_count=None,
            content_hash=str(a["id"]),
        )
        for a in corpus
    )
    await st.record_success(
        feed.id,
        SuccessOutcome(
            now=NOW,
            next_poll_at=NOW,
            etag=None,
            last_modified=None,
            body_hash=None,
            articles=articles,
        ),
    )
    await st.add_guild_feed(GUILD, feed.id)
    by_key = {
        art.id: int(art.key)
        for art in await st.latest_articles(limit=len(corpus) + 10, guild_id=GUILD)
    }
    yield st, by_key
    await st.close()
    if url is not None:
        await server.drop(url)


async def test_relevance(store: tuple[SearchStore, dict[int, int]]) -> None:
    """nDCG@5 and recall@10 stay above their floors on every backend, and the
    vocabulary helps."""
    _, queries = _load()
    store, by_key = store  # by_key: storage id -> corpus id

    async def evaluate(vocabulary: S.Vocabulary | None) -> list[tuple[float, float]]:
        out = []
        for q in queries:
            page = await S.search(
                store, str(q["text"]), guild_id=GUILD, now=NOW, per_page=10, vocabulary=vocabulary
            )
            ranked = [by_key[h.article.id] for h in page.hits]
            relevant = {int(k): int(v) for k, v in q["relevant"].items()}
            out.append((ndcg_at(ranked, relevant, 5), recall_at(ranked, relevant, 10)))
        return out

    scores = await evaluate(None)
    bare = await evaluate(S.Vocabulary())  # the same queries without the vocabulary
    for q, (n5, r10), (b5, b10) in zip(queries, scores, bare, strict=True):
        print(
            f"  {q['id']} {q['kind']:<10} nDCG@5 {n5:.3f} R@10 {r10:.3f}"
            f"  (no vocabulary: {b5:.3f} {b10:.3f})  {q['text']}"
        )
    ndcg = sum(s[0] for s in scores) / len(scores)
    recall = sum(s[1] for s in scores) / len(scores)
    vocab_q = [i for i, q in enumerate(queries) if q["kind"] == "vocabulary"]
    with_vocab = sum(scores[i][1] for i in vocab_q) / len(vocab_q)
    without = sum(bare[i][1] for i in vocab_q) / len(vocab_q)
    print(
        f"relevance: {len(queries)} queries  nDCG@5 {ndcg:.4f}  recall@10 {recall:.4f};"
        f" vocabulary queries recall@10 {with_vocab:.4f} (without the vocabulary {without:.4f})"
    )
    assert with_vocab > without + 0.1, "the vocabulary no longer helps its own queries"
    assert ndcg >= MIN_NDCG5, f"nDCG@5 fell to {ndcg:.4f} (floor {MIN_NDCG5})"
    assert recall >= MIN_RECALL10, f"recall@10 fell to {recall:.4f} (floor {MIN_RECALL10})"
