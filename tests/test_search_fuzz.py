"""Fuzzed member queries through bot.search.search on a real SQLite archive:
never an undocumented exception, never a hang, always a valid page."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import search as S
from bot.errors import InvalidSearchQueryError
from bot.models import ParsedArticle, ParsedComment
from bot.storage import SuccessOutcome
from bot.storage.sqlite import SqliteStorage
from tests.fuzz import random_text

NOW = datetime(2025, 6, 15, 12, 30, tzinfo=UTC)
GUILD_A, GUILD_B = 111, 222
QUERIES = 3000
# Each query takes milliseconds on this small archive; the bound only catches a
# hang or a blow-up, with room for a machine busy with other work.
PER_QUERY_LIMIT = 5.0
WORDS = [
    "naloxone", "relapse", "recovery", "AA", "NA", "12-step", "sober", "sponsor", "meeting",
    "fentanyl", "harm", "reduction", "journal", "hope", "gratitude", "step", "café", "niño",
    "straße", "中文", "😀", "don't", "covid-19",
]
HOSTILE = "@everyone <@123> **bold** __u__ ||spoiler|| `code` [link](http://evil.example) # head"


def _article(rng: random.Random, n: int) -> ParsedArticle:
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7)))
    summary = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
    if n % 5 == 0:
        summary += " " + HOSTILE
    return ParsedArticle(
        key=f"a{n}",
        link=f"https://example.org/a{n}",
        title=f"{title} {n}",
        summary=summary,
        content=" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 80))),
        author=rng.choice(["Sam Writer", "Rosa Diaz", None]),
        published=NOW - timedelta(days=n),
        updated=None,
        image_url=None,
        categories=(),
        comments_url=None,
        comments_feed_url=None,
        comment_count=None,
        content_hash=f"a{n}",
    )


async def _feed(st: SqliteStorage, url: str, guild: int, articles: list[ParsedArticle]) -> int:
    feed = await st.add_feed(url, NOW)
    await st.record_success(
        feed.id,
        SuccessOutcome(now=NOW, next_poll_at=NOW, etag=None, last_modified=None,
                       body_hash=None, articles=tuple(articles)),
    )
    await st.add_guild_feed(guild, feed.id)
    return feed.id


@pytest.fixture
async def archive(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    rng = random.Random(5)
    st = await SqliteStorage.open(tmp_path / "search.db")
    await _feed(st, "https://a.example/feed", GUILD_A, [_article(rng, n) for n in range(80)])
    secret = _article(rng, 999)
    await _feed(st, "https://b.example/feed", GUILD_B, [secret])
    for article in (await st.latest_articles(100))[:10]:
        comments = [
            ParsedComment(f"c{article.id}-{k}", "Jamie", NOW, " ".join(rng.sample(WORDS, 6)),
                          None, f"h{article.id}-{k}")
            for k in range(3)
        ]
        await st.record_comments(article.id, comments, next_poll_at=NOW + timedelta(days=1))
    yield st
    await st.close()


def check_page(page: S.SearchPage, *, number: int, per_page: int, sort: str,
               guild_a_feeds: set[int]) -> None:
    """What the /search embed relies on: consistent paging and counts, this
    guild's articles only, each once, and snippets the renderer can mark up."""
    assert page.page == number and page.per_page == per_page
    assert len(page.hits) <= per_page
    assert 0 <= page.total <= S.COUNT_CAP
    shown = number * per_page + len(page.hits)
    if page.has_more:
        assert len(page.hits) == per_page and (page.total_capped or page.total > shown)
    else:
        assert page.total == shown and not page.total_capped
    ids = [hit.article.id for hit in page.hits]
    assert len(set(ids)) == len(ids)
    assert all(hit.article.feed_id in guild_a_feeds for hit in page.hits)
    if sort == "newest":
        dates = [hit.article.published_at for hit in page.hits]
        assert dates == sorted(dates, reverse=True)
    for hit in page.hits:
        marks = [ch for ch in hit.snippet if ch in "\x02\x03"]
        assert marks == ["\x02", "\x03"] * (len(marks) // 2), repr(hit.snippet)
        # snippet() keeps 24 tokens; the longest word here is short
        assert len(hit.snippet) <= 24 * 120
        rendered = S.render_snippet(hit.snippet)
        assert "\n" not in rendered and "\x02" not in rendered and "\x03" not in rendered
        assert "@everyone" not in rendered.replace("@\u200beveryone", "")


async def test_fuzzed_queries_give_valid_pages_or_the_documented_error(
    archive: SqliteStorage,
) -> None:
    """3,000 random queries (with filters, sorts and pages): each ends in a valid
    page or InvalidSearchQueryError, within a generous time."""
    rng = random.Random(99)
    guild_a_feeds = {f.id for f in await archive.list_feeds() if f.url.startswith("https://a.")}
    pages = refused = 0
    for n in range(QUERIES):
        text = random_text(rng, surrogates=True)
        number, per_page = n % 4, (5, 1, 25)[n % 3]
        sort = "newest" if n % 2 else "relevance"
        started = time.perf_counter()
        try:
            page = await S.search(
                archive,
                text,
                guild_id=GUILD_A,
                now=NOW,
                comments=n % 3 == 0,
                sort=sort,
                page=number,
                per_page=per_page,
                author=random_text(rng) if n % 13 == 0 else None,
                after=random_text(rng) if n % 11 == 0 else None,
            )
        except InvalidSearchQueryError as exc:
            assert str(exc), text  # shown to the member as it is
            refused += 1
        else:
            check_page(page, number=number, per_page=per_page, sort=sort,
                       guild_a_feeds=guild_a_feeds)
            pages += bool(page.hits)
        elapsed = time.perf_counter() - started
        assert elapsed < PER_QUERY_LIMIT, (text, elapsed)
    # the fuzz reaches real result pages and real refusals, not only one of them
    assert pages > QUERIES // 10 and refused > 0, (pages, refused)
