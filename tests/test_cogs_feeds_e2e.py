"""/feed end to end: members run the commands on the stand-in, Lantern fetches
from the local feed server and posts through the real delivery worker."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import utcnow
from bot.storage import FailureOutcome
from tests.e2e import (
    add,
    manage,
    only_sub,
    reply,
    seen_by_everyone,
    serve,
    settle,
    settled_posts,
    stored_subscription,
    titles,
)
from tests.feedserver import FeedServer
from tests.lantern_harness import Lantern, lantern_settings
from tests.standin.server import StandIn

pytestmark = pytest.mark.e2e


# -- /feed add -------------------------------------------------------------------------


async def test_add_posts_in_text_announcement_and_forum(lantern: Lantern) -> None:
    """/feed add previews and posts the newest article in text, announcement and forum channels."""
    s = lantern.standin
    for channel in ("general", "announcements", "recovery-writing"):
        url = serve(lantern, f"/{channel}", 0, 3)
        reply = await add(lantern, url, channel)
        assert reply.content.startswith(f"✅ Subscribed <#{s.channel(channel).id}> to"
                                        " **Recovery Daily** — posting the newest article now")
        assert reply.embeds[0]["title"] == "Article 2"  # the real post, as a preview
    await settled_posts(lantern, "general")
    assert titles(lantern.standin, "general") == ["Article 2"]
    assert titles(lantern.standin, "announcements") == ["Article 2"]
    posts = s.threads("recovery-writing")
    assert [t.name for t in posts] == ["Article 2"]
    assert s.bot_messages(posts[0])[0].embeds[0]["title"] == "Article 2"


async def test_backlog_zero_posts_nothing_backlog_three_oldest_first(lantern: Lantern) -> None:
    """backlog=0 posts nothing; backlog=3 posts the newest three, oldest first."""
    s = lantern.standin
    reply = await add(lantern, serve(lantern, "/a", 0, 5), "general", backlog=0)
    assert "new articles will be posted as they appear" in reply.content
    reply = await add(lantern, serve(lantern, "/b", 0, 5), "announcements", backlog=3)
    assert "posting the newest 3 now" in reply.content
    await settled_posts(lantern, "announcements", 3)
    assert titles(lantern.standin, "announcements") == ["Article 2", "Article 3", "Article 4"]
    assert s.bot_messages("general") == []


async def test_duplicate_in_the_same_channel_is_refused(lantern: Lantern) -> None:
    """Subscribing a channel to a feed it already has is refused."""
    url = serve(lantern, "/feed", 0, 2)
    await add(lantern, url)
    reply = await add(lantern, url)
    assert "already receives this feed" in reply.content
    assert len(await lantern.core.store.guild_subscriptions(lantern.standin.guild.id)) == 1
    assert "Subscribed" in (await add(lantern, url, "announcements")).content


async def test_bad_urls_are_refused(lantern: Lantern) -> None:
    """Unusable URLs are refused with a helpful message."""
    reply = await add(lantern, "ftp://example.org/feed.xml")
    assert "That URL won't work: Only http:// and https://" in reply.content
    reply = await add(lantern, "http://127.0.0.1:1/feed")
    assert reply.content.startswith("I couldn't fetch that feed: Could not connect")
    page = lantern.feeds.serve("/page", "<html><head><title>Hi</title></head><body>x</body>"
                               "</html>", content_type="text/html")
    reply = await add(lantern, page)
    assert reply.content.startswith("That doesn't look like a feed")
    assert await lantern.core.store.guild_subscriptions(lantern.standin.guild.id) == []


@pytest.fixture
async def strict_lantern(discord_standin: StandIn, feed_server: FeedServer,
                         tmp_path: Path) -> AsyncIterator[Lantern]:
    """Lantern with the private-network guard on, as in production."""
    settings = dataclasses.replace(lantern_settings(discord_standin, tmp_path),
                                   feed_allow_private_networks=False)
    async with Lantern(discord_standin, feed_server, settings).running() as harness:
        yield harness


async def test_private_addresses_are_refused(strict_lantern: Lantern) -> None:
    """Private and loopback addresses are refused when private networks are off."""
    reply = await add(strict_lantern, "http://10.0.0.1/feed")
    assert reply.content.startswith("I won't fetch that address: 10.0.0.1 is 10.0.0.1")
    assert "private networks is turned off" in reply.content
    url = serve(strict_lantern, "/feed", 0, 2)  # 127.0.0.1: refused at the socket
    assert "private networks" in (await add(strict_lantern, url)).content
    assert strict_lantern.feeds.hits["/feed"] == 0


async def test_page_linking_to_a_feed_offers_a_button(lantern: Lantern) -> None:
    """A web page that links to a feed offers a button that subscribes to it."""
    s = lantern.standin
    feed = serve(lantern, "/feed", 0, 2, title="Steady Ground")
    page = lantern.feeds.serve(
        "/blog", '<html><head><title>Steady Ground</title><link rel="alternate"'
        ' type="application/rss+xml" href="/feed"></head><body>Hi</body></html>',
        content_type="text/html")
    reply = await add(lantern, page, backlog=2)
    assert reply.content == f"That page isn't a feed, but it links to one: <{feed}>"
    assert await lantern.core.store.guild_subscriptions(s.guild.id) == []
    button = reply.components[0]["components"][0]
    assert button["label"] == "Subscribe to this feed"
    click = await s.click(reply, button["custom_id"], as_="owner")
    assert (await click.wait_response())["type"] == 7
    done = await click.wait_followup()
    assert done.ephemeral and "Subscribed" in done.content and "**Steady Ground**" in done.content
    assert (await only_sub(lantern)).backlog == 2
    await settled_posts(lantern, "general", 2)
    assert titles(lantern.standin, "general") == ["Article 0", "Article 1"]


async def test_channels_the_bot_cannot_post_in_are_refused_before_fetching(
    lantern: Lantern,
) -> None:
    """A channel the bot can't post in is refused before the feed is fetched."""
    url = serve(lantern, "/feed", 0, 2)
    reply = await add(lantern, url, "read-only")
    assert "I can't post in" in reply.content and "Send Messages" in reply.content
    reply = await add(lantern, url, "no-embeds")
    assert "Embed Links" in reply.content and "Send Messages" not in reply.content
    assert lantern.feeds.hits["/feed"] == 0


