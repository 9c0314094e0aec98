"""Feed-engine benchmark: Lantern against lemon24/reader on the same local feeds.

Prints figures; it is not a test. Run from the repository root:

    python -m bench.bench_feeds                      # 1,000 feeds x 50 items
    python -m bench.bench_feeds --feeds 100 --items 20   # quick mode

What happens:

1. N WordPress-like RSS feeds of M items (~2.2 KB an item) are written once
   under bench/out/ (git-ignored) and reused by later runs of the same size.
2. A feed server (aiohttp) is started in its own process on 127.0.0.1 with
   ETag / Last-Modified, so its CPU does not sit on the measured event loop.
3. Lantern runs in a child process: the real `open_core(settings)` with a
   temporary DATABASE_PATH and FEED_ALLOW_PRIVATE_NETWORKS=true, every feed
   added pinned, then `engine.poll_due()` (the first poll) and
   `engine.poll_due(all_=True)` (every feed again: all 304). Inside it a ticker
   sleeps 10 ms at a time and records the worst overshoot (event-loop lag).
4. reader runs afterwards in its own child process on the same feeds:
   `make_reader(tmp db)`, `add_feed` for each, `update_feeds()` twice.
5. While each child runs, this process samples /proc every 50 ms and sums
   the RSS of the child and all its descendants (Lantern's forkserver and
   parser workers); the peak of that sum is reported (and PSS, which counts
   pages shared between the workers once).

Everything listens on and connects to 127.0.0.1 only, and every process stops
by itself: the server exits when this process goes away, and each child has
an alarm as a last resort.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CHILD_TIMEOUT = 900  # seconds; a child that runs longer is killed by its own alarm

# The aims of issue 2, section 10.
AIM_SPEEDUP = 3.0  # first poll at least this many times faster than reader
AIM_UNCHANGED_S = 2.0  # an all-unchanged poll of 1,000 feeds, seconds
AIM_LAG_MS = 100.0
AIM_RSS_MB = 250.0


# --------------------------------------------------------------------------- feeds

_WORDS = (  # noqa: SIM905  (a word list reads better as one string)
    "recovery sobriety meeting sponsor step program hope honesty acceptance surrender "
    "courage gratitude serenity fellowship service relapse craving trigger boundary "
    "family friend morning evening journal prayer meditation breath walk kitchen coffee "
    "story share listen trust patience shame guilt forgiveness amends inventory humility "
    "willingness faith doubt anxiety sleep work home road today tomorrow yesterday year "
    "month week day first again always never sometimes slowly quietly together alone "
    "small large true hard gentle kind brave tired grateful clear open honest new old "
    "the a an and but or so because when while after before with without through into "
    "of to in on for from about around every each some many few most our my your their "
    "is was are were be been have had do did can could would should will may might must "
    "learn remember notice choose call ask hear help keep let go come sit stand feel"
).split()
_AUTHORS = ("Sam R.", "Alex P.", "Jordan M.", "Casey L.", "Riley T.", "Morgan K.", "Drew S.")
_CATEGORIES = (
    "Recovery", "Sobriety", "Family", "Meetings", "Step Work", "Mental Health",
    "Relapse Prevention", "Gratitude", "Stories", "Self-care", "Sponsorship",
)  # fmt: skip
_BUILD_DATE = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _sentence(rng: random.Random, lo: int = 7, hi: int = 18) -> str:
    words = rng.choices(_WORDS, k=rng.randint(lo, hi))
    return " ".join(words).capitalize() + rng.choice(".....?!")


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _item(rng: random.Random, site: str, feed_no: int, n: int, when: datetime) -> str:
    post_id = feed_no * 100_000 + n
    title = " ".join(rng.choices(_WORDS, k=rng.randint(4, 9))).title()
    slug = "-".join(title.lower().split())[:60]
    link = f"{site}/{when:%Y/%m}/{slug}/"
    excerpt = _paragraph(rng, 2)
    paragraphs = [_paragraph(rng, rng.randint(2, 3)) for _ in range(2)]
    paragraphs[1] = paragraphs[1].replace(
        " ", f' <a href="{site}/{slug}-more/">a little help</a> ', 1
    )
    paragraphs.append(f"<strong>{_sentence(rng)}</strong> {_paragraph(rng, 2)}")
    content = (
        f'<p>{paragraphs[0]}</p>\n<figure class="wp-block-image size-large"><img '
        f'src="{site}/wp-content/uploads/{when:%Y/%m}/{slug[:20]}.jpg" alt="" width="1024" '
        f'height="683" class="wp-image-{post_id}"/></figure>\n<p>{paragraphs[1]}</p>\n'
        f"<ul>\n<li>{_sentence(rng, 4, 8)}</li>\n<li>{_sentence(rng, 4, 8)}</li>\n</ul>\n"
        f"<p>{paragraphs[2]}</p>\n"
    )
    cats = rng.sample(_CATEGORIES, k=rng.randint(1, 3))
    categories = "".join(f"\n\t\t<category><![CDATA[{c}]]></category>" for c in cats)
    return f"""
	<item>
		<title>{title}</title>
		<link>{link}</link>
		<comments>{link}#respond</comments>
		<dc:creator><![CDATA[{rng.choice(_AUTHORS)}]]></dc:creator>
		<pubDate>{format_datetime(when)}</pubDate>{categories}
		<guid isPermaLink="false">{site}/?p={post_id}</guid>
		<description><![CDATA[<p>{excerpt} [&hellip;]</p>
<p>The post <a href="{link}">{title}</a> appeared first on <a href="{site}">Site {feed_no}</a>.</p>
]]></description>
		<content:encoded><![CDATA[{content}]]></content:encoded>
		<wfw:commentRss>{link}feed/</wfw:commentRss>
		<slash:comments>{rng.randint(0, 12)}</slash:comments>
	</item>"""


def make_feed(feed_no: int, items: int) -> bytes:
    """One WordPress-style RSS 2.0 feed, the same bytes for the same arguments."""
    rng = random.Random(feed_no)
    site = f"https://recovery-blog-{feed_no}.example.org"
    newest = _BUILD_DATE - timedelta(hours=rng.randint(1, 72))
    entries = "".join(
        _item(rng, site, feed_no, n, newest - timedelta(days=n, minutes=rng.randint(0, 600)))
        for n in range(items)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
	>

<channel>
	<title>Recovery Blog {feed_no}</title>
	<atom:link href="{site}/feed/" rel="self" type="application/rss+xml" />
	<link>{site}</link>
	<description>One day at a time, written down</description>
	<lastBuildDate>{format_datetime(newest)}</lastBuildDate>
	<language>en-US</language>
	<sy:updatePeriod>hourly</sy:updatePeriod>
	<sy:updateFrequency>1</sy:updateFrequency>
	<generator>https://wordpress.org/?v=6.7.1</generator>
	<image>
		<url>{site}/wp-content/uploads/2024/01/cropped-icon-32x32.png</url>
		<title>Recovery Blog {feed_no}</title>
		<link>{site}</link>
		<width>32</width>
		<height>32</height>
	</image>{entries}
	</channel>
</rss>
""".encode()


