"""Tests for bot.posting.formatting: escaping, URL checks, Discord limits on hostile input."""

from __future__ import annotations

import random
import re
import time
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import pytest

from bot.models import Article, Feed, Subscription
from bot.posting.formatting import (
    EmbedSpec,
    PostSpec,
    escape_markdown,
    format_backlog_note,
    format_post,
    neutralize_mentions,
    safe_text,
    safe_url,
    thread_name_for,
)

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
PUBLISHED = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def make_feed(**overrides: Any) -> Feed:
    values: dict[str, Any] = {
        "id": 1,
        "url": "https://recovery.example/feed/",
        "title": "Guinevere Gets Sober",
        "site_url": "https://recovery.example/",
        "icon_url": "https://recovery.example/icon.png",
        "etag": None,
        "last_modified": None,
        "body_hash": None,
        "status": "active",
        "error_count": 0,
        "last_error": None,
        "first_error_at": None,
        "last_success_at": None,
        "next_poll_at": NOW,
        "created_at": NOW,
    }
    values.update(overrides)
    return Feed(**values)


def make_article(**overrides: Any) -> Article:
    values: dict[str, Any] = {
        "id": 7,
        "feed_id": 1,
        "key": "post-7",
        "link": "https://recovery.example/2026/11/baclofen/",
        "title": "The Dutch Begin Studying Baclofen For Addiction",
        "summary": (
            "So here we are again, back at the baclofen question. My Dutch friend sends "
            "me a link to a news story about the University of Amsterdam starting a study "
            "of baclofen as a treatment for alcoholism and drug addiction. " * 3
        ),
        "content": "",
        "author": "Jennifer Matesa",
        "published_at": PUBLISHED,
        "updated_at": None,
        "has_date": True,
        "image_url": "https://recovery.example/baclofen.jpg",
        "categories": ("Science", "Treatment"),
        "comments_url": "https://recovery.example/2026/11/baclofen/#comments",
        "comments_feed_url": None,
        "comment_count": 12,
        "content_hash": "h",
        "first_seen_at": NOW,
        "revision": 1,
    }
    values.update(overrides)
    return Article(**values)


def make_subscription(**overrides: Any) -> Subscription:
    values: dict[str, Any] = {
        "id": 3,
        "guild_id": 100,
        "channel_id": 200,
        "feed_id": 1,
        "name": None,
        "backlog": 3,
        "paused": False,
        "pause_reason": None,
        "include": (),
        "exclude": (),
        "mention_role_id": None,
        "threads": False,
        "style": "full",
        "added_by": None,
        "created_at": NOW,
    }
    values.update(overrides)
    return Subscription(**values)


def post(
    article: Article | None = None,
    feed: Feed | None = None,
    subscription: Subscription | None = None,
    warnings: tuple[str, ...] = (),
) -> PostSpec:
    return format_post(
        article or make_article(),
        feed or make_feed(),
        subscription or make_subscription(),
        warnings,
        NOW,
    )


# --- invariants every PostSpec must satisfy ---------------------------------


