"""The `lantern` command line. Everything but `run` works offline, without a token."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from xml.etree import ElementTree as ET

from bot import __version__
from bot.clock import utcnow
from bot.errors import LanternError, SettingsError
from bot.feeds.engine import PollReport
from bot.feeds.fetch import check_url
from bot.models import Feed
from bot.runtime import open_core, open_store
from bot.settings import Settings
from bot.storage import Storage
from bot.storage.sqlite import SqliteStorage

Handler = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]

NO_TOKEN = """\
DISCORD_TOKEN is not set, so the bot cannot connect to Discord.
Create an application at https://discord.com/developers/applications, open Bot,
press Reset Token, and put the token in .env as DISCORD_TOKEN=... (see .env.example).
Without a token these still work: lantern feeds add/list/remove, lantern poll --once,
lantern search, lantern articles, lantern import-opml/export-opml, lantern db migrate."""


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _cut(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_table(rows: Sequence[Sequence[object]], headers: Sequence[str], out: TextIO) -> None:
    cells = [[str(c) for c in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, r in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


class Progress:
    """A one-line counter on stderr for long runs (only on a terminal)."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.done = total, label, 0
        self.enabled = sys.stderr.isatty() and total > 1

    def step(self, _report: object = None) -> None:
        self.done += 1
        if self.enabled:
            print(f"\r{self.label} {self.done}/{self.total}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


# -- commands ------------------------------------------------------------------------


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.discord_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from bot.discord_edge.client import run_bot  # imports discord: only when the bot really runs

    await run_bot(settings)
    return 0


async def cmd_feeds_add(settings: Settings, args: argparse.Namespace) -> int:
    async with open_core(settings) as core:
        added = await core.engine.add(check_url(args.url), pinned=True)
    if added.feed.url != args.url.strip():
        print(f"Found the feed at {added.feed.url}")
    print(f"Added {added.feed.display_name!r}: {added.new_articles} new articles stored.")
    return 0


async def cmd_feeds_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_store(settings) as store:
        feeds = await store.list_feeds()
        counts = await store.feed_article_counts()
    if not feeds:
        print("No feeds yet. Add one with: lantern feeds add URL")
        return 0
    print_table(
        [
            (
                f.id,
                _cut(f.display_name, 40),
                f.status,
                counts.get(f.id, 0),
                _when(f.last_success_at),
                _when(f.next_poll_at),
                _cut(f.last_error, 50) or "-",
            )
            for f in feeds
        ],
        ("id", "feed", "status", "articles", "last success", "next poll", "last error"),
        sys.stdout,
    )
    return 0


async def _find_feed(store: Storage, ref: str) -> Feed:
    feed: Feed | None = None
    if ref.isdigit():
        feed = await store.get_feed(int(ref))
    feed = feed or await store.feed_by_url(ref.strip())
    if feed is None:
        raise LanternError(f"No feed {ref!r}. See `lantern feeds list` for ids and URLs.")
    return feed


async def cmd_feeds_remove(settings: Settings, args: argparse.Namespace) -> int:
    async with open_store(settings) as store:
        feed = await _find_feed(store, args.url)
        await store.remove_feed(feed.id)
    print(f"Removed {feed.display_name!r} with its articles and subscriptions.")
    return 0


async def cmd_poll(settings: Settings, args: argparse.Namespace) -> int:
    if not args.once:
        raise LanternError("Use `lantern poll --once` (the bot polls continuously by itself).")
    async with open_core(settings) as core:
        due = await core.store.due_feeds(utcnow(), limit=1_000_000, all_=args.all)
        progress = Progress(len(due), "polling")
        reports = await core.engine.poll_feeds(due, progress.step)
        progress.close()
        comments = await core.engine.poll_comments_due(limit=500)
    _print_poll(reports, comments, sys.stdout)
    return 1 if reports and all(r.outcome in ("error", "gone") for r in reports) else 0


def _print_poll(reports: Sequence[PollReport], comments: int, out: TextIO) -> None:
    if not reports:
        print("Nothing is due. Use --all to poll every feed now.", file=out)
        return
    print_table(
        [
            (
                r.feed.id,
                _cut(r.feed.display_name, 40),
                r.outcome,
                r.new,
                r.updated,
                f"{r.seconds:.2f}s",
                _cut(r.error, 60) or "-",
            )
            for r in sorted(reports, key=lambda r: r.feed.id)
        ],
        ("id", "feed", "result", "new", "updated", "time", "error"),
        out,
    )
    new = sum(r.new for r in reports)
    failed = sum(r.outcome in ("error", "gone") for r in reports)
    print(
        f"\n{len(reports)} feeds polled: {new} new articles, {failed} failed,"
        f" {comments} new comments.",
        file=out,
    )


async def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    from bot.search.query import search

    async with open_store(settings) as store:
        page = await search(store, args.query, guild_id=None, per_page=args.limit, now=utcnow())
        names = {f.id: f.display_name for f in await store.list_feeds()}
    if not page.hits:
        print(f"No articles match {args.query!r}.")
        return 0
    for n, hit in enumerate(page.hits, 1):
        a = hit.article
        print(f"{n}. {a.title or '(untitled)'}")
        print(f"   {names.get(a.feed_id, '?')} · {_when(a.published_at)[:10]} · {a.link or '-'}")
        snippet = hit.snippet.replace("\x02", "[").replace("\x03", "]")
        print(f"   {_cut(snippet, 200)}")
    return 0


async def cmd_articles(settings: Settings, args: argparse.Namespace) -> int:
    async with open_store(settings) as store:
        feed_id = (await _find_feed(store, args.feed)).id if args.feed else None
        articles = await store.latest_articles(args.limit, feed_id=feed_id)
        names = {f.id: f.display_name for f in await store.list_feeds()}
    if not articles:
        print("No articles stored yet. Add a feed and run: lantern poll --once")
        return 0
    print_table(
        [
            (
                _when(a.published_at)[:10],
                _cut(names.get(a.feed_id), 24),
                _cut(a.title, 60),
                a.link or "-",
            )
            for a in articles
        ],
        ("published", "feed", "title", "link"),
        sys.stdout,
    )
    return 0


async def cmd_db_migrate(settings: Settings, args: argparse.Namespace) -> int:

    settings.ensure_database_dir()
    before, after = await asyncio.to_thread(SqliteStorage.migrate_file, settings.database_path)
    if before == after:
        print(f"{settings.database_path}: schema is current (version {after}).")
    else:
        print(f"{settings.database_path}: migrated schema from version {before} to {after}.")
    return 0


async def cmd_import_opml(settings: Settings, args: argparse.Namespace) -> int:
    import listparser

    path = Path(args.file)
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise LanternError(f"Cannot read {path}: {exc.strerror}") from None
    parsed = listparser.parse(data)
    if not parsed.feeds and parsed.bozo:
        raise LanternError(f"{path} is not an OPML subscription list.")
    added = skipped = 0
    async with open_store(settings) as store:
        known = {f.url for f in await store.list_feeds()}
        for entry in parsed.feeds:
            try:
                url = check_url(entry.url)
            except LanternError as exc:
                print(f"skipped {entry.url!r}: {exc}", file=sys.stderr)
                skipped += 1
                continue
            if url in known:
                skipped += 1
                continue
            await store.add_feed(url, utcnow(), pinned=True)
            known.add(url)
            added += 1
    print(f"Imported {added} feeds ({skipped} skipped). Fetch them with: lantern poll --once")
    return 0


async def cmd_export_opml(settings: Settings, args: argparse.Namespace) -> int:
    async with open_store(settings) as store:
        feeds = await store.list_feeds()
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = "Lantern feeds"
    body = ET.SubElement(root, "body")
    for f in feeds:
        attrs = {"type": "rss", "text": f.display_name, "title": f.display_name, "xmlUrl": f.url}
        if f.site_url:
            attrs["htmlUrl"] = f.site_url
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    xml = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
    if args.file in (None, "-"):
        print(xml)
    else:
        await asyncio.to_thread(Path(args.file).write_text, xml + "\n", encoding="utf-8")
        print(f"Exported {len(feeds)} feeds to {args.file}")
    return 0


# -- wiring --------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lantern", description="Lantern: recovery reading for Discord."
    )
    p.add_argument("--version", action="version", version=f"lantern {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cmd(name: str, handler: Handler, help_: str, parent: Any = sub) -> argparse.ArgumentParser:
        c: argparse.ArgumentParser = parent.add_parser(name, help=help_, description=help_)
        c.set_defaults(handler=handler)
        return c

    cmd("run", cmd_run, "Start the Discord bot.")
    feeds = sub.add_parser("feeds", help="Add, list or remove feeds.")
    fsub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    cmd(
        "add", cmd_feeds_add, "Fetch a feed (or a site that links one) and store it.", fsub
    ).add_argument("url")
    cmd("list", cmd_feeds_list, "List feeds with their status.", fsub)
    cmd(
        "remove", cmd_feeds_remove, "Remove a feed (by URL or id) and its articles.", fsub
    ).add_argument("url", metavar="URL_OR_ID")
    poll = cmd("poll", cmd_poll, "Fetch feeds that are due and print what changed.")
    poll.add_argument("--once", action="store_true", help="poll once and exit")
    poll.add_argument("--all", action="store_true", help="poll every feed, due or not")
    search = cmd("search", cmd_search, "Search the article archive.")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=10)
    arts = cmd("articles", cmd_articles, "Show the newest stored articles.")
    arts.add_argument("--feed", help="only this feed (URL or id)")
    arts.add_argument("--limit", type=int, default=20)
    db = sub.add_parser("db", help="Database maintenance.")
    dsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    cmd("migrate", cmd_db_migrate, "Create or upgrade the database schema.", dsub)
    cmd("import-opml", cmd_import_opml, "Add the feeds listed in an OPML file.").add_argument(
        "file"
    )
    cmd("export-opml", cmd_export_opml, "Write all feeds as OPML (stdout or FILE).").add_argument(
        "file", nargs="?"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"lantern: {exc}", file=sys.stderr)
        return 2
    if args.command != "run":  # the bot sets up its own logging (discord.py's format)
        logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s")
    try:
        code: int = asyncio.run(args.handler(settings, args))
        return code
    except LanternError as exc:
        print(f"lantern: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
