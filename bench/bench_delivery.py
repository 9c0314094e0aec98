"""Deliveries per second to the local Discord stand-in with Discord's
per-channel message limit switched on, against what that limit allows.

    python -m bench.bench_delivery [--channels 10] [--per-channel 20]

The stand-in enforces 5 messages per 5 s per channel (a sliding window, as
Discord does); the ideal for n messages in one channel is 5 * (ceil(n/5) - 1)
seconds, all channels in parallel. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.feedserver import FeedServer, numbered_items, rss
from tests.lantern_harness import Lantern, lantern_settings
from tests.standin.server import StandIn

LIMIT, PER = 5, 5.0


async def main(channels: int, per_channel: int) -> None:
    async with StandIn() as standin:
        feeds = await FeedServer().start()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                await run(standin, feeds, Path(tmp), channels, per_channel)
        finally:
            await feeds.close()


async def run(standin: StandIn, feeds: FeedServer, tmp: Path, channels: int, n: int) -> None:
    harness = Lantern(standin, feeds, lantern_settings(standin, tmp))
    names = [f"bench-{c}" for c in range(channels)]
    for name in names:
        await standin.create_channel(name)
    url = feeds.serve("/feed", rss(numbered_items(0, n)))
    standin.enable_message_rate_limit(LIMIT, PER)
    async with harness.running():
        feed = (await harness.core.engine.add(url)).feed
        start = time.perf_counter()
        for name in names:
            await harness.core.store.add_subscription(
                guild_id=standin.guild.id, channel_id=standin.channel(name).id,
                feed_id=feed.id, now=datetime.now(UTC), backlog=n,
            )
        harness.bot.delivery.wake()
        total = channels * n
        await standin.wait_for(
            lambda: sum(len(standin.bot_messages(c)) for c in names) >= total,
            timeout=PER * (n / LIMIT + 4) + 30,
        )
        elapsed = time.perf_counter() - start
    ideal = PER * (math.ceil(n / LIMIT) - 1)
    print(f"channels x messages        {channels} x {n} = {total}")
    print(f"rate limit                 {LIMIT} per {PER:.0f} s per channel")
    print(f"elapsed                    {elapsed:.2f} s  (ideal {ideal:.2f} s)")
    print(f"deliveries per second      {total / elapsed:.2f}  (ideal {total / ideal:.2f})")
    print(f"share of the ideal         {100 * ideal / elapsed:.1f} %  (aim: within 10 %)")
    print(f"429s received              {len(standin.rate_limited)}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--channels", type=int, default=10)
    p.add_argument("--per-channel", type=int, default=20)
    a = p.parse_args()
    asyncio.run(main(a.channels, a.per_channel))
