"""Search snippets (matches wrapped in \\x02 … \\x03 by storage) made into
Discord markdown that feed text cannot abuse."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()<])")
_LINE_START = re.compile(r"^([#+-]|\d+\.)")  # headers, subtext (-#), lists
_MENTION = re.compile(r"@(?=\S)")
_BLANKS = re.compile(r"\s+")


def _escape(text: str) -> str:
    text = _BLANKS.sub(" ", text)
    text = _MARKDOWN.sub(r"\\\1", text)
    return _MENTION.sub("@\u200b", text)


def render_snippet(snippet: str) -> str:
    """Storage snippet (matches wrapped in \\x02 … \\x03) -> Discord markdown:
    matches in **bold**, everything else escaped so feed text cannot format,
    link or mention (`@everyone`, `<@123>` are neutralized)."""
    out: list[str] = []
    bold = False
    for part in re.split(r"([\x02\x03])", snippet):
        if part == "\x02":
            bold = True
        elif part == "\x03":
            bold = False
        elif part:
            text = _escape("".join(ch if ch.isprintable() else " " for ch in part))
            if bold and text.strip():
                lead = text[: len(text) - len(text.lstrip())]
                trail = text[len(text.rstrip()) :]
                out.append(f"{lead}**{text.strip()}**{trail}")
            else:
                out.append(text)
    rendered = "".join(out).strip().replace("** **", " ")  # adjacent matches: one bold run
    # Newlines are gone, so only the very start could begin a header or a list.
    return _LINE_START.sub(r"\\\1", rendered)