async def test_quota_reached_is_refused(lantern: Lantern) -> None:
    """A guild at its subscription quota is refused before fetching."""
    store, guild = lantern.core.store, lantern.standin.guild
    await store.update_guild_settings(guild.id, subscription_quota=2)
    for n in range(2):
        feed = await store.add_feed(f"https://example.org/{n}.xml", utcnow())
        await store.add_subscription(guild_id=guild.id, channel_id=lantern.standin.channel(
            "general").id, feed_id=feed.id, now=utcnow())
    url = serve(lantern, "/feed", 0, 2)
    reply = await add(lantern, url)
    assert "reached its limit of 2 feed subscriptions" in reply.content
    assert lantern.feeds.hits["/feed"] == 0


async def test_a_feed_titled_everyone_pings_nobody(lantern: Lantern) -> None:
    """A feed titled @everyone pings nobody, in the reply or the post."""
    s = lantern.standin
    items = [{"title": "@everyone @here look", "guid": "x", "description": "@everyone"}]
    url = serve(lantern, "/feed", 0, 0, title="@everyone", items=items)
    reply = await add(lantern, url)
    assert "@everyone" not in reply.content  # neutralized: "@\u200beveryone"
    assert not reply.pings.anyone
    post = (await s.wait_for(lambda: s.bot_messages("general")))[0]
    assert not post.pings.anyone


# -- autocomplete and the other commands ------------------------------------------------------