def ensure_feeds(feeds: int, items: int) -> Path:
    """Write the feed bodies once; later runs of the same size reuse them."""
    folder = OUT / f"feeds-{feeds}x{items}"
    done = folder / "complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for n in range(feeds):
        (folder / f"{n}.xml").write_bytes(make_feed(n, items))
    done.write_text(f"{feeds} feeds x {items} items\n")
    return folder


# --------------------------------------------------------------------------- server


def run_server(folder: Path, feeds: int) -> None:
    """Serve folder/N.xml as /feed/N with ETag and Last-Modified; 304 when they match.
    Prints the port, then runs until stdin closes (the parent went away)."""
    from aiohttp import web

    bodies = [(folder / f"{n}.xml").read_bytes() for n in range(feeds)]
    etags = ['"' + hashlib.sha1(b).hexdigest()[:20] + '"' for b in bodies]
    modified = format_datetime(_BUILD_DATE, usegmt=True)
    stats = {"200": 0, "304": 0, "other": 0}

    async def feed(request: web.Request) -> web.StreamResponse:
        try:
            n = int(request.match_info["n"])
            body, etag = bodies[n], etags[n]
        except (ValueError, IndexError):
            stats["other"] += 1
            return web.Response(status=404)
        headers = {"ETag": etag, "Last-Modified": modified}
        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        if (inm is not None and etag in inm) or (inm is None and ims == modified):
            stats["304"] += 1
            return web.Response(status=304, headers=headers)
        stats["200"] += 1
        return web.Response(
            body=body, headers=headers, content_type="application/rss+xml", charset="utf-8"
        )

    async def counts(request: web.Request) -> web.StreamResponse:
        return web.json_response(stats)

    async def reset(request: web.Request) -> web.StreamResponse:
        for k in stats:
            stats[k] = 0
        return web.json_response(stats)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}", feed)
        app.router.add_get("/stats", counts)
        app.router.add_post("/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        print(f"PORT {port}", flush=True)
        loop = asyncio.get_running_loop()
        # Stop when the parent closes our stdin (it exited or is done with us).
        await loop.run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

    asyncio.run(main())


# --------------------------------------------------------------------------- children


def _phase(name: str) -> None:
    print(f"PHASE {name} {time.monotonic():.6f}", flush=True)


def _result(values: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(values), flush=True)


class LagMeter:
    """Sleeps `interval` at a time and keeps the worst overshoot."""

    def __init__(self, interval: float = 0.010) -> None:
        self.interval = interval
        self.worst = 0.0
        self.samples = 0
        self.over_50ms = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval)
            lag = loop.time() - before - self.interval
            self.samples += 1
            self.worst = max(self.worst, lag)
            if lag > 0.050:
                self.over_50ms += 1

    def start(self) -> None:
        self.worst, self.samples, self.over_50ms = 0.0, 0, 0
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> dict[str, float]:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return {"lag_ms": self.worst * 1000, "ticks": self.samples, "over_50ms": self.over_50ms}


