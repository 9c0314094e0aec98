"""PostgreSQL-only behaviour beyond the contract suite: how a wrong DATABASE_URL
reads (one clear message naming the setting, never the password), and
`lantern db migrate`'s versions (PostgresStorage.migrate_url)."""

from __future__ import annotations

import asyncpg
import pytest

from bot.storage.errors import DatabaseUnavailableError, SchemaTooNewError, SchemaTooOldError
from bot.storage.postgresql import PostgresStorage
from bot.storage.postgresql.migrations import SCHEMA_VERSION
from tests.pgserver import PgServer

SECRET = "hunter2-Very-Secret"


@pytest.mark.parametrize(
    ("make_url", "words"),
    [
        (lambda s: s.url("no_such_database", password=SECRET), "no_such_database"),
        (lambda s: f"postgresql://nobody:{SECRET}@127.0.0.1:{s.port}/postgres", "nobody"),
        (lambda s: f"postgresql://lantern:{SECRET}@127.0.0.1:99999999/x", "DATABASE_URL"),
    ],
    ids=["unknown-database", "unknown-user", "impossible-port"],
)
async def test_a_wrong_database_url_is_unavailable_without_its_password(
    pg_server: PgServer, make_url: object, words: str
) -> None:
    """Unknown database, unknown user, malformed URL: DatabaseUnavailableError naming
    DATABASE_URL and what is wrong, with the password nowhere in it."""
    url = make_url(pg_server)  # type: ignore[operator]
    for attempt in (PostgresStorage.open, PostgresStorage.migrate_url):
        with pytest.raises(DatabaseUnavailableError) as caught:
            await attempt(url)
        message = str(caught.value)
        assert "DATABASE_URL=" in message and words in message
        assert SECRET not in message
        assert caught.value.__cause__ is None or SECRET not in str(caught.value.__cause__)


async def test_migrate_url_reports_the_versions(pg_server: PgServer) -> None:
    """`lantern db migrate` upgrades an empty database once, then finds nothing to do,
    and refuses a newer schema."""
    url = await pg_server.empty_database()
    assert await PostgresStorage.migrate_url(url) == (0, SCHEMA_VERSION)
    assert await PostgresStorage.migrate_url(url) == (SCHEMA_VERSION, SCHEMA_VERSION)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("UPDATE schema_version SET version = $1", SCHEMA_VERSION + 1)
    finally:
        await conn.close()
    with pytest.raises(SchemaTooNewError, match="newer Lantern"):
        await PostgresStorage.migrate_url(url)
    await pg_server.drop(url)


async def test_a_read_only_database_without_the_schema_asks_for_a_migration(
    pg_server: PgServer,
) -> None:
    """Read-only and not yet migrated: SchemaTooOldError saying `lantern db migrate`."""
    url = await pg_server.empty_database()
    admin = await pg_server.admin()
    try:
        name = url.rsplit("/", 1)[1]
        await admin.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    finally:
        await admin.close()
    with pytest.raises(SchemaTooOldError, match="lantern db migrate"):
        await PostgresStorage.open(url)
    await pg_server.drop(url)


async def test_two_processes_migrating_at_once_both_succeed(pg_server: PgServer) -> None:
    """Two `lantern db migrate` at once: one migrates, the other waits and finds it done."""
    import asyncio

    url = await pg_server.empty_database()
    results = await asyncio.gather(
        PostgresStorage.migrate_url(url), PostgresStorage.migrate_url(url)
    )
    assert all(after == SCHEMA_VERSION for _, after in results)
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_version") == 1
    finally:
        await conn.close()
    await pg_server.drop(url)
