"""A throwaway PostgreSQL server for the test session.

`pg_server` (session-scoped) runs initdb in a temporary folder, starts the
server on 127.0.0.1 with a free port (its socket in that folder too), and stops
it and deletes the folder at the end, even when tests fail. PostgreSQL refuses
to run as root, so as root the folder is handed to the `postgres` user and the
server runs as that user (`runuser`).

Each test gets its own database, copied from a migrated template (copying is
much faster than migrating again). Without PostgreSQL binaries the tests that
need a server are skipped with a reason saying how to install it, counted in
the summary; with CI=true they fail instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

SKIP_REASON = (
    "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): install it"
    " with `apt-get install postgresql` to run the PostgreSQL tests"
)
TEMPLATE = "lantern_template"
USER = "lantern"


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin holding initdb (or PG_BINDIR)."""
    if os.environ.get("PG_BINDIR"):
        found = Path(os.environ["PG_BINDIR"])
        return found if (found / "initdb").exists() else None
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PgServer:
    """One running server; `fresh_database()` gives each test its own database."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self._numbers = itertools.count(1)
        self._template_ready = False

    def _run(self, *argv: str) -> None:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:  # the server refuses root: run it as `postgres`
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr[-2000:]}")

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C.UTF-8")
        # Durability is not what these tests are about; speed is.
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        who = USER if password is None else f"{USER}:{password}"
        return f"postgresql://{who}@127.0.0.1:{self.port}/{database}"

    async def admin(self) -> asyncpg.Connection:
        """A connection to the maintenance database (for CREATE/ALTER DATABASE)."""
        return await asyncpg.connect(self.url())

    async def fresh_database(self) -> str:
        """The URL of a new, migrated, empty database."""
        from bot.storage.postgresql import PostgresStorage

        if not self._template_ready:
            conn = await self.admin()
            try:
                await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
                await conn.execute(f"CREATE DATABASE {TEMPLATE}")
            finally:
                await conn.close()
            await PostgresStorage.migrate_url(self.url(TEMPLATE))
            self._template_ready = True
        name = f"t{next(self._numbers)}"
        conn = await self.admin()
        try:
            await conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        finally:
            await conn.close()
        return self.url(name)

    async def empty_database(self) -> str:
        """The URL of a new database with no schema at all."""
        name = f"e{next(self._numbers)}"
        conn = await self.admin()
        try:
            await conn.execute(f"CREATE DATABASE {name}")
        finally:
            await conn.close()
        return self.url(name)

    async def drop(self, url: str) -> None:
        """Drop a test's database (its connections are ended first)."""
        name = url.rsplit("/", 1)[1]
        conn = await self.admin()
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for the whole session (skipped, or failed on CI, without one)."""
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {SKIP_REASON}", pytrace=False)
        pytest.skip(SKIP_REASON)
    root = Path(tempfile.mkdtemp(prefix="lantern-pg-"))
    server = PgServer(bindir, root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line saying how many tests were skipped for want of PostgreSQL."""
    skipped = terminalreporter.stats.get("skipped", [])
    count = sum(1 for r in skipped if SKIP_REASON in str(getattr(r, "longrepr", "")))
    if count:
        terminalreporter.write_line(
            f"{count} PostgreSQL tests were skipped: install PostgreSQL"
            " (`apt-get install postgresql`) to run them."
        )