def _thread_cpu() -> dict[str, float]:
    """CPU seconds so far of each thread of this process, by thread name."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):  # noqa: PTH208
        try:
            with open(f"/proc/self/task/{tid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        name = names.get(int(tid), "other").split(" ")[0]
        fields = stat[stat.rfind(b")") + 2 :].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / _TICK
    return out


def _watch_gc() -> list[float]:
    """Durations (seconds) of this process's garbage collections from now on."""
    import gc

    pauses: list[float] = []
    started = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - started[0])

    gc.callbacks.append(callback)
    return pauses


def _time_stages(core: Any) -> dict[str, list[float]]:
    """Wrap fetch / parse / store on the core's instances to add up their wall
    time (seconds, calls); for finding a bottleneck with --stages."""
    stages: dict[str, list[float]] = {}

    def wrap(obj: Any, attr: str, label: str) -> None:
        inner = getattr(obj, attr)

        async def timed(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return await inner(*a, **k)
            finally:
                entry = stages.setdefault(label, [0.0, 0])
                entry[0] += time.perf_counter() - t
                entry[1] += 1

        setattr(obj, attr, timed)

    wrap(core.fetcher, "fetch", "fetch")
    wrap(core.parser, "parse_feed", "parse")
    wrap(core.store, "record_success", "store")
    wrap(core.store._lock, "acquire", "store lock wait")
    return stages


def run_lantern(args: argparse.Namespace) -> None:
    signal.alarm(CHILD_TIMEOUT)
    asyncio.run(_lantern(args))


async def _lantern(args: argparse.Namespace) -> None:
    from collections import Counter

    from bot.runtime import open_core
    from bot.settings import Settings

    workdir = Path(tempfile.mkdtemp(prefix="lantern-bench-"))
    try:
        overrides: dict[str, Any] = {
            "database_path": workdir / "lantern.db",
            "feed_allow_private_networks": True,
        }
        if args.concurrency:
            overrides["feed_concurrency"] = args.concurrency
        if args.host_concurrency:
            overrides["feed_host_concurrency"] = args.host_concurrency
        if args.workers is not None:
            overrides["parser_workers"] = args.workers
        settings = Settings.defaults(**overrides)
        async with open_core(settings) as core:
            store, engine = core.store, core.engine
            stages = _time_stages(core) if args.stages else None
            gc_worst = _watch_gc() if args.stages else None
            now = datetime.now(UTC)
            for n in range(args.feeds):
                await store.add_feed(f"{args.base}/feed/{n}", now, pinned=True)
            if stages is not None:
                stages.clear()
            if gc_worst is not None:
                gc_worst.clear()
            meter = LagMeter()
            results: dict[str, Any] = {
                "settings": {
                    "feed_concurrency": settings.feed_concurrency,
                    "feed_host_concurrency": settings.feed_host_concurrency,
                    "parser_workers": settings.parser_workers,
                }
            }
            for name, all_ in (("first", False), ("unchanged", True)):
                _phase(name)
                meter.start()
                started = time.perf_counter()
                if args.profile and name == "first":
                    import cProfile

                    prof = cProfile.Profile()
                    prof.enable()
                reports = await engine.poll_due(all_=all_)
                seconds = time.perf_counter() - started
                if args.profile and name == "first":
                    prof.disable()
                    prof.dump_stats(str(OUT / "lantern-first.prof"))
                lag = await meter.stop()
                _phase("idle")
                outcomes = Counter(r.outcome for r in reports)
                errors = [r.error for r in reports if r.error][:3]
                if stages is not None:
                    results[f"{name}_stages"] = dict(stages)
                    stages.clear()
                    results[f"{name}_threads"] = _thread_cpu()
                if gc_worst is not None:
                    results[f"{name}_stages"]["worst gc pause"] = [
                        max(gc_worst, default=0.0),
                        len(gc_worst),
                    ]
                    gc_worst.clear()
                results[name] = {
                    "seconds": seconds,
                    "feeds": len(reports),
                    "new": sum(r.new for r in reports),
                    "outcomes": dict(outcomes),
                    "errors": errors,
                    **lag,
                }
            results["stored_articles"] = await store.count_articles()
        _result(results)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_reader(args: argparse.Namespace) -> None:
    signal.alarm(CHILD_TIMEOUT)
    try:
        import sgmllib  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        # reader vendors a feedparser that imports sgmllib; without it every feed
        # fails to parse and update_feeds() is silently, uselessly fast.
        raise SystemExit("reader needs the sgmllib3k package: pip install sgmllib3k") from None
    import reader

    workdir = Path(tempfile.mkdtemp(prefix="reader-bench-"))
    try:
        r = reader.make_reader(str(workdir / "reader.sqlite"))
        for n in range(args.feeds):
            r.add_feed(f"{args.base}/feed/{n}")
        results: dict[str, Any] = {"workers": args.reader_workers}
        for name in ("first", "unchanged"):
            _phase(name)
            started = time.perf_counter()
            # scheduled=False: update every feed, as Lantern's poll_due(all_=True)
            # does; reader would otherwise wait an hour before the second update.
            r.update_feeds(scheduled=False, workers=args.reader_workers)
            seconds = time.perf_counter() - started
            _phase("idle")
            broken = r.get_feed_counts(broken=True).total
            results[name] = {
                "seconds": seconds,
                "entries": r.get_entry_counts().total,
                "broken_feeds": broken,
            }
        r.close()
        _result(results)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------- memory

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):  # noqa: PTH208  (thousands of entries, names only)
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: split after it.
        fields = stat[stat.rfind(b")") + 2 :].split()
        kids.setdefault(int(fields[1]), []).append(int(entry))
    return kids


