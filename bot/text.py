"""Plain-text helpers shared by the parser, the formatter and search.

Feed HTML is hostile: it goes through nh3 (Ammonia) with no allowed tags, so
script/style content, comments and malformed markup are handled by a real HTML
parser rather than by regular expressions. Everything here is pure and fast.
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

# Pathological inputs: nothing larger than this goes into nh3 (characters).
MAX_HTML_INPUT = 4_000_000

# Sentinels for line and paragraph breaks. Private-use code points survive nh3
# untouched; any occurrence in the input is removed first.
_BR = "\ue000"
_PARA = "\ue001"
_SENTINELS = re.compile("[\ue000\ue001]")

_CLEANER = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"}, strip_comments=True)

_WS = re.compile(r"\s+")
# C0/C1 controls (but tab/newline/CR), lone surrogates and noncharacters: they
# break nh3 and SQLite and mean nothing to a reader.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BR_TAG = re.compile(r"<br\b[^>]*>", re.IGNORECASE)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|blockquote|pre|table|thead|tbody|tfoot|tr"
    r"|section|article|header|footer|aside|nav|figure|figcaption|hr|address|details"
    r"|summary|main)\b[^>]*>",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[^\S\n]+")  # whitespace except newline
_BREAK_RUN = re.compile(r" *[\ue000\ue001][\ue000\ue001 ]*")
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
    s = html.unescape(_CLEANER.clean(s))
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