async def test_autocomplete_shows_only_this_guilds_feeds(lantern: Lantern) -> None:
    """Feed autocomplete and ids work only within the guild that owns them."""
    s = lantern.standin
    mine = await stored_subscription(lantern, "Steady Ground")
    await stored_subscription(lantern, "Daily Hope", "announcements")
    theirs = await stored_subscription(lantern, "Other Place", "lobby", guild=s.second_guild)
    choices = await s.autocomplete("feed remove", "feed", "", as_="owner")
    assert [c["name"] for c in choices] == ["Steady Ground — #general",
                                            "Daily Hope — #announcements"]
    assert choices[0]["value"] == str(mine.id)
    assert await s.autocomplete("feed pause", "feed", "STEADY", as_="owner") == choices[:1]
    assert len(await s.autocomplete("feed edit", "feed", "announce", as_="owner")) == 1
    assert len(await s.autocomplete("feed resume", "feed", "example/", as_="owner")) == 2
    assert await s.autocomplete("feed remove", "feed", "other", as_="owner") == []
    lobby = s.channel("lobby", s.second_guild)
    theirs_seen = await s.autocomplete("feed remove", "feed", "", as_="other_owner",
                                       channel=lobby)
    assert theirs_seen == [{"name": "Other Place — #lobby", "value": str(theirs.id)}]
    # An id from the other guild, typed by hand, is unknown here.
    reply = await manage(lantern, "feed pause", feed=str(theirs.id))
    assert "I can't find that feed on this server" in reply.content
    assert not (await lantern.core.store.get_subscription(theirs.id)).paused


async def test_remove_asks_and_only_the_invoker_can_confirm(lantern: Lantern) -> None:
    """/feed remove asks first, and only the member who ran it can confirm."""
    s = lantern.standin
    sub = await stored_subscription(lantern, "Steady Ground")
    prompt = await manage(lantern, "feed remove", feed=str(sub.id))
    assert prompt.content.startswith("Remove **Steady Ground** from <#")
    with seen_by_everyone(prompt):
        other = await s.click(prompt, "feed-remove:confirm", as_="manager")
        refusal = await reply(other)
    assert "Only the person who ran the command" in refusal.content
    assert await lantern.core.store.get_subscription(sub.id) is not None
    click = await s.click(prompt, "feed-remove:confirm", as_="owner")
    assert (await click.wait_response())["type"] == 7
    assert prompt.content.startswith("🗑️ Removed **Steady Ground**")
    assert prompt.components == []
    assert await lantern.core.store.get_subscription(sub.id) is None


