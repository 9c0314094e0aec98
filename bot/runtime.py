"""Opening and closing the core's resources together, for the CLI and the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.feeds.engine import FeedEngine
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.settings import Settings
from bot.storage import Storage
from bot.storage.errors import DatabaseUnavailableError
from bot.storage.postgresql import PostgresStorage
from bot.storage.sqlite import SqliteStorage


@dataclass(frozen=True, slots=True)
class Core:
    settings: Settings
    store: Storage
    fetcher: Fetcher
    parser: ParserPool
    engine: FeedEngine


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[Storage]:
    try:
        settings.ensure_database_dir()
    except OSError as exc:
        raise DatabaseUnavailableError(
            f"Cannot create the folder for DATABASE_PATH {settings.database_path}:"
            f" {exc.strerror or exc}. Create it, or point DATABASE_PATH somewhere else."
        ) from None
    # The one place that picks the backend; everything else sees `Storage`.
    store: Storage
    if settings.database_url is not None:
        store = await PostgresStorage.open(settings.database_url)
    else:
        store = await SqliteStorage.open(settings.database_path)
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def open_core(settings: Settings) -> AsyncIterator[Core]:
    async with (
        open_store(settings) as store,
        Fetcher(
            allow_private=settings.feed_allow_private_networks,
            max_bytes=settings.feed_max_bytes,
            timeout=settings.feed_timeout,
        ) as fetcher,
        ParserPool(settings.parser_workers, timeout=settings.parse_timeout) as parser,
    ):
        yield Core(settings, store, fetcher, parser, FeedEngine(store, fetcher, parser, settings))