def ulen(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_PING = re.compile(r"@(everyone|here)|<@[!&]?\d|<#\d|</\w", re.IGNORECASE)
_BAD_CHARS = re.compile("[\ud800-\udfff\x00-\x09\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def valid_url(url: str | None) -> bool:
    if url is None:
        return True
    parts = urlsplit(url)
    return (
        parts.scheme in {"http", "https"}
        and bool(parts.hostname)
        and len(url) <= 2048
        and url.isascii()
        and not re.search(r"[\s<>\"|\\^`{}]", url)
        and "@" not in parts.netloc
    )


def visible(text: str) -> bool:
    return any(unicodedata.category(c)[0] not in "ZCM" for c in text)


def texts_of(spec: PostSpec) -> list[str]:
    out = [spec.content or "", spec.thread_name or ""]
    for e in spec.embeds:
        out += [e.title or "", e.description or "", e.author_name or "", e.footer or ""]
        out += [f.name for f in e.fields] + [f.value for f in e.fields]
    return out


def embed_total(e: EmbedSpec) -> int:
    parts = [e.title, e.description, e.author_name, e.footer]
    parts += [f.name for f in e.fields] + [f.value for f in e.fields]
    return sum(ulen(p) for p in parts if p)


def check_limits(spec: PostSpec, role: int | None = None) -> None:
    """Every limit Discord enforces, plus: no pings but the configured role."""
    assert spec.mention_role_id == role
    content = spec.content
    if content is not None:
        assert 0 < ulen(content) <= 2000 and content.strip()
        if role is not None:
            assert content.startswith(f"<@&{role}>")
            content = content[len(f"<@&{role}>") :]
    assert spec.content is not None or spec.embeds
    for text in [content or "", *texts_of(spec)[1:]]:
        assert not _PING.search(text), text
        assert not _BAD_CHARS.search(text), repr(text)
        text.encode("utf-8")  # no lone surrogates
    assert len(spec.embeds) <= 10
    assert sum(embed_total(e) for e in spec.embeds) <= 6000
    for e in spec.embeds:
        assert e.title is None or (0 < ulen(e.title) <= 256 and visible(e.title))
        assert e.description is None or 0 < ulen(e.description) <= 4096
        assert e.author_name is None or 0 < ulen(e.author_name) <= 256
        assert e.footer is None or 0 < ulen(e.footer) <= 2048
        assert len(e.fields) <= 25
        for f in e.fields:
            assert 0 < ulen(f.name) <= 256 and visible(f.name)
            assert 0 < ulen(f.value) <= 1024 and visible(f.value)
        for url in (e.url, e.author_url, e.author_icon_url, e.image_url, e.thumbnail_url):
            assert valid_url(url), url
        assert e.timestamp is None or e.timestamp.tzinfo is not None
        assert e.color is None or 0 <= e.color <= 0xFFFFFF
    if spec.thread_name is not None:
        assert 1 <= ulen(spec.thread_name) <= 100 and spec.thread_name.strip()


def rendered(text: str) -> str:
    """What Discord shows for escaped text: backslash escapes and ZWSPs gone."""
    return re.sub(r"\\([^0-9A-Za-z\s])", r"\1", text).replace("\u200b", "")


# --- escaping --------------------------------------------------------------


def test_everyone_title_pings_nobody() -> None:
    """An @everyone title leaves no raw @everyone anywhere and no mention role."""
    article = make_article(title="@everyone @here free stuff <@123> <@&456> <#789> </x:1>")
    for style in ("full", "compact"):
        spec = post(article, subscription=make_subscription(style=style))
        assert spec.mention_role_id is None
        for text in texts_of(spec):
            assert "@everyone" not in text and "@here" not in text
            assert not re.search(r"<@[!&]?\d|<#\d|</x", text)
        check_limits(spec)


def test_neutralize_mentions() -> None:
    """Each mention form gets a zero-width space; other text is unchanged."""
    assert neutralize_mentions("@everyone") == "@\u200beveryone"
    assert neutralize_mentions("@HERE now") == "@\u200bHERE now"
    for raw in ("<@123>", "<@!123>", "<@&123>", "<#123>", "</cmd:123>", "<t:1:R>"):
        out = neutralize_mentions(raw)
        assert out == "<\u200b" + raw[1:]
    assert neutralize_mentions("a < b, mail me@example.org") == "a < b, mail me@example.org"
    assert neutralize_mentions(None) == ""


def test_markdown_in_titles_renders_literally() -> None:
    """Markdown in a title is escaped: what Discord shows is the title as written."""
    title = "**Bold** _it_ ~~x~~ `code` ||spoiler|| [link](https://evil.example) > # - 1. \\"
    spec = post(make_article(title=title))
    embed_title = spec.embeds[0].title
    assert embed_title is not None
    assert "**" not in embed_title.replace("\\*", "")
    assert "||" not in embed_title.replace("\\|", "")
    assert "](" not in embed_title
    assert rendered(embed_title) == title


@pytest.mark.parametrize(
    "text",
    [
        "# Heading",
        "## h2",
        "-# subtext",
        "> quote",
        ">>> quote",
        "- bullet",
        "* bullet",
        "+ bullet",
        "1. first",
        "[masked](https://x.example)",
        "<https://x.example>",
        "__under__",
        "a\\*b",
    ],
)
def test_escape_markdown_line_syntax(text: str) -> None:
    """Headings, lists, quotes and masked links lose their meaning but read the same."""
    escaped = escape_markdown(text)
    assert escaped != text
    assert rendered(escaped) == text
    assert not re.match(r"\s*(#|>|-|\*|\+|\d+\.)\s", escaped)


def test_bare_urls_stay_clickable() -> None:
    """A bare URL in feed text is not backslash-escaped, but can't close a spoiler."""
    out = safe_text("read https://x.example/a_b_c now")
    assert "https://x.example/a_b_c" in out
    out = safe_text("see https://x.example/||@everyone")
    assert "||" not in out and "@everyone" not in out


def test_safe_text_is_one_line() -> None:
    """safe_text collapses newlines and strips controls and bidi overrides."""
    assert safe_text("a\n\nb\r\nc\x00\u202e") == "a b c"


# --- URLs ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "javascript:alert(1)",
        "http://",
        "https://",
        "ftp://x",
        "ftp://example.com/file",
        "data:text/html,hi",
        "//example.com/x",
        "/relative/path",
        "http://exa mple.com/",
        "https://example.com/a b",
        "https://example.com/\n",
        "https://example.com/\u200b",
        "https://user:pw@example.com/",
        "https://bank.example@evil.example/",
        "http://example.com:99999/",
        "http://example.com:abc/",
        "http://[::1/",
        "http://-bad.example/",
        "http://bad..example/",
        "http://nodot/",
        "https://example.com/" + "a" * 2100,
        "https://" + "a" * 10_000 + ".com/",
    ],
)
def test_safe_url_rejects(url: str | None) -> None:
    """Anything but an absolute, well-formed http(s) URL is None."""
    assert safe_url(url) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1#c", "https://example.com/a?b=1#c"),
        ("HTTP://Example.COM", "http://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("http://127.0.0.1/x", "http://127.0.0.1/x"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://localhost/", "http://localhost/"),
        ("https://exämple.com/päth", "https://xn--exmple-cua.com/p%C3%A4th"),
        ('https://example.com/a|b<c>"d', "https://example.com/a%7Cb%3Cc%3E%22d"),
        ("https://example.com/100%25/%zz", "https://example.com/100%25/%25zz"),
    ],
)
def test_safe_url_accepts_and_normalizes(url: str, expected: str) -> None:
    """Valid URLs come back ASCII-only with unsafe characters percent-encoded."""
    assert safe_url(url) == expected