async def test_remove_times_out_and_keeps_the_feed(lantern: Lantern,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An unanswered /feed remove times out and keeps the subscription."""
    # load_extension executes the module afresh: patch the copy the bot runs.
    monkeypatch.setattr(sys.modules["cogs.feeds.views"], "CONFIRM_TIMEOUT", 0.2)
    sub = await stored_subscription(lantern, "Steady Ground")
    prompt = await manage(lantern, "feed remove", feed="steady ground")  # typed, not picked
    await lantern.standin.wait_for(lambda: prompt.content.startswith("No answer"))
    assert prompt.components == []
    assert await lantern.core.store.get_subscription(sub.id) is not None


async def test_list_is_paged_with_status(lantern: Lantern) -> None:
    """/feed list is paged and shows each feed's status and last error."""
    s, store = lantern.standin, lantern.core.store
    subs = [await stored_subscription(lantern, f"Feed {n:02}") for n in range(12)]
    await store.pause_subscription(subs[1].id, "by Olivia", utcnow())
    now = utcnow()
    await store.record_failure(subs[2].feed_id, FailureOutcome(
        now=now, next_poll_at=now + timedelta(hours=1), error="Server answered 500",
        broken_after=0, gone=False))
    reply = await manage(lantern, "feed list")
    embed = reply.embeds[0]
    assert embed["footer"]["text"] == "Page 1/2"
    assert embed["title"] == "Feeds on this server (12)"
    assert "**1. Feed 00**" in embed["description"] and "Feed 10" not in embed["description"]
    assert "✅ active" in embed["description"]
    assert "⏸️ paused (by Olivia)" in embed["description"]
    assert "⚠️ broken" in embed["description"]
    assert "Last error: Server answered 500 (failing since <t:" in embed["description"]
    assert "next poll <t:" in embed["description"]
    click = await s.click(reply, "feed-list:next", as_="owner")
    await click.wait_response()
    page2 = reply.embeds[0]
    assert page2["footer"]["text"] == "Page 2/2"
    assert "**11. Feed 10**" in page2["description"]
    assert "**12. Feed 11**" in page2["description"]


async def test_pause_and_resume_do_not_flood(lantern: Lantern) -> None:
    """Pausing posts nothing; resuming posts only the newest article that arrived."""
    s, store = lantern.standin, lantern.core.store
    await add(lantern, serve(lantern, "/feed", 0, 2))
    await s.wait_for(lambda: titles(lantern.standin, "general") == ["Article 1"])
    sub = await only_sub(lantern)
    reply = await manage(lantern, "feed pause", feed=str(sub.id))
    assert reply.content.startswith("⏸️ Paused **Recovery Daily** in <#")
    assert "already paused" in (await manage(lantern, "feed pause", feed=str(sub.id))).content
    await store.remember_notice(s.guild.id, f"sub:{sub.id}:paused", utcnow())
    serve(lantern, "/feed", 0, 8)  # six new articles while paused
    await lantern.poll()
    await settle(lantern)
    assert titles(lantern.standin, "general") == ["Article 1"]
    reply = await manage(lantern, "feed resume", feed=str(sub.id))
    assert "posting the newest article that arrived while it was paused" in reply.content
    await settled_posts(lantern, "general", 2)
    assert titles(lantern.standin, "general") == ["Article 1", "Article 7"]
    assert await store.remember_notice(s.guild.id, f"sub:{sub.id}:paused", utcnow())  # forgotten
    assert "isn't paused" in (await manage(lantern, "feed resume", feed=str(sub.id))).content


async def test_edit_filters_apply_to_the_next_poll(lantern: Lantern) -> None:
    """Include/exclude words set with /feed edit filter the next poll's articles."""
    await add(lantern, serve(lantern, "/feed", 0, 1), backlog=0)
    sub = await only_sub(lantern)
    reply = await manage(lantern, "feed edit", feed=str(sub.id), include="hope, Gratitude",
                      exclude="gambling")
    assert "• Only with: hope, Gratitude" in reply.content
    assert "• Never with: gambling" in reply.content
    items = [{"title": t, "guid": t, "description": "x",
              "pubDate": f"Mon, 01 Jan 2024 0{n}:00:00 +0000"}
             for n, t in enumerate(["Finding hope", "Hope and gambling", "Gardening",
                                    "Daily gratitude"])]
    serve(lantern, "/feed", 0, 0, items=items)
    await lantern.poll()
    await settled_posts(lantern, "general", 2)
    assert titles(lantern.standin, "general") == ["Finding hope", "Daily gratitude"]
    reply = await manage(lantern, "feed edit", feed=str(sub.id), include="none", exclude="-")
    assert "• Only with: none" in reply.content and "• Never with: none" in reply.content
    assert "no words" in (await manage(lantern, "feed edit", feed=str(sub.id),
                                    include="!!!")).content
    reply = await manage(lantern, "feed edit", feed=str(sub.id))
    assert "Tell me what to change" in reply.content


async def test_edit_mention_pings_that_role_only(lantern: Lantern) -> None:
    """A mention role set with /feed edit pings that role and nobody else."""
    s = lantern.standin
    await add(lantern, serve(lantern, "/feed", 0, 1, title="@everyone"), backlog=0)
    sub = await only_sub(lantern)
    moderators = s.role("Moderators")
    reply = await manage(lantern, "feed edit", feed=str(sub.id), mention=moderators)
    assert f"• Mention: <@&{moderators.id}>" in reply.content and not reply.pings.anyone
    reply = await manage(lantern, "feed edit", feed=str(sub.id), mention=s.role("Managers"))
    assert "I can't ping" in reply.content and "isn't mentionable" in reply.content
    serve(lantern, "/feed", 0, 2, title="@everyone")
    await lantern.poll()
    post = await s.next_message("general")
    assert post.content.startswith(f"<@&{moderators.id}>")
    assert post.pings.roles == {moderators.id}
    assert not post.pings.everyone and not post.pings.users
    everyone = s.guild.roles[s.guild.id]
    reply = await manage(lantern, "feed edit", feed=str(sub.id), mention=everyone)
    assert "• Mention: nobody" in reply.content
    assert (await lantern.core.store.get_subscription(sub.id)).mention_role_id is None


async def test_edit_threads_opens_a_thread_per_post(lantern: Lantern) -> None:
    """threads=True opens a thread per post; compact style posts one line."""
    s = lantern.standin
    await add(lantern, serve(lantern, "/feed", 0, 1), backlog=0)
    sub = await only_sub(lantern)
    reply = await manage(lantern, "feed edit", feed=str(sub.id), threads=True, style="compact")
    assert "• Threads: yes" in reply.content and "• Style: compact" in reply.content
    serve(lantern, "/feed", 0, 3)
    await lantern.poll()
    await settled_posts(lantern, "general", 2)
    threads = s.threads("general")
    assert sorted(t.name for t in threads) == ["Article 1", "Article 2"]
    assert all(m.content.startswith("**Article") for m in s.bot_messages("general"))


async def test_edit_channel_rechecks_permissions(lantern: Lantern) -> None:
    """Moving a subscription to another channel checks the bot can post there."""
    s = lantern.standin
    await add(lantern, serve(lantern, "/feed", 0, 1), backlog=0)
    sub = await only_sub(lantern)
    reply = await manage(lantern, "feed edit", feed=str(sub.id), channel=s.channel("read-only"))
    assert "I can't post in" in reply.content
    reply = await manage(lantern, "feed edit", feed=str(sub.id),
                      channel=s.channel("announcements"))
    assert f"• Channel: <#{s.channel('announcements').id}>" in reply.content
    serve(lantern, "/feed", 0, 2)
    await lantern.poll()
    assert (await s.next_message("announcements")).embeds[0]["title"] == "Article 1"
    assert s.bot_messages("general") == []


async def test_preview_shows_the_newest_item_and_stores_nothing(lantern: Lantern) -> None:
    """/feed preview shows the newest article and stores nothing."""
    url = serve(lantern, "/feed", 0, 3, title="Recovery *Daily*")
    reply = await manage(lantern, "feed preview", url=url)
    assert reply.content.startswith(r"Preview of the newest article in **Recovery \*Daily\***")
    assert reply.embeds[0]["title"] == "Article 2"
    assert await lantern.core.store.list_feeds() == []
    reply = await manage(lantern, "feed preview", url="gopher://example.org/")
    assert "That URL won't work" in reply.content


async def test_feed_link_offer_expires(lantern: Lantern, monkeypatch: pytest.MonkeyPatch) -> None:
    """The subscribe-to-linked-feed button expires and subscribes nothing."""
    monkeypatch.setattr(sys.modules["cogs.feeds.views"], "OFFER_TIMEOUT", 0.2)
    serve(lantern, "/feed", 0, 1)
    page = lantern.feeds.serve("/blog", '<html><head><title>x</title><link rel="alternate"'
                               ' type="application/atom+xml" href="feed"></head></html>',
                               content_type="text/html")
    reply = await add(lantern, page)
    await lantern.standin.wait_for(lambda: reply.content.startswith("That offer expired"))
    assert reply.components == []
    assert await lantern.core.store.guild_subscriptions(lantern.standin.guild.id) == []
