"""The HTTP fetcher for feeds: conditional GET, size and time limits, redirects
followed by hand, and a private-network guard enforced on the address actually
connected to.

The guard has three layers, each closing a hole the one before leaves open:

1. Before each hop, a host that is an IP literal (including legacy forms such as
   ``2130706433`` or ``0x7f.1`` that the C resolver accepts) is checked, so the
   refusal comes early and names the address.
2. The connector's socket factory refuses to create a socket for a blocked
   address. It sees the exact address about to be dialled (after DNS, for every
   happy-eyeballs attempt, for literal IPs that aiohttp never passes to a
   resolver), so there is no check-then-resolve gap for DNS rebinding to use and
   no packet is ever sent to a refused address.
3. After a connection is made (or taken from the pool) and before the request is
   written, the socket's peer address is checked again.

No proxy is used (``trust_env=False``): behind a proxy the peer is the proxy and
the guard would be meaningless.
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from types import TracebackType
from typing import Final

import aiohttp
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver
from aiohttp.connector import Connection
from aiohttp.tracing import Trace
from yarl import URL

from bot import USER_AGENT
from bot.errors import BlockedAddressError, FetchError
from bot.errors import FetchErrorKind as Kind
from bot.feeds.urls import redact_url

log = logging.getLogger(__name__)

FEED_ACCEPT: Final = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, text/html;q=0.5, */*;q=0.1"
)
# Cloudflare and WP Engine turn away some non-browser agents with a 403;
# lemon24/reader retries those once looking like a browser, and so do we.
BROWSER_USER_AGENT: Final = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
MAX_REDIRECTS: Final = 5
MAX_URL_LENGTH: Final = 2048
MAX_POLL_HINT: Final = 24 * 60 * 60.0  # seconds; no server may park a feed longer

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_PERMANENT: Final = frozenset({301, 308})
_CHUNK: Final = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
# Special-purpose ranges spelled out, so the guard doesn't depend on which
# Python patch release updated ipaddress's tables.
_SPECIAL: Final = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "::/96", "100::/64", "64:ff9b:1::/48", "2001::/23",
        "2001:db8::/32", "3fff::/20", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)  # fmt: skip
# A legacy numeric IPv4 host: what inet_aton accepts and yarl leaves alone.
_LEGACY_IPV4: Final = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?")


class RateLimitedError(FetchError):
    """HTTP 429 or 503. `retry_after` is the server's Retry-After in seconds, if any."""

    def __init__(self, message: str, *, status: int, retry_after: float | None) -> None:
        super().__init__(message, Kind.RATE_LIMITED, status=status)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # final URL after redirects
    status: int  # 2xx (normally 200) or 304
    body: bytes | None  # None when not modified
    headers: Mapping[str, str]  # final response headers, keys lower-cased
    etag: str | None
    last_modified: str | None
    not_modified: bool
    permanent_url: str | None  # set when every hop was a 301/308
    min_next_poll: float | None  # seconds, from Cache-Control/Expires/Retry-After


# ---------------------------------------------------------------------------
# Pure helpers


def check_url(url: str) -> str:
    """Validate a feed URL as given by a moderator; return it stripped, else raise."""
    value = url.strip()
    if not value:
        raise FetchError("The URL is empty", Kind.INVALID_URL)
    if len(value) > MAX_URL_LENGTH:
        raise FetchError(f"The URL is longer than {MAX_URL_LENGTH} characters", Kind.INVALID_URL)
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise FetchError("The URL contains spaces or invisible characters", Kind.INVALID_URL)
    parsed = _parse(value)
    if parsed.scheme not in ("http", "https"):
        raise FetchError("Only http:// and https:// feed URLs are supported", Kind.INVALID_URL)
    if not parsed.host:
        raise FetchError("The URL has no host name", Kind.INVALID_URL)
    if parsed.explicit_port == 0:
        raise FetchError("The URL's port must be between 1 and 65535", Kind.INVALID_URL)
    return value


