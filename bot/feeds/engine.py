"""The feed engine: poll feeds and their comment feeds, store what changed,
and tell listeners. It never talks to Discord.

State lives in storage (next poll time, caching info, error runs), so a
restart picks up where the last run stopped: nothing is fetched early and
nothing already stored is announced again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from bot.clock import utcnow
from bot.errors import FetchError, FetchErrorKind, LanternError, NotAFeedError
from bot.feeds.fetch import Fetcher, FetchResult
from bot.feeds.parse import ParserPool
from bot.feeds.urls import redact_url
from bot.models import Feed, FeedEvent, FeedEventKind, FeedStatus, ParsedFeed
from bot.settings import Settings
from bot.storage import FailureOutcome, FeedMeta, Storage, SuccessOutcome

log = logging.getLogger(__name__)

MAX_BACKOFF = 24 * 3600  # a failing feed is still tried at least daily
MAX_DEFERRAL = 24 * 3600  # Retry-After / max-age / ttl never push a poll further than this


class PollOutcome(StrEnum):
    NEW = "new"  # new articles stored
    UPDATED = "updated"  # stored articles changed
    UNCHANGED = "unchanged"  # fetched and parsed (or the same bytes): nothing changed
    NOT_MODIFIED = "not_modified"  # the server said 304
    ERROR = "error"
    GONE = "gone"  # 410: retired for good


@dataclass(frozen=True, slots=True)
class PollReport:
    feed: Feed
    outcome: PollOutcome
    new: int = 0
    updated: int = 0
    error: str | None = None
    seconds: float = 0.0
    skipped: int = 0  # items past FEED_MAX_ITEMS, not stored


@dataclass(frozen=True, slots=True)
class Discovered:
    """A URL checked by `discover`: the feed URL to store and what it holds now."""

    url: str
    result: FetchResult
    parsed: ParsedFeed  # at most FEED_MAX_ITEMS articles, the newest
    skipped: int = 0  # articles left out by that cap


@dataclass(frozen=True, slots=True)
class Added:
    feed: Feed
    found: Discovered
    new_articles: int


class FeedEngine:
    def __init__(
        self,
        store: Storage,
        fetcher: Fetcher,
        parser: ParserPool,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.parser = parser
        self.settings = settings
        self.clock = clock
        self._rng = rng or random.Random()
        self._listeners: list[Callable[[FeedEvent], None]] = []
        self._global = asyncio.Semaphore(settings.feed_concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.feed_host_concurrency)
        )
        self._wake = asyncio.Event()

    # -- events ----------------------------------------------------------------------

    def subscribe(self, listener: Callable[[FeedEvent], None]) -> None:
        """Call `listener` with every FeedEvent; it must not block."""
        self._listeners.append(listener)

    def _emit(self, event: FeedEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("feed event listener failed")

    def wake(self) -> None:
        """Something became due earlier than planned (a feed was added)."""
        self._wake.set()

    # -- scheduling arithmetic ---------------------------------------------------------

    def _jittered(self, seconds: float) -> float:
        return seconds * self._rng.uniform(0.85, 1.15)

    def _next_after_success(self, now: datetime, floor: float | None) -> datetime:
        wait = self._jittered(self.settings.feed_poll_interval)
        if floor:
            wait = max(wait, min(floor, MAX_DEFERRAL))
        return now + timedelta(seconds=wait)

    def _next_after_failure(self, now: datetime, errors: int, floor: float | None) -> datetime:
        base = self.settings.feed_poll_interval * 2 ** min(errors, 10)
        wait = self._jittered(min(base, MAX_BACKOFF))
        if floor:
            wait = max(wait, min(floor, MAX_DEFERRAL))
        return now + timedelta(seconds=wait)

    # -- one feed ----------------------------------------------------------------------

    async def discover(self, url: str, *, follow_alternates: bool = True) -> Discovered:
        """Fetch `url` once under the usual rules and make sure it is a feed. A site's
        HTML page is followed to the feed it advertises (or, without
        `follow_alternates`, refused with NotAFeedError listing those feeds)."""
        result = await self.fetcher.fetch(url)
        try:
            parsed, skipped = await self._parse(result)
        except NotAFeedError as exc:
            if not exc.alternates or not follow_alternates:
                raise
            result = await self.fetcher.fetch(exc.alternates[0])
            parsed, skipped = await self._parse(result)
        return Discovered(result.url, result, parsed, skipped)

    async def add(
        self, url: str, *, pinned: bool = False, follow_alternates: bool = True
    ) -> Added:
        """Check `url` (see `discover`), store the feed and the articles it holds now.
        Already stored articles are not new again; subscriptions decide what to post."""
        found = await self.discover(url, follow_alternates=follow_alternates)
        now = self.clock()
        feed = await self.store.add_feed(found.url, now, pinned=pinned)
        ingest = await self.store.record_success(
            feed.id,
            SuccessOutcome(
                now=now,
                next_poll_at=self._next_after_success(now, found.result.min_next_poll),
                etag=found.result.etag,
                last_modified=found.result.last_modified,
                body_hash=None,  # the next poll parses again: cheap, and catches up on metadata
                meta=FeedMeta(found.parsed.title, found.parsed.site_url, found.parsed.icon_url),
                articles=found.parsed.articles,
            ),
        )
        stored = await self.store.get_feed(feed.id)
        return Added(stored or feed, found, len(ingest.new_ids))

    async def _parse(self, result: FetchResult) -> tuple[ParsedFeed, int]:
        """The feed's newest FEED_MAX_ITEMS articles, and how many more it had: a
        feed that rotates its GUIDs must not store (nor hold the write lock for)
        100,000 articles a poll."""
        assert result.body is not None
        parsed, skipped = await self.parser.parse_feed_newest(
            result.body,
            dict(result.headers),
            result.url,
            self.clock(),
            self.settings.feed_max_items,
        )
        if skipped:
            log.info(
                "%s: stored the newest %d of %d items (FEED_MAX_ITEMS)",
                redact_url(result.url),
                len(parsed.articles),
                len(parsed.articles) + skipped,
            )
        return parsed, skipped

    async def poll_feed(self, feed: Feed) -> PollReport:
        """Fetch, parse and store one feed. Errors are recorded on the feed, never raised."""
        started = time.perf_counter()
        # The global limit covers the whole poll (it bounds the bodies held in
        # memory and the parser's queue); the per-host one only the request, so
        # parsing and storing one feed never keeps its host's next feed waiting.
        async with self._global:
            report = await self._poll(feed)
        return dataclasses.replace(report, seconds=time.perf_counter() - started)

    async def _poll(self, feed: Feed) -> PollReport:
        now = self.clock()
        host = urlsplit(feed.url).hostname or ""
        try:
            async with self._hosts[host]:
                result = await self.fetcher.fetch(
                    feed.url, etag=feed.etag, last_modified=feed.last_modified
                )
            if result.not_modified or result.body is None:
                return await self._store_unchanged(feed, now, result, PollOutcome.NOT_MODIFIED)
            body_hash = hashlib.sha256(result.body).hexdigest()
            if body_hash == feed.body_hash:
                return await self._store_unchanged(feed, now, result, PollOutcome.UNCHANGED)
            parsed, skipped = await self._parse(result)
        except LanternError as exc:  # fetch errors, non-feeds, a parser worker dying
            return await self._store_failure(feed, now, exc)

        floor = result.min_next_poll
        if parsed.ttl_minutes:
            floor = max(floor or 0, parsed.ttl_minutes * 60)
        ingest = await self.store.record_success(
            feed.id,
            SuccessOutcome(
                now=now,
                next_poll_at=self._next_after_success(now, floor),
                etag=result.etag,
                last_modified=result.last_modified,
                body_hash=body_hash,
                meta=FeedMeta(parsed.title, parsed.site_url, parsed.icon_url),
                articles=parsed.articles,
                new_url=result.permanent_url,
            ),
        )
        if ingest.recovered:
            self._emit(FeedEvent(FeedEventKind.RECOVERED, feed.id))
        if ingest.new_ids or ingest.updated_ids:
            self._emit(FeedEvent(FeedEventKind.ARTICLES, feed.id, ingest.new_ids))
        if ingest.updated_ids:
            self._emit(FeedEvent(FeedEventKind.UPDATED, feed.id, ingest.updated_ids))
        outcome = (
            PollOutcome.NEW
            if ingest.new_ids
            else PollOutcome.UPDATED
            if ingest.updated_ids
            else PollOutcome.UNCHANGED
        )
        return PollReport(
            feed, outcome, len(ingest.new_ids), len(ingest.updated_ids), skipped=skipped
        )

    async def _store_unchanged(
        self, feed: Feed, now: datetime, result: FetchResult, outcome: PollOutcome
    ) -> PollReport:
        ingest = await self.store.record_success(
            feed.id,
            SuccessOutcome(
                now=now,
                next_poll_at=self._next_after_success(now, result.min_next_poll),
                etag=result.etag or feed.etag,
                last_modified=result.last_modified or feed.last_modified,
                body_hash=feed.body_hash,
                new_url=result.permanent_url,
            ),
        )
        if ingest.recovered:
            self._emit(FeedEvent(FeedEventKind.RECOVERED, feed.id))
        return PollReport(feed, outcome)

    async def _store_failure(self, feed: Feed, now: datetime, exc: LanternError) -> PollReport:
        gone = isinstance(exc, FetchError) and exc.kind == FetchErrorKind.GONE
        floor = getattr(exc, "retry_after", None)
        message = str(exc) or type(exc).__name__
        log.info("feed %s failed: %s", feed.id, message)
        updated = await self.store.record_failure(
            feed.id,
            FailureOutcome(
                now=now,
                next_poll_at=self._next_after_failure(now, feed.error_count + 1, floor),
                error=message,
                broken_after=self.settings.feed_broken_after,
                gone=gone,
            ),
        )
        if updated is not None and updated.status != feed.status:
            if updated.status == FeedStatus.GONE:
                self._emit(FeedEvent(FeedEventKind.GONE, feed.id, message=message))
            elif updated.status == FeedStatus.BROKEN:
                self._emit(FeedEvent(FeedEventKind.BROKEN, feed.id, message=message))
        outcome = PollOutcome.GONE if gone else PollOutcome.ERROR
        return PollReport(updated or feed, outcome, error=message)

    # -- comments ----------------------------------------------------------------------

    async def poll_comments_due(self, limit: int = 50) -> int:
        """Poll the comment feeds of recent articles that are due. Returns new comments."""
        if self.settings.comments_max_age_days <= 0:
            return 0
        now = self.clock()
        since = now - timedelta(days=self.settings.comments_max_age_days)
        due = await self.store.comment_polls_due(now, since, limit)
        counts = await asyncio.gather(
            *(self._poll_comments(a.id, a.comments_feed_url) for a in due)
        )
        return sum(counts)

    async def _poll_comments(self, article_id: int, url: str | None) -> int:
        assert url is not None
        now = self.clock()
        interval = self.settings.comments_poll_interval
        host = urlsplit(url).hostname or ""
        etag, last_modified = await self.store.comments_cache(article_id)
        async with self._global:
            try:
                async with self._hosts[host]:
                    result = await self.fetcher.fetch(url, etag=etag, last_modified=last_modified)
                comments = None
                if not result.not_modified and result.body is not None:
                    comments, skipped = await self.parser.parse_comments_newest(
                        result.body,
                        dict(result.headers),
                        result.url,
                        now,
                        self.settings.feed_max_items,
                    )
                    if skipped:
                        log.info(
                            "comments of article %s: stored the newest %d of %d (FEED_MAX_ITEMS)",
                            article_id,
                            len(comments),
                            len(comments) + skipped,
                        )
            except LanternError as exc:
                log.debug("comments feed of article %s failed: %s", article_id, exc)
                return await self.store.record_comments(
                    article_id, None, next_poll_at=now + timedelta(seconds=interval * 4)
                )
        return await self.store.record_comments(
            article_id,
            comments,
            next_poll_at=now + timedelta(seconds=self._jittered(interval)),
            etag=result.etag,
            last_modified=result.last_modified,
        )

    # -- many feeds --------------------------------------------------------------------

    async def poll_due(
        self,
        *,
        all_: bool = False,
        progress: Callable[[PollReport], None] | None = None,
    ) -> list[PollReport]:
        """Poll every feed due now (or every live feed with `all_`), concurrently
        within the global and per-host limits."""
        feeds = await self.store.due_feeds(self.clock(), limit=1_000_000, all_=all_)
        return await self.poll_feeds(feeds, progress)

    async def poll_feeds(
        self, feeds: Sequence[Feed], progress: Callable[[PollReport], None] | None
    ) -> list[PollReport]:
        async def one(feed: Feed) -> PollReport:
            report = await self.poll_feed(feed)
            if progress is not None:
                try:
                    progress(report)
                except Exception:
                    log.exception("poll progress callback failed")
            return report

        # poll_feed records feed errors itself; what escapes is storage or a
        # bug, and it must not take the other feeds' reports down with it.
        results = await asyncio.gather(*(one(f) for f in feeds), return_exceptions=True)
        reports: list[PollReport] = []
        for feed, result in zip(feeds, results, strict=True):
            if isinstance(result, PollReport):
                reports.append(result)
            elif isinstance(result, Exception):
                log.error("poll of feed %s crashed", feed.id, exc_info=result)
                error = f"Lantern could not poll it ({type(result).__name__}: {result})"
                reports.append(PollReport(feed, PollOutcome.ERROR, error=error))
            else:
                raise result  # cancelled (or interrupted): not a report
        return reports

    async def run(self, stop: asyncio.Event) -> None:
        """Poll forever until `stop` is set: each feed when it is due, never two
        polls of one feed at once, comments on their slower schedule."""
        inflight: dict[int, asyncio.Task[PollReport]] = {}
        comments: asyncio.Task[int] | None = None
        try:
            while not stop.is_set():
                now = self.clock()
                batch = self.settings.feed_concurrency * 4
                for feed in await self.store.due_feeds(now, limit=batch + len(inflight)):
                    if feed.id not in inflight and len(inflight) < batch:
                        inflight[feed.id] = asyncio.create_task(self.poll_feed(feed))
                if comments is None or comments.done():
                    comments = asyncio.create_task(self.poll_comments_due())
                await self._sleep(stop, inflight)
                for feed_id, task in list(inflight.items()):
                    if task.done():
                        del inflight[feed_id]
                        if not task.cancelled() and (exc := task.exception()) is not None:
                            log.error("poll of feed %s crashed", feed_id, exc_info=exc)
        finally:
            pending: list[asyncio.Task[Any]] = [
                *inflight.values(),
                *([comments] if comments else []),
            ]
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _sleep(
        self, stop: asyncio.Event, inflight: dict[int, asyncio.Task[PollReport]]
    ) -> None:
        next_due = await self.store.next_poll_time(exclude=list(inflight))
        timeout = 30.0
        if next_due is not None:
            timeout = min(timeout, max(0.05, (next_due - self.clock()).total_seconds()))
        self._wake.clear()
        signals = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(
                [*signals, *inflight.values()], timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for w in signals:
                w.cancel()
            await asyncio.gather(*signals, return_exceptions=True)
