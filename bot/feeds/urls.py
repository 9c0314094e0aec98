"""Showing feed URLs without the secrets some of them carry.

A feed behind HTTP authentication is added as ``https://user:pass@host/feed``;
the fetcher needs those credentials, nobody reading a list, a log line or an
error message does.
"""

from __future__ import annotations

REDACTED = "***"


def redact_url(url: str) -> str:
    """`url` with any ``user:password@`` replaced by ``***@``, for display.

    Works on any string, valid URL or not (no parsing that could raise), in one
    pass: the authority is what follows "//" up to the first "/", "?" or "#",
    and its user information runs to the last "@" in it, as RFC 3986 reads it.
    """
    scheme_end = url.find("//")
    if scheme_end < 0:
        return url
    start = scheme_end + 2
    end = len(url)
    for mark in "/?#":
        found = url.find(mark, start)
        if 0 <= found < end:
            end = found
    at = url.rfind("@", start, end)
    if at < 0:
        return url
    return f"{url[:start]}{REDACTED}{url[at:]}"


def has_credentials(url: str) -> bool:
    """True when `url` carries user information (a name, a password or both)."""
    return redact_url(url) != url
