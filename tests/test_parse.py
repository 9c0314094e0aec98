"""bot.feeds.parse: feed bytes -> ParsedFeed / ParsedComment, discovery, ParserPool."""

from __future__ import annotations

import dataclasses
import os
import pickle
import random
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import FetchError, NotAFeedError
from bot.feeds.parse import (
    ParserCrashError,
    ParserPool,
    discover_feed_links,
    keep_newest,
    keep_newest_comments,
    parse_comments,
    parse_feed,
)
from bot.models import ParsedArticle, ParsedFeed
from bot.settings import Settings

FEEDS = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM = {"Content-Type": "application/atom+xml"}
WP_URL = "https://steadyground.example.org/feed/"


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def feed(name: str, url: str, headers: dict[str, str] | None = None) -> ParsedFeed:
    return parse_feed(fixture(name), RSS if headers is None else headers, url, NOW)


def by_key(parsed: ParsedFeed) -> dict[str, ParsedArticle]:
    return {a.key: a for a in parsed.articles}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


# --------------------------------------------------------------------------- WordPress


@pytest.fixture(scope="module")
def wordpress_rss() -> ParsedFeed:
    return feed("wordpress-rss2.xml", WP_URL)


class TestWordPressRss:
    @pytest.fixture
    def parsed(self, wordpress_rss: ParsedFeed) -> ParsedFeed:
        return wordpress_rss

    def test_feed_fields(self, parsed: ParsedFeed) -> None:
        assert parsed.title == "Steady Ground – Recovery Notes"
        assert parsed.site_url == "https://steadyground.example.org"
        assert parsed.icon_url == (
            "https://steadyground.example.org/wp-content/uploads/2026/01/cropped-lantern-32x32.png"
        )
        assert parsed.ttl_minutes == 90
        assert [a.key for a in parsed.articles] == [
            "https://steadyground.example.org/?p=101",
            "https://steadyground.example.org/?p=102",
            "https://steadyground.example.org/?p=99",
        ]

    def test_full_article(self, parsed: ParsedFeed) -> None:
        a = parsed.articles[0]
        assert a.link == "https://steadyground.example.org/2026/11/carrying-naloxone/"
        assert a.title == "Carrying naloxone: what every sponsor should know"
        # "[…]" and "The post … appeared first on …" are gone.
        assert a.summary == (
            "Naloxone reverses an opioid overdose in minutes, and you do not need to be a "
            "medic to use it. Here is what we learned from a year of handing out kits at meetings"
        )
        # content:encoded as plain text: paragraphs kept, <br> a line break,
        # <script> content dropped, boilerplate paragraph removed.
        assert a.content == (
            "Naloxone reverses an opioid overdose in minutes, and you do not need to be a "
            "medic to use it.\n\nWhere to get it\n\n"
            "Most pharmacies dispense it without a prescription.\n"
            "Ask for the nasal spray & keep it somewhere warm."
        )
        assert a.author == "Maya Okafor"
        assert a.published == utc(2026, 11, 30, 18, 15)
        assert a.published is not None and a.published.tzinfo is UTC
        assert a.updated is None
        # media:content beats the <img> in the content.
        assert a.image_url == "https://cdn.steadyground.example.org/naloxone-hero.jpg"
        # " harm reduction " duplicates "Harm Reduction" (stripped, case-insensitive).
        assert a.categories == ("Harm Reduction", "Naloxone")
        assert (
            a.comments_url == "https://steadyground.example.org/2026/11/carrying-naloxone/#comments"
        )
        assert a.comments_feed_url == (
            "https://steadyground.example.org/2026/11/carrying-naloxone/feed/"
        )
        assert a.comment_count == 3
        assert len(a.content_hash) == 64

    def test_continue_reading_and_thumbnail(self, parsed: ParsedFeed) -> None:
        a = parsed.articles[1]
        assert a.summary == (
            "Plenty of people go to a Tuesday SMART meeting and a Thursday AA meeting. "
            "The tools overlap more than the arguments online suggest."
        )
        assert a.image_url == "https://cdn.steadyground.example.org/smart-12-step-thumb.jpg"
        assert a.comments_feed_url == "https://steadyground.example.org/?feed=rss2&p=102"
        assert a.comment_count == 1
        assert a.categories == ("Mutual Aid", "SMART Recovery", "12-Step")

    def test_read_more_enclosure_and_timezone(self, parsed: ParsedFeed) -> None:
        a = parsed.articles[2]
        assert a.summary == (
            "A cohort study of 4,000 patients found that people who stayed on buprenorphine "
            "for a year had half the overdose risk."
        )
        assert a.content == ""
        assert a.image_url == "https://cdn.steadyground.example.org/bup-chart.png"
        assert a.published == utc(2026, 11, 27, 19, 30)  # -0500 -> UTC
        assert a.comment_count == 0
        assert a.comments_url is None
        assert a.comments_feed_url is None

    def test_stable_across_polls(self, parsed: ParsedFeed) -> None:
        again = feed("wordpress-rss2.xml", WP_URL)
        assert again == parsed

    def test_content_hash_ignores_comment_count(self) -> None:
        body = fixture("wordpress-rss2.xml")
        changed = body.replace(b"<slash:comments>3<", b"<slash:comments>9<")
        a = parse_feed(body, RSS, WP_URL, NOW).articles[0]
        b = parse_feed(changed, RSS, WP_URL, NOW).articles[0]
        assert b.comment_count == 9
        assert (a.key, a.content_hash) == (b.key, b.content_hash)

    def test_content_hash_tracks_reader_fields(self) -> None:
        body = fixture("wordpress-rss2.xml")
        edited = body.replace(b"keep it somewhere warm", b"keep it somewhere cool")
        a = parse_feed(body, RSS, WP_URL, NOW).articles[0]
        b = parse_feed(edited, RSS, WP_URL, NOW).articles[0]
        assert a.key == b.key
        assert a.content_hash != b.content_hash

    def test_headers_without_content_type_or_as_html(self, parsed: ParsedFeed) -> None:
        assert parse_feed(fixture("wordpress-rss2.xml"), {}, WP_URL, NOW) == parsed
        as_html = {"content-type": "text/html", "Content-Encoding": "gzip"}
        assert parse_feed(fixture("wordpress-rss2.xml"), as_html, WP_URL, NOW) == parsed

    def test_results_pickle(self, parsed: ParsedFeed) -> None:
        assert pickle.loads(pickle.dumps(parsed)) == parsed