def is_blocked_address(ip: str) -> bool:
    """True when the private-network guard refuses `ip`; non-addresses count as blocked."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return True
    return _blocked(address)


def _blocked(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # Forms that carry an IPv4 address the packets end up at.
        if address.ipv4_mapped is not None:
            return _blocked(address.ipv4_mapped)
        if address in _NAT64:
            return _blocked(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour is not None:
            return _blocked(address.sixtofour)
        if address.is_site_local:
            return True
    # is_global alone misses multicast; the rest are spelled out for clarity.
    return (
        any(address in network for network in _SPECIAL)
        or not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _describe(address: IPAddress) -> str:
    inner: IPAddress = address
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        inner = address.ipv4_mapped
    if inner.is_loopback:
        return "a loopback (this machine) address"
    if inner.is_link_local:
        return "a link-local address"
    if inner.is_multicast:
        return "a multicast address"
    if inner.is_unspecified:
        return "an unspecified address"
    if inner in ipaddress.IPv4Network("100.64.0.0/10"):
        return "a shared (carrier-grade NAT) address"
    if inner.is_private:
        return "a private-network address"
    return "a reserved or non-public address"


def _blocked_message(host: str, address: str) -> str:
    try:
        what = _describe(ipaddress.ip_address(address))
    except ValueError:
        what = "not a public address"
    where = f"{host} is {address}" if host == address else f"{host} points to {address}"
    return (
        f"{where}, {what}; fetching from private networks is turned off "
        "(FEED_ALLOW_PRIVATE_NETWORKS)"
    )


def _parse(value: str) -> URL:
    try:
        parsed = URL(value)
        parsed.host  # noqa: B018  (decoding the host is what raises on bad IDNA)
        parsed.port  # noqa: B018
    except (ValueError, UnicodeError) as exc:
        raise FetchError(
            f"That is not a valid web address ({redact_url(str(exc))})", Kind.INVALID_URL
        ) from None
    return parsed


def _literal_address(host: str) -> tuple[IPAddress | None, bool]:
    """(address, canonical) for an IP-literal host, (None, True) for a host name."""
    try:
        return ipaddress.ip_address(host), True
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip("."))), False
        except OSError:
            return None, True
    return None, True


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds (delta-seconds or HTTP-date), clamped to 24 h."""
    if not value:
        return None
    value = value.strip()
    seconds = _delta_seconds(value)
    if seconds is not None:
        return min(seconds, MAX_POLL_HINT)
    when = _http_date(value)
    if when is None:
        return None
    return _clamp((when - now).total_seconds())


def _delta_seconds(value: str) -> float | None:
    """HTTP delta-seconds (ASCII digits only: "²" and "٣" pass str.isdigit but
    are not numbers to float(), nor to HTTP)."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    return None


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses naive
        when = when.replace(tzinfo=UTC)
    return when


def _clamp(seconds: float) -> float:
    return max(0.0, min(seconds, MAX_POLL_HINT))


def _freshness(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds the response stays fresh, from Cache-Control max-age or Expires."""
    directives: dict[str, str] = {}
    for part in headers.get("cache-control", "").split(","):
        name, _, arg = part.strip().partition("=")
        if name:
            directives[name.lower()] = arg.strip().strip('"')
    if "no-cache" in directives or "no-store" in directives:
        return None
    age_seconds = _delta_seconds(headers.get("age", "")) or 0.0
    max_age = _delta_seconds(directives.get("max-age", ""))
    if max_age is not None:
        return _clamp(max_age - age_seconds)
    expires = headers.get("expires")
    if expires:
        when = _http_date(expires)
        if when is None:
            return None  # an invalid Expires means "already expired"
        date = _http_date(headers.get("date", "")) or now
        return _clamp((when - date).total_seconds())
    return None


