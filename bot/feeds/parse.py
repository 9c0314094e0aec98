"""Feed bytes -> ParsedFeed / ParsedComment records. Pure, synchronous, Discord-free.

feedparser only ever sees bytes (never a URL or a str, which it may fetch or open)
plus the real response headers, with content-location set to the final URL so
relative links resolve. The heavy lifting runs in worker processes via
ParserPool, so importing this module must stay cheap (no discord, no aiohttp).
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import ctypes
import dataclasses
import hashlib
import io
import json
import logging
import multiprocessing
import os
import re
import select
import signal
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urljoin, urlsplit

import feedparser

from bot.errors import FetchError, FetchErrorKind, NotAFeedError
from bot.models import ParsedArticle, ParsedComment, ParsedFeed
from bot.text import (
    clean_inline,
    fold,
    html_to_text,
    plain_to_text,
    scrub,
    start_tags,
    strip_wordpress_boilerplate,
    truncate_words,
)

__all__ = [
    "ParseTimeoutError",
    "ParserCrashError",
    "ParserPool",
    "discover_feed_links",
    "keep_newest",
    "keep_newest_comments",
    "parse_comments",
    "parse_feed",
]

log = logging.getLogger(__name__)

# Caps on plain-text fields (characters).
TITLE_MAX = 1_000
SUMMARY_MAX = 5_000
DERIVED_SUMMARY_MAX = 1_000  # summary made from content when the feed has none
CONTENT_MAX = 200_000
COMMENT_MAX = 5_000
AUTHOR_MAX = 200
CATEGORY_MAX = 100
CATEGORIES_MAX = 50
URL_MAX = 2_048
# Bodies larger than this are refused outright (the fetcher caps lower).
BODY_MAX = 32 * 1024 * 1024
# Dates further ahead than this are clamped to now + FUTURE_SLACK.
FUTURE_SLACK = timedelta(days=1)

_DROP_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# What _http_url refuses inside a URL: whitespace (as str.isspace sees it) and C0 controls.
_URL_JUNK = re.compile(r"[\s\x00-\x1f]")
_IMAGE_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|[?#])", re.I)
_BY_PREFIX = re.compile(r"^\s*(?:By|Par|Von|Por|Door|Di)\s*:\s*", re.I)
_COMMENTS_ON_FEED = re.compile(r"^\s*Comments?\s+(?:on|for)\s*:?\s*", re.I)
_COMMENT_ON = re.compile(r"^\s*Comments?\s+on\s+.+\s+by\s+(.+?)\s*$", re.I | re.S)


class ParserCrashError(FetchError):
    """The parser process died on this feed (or the pool could not be used)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, FetchErrorKind.PARSER)


# --------------------------------------------------------------------------- helpers


def _s(value: object) -> str:
    return scrub(value) if isinstance(value, str) else ""


def _get(d: object, key: str) -> Any:
    """Read a FeedParserDict key without its keymap magic (and deprecation warnings)."""
    return dict.get(d, key) if isinstance(d, dict) else None


def _http_url(value: object, base: str) -> str | None:
    """An absolute http(s) URL, resolved against base, or None."""
    raw = _s(value).strip()
    if not raw or len(raw) > URL_MAX:
        return None
    try:
        # Most feed URLs are already absolute: skip the (costly) join for them.
        url = raw if raw.startswith(("https://", "http://")) else urljoin(base, raw)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if _URL_JUNK.search(url):
        return None
    return url


def _detail_text(value: object, detail: object) -> str:
    """feedparser text construct -> plain text, honouring its declared type."""
    text = _s(value)
    if not text:
        return ""
    kind = _s(_get(detail, "type"))
    if kind == "text/plain":
        return plain_to_text(text)
    return html_to_text(text)


def _inline(value: object, detail: object, limit: int) -> str:
    return truncate_words(clean_inline(_detail_text(value, detail)), limit)


def _to_datetime(st: object, now: datetime) -> datetime | None:
    if not isinstance(st, time.struct_time):
        return None
    try:
        dt = datetime.fromtimestamp(calendar.timegm(st), UTC)
    except (OverflowError, ValueError, OSError):
        return None
    return min(dt, now + FUTURE_SLACK)


