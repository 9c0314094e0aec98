"""Posting articles end to end: feed server -> engine -> outbox -> stand-in."""

from __future__ import annotations

import pytest

from bot.engine import utcnow
from tests.feedserver import numbered_items, rss
from tests.lantern_harness import Lantern

pytestmark = pytest.mark.e2e


async def subscribe(lantern: Lantern, channel: str, url: str, backlog: int = 1, **edit: object):
    feed = (await lantern.core.engine.add(url)).feed
    ch = lantern.standin.channel(channel)
    sub = await lantern.core.store.add_subscription(
        guild_id=lantern.standin.guild.id, channel_id=ch.id, feed_id=feed.id, now=utcnow(),
        backlog=backlog, added_by=lantern.standin.user("manager").id,
    )
    if edit:
        sub = await lantern.core.store.update_subscription(sub.id, **edit)
    lantern.bot.delivery.wake()
    return sub


async def test_new_articles_are_posted_once_in_order(lantern: Lantern) -> None:
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 3), title="Recovery Daily"))
    await subscribe(lantern, "general", url, backlog=2)
    await lantern.standin.wait_for(lambda: len(lantern.standin.bot_messages("general")) == 2)
    lantern.feeds.serve("/feed", rss(numbered_items(0, 5), title="Recovery Daily"))
    await lantern.poll()
    await lantern.standin.wait_for(lambda: len(lantern.standin.bot_messages("general")) == 4)
    await lantern.poll()
    titles = [m.embeds[0]["title"] for m in lantern.standin.bot_messages("general")]
    assert titles == ["Article 1", "Article 2", "Article 3", "Article 4"]
    assert all(m.nonce for m in lantern.standin.bot_messages("general"))
