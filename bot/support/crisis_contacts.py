"""Crisis and support contacts, and the words that make a search look like a crisis.

Pure: no Discord, no storage. The cog shows `resources_text(guild_settings.resources)`
for /resources and adds it to a private search result when `looks_like_crisis()`
says the query might come from someone in trouble. Edit DEFAULT_RESOURCES and
CRISIS_TERMS here; moderators override the text per server with /resources edit.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.text import fold

# Short, neutral and international. Numbers are the services' own public ones.
DEFAULT_RESOURCES = """\
**If you are in immediate danger, contact your local emergency services.**
• Find a helpline in your country: https://findahelpline.com
• SAMHSA National Helpline (US, free, 24/7): 1-800-662-4357
• 988 Suicide & Crisis Lifeline (US): call or text 988
• Samaritans (UK & ROI): 116 123"""

RESOURCES_MAX_CHARS = 1500  # leaves room for a lead line in a 2000-character message

RESOURCES_LEAD = "You're not alone. If you need someone to talk to right now:"

# Matched as whole words or phrases, case- and accent-insensitively, apostrophes
# optional ("cant stop using" matches "can't stop using"). Keep it small: the
# line it adds is help, not a diagnosis, but a noisy list teaches people to skip it.
CRISIS_TERMS: tuple[str, ...] = (
    "suicide",
    "suicidal",
    "kill myself",
    "killing myself",
    "end my life",
    "want to die",
    "wanna die",
    "self harm",
    "self-harm",
    "overdosing",
    "overdosed",
    "relapsed",
    "relapsing",
    "can't stop using",
    "can't stop drinking",
    "no reason to live",
)

_APOSTROPHES = re.compile("['\u2019\u02bc`\u00b4]")
_NON_WORD = re.compile(r"[\W_]+")


def _normalize(text: str) -> str:
    """Folded words separated by single spaces, apostrophes dropped."""
    return " ".join(_NON_WORD.sub(" ", _APOSTROPHES.sub("", fold(text))).split())


@lru_cache(maxsize=8)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    phrases = sorted({p for p in (_normalize(t) for t in terms) if p}, key=len, reverse=True)
    if not phrases:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)")


def looks_like_crisis(text: str, terms: tuple[str, ...] = CRISIS_TERMS) -> bool:
    """True when `text` contains one of `terms` as a whole word or phrase."""
    pattern = _pattern(tuple(terms))
    if pattern is None or not text:
        return False
    return pattern.search(_normalize(text[:2000])) is not None


def resources_text(custom: str | None) -> str:
    """The server's contacts text (None or blank: the default)."""
    if custom is None or not custom.strip():
        return DEFAULT_RESOURCES
    return custom.strip()[:RESOURCES_MAX_CHARS]


def clean_resources(text: str) -> str | None:
    """A moderator's edit, ready to store: trimmed, capped, None when blank
    (blank means "back to the default")."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    cleaned = "\n".join(lines).strip()
    return cleaned[:RESOURCES_MAX_CHARS] or None