class TestWordPressComments:
    def test_post_comment_feed(self) -> None:
        url = "https://steadyground.example.org/2026/11/carrying-naloxone/feed/"
        comments = parse_comments(fixture("wordpress-comments-101.xml"), RSS, url, NOW)
        base = "https://steadyground.example.org/2026/11/carrying-naloxone/"
        assert [(c.key, c.author, c.published, c.link) for c in comments] == [
            (
                "https://steadyground.example.org/?p=101#comment-5001",
                "Dana K.",
                utc(2026, 11, 30, 19, 2, 11),
                base + "#comment-5001",
            ),
            (
                "https://steadyground.example.org/?p=101#comment-5002",
                "Sam R.",  # no dc:creator: taken from "By: Sam R."
                utc(2026, 11, 30, 21, 40),
                base + "#comment-5002",
            ),
            (
                "https://steadyground.example.org/?p=101#comment-5003",
                "Maya Okafor",
                utc(2026, 12, 1, 8, 2),
                base + "#comment-5003",
            ),
        ]
        assert [c.text for c in comments] == [
            # content:encoded preferred over description
            "Our home group keeps two kits by the coffee urn.\n\n"
            "Nobody has needed one yet & I hope nobody does.",
            "Thank you. Four years clean and I still carry it for whoever needs it.",
            "In reply to Sam R..\n\nThat is exactly the spirit.",  # <script> dropped
        ]
        assert len({c.content_hash for c in comments}) == 3

    def test_plain_permalink_comment_feed(self) -> None:
        url = "https://steadyground.example.org/?feed=rss2&p=102"
        (c,) = parse_comments(fixture("wordpress-comments-102.xml"), RSS, url, NOW)
        assert c.author == "Lee"
        assert c.link == "https://steadyground.example.org/?p=102#comment-6001"
        assert c.text == (
            "CBT tools from SMART got me through my first 90 days; "
            "the fellowship got me through the next nine years."
        )

    def test_atom_reply_feed(self) -> None:
        url = "https://harmreduction.example.net/blog/2026/11/test-strips-law/feed/atom/"
        comments = parse_comments(fixture("atom-replies-comments.xml"), ATOM, url, NOW)
        base = "https://harmreduction.example.net/blog/2026/11/test-strips-law/"
        assert [(c.key, c.author, c.text, c.published) for c in comments] == [
            (
                base + "#comment-77",
                "Ruth",
                "Our county finally allows them. Took three years.",
                utc(2026, 11, 30, 15, 0),
            ),
            # The post title comes from the feed title, so a " by " in the
            # commenter's name survives.
            (base + "#comment-78", "Ben by the Bay", "Ours does not. Yet.", utc(2026, 11, 30, 16)),
        ]

    def test_comment_content_hash_stable(self) -> None:
        url = "https://steadyground.example.org/2026/11/carrying-naloxone/feed/"
        body = fixture("wordpress-comments-101.xml")
        assert parse_comments(body, RSS, url, NOW) == parse_comments(body, RSS, url, NOW)

    def test_html_page_is_not_a_comment_feed(self) -> None:
        with pytest.raises(NotAFeedError) as info:
            parse_comments(fixture("html-page.html"), {}, "https://steadyground.example.org/", NOW)
        assert "https://steadyground.example.org/feed/" in info.value.alternates


