"""The feed engine against local feed servers: polling, caching, failures,
events and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.feeds.engine import FeedEngine
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.models import FeedEvent, ParsedFeed
from bot.settings import Settings
from bot.storage.sqlite import SqliteStorage
from tests.feedserver import FIXTURES, FeedServer, numbered_items, rss


class CountingParser(ParserPool):
    """The real parser, counting how often it is asked to parse."""

    def __init__(self) -> None:
        super().__init__(0)
        self.calls = 0

    async def parse_feed(self, *args: Any, **kwargs: Any) -> ParsedFeed:
        self.calls += 1
        return await super().parse_feed(*args, **kwargs)

    async def parse_feed_newest(self, *args: Any, **kwargs: Any) -> tuple[ParsedFeed, int]:
        self.calls += 1
        return await super().parse_feed_newest(*args, **kwargs)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class Harness:
    def __init__(self, tmp_path: Path, server: FeedServer, **overrides: Any) -> None:
        self.path = tmp_path / "lantern.db"
        self.server = server
        self.clock = Clock()
        self.settings = Settings.defaults(
            database_path=self.path, feed_allow_private_networks=True, **overrides
        )
        self.events: list[FeedEvent] = []

    async def open(self) -> FeedEngine:
        self.store = await SqliteStorage.open(self.path)
        self.fetcher = Fetcher(allow_private=True, timeout=5)
        await self.fetcher.__aenter__()
        self.parser = CountingParser()
        await self.parser.__aenter__()
        self.engine = FeedEngine(
            self.store, self.fetcher, self.parser, self.settings, clock=self.clock
        )
        self.engine.subscribe(self.events.append)
        return self.engine

    async def close(self) -> None:
        await self.parser.__aexit__(None, None, None)
        await self.fetcher.__aexit__(None, None, None)
        await self.store.close()

    async def restart(self) -> FeedEngine:
        await self.close()
        self.events.clear()
        return await self.open()


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    s = await FeedServer().start()
    yield s
    await s.close()


@pytest.fixture
async def harness(tmp_path: Path, server: FeedServer) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, server)
    await h.open()
    yield h
    await h.close()


def kinds(events: list[FeedEvent]) -> list[str]:
    return [e.kind for e in events]


async def test_poll_stores_articles_and_304_costs_no_parse(harness: Harness) -> None:
    url = harness.server.serve("/feed", rss(numbered_items(0, 5)))
    feed = await harness.store.add_feed(url, harness.clock(), pinned=True)
    report = await harness.engine.poll_feed(feed)
    assert (report.outcome, report.new) == ("new", 5)
    assert harness.parser.calls == 1
    assert kinds(harness.events) == ["articles"]
    assert len(harness.events[0].article_ids) == 5

    feed = await harness.store.get_feed(feed.id)
    assert feed is not None and feed.etag is not None
    report = await harness.engine.poll_feed(feed)
    assert report.outcome == "not_modified"
    assert harness.server.not_modified["/feed"] == 1
    assert harness.parser.calls == 1  # a 304 costs no parse
    assert kinds(harness.events) == ["articles"]


async def test_unchanged_body_without_validators_skips_the_parse(harness: Harness) -> None:
    url = harness.server.serve("/feed", rss(numbered_items(0, 3)), conditional=False)
    feed = await harness.store.add_feed(url, harness.clock(), pinned=True)
    await harness.engine.poll_feed(feed)
    feed = await harness.store.get_feed(feed.id)
    assert feed is not None
    report = await harness.engine.poll_feed(feed)
    assert report.outcome == "unchanged"
    assert harness.parser.calls == 1


async def test_next_poll_is_jittered_around_the_interval(harness: Harness) -> None:
    interval = harness.settings.feed_poll_interval
    waits = []
    for n in range(8):
        url = harness.server.serve(f"/f{n}", rss(numbered_items(0, 1)))
        feed = await harness.store.add_feed(url, harness.clock(), pinned=True)
        await harness.engine.poll_feed(feed)
        stored = await harness.store.get_feed(feed.id)
        assert stored is not None
        waits.append((stored.next_poll_at - harness.clock()).total_seconds())
    assert all(0.85 * interval - 1 <= w <= 1.15 * interval + 1 for w in waits)
    assert len(set(waits)) > 1  # not all at the same moment


async def test_broken_feed_records_error_and_others_go_on(harness: Harness) -> None:
    good = harness.server.serve("/good", rss(numbered_items(0, 2)))
    bad = harness.server.serve("/bad", "oops", status=500, content_type="text/plain")
    html = harness.server.serve("/html", "<html><body>hi</body></html>", content_type="text/html")
    for url in (good, bad, html):
        await harness.store.add_feed(url, harness.clock(), pinned=True)
    reports = {r.feed.url: r for r in await harness.engine.poll_due()}
    assert reports[good].outcome == "new"
    assert reports[bad].outcome == "error" and "500" in (reports[bad].error or "")
    assert reports[html].outcome == "error"
    stored = await harness.store.feed_by_url(bad)
    assert stored is not None and stored.error_count == 1 and "500" in (stored.last_error or "")
    # failure backs off: the next poll is later than a normal interval
    assert stored.next_poll_at > harness.clock() + timedelta(seconds=600)


async def test_retry_after_sets_a_lower_bound(harness: Harness) -> None:
    url = harness.server.serve(
        "/busy",
        "slow down",
        status=429,
        headers={"Retry-After": "7200"},
        content_type="text/plain",
    )
    feed = await harness.store.add_feed(url, harness.clock(), pinned=True)
    report = await harness.engine.poll_feed(feed)
    assert report.outcome == "error"
    stored = await harness.store.get_feed(feed.id)
    assert stored is not None
    assert stored.next_poll_at >= harness.clock() + timedelta(seconds=7200)


async def test_cache_control_max_age_sets_a_lower_bound(harness: Harness) -> None:
    url = harness.server.serve(
        "/cached", rss(numbered_items(0, 1)), headers={"Cache-Control": "max-age=5000"}
    )
    feed = await harness.store.add_feed(url, harness.clock(), pinned=True)
    await harness.engine.poll_feed(feed)
    stored = await harness.store.get_feed(feed.id)
    assert stored is not None
    assert stored.next_poll_at >= harness.clock() + timedelta(seconds=5000)


async def test_gone_feed_is_retired_with_an_event(harness: Harness) -> None:
    url = harness.server.serve("/gone", "gone", status=410, content_type="text/plain")
    feed = await harness.store.add_feed(url, harness.clock(), pinned=True)
    report = await harness.engine.poll_feed(feed)
    assert report.outcome == "gone"
    assert kinds(harness.events) == ["gone"]
    harness.clock.advance(days=30)
    assert await harness.store.due_feeds(harness.clock()) == []


async def test_sustained_failure_marks_broken_then_recovers(
    tmp_path: Path, server: FeedServer
) -> None:
    h = Harness(tmp_path, server, feed_broken_after=3600)
    await h.open()
    try:
        url = server.serve("/flaky", "down", status=503, content_type="text/plain")
        feed = await h.store.add_feed(url, h.clock(), pinned=True)
        for _ in range(4):
            feed = await h.store.get_feed(feed.id)  # type: ignore[assignment]
            assert feed is not None
            await h.engine.poll_feed(feed)
            h.clock.advance(minutes=25)
        assert kinds(h.events) == ["broken"]
        assert "503" in (h.events[0].message or "")
        server.serve("/flaky", rss(numbered_items(0, 1)))
        feed = await h.store.get_feed(feed.id)  # type: ignore[assignment]
        assert feed is not None and feed.status == "broken"
        await h.engine.poll_feed(feed)
        assert kinds(h.events) == ["broken", "recovered", "articles"]
    finally:
        await h.close()


async def test_restart_neither_reemits_nor_loses_articles(harness: Harness) -> None:
    url = harness.server.serve("/feed", rss(numbered_items(0, 3)))
    await harness.store.add_feed(url, harness.clock(), pinned=True)
    await harness.engine.poll_due()
    assert kinds(harness.events) == ["articles"]

    engine = await harness.restart()
    # state comes from the database: nothing is due right after a restart
    assert await engine.poll_due() == []
    # while "down", two articles were published; after the restart they are
    # emitted once, and the three known ones are not emitted again
    harness.server.serve("/feed", rss(numbered_items(0, 5)))
    harness.clock.advance(hours=1)
    await engine.poll_due()
    (event,) = harness.events
    titles = [a.title for a in await harness.store.get_articles(event.article_ids)]
    assert sorted(titles) == ["Article 3", "Article 4"]
    assert await harness.store.count_articles() == 5


async def test_discover_follows_the_feed_linked_from_a_page(harness: Harness) -> None:
    feed_url = harness.server.serve("/blog/feed/", rss(numbered_items(0, 2), title="Blog"))
    harness.server.serve(
        "/blog/",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/blog/feed/">'
        "</head><body>Welcome</body></html>",
        content_type="text/html; charset=utf-8",
    )
    added = await harness.engine.add(harness.server.url("/blog/"), pinned=True)
    assert added.feed.url == feed_url
    assert added.feed.title == "Blog"
    assert added.new_articles == 2


async def test_comments_are_polled_for_recent_articles(harness: Harness) -> None:
    base = harness.server.base
    wp = (FIXTURES / "wordpress-rss2.xml").read_text(encoding="utf-8")
    wp = wp.replace("https://steadyground.example.org", base)
    comments = (FIXTURES / "wordpress-comments-101.xml").read_text(encoding="utf-8")
    harness.server.serve("/feed/", wp)
    harness.server.serve(
        "/2026/11/carrying-naloxone/feed/",
        comments.replace("https://steadyground.example.org", base),
    )
    added = await harness.engine.add(harness.server.url("/feed/"), pinned=True)
    assert added.new_articles == 3
    new = await harness.engine.poll_comments_due()
    assert new >= 2
    article = next(
        a for a in await harness.store.latest_articles(10) if "naloxone" in (a.link or "")
    )
    stored = await harness.store.comments_for(article.id, limit=10)
    assert len(stored) == new
    assert all(c.text and "<script" not in c.text for c in stored)
    # polled again only on the slower comments schedule
    assert await harness.engine.poll_comments_due() == 0


async def test_per_host_concurrency_is_bounded(tmp_path: Path, server: FeedServer) -> None:
    active = 0
    peak = 0

    def slow(n: int) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.Response:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.05)
            active -= 1
            return web.Response(
                body=rss(numbered_items(n, n + 1)).encode(), content_type="application/rss+xml"
            )

        return handler

    h = Harness(tmp_path, server, feed_host_concurrency=2)
    await h.open()
    try:
        for n in range(8):
            url = server.route(f"/slow{n}", slow(n))
            await h.store.add_feed(url, h.clock(), pinned=True)
        reports = await h.engine.poll_due()
        assert [r.outcome for r in reports] == ["new"] * 8
        assert peak == 2
    finally:
        await h.close()


async def test_run_loop_polls_until_stopped(tmp_path: Path, server: FeedServer) -> None:
    h = Harness(tmp_path, server)
    await h.open()
    try:
        url = server.serve("/feed", rss(numbered_items(0, 2)))
        await h.store.add_feed(url, h.clock(), pinned=True)
        stop = asyncio.Event()
        task = asyncio.create_task(h.engine.run(stop))
        for _ in range(100):
            if h.events:
                break
            await asyncio.sleep(0.02)
        assert kinds(h.events) == ["articles"]
        stop.set()
        await asyncio.wait_for(task, 5)
        assert server.hits["/feed"] == 1  # not re-fetched before it is due
    finally:
        await h.close()


async def test_only_the_newest_items_are_stored_and_the_rest_counted(
    tmp_path: Path, server: FeedServer
) -> None:
    """Past FEED_MAX_ITEMS the newest are stored and the rest counted in the report."""
    h = Harness(tmp_path, server, feed_max_items=10)
    await h.open()
    try:
        items = numbered_items(0, 30)
        url = server.serve("/big", rss(items[::-1][:15] + items[::-1][15:][::-1]))
        feed = await h.store.add_feed(url, h.clock(), pinned=True)
        report = await h.engine.poll_feed(feed)
        assert (report.outcome, report.new, report.skipped) == ("new", 10, 20)
        assert (await h.store.feed_article_counts())[feed.id] == 10
        stored = await h.store.get_articles(h.events[0].article_ids)
        assert sorted(a.title for a in stored) == sorted(f"Article {n}" for n in range(20, 30))
    finally:
        await h.close()


async def test_one_crashing_feed_does_not_drop_the_other_reports(harness: Harness) -> None:
    """A feed whose poll raises past the engine still gets a report; the others keep theirs."""
    urls = [harness.server.serve(f"/f{n}", rss(numbered_items(n, n + 1))) for n in range(3)]
    feeds = [await harness.store.add_feed(u, harness.clock(), pinned=True) for u in urls]
    record_success = harness.store.record_success

    async def failing(feed_id: int, outcome: Any) -> Any:
        if feed_id == feeds[1].id:
            raise RuntimeError("disk on fire")
        return await record_success(feed_id, outcome)

    harness.store.record_success = failing  # type: ignore[method-assign]
    seen: list[str] = []
    reports = await harness.engine.poll_feeds(feeds, lambda r: seen.append(r.feed.url))
    assert [r.outcome for r in reports] == ["new", "error", "new"]
    assert "disk on fire" in (reports[1].error or "")
    assert sorted(seen) == sorted(urls[::2])


async def test_a_feed_that_parses_too_long_gets_an_error_and_the_rest_go_on(
    tmp_path: Path, server: FeedServer
) -> None:
    """A parse past PARSE_TIMEOUT is recorded on its feed; a good feed beside it is stored."""
    h = Harness(tmp_path, server)
    await h.open()
    slow_parser = ParserPool(1, timeout=1)
    await slow_parser.start()
    h.engine.parser = slow_parser
    try:
        # ~20,000 items: several seconds of feedparser, whatever the machine.
        slow = server.serve("/slow", rss([{"guid": str(n)} for n in range(20_000)]))
        good = server.serve("/good", rss(numbered_items(0, 2)))
        for url in (slow, good):
            await h.store.add_feed(url, h.clock(), pinned=True)
        reports = {r.feed.url: r for r in await h.engine.poll_due()}
        assert reports[good].outcome == "new"
        assert reports[slow].outcome == "error" and "PARSE_TIMEOUT" in (reports[slow].error or "")
        stored = await h.store.feed_by_url(slow)
        assert stored is not None and "PARSE_TIMEOUT" in (stored.last_error or "")
    finally:
        await slow_parser.close()
        await h.close()