# --- full style ------------------------------------------------------------


def test_full_post() -> None:
    """The full embed: linked title, site author with icon, author, times, summary, image."""
    spec = post()
    check_limits(spec)
    assert spec.content is None
    assert spec.thread_name == "The Dutch Begin Studying Baclofen For Addiction"
    (embed,) = spec.embeds
    assert embed.title == "The Dutch Begin Studying Baclofen For Addiction"
    assert embed.url == "https://recovery.example/2026/11/baclofen/"
    assert embed.author_name == "Guinevere Gets Sober"
    assert embed.author_url == "https://recovery.example/"
    assert embed.author_icon_url == "https://recovery.example/icon.png"
    assert embed.image_url == "https://recovery.example/baclofen.jpg"
    assert embed.timestamp == PUBLISHED
    assert embed.footer == "Science · Treatment"
    desc = embed.description or ""
    unix = int(PUBLISHED.timestamp())
    assert desc.startswith(f"By Jennifer Matesa · <t:{unix}:f> (<t:{unix}:R>)")
    summary = desc.split("\n\n", 1)[1]
    assert 300 <= len(summary) <= 351 and summary.endswith("…")
    assert summary.startswith("So here we are again")
    assert "||" not in desc
    (field,) = embed.fields
    assert field.value == "[💬 12 comments](https://recovery.example/2026/11/baclofen/#comments)"


def test_summary_is_cut_at_a_word() -> None:
    """The summary is about 350 characters and ends at a word boundary."""
    words = " ".join(f"word{i}" for i in range(200))
    desc = post(make_article(summary=words, author=None, has_date=False)).embeds[0].description
    assert desc is not None
    assert desc.endswith("…")
    assert re.fullmatch(r"word\d+", desc[:-1].split(" ")[-1])
    assert len(desc) <= 351


