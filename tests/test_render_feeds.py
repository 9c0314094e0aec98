"""cogs/feeds/render.py: /feed answers as text and plain specs, without Discord."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import FetchError, LanternError, NotAFeedError
from bot.models import ParsedArticle, ParsedFeed
from bot.posting.formatting import EmbedSpec, PostSpec
from cogs.feeds.render import (
    NO_FEEDS,
    describe_fetch_error,
    edited,
    list_entry,
    list_page,
    list_pages,
    newest_item,
    paginate,
    preview,
    resumed,
    subscribed,
    throwaway,
)
from tests.test_formatting import NOW, make_feed, make_subscription

SAMPLE = PostSpec(content="⚠️ CW: relapse", embeds=(EmbedSpec(title="Newest"),),
                  mention_role_id=None, thread_name=None)


@pytest.mark.parametrize(
    ("backlog", "newest", "expected"),
    [
        (0, 1, "new articles will be posted as they appear"),
        (1, 1, "posting the newest article now"),
        (3, 3, "posting the newest 3 now"),
    ],
)
def test_subscribed_says_what_is_posted_now(backlog: int, newest: int, expected: str) -> None:
    """The confirmation says how many of the newest articles go out right away."""
    spec = subscribed(200, "Daily", backlog, newest, SAMPLE)
    assert spec.content is not None
    assert spec.content.startswith(f"✅ Subscribed <#200> to **Daily** — {expected}.")
    assert spec.embeds == SAMPLE.embeds
    assert "⚠️ CW: relapse" in spec.content


def test_subscribed_to_a_short_or_empty_feed() -> None:
    """Fewer articles than the backlog asked for is said; an empty feed shows no sample."""
    short = subscribed(200, "Daily", 5, 2, SAMPLE).content or ""
    assert "posting the newest 2 now" in short and "only 2 article(s)" in short
    empty = subscribed(200, "Daily", 1, 0, None)
    assert empty.embeds == () and "The feed has no articles yet." in (empty.content or "")


def test_preview_with_and_without_articles() -> None:
    """A preview leads with the note and shows the sample; an empty feed says so."""
    shown = preview("Daily", "Found it\n", SAMPLE)
    assert shown.content == (
        "Found it\nPreview of the newest article in **Daily** (nothing was saved):"
        "\n⚠️ CW: relapse"
    )
    assert shown.embeds == SAMPLE.embeds
    assert preview("Daily", "", None).content == (
        "**Daily** is a feed, but it has no articles right now."
    )


def parsed_item(key: str, published: object) -> ParsedArticle:
    return ParsedArticle(
        key=key, link=None, title=key, summary="", content="", author=None,
        published=published, updated=None, image_url=None, categories=(),
        comments_url=None, comments_feed_url=None, comment_count=None, content_hash=key,
    )


def test_newest_item_and_throwaway_records() -> None:
    """The newest dated item is previewed, as records that look stored but have id 0."""
    items = (parsed_item("undated", None), parsed_item("new", NOW),
             parsed_item("old", NOW - timedelta(days=1)))
    parsed = ParsedFeed(title="Daily", site_url=None, icon_url=None, articles=items)
    item = newest_item(parsed)
    assert item is not None and item.key == "new"
    assert newest_item(ParsedFeed(None, None, None, ())) is None
    article, feed, sub = throwaway(parsed, item, "https://x.example/feed", 100, NOW)
    assert (article.id, feed.id, sub.id) == (0, 0, 0)
    assert feed.display_name == "Daily" and sub.guild_id == 100


def test_paginate_by_count_and_length() -> None:
    """Pages hold at most `size` entries and `chars` characters; none at all says so."""
    pages = paginate([f"entry {n}" for n in range(25)], size=10)
    assert len(pages) == 3 and pages[2].count("entry") == 5
    long = paginate(["x" * 100] * 5, chars=250)
    assert all(len(p) <= 250 for p in long) and len(long) == 3
    assert paginate([]) == [NO_FEEDS]


def test_list_entries_show_status_and_errors() -> None:
    """Each subscription shows its channel and status; a failing feed shows its error."""
    broken = make_feed(status="broken", last_error="HTTP 500 **bold**",
                       first_error_at=NOW, last_success_at=NOW)
    entry = list_entry(1, make_subscription(name="Daily"), broken)
    assert entry.startswith("**1. Daily** → <#200> · ⚠️ broken")
    assert "Last error: HTTP 500 \\*\\*bold\\*\\* (failing since <t:" in entry
    orphan = list_entry(2, make_subscription(paused=True, pause_reason="by Sam"), None)
    assert "⛔ gone" in orphan  # no feed record any more
    paused = list_entry(2, make_subscription(paused=True, pause_reason="by Sam"), make_feed())
    assert "⏸️ paused (by Sam)" in paused
    gone = list_entry(3, make_subscription(), make_feed(status="gone"))
    assert "next poll not polled (gone)" in gone


def test_list_page_embed() -> None:
    """A page of the list: the total in the title, the page in the footer."""
    subs = [make_subscription(id=n, name=f"Feed {n}") for n in range(12)]
    pages = list_pages(subs, {1: make_feed()})
    spec = list_page(pages, 1, len(subs))
    assert spec.title == "Feeds on this server (12)" and spec.footer == "Page 2/2"
    assert (spec.description or "").startswith("**11. Feed 10**")


def test_resumed_and_edited_texts() -> None:
    """Resume says what was queued; edit lists every setting, with role mention or nobody."""
    assert resumed("Daily", 200, 0).endswith("nothing new arrived while it was paused.")
    assert "the newest 4 that arrived" in resumed("Daily", 200, 4)
    text = edited("Daily", make_subscription(include=("aa", "*x*"), mention_role_id=9), ["n"])
    assert "• Only with: aa, \\*x\\*" in text and "• Mention: <@&9>" in text
    assert text.endswith("• Style: full\nn")
    assert "• Mention: nobody" in edited("Daily", make_subscription(), [])


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (FetchError("no scheme", "invalid_url"), "That URL won't work: no scheme."),
        (FetchError("private address", "blocked"), "I won't fetch that address: private address."),
        (FetchError("timed out"), "I couldn't fetch that feed: timed out."),
        (NotAFeedError("HTML page."), "That doesn't look like a feed: HTML page."),
        (LanternError(""), "I couldn't read that feed: LanternError."),
    ],
)
def test_describe_fetch_error(error: LanternError, expected: str) -> None:
    """Each fetch or parse failure reads as advice to the moderator."""
    assert describe_fetch_error(error) == expected