# --------------------------------------------------------------------------- Atom, RDF


@pytest.fixture(scope="module")
def atom_replies() -> ParsedFeed:
    return feed("atom-replies.xml", "https://harmreduction.example.net/feed/atom/", ATOM)


class TestAtom:
    @pytest.fixture
    def parsed(self, atom_replies: ParsedFeed) -> ParsedFeed:
        return atom_replies

    def test_feed_fields(self, parsed: ParsedFeed) -> None:
        assert parsed.title == "Harm Reduction Field Notes"
        assert parsed.site_url == "https://harmreduction.example.net/"
        assert parsed.icon_url == "https://harmreduction.example.net/favicon-64.png"
        assert parsed.ttl_minutes is None

    def test_replies_and_thread_counts(self, parsed: ParsedFeed) -> None:
        a, b = parsed.articles
        assert a.key == "tag:harmreduction.example.net,2026:post-7"
        # relative to xml:base
        assert a.link == "https://harmreduction.example.net/blog/2026/11/test-strips-law/"
        assert a.comments_feed_url == (
            "https://harmreduction.example.net/blog/2026/11/test-strips-law/feed/atom/"
        )
        assert a.comment_count == 4  # thr:total
        assert (
            b.comments_feed_url
            == "https://harmreduction.example.net/blog/2026/11/sharps/feed/atom/"
        )
        assert b.comment_count == 2  # thr:count on the replies link (no thr:total)

    def test_text_fields(self, parsed: ParsedFeed) -> None:
        a, b = parsed.articles
        assert a.title == "Fentanyl test strips & the law"
        assert a.summary == (
            "Test strips are legal in more states than last year. Here is where things stand."
        )
        assert a.content == (
            "Test strips are legal in more states than last year.\n\nHere is where things stand."
        )
        assert a.image_url == "https://harmreduction.example.net/img/strips.jpg"
        assert a.author == "Priya Natarajan"
        assert a.categories == ("Drug checking", "Policy")
        # no summary: derived from the xhtml content
        assert (
            b.summary
            == b.content
            == ("Safe disposal protects everyone, including the people who collect the rubbish.")
        )

    def test_dates(self, parsed: ParsedFeed) -> None:
        a, b = parsed.articles
        assert a.published == utc(2026, 11, 30, 18, 0)  # 10:00-08:00
        assert a.updated == utc(2026, 11, 30, 11, 30)
        # only <updated>: it stands in for the publication date
        assert b.published == b.updated == utc(2026, 11, 28, 8, 0)


