"""Build the schema fixtures: vN.db is a small database at schema version N
holding one of everything, written the way Lantern N wrote it.

    python tests/data/schema/make_fixtures.py

Run it when a migration is added (it writes the new version's file; the older
files must not change, since released steps never change). The data is plain
SQL valid since version 1, so every fixture holds the same records, and
tests/storage_contract/test_upgrades.py checks them after upgrading.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from bot.storage.sqlite.migrations import MIGRATIONS  # noqa: E402

HERE = Path(__file__).resolve().parent
T = 1714564800  # 2024-05-01 12:00 UTC

DATA = f"""
INSERT INTO feeds (id, url, title, status, pinned, error_count, last_success_at,
                   next_poll_at, created_at, etag)
VALUES (1, 'https://example.org/feed', 'Recovery Daily', 'active', 0, 0, {T}, {T + 600}, {T},
        '"e1"'),
       (2, 'https://example.org/pinned', NULL, 'broken', 1, 3, NULL, {T + 60}, {T}, NULL);
INSERT INTO guild_settings (guild_id, moderator_role_id, content_warnings, subscription_quota)
VALUES (100, 7, '["relapse"]', 20);
INSERT INTO subscriptions (id, guild_id, channel_id, feed_id, name, backlog, include_terms,
                           style, threads, created_at)
VALUES (1, 100, 10, 1, 'Daily', 2, '["naloxone"]', 'compact', 1, {T});
INSERT INTO guild_feeds (guild_id, feed_id) VALUES (100, 1);
INSERT INTO articles (id, feed_id, key, link, title, summary, content, author, published_at,
                      has_date, categories, content_hash, first_seen_at, comments_feed_url,
                      comments_next_poll_at)
VALUES (1, 1, 'guid-1', 'https://example.org/1', 'Naloxone saves lives', 'Carry it.', '',
        'Sam', {T - 7200}, 1, '["harm reduction"]', 'h1', {T}, 'https://example.org/1/feed', {T}),
       (2, 1, 'guid-2', 'https://example.org/2', 'Meetings near you', 'A list.', 'Full text',
        NULL, {T - 3600}, 1, '[]', 'h2', {T}, NULL, NULL),
       (3, 2, 'guid-3', NULL, 'Pinned news', 'Short.', '', NULL, {T}, 0, '[]', 'h3', {T},
        NULL, NULL);
INSERT INTO comments (article_id, key, author, published_at, text, content_hash)
VALUES (1, 'c1', 'Reader', {T}, 'Thank you for this', 'ch1');
INSERT INTO deliveries (subscription_id, article_id, status, attempts, next_attempt_at,
                        message_id, created_at, sent_at)
VALUES (1, 1, 'sent', 1, {T}, 555, {T}, {T}),
       (1, 2, 'pending', 0, {T}, NULL, {T}, NULL);
INSERT INTO discussions (guild_id, article_id, channel_id, thread_id, message_count,
                         created_at)
VALUES (100, 1, 10, 900, 4, {T});
INSERT INTO link_mentions (guild_id, article_id, channel_id, message_id, created_at)
VALUES (100, 2, 10, 901, {T});
INSERT INTO notices (guild_id, key, created_at) VALUES (100, 'feed:2:broken', {T});
"""


def build(version: int) -> Path:
    path = HERE / f"v{version}.db"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA page_size = 1024")  # small files: mostly one page per table
        for n, step in enumerate(MIGRATIONS[:version], start=1):
            step(db, n)
        db.executescript(f"BEGIN;\n{DATA}\nCOMMIT;")
        db.execute("VACUUM")
    finally:
        db.close()
    return path


if __name__ == "__main__":
    for version in range(1, len(MIGRATIONS) + 1):
        if not (HERE / f"v{version}.db").exists() or "--all" in sys.argv:
            print(build(version))
