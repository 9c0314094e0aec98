"""The `lantern` command line, run as a real process against local feed servers."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.feeds.urls import redact_text, redact_url
from tests.feedserver import FeedServer, numbered_items, rss

ROOT = Path(__file__).parent.parent


@dataclass
class Result:
    code: int
    out: str
    err: str


class Cli:
    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.cwd = tmp_path
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                # A developer's own DATABASE_URL must not point these tests at PostgreSQL.
                if not k.startswith(("DISCORD_", "FEED_"))
                and k not in ("LOG_LEVEL", "DATABASE_URL")
            },
            "DATABASE_PATH": str(tmp_path / "data" / "lantern.db"),
            "FEED_ALLOW_PRIVATE_NETWORKS": "true",
            "PARSER_WORKERS": "1",
            "PYTHONPATH": str(ROOT),
            **env,
        }

    async def spawn(self, *args: str, **kwargs: Any) -> asyncio.subprocess.Process:
        """`python -m bot ARGS` as a child; kwargs go to create_subprocess_exec."""
        options: dict[str, Any] = {
            "stdout": asyncio.subprocess.PIPE,
            "stderr": asyncio.subprocess.PIPE,
            "stdin": asyncio.subprocess.DEVNULL,
            **kwargs,
        }
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=self.cwd, env=self.env, **options
        )

    async def __call__(self, *args: str, **kwargs: Any) -> Result:
        proc = await self.spawn(*args, **kwargs)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), 60)  # only catches a hang
        finally:
            if proc.returncode is None:  # a hung child must not outlive the test
                proc.kill()
                await proc.wait()
        assert proc.returncode is not None
        return Result(proc.returncode, (out or b"").decode(), (err or b"").decode())


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    s = await FeedServer().start()
    yield s
    await s.close()


def no_traceback(r: Result) -> None:
    assert "Traceback" not in r.err + r.out


async def test_run_without_token_explains(tmp_path: Path) -> None:
    r = await Cli(tmp_path)("run")
    assert r.code == 2
    assert "DISCORD_TOKEN is not set" in r.err
    assert "discord.com/developers/applications" in r.err
    assert "lantern poll --once" in r.err  # what works offline
    no_traceback(r)


async def test_bad_setting_is_one_line(tmp_path: Path) -> None:
    r = await Cli(tmp_path, FEED_POLL_INTERVAL="1")("feeds", "list")
    assert r.code == 2
    assert r.err.strip() == "lantern: FEED_POLL_INTERVAL must be at least 5, got 1"


async def test_add_poll_list_search_export_import(tmp_path: Path, server: FeedServer) -> None:
    cli = Cli(tmp_path)
    items = numbered_items(0, 3)
    items[1]["title"] = "Drinking less: a harm reduction story"
    server.serve("/blog/feed/", rss(items, title="Sober Blog"))
    server.serve(
        "/blog/",
        '<html><head><link rel="alternate" type="application/rss+xml" href="feed/"></head></html>',
        content_type="text/html",
    )
    r = await cli("feeds", "add", server.url("/blog/"))
    assert r.code == 0, r.err
    assert f"Found the feed at {server.url('/blog/feed/')}" in r.out
    assert "Added 'Sober Blog': 3 new articles stored." in r.out

    r = await cli("feeds", "list")
    assert r.code == 0 and "Sober Blog" in r.out and "active" in r.out

    server.serve("/blog/feed/", rss([*items, *numbered_items(3, 4)], title="Sober Blog"))
    r = await cli("poll", "--once", "--all")
    assert r.code == 0, r.err
    assert "1 feeds polled: 1 new articles, 0 failed" in r.out

    r = await cli("articles", "--limit", "2")
    assert r.code == 0 and "Article 3" in r.out

    r = await cli("search", "drink")
    assert r.code == 0, r.err
    assert "1. Drinking less: a harm reduction story" in r.out
    r = await cli("search", '"((unbalanced AND -* NEAR(')
    no_traceback(r)

    opml = tmp_path / "feeds.opml"
    r = await cli("export-opml", str(opml))
    assert r.code == 0 and server.url("/blog/feed/") in opml.read_text()

    other = Cli(tmp_path, DATABASE_PATH=str(tmp_path / "other.db"))
    r = await other("import-opml", str(opml))
    assert r.code == 0 and "Imported 1 feeds" in r.out
    r = await other("poll", "--once")
    assert "4 new articles" in r.out

    r = await cli("feeds", "remove", server.url("/blog/feed/"))
    assert r.code == 0 and "Removed 'Sober Blog'" in r.out
    r = await cli("feeds", "list")
    assert "No feeds yet" in r.out


async def test_bad_input_is_one_clear_line(tmp_path: Path, server: FeedServer) -> None:
    cli = Cli(tmp_path)
    cases = {
        ("feeds", "add", "ftp://example.org/feed"): "http",
        ("feeds", "add", "not a url"): "",
        ("feeds", "remove", "https://nowhere.example/feed"): "No feed",
        ("import-opml", str(tmp_path / "missing.opml")): "Cannot read",
        ("feeds", "add", server.url("/missing")): "404",
    }
    for args, expected in cases.items():
        r = await cli(*args)
        assert r.code == 1, (args, r)
        assert expected in r.err, (args, r.err)
        assert len(r.err.strip().splitlines()) == 1, r.err
        no_traceback(r)


async def test_private_addresses_refused_by_default(tmp_path: Path, server: FeedServer) -> None:
    url = server.serve("/feed", rss(numbered_items(0, 1)))
    r = await Cli(tmp_path, FEED_ALLOW_PRIVATE_NETWORKS="false")("feeds", "add", url)
    assert r.code == 1
    assert "127.0.0.1" in r.err
    no_traceback(r)
    assert server.hits["/feed"] == 0


async def test_db_migrate(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    r = await cli("db", "migrate")
    assert r.code == 0 and "migrated schema from version 0" in r.out
    r = await cli("db", "migrate")
    assert "schema is current" in r.out


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.org/feed", "https://example.org/feed"),
        ("https://user:pass@example.org/feed", "https://***@example.org/feed"),
        ("https://token@example.org:8443/f?x=1", "https://***@example.org:8443/f?x=1"),
        ("https://example.org/f?token=abc&page=2", "https://example.org/f?token=***&page=2"),
        ("https://example.org/f?api_key=abc#top", "https://example.org/f?api_key=***#top"),
        ("https://example.org/?feed=rss2&keyword=a", "https://example.org/?feed=rss2&keyword=a"),
        ("http://a:b@[::1", "http://***@[::1"),  # unparseable, still hidden
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    """Credentials in a URL (userinfo, credential-named query values) are hidden."""
    assert redact_url(url) == shown


def test_redact_text_finds_urls_in_messages() -> None:
    """Every URL inside a message is redacted, the rest of the text kept."""
    text = "No feed 'https://u:p@h.example/f?key=k'. Also ftp://me:pw@h/x failed."
    assert redact_text(text) == (
        "No feed 'https://***@h.example/f?key=***'. Also ftp://***@h/x failed."
    )


def test_readme_documents_every_exit_code() -> None:
    """The README's exit-code table lists exactly the codes bot/cli.py uses."""
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| Exit | Meaning |") :].split("\n\n")[0]
    documented = {int(line.split("|")[1]) for line in table.splitlines()[2:]}
    used = {v for k, v in vars(cli).items() if k.startswith("EXIT_")}
    assert documented == used
