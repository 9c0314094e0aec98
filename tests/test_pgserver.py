"""The throwaway PostgreSQL server of the test session (tests/pgserver.py): it
runs, hands out fresh databases, and without PostgreSQL the tests skip (or fail
on CI) saying how to install it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from tests.pgserver import PgServer

ROOT = Path(__file__).resolve().parents[1]

_NEEDS_SERVER = """
def test_needs_postgres(pg_server):
    assert pg_server.port
"""


def _pytest_without_postgres(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a test that needs the server, in a pytest where no PostgreSQL is found."""
    test = tmp_path / "test_needs_pg.py"
    test.write_text(_NEEDS_SERVER)
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    environ.update(PG_BINDIR=str(tmp_path / "no-postgres-here"), PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.pgserver", "-p", "no:cacheprovider",
         str(test)],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path, env=environ,
    )


def test_without_postgresql_the_tests_skip_and_say_how_to_install(tmp_path: Path) -> None:
    """No initdb: the test is skipped and the summary counts it and names the package."""
    done = _pytest_without_postgres(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "1 PostgreSQL tests were skipped" in done.stdout
    assert "apt-get install postgresql" in done.stdout


def test_on_ci_a_missing_postgresql_fails_instead(tmp_path: Path) -> None:
    """With CI=true the same run fails, so CI cannot pass by skipping."""
    done = _pytest_without_postgres(tmp_path, CI="true")
    assert done.returncode != 0
    assert "apt-get install postgresql" in done.stdout
    assert "skipped" not in done.stdout


async def test_each_fresh_database_is_migrated_and_separate(pg_server: PgServer) -> None:
    """Two fresh databases are distinct, migrated, and what one holds the other lacks."""
    one, two = await pg_server.fresh_database(), await pg_server.fresh_database()
    assert one != two
    conn = await asyncpg.connect(one)
    try:
        await conn.execute(
            "INSERT INTO feeds (url, next_poll_at, created_at) VALUES ('u', 0, 0)"
        )
    finally:
        await conn.close()
    conn = await asyncpg.connect(two)
    try:
        assert await conn.fetchval("SELECT count(*) FROM feeds") == 0
        assert await conn.fetchval("SELECT version FROM schema_version") >= 1
    finally:
        await conn.close()
    await pg_server.drop(one)
    await pg_server.drop(two)
