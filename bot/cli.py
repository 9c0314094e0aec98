"""The `lantern` command line. Everything but `run` works offline, without a token.

Every way a command can end is one line on stderr at most and one of the exit
codes below (the README's "Command line" section lists them); a traceback only
ever appears when asked for with LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
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
from bot.feeds.urls import redact_text, redact_url
from bot.models import Feed
from bot.runtime import open_core, open_store
from bot.settings import Settings
from bot.storage import Storage
from bot.storage.postgresql import PostgresStorage
from bot.storage.sqlite import SqliteStorage

Handler = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1  # a LanternError: bad input, an unreachable feed, a database problem
EXIT_USAGE = 2  # bad arguments (argparse's own code) or a bad setting
EXIT_INTERNAL = 70  # a bug (sysexits' EX_SOFTWARE)
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, what shells report
EXIT_BROKEN_PIPE = 141  # stdout's reader went away: 128 + SIGPIPE, like `cat` or `yes`

# How long the process waits, after its command ended, for worker threads to finish.
SHUTDOWN_GRACE_SECONDS = 10.0

# The largest id SQLite can hold; a longer number cannot name a feed.
MAX_ID = 2**63 - 1

NO_TOKEN = """\
DISCORD_TOKEN is not set, so the bot cannot connect to Discord.
Create an application at https://discord.com/developers/applications, open Bot,
press Reset Token, and put the token in .env as DISCORD_TOKEN=... (see .env.example).
Without a token these still work: lantern feeds add/list/remove, lantern poll --once,
lantern search, lantern articles, lantern import-opml/export-opml, lantern db migrate."""


def _name(feed: Feed) -> str:
    """A feed's name as shown: a feed without a title shows its URL, minus secrets."""
    return feed.title or redact_url(feed.url)


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
        print(f"Found the feed at {redact_url(added.feed.url)}")
    print(f"Added {_name(added.feed)!r}: {added.new_articles} new articles stored.")
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
                _cut(_name(f), 40),
                f.status,
                counts.get(f.id, 0),
                _when(f.last_success_at),
                _when(f.next_poll_at),
                _cut(redact_text(f.last_error or ""), 50) or "-",
            )
            for f in feeds
        ],
        ("id", "feed", "status", "articles", "last success", "next poll", "last error"),
        sys.stdout,
    )
    return 0


async def _find_feed(store: Storage, ref: str) -> Feed:
    feed: Feed | None = None
    if ref.isdigit() and int(ref) <= MAX_ID:
        feed = await store.get_feed(int(ref))
    feed = feed or await store.feed_by_url(ref.strip())
    if feed is None:
        raise LanternError(f"No feed {ref!r}. See `lantern feeds list` for ids and URLs.")
    return feed


async def cmd_feeds_remove(settings: Settings, args: argparse.Namespace) -> int:
    async with open_store(settings) as store:
        feed = await _find_feed(store, args.url)
        await store.remove_feed(feed.id)
    print(f"Removed {_name(feed)!r} with its articles and subscriptions.")
    return 0


async def cmd_poll(settings: Settings, args: argparse.Namespace) -> int:
    if not args.once:
        raise LanternError("Use `lantern poll --once` (the bot polls continuously by itself).")
    async with open_core(settings) as core:
        due = await core.store.due_feeds(utcnow(), limit=1_000_000, all_=args.all)
        progress = Progress(len(due), "polling")
        try:
            reports = await core.engine.poll_feeds(due, progress.step)
        finally:  # end the counter's line, so an "interrupted" gets one of its own
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
                _cut(_name(r.feed), 40),
                r.outcome,
                r.new,
                r.updated,
                f"{r.seconds:.2f}s",
                _cut(redact_text(r.error or ""), 60) or "-",
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
    from bot.search import search

    async with open_store(settings) as store:
        page = await search(store, args.query, guild_id=None, per_page=args.limit, now=utcnow())
        names = {f.id: _name(f) for f in await store.list_feeds()}
    if not page.hits:
        print(f"No articles match {args.query!r}.")
        return 0
    for n, hit in enumerate(page.hits, 1):
        a = hit.article
        print(f"{n}. {a.title or '(untitled)'}")
        link = redact_url(a.link) if a.link else "-"
        print(f"   {names.get(a.feed_id, '?')} · {_when(a.published_at)[:10]} · {link}")
        snippet = hit.snippet.replace("\x02", "[").replace("\x03", "]")
        print(f"   {_cut(snippet, 200)}")
    return 0


async def cmd_articles(settings: Settings, args: argparse.Namespace) -> int:
    async with open_store(settings) as store:
        feed_id = (await _find_feed(store, args.feed)).id if args.feed else None
        articles = await store.latest_articles(args.limit, feed_id=feed_id)
        names = {f.id: _name(f) for f in await store.list_feeds()}
    if not articles:
        print("No articles stored yet. Add a feed and run: lantern poll --once")
        return 0
    print_table(
        [
            (
                _when(a.published_at)[:10],
                _cut(names.get(a.feed_id), 24),
                _cut(a.title, 60),
                redact_url(a.link) if a.link else "-",
            )
            for a in articles
        ],
        ("published", "feed", "title", "link"),
        sys.stdout,
    )
    return 0


async def cmd_db_migrate(settings: Settings, args: argparse.Namespace) -> int:

    settings.ensure_database_dir()
    where: object = settings.database_path
    if settings.database_url is not None:
        where = redact_url(settings.database_url)
        before, after = await PostgresStorage.migrate_url(settings.database_url)
    else:
        before, after = await asyncio.to_thread(
            SqliteStorage.migrate_file, settings.database_path
        )
    if before == after:
        print(f"{where}: schema is current (version {after}).")
    else:
        print(f"{where}: migrated schema from version {before} to {after}.")
    return 0


