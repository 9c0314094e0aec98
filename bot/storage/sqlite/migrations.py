"""Schema migrations, one function per step, keyed on PRAGMA user_version.

Step N brings the schema from version N-1 to N. Steps run in one transaction
each, so a crash mid-migration leaves the previous version intact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Step = Callable[[sqlite3.Connection, int], None]

_V1 = """
CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    title           TEXT,
    site_url        TEXT,
    icon_url        TEXT,
    etag            TEXT,
    last_modified   TEXT,
    body_hash       TEXT,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'broken', 'gone')),
    pinned          INTEGER NOT NULL DEFAULT 0,  -- a maintainer added it: polled unsubscribed
    error_count     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    first_error_at  INTEGER,
    last_success_at INTEGER,
    next_poll_at    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX feeds_due ON feeds (next_poll_at) WHERE status != 'gone';

CREATE TABLE guild_settings (
    guild_id           INTEGER PRIMARY KEY,
    moderator_role_id  INTEGER,
    log_channel_id     INTEGER,
    content_warnings   TEXT,     -- JSON array; NULL means the default list
    resources          TEXT,     -- NULL means the default text
    subscription_quota INTEGER,  -- NULL: the operator's GUILD_SUBSCRIPTION_QUOTA
    removed_at         INTEGER   -- the bot was removed from the guild
);

CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    feed_id         INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    name            TEXT,
    backlog         INTEGER NOT NULL DEFAULT 1,
    paused          INTEGER NOT NULL DEFAULT 0,
    paused_at       INTEGER,
    -- the newest article id when it paused: what came after "arrived while paused"
    paused_after    INTEGER,
    pause_reason    TEXT,
    include_terms   TEXT NOT NULL DEFAULT '[]',
    exclude_terms   TEXT NOT NULL DEFAULT '[]',
    mention_role_id INTEGER,
    threads         INTEGER NOT NULL DEFAULT 0,
    style           TEXT NOT NULL DEFAULT 'full' CHECK (style IN ('full', 'compact')),
    added_by        INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (channel_id, feed_id)
);
CREATE INDEX subscriptions_feed ON subscriptions (feed_id);
CREATE INDEX subscriptions_guild ON subscriptions (guild_id);

-- Which feeds a guild has ever subscribed to: search stays scoped to these
-- after a subscription is removed, and never reaches another guild's feeds.
CREATE TABLE guild_feeds (
    guild_id INTEGER NOT NULL,
    feed_id  INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    PRIMARY KEY (guild_id, feed_id)
) WITHOUT ROWID;

CREATE TABLE articles (
    id                     INTEGER PRIMARY KEY,
    feed_id                INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    key                    TEXT NOT NULL,
    link                   TEXT,
    title                  TEXT NOT NULL,
    summary                TEXT NOT NULL,
    content                TEXT NOT NULL,
    author                 TEXT,
    published_at           INTEGER NOT NULL,
    updated_at             INTEGER,
    has_date               INTEGER NOT NULL,
    image_url              TEXT,
    categories             TEXT NOT NULL DEFAULT '[]',
    comments_url           TEXT,
    comments_feed_url      TEXT,
    comment_count          INTEGER,
    content_hash           TEXT NOT NULL,
    hash_changes           INTEGER NOT NULL DEFAULT 0,
    revision               INTEGER NOT NULL DEFAULT 1,
    first_seen_at          INTEGER NOT NULL,
    comments_etag          TEXT,
    comments_last_modified TEXT,
    comments_next_poll_at  INTEGER,
    UNIQUE (feed_id, key)
);
CREATE INDEX articles_feed_published ON articles (feed_id, published_at DESC);
CREATE INDEX articles_published ON articles (published_at DESC);
CREATE INDEX articles_link ON articles (link);
CREATE INDEX articles_comments_due ON articles (comments_next_poll_at)
    WHERE comments_feed_url IS NOT NULL;

CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, summary, content,
    content = 'articles', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary, content)
    VALUES (new.id, new.title, new.summary, new.content);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary, content)
    VALUES ('delete', old.id, old.title, old.summary, old.content);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, content ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary, content)
    VALUES ('delete', old.id, old.title, old.summary, old.content);
    INSERT INTO articles_fts (rowid, title, summary, content)
    VALUES (new.id, new.title, new.summary, new.content);
END;

CREATE TABLE comments (
    id           INTEGER PRIMARY KEY,
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    author       TEXT,
    published_at INTEGER,
    text         TEXT NOT NULL,
    link         TEXT,
    content_hash TEXT NOT NULL,
    UNIQUE (article_id, key)
);

CREATE VIRTUAL TABLE comments_fts USING fts5 (
    text, content = 'comments', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments BEGIN
    INSERT INTO comments_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments BEGIN
    INSERT INTO comments_fts (comments_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER comments_fts_update AFTER UPDATE OF text ON comments BEGIN
    INSERT INTO comments_fts (comments_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO comments_fts (rowid, text) VALUES (new.id, new.text);
END;

-- The outbox: one row per (subscription, article); the Discord side sends them.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    article_id      INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'skipped', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    message_id      INTEGER,
    thread_id       INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    -- this many older articles of the same batch were not posted (catch-up cap):
    -- the worker posts a one-line note about them with this delivery
    note_skipped    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (subscription_id, article_id)
);
CREATE INDEX deliveries_pending ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_article ON deliveries (article_id);

-- The Discord thread where a guild discusses an article.
CREATE TABLE discussions (
    guild_id         INTEGER NOT NULL,
    article_id       INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    channel_id       INTEGER NOT NULL,
    thread_id        INTEGER NOT NULL,
    message_count    INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (guild_id, article_id)
);
CREATE INDEX discussions_thread ON discussions (thread_id);

-- Where members linked a stored article (never the message text).
CREATE TABLE link_mentions (
    guild_id   INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, article_id, message_id)
) WITHOUT ROWID;

-- Moderator notices already sent, so each problem is reported once.
CREATE TABLE notices (
    guild_id   INTEGER NOT NULL,
    key        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, key)
) WITHOUT ROWID;
"""


def _script(sql: str) -> Step:
    def step(db: sqlite3.Connection, version: int) -> None:
        db.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")

    return step


# Step 2 (search): a covering index so the scope/date check of every FTS match
# reads a small index entry instead of the whole article row (the search queries
# name it with INDEXED BY), and a small title-only FTS index with prefix indexes
# for autocomplete (not stemmed: people type the start of the word they see).
_V2 = """
CREATE INDEX articles_search ON articles (id, feed_id, published_at);

CREATE VIRTUAL TABLE titles_fts USING fts5 (
    title,
    content = 'articles', content_rowid = 'id',
    prefix = '2 3 4',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER titles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO titles_fts (rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER titles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO titles_fts (titles_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER titles_fts_update AFTER UPDATE OF title ON articles BEGIN
    INSERT INTO titles_fts (titles_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO titles_fts (rowid, title) VALUES (new.id, new.title);
END;
INSERT INTO titles_fts (titles_fts) VALUES ('rebuild');
"""

MIGRATIONS: tuple[Step, ...] = (_script(_V1), _script(_V2))
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> tuple[int, int]:
    """Bring `db` to SCHEMA_VERSION. Returns (version before, version after)."""
    (before,) = db.execute("PRAGMA user_version").fetchone()
    if before > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {before} is newer than this Lantern ({SCHEMA_VERSION});"
            " upgrade Lantern"
        )
    for version in range(before + 1, SCHEMA_VERSION + 1):
        # executescript() commits first, so the step's script is wrapped in its
        # own BEGIN ... COMMIT together with the version bump.
        try:
            MIGRATIONS[version - 1](db, version)
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    return before, SCHEMA_VERSION