def _sha256(*parts: object) -> str:
    blob = json.dumps(parts, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def _aware(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _feedparser_headers(headers: Mapping[str, str], url: str) -> dict[str, str]:
    out = {str(k).lower(): str(v) for k, v in headers.items()}
    for k in _DROP_HEADERS:
        out.pop(k, None)
    out["content-location"] = url
    return out


def _run_feedparser(body: bytes, headers: Mapping[str, str], url: str) -> Any:
    if not body.strip():
        raise NotAFeedError("The document is empty.")
    if len(body) > BODY_MAX:
        raise NotAFeedError("The document is too large to be a feed.")
    body = _BAD_CHARREF.sub(_fix_charref, body)
    try:
        # feedparser's own HTML sanitizer and relative-URI resolver each re-parse
        # every HTML field with sgmllib: over half of its time on a typical feed.
        # Neither result can reach storage or Discord: every text field goes
        # through html_to_text / plain_to_text (nh3 keeping no tags, script and
        # style content dropped), every URL through _http_url (http and https
        # only, resolved here against the field's own xml:base). So both are off.
        return feedparser.parse(
            io.BytesIO(body),
            response_headers=_feedparser_headers(headers, url),
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as e:  # feedparser's loose parser has edge cases on hostile bytes
        raise NotAFeedError("The document could not be read as a feed.") from e


_BAD_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _fix_charref(m: re.Match[bytes]) -> bytes:
    """Numeric character references to NUL, surrogates or beyond Unicode crash
    feedparser's loose parser; make them U+FFFD."""
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return b"&#xFFFD;"
    return m.group(0)


def _looks_like_html(body: bytes, headers: Mapping[str, str]) -> bool:
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if ctype.split(";")[0].strip().lower() in _HTML_TYPES:
        return True
    head = body[:4096].lower()
    return b"<html" in head or b"<!doctype html" in head or b"<head" in head


def _check_is_feed(parsed: Any, body: bytes, headers: Mapping[str, str], url: str) -> list[Any]:
    """Return the entries to use, or raise NotAFeedError."""
    entries: list[Any] = list(_get(parsed, "entries") or [])
    feed = _get(parsed, "feed") or {}
    bozo = bool(_get(parsed, "bozo"))
    version = _s(_get(parsed, "version"))
    if bozo and entries:
        # A truncated document: the last entry may be cut short. Keep only as
        # many entries as there are closing tags.
        closed = len(re.findall(rb"</(?:[\w-]+:)?(?:item|entry)\s*>", body, re.I))
        if closed < len(entries):
            entries = entries[:closed]
    if entries:
        return entries
    has_title = bool(_s(_get(feed, "title")).strip())
    html_body = _looks_like_html(body, {})
    if version and not bozo:
        return entries  # a well-formed feed that happens to be empty
    if version and has_title and not html_body:
        return entries  # bozo but recognisably a feed (e.g. served as text/html)
    if html_body or not version or _looks_like_html(body, headers):
        alternates = discover_feed_links(body, url)
        if alternates:
            raise NotAFeedError(
                "This is a web page, not a feed; it links to feeds.", alternates=alternates
            )
        if _looks_like_html(body, headers):
            raise NotAFeedError("This is a web page, not a feed, and it links to no feed.")
        raise NotAFeedError("The document is not a feed.")
    raise NotAFeedError("The feed is broken or truncated: it has no entries and no title.")


# --------------------------------------------------------------------------- discovery


_ALTERNATE_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
    }
)


def _decode_html(body: bytes) -> str:
    head = body[:2048]
    m = re.search(rb"""charset\s*=\s*["']?([\w-]+)""", head, re.I)
    if m:
        try:
            return body.decode(m.group(1).decode("ascii"), "replace")
        except (LookupError, UnicodeDecodeError):
            pass
    return body.decode("utf-8", "replace")


def discover_feed_links(body: bytes, base_url: str) -> tuple[str, ...]:
    """Feed URLs an HTML page advertises with <link rel="alternate" type="...">,
    resolved against base_url (or the page's <base href>), http(s) only, deduped,
    in page order."""
    text = _decode_html(body[:2_000_000])
    base: str | None = None
    hrefs: list[str] = []
    for name, attrs in start_tags(text, ("base", "link")):
        if name == "base":
            if base is None and attrs.get("href"):
                base = _http_url(attrs["href"], base_url) or base_url
            continue
        rels = attrs.get("rel", "").lower().split()
        ctype = attrs.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rels and ctype in _ALTERNATE_TYPES and attrs.get("href"):
            hrefs.append(attrs["href"])
            if len(hrefs) >= 50:
                break
    seen: dict[str, None] = {}
    for href in hrefs:
        url = _http_url(href, base or base_url)
        if url is not None:
            seen.setdefault(url, None)
    return tuple(seen)


# --------------------------------------------------------------------------- entries


def _content_text(entry: Any) -> str:
    blocks = _get(entry, "content") or []
    if not isinstance(blocks, list):
        return ""
    parts: list[str] = []
    # Prefer the HTML rendition when a feed offers several.
    html_blocks = [
        b for b in blocks if _s(_get(b, "type")) in ("text/html", "application/xhtml+xml")
    ]
    for block in html_blocks[:1] or blocks[:1]:
        parts.append(_detail_text(_get(block, "value"), block))
    return "\n\n".join(p for p in parts if p)


def _raw_html_fields(entry: Any, base: str) -> Iterable[tuple[str, str]]:
    """(HTML, the base its relative URLs resolve against) for each HTML field."""
    for block in _get(entry, "content") or []:
        yield _s(_get(block, "value")), _http_url(_get(block, "base"), base) or base
    summary = _s(_get(entry, "summary"))
    detail = _get(entry, "summary_detail")
    yield summary, _http_url(_get(detail, "base"), base) or base


def _image_url(entry: Any, base: str) -> str | None:
    for media in _get(entry, "media_content") or []:
        medium = _s(_get(media, "medium")).lower()
        mtype = _s(_get(media, "type")).lower()
        murl = _get(media, "url")
        if (
            medium == "image"
            or mtype.startswith("image/")
            or (not medium and not mtype and _IMAGE_EXT.search(_s(murl)))
        ):
            url = _http_url(murl, base)
            if url:
                return url
    for thumb in _get(entry, "media_thumbnail") or []:
        url = _http_url(_get(thumb, "url"), base)
        if url:
            return url
    for link in _get(entry, "links") or []:
        if _s(_get(link, "rel")) == "enclosure" and _s(_get(link, "type")).lower().startswith(
            "image/"
        ):
            url = _http_url(_get(link, "href"), base)
            if url:
                return url
    # feedparser hands us the publisher's HTML as written (see _run_feedparser):
    # start_tags reads it in linear time, skipping comments, and matches
    # attribute names whole (`data-src` of lazy-loading plugins is not `src`).
    for raw, raw_base in _raw_html_fields(entry, base):
        if "<" not in raw:
            continue
        for _, attrs in start_tags(raw[:500_000], ("img",)):
            if {attrs.get("width", "").strip(), attrs.get("height", "").strip()} & {"0", "1"}:
                continue  # tracking pixel
            url = _http_url(attrs.get("src"), raw_base)
            if url:
                return url
    return None


def _categories(entry: Any) -> tuple[str, ...]:
    out: dict[str, str] = {}
    for tag in _get(entry, "tags") or []:
        term = clean_inline(plain_to_text(_s(_get(tag, "term")) or _s(_get(tag, "label"))))
        term = truncate_words(term, CATEGORY_MAX)
        if term and fold(term) not in out:
            out[fold(term)] = term
        if len(out) >= CATEGORIES_MAX:
            break
    return tuple(out.values())


def _int_or_none(value: object) -> int | None:
    text = _s(value).strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None


def _comments_feed(entry: Any, base: str) -> tuple[str | None, int | None]:
    feed_url = _http_url(_get(entry, "wfw_commentrss"), base)
    count: int | None = None
    for link in _get(entry, "links") or []:
        if _s(_get(link, "rel")) != "replies":
            continue
        ltype = _s(_get(link, "type")).lower()
        if "atom" in ltype or "rss" in ltype:
            if feed_url is None:
                feed_url = _http_url(_get(link, "href"), base)
            if count is None:
                count = _int_or_none(_get(link, "thr:count") or _get(link, "count"))
    for value in (_get(entry, "slash_comments"), _get(entry, "thr_total")):
        n = _int_or_none(value)
        if n is not None:
            return feed_url, n
    return feed_url, count


class _Keys:
    """Stable, distinct keys: repeated identities are disambiguated by a hash of
    link+title (stable across polls), then by occurrence number."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def make(self, ident: str, link: str | None, title: str) -> str:
        key = ident
        if key in self.seen:
            digest = hashlib.sha256(f"{link or ''}\n{title}".encode()).hexdigest()[:16]
            key = f"{ident}#{digest}"
            n = 2
            base = key
            while key in self.seen:
                key = f"{base}-{n}"
                n += 1
        self.seen.add(key)
        return key


def _identity(entry: Any, link: str | None, *parts: object) -> str:
    guid = clean_inline(_s(_get(entry, "id")))
    if guid:
        return guid[:URL_MAX]
    if link:
        return link
    return "sha256:" + _sha256(*parts)


def _dates(entry: Any, now: datetime) -> tuple[datetime | None, datetime | None]:
    published = _to_datetime(_get(entry, "published_parsed"), now)
    updated = _to_datetime(_get(entry, "updated_parsed"), now)
    # RSS 1.0 dc:date and Atom-only <updated> are the only dates some feeds give.
    return published or updated, updated


def _article(entry: Any, base: str, now: datetime, keys: _Keys) -> ParsedArticle:
    link = _http_url(_get(entry, "link"), base)
    title = _inline(_get(entry, "title"), _get(entry, "title_detail"), TITLE_MAX)
    content = truncate_words(_content_text(entry), CONTENT_MAX)
    summary = strip_wordpress_boilerplate(
        _detail_text(_get(entry, "summary"), _get(entry, "summary_detail"))
    )
    content = strip_wordpress_boilerplate(content)
    summary = truncate_words(summary, SUMMARY_MAX)
    if not summary and content:
        summary = truncate_words(content, DERIVED_SUMMARY_MAX)
    author = truncate_words(clean_inline(plain_to_text(_s(_get(entry, "author")))), AUTHOR_MAX)
    published, updated = _dates(entry, now)
    image = _image_url(entry, base)
    categories = _categories(entry)
    comments_feed_url, comment_count = _comments_feed(entry, base)
    date_text = published.isoformat() if published else None
    key = keys.make(_identity(entry, link, title, date_text, content or summary), link, title)
    return ParsedArticle(
        key=key,
        link=link,
        title=title,
        summary=summary,
        content=content,
        author=author or None,
        published=published,
        updated=updated,
        image_url=image,
        categories=categories,
        comments_url=_http_url(_get(entry, "comments"), base),
        comments_feed_url=comments_feed_url,
        comment_count=comment_count,
        content_hash=_sha256(
            title, link, summary, content, image, list(categories), author, date_text
        ),
    )


def _entry_base(entry: Any, url: str) -> str:
    # feedparser has already resolved links against xml:base; this is the
    # fallback for the fields it leaves relative.
    detail = _get(entry, "title_detail") or _get(entry, "summary_detail")
    return _http_url(_get(detail, "base"), url) or url


def parse_feed(body: bytes, headers: Mapping[str, str], url: str, now: datetime) -> ParsedFeed:
    """Parse feed bytes. Raises NotAFeedError (with `alternates` for an HTML page
    that links to feeds) when the document is not a usable feed."""
    now = _aware(now)
    parsed = _run_feedparser(body, headers, url)
    entries = _check_is_feed(parsed, body, headers, url)
    feed = _get(parsed, "feed") or {}
    keys = _Keys()
    articles = tuple(_article(e, _entry_base(e, url), now, keys) for e in entries)
    title = _inline(_get(feed, "title"), _get(feed, "title_detail"), TITLE_MAX)
    icon = None
    for candidate in (_get(_get(feed, "image"), "href"), _get(feed, "icon"), _get(feed, "logo")):
        icon = _http_url(candidate, url)
        if icon:
            break
    ttl = _int_or_none(_get(feed, "ttl"))
    return ParsedFeed(
        title=title or None,
        site_url=_http_url(_get(feed, "link"), url),
        icon_url=icon,
        articles=articles,
        ttl_minutes=ttl if ttl and ttl <= 60 * 24 * 30 else None,
    )


# --------------------------------------------------------------------------- comments


def _comment_author(entry: Any, post_title: str) -> str | None:
    author = clean_inline(plain_to_text(_s(_get(entry, "author"))))
    if not author:
        title = clean_inline(_detail_text(_get(entry, "title"), _get(entry, "title_detail")))
        prefix = f"comment on {post_title} by ".casefold()
        if post_title and title.casefold().startswith(prefix):
            author = title[len(prefix) :].strip()
        elif _COMMENT_ON.match(title):
            # "Comment on POST by NAME" for an unknown POST, which may contain " by ".
            author = title.rsplit(" by ", 1)[-1].strip()
        elif _BY_PREFIX.match(title):
            author = _BY_PREFIX.sub("", title, count=1).strip()
    return truncate_words(author, AUTHOR_MAX) or None


def parse_comments(
    body: bytes, headers: Mapping[str, str], url: str, now: datetime
) -> tuple[ParsedComment, ...]:
    """Parse a per-post comment feed (WordPress RSS or Atom replies)."""
    now = _aware(now)
    parsed = _run_feedparser(body, headers, url)
    entries = _check_is_feed(parsed, body, headers, url)
    feed_title = _inline(_get(_get(parsed, "feed"), "title"), None, TITLE_MAX)
    post_title = (
        _COMMENTS_ON_FEED.sub("", feed_title) if _COMMENTS_ON_FEED.match(feed_title) else ""
    )
    keys = _Keys()
    out: list[ParsedComment] = []
    for entry in entries:
        base = _entry_base(entry, url)
        link = _http_url(_get(entry, "link"), base)
        text = _content_text(entry) or _detail_text(
            _get(entry, "summary"), _get(entry, "summary_detail")
        )
        text = truncate_words(text, COMMENT_MAX)
        author = _comment_author(entry, post_title)
        published, _updated = _dates(entry, now)
        date_text = published.isoformat() if published else None
        title = clean_inline(_s(_get(entry, "title")))
        key = keys.make(_identity(entry, link, author, date_text, text), link, title)
        out.append(
            ParsedComment(
                key=key,
                author=author,
                published=published,
                text=text,
                link=link,
                content_hash=_sha256(author, date_text, text, link),
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------- caps


def _newest(dates: Sequence[datetime | None], limit: int) -> list[int]:
    """Indexes of the `limit` newest dates (undated ones after dated ones, in
    their order), ascending: what is kept stays in feed order."""
    order = sorted(
        range(len(dates)),
        key=lambda i: (dates[i] is None, -_epoch(dates[i]), i),
    )
    return sorted(order[: max(limit, 0)])


def _epoch(when: datetime | None) -> float:
    return when.timestamp() if when is not None else 0.0


def keep_newest(parsed: ParsedFeed, limit: int) -> tuple[ParsedFeed, int]:
    """The feed with only its `limit` newest articles (by published, else updated
    date; undated ones after dated ones), kept in feed order, and how many were
    dropped."""
    articles = parsed.articles
    if len(articles) <= limit:
        return parsed, 0
    keep = _newest([a.published or a.updated for a in articles], limit)
    kept = tuple(articles[i] for i in keep)
    return dataclasses.replace(parsed, articles=kept), len(articles) - len(kept)


def keep_newest_comments(
    comments: tuple[ParsedComment, ...], limit: int
) -> tuple[tuple[ParsedComment, ...], int]:
    """keep_newest for a comment feed."""
    if len(comments) <= limit:
        return comments, 0
    keep = _newest([c.published for c in comments], limit)
    return tuple(comments[i] for i in keep), len(comments) - len(keep)


def _parse_newest(
    body: bytes, headers: Mapping[str, str], url: str, now: datetime, limit: int
) -> tuple[ParsedFeed, int]:
    # Capped in the worker, so a feed of 100,000 items is not pickled across.
    return keep_newest(parse_feed(body, headers, url, now), limit)


def _parse_comments_newest(
    body: bytes, headers: Mapping[str, str], url: str, now: datetime, limit: int
) -> tuple[tuple[ParsedComment, ...], int]:
    return keep_newest_comments(parse_comments(body, headers, url, now), limit)


# --------------------------------------------------------------------------- process pool

T = TypeVar("T")


# Parser workers run at a lower CPU priority than the bot: parsing is bulk work
# that can wait a moment, while the event loop (Discord heartbeats, commands)
# and the storage writer sit on every poll's critical path. On a small host
# the workers then soak up whatever CPU the bot leaves, instead of competing
# with it for the cores.
WORKER_NICENESS = 5
DEFAULT_PARSE_TIMEOUT = 30.0
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _exit_when_gone(pid: int) -> None:
    """Block until process `pid` has ended, then end this process at once."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(0)
    except (AttributeError, OSError):  # not Linux 5.3+: poll instead
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass
            time.sleep(1.0)
    select.select([fd], [], [])
    os._exit(0)


def _init_worker(parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group; the parent handles it and ends
    # the workers, which must not print a KeyboardInterrupt traceback of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker never outlives the process that opened the pool, even a
    # SIGKILLed one: the kernel ends it with its parent (the forkserver) where
    # it can, and a thread watching the pool's owner does everywhere.
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    threading.Thread(target=_exit_when_gone, args=(parent_pid,), daemon=True).start()
    with contextlib.suppress(OSError):  # not permitted here: keep the normal priority
        os.nice(WORKER_NICENESS)


def _warm_up() -> int:
    return len(feedparser.__version__)


def _processes(executor: ProcessPoolExecutor) -> list[multiprocessing.process.BaseProcess]:
    # ProcessPoolExecutor has no public way to end a stuck worker before 3.14
    # (kill_workers); its process table is the only handle on them.
    table = getattr(executor, "_processes", None) or {}
    return list(table.values())


def _reap(processes: Iterable[multiprocessing.process.BaseProcess], grace: float) -> None:
    """Give `processes` `grace` seconds to exit, then kill what is left."""
    processes = list(processes)
    deadline = time.monotonic() + grace
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
    for proc in processes:
        if proc.is_alive():
            proc.kill()
            proc.join(5)


class ParseTimeoutError(ParserCrashError):
    """A parse took longer than the pool's time limit; its worker was killed."""

    def __init__(self, seconds: float) -> None:
        FetchError.__init__(
            self,
            f"Reading the feed took longer than {seconds:g} seconds (PARSE_TIMEOUT); gave up",
            FetchErrorKind.PARSE_TIMEOUT,
        )


class ParserPool:
    """Runs parse_feed / parse_comments off the event loop.

    `workers` processes (forkserver start method) are kept warm; workers=0 runs
    in a thread instead, for debugging. A worker that dies takes only its own
    feed down: the pool is rebuilt, the calls that were in flight are retried
    once, and a call that crashes it again raises ParserCrashError.

    A parse that runs past `timeout` seconds raises ParseTimeoutError and its
    worker is killed (with the pool around it: the other calls in flight are
    retried on the new one, not counted as crashes). A call only starts when a
    worker is free, so the limit times the parse, never the queue. Closing
    never waits on a stuck parse, and the workers end with the process that
    opened the pool, however it ends. In thread mode a stuck parse cannot be
    stopped: the caller gets its error and the thread runs on.
    """

    def __init__(
        self,
        workers: int = 1,
        *,
        timeout: float | None = DEFAULT_PARSE_TIMEOUT,
        start_method: str = "forkserver",
    ) -> None:
        if workers < 0:
            raise ValueError("workers must be >= 0")
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive")
        self.workers = workers
        self.timeout = timeout
        self._start_method = start_method
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False
        self._lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(max(workers, 1))
        # Pools this object killed on purpose (a timeout): the other calls that
        # saw them break are not at fault.
        self._killed: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()

    def _new_executor(self) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context(self._start_method)
        if isinstance(ctx, multiprocessing.context.ForkServerContext):
            # Workers forked from the server start with the parser already imported.
            ctx.set_forkserver_preload(["bot.feeds.parse"])
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(os.getpid(),),
        )

    async def start(self) -> None:
        self._closed = False
        if self.workers == 0 or self._executor is not None:
            return
        self._executor = self._new_executor()
        loop = asyncio.get_running_loop()
        try:
            await asyncio.gather(
                *(loop.run_in_executor(self._executor, _warm_up) for _ in range(self.workers))
            )
        except BrokenProcessPool as e:
            await self._replace(self._executor)
            raise ParserCrashError("The feed parser processes could not be started.") from e

    async def close(self) -> None:
        """Stop the workers: idle ones are asked to exit, a stuck one is killed."""
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is not None:
            processes = _processes(executor)
            executor.shutdown(wait=False, cancel_futures=True)
            await asyncio.to_thread(_reap, processes, 2.0)
            await asyncio.to_thread(executor.shutdown, wait=True)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _replace(self, broken: ProcessPoolExecutor | None, *, kill: bool = False) -> None:
        async with self._lock:
            if self._executor is not broken:
                return  # someone else already replaced it
            if broken is not None:
                processes = _processes(broken)
                if kill:
                    self._killed.add(broken)
                    await asyncio.to_thread(_reap, processes, 0.0)
                broken.shutdown(wait=False, cancel_futures=True)
            self._executor = None if self._closed else self._new_executor()

    async def _submit(self, fn: Callable[..., T], *args: Any) -> T:
        if self.workers == 0:
            try:
                async with asyncio.timeout(self.timeout):
                    return await asyncio.to_thread(fn, *args)
            except TimeoutError:
                assert self.timeout is not None
                raise ParseTimeoutError(self.timeout) from None
        async with self._slots:
            return await self._submit_to_worker(fn, *args)

    async def _submit_to_worker(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        crashes = 0
        for _ in range(4):
            executor = self._executor
            if executor is None:
                if self._closed:
                    raise ParserCrashError("The feed parser is closed.")
                await self._replace(None)
                continue
            try:
                future = loop.run_in_executor(executor, fn, *args)
            except BrokenProcessPool:
                # Broken before this call started: not this feed's fault.
                await self._replace(executor)
                continue
            except RuntimeError as e:  # shut down underneath us
                raise ParserCrashError("The feed parser is shutting down.") from e
            try:
                async with asyncio.timeout(self.timeout):
                    return await future
            except TimeoutError:
                assert self.timeout is not None
                log.warning("a parse ran past %gs; killing its worker", self.timeout)
                await self._replace(executor, kill=True)
                raise ParseTimeoutError(self.timeout) from None
            except BrokenProcessPool as e:
                await self._replace(executor)
                if executor in self._killed:
                    continue  # another call's timeout took the pool down
                # Every call in flight sees this, not only the one that killed
                # the worker: retry once on a fresh pool, so only a feed that
                # crashes the parser twice in a row fails.
                crashes += 1
                if crashes >= 2:
                    raise ParserCrashError(
                        "The feed parser crashed while reading this feed."
                    ) from e
        raise ParserCrashError("The feed parser could not be started.")

    async def parse_feed(
        self, body: bytes, headers: Mapping[str, str], url: str, now: datetime
    ) -> ParsedFeed:
        return await self._submit(parse_feed, bytes(body), dict(headers), url, now)

    async def parse_feed_newest(
        self, body: bytes, headers: Mapping[str, str], url: str, now: datetime, limit: int
    ) -> tuple[ParsedFeed, int]:
        """parse_feed keeping only the `limit` newest articles (see `keep_newest`);
        also returns how many were dropped."""
        return await self._submit(_parse_newest, bytes(body), dict(headers), url, now, limit)

    async def parse_comments(
        self, body: bytes, headers: Mapping[str, str], url: str, now: datetime
    ) -> tuple[ParsedComment, ...]:
        return await self._submit(parse_comments, bytes(body), dict(headers), url, now)

    async def parse_comments_newest(
        self, body: bytes, headers: Mapping[str, str], url: str, now: datetime, limit: int
    ) -> tuple[tuple[ParsedComment, ...], int]:
        """parse_comments keeping only the `limit` newest; also returns how many
        were dropped."""
        return await self._submit(
            _parse_comments_newest, bytes(body), dict(headers), url, now, limit
        )
