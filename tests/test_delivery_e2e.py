"""Posting articles end to end: feed server -> engine -> outbox -> stand-in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import utcnow
from bot.discord_edge.delivery import retry_delay
from bot.models import Delivery
from tests.e2e import eventually, quiet, settle, settled_posts, subscribe, titles
from tests.feedserver import numbered_items, rss
from tests.lantern_harness import Lantern

pytestmark = pytest.mark.e2e


async def test_new_articles_are_posted_once_in_order(lantern: Lantern) -> None:
    """The backlog, then each new article, posted once in publication order."""
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 3), title="Recovery Daily"))
    await subscribe(lantern, "general", url, backlog=2)
    await lantern.standin.wait_for(lambda: len(lantern.standin.bot_messages("general")) == 2)
    lantern.feeds.serve("/feed", rss(numbered_items(0, 5), title="Recovery Daily"))
    await lantern.poll()
    await lantern.standin.wait_for(lambda: len(lantern.standin.bot_messages("general")) == 4)
    await lantern.poll()
    posts = await settled_posts(lantern, "general", 4)
    assert titles(lantern.standin) == ["Article 1", "Article 2", "Article 3", "Article 4"]
    assert len(posts) == 4 and all(m.nonce for m in posts)


async def test_everyone_title_pings_nobody(lantern: Lantern) -> None:
    """An article full of @everyone and mentions pings nobody."""
    items = [
        {
            "title": "@everyone relapse is part of <@123> recovery @here",
            "guid": "x",
            "link": "http://example.org/x",
            "description": "@everyone read this <@&456>",
        }
    ]
    url = lantern.feeds.serve("/feed", rss(items, title="@everyone News"))
    await subscribe(lantern, "general", url)
    (msg,) = await settled_posts(lantern, "general")
    assert not msg.pings.anyone
    assert msg.allowed_mentions == {"parse": []} or not msg.allowed_mentions.get("parse")


async def test_role_ping_only_when_configured(lantern: Lantern) -> None:
    """A subscription's mention role is pinged, nobody else."""
    role = lantern.standin.role("Moderators")
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 1)))
    await subscribe(lantern, "general", url, mention_role_id=role.id)
    (msg,) = await settled_posts(lantern, "general")
    assert msg.pings.roles == {role.id}
    assert not msg.pings.everyone and not msg.pings.users


async def test_compact_style_is_one_line(lantern: Lantern) -> None:
    """The compact style is a single line with the title and link."""
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 1)))
    await subscribe(lantern, "general", url, style="compact")
    (msg,) = await settled_posts(lantern, "general")
    assert msg.embeds == []
    assert "Article 0" in msg.content and "http://example.org/posts/0" in msg.content
    assert "\n" not in msg.content


async def test_announcement_and_forum_channels(lantern: Lantern) -> None:
    """Posts go to announcement channels, and to forums as one post per article."""
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 2)))
    await subscribe(lantern, "announcements", url, backlog=2)
    await subscribe(lantern, "recovery-writing", url, backlog=2)
    assert len(await settled_posts(lantern, "announcements", 2)) == 2
    forum = lantern.standin.channel("recovery-writing")
    await lantern.standin.wait_for(lambda: len(lantern.standin.threads(forum)) == 2)
    await settle(lantern)
    names = sorted(t.name for t in lantern.standin.threads(forum))
    assert names == ["Article 0", "Article 1"]
    # each forum post is the article's discussion in this guild
    article = (await lantern.core.store.latest_articles(1))[0]
    discussion = await eventually(
        lambda: lantern.core.store.discussion(lantern.standin.guild.id, article.id)
    )
    assert discussion is not None and discussion.channel_id == forum.id


async def test_threads_option_opens_a_thread_per_post(lantern: Lantern) -> None:
    """threads=True opens a discussion thread on each post."""
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 2)))
    await subscribe(lantern, "general", url, backlog=2, threads=True)
    general = lantern.standin.channel("general")
    await lantern.standin.wait_for(lambda: len(lantern.standin.threads(general)) == 2)
    await settle(lantern)
    assert sorted(t.name for t in lantern.standin.threads(general)) == ["Article 0", "Article 1"]
    for article in await lantern.core.store.latest_articles(2):
        d = await eventually(
            lambda a=article: lantern.core.store.discussion(lantern.standin.guild.id, a.id)
        )
        assert d is not None


async def test_content_warning_spoilers_the_summary(lantern: Lantern) -> None:
    """An article on a listed topic carries a warning and a spoilered summary."""
    items = [
        {
            "title": "After the overdose: a mother's story",
            "guid": "od",
            "link": "http://example.org/od",
            "description": "She found him not breathing.",
        }
    ]
    url = lantern.feeds.serve("/feed", rss(items))
    await subscribe(lantern, "general", url)
    (msg,) = await settled_posts(lantern, "general")
    assert "Content warning" in msg.content and "overdose" in msg.content.lower()
    assert "||" in msg.embeds[0]["description"]