def test_comments_field_variants() -> None:
    """Comment count without a page, a page without count, and neither."""
    no_page = post(make_article(comments_url=None, comment_count=1)).embeds[0].fields
    assert [f.value for f in no_page] == ["💬 1 comment"]
    no_count = post(make_article(comment_count=None)).embeds[0].fields
    assert no_count[0].value.startswith("[Join the discussion](https://")
    assert post(make_article(comments_url=None, comment_count=None)).embeds[0].fields == ()


def test_undated_and_implausible_dates_show_no_time() -> None:
    """No date, pre-1970 and far-future dates are not displayed."""
    for article in (
        make_article(has_date=False),
        make_article(published_at=datetime(1, 1, 1, tzinfo=UTC)),
        make_article(published_at=NOW + timedelta(days=30)),
    ):
        embed = post(article).embeds[0]
        assert embed.timestamp is None
        assert "<t:" not in (embed.description or "")


def test_naive_date_is_taken_as_utc() -> None:
    """A naive published_at does not crash and is treated as UTC."""
    embed = post(make_article(published_at=datetime(2026, 11, 30, 9, 30))).embeds[0]
    assert embed.timestamp == PUBLISHED


def test_mention_role_only_when_configured() -> None:
    """<@&ROLE> starts the content only when the subscription has a role."""
    assert post().mention_role_id is None
    assert post().content is None
    spec = post(subscription=make_subscription(mention_role_id=555))
    assert spec.mention_role_id == 555
    assert spec.content == "<@&555>"
    compact = post(subscription=make_subscription(mention_role_id=555, style="compact"))
    assert compact.content is not None and compact.content.startswith("<@&555>\n**")
    assert compact.mention_role_id == 555
    for bad in (0, -1, 2**64, True):
        assert post(subscription=make_subscription(mention_role_id=bad)).mention_role_id is None


def test_content_warning_spoilers_summary_and_hides_image() -> None:
    """With warnings: a CW line, the summary in ||…||, no inline image, a spoilered link."""
    spec = post(warnings=("suicid", "overdos", "my term"))
    check_limits(spec)
    assert spec.content == "⚠️ Content warning: suicide, overdose, my term"
    (embed,) = spec.embeds
    assert embed.image_url is None and embed.thumbnail_url is None
    blocks = (embed.description or "").split("\n\n")
    assert blocks[0].startswith("By Jennifer Matesa")
    assert blocks[1].startswith("||So here we are again") and blocks[1].endswith("…||")
    assert blocks[1].count("||") == 2
    assert blocks[2] == (
        "🖼️ Image hidden by the content warning: "
        "||[view image](https://recovery.example/baclofen.jpg)||"
    )
    # Labels are deduplicated; the role ping still comes first.
    spec = post(
        subscription=make_subscription(mention_role_id=9),
        warnings=("died", "dying", "death"),
    )
    assert spec.content == "<@&9>\n⚠️ Content warning: death"


def test_content_warning_summary_cannot_escape_its_spoiler() -> None:
    """Feed text with || or a URL containing || can't end the spoiler early."""
    article = make_article(summary="end|| now https://x.example/a||b visible")
    desc = post(article, warnings=("x",)).embeds[0].description or ""
    body = desc.split("\n\n")[1]
    assert body.startswith("||") and body.endswith("||")
    assert "||" not in body[2:-2].replace("\\|", "")


def test_compact_style() -> None:
    """Compact: no embed, one line with bold title, site and a preview-less link."""
    spec = post(subscription=make_subscription(style="compact"))
    check_limits(spec)
    assert spec.embeds == ()
    assert spec.content == (
        "**The Dutch Begin Studying Baclofen For Addiction** · Guinevere Gets Sober"
        " — <https://recovery.example/2026/11/baclofen/>"
    )
    no_link = post(
        make_article(link="javascript:alert(1)"),
        make_feed(title=None),
        make_subscription(style="compact"),
    )
    assert no_link.content == (
        "**The Dutch Begin Studying Baclofen For Addiction** · recovery.example"
    )
    cw = post(subscription=make_subscription(style="compact"), warnings=("relaps",))
    assert cw.content is not None
    assert cw.content.startswith("⚠️ Content warning: relapse\n**The Dutch")