async def cmd_import_opml(settings: Settings, args: argparse.Namespace) -> int:
    import listparser

    path = Path(args.file)
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise LanternError(f"Cannot read {path}: {exc.strerror}") from None
    try:
        parsed = listparser.parse(data)
    except Exception:  # arbitrary bytes reach a parser whose failures aren't documented
        log.debug("listparser failed on %s", path, exc_info=True)
        raise LanternError(f"{path} is not an OPML subscription list.") from None
    if not parsed.feeds and parsed.bozo:
        raise LanternError(f"{path} is not an OPML subscription list.")
    added = skipped = 0
    async with open_store(settings) as store:
        known = {f.url for f in await store.list_feeds()}
        for entry in parsed.feeds:
            try:
                url = check_url(entry.url)
            except LanternError as exc:
                print(f"skipped {redact_url(entry.url)!r}: {exc}", file=sys.stderr)
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
    # URLs are written as stored, credentials included: importing needs them.
    if args.file in (None, "-"):
        print(xml)
    else:
        path = Path(args.file)
        try:
            await asyncio.to_thread(path.write_text, xml + "\n", encoding="utf-8")
        except OSError as exc:
            raise LanternError(f"Cannot write {path}: {exc.strerror or exc}") from None
        print(f"Exported {len(feeds)} feeds to {path}")
    return 0


# -- wiring --------------------------------------------------------------------------


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


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
    search.add_argument("--limit", type=_positive, default=10)
    arts = cmd("articles", cmd_articles, "Show the newest stored articles.")
    arts.add_argument("--feed", help="only this feed (URL or id)")
    arts.add_argument("--limit", type=_positive, default=20)
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


class _RedactingFormatter(logging.Formatter):
    """The CLI's log lines go to the person at the terminal: no URL credentials."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def _configure_logging(settings: Settings) -> None:
    # Quiet by default (the output is the tables). LOG_LEVEL=DEBUG shows Lantern's
    # own debug lines, including the traceback behind an "internal error"; the
    # libraries (aiosqlite logs every statement) stay at WARNING.
    configured = logging.getLevelNamesMapping()[settings.log_level]
    handler = logging.StreamHandler()
    handler.setFormatter(_RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=max(logging.WARNING, configured), handlers=[handler])
    if configured == logging.DEBUG:
        logging.getLogger("bot").setLevel(logging.DEBUG)


def _say(message: str) -> None:
    """The one line a failed command leaves on stderr."""
    with contextlib.suppress(OSError):  # stderr closed too: the exit code must still get out
        print(f"lantern: {' '.join(message.split())}", file=sys.stderr, flush=True)


def _database_dir(settings: Settings) -> None:
    try:
        settings.ensure_database_dir()
    except OSError as exc:
        raise LanternError(
            f"DATABASE_PATH={settings.database_path}: cannot create its folder"
            f" ({exc.strerror or exc}: {exc.filename})"
        ) from None


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)  # bad usage: argparse prints it and exits 2
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        _say(str(exc))
        return EXIT_USAGE
    if args.command != "run":  # the bot sets up its own logging (discord.py's format)
        _configure_logging(settings)
    try:
        if args.command != "run" or settings.discord_token:
            _database_dir(settings)
        code: int = asyncio.run(args.handler(settings, args))
        return code
    except LanternError as exc:
        _say(redact_text(str(exc)))
        return EXIT_FAILED
    except BrokenPipeError:
        raise
    except OSError as exc:
        # Files the user named are checked where they are used; this is the rest
        # (a full disk, a vanished folder): the environment, not a bug.
        where = f"{exc.filename}: " if exc.filename else ""
        _say(redact_text(f"{where}{exc.strerror or exc}"))
        return EXIT_FAILED
    except Exception as exc:
        log.debug("internal error", exc_info=True)
        debug = log.isEnabledFor(logging.DEBUG)
        hint = "" if debug else " (run again with LOG_LEVEL=DEBUG for details)"
        _say(redact_text(f"internal error: {type(exc).__name__}: {exc}{hint}"))
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush into the closed
    pipe cannot print another error (the recipe from Python's `signal` docs)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _exit_even_if_stuck(code: int) -> None:
    """Never hang on the way out. A worker thread that outlives its command (say,
    a database connection whose close failed) would otherwise keep the interpreter
    waiting for it forever; after a grace period, exit without it."""
    here = threading.current_thread()
    deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
    stuck: list[str] = []
    try:
        for thread in threading.enumerate():
            if thread is not here and not thread.daemon:
                thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in threading.enumerate() if t is not here and not t.daemon]
        if stuck:
            log.warning("exiting without waiting for %s, which did not finish", ", ".join(stuck))
    except KeyboardInterrupt:  # Ctrl-C while waiting: the person wants out now
        _say("interrupted")
        code, stuck = EXIT_INTERRUPTED, ["(interrupted)"]
    if stuck:
        with contextlib.suppress(OSError):  # a closed pipe must not stop the exit
            sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """The `lantern` command: returns the exit code (see the EXIT_* constants)."""
    try:
        code = _run(argv)
        sys.stdout.flush()  # a closed pipe shows up here when the output was buffered
    except KeyboardInterrupt:
        # asyncio.run has already cancelled the command, so its `async with` blocks
        # closed the database and the parser pool on the way out.
        _say("interrupted")
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        code = EXIT_BROKEN_PIPE
    _exit_even_if_stuck(code)
    return code
