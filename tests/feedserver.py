"""A local feed server for tests: serves fixture files and scripted responses on
127.0.0.1, with real conditional-GET behaviour, and counts every hit."""

from __future__ import annotations

import collections
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from aiohttp import web

FIXTURES = Path(__file__).parent / "data" / "feeds"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Resource:
    body: bytes
    content_type: str = "application/rss+xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # answer If-None-Match / If-Modified-Since with 304

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


class FeedServer:
    def __init__(self) -> None:
        self.resources: dict[str, Resource | Handler] = {}
        self.hits: collections.Counter[str] = collections.Counter()
        self.not_modified: collections.Counter[str] = collections.Counter()
        self.user_agents: list[str] = []
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes | str, **kwargs: object) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.resources[path] = Resource(data, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def serve_fixture(self, path: str, name: str, **kwargs: object) -> str:
        return self.serve(path, (FIXTURES / name).read_bytes(), **kwargs)

    def route(self, path: str, handler: Handler) -> str:
        self.resources[path] = handler
        return self.url(path)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs if request.path_qs in self.resources else request.path
        self.hits[path] += 1
        self.user_agents.append(request.headers.get("User-Agent", ""))
        res = self.resources.get(path)
        if res is None:
            return web.Response(status=404, text="not found")
        if not isinstance(res, Resource):
            return await res(request)
        headers = {"Content-Type": res.content_type, **res.headers}
        if res.status == 200 and res.conditional:
            headers["ETag"] = res.etag
            if request.headers.get("If-None-Match") == res.etag:
                self.not_modified[path] += 1
                return web.Response(status=304, headers={"ETag": res.etag})
        return web.Response(status=res.status, body=res.body, headers=headers)


def rss(items: list[dict[str, str]], *, title: str = "Test Feed", link: str = "") -> str:
    """A minimal RSS 2.0 document; each item dict holds element name -> text."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{title}</title><link>{link or 'http://example.org/'}</link>",
        "<description>test</description>",
    ]
    for item in items:
        parts.append("<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)


EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def numbered_items(start: int, stop: int) -> list[dict[str, str]]:
    """Items n in [start, stop) with distinct guids and increasing dates."""
    return [
        {
            "title": f"Article {n}",
            "link": f"http://example.org/posts/{n}",
            "guid": f"post-{n}",
            "pubDate": format_datetime(EPOCH + timedelta(hours=n)),
            "description": f"Summary of article {n} about recovery.",
        }
        for n in range(start, stop)
    ]
