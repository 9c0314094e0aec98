"""Upgrades: a database from every earlier schema version opens, migrates to the
current one, and still holds its records (fixtures: tests/data/schema/)."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.models import DeliveryStatus, FeedStatus, PostStyle
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.migrations import SCHEMA_VERSION

from .records import art, ok

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schema"
T = datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_there_is_a_fixture_for_every_schema_version() -> None:
    """Adding a migration means adding its fixture (make_fixtures.py)."""
    assert sorted(p.name for p in SCHEMAS.glob("v*.db")) == sorted(
        f"v{n}.db" for n in range(1, SCHEMA_VERSION + 1)
    )


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION + 1))
async def test_an_older_database_upgrades_with_its_data(version: int, tmp_path: Path) -> None:
    """Open vN.db, migrate to current, find every record intact and usable."""
    path = tmp_path / "lantern.db"
    shutil.copy(SCHEMAS / f"v{version}.db", path)
    store = await SqliteStorage.open(path)
    try:
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.close()
        feed = await store.get_feed(1)
        assert feed is not None and feed.title == "Recovery Daily" and feed.etag == '"e1"'
        pinned = await store.get_feed(2)
        assert pinned is not None and pinned.status is FeedStatus.BROKEN
        assert await store.count_articles() == 3
        (sub,) = await store.guild_subscriptions(100)
        assert sub.style is PostStyle.COMPACT and sub.include == ("naloxone",) and sub.threads
        settings = await store.guild_settings(100)
        assert settings.content_warnings == ("relapse",) and settings.subscription_quota == 20
        sent = await store.sent_in_guild(100, [1])
        assert sent[1].message_id == 555 and sent[1].status is DeliveryStatus.SENT
        assert [d.article_id for d in await store.due_deliveries(T)] == [2]
        assert await store.count_comments(1) == 1
        discussion = await store.discussion(100, 1)
        assert discussion is not None and discussion.message_count == 4
        assert [m.message_id for m in await store.link_mentions_for(100, 2)] == [901]
        assert not await store.remember_notice(100, "feed:2:broken", T)
        # the indexes work on old rows, and new writes go through the new schema
        titles = await store.autocomplete_titles("nalox", None)
        assert [t.article_id for t in titles] == [1]
        new = await store.record_success(1, ok(art(9, title="Naloxone again")))
        assert len(new.new_ids) == 1
        assert len(await store.deliveries_for_article(new.new_ids[0])) == 1
    finally:
        await store.close()
