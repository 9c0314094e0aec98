"""Typed settings from the environment and `.env`.

Every setting is declared once in SETTINGS below; `.env.example` and the README
table are checked against it by a test, so the three never drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.errors import SettingsError
from bot.feeds.urls import redact_url


def _int(minimum: int | None = None, maximum: int | None = None) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw.strip().replace("_", ""))
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
        if minimum is not None and value < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise SettingsError(f"{name} must be at most {maximum}, got {value}")
        return value

    return parse


def _optional_snowflake(name: str, raw: str) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit():
        raise SettingsError(f"{name} must be a Discord ID (digits only), got {raw!r}")
    return int(raw)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _url(*schemes: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().rstrip("/")
        if not any(value.startswith(f"{s}://") for s in schemes) or value[-3:] == "://":
            raise SettingsError(f"{name} must be a {' or '.join(schemes)} URL, got {raw!r}")
        return value

    return parse


def _database_url(name: str, raw: str) -> str | None:
    """A PostgreSQL URL, or None (unset: SQLite at DATABASE_PATH). The password is
    never echoed back in the error."""
    value = raw.strip()
    if not value:
        return None
    scheme, sep, rest = value.partition("://")
    # Without a scheme redact_url cannot tell userinfo apart: hide all before "@".
    shown = redact_url(value)
    if not sep and "@" in value:
        shown = "***@" + value.rpartition("@")[2]
    if not sep or scheme.lower() not in ("postgresql", "postgres") or not rest:
        raise SettingsError(
            f"{name} must be a postgresql:// URL (postgresql://user:password@host:port/database),"
            f" got {shown!r}"
        )
    try:
        urlsplit(value).port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise SettingsError(f"{name} has an invalid port: {shown!r}") from None
    return value


def _log_level(name: str, raw: str) -> str:
    value = raw.strip().upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise SettingsError(f"{name} must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return value


def _str(name: str, raw: str) -> str:
    return raw.strip()


def _path(name: str, raw: str) -> Path:
    if not raw.strip():
        raise SettingsError(f"{name} must be a file path")
    return Path(raw.strip()).expanduser()


@dataclass(frozen=True, slots=True)
class Spec:
    env: str
    attr: str
    default: str
    parse: Callable[[str, str], Any]
    help: str


SETTINGS: tuple[Spec, ...] = (
    Spec("DISCORD_TOKEN", "discord_token", "", _str,
         "Bot token from https://discord.com/developers/applications (Bot > Reset Token)."),
    Spec("DATABASE_PATH", "database_path", "data/lantern.db", _path,
         "SQLite file holding feeds, the article archive and the delivery outbox."),
    Spec("DATABASE_URL", "database_url", "", _database_url,
         "PostgreSQL instead of SQLite: postgresql://user:password@host:port/database "
         "(unset: SQLite at DATABASE_PATH). The password is never logged."),
    Spec("FEED_POLL_INTERVAL", "feed_poll_interval", "600", _int(minimum=5),
         "Seconds between polls of one feed (minimum 5); each feed is jittered around it."),
    Spec("FEED_ALLOW_PRIVATE_NETWORKS", "feed_allow_private_networks", "false", _bool,
         "Allow feeds on loopback/private/link-local addresses. Keep false on shared hosts."),
    Spec("FEED_MAX_BYTES", "feed_max_bytes", "10485760", _int(minimum=1024),
         "Largest feed body accepted, in bytes; larger responses are cut off mid-stream."),
    Spec("FEED_TIMEOUT", "feed_timeout", "20", _int(minimum=1, maximum=300),
         "Seconds a whole feed request may take (connecting is capped at 10)."),
    Spec("FEED_MAX_ITEMS", "feed_max_items", "500", _int(minimum=1, maximum=100_000),
         "Articles (or comments) stored per feed per poll: the newest N; the rest are skipped "
         "and counted."),
    Spec("FEED_CONCURRENCY", "feed_concurrency", "16", _int(minimum=1, maximum=256),
         "Feeds fetched at once, in all."),
    Spec("FEED_HOST_CONCURRENCY", "feed_host_concurrency", "2", _int(minimum=1, maximum=64),
         "Feeds fetched at once from one host."),
    Spec("FEED_BROKEN_AFTER", "feed_broken_after", "86400", _int(minimum=60),
         "Seconds of uninterrupted failures before a feed is marked broken and moderators told."),
    Spec("COMMENTS_POLL_INTERVAL", "comments_poll_interval", "3600", _int(minimum=5),
         "Seconds between polls of one article's comments feed."),
    Spec("COMMENTS_MAX_AGE_DAYS", "comments_max_age_days", "14", _int(minimum=0),
         "Comments are followed for articles published in the last N days (0 turns it off)."),
    Spec("PARSER_WORKERS", "parser_workers", "2", _int(minimum=0, maximum=32),
         "Processes that parse feeds off the event loop (0 parses in a thread, for debugging)."),
    Spec("PARSE_TIMEOUT", "parse_timeout", "30", _int(minimum=1, maximum=3600),
         "Seconds one feed may take to parse; then its parser process is replaced and the feed "
         "gets an error."),
    Spec("GUILD_SUBSCRIPTION_QUOTA", "guild_subscription_quota", "50", _int(minimum=1),
         "Feed subscriptions one server may have."),
    Spec("DISCORD_API_BASE", "discord_api_base", "https://discord.com/api/v10",
         _url("http", "https"), "Discord REST base URL; change only to route through a proxy."),
    Spec("DISCORD_GATEWAY_URL", "discord_gateway_url", "wss://gateway.discord.gg",
         _url("ws", "wss"), "Discord gateway URL; change only to route through a proxy."),
    Spec("DEV_GUILD_ID", "dev_guild_id", "", _optional_snowflake,
         "Sync slash commands to this one server only (instant, for development)."),
    Spec("MESSAGE_CONTENT_INTENT", "message_content_intent", "false", _bool,
         "Record where members link stored articles (needs the privileged intent)."),
    Spec("LOG_LEVEL", "log_level", "INFO", _log_level,
         "DEBUG, INFO, WARNING, ERROR or CRITICAL."),
)


@dataclass(frozen=True, slots=True)
class Settings:
    discord_token: str = field(repr=False)
    database_path: Path
    database_url: str | None = field(repr=False)  # holds the password
    feed_poll_interval: int
    feed_allow_private_networks: bool
    feed_max_bytes: int
    feed_timeout: int
    feed_max_items: int
    feed_concurrency: int
    feed_host_concurrency: int
    feed_broken_after: int
    comments_poll_interval: int
    comments_max_age_days: int
    parser_workers: int
    parse_timeout: int
    guild_subscription_quota: int
    discord_api_base: str
    discord_gateway_url: str
    dev_guild_id: int | None
    message_content_intent: bool
    log_level: str

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
    ) -> Settings:
        """Real environment variables win over `.env`; `.env` over the defaults."""
        values: dict[str, str] = {}
        if dotenv is not None and dotenv.is_file():
            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        kwargs = {s.attr: s.parse(s.env, values.get(s.env, s.default)) for s in SETTINGS}
        return cls(**kwargs)

    @classmethod
    def defaults(cls, **overrides: Any) -> Settings:
        """Defaults with overrides, for tests and tools; ignores the environment."""
        base = cls.from_env(environ={}, dotenv=None)
        return cls(**{**{s.attr: getattr(base, s.attr) for s in SETTINGS}, **overrides})

    def ensure_database_dir(self) -> None:
        """Create DATABASE_PATH's folder (nothing to do when DATABASE_URL is set)."""
        if self.database_url is None and str(self.database_path) != ":memory:":
            self.database_path.parent.mkdir(parents=True, exist_ok=True)
