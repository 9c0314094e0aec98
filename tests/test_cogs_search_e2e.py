"""/search, /latest, /related, /discuss and /resources end to end: the real
LanternBot on the Discord stand-in, articles from a local feed server."""

from __future__ import annotations

import logging
import random
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import utcnow
from bot.models import ParsedComment
from bot.support.crisis_contacts import DEFAULT_RESOURCES, RESOURCES_LEAD
from tests.e2e import answer, bot_sees_overwrites, eventually, run, settled_posts
from tests.feedserver import FeedServer, rss
from tests.fuzz import random_text
from tests.lantern_harness import Lantern, lantern_settings
from tests.standin import permissions as P
from tests.standin.server import StandIn
from tests.standin.world import Message

pytestmark = pytest.mark.e2e

EPHEMERAL = 64
UPDATE_MESSAGE = 7
BASE = datetime(2024, 1, 1, tzinfo=UTC)
JOURNAL = 25


def item(key: str, title: str, when: datetime, text: str, author: str = "") -> dict[str, str]:
    out = {
        "title": title,
        "link": f"http://example.org/{key}",
        "guid": key,
        "pubDate": format_datetime(when),
        "description": text,
    }
    if author:
        out["author"] = author
    return out


TOPICS = [
    item(
        "nalox-library",
        "Naloxone saves lives at the library",
        BASE + timedelta(days=60),
        "Librarians trained to carry naloxone nasal spray.",
        "Alex Writer",
    ),
    item(
        "relapse",
        "Relapse is not failure",
        BASE + timedelta(days=100),
        "Many people in recovery go back to using once; what helped them return.",
    ),
    item(
        "sponsor",
        "Sponsor stories: the first year sober",
        BASE + timedelta(days=122),
        "Three sponsors talk about the first year of sobriety.",
    ),
    item(
        "meetings",
        "Meetings online during winter",
        BASE + timedelta(days=140),
        "Video meetings help people keep going when the roads are icy.",
    ),
    item(
        "nalox-vending",
        "Naloxone vending machines arrive",
        BASE + timedelta(days=152),
        "Free naloxone from vending machines in three cities.",
    ),
]
JOURNAL_ITEMS = [
    item(
        f"journal-{n}",
        f"Recovery journal day {n}",
        BASE - timedelta(days=100 - n),
        f"Entry {n} of a recovery journal: small steps.",
    )
    for n in range(JOURNAL)
]
OTHER = [
    item(
        "secret-b",
        "Secret second-server naloxone piece",
        BASE + timedelta(days=10),
        "Only the second server subscribes to this naloxone feed.",
    ),
]


async def setup_world(lantern: Lantern, *, backlog: int = 3) -> dict[str, Any]:
    store = lantern.core.store
    url = lantern.feeds.serve("/feed", rss(TOPICS + JOURNAL_ITEMS, title="Recovery Daily"))
    feed = (await lantern.core.engine.add(url)).feed
    general = lantern.standin.channel("general")
    await store.add_subscription(
        guild_id=lantern.standin.guild.id,
        channel_id=general.id,
        feed_id=feed.id,
        now=utcnow(),
        backlog=backlog,
        added_by=lantern.standin.user("manager").id,
    )
    lantern.bot.delivery.wake()
    other_url = lantern.feeds.serve("/other", rss(OTHER, title="Second Place"))
    other = (await lantern.core.engine.add(other_url)).feed
    await store.add_guild_feed(lantern.standin.second_guild.id, other.id)
    assert len(await settled_posts(lantern, "general", backlog)) == backlog
    articles = {(a.link or "").rsplit("/", 1)[-1]: a for a in await store.latest_articles(100)}
    relapse = articles["relapse"]
    await store.record_comments(
        relapse.id,
        [
            ParsedComment(
                "c1",
                "Jamie",
                BASE + timedelta(days=101),
                "Thank you. My own relapse taught me gentleness with myself.",
                None,
                "h1",
            ),
            ParsedComment(
                "c2",
                "Robin",
                BASE + timedelta(days=102),
                "Sharing this with my home group tonight.",
                None,
                "h2",
            ),
        ],
        next_poll_at=utcnow() + timedelta(days=1),
    )
    return {"feed": feed, "other": other, "articles": articles}