class TestRdf:
    def test_rss1(self) -> None:
        parsed = feed(
            "rdf-rss1.rdf",
            "https://journal.example.edu/addiction/rss",
            {"content-type": "application/rdf+xml"},
        )
        assert parsed.title == "Journal of Recovery Science: latest articles"
        assert parsed.site_url == "https://journal.example.edu/addiction/"
        a, b = parsed.articles
        assert a.key == a.link == "https://journal.example.edu/addiction/article/2026-311"
        assert a.title == "Methadone take-home doses and treatment retention"
        assert a.summary == (
            "Extended take-home flexibility was associated with higher 6-month retention."
        )
        assert a.author == "Ito, H.; Brennan, S."
        assert a.published == utc(2026, 11, 20)  # dc:date
        assert a.categories == ("Opioid agonist treatment",)
        assert b.published == utc(2026, 11, 18)
        assert b.author is None


# --------------------------------------------------------------------------- identity


class TestKeys:
    def test_no_guids(self) -> None:
        parsed = feed("no-guids.xml", "https://sobersundays.example.com/feed")
        keys = [a.key for a in parsed.articles]
        assert keys[:2] == [
            "https://sobersundays.example.com/letters/52",
            "https://sobersundays.example.com/letters/51",
        ]
        assert keys[2].startswith("sha256:") and len(keys[2]) == 7 + 64
        assert parsed.articles[2].link is None
        again = feed("no-guids.xml", "https://sobersundays.example.com/feed")
        assert [a.key for a in again.articles] == keys

    def test_hash_key_changes_with_content(self) -> None:
        body = fixture("no-guids.xml")
        edited = body.replace(b"just a note.", b"just a short note.")
        url = "https://sobersundays.example.com/feed"
        a = parse_feed(body, RSS, url, NOW).articles[2]
        b = parse_feed(edited, RSS, url, NOW).articles[2]
        assert a.key != b.key

    def test_duplicate_guids_stay_distinct_and_stable(self) -> None:
        url = "https://meetings.example.org/feed"
        parsed = feed("duplicate-guids.xml", url)
        keys = [a.key for a in parsed.articles]
        assert keys[0] == "meeting-update"
        assert keys[1].startswith("meeting-update#") and len(keys[1]) == len("meeting-update#") + 16
        assert keys[2].startswith("meeting-update#") and keys[2] != keys[1]
        assert keys[3] == keys[2] + "-2"  # identical item: occurrence number
        assert keys[4] == "https://meetings.example.org/m/700"  # blank guid: the link
        assert len(set(keys)) == 5
        assert parsed.articles[4].title == ""
        assert [a.key for a in feed("duplicate-guids.xml", url).articles] == keys

    def test_duplicate_key_depends_on_item_not_position(self) -> None:
        # Dropping the first item leaves the others' keys intact, except the
        # new first holder of the bare guid.
        body = fixture("duplicate-guids.xml")
        start = body.index(b"<item>")
        end = body.index(b"</item>") + len(b"</item>")
        url = "https://meetings.example.org/feed"
        full = [a.key for a in parse_feed(body, RSS, url, NOW).articles]
        fewer = [a.key for a in parse_feed(body[:start] + body[end:], RSS, url, NOW).articles]
        assert fewer[1:] == full[2:]


# --------------------------------------------------------------------------- dates


class TestDates:
    def test_missing_bad_and_future_dates(self) -> None:
        a, b, c = feed("no-dates.xml", "https://readings.example.org/feed").articles
        assert (a.published, a.updated) == (None, None)
        assert (b.published, b.updated) == (None, None)
        assert c.published == NOW + timedelta(days=1)  # 2100 clamped

    def test_naive_now_is_utc(self) -> None:
        naive = NOW.replace(tzinfo=None)
        c = parse_feed(fixture("no-dates.xml"), RSS, "https://readings.example.org/f", naive)
        assert c.articles[2].published == NOW + timedelta(days=1)


# --------------------------------------------------------------------------- links


