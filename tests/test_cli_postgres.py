"""The CLI on PostgreSQL, as real processes: DATABASE_URL picks the backend,
`lantern db migrate` + `feeds add` + `feeds list` work against the session's
throwaway server, and a wrong DATABASE_URL is one line naming the setting with
the password nowhere in the output."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.postgresql.migrations import SCHEMA_VERSION
from tests.feedserver import FeedServer, numbered_items, rss
from tests.pgserver import PgServer
from tests.test_cli import Cli
from tests.test_cli_process import failed_with_one_line

SECRET = "Pa55-w0rd-never-shown"


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    s = await FeedServer().start()
    yield s
    await s.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize("command", [("feeds", "list"), ("db", "migrate")])
async def test_an_unreachable_database_url_is_one_line(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """Nothing listens at DATABASE_URL: one line naming it, exit 1, no password."""
    url = f"postgresql://lantern:{SECRET}@127.0.0.1:{_closed_port()}/lantern"
    r = await Cli(tmp_path, DATABASE_URL=url)(*command)
    line = failed_with_one_line(r, 1, "DATABASE_URL")
    assert SECRET not in r.out + r.err, line
    assert not (tmp_path / "data").exists()  # SQLite's folder is not made for nothing


async def test_a_database_url_of_another_kind_is_a_usage_error(tmp_path: Path) -> None:
    """A mysql:// URL stops start-up with the settings' exit code, password hidden."""
    r = await Cli(tmp_path, DATABASE_URL=f"mysql://root:{SECRET}@db/lantern")("feeds", "list")
    failed_with_one_line(r, 2, "DATABASE_URL", "postgresql://")
    assert SECRET not in r.out + r.err


async def test_migrate_add_and_list_on_postgresql(
    tmp_path: Path, server: FeedServer, pg_server: PgServer
) -> None:
    """db migrate creates the schema, feeds add stores articles, feeds list shows them."""
    database = await pg_server.empty_database()
    url = database.replace("lantern@", f"lantern:{SECRET}@")  # trust auth ignores it
    cli = Cli(tmp_path, DATABASE_URL=url)
    r = await cli("db", "migrate")
    assert r.code == 0, r.err
    assert f"migrated schema from version 0 to {SCHEMA_VERSION}" in r.out
    r = await cli("db", "migrate")
    assert r.code == 0 and f"schema is current (version {SCHEMA_VERSION})" in r.out

    server.serve("/feed/", rss(numbered_items(0, 3), title="Sober Blog"))
    r = await cli("feeds", "add", server.url("/feed/"))
    assert r.code == 0, r.err
    assert "Added 'Sober Blog': 3 new articles stored." in r.out
    r = await cli("feeds", "list")
    assert r.code == 0 and "Sober Blog" in r.out and "active" in r.out
    assert SECRET not in r.out + r.err
    assert not (tmp_path / "data").exists()  # nothing went to SQLite
    await pg_server.drop(database)