@pytest.fixture
async def world(lantern: Lantern) -> dict[str, Any]:
    return await setup_world(lantern)


def text_of(msg: Message) -> str:
    parts = [msg.content]
    for e in msg.embeds:
        parts += [
            e.get("title") or "",
            e.get("description") or "",
            (e.get("footer") or {}).get("text", ""),
        ]
        parts += [f["name"] + "\n" + f["value"] for f in e.get("fields", [])]
    return "\n".join(parts)


def buttons(msg: Message) -> dict[str, dict[str, Any]]:
    return {c["label"]: c for row in msg.components for c in row["components"]}


async def _equal(value: Any, expected: Any) -> bool:
    return bool(await value == expected)


def cog(lantern: Lantern) -> Any:
    return lantern.bot.get_cog("Search")


# -- /search ---------------------------------------------------------------------------


async def test_search_private_embed_with_titles_snippets_and_post_links(lantern, world):
    """/search answers privately with titles, snippets and links to this server's posts."""
    msg = await answer(lantern, "search", query="naloxone")
    assert msg.flags & EPHEMERAL
    body = msg.embeds[0]["description"]
    assert "[Naloxone vending machines arrive](http://example.org/nalox-vending)" in body
    assert "[Naloxone saves lives at the library](http://example.org/nalox-library)" in body
    assert "**Naloxone**" in body or "**naloxone**" in body
    assert "Recovery Daily" in body and "<t:" in body
    assert "Second" not in body  # the other server's feed
    # the newest three were posted: the vending one links to its post in #general
    posted = next(
        m
        for m in lantern.standin.bot_messages("general")
        if "vending" in m.embeds[0]["title"].lower()
    )
    guild = lantern.standin.guild.id
    assert f"https://discord.com/channels/{guild}/{posted.channel_id}/{posted.id}" in body
    assert body.count("posted here") == 1
    assert set(buttons(msg)) == {"Previous", "Next", "Share"}
    assert buttons(msg)["Previous"].get("disabled") and buttons(msg)["Next"].get("disabled")
    assert not msg.content  # no crisis line


async def test_search_filters_and_sort(lantern, world):
    """Feed, author and date filters and newest-first sorting narrow /search."""
    feed_id = str(world["feed"].id)
    choices = await lantern.standin.autocomplete("search", "feed", "recov", options={"query": "x"})
    assert [c["value"] for c in choices] == [feed_id]
    newest = await answer(lantern, "search", query="naloxone", sort="newest", feed=feed_id)
    body = newest.embeds[0]["description"]
    assert body.index("vending") < body.index("library")
    by_author = await answer(lantern, "search", query="naloxone", author="Alex Writer")
    assert "library" in by_author.embeds[0]["description"]
    assert "vending" not in by_author.embeds[0]["description"]
    for after, before, expect in (
        ("2024-03-01", None, {"vending", "library"}),
        ("2024-05", None, {"vending"}),
        (None, "2024-04", {"library"}),
        ("2024", "2025", {"vending", "library"}),
        ("30d", None, set()),
    ):
        opts = {k: v for k, v in (("after", after), ("before", before)) if v}
        msg = await answer(lantern, "search", query="naloxone", **opts)
        found = {w for w in ("vending", "library") if w in text_of(msg)}
        assert found == expect, (opts, text_of(msg))
    unknown = await answer(lantern, "search", query="naloxone", feed="no such feed")
    assert unknown.flags & EPHEMERAL and "can't find that feed" in unknown.content