class TestLinks:
    URL = "https://peers.example.org/blog/feed/"

    def test_relative_links_resolved(self) -> None:
        parsed = feed("relative-links.xml", self.URL)
        assert parsed.site_url == "https://peers.example.org/"
        assert parsed.icon_url == "https://peers.example.org/blog/feed/images/icon.png"
        a, _, c = parsed.articles
        assert a.key == a.link == "https://peers.example.org/posts/starting-a-group"
        assert a.comments_url == "https://peers.example.org/posts/starting-a-group#comments"
        assert a.comments_feed_url == "https://peers.example.org/posts/starting-a-group/feed/"
        # the 1x1 tracking pixel is skipped for the real image
        assert a.image_url == "https://peers.example.org/blog/feed/media/circle-of-chairs.jpg"
        assert a.summary == "Chairs in a circle."
        assert c.link == "https://mirror.example.org/archive/2026/item.html"  # item xml:base

    def test_query_strings_are_not_entity_decoded(self) -> None:
        body = (
            b"<rss version='2.0'><channel><title>q</title><item><guid>q1</guid>"
            b"<link>https://q.example/p?a=1&amp;copy=2&amp;not=3</link><description>"
            b"&lt;img src='/i.jpg?w=1&amp;amp;reg=2'&gt;</description></item></channel></rss>"
        )
        a = parse_feed(body, RSS, "https://q.example/feed", NOW).articles[0]
        assert a.link == "https://q.example/p?a=1&copy=2&not=3"
        assert a.image_url == "https://q.example/i.jpg?w=1&reg=2"

    def test_unsafe_schemes_dropped(self) -> None:
        b = feed("relative-links.xml", self.URL).articles[1]
        assert b.link is None
        assert b.image_url is None
        assert b.key == "unsafe-1"


# --------------------------------------------------------------------------- titles, encodings


class TestTitles:
    def test_rss_titles(self) -> None:
        parsed = feed("html-titles.xml", "https://wire.example.org/feed")
        assert parsed.title == "Recovery & Wellness Wire"
        assert [a.title for a in parsed.articles] == [
            "AT&T funds naloxone vending machines",
            "Bold claims about kratom, examined",
            "Sober curious and thriving",
            "@everyone read this: relapse is not failure",
            "Café meetings in Montréal — 5 < 6",
        ]
        assert parsed.articles[3].summary == (
            "Hey @everyone and @here — relapse is part of many stories."
        )

    def test_atom_titles(self) -> None:
        parsed = feed("html-titles-atom.xml", "https://titles.example.org/feed", ATOM)
        assert parsed.title == "Recovery & Research"
        assert [a.title for a in parsed.articles] == [
            "AT&T expands recovery benefits",
            # type="text" is not sanitized by feedparser; we strip it anyway
            "Plain text title with inside",
        ]

    def test_title_length_capped(self) -> None:
        title = ("Recovery " * 300).encode()
        body = b"<rss version='2.0'><channel><title>t</title><item><title>" + title
        body += b"</title><guid>x</guid></item></channel></rss>"
        a = parse_feed(body, RSS, "https://x.example/feed", NOW).articles[0]
        assert len(a.title) <= 1000
        assert a.title.endswith("Recovery…")


class TestEncodings:
    URL = "https://cafe-sobriete.example.fr/feed"

    def test_declared_utf8_actually_cp1252(self) -> None:
        parsed = feed("encoding-declared-utf8-actually-cp1252.xml", self.URL)
        assert parsed.title == "Café Sobriété"
        (a,) = parsed.articles
        assert a.title == "“One day at a time” – a résumé of year one"
        assert a.summary == "Naïve hopes, real progress — €0 spent on wine."
        assert a.published == utc(2026, 11, 26, 7, 0)

    def test_no_declaration_latin1(self) -> None:
        parsed = feed("encoding-no-declaration-latin1.xml", self.URL, {"content-type": "text/xml"})
        assert parsed.title == "Café Sobriété"
        assert parsed.articles[0].title == '"One day at a time" - a résumé of year one'

    def test_no_declaration_utf8(self) -> None:
        parsed = feed("encoding-no-declaration-utf8.xml", self.URL, {})
        assert parsed.articles[0].title == "“One day at a time” – a résumé of year one"

    def test_header_charset_wins_over_nothing(self) -> None:
        headers = {"content-type": "application/xml; charset=iso-8859-1"}
        parsed = feed("encoding-no-declaration-latin1.xml", self.URL, headers)
        assert parsed.articles[0].summary == "Naïve hopes, real progress - EUR 0 spent on wine."


# --------------------------------------------------------------------------- not a feed