async def test_missing_permissions_pause_and_tell_once(lantern: Lantern) -> None:
    """Missing permissions pause the subscription and tell the moderators once."""
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 2)))
    log_channel = lantern.standin.channel("general")
    await lantern.core.store.update_guild_settings(
        lantern.standin.guild.id, log_channel_id=log_channel.id
    )
    sub = await subscribe(lantern, "read-only", url, backlog=2)
    notices = await quiet(lantern.standin, "general")
    assert "paused" in notices[0].content.lower()
    stored = await lantern.core.store.get_subscription(sub.id)
    assert stored is not None and stored.paused and "permission" in (stored.pause_reason or "")
    lantern.feeds.serve("/feed", rss(numbered_items(0, 4)))
    await lantern.poll()
    await lantern.poll()
    notices = await quiet(lantern.standin, "general")
    assert len(notices) == 1  # told once, not on every attempt
    assert lantern.standin.bot_messages("read-only") == []


async def test_channel_deleted_mid_run(lantern: Lantern) -> None:
    """A deleted channel pauses its subscription."""
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 1)))
    sub = await subscribe(lantern, "no-embeds", url)  # any channel we then delete
    await lantern.standin.delete_channel("no-embeds")

    async def paused() -> bool:
        s = await lantern.core.store.get_subscription(sub.id)
        return bool(s and s.paused)

    assert await eventually(paused)


async def pending_retry(lantern: Lantern, article_title: str, error: str) -> Delivery:
    """The article's delivery once Lantern has scheduled a retry after `error`."""
    articles = await lantern.core.store.latest_articles(50)
    (article,) = [a for a in articles if a.title == article_title]

    async def scheduled() -> Delivery | None:
        (d,) = await lantern.core.store.deliveries_for_article(article.id)
        return d if d.last_error == error else None

    d = await eventually(scheduled)
    assert d is not None, f"no retry scheduled after {error}"
    return d


async def run_due_retries(lantern: Lantern, monkeypatch: pytest.MonkeyPatch, d: Delivery) -> None:
    """Move the delivery worker's clock past the retry time, instead of waiting for it."""
    ahead = d.next_attempt_at - utcnow() + timedelta(seconds=1)
    monkeypatch.setattr(lantern.bot.delivery, "clock", lambda: utcnow() + ahead)
    lantern.bot.delivery.wake()


async def test_server_errors_are_retried(lantern: Lantern, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 5xx that discord.py gives up on is retried later by Lantern, and posted once."""
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 2)))
    # discord.py retries 500/502/504 by itself (for 25 s) but raises a 503 at once:
    # only Lantern's own retry can post this article.
    failure = lantern.standin.fail_next("POST", "/channels/{channel_id}/messages", 503, times=1)
    await subscribe(lantern, "general", url, backlog=2)
    d = await pending_retry(lantern, "Article 0", "Discord answered 503")
    # One attempt, counted once (before its send), and the back-off that follows it.
    assert d.status == "pending" and d.attempts == 1
    wait = (d.next_attempt_at - utcnow()).total_seconds()
    assert 0 < wait <= retry_delay(d.attempts)
    # The worker's clock stops short of the retry time: it must not retry early
    # (however slow this machine is), and the newer article waits behind it.
    just_before = d.next_attempt_at - timedelta(seconds=0.5)
    monkeypatch.setattr(lantern.bot.delivery, "clock", lambda: just_before)
    lantern.bot.delivery.wake()
    await quiet(lantern.standin, "general", at_least=0)
    assert failure.hits == 1 and lantern.standin.bot_messages("general") == []
    await run_due_retries(lantern, monkeypatch, d)
    posts = await settled_posts(lantern, "general", 2)
    assert [m.embeds[0]["title"] for m in posts] == ["Article 0", "Article 1"]
    sent = await lantern.core.store.get_delivery(d.id)
    assert sent is not None and sent.status == "sent" and sent.attempts == 2


async def test_rate_limit_storm_loses_nothing(
    lantern: Lantern, monkeypatch: pytest.MonkeyPatch
) -> None:
    """429s beyond discord.py's five tries are retried by Lantern: all posted once, in order."""
    # discord.py waits out a 429 and tries again, five tries in all; then it raises.
    failure = lantern.standin.fail_next(
        "POST", "/channels/{channel_id}/messages", 429, times=5, retry_after=0.05
    )
    lantern.standin.enable_message_rate_limit(5, 1.0)
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 8)))
    await subscribe(lantern, "general", url, backlog=8)
    d = await pending_retry(lantern, "Article 0", "Discord answered 429")
    assert failure.hits == 5 and d.status == "pending"
    assert lantern.standin.bot_messages("general") == []
    await run_due_retries(lantern, monkeypatch, d)
    posts = await settled_posts(lantern, "general", 8, timeout=20)
    assert [m.embeds[0]["title"] for m in posts] == [f"Article {n}" for n in range(8)]


