"""Several processes on one database: writers wait for each other, a locked
database is retried as a whole transaction, nothing is lost, and closing
never hangs."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from bot.storage import Storage
from bot.storage.errors import DatabaseBusyError

from .conftest import Backend
from .records import T0, art, ok


async def test_a_writer_waits_for_another_process_and_loses_nothing(
    backend: Backend, store: Storage
) -> None:
    """Another process holds the write lock for 3 s: our write waits, both land."""
    async with backend.write_lock_held(3.0, "https://example.org/theirs"):
        mine = await store.add_feed("https://example.org/mine", T0, pinned=True)
    assert await store.feed_by_url("https://example.org/theirs") is not None
    assert await store.get_feed(mine.id) is not None


async def test_a_transaction_runs_again_when_the_lock_outlasts_one_wait(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    """A lock held past one busy wait is survived by running the write again."""
    store = await backend.open(busy_timeout=0.5)
    try:
        feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
        with caplog.at_level(logging.INFO, logger="bot.storage"):
            async with backend.write_lock_held(1.2, "https://example.org/theirs"):
                result = await store.record_success(feed.id, ok(art(1), art(2)))
        assert len(result.new_ids) == 2
        assert any("runs again" in r.getMessage() for r in caplog.records)
        assert await store.count_articles() == 2
    finally:
        await store.close()


async def test_a_lock_held_past_every_retry_is_a_busy_error(backend: Backend) -> None:
    """Still locked after every retry: DatabaseBusyError, nothing half-written."""
    store = await backend.open(busy_timeout=0.2)
    try:
        feed = await store.add_feed("https://example.org/feed", T0, pinned=True)
        async with backend.write_lock_held(6.0, "https://example.org/theirs"):
            with pytest.raises(DatabaseBusyError, match="locked by another process"):
                await store.record_success(feed.id, ok(art(1), etag='"new"'))
        stored = await store.get_feed(feed.id)
        assert stored is not None and stored.etag is None
        assert await store.count_articles() == 0
        assert len((await store.record_success(feed.id, ok(art(1)))).new_ids) == 1
    finally:
        await store.close()


async def test_two_stores_writing_at_once_lose_nothing(backend: Backend) -> None:
    """Two connections interleaving many writes: every one of them lands."""
    one, two = await backend.open(), await backend.open()
    try:
        feed = await one.add_feed("https://example.org/feed", T0)
        await one.add_subscription(guild_id=1, channel_id=10, feed_id=feed.id, now=T0)

        async def writer(store: Storage, base: int) -> None:
            for n in range(base, base + 20):
                await store.record_success(feed.id, ok(art(n)))
                await store.add_feed(f"https://example.org/{n}", T0)

        await asyncio.gather(writer(one, 0), writer(two, 100))
        assert await two.count_articles() == 40
        assert len(await one.list_feeds()) == 41
        assert len(await one.due_deliveries(T0, limit=100)) == 40
    finally:
        await one.close()
        await two.close()


async def test_close_never_waits_for_another_process(backend: Backend) -> None:
    """Closing while another process holds the write lock returns, threads end."""
    before = set(threading.enumerate())
    store = await backend.open()
    await store.add_feed("https://example.org/feed", T0, pinned=True)
    async with backend.write_lock_held(4.0, "https://example.org/theirs"):
        # generous bound: it detects a hang, it does not measure speed
        await asyncio.wait_for(store.close(), timeout=3.0)
        # A live non-daemon thread would keep the process running (asyncio's own
        # executor threads end with the loop, so they are not counted).
        started = [
            t
            for t in set(threading.enumerate()) - before
            if not t.daemon and not t.name.startswith("asyncio_")
        ]
        for t in started:
            t.join(5.0)
        assert [t for t in started if t.is_alive()] == []
    await store.close()  # twice is harmless