class TestNotAFeed:
    PAGE = "https://steadyground.example.org/"

    def test_html_page_lists_alternates(self) -> None:
        with pytest.raises(NotAFeedError) as info:
            parse_feed(fixture("html-page.html"), {"content-type": "text/html"}, self.PAGE, NOW)
        assert info.value.alternates == (
            "https://steadyground.example.org/feed/",
            "https://steadyground.example.org/comments/feed/",
            "https://steadyground.example.org/feed/atom/",
            "https://steadyground.example.org/feed/rdf/",
            "https://steadyground.example.org/feed/json/",
        )

    def test_html_page_without_alternates(self) -> None:
        page = b"<!doctype html><html><head><title>Hi</title></head><body><p>x</p></body></html>"
        with pytest.raises(NotAFeedError) as info:
            parse_feed(page, {"content-type": "text/html"}, self.PAGE, NOW)
        assert info.value.alternates == ()

    @pytest.mark.parametrize(
        "body",
        [b"", b"   \n\t ", b"\x00\x01\x02garbage\xff\xfe", b"hello world", b'{"json": true}'],
    )
    def test_empty_and_garbage(self, body: bytes) -> None:
        with pytest.raises(NotAFeedError):
            parse_feed(body, {}, self.PAGE, NOW)

    def test_truncated_without_entries(self) -> None:
        with pytest.raises(NotAFeedError) as info:
            parse_feed(fixture("truncated-no-entries.xml"), RSS, WP_URL, NOW)
        assert "truncated" in str(info.value)

    def test_truncated_with_entries_keeps_complete_ones(self) -> None:
        parsed = feed("truncated-after-items.xml", WP_URL)
        assert [a.key for a in parsed.articles] == ["https://steadyground.example.org/?p=101"]
        assert parsed.articles[0] == feed("wordpress-rss2.xml", WP_URL).articles[0]

    def test_empty_but_valid_feed(self) -> None:
        body = b"<?xml version='1.0'?><rss version='2.0'><channel><title>Quiet</title>"
        body += b"<link>https://quiet.example/</link></channel></rss>"
        parsed = parse_feed(body, RSS, "https://quiet.example/feed", NOW)
        assert parsed == ParsedFeed(
            title="Quiet", site_url="https://quiet.example/", icon_url=None, articles=()
        )

    def test_bozo_feed_with_entries_is_accepted(self) -> None:
        body = b"<rss version='2.0'><channel><title>Bozo &nbsp; feed</title><item>"
        body += b"<title>Still & here</title><link>https://b.example/1</link></item>"
        body += b"</channel></rss>"
        parsed = parse_feed(body, {}, "https://b.example/feed", NOW)
        assert [a.title for a in parsed.articles] == ["Still & here"]

    def test_bad_charrefs_do_not_crash(self) -> None:
        body = b"<rss version='2.0'><channel><title>x</title><item><title>a&#xD800;b&#0;c"
        body += b"</title><guid>g&#1114112;</guid></item></channel></rss"
        parsed = parse_feed(body, {}, "https://b.example/feed", NOW)
        assert parsed.articles[0].title == "a\ufffdb\ufffdc"

    def test_not_a_feed_error_pickles(self) -> None:
        err = NotAFeedError("page", alternates=("https://a.example/feed",))
        clone = pickle.loads(pickle.dumps(err))
        assert (str(clone), clone.alternates) == ("page", ("https://a.example/feed",))


class TestDiscovery:
    def test_discover_feed_links(self) -> None:
        links = discover_feed_links(
            fixture("html-page.html"), "https://steadyground.example.org/blog/"
        )
        assert links == (
            "https://steadyground.example.org/feed/",
            "https://steadyground.example.org/comments/feed/",
            "https://steadyground.example.org/blog/feed/atom/",
            "https://steadyground.example.org/feed/rdf/",
            "https://steadyground.example.org/feed/json/",
        )

    def test_base_href_and_charset(self) -> None:
        page = (
            '<html><head><meta charset="iso-8859-1"><base href="https://cdn.example/x/">'
            '<link rel=alternate type="application/atom+xml" href="caf\xe9.xml"></head></html>'
        ).encode("latin-1")
        assert discover_feed_links(page, "https://site.example/") == (
            "https://cdn.example/x/café.xml",
        )

    @pytest.mark.parametrize(
        "junk",
        [
            b"",
            b"<link",
            b"<<link rel=alternate>>",
            b"\xff\xfe<\x00l\x00",
            b"<link rel='alternate' type='application/rss+xml' href='http://[::1'>",
        ],
    )
    def test_junk(self, junk: bytes) -> None:
        assert discover_feed_links(junk, "https://site.example/") == ()


