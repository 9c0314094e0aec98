"""Interaction latency of Lantern's member commands on a 100,000-article archive.

    python bench/bench_interactions.py [--articles 100000] [--runs 200]

The archive is bench/bench_search.py's (generated and cached in bench/out/ by
its generator; built here if missing). It is copied to a temporary directory
(the cache stays untouched), its feeds are scheduled far in the future (no
polling during the run) and the stand-in's guild is given the same feeds as the
benchmark guild. Then the real LanternBot runs in-process against the Discord
stand-in, and each figure is

    INTERACTION_CREATE dispatched by the stand-in -> first callback received

for /search (several query shapes; the first callback is the full results
message), the Next button, /related and autocomplete. Aims: /search p95 under
60 ms end to end; every interaction's first response p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_search as archive  # noqa: E402
from bot import search as core_search  # noqa: E402
from tests.feedserver import FeedServer  # noqa: E402
from tests.lantern_harness import Lantern, lantern_settings  # noqa: E402
from tests.standin.interactions import InteractionRecord  # noqa: E402
from tests.standin.server import StandIn  # noqa: E402


def prepare(source: Path, target: Path, guild_id: int) -> None:
    """Copy the archive (consistently, WAL included) and point it at `guild_id`."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("UPDATE feeds SET next_poll_at = 4102444800")  # 2100: no polls
        dst.execute(
            "INSERT OR IGNORE INTO guild_feeds (guild_id, feed_id)"
            " SELECT ?, feed_id FROM guild_feeds WHERE guild_id = ?",
            (guild_id, archive.GUILD),
        )
        dst.commit()
    finally:
        src.close()
        dst.close()


def archive_ready(source: Path, articles: int) -> bool:
    done = Path(str(source) + ".done")
    return done.exists() and done.read_text().strip() == str(articles)


