"""Plain-text helpers shared by the parser, the formatter and search.

Feed HTML is hostile: it goes through nh3 (Ammonia) with no allowed tags, so
script/style content, comments and malformed markup are handled by a real HTML
parser rather than by regular expressions. Everything here is pure and fast.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Collection, Iterator
from html.entities import html5

import nh3

# Pathological inputs: nothing larger than this goes into nh3 (characters).
MAX_HTML_INPUT = 4_000_000

# Sentinels for line and paragraph breaks. Private-use code points survive nh3
# untouched; any occurrence in the input is removed first.
_BR = "\ue000"
_PARA = "\ue001"
# Stands in for "&" while nh3 strips the tags: nh3 (html5ever) is super-linear
# on runs of character references ("&&&&...": minutes at MAX_HTML_INPUT), so
# it never sees one, and html.unescape decodes them once afterwards.
_AMP = "\ue002"
_SENTINELS = re.compile("[\ue000-\ue002]")
# What nh3's serializer escapes in text (its input has no "&", so this is all).
_NH3_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", "\xa0"), ("&amp;", "&"))

_CLEANER = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"}, strip_comments=True)

_WS = re.compile(r"\s+")
# C0/C1 controls (but tab/newline/CR), lone surrogates and noncharacters: they
# break nh3 and SQLite and mean nothing to a reader.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Linear time matters here (a feed of "<br <br <br ..." made `[^>]*` quadratic):
# a tag's attributes never run past the next "<", so no two matches share a scan.
_BR_TAG = re.compile(r"<br\b[^<>]*>", re.IGNORECASE)
_BLOCK_TAG = re.compile(  # the lookahead spares the alternation at every bare "<"
    r"</?(?=[a-zA-Z])(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|blockquote|pre|table|thead|tbody|tfoot|tr"
    r"|section|article|header|footer|aside|nav|figure|figcaption|hr|address|details"
    r"|summary|main)\b[^<>]*>",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[^\S\n]+")  # whitespace except newline
_BREAK_RUN = re.compile(r" ?[\ue000\ue001][\ue000\ue001 ]*")  # spaces are collapsed by then
_BLANK_LINES = re.compile(r"\n\s*\n")


def scrub(text: str) -> str:
    """Drop control characters, lone surrogates and noncharacters."""
    return _BAD_CHARS.sub("", text)


def _break_for(run: str) -> str:
    if _PARA in run or run.count(_BR) >= 2:
        return "\n\n"
    return "\n"


def html_to_text(html_fragment: str) -> str:
    """HTML fragment -> clean plain text.

    Tags are stripped (script/style content dropped), entities decoded,
    whitespace collapsed; block elements become paragraph breaks ("\\n\\n") and
    <br> a line break ("\\n").
    """
    if not html_fragment:
        return ""
    s = scrub(html_fragment[:MAX_HTML_INPUT])
    s = _SENTINELS.sub("", s)
    s = _WS.sub(" ", s)  # source whitespace is insignificant in HTML
    if "<" not in s and "&" not in s:  # no markup, no entities: nothing to clean
        return s.strip()
    s = _BR_TAG.sub(_BR, s)
    s = _BLOCK_TAG.sub(_PARA, s)
    s = _CLEANER.clean(s.replace("&", _AMP))
    for escaped, char in _NH3_ESCAPES:
        s = s.replace(escaped, char)
    s = html.unescape(s.replace(_AMP, "&"))
    s = _WS.sub(" ", s)  # entities may have decoded to newlines or NBSPs
    s = _BREAK_RUN.sub(lambda m: _break_for(m.group()), s)
    s = "\n".join(line.strip() for line in s.split("\n"))
    s = re.sub(r"\n{3,}", "\n\n", s)
    return s.strip()


def plain_to_text(text: str) -> str:
    """A text/plain feed field -> clean plain text.

    Blank lines stay paragraph breaks and single newlines line breaks; anything
    that looks like markup is still stripped (feedparser does not sanitize
    text/plain fields, and they reach Discord).
    """
    if not text:
        return ""
    s = scrub(text[:MAX_HTML_INPUT])
    s = _SENTINELS.sub("", s)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _BLANK_LINES.sub("<p>", s)
    s = s.replace("\n", "<br>")
    return html_to_text(s)


def clean_inline(text: str) -> str:
    """Collapse all whitespace (newlines included) to single spaces: one line."""
    return _WS.sub(" ", scrub(text)).strip()


_TRAILERS = re.compile(
    r"""(?:
        \[\s*(?:…|\.\.\.|&hellip;|&\#8230;)\s*\]       # [...] [&hellip;]
      | (?<=\s)(?:…|&hellip;|&\#8230;)                 # a bare ellipsis after a space
      | (?<![^\s.!?…\]])(?:Continue|CONTINUE)\s+(?:reading|Reading|READING)
        (?:\s+[^\n]{0,200}?)?\s*(?:→|->|»|&rarr;|&raquo;)?
      | (?<![^\s.!?…\]])(?:Read|READ)\s+(?:more|More|MORE)
        (?:\s*(?:→|->|»|\.\.\.|…|&rarr;|&raquo;))?
    )[\s.]*$""",
    re.VERBOSE,
)
_APPEARED_FIRST = re.compile(
    r"(?:^|\s)The post\s[^\n]{1,500}?\sappeared first on\s[^\n]{1,300}?\.?\s*$",
    re.IGNORECASE,
)


_TAIL = 2000  # longer than any trailer the patterns can match
# Cheap test before the costly patterns: a trailer ends with one of these.
_TRAILER_HINT = re.compile(r"…|\.\.\.|&hellip;|&#8230;|Continue|CONTINUE|Read\s|READ\s|->|→|»|&r")


def strip_wordpress_boilerplate(text: str) -> str:
    """Remove WordPress/feed-plugin trailers from the end of a plain-text summary.

    "The post X appeared first on Y.", "[…]", "[...]", "Continue reading →",
    "Read more" — repeatedly, since they come stacked.
    """
    s = text.rstrip()
    # The trailers are short and at the end: only the tail needs the regexes
    # (cut at a space, so "^|\s" in the patterns still means a word start).
    cut = s.rfind(" ", 0, max(len(s) - _TAIL, 0)) if len(s) > _TAIL else -1
    if cut <= 0 and len(s) > _TAIL:
        # No space to cut at (one long word, or lines): cut anyway, or the
        # patterns would scan all of a hostile 4 MB summary, six times over.
        # No match can start that far back, so no trailer is cut in two.
        cut = len(s) - _TAIL
    head, tail = (s[:cut], s[cut:]) if cut > 0 else ("", s)
    for _ in range(6):
        before = tail
        if "appeared first" in tail.casefold():
            tail = _APPEARED_FIRST.sub("", tail).rstrip()
        if _TRAILER_HINT.search(tail[-400:]):
            tail = _TRAILERS.sub("", tail).rstrip()
        if tail == before:
            break
    return (head + tail).rstrip() if head else tail


def truncate_words(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut `text` to at most `limit` characters (ellipsis included), at a word
    boundary when one exists in the second half of the window."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return ellipsis[: max(limit, 0)]
    room = limit - len(ellipsis)
    if text[room].isspace():
        cut = text[:room]
    else:
        window = text[: room + 1]
        idx = max(window.rfind(" "), window.rfind("\n"), window.rfind("\t"))
        cut = text[:idx] if idx >= room // 2 else text[:room]
    return cut.rstrip(" \t\n,;:-–—") + ellipsis


def fold(text: str) -> str:
    """Casefold and strip diacritics, for case/accent-insensitive matching
    ("Café" and "CAFE" fold to the same string)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if decomposed.isascii():
        return decomposed
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --------------------------------------------------------------------------- tags

# Character references as HTML writes them into attribute values ("&amp;",
# "&eacute;", "&#233;"); a legacy name without its ";" ("&copy" in a query
# string) is left alone, as browsers do in attributes.
_ATTR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ATTR_SKIP = re.compile(r"[\s/]*")
_ATTR_NAME = re.compile(r"[^\s/>][^\s/>=]*")
_ATTR_EQ = re.compile(r"\s*=\s*")
_ATTR_UNQUOTED = re.compile(r"[^\s>]*")
_RAW_TEXT = frozenset({"script", "style"})


def _skip(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """End of `pattern` (which matches the empty string) at `pos`."""
    m = pattern.match(text, pos)
    assert m is not None
    return m.end()


def _attr_ref(m: re.Match[str]) -> str:
    ref = m.group(1)
    if ref[0] == "#":
        return html.unescape(m.group(0))
    return html5.get(ref + ";", m.group(0))


def unescape_attribute(value: str) -> str:
    """Decode the character references of an HTML attribute value."""
    return _ATTR_REF.sub(_attr_ref, value) if "&" in value else value


def start_tags(markup: str, names: Collection[str]) -> Iterator[tuple[str, dict[str, str]]]:
    """(name, attributes) of each start tag in `names` (lower case), in order.

    A linear scan, for hostile pages: every character is looked at a bounded
    number of times, whatever the markup (regular expressions with `[^>]*`
    over unclosed tags, and html.parser on unclosed quotes, are quadratic).
    Comments and script/style content are skipped; a tag or comment left open
    at the end is dropped, as HTML does. Other tags are not parsed, so an
    attribute value that spells a tag is taken for one (good enough to find
    links and images). Attribute names are lower-cased, the first of a
    repeated name wins, values are unescaped.
    """
    wanted = {n.lower() for n in names}
    alternatives = "|".join(re.escape(n) for n in sorted(wanted | _RAW_TEXT))
    opener = re.compile(rf"<(?:(!--)|({alternatives})(?=[\s/>]|$))", re.IGNORECASE)
    size = len(markup)
    pos = 0
    while (m := opener.search(markup, pos)) is not None:
        if m.group(1):
            end = markup.find("-->", m.end())
            if end < 0:
                return
            pos = end + 3
            continue
        name = m.group(2).lower()
        attrs: dict[str, str] = {}
        pos = m.end()
        while True:
            pos = _skip(_ATTR_SKIP, markup, pos)
            if pos >= size:
                return
            if markup[pos] == ">":
                pos += 1
                break
            key_match = _ATTR_NAME.match(markup, pos)
            assert key_match is not None  # markup[pos] is neither space, "/" nor ">"
            key = key_match.group().lower()
            pos = key_match.end()
            value = ""
            eq = _ATTR_EQ.match(markup, pos)
            if eq is not None:
                pos = eq.end()
                if pos < size and markup[pos] in "\"'":
                    close = markup.find(markup[pos], pos + 1)
                    if close < 0:
                        return  # an unclosed quote runs to the end: no tag
                    value, pos = markup[pos + 1 : close], close + 1
                else:
                    end = _skip(_ATTR_UNQUOTED, markup, pos)
                    value, pos = markup[pos:end], end
            attrs.setdefault(key, unescape_attribute(value))
        if name in _RAW_TEXT:
            closer = re.compile(rf"</{name}(?=[\s/>]|$)", re.IGNORECASE).search(markup, pos)
            if closer is None:
                return
            pos = closer.end()
        if name in wanted:
            yield name, attrs
