"""cogs/search/render.py and cogs/render.py: search, /latest and /related
answers as plain specs, without Discord."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.models import Comment
from bot.search import SearchPage, parse_query
from bot.storage.protocol import CommentHit, Discussion, LinkMention, SearchHit
from bot.storage.search_plan import SearchPlan, Term
from cogs.render import human_join, plain_label, title_link, words
from cogs.search.render import (
    ENTRY_LIMIT,
    Related,
    latest_embed,
    related_embed,
    results_embed,
    with_resources,
)
from tests.test_formatting import NOW, make_article, make_feed

GUILD = 100
FEED = make_feed()


def page(hits: list[SearchHit], *, page_no: int = 0, total: int | None = None,
         capped: bool = False, notes: tuple[str, ...] = ()) -> SearchPage:
    return SearchPage(
        hits=tuple(hits), page=page_no, per_page=5, has_more=False,
        total=len(hits) if total is None else total, total_capped=capped,
        query=parse_query("baclofen"), plan=SearchPlan((Term("baclofen"),)),
        description="baclofen", notes=notes,
    )


def hit(article_id: int, snippet: str = "the \x02baclofen\x03 question", **kw: object) -> SearchHit:
    article = make_article(id=article_id, title=f"Article {article_id}",
                           link=f"https://recovery.example/{article_id}/")
    return SearchHit(article=article, snippet=snippet, score=0.0, **kw)


def test_results_number_from_the_page_and_bold_the_matched_words() -> None:
    """Entries are numbered across pages; matched words are bold; the footer counts pages."""
    result = page([hit(1), hit(2)], page_no=1, total=12)
    spec = results_embed(result, {1: FEED}, {}, comments=False, shared=False)
    assert spec.title == "Search results"
    description = spec.description or ""
    assert description.startswith("12 results for baclofen")
    assert "6. **[Article 1](https://recovery.example/1/)**" in description
    assert "7. **[Article 2]" in description
    assert "> the **baclofen** question" in description
    assert spec.footer == "Page 2 of 3"


def test_results_link_where_lantern_posted_and_say_shared() -> None:
    """Only posted articles get a "posted here" link; a shared copy says where it came from."""
    link = "https://discord.com/channels/100/200/300"
    result = page([hit(1), hit(2)], total=101, capped=True)
    spec = results_embed(result, {1: FEED}, {2: link}, comments=True, shared=True)
    description = spec.description or ""
    assert description.count("[posted here]") == 1
    assert f"[posted here]({link})" in description.split("2. ")[1]
    assert description.startswith("101+ results for baclofen (articles and their comments)")
    assert spec.footer == "Page 1 of 21+ · shared from /search"


def test_results_with_huge_entries_stay_within_discord_limits() -> None:
    """Long snippets and many comments are trimmed to each entry's share of 4,096."""
    comment = Comment(id=1, article_id=1, key="c", author="A" * 100, published_at=None,
                      text="x", link=None)
    big = [
        hit(n, snippet="\x02word\x03 " * 200, via_comments=True,
            comments=tuple(CommentHit(comment, "\x02w\x03" * 200) for _ in range(5)))
        for n in range(1, 6)
    ]
    spec = results_embed(page(big, notes=("n" * 500,) * 5), {}, {}, comments=True, shared=False)
    description = spec.description or ""
    assert len(description) <= 4096
    entries = description.split("\n\n")[1:]
    assert len(entries) == 5 and all(len(e) <= ENTRY_LIMIT for e in entries)


def test_hostile_feed_text_pings_nobody() -> None:
    """A title or snippet spelling @everyone or a user mention renders harmless."""
    bad = replace(hit(1), article=make_article(id=1, title="@everyone <@123>"),
                  snippet="@here <@&5>")
    description = results_embed(page([bad]), {}, {}, comments=False, shared=False).description
    assert description is not None
    for mention in ("@everyone", "@here", "<@123>", "<@&5>"):
        assert mention not in description


def test_latest_lists_articles_with_feed_and_post_link() -> None:
    """/latest: numbered titles, the feed's name, and the post link where there is one."""
    articles = [make_article(id=1, title="One"), make_article(id=2, title="Two")]
    spec = latest_embed(articles, {1: FEED}, {1: "https://discord.com/channels/1/2/3"})
    description = spec.description or ""
    assert spec.title == "Latest articles"
    assert description.startswith("1. **[One]")
    assert "Guinevere Gets Sober" in description
    assert description.count("[posted here]") == 1


def related(**overrides: object) -> Related:
    values: dict[str, object] = {
        "guild_id": GUILD, "article": make_article(comment_count=2), "feeds": {1: FEED},
        "posted": {}, "similar": [], "discussions": {}, "comment_counts": {},
        "mentions": [], "comments": [],
    }
    values.update(overrides)
    return Related(**values)


def fields(spec: object) -> dict[str, str]:
    return {f.name: f.value for f in spec.fields}


def test_related_without_discussion_offers_discuss() -> None:
    """No thread yet: /related points at /discuss and says the article wasn't posted here."""
    spec = related_embed(related())
    assert "not posted in this server" in (spec.description or "")
    values = fields(spec)
    assert values["Discussion here"] == "No thread here yet: `/discuss` opens one."
    assert values["Related articles"] == "Nothing similar in this server's feeds yet."
    assert values["Comments at the source"].startswith("2 comments at the source")


def test_related_shows_the_thread_mentions_comments_and_similar() -> None:
    """The thread with its count, a member's link, the source comments, similar articles."""
    article = make_article(comment_count=0)
    thread = Discussion(GUILD, article.id, 200, 555, 1, NOW, NOW)
    mention = LinkMention(GUILD, article.id, 201, 999, NOW - timedelta(hours=1))
    comment = Comment(id=1, article_id=article.id, key="c", author="Sam",
                      published_at=None, text="word " * 100, link=None)
    other = hit(8)
    spec = related_embed(related(
        article=article, discussions={article.id: thread}, comment_counts={article.id: 4},
        mentions=[mention], comments=[comment], similar=[other],
    ))
    values = fields(spec)
    assert "Thread: <#555> — 1 message, last active <t:" in values["Discussion here"]
    assert "Linked in <#201>" in values["Discussion here"]
    assert "https://discord.com/channels/100/201/999" in values["Discussion here"]
    assert values["Comments at the source"].startswith("4 comments at the source")
    assert "— Sam" in values["Comments at the source"]
    assert values["Related articles"].startswith("1. **[Article 8]")
    assert all(len(v) <= 1024 for v in values.values())


def test_with_resources_leads_and_fits_a_message() -> None:
    """Crisis contacts come first; the whole answer fits Discord's 2,000 characters."""
    assert with_resources("no results", None) == "no results"
    text = with_resources("x" * 3000, "Call someone.")
    assert text.startswith("Call someone.\n\n") and len(text) == 2000


def test_shared_text_pieces() -> None:
    """human_join, words, plain_label and title_link behave at their edges."""
    assert human_join([]) == "" and human_join(["a"]) == "a"
    assert human_join(["a", "b", "c"]) == "a, b and c"
    assert words("one two three", 8) == "one two…"
    assert plain_label("a\x00b\nc" + "d" * 50, 10) == "a b cdddd…"
    paren = make_article(link="https://x.example/a_(b)")
    assert title_link(paren).endswith("(https://x.example/a_%28b%29)**")
    long_link = make_article(link="https://x.example/" + "a" * 700)
    assert "](" not in title_link(long_link)
