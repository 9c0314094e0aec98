"""DATABASE_URL: validated, optional (unset means SQLite), never shown with its
password."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import Settings

SECRET = "s3cr3t-pw"


def test_unset_means_sqlite() -> None:
    """No DATABASE_URL (or a blank one): None, and SQLite's folder is still made."""
    assert Settings.from_env(environ={}, dotenv=None).database_url is None
    assert Settings.from_env(environ={"DATABASE_URL": "  "}, dotenv=None).database_url is None


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_postgresql_url_is_kept_and_never_shown(scheme: str) -> None:
    """Both schemes are accepted; repr and str of the settings leave the password out."""
    url = f"{scheme}://lantern:{SECRET}@db.example:5432/lantern"
    s = Settings.from_env(environ={"DATABASE_URL": url}, dotenv=None)
    assert s.database_url == url
    assert SECRET not in repr(s) and SECRET not in str(s)


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://root:{SECRET}@db/lantern",
        f"lantern:{SECRET}@db/lantern",
        "postgresql://",
        f"postgresql://lantern:{SECRET}@db:notaport/lantern",
    ],
)
def test_a_wrong_url_names_the_setting_without_the_password(url: str) -> None:
    """Another scheme, no scheme, nothing after it, a bad port: SettingsError, no password."""
    with pytest.raises(SettingsError, match="DATABASE_URL") as caught:
        Settings.from_env(environ={"DATABASE_URL": url}, dotenv=None)
    assert SECRET not in str(caught.value)


def test_with_a_database_url_no_sqlite_folder_is_made(tmp_path: Path) -> None:
    """ensure_database_dir leaves the disk alone when PostgreSQL holds the data."""
    s = Settings.defaults(
        database_path=tmp_path / "data" / "lantern.db",
        database_url="postgresql://lantern@127.0.0.1/lantern",
    )
    s.ensure_database_dir()
    assert not (tmp_path / "data").exists()