# --------------------------------------------------------------------------- fuzz


def _mutations(rng: random.Random, sources: list[bytes], count: int) -> list[bytes]:
    tokens = [
        b"<item>",
        b"</item>",
        b"<entry>",
        b"&amp;",
        b"<![CDATA[",
        b"]]>",
        b"&#xD800;",
        b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]>",
        b"&#0;",
        b"\x00",
        b"\xff\xfe",
        b"<title>",
    ]
    out: list[bytes] = []
    for i in range(count):
        if i % 3 == 0:
            out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200))))
            continue
        src = bytearray(rng.choice(sources))
        for _ in range(rng.randrange(1, 15)):
            pos = rng.randrange(len(src) + 1)
            op = rng.randrange(4)
            if op == 0:
                del src[pos : pos + rng.randrange(1, 60)]
            elif op == 1:
                src[pos:pos] = bytes(rng.choice(b"<>&;\"'/ \x00\xff\xe2\x80") for _ in range(5))
            elif op == 2:
                del src[pos:]
            else:
                src[pos:pos] = rng.choice(tokens)
        out.append(bytes(src))
    return out


def test_fuzz_only_not_a_feed_escapes() -> None:
    rng = random.Random(20261201)
    sources = [
        p.read_bytes() for p in sorted(FEEDS.iterdir()) if p.suffix in (".xml", ".rdf", ".html")
    ]
    results = {"ok": 0, "not a feed": 0}
    for body in _mutations(rng, sources, 400):
        for fn in (parse_feed, parse_comments):
            try:
                fn(body, {"content-type": "text/xml"}, "https://fuzz.example/feed", NOW)
            except NotAFeedError:
                results["not a feed"] += 1
            else:
                results["ok"] += 1
    assert results["ok"] > 50 and results["not a feed"] > 50


# --------------------------------------------------------------------------- pool


class TestParserPool:
    async def test_round_trip_and_errors(self) -> None:
        async with ParserPool(1) as pool:
            parsed = await pool.parse_feed(fixture("wordpress-rss2.xml"), RSS, WP_URL, NOW)
            assert parsed == feed("wordpress-rss2.xml", WP_URL)
            url = "https://steadyground.example.org/2026/11/carrying-naloxone/feed/"
            comments = await pool.parse_comments(
                fixture("wordpress-comments-101.xml"), RSS, url, NOW
            )
            assert [c.author for c in comments] == ["Dana K.", "Sam R.", "Maya Okafor"]
            with pytest.raises(NotAFeedError) as info:
                await pool.parse_feed(
                    fixture("html-page.html"), {}, "https://steadyground.example.org/", NOW
                )
            assert info.value.alternates[0] == "https://steadyground.example.org/feed/"
            assert len(info.value.alternates) == 5

    async def test_survives_killed_worker(self) -> None:
        async with ParserPool(1) as pool:
            # A worker that dies while parsing fails that one call...
            with pytest.raises(ParserCrashError) as info:
                await pool._submit(os._exit, 3)
            assert isinstance(info.value, FetchError) and info.value.kind == "parser"
            parsed = await pool.parse_feed(fixture("no-guids.xml"), RSS, "https://s.example/f", NOW)
            assert len(parsed.articles) == 3
            # ...and one killed while idle is replaced without failing anyone.
            pid = await pool._submit(os.getpid)
            os.kill(pid, signal.SIGKILL)
            for _ in range(3):
                parsed = await pool.parse_feed(
                    fixture("no-guids.xml"), RSS, "https://s.example/f", NOW
                )
                assert len(parsed.articles) == 3

    async def test_closed_pool_refuses_work(self) -> None:
        pool = ParserPool(1)
        async with pool:
            pass
        with pytest.raises(ParserCrashError):
            await pool.parse_feed(fixture("no-guids.xml"), RSS, "https://s.example/f", NOW)

    async def test_thread_mode(self) -> None:
        async with ParserPool(0) as pool:
            parsed = await pool.parse_feed(
                fixture("rdf-rss1.rdf"), {}, "https://j.example/rss", NOW
            )
            assert len(parsed.articles) == 2
            with pytest.raises(NotAFeedError):
                await pool.parse_feed(b"", {}, "https://j.example/rss", NOW)