def test_compact_link_cannot_break_its_brackets() -> None:
    """A URL with ( ) @ * in it stays one autolink inside <>."""
    article = make_article(link="https://x.example/a_(b)*@everyone")
    content = post(article, subscription=make_subscription(style="compact")).content or ""
    assert content.endswith("<https://x.example/a_%28b%29%2A%40everyone>")


def test_empty_and_blank_fields_get_fallbacks() -> None:
    """Blank titles, names and summaries never produce empty Discord fields."""
    article = make_article(
        title=" \u200b\u3164 ",
        summary="",
        content="",
        author="\u200b",
        categories=("", " "),
        link=None,
    )
    spec = post(article, make_feed(title="  ", site_url=None, url="not a url"))
    check_limits(spec)
    (embed,) = spec.embeds
    assert embed.title == "Untitled article"
    assert embed.author_name == "a feed"
    assert embed.footer is None
    assert spec.thread_name == "Untitled article"


def test_summary_falls_back_to_content_and_drops_wordpress_trailer() -> None:
    """No summary: the content is used; 'The post … appeared first on …' is dropped."""
    article = make_article(
        summary="", content="Short text. The post Short text appeared first on Some Blog."
    )
    desc = post(article).embeds[0].description or ""
    assert desc.endswith("Short text.")


# --- backlog note and thread names ----------------------------------------


def test_backlog_note() -> None:
    """'N more articles were published … while I was offline' with the site link."""
    spec = format_backlog_note(14, make_feed(), "https://recovery.example/archive")
    check_limits(spec)
    assert spec.content == (
        "📚 14 more articles were published on **Guinevere Gets Sober** while I was offline"
        " — <https://recovery.example/archive>"
    )
    assert spec.embeds == () and spec.mention_role_id is None and spec.thread_name is None
    one = format_backlog_note(1, make_feed(title="**@everyone**"), None)
    check_limits(one)
    assert one.content == (
        "📚 1 more article was published on **\\*\\*@\u200beveryone\\*\\*** while I was"
        " offline — <https://recovery.example/>"
    )
    bad = format_backlog_note(1000, make_feed(site_url="javascript:x"), "ftp://x")
    assert bad.content is not None and "<" not in bad.content and "1,000" in bad.content


def test_thread_name_length() -> None:
    """Thread names are one line, 1–100 characters, cut at a word."""
    long = "Recovery " * 40
    name = thread_name_for(make_article(title=long))
    assert 1 <= len(name) <= 100 and name.endswith("…")
    assert name[:-1].split(" ")[-1] == "Recovery"
    assert thread_name_for(make_article(title="a\nb\tc")) == "a b c"
    assert thread_name_for(make_article(title="", link="https://blog.example/x")) == (
        "blog.example"
    )
    emoji = thread_name_for(make_article(title="🧘" * 300))
    assert 1 <= ulen(emoji) <= 100
    assert thread_name_for(make_article(title="@everyone")) == "@\u200beveryone"


# --- hostile input ---------------------------------------------------------

_ALPHABET = (
    "abc XYZ 123 ,.;:!?'\"()[]{}<>@#&|*_~`-+=/\\\n\t\r"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2066\u2069\ufeff\u00ad\u3164"
    "\u0301\u0336\u0489\u05d0\u05e9\u0627\u0644\u064b"  # combining marks, Hebrew, Arabic
    "éßÆİıǅﬁ①"  # case folding oddities
    "😀🏳️‍🌈👩‍👩‍👧\U0001f9d8\U000e0067"  # emoji, ZWJ sequences, tags
    "\x00\x01\x1b\x7f\x85\u2028\u2029\ud800\udfff\uffff"  # controls, surrogates
)
_SNIPPETS = (
    "@everyone",
    "@here",
    "<@123456789012345678>",
    "<@!1>",
    "<@&2>",
    "<#3>",
    "</cmd:4>",
    "<t:5:R>",
    "||",
    "**",
    "```",
    "# ",
    "> ",
    "- ",
    "1. ",
    "[x](https://evil.example)",
    "https://ok.example/a_b||c",
    "http://",
    "javascript:alert(1)",
)
_URLS = (
    None,
    "",
    "javascript:alert(1)",
    "http://",
    "ftp://x",
    "https://example.com/ok",
    "https://example.com/" + "x" * 10_000,
    "https://example.com/" + "(" * 2000,
    "https://ex ample.com/",
    "http://[::1]/",
    "https://exämple.com/ü?q=||#@everyone",
    "https://a.example/" + "é" * 700,
    "mailto:a@b.example",
    "https://@",
    "https://a.example:0/",
)