async def test_bad_date_and_empty_result_are_helpful_private_messages(lantern, world):
    """Bad dates, no results and empty queries get helpful private messages."""
    bad = await answer(lantern, "search", query="naloxone", after="next tuesday-ish")
    assert bad.flags & EPHEMERAL and "can't read the date" in bad.content
    assert "2024-05-01" in bad.content and "Something went wrong" not in bad.content
    backwards = await answer(lantern, "search", query="naloxone", after="2025", before="2024")
    assert "earlier" in backwards.content
    empty = await answer(lantern, "search", query="zzyzzyx quokka")
    assert empty.flags & EPHEMERAL and "found no articles" in empty.content
    assert not empty.embeds
    punctuation = await answer(lantern, "search", query="*** --- ((( ")
    assert punctuation.flags & EPHEMERAL and "at least one word" in punctuation.content


async def test_paging_forward_and_back(lantern, world):
    """Next and Previous page through results; the last page disables Next."""
    msg = await answer(lantern, "search", query="recovery journal", sort="newest")
    first = msg.embeds[0]["description"]
    assert "Page 1 of 5" in msg.embeds[0]["footer"]["text"]
    assert "day 24" in first and "day 19" not in first
    click = await lantern.standin.click(msg, buttons(msg)["Next"]["custom_id"])
    assert (await click.wait_response())["type"] == UPDATE_MESSAGE
    assert "Page 2 of 5" in msg.embeds[0]["footer"]["text"]
    assert "day 19" in msg.embeds[0]["description"] and "day 24" not in msg.embeds[0]["description"]
    assert not buttons(msg)["Previous"].get("disabled")
    back = await lantern.standin.click(msg, buttons(msg)["Previous"]["custom_id"])
    await back.wait_response()
    assert msg.embeds[0]["description"] == first
    for _ in range(4):
        step = await lantern.standin.click(msg, buttons(msg)["Next"]["custom_id"])
        await step.wait_response()
    assert "Page 5 of 5" in msg.embeds[0]["footer"]["text"]
    assert buttons(msg)["Next"].get("disabled")


async def test_share_posts_publicly_without_pings_and_others_cannot_page(lantern, world):
    """Share posts the page publicly without pings or the member's name; only they can page it."""
    before = len(lantern.standin.bot_messages("general"))
    msg = await answer(lantern, "search", query="recovery journal", as_="member")
    share = await lantern.standin.click(msg, buttons(msg)["Share"]["custom_id"])
    await share.wait_response()
    await share.wait_followup()
    assert "Shared" in share.followups[0].content and share.followups[0].flags & EPHEMERAL
    posts = lantern.standin.bot_messages("general")
    assert len(posts) == before + 1
    public = posts[-1]
    assert not public.ephemeral and not public.pings.anyone
    assert public.allowed_mentions is not None and not public.allowed_mentions.get("parse")
    assert public.embeds[0]["description"] == msg.embeds[0]["description"]
    member = lantern.standin.user("member")
    assert str(member.id) not in text_of(public) and member.username not in text_of(public)
    assert "Share" not in buttons(public) and buttons(msg)["Share"].get("disabled")
    # another member clicks Next on the public copy: refused privately, page unchanged
    shown = public.embeds[0]["description"]
    other = await lantern.standin.click(public, buttons(public)["Next"]["custom_id"], as_="mod")
    await other.wait_response()
    assert other.message is not None and other.message.flags & EPHEMERAL
    assert "Only the member who ran this search" in other.message.content
    assert public.embeds[0]["description"] == shown
    # the searcher can page it
    mine = await lantern.standin.click(public, buttons(public)["Next"]["custom_id"])
    await mine.wait_response()
    assert public.embeds[0]["description"] != shown


async def test_share_refused_where_the_bot_cannot_post(lantern, world):
    """Share is refused in channels the bot can't post in."""
    for channel in ("read-only", "no-embeds"):
        record = await run(lantern, "search", query="naloxone", where=channel)
        msg = await record.wait_message()
        assert msg.embeds and not record.rejected
        share = await lantern.standin.click(msg, buttons(msg)["Share"]["custom_id"])
        await share.wait_response()
        assert share.message is not None and "can't post in this channel" in share.message.content
        assert lantern.standin.bot_messages(channel) == []


