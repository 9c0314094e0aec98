"""Showing URLs without their secrets.

Private feeds carry credentials in the URL (`https://user:pass@host/feed`, or a
`?token=...` query). The stored URL keeps them, since fetching needs them; every
place that shows a URL to a person (CLI output, messages, logs) shows
`redact_url(url)` instead, or `redact_text(text)` for a message that may quote one.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

HIDDEN = "***"

# Query parameters that are credentials by name; their values are hidden.
_SECRET_PARAM = re.compile(
    r"(?i)^(?:.*[_-])?(?:token|key|apikey|secret|password|passwd|pass|pwd|auth|"
    r"authorization|sig|signature|session|sid|credential|credentials)$"
)
# `scheme://userinfo@` anywhere in free text (an error message, a feed title).
_USERINFO_IN_TEXT = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@]+@")
_URL_IN_TEXT = re.compile(r"(?i)\bhttps?://[^\s'\"<>]+")


def redact_url(url: str) -> str:
    """`url` with its user name, password and credential-like query values hidden."""
    try:
        parts = urlsplit(url)
    except ValueError:  # unparseable: still hide anything shaped like userinfo
        return _USERINFO_IN_TEXT.sub(rf"\1{HIDDEN}@", url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = HIDDEN + "@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAM.match(k) for k, _ in pairs):
            query = urlencode(
                [(k, HIDDEN if _SECRET_PARAM.match(k) else v) for k, v in pairs], safe="*"
            )
    if netloc == parts.netloc and query == parts.query:
        return url  # nothing secret: keep the text exactly as given
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """`text` with every URL in it redacted (and any `scheme://user@` left over)."""
    text = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
    return _USERINFO_IN_TEXT.sub(rf"\1{HIDDEN}@", text)


def has_credentials(url: str) -> bool:
    """True when showing `url` would reveal a secret (user information or a
    credential-like query value)."""
    return redact_url(url) != url