def _hostile_text(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.12:
        return ""
    if roll < 0.17:  # huge
        return rng.choice(_ALPHABET + "x y z ") * rng.randint(3000, 30_000)
    parts = []
    for _ in range(rng.randint(1, 30)):
        if rng.random() < 0.3:
            parts.append(rng.choice(_SNIPPETS))
        else:
            parts.append("".join(rng.choices(_ALPHABET, k=rng.randint(1, 20))))
    return "".join(parts)


def _hostile_url(rng: random.Random) -> str | None:
    if rng.random() < 0.5:
        return rng.choice(_URLS)
    text = _hostile_text(rng)
    return ("https://example.com/" + text) if text and rng.random() < 0.5 else text


def _hostile_case(rng: random.Random) -> tuple[Article, Feed, Subscription, tuple[str, ...]]:
    text = _hostile_text
    article = make_article(
        title=text(rng),
        summary=text(rng),
        content=text(rng),
        author=text(rng),
        link=_hostile_url(rng),
        image_url=_hostile_url(rng),
        comments_url=_hostile_url(rng),
        comment_count=rng.choice([None, 0, 1, -5, 10**12]),
        categories=tuple(t or "" for t in (text(rng) for _ in range(rng.randint(0, 5)))),
        has_date=rng.random() < 0.7,
        published_at=rng.choice(
            [PUBLISHED, datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)]
        ),
    )
    feed = make_feed(
        title=text(rng), site_url=_hostile_url(rng), icon_url=_hostile_url(rng), url="x"
    )
    sub = make_subscription(
        style=rng.choice(["full", "compact", "", "weird"]),
        mention_role_id=rng.choice([None, 42, 2**63]),
    )
    warnings = tuple(t for t in (text(rng) for _ in range(rng.randint(0, 3))) if t)
    if rng.random() < 0.3:
        warnings += ("suicid", "relaps")
    return article, feed, sub, warnings


def test_hostile_inputs_respect_every_limit() -> None:
    """Thousands of generated hostile inputs: every limit holds, every URL is valid."""
    rng = random.Random(20261201)
    start = time.perf_counter()
    for _ in range(2500):
        article, feed, sub, warnings = _hostile_case(rng)
        spec = format_post(article, feed, sub, warnings, NOW)
        check_limits(spec, sub.mention_role_id)
        name = thread_name_for(article)
        assert 1 <= ulen(name) <= 100 and name.strip()
        note = format_backlog_note(rng.randint(-3, 10**6), feed, _hostile_url(rng))
        check_limits(note)
        for value in (article.title, article.link):
            assert valid_url(safe_url(value))
            text = safe_text(value)
            assert not _PING.search(text) and not _BAD_CHARS.search(text)
    # Generous: this catches a quadratic blow-up, not a slow machine.
    assert time.perf_counter() - start < 60, "formatting is too slow"


def test_none_everywhere() -> None:
    """None in every optional and even in typed-str fields does not crash."""
    none = cast(Any, None)
    article = make_article(
        title=none,
        summary=none,
        content=none,
        author=None,
        link=None,
        image_url=None,
        categories=none,
        comments_url=None,
        comment_count=None,
        published_at=none,
    )
    feed = make_feed(title=None, site_url=None, icon_url=None, url=none)
    for style in ("full", "compact"):
        spec = format_post(article, feed, make_subscription(style=style), (), NOW)
        check_limits(spec)
    assert thread_name_for(article) == "Untitled article"
    check_limits(format_backlog_note(none, feed, None))
    assert safe_url(None) is None and safe_text(None) == "" and escape_markdown(None) == ""


def test_huge_title_is_cut_to_limits() -> None:
    """A 100k-character title of markdown characters still fits every limit."""
    article = make_article(title="<@&1>*_" * 15_000, link="https://example.com/" + "(" * 2000)
    for style in ("full", "compact"):
        spec = post(article, subscription=make_subscription(style=style, mention_role_id=1))
        check_limits(spec, 1)
    assert replace(article, title="x").title == "x"