async def test_gateway_resume_keeps_posting(lantern: Lantern) -> None:
    """Posting goes on after a gateway reconnect and resume."""
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 1)))
    await subscribe(lantern, "general", url)
    await quiet(lantern.standin, "general")
    await lantern.standin.force_reconnect()
    await lantern.standin.wait_resumed()
    lantern.feeds.serve("/feed", rss(numbered_items(0, 2)))
    await lantern.poll()
    assert len(await settled_posts(lantern, "general", 2)) == 2


async def test_bot_removed_from_guild_stops_its_subscriptions(lantern: Lantern) -> None:
    """Removed from a guild, the bot marks it removed and queues nothing there."""
    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 1)))
    sub = await subscribe(lantern, "general", url)
    await quiet(lantern.standin, "general")
    await lantern.standin.remove_bot()
    await lantern.standin.wait_for(lambda: lantern.bot.get_guild(lantern.standin.guild.id) is None)

    async def removed() -> bool:
        return (await lantern.core.store.guild_settings(sub.guild_id)).removed_at is not None

    assert await eventually(removed)
    lantern.feeds.serve("/feed", rss(numbered_items(0, 3)))
    await lantern.core.engine.poll_due(all_=True)
    assert await lantern.core.store.due_deliveries(utcnow()) == []


async def test_hostile_feed_text_is_always_accepted(lantern: Lantern) -> None:
    """Whatever a feed says, Discord never rejects the post (the stand-in
    validates like Discord: a 50035 would leave the delivery failed)."""
    nasty = [
        {"title": "T" * 5000, "guid": "long", "link": "http://example.org/" + "a" * 3000,
         "description": "x " * 10000},
        {"title": "", "guid": "empty", "link": "javascript:alert(1)", "description": ""},
        {"title": "مرحبا بالتعافي \u202e‮evil\u202c 🙏🏽👨‍👩‍👧", "guid": "rtl",
         "link": "http://example.org/rtl", "description": "שלום \u200f\u200b\u200b"},
        {"title": "**bold** __u__ ~~s~~ ||spoiler|| `code` > quote # h1 [x](http://evil)",
         "guid": "md", "link": "ftp://example.org/x", "description": "<script>alert(1)</script>"},
        {"title": "&lt;@123&gt; &lt;@&amp;456&gt; @everyone", "guid": "mention",
         "link": "http://[::1", "description": "&lt;#789&gt; @here"},
    ]
    url = lantern.feeds.serve("/feed", rss(nasty))
    sub = await subscribe(lantern, "general", url, backlog=len(nasty))
    posts = await settled_posts(lantern, "general", len(nasty))
    assert len(posts) == len(nasty)
    assert not any(m.pings.anyone for m in posts)

    async def all_sent() -> bool:
        deliveries = await lantern.core.store.due_deliveries(utcnow())
        return not deliveries

    assert await eventually(all_sent)
    for article in await lantern.core.store.latest_articles(10, feed_id=sub.feed_id):
        (d,) = await lantern.core.store.deliveries_for_article(article.id)
        assert d.status == "sent", (article.title[:40], d.last_error)


async def test_broken_and_recovered_feeds_are_reported_once(lantern: Lantern) -> None:
    """A broken feed is reported once, and its recovery once."""
    from bot.models import FeedEvent

    url = lantern.feeds.serve("/feed", rss(numbered_items(0, 1), title="Fragile Feed"))
    sub = await subscribe(lantern, "general", url, backlog=0)
    log_channel = lantern.standin.channel("announcements")
    await lantern.core.store.update_guild_settings(sub.guild_id, log_channel_id=log_channel.id)
    broken = FeedEvent("broken", sub.feed_id, message="The server answered 503")
    lantern.core.engine._emit(broken)
    lantern.core.engine._emit(broken)  # a second report of the same problem
    notices = await quiet(lantern.standin, "announcements")
    assert len(notices) == 1
    assert "Fragile Feed" in notices[0].content and "503" in notices[0].content
    lantern.core.engine._emit(FeedEvent("recovered", sub.feed_id))
    notices = await quiet(lantern.standin, "announcements", at_least=2)
    assert len(notices) == 2
    assert "works again" in notices[1].content