def _plain_headers(raw: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased, picklable copy; repeated fields are joined as HTTP allows."""
    out: dict[str, str] = {}
    for name, value in raw.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _same_etag(a: str, b: str) -> bool:
    def strip(tag: str) -> str:
        tag = tag.strip()
        return tag[2:] if tag[:2] in ("W/", "w/") else tag

    return strip(a) == strip(b)


def _sendable(value: str | None) -> str | None:
    """A stored validator is echoed back only if it is a well-formed header value."""
    if value and len(value) <= 1024 and value.isascii() and value.isprintable():
        return value
    return None


def _status_text(status: int, reason: str | None) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = reason or ""
    return f"{status} {phrase}".strip()


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f}".removesuffix(".0") + " MiB"
    if n >= 1024:
        return f"{n / 1024:.1f}".removesuffix(".0") + " KiB"
    return f"{n} bytes"


def _shown(url: URL) -> str:
    return redact_url(str(url))


def _host(url: URL) -> str:
    return url.host or str(url)


# ---------------------------------------------------------------------------
# The guarded connector

# Addresses the socket factory refused during the current connect() call. A
# list in a context variable: happy-eyeballs attempts run in child tasks, which
# copy the context but share the list.
_refused: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "lantern_fetch_refused", default=None
)


class _GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector that never dials, nor talks over, a refused address."""

    def __init__(
        self, *, resolver: AbstractResolver | None, refuses: Callable[[str], bool]
    ) -> None:
        # No in-process DNS cache: every new connection resolves afresh and is
        # checked; keep-alive pooling already spares repeat lookups.
        super().__init__(resolver=resolver, use_dns_cache=False, socket_factory=self._open_socket)
        self._refuses = refuses

    def _open_socket(self, addr_info: AddrInfoType) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        address = str(sockaddr[0])
        if self._refuses(address):
            refused = _refused.get()
            if refused is not None:
                refused.append(address)
            raise PermissionError(f"refused to connect to {address} (private network guard)")
        return socket.socket(family=family, type=type_, proto=proto)

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109  (aiohttp's signature)
    ) -> Connection:
        host = req.url.host or "the server"
        refused: list[str] = []
        token = _refused.set(refused)
        try:
            conn = await super().connect(req, traces, timeout)
        except aiohttp.ClientConnectorError:
            if refused:
                # Every address the name resolved to was refused.
                raise BlockedAddressError(_blocked_message(host, refused[0])) from None
            raise
        finally:
            _refused.reset(token)
        transport = conn.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if self._refuses(address):
            conn.close()
            raise BlockedAddressError(_blocked_message(host, address or "an unknown address"))
        return conn


# ---------------------------------------------------------------------------
# The fetcher


class Fetcher:
    """Fetches feeds over one aiohttp session; use as `async with Fetcher(...) as f`."""

    def __init__(
        self,
        *,
        allow_private: bool,
        max_bytes: int = 10 * 1024 * 1024,
        timeout: float = 20,
        connect_timeout: float = 10,
        user_agent: str = USER_AGENT,
        resolver: AbstractResolver | None = None,
        allowed_networks: Iterable[str] = (),
    ) -> None:
        """`resolver` stays the caller's to close. `allowed_networks` (CIDRs) are
        exempt from the guard, matched as written: an IPv4 network does not admit
        its IPv4-mapped IPv6 form."""
        if max_bytes < 1 or timeout <= 0 or connect_timeout <= 0:
            raise ValueError("max_bytes, timeout and connect_timeout must be positive")
        self._allow_private = allow_private
        self._allowed = tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks)
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._connect_timeout = min(connect_timeout, timeout)
        self._user_agent = user_agent
        self._resolver = resolver  # owned by the caller when given
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is not None:
            return
        connector: aiohttp.TCPConnector
        if self._allow_private:
            connector = aiohttp.TCPConnector(resolver=self._resolver)
        else:
            connector = _GuardedConnector(resolver=self._resolver, refuses=self._refuses)
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(
                total=None, connect=self._connect_timeout, sock_connect=self._connect_timeout
            ),
            trust_env=False,
            auto_decompress=True,
        )

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def __aenter__(self) -> Fetcher:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
    ) -> FetchResult:
        """GET a feed. Raises FetchError (with a one-line human message) on any failure."""
        if self._session is None:
            raise RuntimeError("Fetcher.fetch() called before start()")
        start = _parse(check_url(url))
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(self._session, start, etag, last_modified, accept)
        except TimeoutError:
            raise FetchError(
                f"{_host(start)} took longer than {self._timeout:g} seconds to send the feed",
                Kind.TIMEOUT,
            ) from None

    async def _follow(
        self,
        session: aiohttp.ClientSession,
        url: URL,
        etag: str | None,
        last_modified: str | None,
        accept: str,
    ) -> FetchResult:
        user_agent = self._user_agent
        retried_403 = False
        all_permanent = True
        redirects = 0
        sent_etag = _sendable(etag)
        sent_modified = _sendable(last_modified)
        while True:
            self._check_literal(url)
            headers = {"User-Agent": user_agent, "Accept": accept}
            if sent_etag:
                headers["If-None-Match"] = sent_etag
            if sent_modified:
                headers["If-Modified-Since"] = sent_modified
            try:
                async with session.get(url, headers=headers, allow_redirects=False) as resp:
                    if resp.status in _REDIRECTS:
                        target = self._redirect_target(url, resp)
                        all_permanent = all_permanent and resp.status in _PERMANENT
                    elif resp.status == 403 and not retried_403:
                        log.debug("403 from %s; retrying with a browser User-Agent", _shown(url))
                        retried_403 = True
                        user_agent = BROWSER_USER_AGENT
                        continue
                    else:
                        permanent = str(url) if redirects and all_permanent else None
                        return await self._finish(url, resp, sent_etag, sent_modified, permanent)
            except FetchError:
                raise
            except (aiohttp.ClientError, OSError, ValueError) as exc:
                raise self._translate(exc, url) from None
            redirects += 1
            if redirects > MAX_REDIRECTS:
                raise FetchError(
                    f"The feed redirected more than {MAX_REDIRECTS} times", Kind.REDIRECTS
                )
            log.debug("redirect %d: %s -> %s", redirects, _shown(url), _shown(target))
            url = target

    def _refuses(self, ip: str) -> bool:
        """Whether the guard refuses `ip` (a string, as sockets report it)."""
        if self._allow_private:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return True
        if any(address in network for network in self._allowed):
            return False
        return _blocked(address)

    def _check_literal(self, url: URL) -> None:
        host = url.host or ""
        address, canonical = _literal_address(host)
        if address is None:
            return
        if self._refuses(str(address)):
            raise BlockedAddressError(_blocked_message(host, str(address)))
        if not canonical:
            # aiohttp refuses these itself; say why in words.
            raise FetchError(
                f"Write the address {host} in the usual dotted form ({address})", Kind.INVALID_URL
            )

    @staticmethod
    def _redirect_target(url: URL, resp: aiohttp.ClientResponse) -> URL:
        location = resp.headers.get("Location", "").strip()
        status = _status_text(resp.status, resp.reason)
        if not location:
            raise FetchError(f"The server answered {status} without saying where", Kind.REDIRECTS)
        try:
            target = url.join(URL(location))
            target_host = target.host
            target.port  # noqa: B018
        except (ValueError, UnicodeError):
            raise FetchError(
                f"The server redirected to an invalid address ({location[:200]})", Kind.REDIRECTS
            ) from None
        if target.scheme not in ("http", "https") or not target_host:
            raise FetchError(
                f"The server redirected to a non-web address ({location[:200]})", Kind.REDIRECTS
            )
        if target.origin() != url.origin() and target.user is not None:
            target = target.with_user(None)  # never carry credentials to another origin
        return target.with_fragment(None)

    async def _finish(
        self,
        url: URL,
        resp: aiohttp.ClientResponse,
        sent_etag: str | None,
        sent_modified: str | None,
        permanent_url: str | None,
    ) -> FetchResult:
        status = resp.status
        headers = _plain_headers(resp.headers)
        now = datetime.now(UTC)
        retry_after = _retry_after(headers.get("retry-after"), now)
        if status == 410:
            raise FetchError(
                "The server answered 410 Gone: the feed has been removed for good",
                Kind.GONE,
                status=status,
            )
        if status in (429, 503):
            wait = f"; it asked us to wait {retry_after:g} seconds" if retry_after else ""
            raise RateLimitedError(
                f"The server is busy or limiting requests ({_status_text(status, resp.reason)})"
                + wait,
                status=status,
                retry_after=retry_after,
            )
        if status != 304 and not 200 <= status < 300:
            raise FetchError(
                f"The server answered {_status_text(status, resp.reason)}", Kind.HTTP, status=status
            )

        hints = [h for h in (_freshness(headers, now), retry_after) if h is not None]
        got_etag = headers.get("etag")
        not_modified = status == 304 or bool(
            sent_etag and got_etag and _same_etag(sent_etag, got_etag)
        )
        body = None if not_modified else await self._read_body(url, resp)
        return FetchResult(
            url=str(url),
            status=status,
            body=body,
            headers=headers,
            etag=got_etag or (sent_etag if status == 304 else None),
            last_modified=headers.get("last-modified")
            or (sent_modified if status == 304 else None),
            not_modified=not_modified,
            permanent_url=permanent_url,
            min_next_poll=_clamp(max(hints)) if hints else None,
        )

    async def _read_body(self, url: URL, resp: aiohttp.ClientResponse) -> bytes:
        limit = self._max_bytes
        declared = resp.content_length
        if declared is not None and declared > limit:
            resp.close()
            raise FetchError(
                f"The server says the feed is {_size(declared)}, more than the "
                f"{_size(limit)} limit (FEED_MAX_BYTES)",
                Kind.TOO_LARGE,
            )
        chunks: list[bytes] = []
        total = 0
        # resp.content yields decompressed bytes, so the cap holds for gzip bombs too.
        async for chunk in resp.content.iter_chunked(_CHUNK):
            total += len(chunk)
            if total > limit:
                resp.close()  # drop the connection rather than drain the rest
                raise FetchError(
                    f"The feed is larger than the {_size(limit)} limit (FEED_MAX_BYTES)",
                    Kind.TOO_LARGE,
                )
            chunks.append(chunk)
        log.debug("fetched %s: %d bytes", _shown(url), total)
        return b"".join(chunks)

    def _translate(self, exc: Exception, url: URL) -> FetchError:
        host = _host(url)
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return FetchError(
                f"Could not connect to {host} within {self._connect_timeout:g} seconds",
                Kind.TIMEOUT,
            )
        if isinstance(exc, TimeoutError):
            return FetchError(f"{host} took too long to answer", Kind.TIMEOUT)
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return FetchError(
                f"The TLS certificate of {host} is not valid ({exc.certificate_error})",
                Kind.NETWORK,
            )
        if isinstance(exc, aiohttp.ClientSSLError):
            return FetchError(f"Could not make a secure (TLS) connection to {host}", Kind.NETWORK)
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return FetchError(f"Could not find the server {host} (DNS lookup failed)", Kind.NETWORK)
        if isinstance(exc, aiohttp.ClientConnectorError):
            reason = exc.strerror or str(exc.os_error) or "connection failed"
            return FetchError(f"Could not connect to {host}: {reason}", Kind.NETWORK)
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return FetchError(f"{host} closed the connection before answering", Kind.NETWORK)
        if isinstance(exc, aiohttp.ClientPayloadError):
            return FetchError(f"{host} sent a broken or incomplete response body", Kind.NETWORK)
        if isinstance(exc, aiohttp.ClientResponseError):
            return FetchError(f"{host} sent a malformed HTTP response", Kind.NETWORK)
        if isinstance(exc, aiohttp.InvalidURL | ValueError):
            return FetchError(
                f"That address cannot be fetched ({redact_url(str(exc))})", Kind.INVALID_URL
            )
        return FetchError(f"Could not fetch from {host}: {exc or type(exc).__name__}", Kind.NETWORK)
