"""Articles -> plain data describing Discord messages. No discord import.

The Discord side turns a PostSpec into discord.py calls. Everything that comes
from a feed is hostile: it is cleaned, escaped so it renders literally, made
unable to ping, and cut to Discord's limits here, so the payload built from a
PostSpec is never rejected (50035) whatever the feed contains.

Conventions:

* Lengths are measured in UTF-16 code units (``_ulen``), which is never less
  than the number of code points; whichever way Discord counts, we are under.
* Surrogates, control characters (except newlines), bidi embedding/override
  and isolate controls are removed from feed text; right-to-left text itself,
  emoji and zero-width joiners are kept.
* Where Discord renders markdown (content, embed title, description, field
  names and values) feed text goes through `safe_text`. Where it does not
  (author name, footer, thread names) it is only cleaned and passed through
  `neutralize_mentions`, so no stray backslashes show.
* Bare http(s) URLs inside feed text are kept clickable: markdown is not
  escaped inside them (Discord does not parse markdown inside a URL), but the
  characters that could end a surrounding spoiler or bold, or spell a
  mention, are percent-encoded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import cast
from urllib.parse import urlsplit, urlunsplit

from bot.models import Article, Feed, Subscription
from bot.posting.content_warnings import label_for
from bot.text import strip_wordpress_boilerplate, truncate_words

# Discord's limits.
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_NAME_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
THREAD_NAME_LIMIT = 100
URL_LIMIT = 2048

SUMMARY_LENGTH = 350  # plain-text characters before escaping
_SUMMARY_RENDERED_MAX = 1500  # the same after escaping (at most ~3x)
_IMAGE_NOTE_MAX = 1200
FOOTER_CATEGORIES_LENGTH = 200
COLOR = 0xF2A541  # lantern amber
UNTITLED = "Untitled article"
ZWSP = "\u200b"


@dataclass(frozen=True, slots=True)
class EmbedField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class EmbedSpec:
    title: str | None = None
    url: str | None = None
    description: str | None = None
    author_name: str | None = None
    author_url: str | None = None
    author_icon_url: str | None = None
    footer: str | None = None
    timestamp: datetime | None = None
    image_url: str | None = None
    thumbnail_url: str | None = None
    color: int | None = None
    fields: tuple[EmbedField, ...] = ()


@dataclass(frozen=True, slots=True)
class PostSpec:
    content: str | None  # message content (<= 2000)
    embeds: tuple[EmbedSpec, ...]  # <= 10, total <= 6000
    mention_role_id: int | None  # the ONLY ping allowed
    thread_name: str | None  # 1-100 chars, for threads/forum posts


# ---------------------------------------------------------------------------
# Text primitives


def _ulen(text: str) -> int:
    """Length in UTF-16 code units (astral characters count two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# Surrogates (they make the JSON/UTF-8 encoder raise), C0/C1 controls except
# tab and newline, DEL, bidi embeddings/overrides/isolates (they reorder the
# text around them and can disguise a link), BOM, and non-characters.
_DROP = re.compile(
    "[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]"
)
_LINE_SEPARATORS = re.compile("[\r\u2028\u2029\x85]")
_SPACES = re.compile(r"[^\S\n]+")
_ALL_WS = re.compile(r"\s+")
_MANY_BREAKS = re.compile(r"\n{3,}")
# Invisible "letters" people use to fake an empty-looking name.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_CLEAN_INPUT_MAX = 100_000


def _clean(text: object, *, single_line: bool = True, cap: int = _CLEAN_INPUT_MAX) -> str:
    """Any value -> text safe to encode: drop what must never reach Discord,
    normalize whitespace (one line, or lines and paragraphs kept). Only the
    first `cap` characters are looked at: nothing we show is that long."""
    if not isinstance(text, str) or not text:
        return ""
    s = _DROP.sub("", text[:cap].replace("\r\n", "\n"))
    s = _LINE_SEPARATORS.sub("\n", s)
    if single_line:
        return _ALL_WS.sub(" ", s).strip()
    s = _SPACES.sub(" ", s)
    s = "\n".join(line.strip() for line in s.split("\n"))
    return _MANY_BREAKS.sub("\n\n", s).strip()


def _visible(text: str) -> bool:
    """True when the text shows at least one glyph (not only spaces, format
    characters, combining marks or blank letters); Discord refuses blank
    names and values."""
    for c in text:
        if c in _INVISIBLE_LETTERS:
            continue
        if unicodedata.category(c)[0] not in "ZCM":
            return True
    return False


# Bare URLs as Discord's autolinker sees them: scheme, then no whitespace or
# '<', and not ending in punctuation.
# '>' ends a URL too, so "<https://x>" in feed text reads as written.
_BARE_URL = re.compile(r"""https?://[^\s<>]+[^<>.,:;"')\]\s]""", re.IGNORECASE)
# Inside a bare URL: characters that could close an outer spoiler/bold/code,
# spell a mention, or start a masked link should Discord end the URL sooner
# than we do. All are equivalent percent-encoded.
_URL_UNSAFE = str.maketrans({c: f"%{ord(c):02X}" for c in "|*~`@\\[]()"})
# Every ASCII character Discord's markdown gives a meaning to.
_MARKDOWN_ESCAPES = str.maketrans({c: "\\" + c for c in "\\*_~`|>#-[]()<"})
# Ordered-list and '+' list markers at the start of a line. The indent never
# spans a newline: `^\s*` did, and was quadratic on a run of blank lines.
_LIST_MARKER = re.compile(r"^([^\S\n]*)(\d+)([.)])(?=\s)|^([^\S\n]*)\+(?=\s)", re.MULTILINE)


def _escape_plain(text: str) -> str:
    s = text.translate(_MARKDOWN_ESCAPES)
    return _LIST_MARKER.sub(
        lambda m: f"{m.group(1)}{m.group(2)}\\{m.group(3)}" if m.group(2) else f"{m.group(4)}\\+",
        s,
    )


def _escape_url_in_text(url: str) -> str:
    return url.translate(_URL_UNSAFE)


def escape_markdown(text: str | None) -> str:
    """Escape Discord markdown so feed text renders literally.

    Every markdown character (``\\ * _ ~ ` | > # - [ ] ( ) <``) is
    backslash-escaped, which covers bold/italics/underline/strike, spoilers,
    code, headings, subtext, block quotes, bullet lists, masked links, custom
    emoji and timestamps (their "<"); ordered-list markers ("1.") and "+" bullets at a
    line start are escaped too. Bare http(s) URLs are left clickable (see the
    module docstring). This does not stop pings: see `neutralize_mentions`.
    """
    if not text:
        return ""
    out: list[str] = []
    pos = 0
    for m in _BARE_URL.finditer(text):
        out.append(_escape_plain(text[pos : m.start()]))
        out.append(_escape_url_in_text(m.group()))
        pos = m.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


_EVERYONE = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
# "<@123>", "<@!123>", "<@&123>", "<#123>", "</cmd:123>", "<:emoji:1>",
# "<a:emoji:1>", "<t:1:R>", "<id:customize>": a zero-width space after the
# "<" of anything Discord could parse as a mention or an entity.
_ANGLE = re.compile(r"<(?=[@#/:!&]|[a-z]+:)", re.IGNORECASE)


def neutralize_mentions(text: str | None) -> str:
    """Make every kind of mention harmless without visibly changing the text.

    A zero-width space goes after the "@" of ``@everyone``/``@here`` (any
    case, anywhere) and after the "<" of ``<@123>``, ``<@!123>``,
    ``<@&123>``, ``<#123>``, ``</cmd:123>`` and other ``<x:...>`` entities,
    so neither the server nor the client recognizes them. The client's
    AllowedMentions is the real guard; this is the second one.
    """
    if not text:
        return ""
    return _ANGLE.sub("<" + ZWSP, _EVERYONE.sub("@" + ZWSP, text))


def safe_text(text: str | None) -> str:
    """Feed text for a place Discord renders markdown: cleaned (one line),
    markdown escaped, mentions neutralized."""
    return neutralize_mentions(escape_markdown(_clean(text)))


def _safe_block(text: str | None) -> str:
    """Like `safe_text` but keeping line and paragraph breaks."""
    return neutralize_mentions(escape_markdown(_clean(text, single_line=False)))


def _plain(text: str | None) -> str:
    """Feed text for a place Discord does not render markdown (author name,
    footer, thread name): cleaned and unable to ping, nothing escaped."""
    return neutralize_mentions(_clean(text))


def _fit(text: str, limit: int, render: Callable[[str], str]) -> str:
    """render(text) cut at a word (with an ellipsis) so it fits in `limit`
    UTF-16 units. Returns "" when nothing fits."""
    if limit <= 0 or not text:
        return ""
    # Rendering never shortens cleaned text, so a prefix of `limit` code
    # points is all that can possibly fit.
    text = truncate_words(text, limit)
    rendered = render(text)
    if _ulen(rendered) <= limit:
        return rendered
    lo, hi, best = 1, len(text) - 1, ""
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = render(truncate_words(text, mid))
        if _ulen(candidate) <= limit:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best


def _input_cap(limit: int) -> int:
    # Enough raw text to fill `limit` after cleaning, unless the input is
    # mostly whitespace or junk; then the result is just shorter.
    return 4 * max(limit, 0) + 256


def _safe_fit(text: str | None, limit: int) -> str:
    cleaned = _clean(text, cap=_input_cap(limit))
    return _fit(cleaned, limit, lambda s: neutralize_mentions(escape_markdown(s)))


def _plain_fit(text: str | None, limit: int) -> str:
    return _fit(_clean(text, cap=_input_cap(limit)), limit, neutralize_mentions)


# ---------------------------------------------------------------------------
# URLs

_SCHEMES = frozenset({"http", "https"})
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_IPV4 = re.compile(
    r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$"
)
# Anything RFC 3986 does not allow in path, query and fragment, and any "%"
# that does not start a valid escape, is percent-encoded.
_URL_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]|%(?![0-9A-Fa-f]{2})")
_URL_REFUSED = re.compile(
    "[\\s\\\\\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def _normalize_host(host: str) -> str | None:
    if host.startswith("["):  # IPv6 literal; urlsplit has checked the brackets
        inner = host[1:-1]
        if not inner or not re.fullmatch(r"[0-9a-f:.]+", inner):
            return None
        return host
    host = host.rstrip(".")
    if not host:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if _IPV4.match(host):
        return host
    if host == "localhost":
        return host
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2:
        return None
    if not all(_HOST_LABEL.match(label) for label in labels):
        return None
    return host if _TLD.match(labels[-1]) else None


def _percent_encode(m: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in m.group().encode("utf-8"))


def _quote(part: str) -> str:
    return _URL_NEEDS_QUOTING.sub(_percent_encode, part)


def safe_url(url: str | None) -> str | None:
    """An absolute http(s) URL Discord will accept, or None.

    Requires a scheme of http/https and a real host (a dotted name with an
    alphabetic TLD, "localhost", IPv4 or an IPv6 literal); refuses
    whitespace and control or invisible characters anywhere, user info
    ("http://bank.example@evil.example" is a phishing trick), bad ports, and
    anything longer than 2048 characters. Non-ASCII hosts become IDNA;
    characters outside RFC 3986 in the rest are percent-encoded (so the
    result never contains ``< > " | \\`` or spaces).
    """
    if not isinstance(url, str) or not url or len(url) > URL_LIMIT:
        return None
    if _URL_REFUSED.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in _SCHEMES:
        return None
    netloc = parts.netloc
    if not netloc or "@" in netloc:
        return None
    hostport = netloc
    if port is not None:
        if not 0 < port <= 65535:
            return None
        hostport = netloc.rsplit(":", 1)[0]
    elif netloc.endswith(":"):
        hostport = netloc[:-1]
    host = _normalize_host(hostport.lower())
    if host is None:
        return None
    new_netloc = host if port is None else f"{host}:{port}"
    result = urlunsplit(
        (
            parts.scheme.lower(),
            new_netloc,
            _quote(parts.path) or "/",
            _quote(parts.query),
            _quote(parts.fragment),
        )
    )
    return result if len(result) <= URL_LIMIT else None


def _link_target(url: str) -> str:
    """A safe_url result made safe inside markdown: ``[text](url)``, ``<url>``
    and inside a ``||spoiler||`` (parentheses, '@' and '*' encoded too)."""
    return (
        url.replace("(", "%28")
        .replace(")", "%29")
        .replace("*", "%2A")
        .replace("@", "%40")
        .replace("~", "%7E")
    )


# ---------------------------------------------------------------------------
# Posts

_MIN_DATE = datetime(1970, 1, 2, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=1)


def _aware(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _publication_time(article: Article, now: datetime) -> datetime | None:
    """The article's date if it is believable: feeds without dates get None,
    as do dates before 1970 or more than a day after `now`."""
    if not getattr(article, "has_date", False):
        return None
    published = _aware(getattr(article, "published_at", None))
    current = _aware(now) or datetime.now(UTC)
    if published is None or published < _MIN_DATE or published > current + _FUTURE_SLACK:
        return None
    return published


def _role_id(subscription: Subscription | None) -> int | None:
    role = getattr(subscription, "mention_role_id", None)
    if isinstance(role, bool) or not isinstance(role, int) or not 0 < role < 2**64:
        return None
    return role


def _site_name(feed: Feed | None) -> str:
    title = _clean(getattr(feed, "title", None), cap=_input_cap(AUTHOR_NAME_LIMIT))
    if _visible(title):
        return title
    for attr in ("site_url", "url"):
        url = safe_url(getattr(feed, attr, None))
        if url:
            return urlsplit(url).hostname or url
    return "a feed"


def _warning_line(warnings: Sequence[str]) -> str | None:
    labels: list[str] = []
    for raw in cast("Sequence[object]", warnings):
        if not isinstance(raw, str):  # typed str; checked anyway
            continue
        term = raw
        label = _clean(label_for(term), cap=_input_cap(100))
        if _visible(label) and label.casefold() not in (x.casefold() for x in labels):
            labels.append(label)
    if not labels:
        return None
    return "⚠️ Content warning: " + _safe_fit(", ".join(labels), 300)


def _comment_count(article: Article) -> int | None:
    count = getattr(article, "comment_count", None)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        return None
    return count


def _comments_field(article: Article) -> EmbedField | None:
    url = safe_url(getattr(article, "comments_url", None))
    count = _comment_count(article)
    if count is None and url is None:
        return None
    if count is None:
        text = "Join the discussion"
    elif count == 1:
        text = "💬 1 comment"
    else:
        text = f"💬 {count:,} comments"
    value = f"[{text}]({_link_target(url)})" if url else text
    if _ulen(value) > FIELD_VALUE_LIMIT:  # a very long URL: the count alone
        value = "Join the discussion on the site" if count is None else text
    return EmbedField(name="Discussion", value=value, inline=True)


def _summary_text(article: Article) -> str:
    for attr in ("summary", "content"):
        text = _clean(getattr(article, attr, None), cap=_input_cap(SUMMARY_LENGTH) * 4)
        if text:
            text = strip_wordpress_boilerplate(text)
        if _visible(text):
            return truncate_words(text, SUMMARY_LENGTH)
    return ""


def _footer(article: Article) -> str | None:
    categories = getattr(article, "categories", None) or ()
    names: list[str] = []
    for c in categories if isinstance(categories, tuple | list) else ():
        name = _clean(c, cap=_input_cap(FOOTER_CATEGORIES_LENGTH))
        if _visible(name) and name not in names:
            names.append(name)
    footer = _plain_fit(" · ".join(names), FOOTER_CATEGORIES_LENGTH)
    return footer if _visible(footer) else None


def _embed_total(embed: EmbedSpec) -> int:
    parts = [embed.title, embed.description, embed.author_name, embed.footer]
    parts += [f.name for f in embed.fields] + [f.value for f in embed.fields]
    return sum(_ulen(p) for p in parts if p)


def format_post(
    article: Article,
    feed: Feed,
    subscription: Subscription,
    warnings: Sequence[str],
    now: datetime,
) -> PostSpec:
    """One article as a message.

    ``full`` (the default for any style but "compact"): content is the role
    mention and the content-warning line (None when neither applies); one
    embed with the title linking to the article, the site as author (with
    its icon, linking to the site), "By <author> · <date> (<relative>)",
    a ~350-character summary, the image, a comments field and the categories
    as footer, timestamped with the publication time.

    ``compact``: no embed; one line ``**Title** · Site — <link>`` after the
    mention and warning lines. The link is wrapped in <> so Discord shows no
    preview: compact is meant to be one line, and a preview would show the
    image a content warning is there to hide.

    With content warnings the summary is spoilered and the image is not
    shown: embed images cannot be spoilered, so the description ends with a
    spoilered link to the image instead; the title stays visible so readers
    can decide whether to open it.
    """
    role = _role_id(subscription)
    cw_line = _warning_line(warnings or ())
    head = [line for line in (f"<@&{role}>" if role else None, cw_line) if line]
    link = safe_url(getattr(article, "link", None))
    site = _site_name(feed)
    thread_name = thread_name_for(article)

    if getattr(subscription, "style", "full") == "compact":
        return PostSpec(_compact_line(article, head, site, link), (), role, thread_name)

    title = _safe_fit(getattr(article, "title", None), EMBED_TITLE_LIMIT)
    if not _visible(title):
        title = UNTITLED

    published = _publication_time(article, now)
    meta: list[str] = []
    author = _safe_fit(getattr(article, "author", None), 200)
    if _visible(author):
        meta.append(f"By {author}")
    if published is not None:
        unix = int(published.timestamp())
        meta.append(f"<t:{unix}:f> (<t:{unix}:R>)")

    summary = _summary_text(article)
    image = safe_url(getattr(article, "image_url", None))
    image_note = None
    if cw_line and image:
        image_note = (
            f"🖼️ Image hidden by the content warning: ||[view image]({_link_target(image)})||"
        )
        if _ulen(image_note) > _IMAGE_NOTE_MAX:  # a very long URL: say so, no link
            image_note = "🖼️ Image hidden by the content warning."
        image = None

    def description(summary_limit: int) -> str:
        blocks = []
        if meta:
            blocks.append(" · ".join(meta))
        body = _safe_fit(summary, summary_limit)
        if body:
            blocks.append(f"||{body}||" if cw_line else body)
        if image_note:
            blocks.append(image_note)
        return "\n\n".join(blocks)

    fields = tuple(f for f in (_comments_field(article),) if f is not None)
    embed = EmbedSpec(
        title=title,
        url=link,
        author_name=_plain_fit(site, AUTHOR_NAME_LIMIT) or None,
        author_url=safe_url(getattr(feed, "site_url", None)),
        author_icon_url=safe_url(getattr(feed, "icon_url", None)),
        footer=_footer(article),
        timestamp=published,
        image_url=image,
        color=COLOR,
        fields=fields,
    )
    # By construction every part is bounded (title 256, author 256, footer
    # 200, field 1,034, meta ~260, image note 1,200, summary <= 1,500 after
    # escaping), far under 4,096 / 6,000; the loop is the guarantee.
    summary_limit = _SUMMARY_RENDERED_MAX
    while True:
        desc = description(summary_limit)
        candidate = replace(embed, description=desc or None)
        fits = _ulen(desc) <= EMBED_DESCRIPTION_LIMIT
        if (fits and _embed_total(candidate) <= EMBED_TOTAL_LIMIT) or summary_limit == 0:
            break
        summary_limit //= 2
    content = "\n".join(head) or None
    return PostSpec(content, (candidate,), role, thread_name)


def _compact_line(article: Article, head: list[str], site: str, link: str | None) -> str:
    """Mention and warning lines, then ``**Title** · Site — <link>``."""
    head_text = "".join(line + "\n" for line in head)
    suffix = f" · {_safe_fit(site, 200)}"
    link_part = f" — <{_link_target(link)}>" if link else ""
    room = CONTENT_LIMIT - _ulen(head_text) - _ulen(suffix) - 4  # the ** **
    if room - _ulen(link_part) < 40:  # a huge URL: keep the title, drop the link
        link_part = ""
    room -= _ulen(link_part)
    title = _safe_fit(getattr(article, "title", None), min(room, EMBED_TITLE_LIMIT))
    if not _visible(title):
        title = UNTITLED
    return f"{head_text}**{title}**{suffix}{link_part}"


def format_backlog_note(count: int, feed: Feed, link: str | None) -> PostSpec:
    """A one-liner, "N more articles were published on Site while I was
    offline", with a link to the site (`link`, else the feed's site URL), no preview, no ping."""
    n = count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0
    noun = "article was" if n == 1 else "articles were"
    url = safe_url(link) or safe_url(getattr(feed, "site_url", None))
    site = _safe_fit(_site_name(feed), 300)
    text = f"📚 {n:,} more {noun} published on **{site}** while I was offline"
    link_part = f" — <{_link_target(url)}>" if url else ""
    if _ulen(text) + _ulen(link_part) <= CONTENT_LIMIT:  # else a huge URL: no link
        text += link_part
    return PostSpec(text, (), None, None)


def thread_name_for(article: Article) -> str:
    """A thread or forum-post name: the article title on one line, cut at a
    word to 100 characters; the link's host or "Untitled article" when the
    title is blank. Thread names show no markdown, so nothing is escaped."""
    name = _plain_fit(getattr(article, "title", None), THREAD_NAME_LIMIT)
    if _visible(name):
        return name
    url = safe_url(getattr(article, "link", None))
    host = urlsplit(url).hostname if url else None
    return host[:THREAD_NAME_LIMIT] if host else UNTITLED
