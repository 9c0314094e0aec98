"""Settings: defaults, validation messages, .env handling, and docs kept in step."""

import re
from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import SETTINGS, Settings

ROOT = Path(__file__).parent.parent


def test_defaults() -> None:
    s = Settings.from_env(environ={}, dotenv=None)
    assert s.database_path == Path("data/lantern.db")
    assert s.feed_poll_interval == 600
    assert s.feed_allow_private_networks is False
    assert s.discord_api_base == "https://discord.com/api/v10"
    assert s.discord_gateway_url == "wss://gateway.discord.gg"
    assert s.dev_guild_id is None
    assert s.log_level == "INFO"
    assert s.feed_max_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("FEED_POLL_INTERVAL", "4", "FEED_POLL_INTERVAL must be at least 5"),
        ("FEED_POLL_INTERVAL", "ten", "FEED_POLL_INTERVAL must be a whole number"),
        (
            "FEED_ALLOW_PRIVATE_NETWORKS",
            "maybe",
            "FEED_ALLOW_PRIVATE_NETWORKS must be true or false",
        ),
        ("DEV_GUILD_ID", "abc", "DEV_GUILD_ID must be a Discord ID"),
        ("DISCORD_API_BASE", "ftp://x", "DISCORD_API_BASE must be a http or https URL"),
        ("DISCORD_GATEWAY_URL", "http://x", "DISCORD_GATEWAY_URL must be a ws or wss URL"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of"),
    ],
)
def test_bad_values_name_the_variable(env: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env(environ={env: value}, dotenv=None)


def test_env_file_and_precedence(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("FEED_POLL_INTERVAL=30\nDEV_GUILD_ID=123\n")
    s = Settings.from_env(environ={"FEED_POLL_INTERVAL": "60"}, dotenv=dotenv)
    assert s.feed_poll_interval == 60  # the real environment wins
    assert s.dev_guild_id == 123


def test_token_never_in_repr() -> None:
    s = Settings.from_env(environ={"DISCORD_TOKEN": "sekrit.token.value"}, dotenv=None)
    assert s.discord_token == "sekrit.token.value"
    assert "sekrit" not in repr(s)


def test_database_dir_created(tmp_path: Path) -> None:
    s = Settings.defaults(database_path=tmp_path / "a" / "b" / "lantern.db")
    s.ensure_database_dir()
    assert (tmp_path / "a" / "b").is_dir()


def test_env_example_and_readme_list_every_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for spec in SETTINGS:
        assert re.search(rf"^{spec.env}={re.escape(spec.default)}$", example, re.M), spec.env
        assert f"`{spec.env}`" in readme, f"README does not document {spec.env}"
