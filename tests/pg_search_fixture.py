"""A throwaway PostgreSQL 15 for the search tests, and the rows they search.

STAND-IN: `STANDIN_SCHEMA` is a minimal copy of the base tables search reads,
written before the PostgreSQL backend's migrations existed. At merge, replace
it with the real migrations (they call `search_ddl()` themselves).

The server starts once per test session (about two seconds) in a temporary
folder, as the `postgres` user when the tests run as root (the server refuses
root), and stops at the end even when tests fail. Each test gets a fresh
database copied from a template that already holds the schema.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.storage.postgresql.search_schema import search_ddl
from tests.pg_search_rows import TEMPLATE, fresh_pool

BIN = Path("/usr/lib/postgresql/15/bin")
USER = "lantern"

# STAND-IN for the real PostgreSQL migrations (same tables and column names as
# the SQLite schema, BIGINT ids, timestamptz times); only what search reads.
STANDIN_SCHEMA = [
    """CREATE TABLE feeds (
        id BIGSERIAL PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        title TEXT
    )""",
    """CREATE TABLE guild_feeds (
        guild_id BIGINT NOT NULL,
        feed_id BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
        PRIMARY KEY (guild_id, feed_id)
    )""",
    """CREATE TABLE articles (
        id BIGSERIAL PRIMARY KEY,
        feed_id BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        link TEXT,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        content TEXT NOT NULL,
        author TEXT,
        published_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ,
        has_date BOOLEAN NOT NULL DEFAULT TRUE,
        image_url TEXT,
        categories TEXT NOT NULL DEFAULT '[]',
        comments_url TEXT,
        comments_feed_url TEXT,
        comment_count INTEGER,
        content_hash TEXT NOT NULL DEFAULT '',
        revision INTEGER NOT NULL DEFAULT 1,
        first_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (feed_id, key)
    )""",
    "CREATE INDEX articles_feed_published ON articles (feed_id, published_at DESC)",
    "CREATE INDEX articles_published ON articles (published_at DESC)",
    "CREATE INDEX articles_link ON articles (link)",
    """CREATE TABLE comments (
        id BIGSERIAL PRIMARY KEY,
        article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        author TEXT,
        published_at TIMESTAMPTZ,
        text TEXT NOT NULL,
        link TEXT,
        content_hash TEXT NOT NULL DEFAULT '',
        UNIQUE (article_id, key)
    )""",
]


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int

    def dsn(self, database: str) -> str:
        return f"postgresql://{USER}@{self.host}:{self.port}/{database}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    # The server refuses to run as root: run its tools as the postgres user.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _psql(server: PgServer, database: str, script: str) -> None:
    # psql, not asyncpg: this fixture may be set up while an event loop runs.
    subprocess.run(
        [str(BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", server.dsn(database)],
        input=script,
        text=True,
        check=True,
        capture_output=True,
    )


def _make_template(server: PgServer) -> None:
    _psql(server, "postgres", f"CREATE DATABASE {TEMPLATE};")
    _psql(server, TEMPLATE, "".join(f"{sql};\n" for sql in [*STANDIN_SCHEMA, *search_ddl()]))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL 15 server on 127.0.0.1 for this session (skipped if absent)."""
    if not (BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 is not installed")
    folder = Path(tempfile.mkdtemp(prefix="lantern-pg-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, log = folder / "data", folder / "log"
    port = _free_port()
    started = False
    try:
        subprocess.run(
            _as_postgres([str(BIN / "initdb"), "-D", str(data), "-U", USER, "--auth=trust"]),
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres(
                [str(BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]
            ),
            check=True,
            capture_output=True,
        )
        started = True
        server = PgServer("127.0.0.1", port)
        _make_template(server)
        yield server
    finally:
        if started:
            stop = [str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            subprocess.run(
                _as_postgres(stop),
                check=False,
                capture_output=True,
            )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def pg_pool(pg_server: PgServer) -> AsyncIterator[Any]:
    """An asyncpg pool on a fresh database holding the stand-in schema + search DDL."""
    async with fresh_pool(pg_server.dsn) as pool:
        yield pool
