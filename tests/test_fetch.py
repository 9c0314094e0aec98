"""Tests for bot.feeds.fetch: real HTTP against aiohttp test servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from bot import USER_AGENT
from bot.errors import BlockedAddressError, FetchError
from bot.feeds.fetch import (
    BROWSER_USER_AGENT,
    MAX_REDIRECTS,
    Fetcher,
    FetchResult,
    RateLimitedError,
    check_url,
    is_blocked_address,
)

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"
ETAG = '"v1"'
LAST_MODIFIED = "Mon, 30 Nov 2026 10:00:00 GMT"
STREAM_CHUNKS = 64
STREAM_CHUNK = b"x" * 16 * 1024  # 1 MiB in all, sent slowly
LOOPBACK_MAPPED = "::ffff:127.0.0.1"  # an AF_INET6 socket to this reaches 127.0.0.1 servers


# ---------------------------------------------------------------------------
# Fixtures


class FakeResolver(AbstractResolver):
    """Maps host names to addresses; each call takes the next answer, the last repeats."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        turn = self.calls.count(host)
        self.calls.append(host)
        if host not in self.answers:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        sequence = self.answers[host]
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in sequence[min(turn, len(sequence) - 1)]
        ]

    async def close(self) -> None:
        pass


@dataclass
class Site:
    port: int
    hits: list[str] = field(default_factory=list)  # request paths, in order
    headers: list[dict[str, str]] = field(default_factory=list)  # request headers, in order
    stream: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def build_app(site: Site) -> web.Application:
    routes = web.RouteTableDef()

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        site.hits.append(request.path_qs)
        site.headers.append(dict(request.headers))
        try:
            resp = await handler(request)
        except web.HTTPException as exc:
            if "close" in request.query:
                exc.force_close()  # the next request must open a new connection
            raise
        if "close" in request.query:
            resp.force_close()
        return resp

    @routes.get("/feed")
    async def feed(request: web.Request) -> web.Response:
        validators = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers=validators)
        return web.Response(body=FEED, content_type="application/rss+xml", headers=validators)

    @routes.get("/same-etag")
    async def same_etag(request: web.Request) -> web.Response:
        return web.Response(body=FEED, headers={"ETag": 'W/"v1"'})

    @routes.get("/encoded/{coding}")
    async def encoded(request: web.Request) -> web.Response:
        coding = request.match_info["coding"]
        body = gzip.compress(FEED) if coding == "gzip" else zlib.compress(FEED)
        return web.Response(body=body, headers={"Content-Encoding": coding})

    @routes.get("/bomb")
    async def bomb(request: web.Request) -> web.Response:
        # 8 MiB of zeros in about 8 KiB: the cap is on decompressed bytes.
        return web.Response(
            body=gzip.compress(b"\0" * 8 * 1024 * 1024), headers={"Content-Encoding": "gzip"}
        )

    @routes.get("/stream")
    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()  # no Content-Length: chunked
        await resp.prepare(request)
        site.stream.update(sent=0, finished=False, disconnected=False)
        try:
            for _ in range(STREAM_CHUNKS):
                await resp.write(STREAM_CHUNK)
                site.stream["sent"] += len(STREAM_CHUNK)
                await asyncio.sleep(0.005)
            await resp.write_eof()
            site.stream["finished"] = True
        except (ConnectionError, asyncio.CancelledError):
            site.stream["disconnected"] = True
            raise
        return resp

    @routes.get("/declared-huge")
    async def declared_huge(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Length": str(50 * 1024 * 1024)})
        await resp.prepare(request)
        await resp.write(b"<rss>")
        await asyncio.sleep(5)  # the client must not wait for the rest
        return resp

    @routes.get("/slow")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(body=FEED)

    @routes.get("/r/{n}")
    async def redirects(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(body=FEED)
        status = int(request.query.get("status", "301"))
        query = f"?status={status}" if "status" in request.query else ""
        raise _redirect(status, f"/r/{n - 1}{query}")

    @routes.get("/mixed")
    async def mixed(request: web.Request) -> web.Response:
        raise _redirect(302, "/r/1")  # one temporary hop, then a permanent one

    @routes.get("/go")
    async def go(request: web.Request) -> web.Response:
        raise _redirect(302, request.query["to"])

    @routes.get("/cookie")
    async def cookie(request: web.Request) -> web.Response:
        resp = web.Response(body=FEED)
        resp.set_cookie("session", "abc")
        return resp

    @routes.get("/secret")
    async def secret(request: web.Request) -> web.Response:
        return web.Response(text="internal admin page")

    @routes.get("/status/{code}")
    async def status(request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.query.items() if k in ("Retry-After", "Location")}
        return web.Response(status=int(request.match_info["code"]), headers=headers)

    @routes.get("/unicode-digits")
    async def unicode_digits(request: web.Request) -> web.Response:
        # "²" and "٣" pass str.isdigit() but are neither float() nor HTTP numbers.
        headers = {"Retry-After": "\u00b2", "Cache-Control": "max-age=\u0663", "Age": "\u00b2"}
        return web.Response(body=FEED, headers=headers)

    @routes.get("/rate-limited-until")
    async def rate_limited_until(request: web.Request) -> web.Response:
        when = datetime.now(UTC) + timedelta(seconds=120)
        return web.Response(status=429, headers={"Retry-After": format_datetime(when, True)})

    @routes.get("/cache/{kind}")
    async def cache(request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        now = datetime.now(UTC)
        headers = {
            "max-age": {"Cache-Control": "public, max-age=3600", "Age": "600"},
            "huge": {"Cache-Control": "max-age=31536000"},
            "expires": {
                "Date": format_datetime(now, True),
                "Expires": format_datetime(now + timedelta(seconds=1800), True),
            },
            "no-cache": {"Cache-Control": "no-cache, max-age=3600"},
        }[kind]
        return web.Response(body=FEED, headers=headers)

    @routes.get("/picky")
    async def picky(request: web.Request) -> web.Response:
        if "Mozilla" not in request.headers.get("User-Agent", ""):
            return web.Response(status=403, text="Access denied")
        return web.Response(body=FEED)

    app = web.Application(middlewares=[record])
    app.add_routes(routes)
    return app


def _redirect(status: int, location: str) -> web.HTTPException:
    classes: dict[int, type[web.HTTPMove]] = {
        301: web.HTTPMovedPermanently,
        302: web.HTTPFound,
        303: web.HTTPSeeOther,
        307: web.HTTPTemporaryRedirect,
        308: web.HTTPPermanentRedirect,
    }
    return classes[status](location)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    holder = Site(port=0)
    server = TestServer(build_app(holder), host="127.0.0.1")
    await server.start_server()
    assert server.port is not None
    holder.port = server.port
    try:
        yield holder
    finally:
        await server.close()


async def fetch(url: str, **options: Any) -> FetchResult:
    kwargs = {
        "etag": options.pop("etag", None),
        "last_modified": options.pop("last_modified", None),
    }
    options.setdefault("allow_private", True)
    async with Fetcher(**options) as fetcher:
        return await fetcher.fetch(url, **kwargs)


async def fetch_error(url: str, **options: Any) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await fetch(url, **options)
    return caught.value


# Public-looking names for the guard tests. 127.0.0.1 is exempted with
# allowed_networks so a "public" server exists; everything else keeps the real rules.
PUBLIC: dict[str, Any] = {"allow_private": False, "allowed_networks": ["127.0.0.1/32"]}


# ---------------------------------------------------------------------------
# Conditional GET, compression, caching hints


async def test_conditional_get_round_trip(site: Site) -> None:
    """A first GET returns the validators; sending them back gets a 304 and no body."""
    first = await fetch(site.url("/feed"))
    assert (first.status, first.body, first.not_modified) == (200, FEED, False)
    assert (first.etag, first.last_modified) == (ETAG, LAST_MODIFIED)
    assert first.headers["content-type"].startswith("application/rss+xml")
    assert first.url == site.url("/feed") and first.permanent_url is None

    second = await fetch(site.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert (second.status, second.body, second.not_modified) == (304, None, True)
    assert second.etag == ETAG
    sent = site.headers[-1]
    assert sent["If-None-Match"] == ETAG and sent["If-Modified-Since"] == LAST_MODIFIED
    assert sent["User-Agent"] == USER_AGENT


async def test_200_with_unchanged_etag_counts_as_not_modified(site: Site) -> None:
    """A server that ignores If-None-Match but repeats the ETag is treated as a 304."""
    result = await fetch(site.url("/same-etag"), etag='"v1"')
    assert (result.status, result.body, result.not_modified) == (200, None, True)
    changed = await fetch(site.url("/same-etag"), etag='"v0"')
    assert changed.body == FEED and not changed.not_modified


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_compressed_body_is_decoded(site: Site, coding: str) -> None:
    """gzip and deflate bodies come back decompressed; the request offered them."""
    result = await fetch(site.url(f"/encoded/{coding}"))
    assert result.body == FEED
    assert coding in site.headers[-1]["Accept-Encoding"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("max-age", 3000.0), ("huge", 86400.0), ("expires", 1800.0), ("no-cache", None)],
)
async def test_min_next_poll_from_cache_headers(
    site: Site, kind: str, expected: float | None
) -> None:
    """max-age (less Age) or Expires-Date becomes min_next_poll, clamped to 24 h."""
    result = await fetch(site.url(f"/cache/{kind}"))
    if expected is None:
        assert result.min_next_poll is None
    else:
        assert result.min_next_poll == pytest.approx(expected, abs=2)


# ---------------------------------------------------------------------------
# Size and time limits


async def test_body_over_cap_is_cut_off_mid_stream(site: Site) -> None:
    """A chunked body with no Content-Length is abandoned once it passes max_bytes."""
    error = await fetch_error(site.url("/stream"), max_bytes=100 * 1024)
    assert error.kind == "too_large" and "100 KiB" in str(error)
    for _ in range(100):  # let the server notice the closed connection
        if site.stream.get("disconnected"):
            break
        await asyncio.sleep(0.01)
    assert site.stream["disconnected"] and not site.stream["finished"]
    assert site.stream["sent"] < STREAM_CHUNKS * len(STREAM_CHUNK)


async def test_decompressed_size_is_capped(site: Site) -> None:
    """A small gzip body that inflates past the cap is refused."""
    error = await fetch_error(site.url("/bomb"), max_bytes=1024 * 1024)
    assert error.kind == "too_large"


async def test_declared_length_over_cap_is_refused_up_front(site: Site) -> None:
    """A Content-Length over the cap is refused without waiting for the body."""
    started = time.monotonic()
    error = await fetch_error(site.url("/declared-huge"), max_bytes=1024 * 1024)
    assert error.kind == "too_large" and "50 MiB" in str(error)
    assert time.monotonic() - started < 4  # the server stalls 5 s after the headers


async def test_slow_server_times_out(site: Site) -> None:
    """A server that does not answer within `timeout` gives kind timeout, on time."""
    started = time.monotonic()
    error = await fetch_error(site.url("/slow"), timeout=0.3)
    assert error.kind == "timeout" and "0.3 seconds" in str(error)
    assert time.monotonic() - started < 4  # before the server's answer at 5 s


# ---------------------------------------------------------------------------
# Redirects


async def test_five_redirects_are_followed(site: Site) -> None:
    """A chain of 5 permanent redirects ends at the feed and reports the new URL."""
    result = await fetch(site.url(f"/r/{MAX_REDIRECTS}"))
    assert result.body == FEED
    assert result.url == result.permanent_url == site.url("/r/0")
    assert len(site.hits) == MAX_REDIRECTS + 1


async def test_sixth_redirect_is_refused(site: Site) -> None:
    """A sixth redirect is refused and its target never requested."""
    error = await fetch_error(site.url(f"/r/{MAX_REDIRECTS + 1}"))
    assert error.kind == "redirects"
    assert "/r/0" not in site.hits


@pytest.mark.parametrize("path", ["/mixed", "/r/2?status=307"])
async def test_temporary_redirect_gives_no_permanent_url(site: Site, path: str) -> None:
    """permanent_url is set only when every hop was a 301 or 308."""
    result = await fetch(site.url(path))
    assert result.body == FEED and result.permanent_url is None
    assert result.url.startswith(site.url("/r/0"))


@pytest.mark.parametrize("target", ["ftp://example.com/feed", "file:///etc/passwd", "javascript:x"])
async def test_redirect_to_non_http_scheme_is_refused(site: Site, target: str) -> None:
    """A redirect off the web (ftp, file, javascript) is refused."""
    error = await fetch_error(site.url(f"/go?to={target}"))
    assert error.kind == "redirects" and "non-web" in str(error)


async def test_redirect_without_location_is_an_error(site: Site) -> None:
    """A 302 with no Location header is a clear error, not a crash."""
    error = await fetch_error(site.url("/status/302"))
    assert error.kind == "redirects" and "302 Found" in str(error)


# ---------------------------------------------------------------------------
# HTTP errors


async def test_gone(site: Site) -> None:
    """HTTP 410 is kind gone, so the caller can retire the feed."""
    error = await fetch_error(site.url("/status/410"))
    assert (error.kind, error.status) == ("gone", 410)


async def test_not_found_message(site: Site) -> None:
    """Other 4xx/5xx are kind http with the status and a readable message."""
    error = await fetch_error(site.url("/status/404"))
    assert (error.kind, error.status, str(error)) == (
        "http",
        404,
        "The server answered 404 Not Found",
    )
    error = await fetch_error(site.url("/status/500"))
    assert (error.kind, error.status) == ("http", 500)


@pytest.mark.parametrize(
    ("code", "header", "expected"),
    [(429, "120", 120.0), (503, "30", 30.0), (503, None, None), (429, "9999999", 86400.0)],
)
async def test_rate_limited_carries_retry_after_seconds(
    site: Site, code: int, header: str | None, expected: float | None
) -> None:
    """429/503 are kind rate_limited with Retry-After in seconds (clamped to 24 h)."""
    query = f"?Retry-After={header}" if header else ""
    error = await fetch_error(site.url(f"/status/{code}{query}"))
    assert isinstance(error, RateLimitedError)
    assert (error.kind, error.status, error.retry_after) == ("rate_limited", code, expected)


async def test_rate_limited_retry_after_http_date(site: Site) -> None:
    """A Retry-After HTTP date becomes the seconds until that date."""
    error = await fetch_error(site.url("/rate-limited-until"))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == pytest.approx(120, abs=3)


async def test_403_is_retried_once_with_a_browser_user_agent(site: Site) -> None:
    """A 403 is retried once looking like a browser, as lemon24/reader does."""
    result = await fetch(site.url("/picky"))
    assert result.body == FEED
    assert [h["User-Agent"] for h in site.headers] == [USER_AGENT, BROWSER_USER_AGENT]


async def test_403_twice_is_an_http_error(site: Site) -> None:
    """A second 403 is reported, not retried forever."""
    error = await fetch_error(site.url("/status/403"))
    assert (error.kind, error.status) == ("http", 403)
    assert len(site.hits) == 2


# ---------------------------------------------------------------------------
# Network failures and bad input


async def test_refused_connection_is_network_error() -> None:
    """Nothing listening gives kind network with a readable reason."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await fetch_error(f"http://127.0.0.1:{port}/feed")
    assert error.kind == "network" and "Could not connect to 127.0.0.1" in str(error)


async def test_unknown_host_is_network_error() -> None:
    """A name that does not resolve gives kind network, mentioning DNS."""
    error = await fetch_error("http://nowhere.test/feed", resolver=FakeResolver({}))
    assert error.kind == "network" and "DNS" in str(error)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/feed", "Only http:// and https://"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("example.com/feed", "Only http:// and https://"),
        ("javascript:alert(1)", "Only http:// and https://"),
        ("http:///feed", "no host name"),
        ("", "empty"),
        ("http://exa mple.com/", "spaces"),
        ("http://example.com/\r\nX-Evil: 1", "spaces or invisible"),
        ("http://example.com:99999/", "not a valid web address"),
        ("http://example.com:0/", "port"),
        ("http://[::1/", "not a valid web address"),
        ("https://xn--/", "not a valid web address"),
        ("http://example.com/" + "a" * 2048, "longer than 2048"),
    ],
)
async def test_check_url_refuses(url: str, message: str) -> None:
    """check_url refuses non-web and malformed URLs with a clear message; fetch does too."""
    with pytest.raises(FetchError) as caught:
        check_url(url)
    assert caught.value.kind == "invalid_url" and message in str(caught.value)
    error = await fetch_error(url)
    assert error.kind == "invalid_url"


def test_check_url_strips_and_adds_nothing() -> None:
    """check_url strips whitespace and otherwise returns the URL unchanged."""
    assert check_url("  https://Example.com/feed?x=1#top \n") == "https://Example.com/feed?x=1#top"
    assert check_url("http://example.com") == "http://example.com"


async def test_bad_stored_validators_are_not_sent(site: Site) -> None:
    """A stored ETag that is not a valid header value is dropped instead of crashing."""
    result = await fetch(site.url("/feed"), etag='"v1"\r\nX: y', last_modified="caf\xe9")
    assert result.body == FEED
    assert "If-None-Match" not in site.headers[-1]


# ---------------------------------------------------------------------------
# Private-network guard


BLOCKED = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.127.255.255",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.250",
    "255.255.255.255",
    "240.0.0.1",
    "192.0.2.1",
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.9",
    "192.0.0.8",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "ff02::1",
    "ff0e::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::a00:1",
    "64:ff9b:1::1",
    "2002:7f00:1::1",
    "2002:a00:1::",
    "2001:db8::1",
    "2001::1",
    "100::1",
    "not an address",
    "",
    "127.0.0.1:80",
]
ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "100.63.255.255",
    "100.128.0.0",
    "172.32.0.1",
    "192.169.0.1",
    "11.0.0.1",
    "223.255.255.254",
    "2606:4700:4700::1111",
    "2001:4860::8888",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize("address", BLOCKED)
def test_is_blocked_address_refuses(address: str) -> None:
    """Loopback, private, link-local, shared, multicast, reserved and embedded forms are blocked."""
    assert is_blocked_address(address)


@pytest.mark.parametrize("address", ALLOWED)
def test_is_blocked_address_allows_public(address: str) -> None:
    """Public unicast addresses, including public IPv4 in mapped/NAT64/6to4 form, pass."""
    assert not is_blocked_address(address)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "0x7f.0.0.1",
        "017700000001",
        "0177.0.0.1",
        "127.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[0:0:0:0:0:ffff:127.0.0.1]",
        "[64:ff9b::7f00:1]",
        "[fe80::1%25lo]",
        "169.254.169.254",
        "0.0.0.0",
        "[::]",
    ],
)
async def test_literal_ip_hosts_are_refused(site: Site, host: str) -> None:
    """IP-literal hosts, in every form the C library accepts, are refused before connecting."""
    error = await fetch_error(f"http://{host}:{site.port}/secret", allow_private=False)
    assert isinstance(error, BlockedAddressError) and error.kind == "blocked"
    assert "FEED_ALLOW_PRIVATE_NETWORKS" in str(error)
    assert site.hits == []


async def test_odd_literal_forms_with_guard_off_are_invalid_not_fetched(site: Site) -> None:
    """With private networks allowed, legacy numeric forms are still refused as invalid."""
    error = await fetch_error(f"http://2130706433:{site.port}/feed")
    assert error.kind == "invalid_url" and "127.0.0.1" in str(error)


async def test_name_resolving_to_loopback_is_refused(site: Site) -> None:
    """A name resolving to 127.0.0.1 is refused at the socket; allow_private fetches it."""
    resolver = FakeResolver({"public.test": [["127.0.0.1"]]})
    error = await fetch_error(
        site.url("/secret", "public.test"), allow_private=False, resolver=resolver
    )
    assert error.kind == "blocked" and "public.test points to 127.0.0.1" in str(error)
    assert site.hits == []

    result = await fetch(site.url("/secret", "public.test"), allow_private=True, resolver=resolver)
    assert result.body == b"internal admin page"


async def test_ipv4_mapped_answer_is_refused(site: Site) -> None:
    """An AAAA answer of ::ffff:127.0.0.1 really reaches loopback, and is refused."""
    resolver = FakeResolver({"sneaky.test": [[LOOPBACK_MAPPED]]})
    result = await fetch(site.url("/secret", "sneaky.test"), allow_private=True, resolver=resolver)
    assert result.body == b"internal admin page"  # the threat is real
    site.hits.clear()

    error = await fetch_error(
        site.url("/secret", "sneaky.test"), allow_private=False, resolver=resolver
    )
    assert error.kind == "blocked" and LOOPBACK_MAPPED in str(error)
    assert site.hits == []


async def test_mixed_answer_never_dials_the_private_address(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a private and an allowed address, no socket is ever made for the private one."""
    from bot.feeds import fetch as fetch_module

    real = fetch_module._GuardedConnector._open_socket
    opened: list[tuple[str, str]] = []

    def spy(self: Any, addr_info: Any) -> socket.socket:
        try:
            sock = real(self, addr_info)
        except PermissionError:
            opened.append((addr_info[4][0], "refused"))
            raise
        opened.append((addr_info[4][0], "opened"))
        return sock

    monkeypatch.setattr(fetch_module._GuardedConnector, "_open_socket", spy)
    resolver = FakeResolver({"mixed.test": [[LOOPBACK_MAPPED, "127.0.0.1"]]})
    result = await fetch(site.url("/feed", "mixed.test"), resolver=resolver, **PUBLIC)
    assert result.body == FEED
    assert opened == [(LOOPBACK_MAPPED, "refused"), ("127.0.0.1", "opened")]


@pytest.mark.parametrize(
    "host", [f"[{LOOPBACK_MAPPED}]", "[::1]", "2130706434", "0x7f.2", "169.254.169.254", "10.0.0.1"]
)
async def test_redirect_to_private_literal_is_refused(site: Site, host: str) -> None:
    """A public server redirecting to a private IP literal is refused before the second hop."""
    resolver = FakeResolver({"public.test": [["127.0.0.1"]]})
    target = f"http://{host}:{site.port}/secret"
    error = await fetch_error(
        site.url(f"/go?to={target}", "public.test"), resolver=resolver, **PUBLIC
    )
    assert error.kind == "blocked"
    assert len(site.hits) == 1 and site.hits[0].startswith("/go")


@pytest.mark.parametrize("answer", [[LOOPBACK_MAPPED], ["169.254.169.254"], ["10.0.0.7", "::1"]])
async def test_redirect_to_private_name_is_refused(site: Site, answer: list[str]) -> None:
    """A redirect to a name that resolves privately (e.g. cloud metadata) is refused."""
    resolver = FakeResolver({"public.test": [["127.0.0.1"]], "internal.test": [answer]})
    target = f"http://internal.test:{site.port}/secret"
    started = time.monotonic()
    error = await fetch_error(
        site.url(f"/go?to={target}", "public.test"), resolver=resolver, **PUBLIC
    )
    assert error.kind == "blocked" and answer[0] in str(error)
    assert "/secret" not in site.hits
    assert time.monotonic() - started < 5  # refused, not dialled and timed out (10 s)


async def test_dns_rebinding_between_hops_is_refused(site: Site) -> None:
    """A name that looks public, then rebinds to loopback for the next connection, is refused."""
    resolver = FakeResolver({"rebind.test": [["127.0.0.1"], [LOOPBACK_MAPPED]]})
    start = site.url("/go?close=1&to=/secret", "rebind.test")
    error = await fetch_error(start, resolver=resolver, **PUBLIC)
    assert error.kind == "blocked" and LOOPBACK_MAPPED in str(error)
    assert resolver.calls == ["rebind.test", "rebind.test"]  # checked at each connect
    assert "/secret" not in site.hits


async def test_dns_rebinding_between_polls_is_refused(site: Site) -> None:
    """A feed that was public on one poll and rebinds to loopback on the next is refused."""
    resolver = FakeResolver({"rebind.test": [["127.0.0.1"], [LOOPBACK_MAPPED]]})
    async with Fetcher(resolver=resolver, **PUBLIC) as fetcher:
        first = await fetcher.fetch(site.url("/feed?close=1", "rebind.test"))
        assert first.body == FEED
        with pytest.raises(BlockedAddressError):
            await fetcher.fetch(site.url("/secret", "rebind.test"))
    assert "/secret" not in site.hits


async def test_peer_address_is_checked_even_if_the_socket_guard_is_bypassed(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: if the socket factory let 127.0.0.1 through, the peer check refuses."""
    from bot.feeds import fetch as fetch_module

    def open_any(self: Any, addr_info: Any) -> socket.socket:
        family, type_, proto, _, _ = addr_info
        return socket.socket(family=family, type=type_, proto=proto)

    monkeypatch.setattr(fetch_module._GuardedConnector, "_open_socket", open_any)
    resolver = FakeResolver({"public.test": [["127.0.0.1"]]})
    error = await fetch_error(
        site.url("/secret", "public.test"), allow_private=False, resolver=resolver
    )
    assert error.kind == "blocked"
    assert site.hits == []  # refused before the request was written


async def test_concurrent_fetches_share_one_session(site: Site) -> None:
    """Many fetches on one Fetcher run concurrently; a blocked one does not taint the others."""
    resolver = FakeResolver({"public.test": [["127.0.0.1"]], "internal.test": [["10.1.2.3"]]})
    async with Fetcher(resolver=resolver, **PUBLIC) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch(site.url("/feed", "public.test")) for _ in range(8)),
            fetcher.fetch(site.url("/feed", "internal.test")),
            return_exceptions=True,
        )
    assert all(isinstance(r, FetchResult) and r.body == FEED for r in results[:8])
    assert isinstance(results[8], BlockedAddressError)


async def test_fetch_requires_start() -> None:
    """Using a Fetcher outside its context is a programming error, said plainly."""
    with pytest.raises(RuntimeError):
        await Fetcher(allow_private=True).fetch("http://example.com/")


async def test_no_cookies_are_kept(site: Site) -> None:
    """The session keeps no cookie jar: a Set-Cookie is never sent back."""
    async with Fetcher(allow_private=True) as fetcher:
        await fetcher.fetch(site.url("/cookie"))
        await fetcher.fetch(site.url("/cookie"))
    assert all("Cookie" not in h for h in site.headers)


async def test_credentials_do_not_follow_a_cross_origin_redirect(site: Site) -> None:
    """Userinfo credentials go to their own origin only, never to a redirect target."""
    resolver = FakeResolver({"other.test": [["127.0.0.1"]]})
    target = site.url("/feed", "other.test")
    url = f"http://user:pw@127.0.0.1:{site.port}/go?to={target}"
    result = await fetch(url, resolver=resolver)
    assert result.body == FEED
    assert "Authorization" in site.headers[0] and "Authorization" not in site.headers[1]


async def test_connect_timeout() -> None:
    """A server whose accept queue is full never completes the handshake: kind timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(4):  # fill the accept queue; later SYNs are dropped
                filler = socket.socket()
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
                fillers.append(filler)
            await asyncio.sleep(0.05)
            started = time.monotonic()
            error = await fetch_error(f"http://127.0.0.1:{port}/feed", connect_timeout=0.3)
        finally:
            for filler in fillers:
                filler.close()
    assert error.kind == "timeout" and "Could not connect" in str(error), str(error)
    assert time.monotonic() - started < 5  # the 0.3 s given, not the default 10 s


async def test_unicode_digits_in_retry_after_and_max_age_are_ignored(site: Site) -> None:
    """A feed whose Retry-After / max-age / Age hold non-ASCII digits is fetched, hints ignored."""
    result = await fetch(site.url("/unicode-digits"))
    assert result.body == FEED and result.min_next_poll is None