# --------------------------------------------------------------------------- hostile input

# Generous bounds (a linear pass takes a fraction of this on a loaded machine):
# they only catch a super-linear pass, which takes minutes to hours at these sizes.
HANG_BOUND = 60.0


def _one_item_feed(description: bytes) -> bytes:
    return (
        b"<rss version='2.0'><channel><title>t</title><item><title>x</title><guid>1</guid>"
        b"<description><![CDATA[" + description + b"]]></description></item></channel></rss>"
    )


@pytest.mark.parametrize(
    "unit",
    [b"<img ", b"<img src='", b"<img/", b'<img x="a" ', b"<!--", b"<script", b"<img width=1 src=h"],
)
def test_image_search_is_linear_on_hostile_markup(unit: bytes) -> None:
    """The <img> search over a field at its 500,000-character cap stays fast."""
    body = _one_item_feed(unit * (500_000 // len(unit)))
    start = time.perf_counter()
    parsed = parse_feed(body, RSS, "https://h.example/feed", NOW)
    assert time.perf_counter() - start < HANG_BOUND
    assert parsed.articles[0].image_url is None


def test_feed_at_the_size_cap_of_unclosed_img_tags() -> None:
    """A FEED_MAX_BYTES feed of '<img ' parses in bounded time (it took minutes)."""
    body = _one_item_feed(b"<img " * (Settings.defaults().feed_max_bytes // 5 - 40))
    start = time.perf_counter()
    parse_feed(body, RSS, "https://h.example/feed", NOW)
    assert time.perf_counter() - start < 2 * HANG_BOUND


@pytest.mark.parametrize(
    "unit", [b"<a x='", b'<a x="', b"<link ", b"<base ", b"<link href='", b"<!--", b"<script", b"<"]
)
def test_discovery_is_linear_on_hostile_pages(unit: bytes) -> None:
    """Feed discovery over a page at its 2,000,000-byte cap stays fast."""
    start = time.perf_counter()
    assert discover_feed_links(unit * (2_000_000 // len(unit)), "https://h.example/") == ()
    assert time.perf_counter() - start < HANG_BOUND


def test_image_attributes_are_read_whole() -> None:
    """src in quotes or not, data-src ignored, pixels skipped, comments skipped, &amp; decoded."""
    html = (
        b"<!-- <img src='http://c.example/commented.png'> -->"
        b"<img data-src=http://c.example/lazy.png width='1' src=http://c.example/pixel.gif>"
        b"<img alt='a > b' data-src='x' src=\"/rel.png?a=1&amp;b=2\">"
    )
    parsed = parse_feed(_one_item_feed(html), RSS, "https://c.example/feed", NOW)
    assert parsed.articles[0].image_url == "https://c.example/rel.png?a=1&b=2"


def test_keep_newest_drops_the_oldest_and_keeps_feed_order() -> None:
    """keep_newest keeps the N newest by date, undated last, in the feed's order."""
    base = feed("no-guids.xml", "https://s.example/f").articles[0]
    dated = [
        dataclasses.replace(base, key=str(i), published=utc(2026, 1, 1 + i), updated=None)
        for i in range(5)
    ]
    undated = dataclasses.replace(base, key="u", published=None, updated=None)
    parsed = ParsedFeed("t", None, None, (dated[0], undated, dated[3], dated[1], dated[4]))
    kept, dropped = keep_newest(parsed, 3)
    assert [a.key for a in kept.articles] == ["3", "1", "4"] and dropped == 2
    assert keep_newest(parsed, 10) == (parsed, 0)


def test_keep_newest_comments() -> None:
    """A comment feed is capped to its newest comments, in feed order."""
    url = "https://steadyground.example.org/2026/11/carrying-naloxone/feed/"
    comments = parse_comments(fixture("wordpress-comments-101.xml"), RSS, url, NOW)
    newest = max(range(len(comments)), key=lambda i: comments[i].published or NOW)
    kept, dropped = keep_newest_comments(comments, 1)
    assert kept == (comments[newest],) and dropped == len(comments) - 1