def _tree(root: int) -> list[int]:
    kids = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, ()))
    return out


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of one process so far."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _rss_pss(pids: list[int]) -> tuple[int, int, int]:
    rss = pss = alive = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                rss += int(f.read().split()[1]) * _PAGE
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        pss += int(line.split()[1]) * 1024
                        break
            alive += 1
        except (OSError, ValueError, IndexError):
            continue
    return rss, pss, alive


@dataclass
class Sampler:
    """Samples a process tree every `interval`: the peak of its summed RSS (and
    PSS) per phase, and the CPU time its root, its descendants and the feed
    server spent in each phase."""

    pid: int
    server_pid: int
    interval: float = 0.05
    phase: str = "setup"
    peaks: dict[str, dict[str, int]] = field(default_factory=dict)
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    _seen: dict[int, float] = field(default_factory=dict)  # pid -> CPU seconds, last read
    _mark: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._mark = self._cpu_now()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _cpu_now(self) -> tuple[float, float, float, float]:
        """(wall, root, descendants, server) CPU seconds so far."""
        for pid in _tree(self.pid):
            cpu = _cpu_seconds(pid)
            if cpu is not None:
                self._seen[pid] = cpu
        root = self._seen.get(self.pid, 0.0)
        kids = sum(v for k, v in self._seen.items() if k != self.pid)
        return time.monotonic(), root, kids, _cpu_seconds(self.server_pid) or 0.0

    def set_phase(self, name: str) -> None:
        with self._lock:
            now = self._cpu_now()
            wall, root, kids, server = (b - a for a, b in zip(self._mark, now, strict=True))
            spent = self.cpu.setdefault(
                self.phase, {"wall": 0.0, "main": 0.0, "children": 0.0, "server": 0.0}
            )
            spent["wall"] += wall
            spent["main"] += root
            spent["children"] += kids
            spent["server"] += server
            self._mark = now
            self.phase = name

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                pids = _tree(self.pid)
                rss, pss, alive = _rss_pss(pids)
                for pid in pids:
                    cpu = _cpu_seconds(pid)
                    if cpu is not None:
                        self._seen[pid] = cpu
                if alive:
                    peak = self.peaks.setdefault(self.phase, {"rss": 0, "pss": 0, "procs": 0})
                    peak["rss"] = max(peak["rss"], rss)
                    peak["pss"] = max(peak["pss"], pss)
                    peak["procs"] = max(peak["procs"], alive)
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def peak(self, key: str = "rss") -> int:
        return max((p[key] for p in self.peaks.values()), default=0)