async def test_view_timeout_disables_buttons_and_keeps_results(lantern, world):
    """When the view times out its buttons are disabled and the results stay."""
    cog(lantern).view_timeout = 0.3
    msg = await answer(lantern, "search", query="recovery journal")
    shown = msg.embeds[0]["description"]
    await lantern.standin.wait_for(
        lambda: all(b.get("disabled") for b in buttons(msg).values()), 5, "disabled buttons"
    )
    assert msg.embeds[0]["description"] == shown and not msg.deleted
    # the public copy of a shared page times out the same way
    again = await answer(lantern, "search", query="recovery journal")
    share = await lantern.standin.click(again, buttons(again)["Share"]["custom_id"])
    await share.wait_followup()
    public = lantern.standin.bot_messages("general")[-1]
    await lantern.standin.wait_for(
        lambda: all(b.get("disabled") for b in buttons(public).values()), 5, "disabled"
    )
    assert public.embeds[0]["description"] == again.embeds[0]["description"]


async def test_comments_are_searched_and_shown_under_their_article(lantern, world):
    """comments=True searches source comments and shows them under their article."""
    without = await answer(lantern, "search", query="gentleness")
    assert "found no articles" in without.content
    msg = await answer(lantern, "search", query="gentleness", comments=True)
    body = msg.embeds[0]["description"]
    assert "Relapse is not failure" in body
    assert "↳ comment by Jamie" in body and "**gentleness**" in body
    assert "matched in its comments" in body


async def test_crisis_query_carries_the_resources_line(lantern, world):
    """A query about a crisis carries the resources line; a plain one does not."""
    msg = await answer(lantern, "search", query="I RELAPSED last night")
    assert msg.flags & EPHEMERAL
    assert RESOURCES_LEAD in msg.content and "988" in msg.content
    empty = await answer(lantern, "search", query="Overdosing zzyzzyx")
    assert RESOURCES_LEAD in empty.content and "found no articles" in empty.content
    plain = await answer(lantern, "search", query="relapse")
    assert RESOURCES_LEAD not in plain.content


# -- /latest, /related, autocomplete --------------------------------------------------------


async def test_latest(lantern, world):
    """/latest lists this server's newest articles, per feed on request."""
    msg = await answer(lantern, "latest", count=2)
    body = msg.embeds[0]["description"]
    assert msg.flags & EPHEMERAL
    assert body.index("vending") < body.index("Meetings") and "Sponsor" not in body
    assert "posted here" in body
    default = await answer(lantern, "latest", feed=str(world["feed"].id))
    assert default.embeds[0]["description"].count("\n\n") == 4  # five articles
    other = await answer(lantern, "latest", feed=str(world["other"].id))
    assert "can't find that feed" in other.content


async def test_autocomplete_is_capped_newest_first_and_fast(lantern, world):
    """Article autocomplete gives at most 25 choices, newest first, within Discord's deadline."""
    t = time.perf_counter()
    choices = await lantern.standin.autocomplete("related", "article", "")
    elapsed = time.perf_counter() - t
    # Discord drops autocomplete answers after 3 s: a generous bound that catches a
    # query scanning the archive, not a measure of speed on a busy machine.
    assert len(choices) == 25 and elapsed < 3.0
    assert all(len(c["name"]) <= 100 and c["value"].isdigit() for c in choices)
    assert choices[0]["name"].startswith("Naloxone vending machines arrive")
    dates = [c["name"][-11:-1] for c in choices]
    assert dates == sorted(dates, reverse=True)
    nalox = await lantern.standin.autocomplete("discuss", "article", "nalox")
    assert [c["name"].split(" (")[0] for c in nalox] == [
        "Naloxone vending machines arrive",
        "Naloxone saves lives at the library",
    ]
    journal = await lantern.standin.autocomplete("related", "article", "recovery jour")
    assert len(journal) == 25 and journal[0]["name"].startswith("Recovery journal day 24")