class Clock:
    """When the stand-in received each interaction's first callback."""

    def __init__(self, standin: StandIn) -> None:
        self.sent: dict[int, float] = {}
        self.first: dict[int, float] = {}
        self.choices: list[int] = []  # autocomplete answers' sizes, as a sanity check
        self.core: list[float] = []  # bot.search.search() calls' own time, ms
        self.scenario_core: list[list[float]] = []  # per measure() call
        real_search = core_search.search

        async def timed_search(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return await real_search(*args, **kwargs)
            finally:
                self.core.append((time.perf_counter() - t) * 1000)

        core_search.search = timed_search  # type: ignore[assignment]
        real = standin.interactions._callback  # the REST route looks this up per call
        dispatch = standin.gateway.dispatch

        async def dispatched(event: str, data: dict[str, Any], intent: int | None = None) -> None:
            if event == "INTERACTION_CREATE":
                self.sent[int(data["id"])] = time.perf_counter()
            await dispatch(event, data, intent)

        async def callback(record: InteractionRecord, body: dict[str, Any], call: Any) -> Any:
            self.first.setdefault(record.id, time.perf_counter())
            return await real(record, body, call)

        standin.interactions._callback = callback  # type: ignore[method-assign]
        standin.gateway.dispatch = dispatched  # type: ignore[method-assign]

    def latency_ms(self, record: InteractionRecord) -> float:
        return (self.first[record.id] - self.sent[record.id]) * 1000


async def measure(
    clock: Clock, runs: list[Callable[[], Awaitable[InteractionRecord]]], warm: int = 3
) -> list[float]:
    out = []
    for n, fn in enumerate(runs[:warm] + runs):
        if n == warm:
            clock.core.clear()
        record = await fn()
        await record.wait_response(timeout=5)
        if record.rejected:
            raise RuntimeError(f"the stand-in rejected a response: {record.rejected[:1]}")
        if n >= warm:
            out.append(clock.latency_ms(record))
            if record.choices is not None:
                clock.choices.append(len(record.choices))
    clock.scenario_core.append(list(clock.core))
    return out


def pct(values: list[float], p: float) -> float:
    return archive.pct(values, p)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    archive.OUT.mkdir(exist_ok=True)
    source = archive.OUT / f"search-{args.articles}.db"
    if not archive_ready(source, args.articles):
        print(f"building {source} (bench_search's generator) ...")
        await archive.build(source, args.articles)
    logging.basicConfig(level=logging.WARNING)

    standin = await StandIn().start()
    feeds = await FeedServer().start()
    rows: list[tuple[str, list[float], list[float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        settings = lantern_settings(standin, Path(tmp))
        prepare(source, settings.database_path, standin.guild.id)
        print(f"archive copied in {time.perf_counter() - t:.0f} s")
        harness = Lantern(standin, feeds, settings)
        try:
            async with harness.running():
                rows = await scenarios(harness, args.runs)
        finally:
            await feeds.close()
            await standin.stop()

    print(
        f"\n{args.articles:,} articles; stand-in guild sees {archive.GUILD_FEEDS}/"
        f"{archive.FEEDS} feeds; INTERACTION_CREATE -> first callback\n"
    )
    print(
        f"{'interaction':<40} {'n':>4} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
        f" {'core p50':>9} {'core p95':>9}"
    )
    for name, values, core in rows:
        core_text = (
            f"{statistics.median(core):>9.2f} {pct(core, 95):>9.2f}"
            if core
            else f"{'-':>9} {'-':>9}"
        )
        print(
            f"{name:<40} {len(values):>4} {statistics.median(values):>7.2f}"
            f" {pct(values, 95):>7.2f} {max(values):>7.2f} {core_text}"
        )
    print("core = the time inside bot.search.search() during those interactions")
    searches = [v for name, values, _ in rows if name.startswith("/search") for v in values]
    everything = [v for _, values, _ in rows for v in values]
    print(
        f"\n/search, all shapes: p50 {statistics.median(searches):.2f} ms,"
        f" p95 {pct(searches, 95):.2f} ms (aim < 60)"
    )
    print(
        f"every interaction:   p50 {statistics.median(everything):.2f} ms,"
        f" p95 {pct(everything, 95):.2f} ms (aim < 100)"
    )
    print(
        f"\ncommand: python bench/bench_interactions.py --articles {args.articles}"
        f" --runs {args.runs}"
    )


async def scenarios(harness: Lantern, runs: int) -> list[tuple[str, list[float], list[float]]]:
    standin = harness.standin
    store = harness.core.store
    clock = Clock(standin)
    rng = random.Random(99)
    gen = archive.Generator()
    mid = gen.words[150:4000]
    typical = [" ".join(rng.sample(mid, rng.randint(1, 3))) for _ in range(runs)]
    paragraphs = [" ".join(gen.draw(80, gen.topics[i % 30]))[:300] for i in range(20)]
    max_id = await store.indexed_count()
    ids = [rng.randint(1, max_id) for _ in range(max(20, runs // 2))]
    titles = [a.title for a in await store.latest_articles(300, guild_id=archive.GUILD)]
    prefixes = []
    for title in titles[:runs]:
        words = title.split()
        k = rng.randint(1, min(3, len(words)))
        last = words[k - 1][: rng.randint(2, max(2, len(words[k - 1])))]
        prefixes.append(" ".join([*words[: k - 1], last]))

    def search(query: str, **options: Any) -> Callable[[], Awaitable[InteractionRecord]]:
        return lambda: standin.invoke("search", options={"query": query, **options})

    def related(value: str) -> Callable[[], Awaitable[InteractionRecord]]:
        return lambda: standin.invoke("related", options={"article": value})

    async def typed(prefix: str) -> InteractionRecord:
        record = standin.interactions.build_command(
            "related",
            standin.guild,
            standin.channel("general"),
            standin.user("member"),
            {"article": prefix},
            focused="article",
        )
        await standin.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def next_page(query: str) -> InteractionRecord:
        record = await standin.invoke("search", options={"query": query})
        message = await record.wait_message()
        button = next(
            c for row in message.components for c in row["components"] if c.get("label") == "Next"
        )
        return await standin.click(message, button["custom_id"])

    common = ["people", "time", "recovery", "day"]
    rows: list[tuple[str, list[float]]] = []
    rows.append(("/search typical 1-3 words", await measure(clock, [search(q) for q in typical])))
    rows.append(
        (
            "/search typical, newest first",
            await measure(clock, [search(q, sort="newest") for q in typical[:50]]),
        )
    )
    rows.append(
        (
            "/search typical + comments",
            await measure(clock, [search(q, comments=True) for q in typical[:50]]),
        )
    )
    rows.append(
        (
            "/search typical + after:2y + author",
            await measure(clock, [search(q, after="2y", author="author 1") for q in typical[:50]]),
        )
    )
    rows.append(("/search common words", await measure(clock, [search(w) for w in common] * 5)))
    rows.append(
        (
            "/search common, newest first",
            await measure(clock, [search(w, sort="newest") for w in common] * 5),
        )
    )
    rows.append(
        (
            '/search "phrase" -exclude prefix*',
            await measure(
                clock,
                [
                    search(f'"{a} {b}" -{c} {d[:4]}*')
                    for a, b, c, d in (rng.sample(mid, 4) for _ in range(50))
                ],
            ),
        )
    )
    rows.append(
        ("/search 300-char pasted paragraph", await measure(clock, [search(p) for p in paragraphs]))
    )
    rows.append(
        (
            "Next button (page 2; core incl. page 1)",
            await measure(clock, [lambda q=q: next_page(q) for q in common * 5], warm=1),
        )
    )
    rows.append(("/related (picked id)", await measure(clock, [related(str(i)) for i in ids])))
    rows.append(("/related (free text)", await measure(clock, [related(q) for q in typical[:30]])))
    rows.append(
        (
            "autocomplete /related article",
            await measure(clock, [lambda p=p: typed(p) for p in prefixes]),
        )
    )
    rows.append(("autocomplete, empty box", await measure(clock, [lambda: typed("")] * 20)))
    assert len(clock.scenario_core) == len(rows)
    sizes = clock.choices
    print(
        f"autocomplete answers: {sum(1 for c in sizes if c)}/{len(sizes)} non-empty,"
        f" mean {statistics.mean(sizes):.1f} choices"
    )
    return [
        (name, values, core) for (name, values), core in zip(rows, clock.scenario_core, strict=True)
    ]


if __name__ == "__main__":
    asyncio.run(main())