def run_child(
    role: str, args: argparse.Namespace, base: str, server_pid: int
) -> tuple[dict[str, Any], Sampler]:
    """Run `role` in a child process, sampling its process tree's memory."""
    cmd = [
        sys.executable, "-m", "bench.bench_feeds", "--role", role, "--base", base,
        "--feeds", str(args.feeds), "--items", str(args.items),
        "--reader-workers", str(args.reader_workers),
    ]  # fmt: skip
    if args.concurrency:
        cmd += ["--concurrency", str(args.concurrency)]
    if args.host_concurrency:
        cmd += ["--host-concurrency", str(args.host_concurrency)]
    if args.workers is not None:
        cmd += ["--workers", str(args.workers)]
    if args.profile:
        cmd.append("--profile")
    if args.stages:
        cmd.append("--stages")
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
    )
    sampler = Sampler(proc.pid, server_pid)
    sampler.start()
    result: dict[str, Any] = {}
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("PHASE "):
                sampler.set_phase(line.split()[1])
            elif line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
            else:
                sys.stdout.write(f"  [{role}] {line}")
        code = proc.wait(timeout=CHILD_TIMEOUT)
    finally:
        sampler.stop()
        sampler.set_phase("exit")
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if code != 0 or not result:
        raise SystemExit(f"the {role} run failed (exit code {code})")
    return result, sampler