async def test_related_shows_thread_comments_and_similar(lantern, world):
    """/related shows the discussion, source comments and similar articles."""
    arts = world["articles"]
    relapse = arts["relapse"]
    opened = await answer(lantern, "discuss", article=str(relapse.id))
    assert "Opened a thread" in opened.content
    msg = await answer(lantern, "related", article=str(relapse.id))
    embed = msg.embeds[0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["title"] == "Relapse is not failure"
    d = await lantern.core.store.discussion(lantern.standin.guild.id, relapse.id)
    assert d is not None and f"<#{d.thread_id}>" in fields["Discussion here"]
    assert "message" in fields["Discussion here"]
    assert "2 comments" in fields["Comments at the source"]
    assert "Jamie" in fields["Comments at the source"]
    assert "gentleness" in fields["Comments at the source"]
    # more like this: the naloxone articles find each other, never themselves
    nalox = await answer(lantern, "related", article=str(arts["nalox-vending"].id))
    related = {f["name"]: f["value"] for f in nalox.embeds[0]["fields"]}["Related articles"]
    assert "Naloxone saves lives" in related and "vending" not in related
    # a URL and free text find the article too
    by_url = await answer(lantern, "related", article="https://example.org/nalox-vending/")
    assert by_url.embeds[0]["title"] == "Naloxone vending machines arrive"
    by_text = await answer(lantern, "related", article="vending machines")
    assert by_text.embeds[0]["title"] == "Naloxone vending machines arrive"
    missing = await answer(lantern, "related", article="zzyzzyx quokka")
    assert "can't find that article" in missing.content


# -- /discuss -------------------------------------------------------------------------------


async def test_discuss_opens_then_links_and_refuses_without_permission(lantern, world):
    """/discuss opens a thread once, then links to it; refused without thread permission."""
    standin = lantern.standin
    arts = world["articles"]
    general = standin.channel("general")
    vending = arts["nalox-vending"]  # posted in #general: the thread goes on that post
    opened = await answer(lantern, "discuss", article=str(vending.id))
    assert "Opened a thread" in opened.content
    threads = standin.threads(general)
    assert len(threads) == 1
    post = next(m for m in standin.bot_messages("general") if "vending" in m.embeds[0]["title"])
    assert threads[0].id == post.id
    d = await lantern.core.store.discussion(standin.guild.id, vending.id)
    assert d is not None and d.thread_id == threads[0].id and d.channel_id == general.id
    again = await answer(lantern, "discuss", article=str(vending.id))
    assert f"<#{threads[0].id}>" in again.content and len(standin.threads(general)) == 1
    # never posted here: a new thread in this channel, with the article's link
    journal = arts["journal-3"]
    await answer(lantern, "discuss", article=str(journal.id))
    new = [t for t in standin.threads(general) if t.id != post.id]
    assert len(new) == 1
    intro = standin.messages(new[0])
    assert intro and "http://example.org/journal-3" in intro[0].content
    # a member who can't create threads is refused
    await standin.set_permissions("general", standin.member("member"), deny=P.CREATE_PUBLIC_THREADS)
    await bot_sees_overwrites(lantern, general)
    refused = await answer(lantern, "discuss", article=str(arts["sponsor"].id))
    assert "can't create threads" in refused.content
    assert len(standin.threads(general)) == 2
    assert await lantern.core.store.discussion(standin.guild.id, arts["sponsor"].id) is None
    # ... and so is a member who can, when the bot can't
    await standin.set_permissions("general", standin.member("member"), allow=0, deny=0)
    await standin.set_permissions("general", standin.role("Lantern"), deny=P.CREATE_PUBLIC_THREADS)
    await bot_sees_overwrites(lantern, general)
    mine = await answer(lantern, "discuss", article=str(arts["sponsor"].id))
    assert "I'm missing Create Public Threads" in mine.content
    assert len(standin.threads(general)) == 2


async def test_thread_updates_refresh_discussion_counts(lantern, world):
    """Messages in a discussion thread update its stored message count."""
    standin = lantern.standin
    vending = world["articles"]["nalox-vending"]
    await answer(lantern, "discuss", article=str(vending.id))
    thread = standin.threads("general")[0]
    for n in range(3):
        await standin.post_as("member", thread, f"reply {n}")
    await standin.update_thread(thread, name="renamed")

    async def count() -> int:
        d = await lantern.core.store.discussion(standin.guild.id, vending.id)
        return d.message_count if d else -1

    await eventually(lambda: _equal(count(), thread.message_count))
    assert await count() == thread.message_count == 3
    msg = await answer(lantern, "related", article=str(vending.id))
    assert "3 messages" in msg.embeds[0]["fields"][0]["value"]


# -- /resources ------------------------------------------------------------------------------


async def test_resources_default_edit_and_reset(lantern, world):
    """/resources shows the default list, a server's own text, and the default again after reset."""
    standin = lantern.standin
    shown = await answer(lantern, "resources")
    assert shown.flags & EPHEMERAL and "findahelpline.com" in shown.content
    assert "116 123" in shown.content and "emergency services" in shown.content
    opened = await run(lantern, "settings resources", as_="manager")
    assert opened.modal is not None
    text = "Our warmline: 555-0100 @everyone\nPeer support: #support"
    submitted = await standin.submit_modal(opened, {"resources_text": text})
    await submitted.wait_response()
    assert submitted.message is not None and not submitted.message.pings.anyone
    now = await answer(lantern, "resources", as_="member")
    assert "555-0100" in now.content and "findahelpline" not in now.content
    assert not now.pings.anyone
    # the second server keeps the default
    lobby = standin.channel("lobby", guild=standin.second_guild)
    other = await answer(lantern, "resources", where=lobby)
    assert "findahelpline.com" in other.content
    await answer(lantern, "settings resources", as_="manager", reset=True)
    back = await answer(lantern, "resources")
    assert back.content == DEFAULT_RESOURCES
    crisis = await answer(lantern, "search", query="suicide")
    assert "findahelpline.com" in crisis.content


# -- isolation, hostile input, privacy ---------------------------------------------------------


async def test_guild_isolation(lantern, world):
    """No command shows one server another server's articles or threads."""
    standin = lantern.standin
    lobby = standin.channel("lobby", guild=standin.second_guild)
    arts = world["articles"]
    a_ids = {str(a.id) for k, a in arts.items() if k != "secret-b"}
    b_search = await answer(lantern, "search", query="naloxone", where=lobby)
    body = b_search.embeds[0]["description"]
    assert "Secret second" in body and "vending" not in body and "library" not in body
    a_search = await answer(lantern, "search", query="naloxone")
    assert "Secret" not in a_search.embeds[0]["description"]
    latest = await answer(lantern, "latest", where=lobby, count=10)
    assert "Secret" in latest.embeds[0]["description"]
    assert "Recovery" not in latest.embeds[0]["description"]
    choices = await standin.autocomplete("related", "article", "", channel=lobby)
    assert choices and not {c["value"] for c in choices} & a_ids
    feeds = await standin.autocomplete("search", "feed", "", channel=lobby, options={"query": "x"})
    assert [c["value"] for c in feeds] == [str(world["other"].id)]
    vending = str(arts["nalox-vending"].id)
    await answer(lantern, "discuss", article=vending)  # a thread in guild A
    related = await answer(lantern, "related", article=vending, where=lobby)
    assert "can't find" in related.content or "Secret" in text_of(related)
    assert "vending" not in text_of(related).lower()
    discuss = await answer(lantern, "discuss", article=vending, where=lobby)
    assert "vending" not in text_of(discuss).lower()
    assert standin.threads(lobby) == [] or all(
        "vending" not in t.name.lower() for t in standin.threads(lobby)
    )
    url = await answer(
        lantern, "related", article="http://example.org/nalox-vending", where=lobby
    )
    assert "vending" not in text_of(url).lower()


async def test_fuzzed_queries_through_the_command_are_always_answered(lantern, world):
    """300 random /search queries are all answered, never with an error."""
    rng = random.Random(1234)
    bad = []
    found = 0
    for n in range(300):
        query = random_text(rng)[:300].strip() or "x"
        options: dict[str, Any] = {"query": query}
        if n % 7 == 0:
            options["after"] = random_text(rng)[:40].strip() or "x"
        if n % 5 == 0:
            options["comments"] = True
        record = await lantern.standin.invoke("search", options=options)
        await record.wait_response(timeout=5)
        msg = record.message
        assert msg is not None
        if "Something went wrong" in msg.content or record.rejected:
            bad.append(query)
        found += bool(msg.embeds)
    assert bad == []
    assert found > 20  # the fuzz reaches real result pages, not only refusals


async def test_fuzzed_article_values_and_autocomplete(lantern, world):
    """Random article values and autocomplete input are answered within Discord's limits."""
    rng = random.Random(77)
    for n in range(60):
        value = random_text(rng)[:300].strip() or "x"
        command = ("related", "discuss")[n % 2]
        record = await lantern.standin.invoke(command, options={"article": value})
        msg = await record.wait_message(timeout=5)
        assert "Something went wrong" not in msg.content and not record.rejected
        choices = await lantern.standin.autocomplete(command, "article", value[:100])
        assert len(choices) <= 25 and all(1 <= len(c["name"]) <= 100 for c in choices)
        feeds = await lantern.standin.autocomplete(
            "search", "feed", value[:100], options={"query": "x"}
        )
        assert len(feeds) <= 1


async def test_hostile_feed_text_is_contained(lantern, world):
    """Markdown, mentions and long text from a feed stay inert in every command's answer."""
    nasty_title = "@everyone **bold** [link](http://evil.example) <@123> ||spoiler|| " * 6
    items = [
        item(
            "hostile-" + "x" * 1500,
            nasty_title,
            BASE + timedelta(days=200),
            "naloxone " + "`code` *em* __u__ ~~s~~ > quote # head <#1> @here " * 40,
            "@everyone <@&1>",
        )
    ]
    url = lantern.feeds.serve("/hostile", rss(items, title="@everyone **Feed** " * 10))
    feed = (await lantern.core.engine.add(url)).feed
    await lantern.core.store.add_guild_feed(lantern.standin.guild.id, feed.id)
    msg = await answer(lantern, "search", query="naloxone", sort="newest")
    body = msg.embeds[0]["description"]
    assert len(body) <= 4096 and not msg.pings.anyone
    assert "@everyone" not in body.replace("@\u200beveryone", "")
    assert "[link](http://evil" not in body
    for command, options in (
        ("latest", {"count": 10}),
        ("related", {"article": "naloxone @everyone"}),
    ):
        reply = await answer(lantern, command, **options)
        assert not reply.pings.anyone and "Something went wrong" not in reply.content


async def test_logs_never_hold_queries_or_user_ids(lantern, world):
    """Lantern's logs hold neither search text nor member ids."""
    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Capture(level=logging.DEBUG)
    root = logging.getLogger()
    saved = (root.level, logging.getLogger("bot").level, logging.getLogger("cogs").level)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("bot").setLevel(logging.DEBUG)
    logging.getLogger("cogs").setLevel(logging.DEBUG)
    secret = "quillwort naloxone"
    try:
        msg = await answer(lantern, "search", query=secret, author="Alex", after="2023")
        await answer(lantern, "search", query="quillwort recovery journal", comments=True)
        big = await answer(lantern, "search", query="quillwort journal")
        nxt = await lantern.standin.click(big, buttons(big)["Next"]["custom_id"])
        await nxt.wait_response()
        share = await lantern.standin.click(big, buttons(big)["Share"]["custom_id"])
        await share.wait_followup()
        await answer(lantern, "search", query="quillwort relapsed", after="blorp")
        await answer(lantern, "related", article="quillwort vending")
        await lantern.standin.autocomplete("related", "article", "quillwort")
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        logging.getLogger("bot").setLevel(saved[1])
        logging.getLogger("cogs").setLevel(saved[2])
    assert msg.embeds
    assert any(r.name.startswith("cogs") for r in records)  # the capture works
    ids = {str(lantern.standin.user(k).id) for k in ("member", "mod", "manager", "owner")}
    for r in records:
        text = r.getMessage() + (r.exc_text or "") + repr(r.args)
        assert "quillwort" not in text.lower(), r.name
        assert not any(i in text for i in ids), r.name


async def test_discord_debug_logs_do_not_pair_queries_with_members(lantern, world):
    """discord.py logs raw gateway events and REST bodies at DEBUG: the cog's filter
    blanks INTERACTION_CREATE payloads and interaction callback bodies/tokens."""
    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Capture(level=logging.DEBUG)
    discord_log = logging.getLogger("discord")
    saved = discord_log.level
    discord_log.addHandler(handler)
    discord_log.setLevel(logging.DEBUG)
    try:
        big = await answer(lantern, "search", query="quillwort recovery journal")
        nxt = await lantern.standin.click(big, buttons(big)["Next"]["custom_id"])
        await nxt.wait_response()
        await lantern.standin.autocomplete("related", "article", "quillwort")
    finally:
        discord_log.removeHandler(handler)
        discord_log.setLevel(saved)
    member = str(lantern.standin.user("member").id)
    texts = [r.getMessage() for r in records]
    assert any("INTERACTION_CREATE" in t for t in texts)  # still logged, without payload
    assert any("<token>" in t for t in texts)
    tokens = [r.token for r in lantern.standin.interaction_log]
    for text in texts:
        assert "quillwort" not in text.lower()
        assert not (member in text and "INTERACTION_CREATE" in text)
        assert big.embeds[0]["description"][:40] not in text
        assert not any(token in text for token in tokens)


async def test_slow_search_is_deferred_then_followed_up(lantern, world, monkeypatch):
    """A slow search is deferred, then answered; paging still works."""
    monkeypatch.setattr(sys.modules["cogs.replies"], "FAST_ANSWER", 0.0)
    record = await run(lantern, "search", query="recovery journal")
    assert record.deferred
    msg = await record.wait_message()
    assert msg.flags & EPHEMERAL and "Page 1 of 5" in msg.embeds[0]["footer"]["text"]
    click = await lantern.standin.click(msg, buttons(msg)["Next"]["custom_id"])
    await click.wait_response()
    assert "Page 2 of 5" in msg.embeds[0]["footer"]["text"]
    bad = await run(lantern, "search", query="naloxone", before="whenever")
    assert "can't read the date" in (await bad.wait_message()).content


# -- link mentions (Message Content intent on) ---------------------------------------------------


@pytest.fixture
async def lantern_with_messages(
    discord_standin: StandIn, feed_server: FeedServer, tmp_path: Path
) -> AsyncIterator[Lantern]:
    settings = lantern_settings(discord_standin, tmp_path, message_content_intent=True)
    harness = Lantern(discord_standin, feed_server, settings)
    async with harness.running():
        yield harness


async def test_link_mentions_are_recorded_without_text(lantern_with_messages):
    """Links to articles in members' messages are recorded without their text."""
    lantern = lantern_with_messages
    world = await setup_world(lantern)
    standin = lantern.standin
    vending = world["articles"]["nalox-vending"]
    said = await standin.post_as(
        "member", "general", "private words here http://example.org/nalox-vending!"
    )
    store = lantern.core.store
    assert await eventually(lambda: store.link_mentions_for(standin.guild.id, vending.id))
    (mention,) = await store.link_mentions_for(standin.guild.id, vending.id)
    assert mention.message_id == said.id and mention.channel_id == said.channel_id
    msg = await answer(lantern, "related", article=str(vending.id))
    here = msg.embeds[0]["fields"][0]["value"]
    assert f"/{said.channel_id}/{said.id}" in here and "private words" not in here
    # MESSAGE_CREATE in a recorded discussion thread bumps its count
    await answer(lantern, "discuss", article=str(vending.id))
    thread = standin.threads("general")[0]
    await standin.post_as("mod", thread, "first reply")

    async def counted() -> bool:
        d = await store.discussion(standin.guild.id, vending.id)
        return d is not None and d.message_count >= 1

    assert await eventually(counted)
    other_guild = await store.link_mentions_for(standin.second_guild.id, vending.id)
    assert other_guild == []
    await standin.delete_message(said, by_bot=False)

    async def forgotten() -> bool:
        return not await store.link_mentions_for(standin.guild.id, vending.id)

    assert await eventually(forgotten)