def start_server(folder: Path, feeds: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_feeds", "--role", "server",
         "--folder", str(folder), "--feeds", str(feeds)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise SystemExit("the feed server did not start")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def server_stats(base: str, *, reset: bool = False) -> dict[str, int]:
    import urllib.request

    req = urllib.request.Request(
        base + ("/reset" if reset else "/stats"), method="POST" if reset else "GET"
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        data: dict[str, int] = json.load(resp)
    return data


# --------------------------------------------------------------------------- report


def _mb(n: int) -> float:
    return n / (1024 * 1024)


def _mark(ok: bool) -> str:
    return "yes" if ok else "NO"


@dataclass
class Run:
    """One child's figures and the sampler that watched it."""

    result: dict[str, Any]
    sampler: Sampler

    def seconds(self, poll: str) -> float:
        return float(self.result[poll]["seconds"])

    def cpu(self, poll: str) -> float:
        c = self.sampler.cpu.get(poll, {})
        return c.get("main", 0.0) + c.get("children", 0.0)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _runs_text(values: list[float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def report(args: argparse.Namespace, folder: Path, lanterns: list[Run], readers: list[Run]) -> None:
    size = sum(p.stat().st_size for p in folder.glob("*.xml"))
    items = args.feeds * args.items
    last = lanterns[-1].result
    s = last["settings"]
    print()
    print(
        f"{args.feeds:,} feeds x {args.items} items = {items:,} items, "
        f"{_mb(size):.1f} MB of RSS ({size / max(items, 1) / 1024:.2f} KB an item); "
        f"{len(lanterns)} run(s) of each, medians below"
    )
    print(
        f"Lantern: FEED_CONCURRENCY={s['feed_concurrency']}, "
        f"FEED_HOST_CONCURRENCY={s['feed_host_concurrency']}, "
        f"PARSER_WORKERS={s['parser_workers']}; reader: update_feeds(workers="
        f"{args.reader_workers}); {os.cpu_count()} CPUs"
    )
    for i, run in enumerate(lanterns, 1):
        r = run.result
        checks = ", ".join(
            f"{poll} {dict(r[poll]['outcomes'])}"
            + (f" errors {r[poll]['errors']}" if r[poll]["errors"] else "")
            for poll in ("first", "unchanged")
        )
        print(f"  Lantern run {i}: {r['stored_articles']:,} articles stored; {checks}")
        for poll in ("first", "unchanged"):
            for stage, (secs, calls) in r.get(f"{poll}_stages", {}).items():
                print(f"    {poll} poll, {stage}: {secs:.2f} s in {calls:,.0f} calls")
            if f"{poll}_threads" in r:
                print(f"    threads' CPU after the {poll} poll: {r[f'{poll}_threads']}")
    for i, run in enumerate(readers, 1):
        r = run.result
        print(
            f"  reader run {i}: {r['first']['entries']:,} entries stored, "
            f"{r['unchanged']['broken_feeds']} broken feeds"
        )

    problems = [
        f"Lantern run {i}: {r.result['stored_articles']:,} articles stored, "
        f"{r.result['first']['new']:,} new, errors {r.result['first']['errors']}"
        for i, r in enumerate(lanterns, 1)
        if r.result["stored_articles"] != items or r.result["first"]["errors"]
    ] + [
        f"reader run {i}: {r.result['first']['entries']:,} entries, "
        f"{r.result['first']['broken_feeds']} broken feeds"
        for i, r in enumerate(readers, 1)
        if r.result["first"]["entries"] != items or r.result["first"]["broken_feeds"]
    ]
    for problem in problems:
        print(f"WARNING: not every item was stored, the figures are not comparable: {problem}")
    l_first = _median([run.seconds("first") for run in lanterns])
    l_unch = _median([run.seconds("unchanged") for run in lanterns])
    l_cpu = _median([run.cpu("first") for run in lanterns])
    lag = max(max(run.result[p]["lag_ms"] for p in ("first", "unchanged")) for run in lanterns)
    rss = _mb(max(run.sampler.peak("rss") for run in lanterns))
    pss = _mb(max(run.sampler.peak("pss") for run in lanterns))
    have_reader = bool(readers)
    r_first = _median([run.seconds("first") for run in readers])
    r_unch = _median([run.seconds("unchanged") for run in readers])
    r_cpu = _median([run.cpu("first") for run in readers])
    r_rss = _mb(max((run.sampler.peak("rss") for run in readers), default=0))
    ratio_first = r_first / l_first if have_reader else None
    ratio_unch = r_unch / l_unch if have_reader else None
    aim_unch = AIM_UNCHANGED_S * args.feeds / 1000

    def rd(text: str) -> str:
        return text if have_reader else "-"

    rows: list[tuple[str, str, str, str, str]] = [
        ("first poll, wall", f"{l_first:.2f} s", rd(f"{r_first:.2f} s"),
         f">= {AIM_SPEEDUP:g}x faster than reader",
         _mark(ratio_first >= AIM_SPEEDUP) if ratio_first else "?"),
        ("first poll, items/s", f"{items / l_first:,.0f}", rd(f"{items / r_first:,.0f}"), "", ""),
        ("first poll, CPU (all processes)", f"{l_cpu:.1f} s", rd(f"{r_cpu:.1f} s"), "", ""),
        ("reader / Lantern, first poll", f"{ratio_first:.2f}x" if ratio_first else "-", "", "", ""),
        ("all-unchanged poll, wall", f"{l_unch:.2f} s", rd(f"{r_unch:.2f} s"),
         f"< {aim_unch:g} s", _mark(l_unch < aim_unch)),
        ("reader / Lantern, unchanged", f"{ratio_unch:.2f}x" if ratio_unch else "-", "", "", ""),
        ("worst event-loop lag", f"{lag:.1f} ms", "-", f"<= {AIM_LAG_MS:g} ms",
         _mark(lag <= AIM_LAG_MS)),
        ("peak RSS, process tree", f"{rss:.0f} MB", rd(f"{r_rss:.0f} MB"),
         f"< {AIM_RSS_MB:g} MB", _mark(rss < AIM_RSS_MB)),
        ("peak PSS, process tree", f"{pss:.0f} MB", "", "", ""),
    ]  # fmt: skip
    header = ("", "Lantern", "reader", "aim", "met")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    line = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    print()
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for r in rows:
        print(line.format(*r))
    print()
    print(f"Lantern first poll, each run: {_runs_text([r.seconds('first') for r in lanterns])} s")
    if have_reader:
        print(
            f"reader first poll, each run:  {_runs_text([r.seconds('first') for r in readers])} s"
        )
    for who, runs in (("Lantern", lanterns), ("reader", readers)):
        for i, run in enumerate(runs, 1):
            for poll in ("first", "unchanged"):
                c = run.sampler.cpu.get(poll)
                if c:
                    print(
                        f"{who} run {i}, {poll} poll CPU: {c['main']:.1f} s main process, "
                        f"{c['children']:.1f} s its children, {c['server']:.1f} s feed server, "
                        f"in {c['wall']:.1f} s"
                    )
    for i, run in enumerate(lanterns, 1):
        r = run.result
        print(
            f"Lantern run {i} lag: first poll {r['first']['lag_ms']:.1f} ms worst "
            f"({r['first']['over_50ms']} of {r['first']['ticks']} ticks over 50 ms), "
            f"unchanged {r['unchanged']['lag_ms']:.1f} ms; memory peaks "
            + ", ".join(
                f"{phase} {_mb(p['rss']):.0f}/{_mb(p['pss']):.0f} MB RSS/PSS ({p['procs']} procs)"
                for phase, p in run.sampler.peaks.items()
            )
        )
    if args.json:
        data = {
            "feeds": args.feeds, "items": args.items, "bytes": size,
            "lantern": [{"result": r.result, "memory": r.sampler.peaks, "cpu": r.sampler.cpu}
                        for r in lanterns],
            "reader": [{"result": r.result, "memory": r.sampler.peaks, "cpu": r.sampler.cpu}
                       for r in readers],
        }  # fmt: skip
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--feeds", type=int, default=1000)
    p.add_argument("--items", type=int, default=50)
    p.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="FEED_CONCURRENCY (default: the setting's default)",
    )
    p.add_argument(
        "--host-concurrency", type=int, default=0,
        help="FEED_HOST_CONCURRENCY; by default the global concurrency, since every "
        "bench feed is on one host while real ones are spread over many",
    )  # fmt: skip
    p.add_argument(
        "--workers", type=int, default=None, help="PARSER_WORKERS (default: the setting's)"
    )
    p.add_argument("--reader-workers", type=int, default=1, help="reader's update_feeds(workers=)")
    p.add_argument("--no-reader", action="store_true", help="skip the reader run")
    p.add_argument(
        "--repeat", type=int, default=1,
        help="run Lantern and reader this many times, alternating; medians are reported",
    )  # fmt: skip
    p.add_argument(
        "--profile", action="store_true", help="cProfile Lantern's first poll into bench/out/"
    )
    p.add_argument("--stages", action="store_true", help="add up Lantern's fetch/parse/store time")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--role", choices=("server", "lantern", "reader"), help=argparse.SUPPRESS)
    p.add_argument("--base", help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.role == "server":
        run_server(Path(args.folder), args.feeds)
        return
    if args.role == "lantern":
        run_lantern(args)
        return
    if args.role == "reader":
        run_reader(args)
        return

    if not args.host_concurrency:
        from bot.settings import Settings

        args.host_concurrency = args.concurrency or Settings.defaults().feed_concurrency
    started = time.perf_counter()
    folder = ensure_feeds(args.feeds, args.items)
    print(f"feeds ready in {folder.relative_to(ROOT)} ({time.perf_counter() - started:.1f} s)")
    server, base = start_server(folder, args.feeds)
    lanterns: list[Run] = []
    readers: list[Run] = []
    try:
        print(f"feed server on {base} (pid {server.pid})")
        for i in range(1, args.repeat + 1):
            # Alternate the two, so a noisy spell on the machine hits both.
            print(f"run {i}: Lantern ...", flush=True)
            lanterns.append(Run(*run_child("lantern", args, base, server.pid)))
            print(f"  {lanterns[-1].seconds('first'):.2f} s; server saw {server_stats(base)}")
            server_stats(base, reset=True)
            if not args.no_reader:
                print(f"run {i}: reader ...", flush=True)
                readers.append(Run(*run_child("reader", args, base, server.pid)))
                print(f"  {readers[-1].seconds('first'):.2f} s; server saw {server_stats(base)}")
                server_stats(base, reset=True)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    report(args, folder, lanterns, readers)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
