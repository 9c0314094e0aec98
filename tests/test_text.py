"""bot.text: HTML to plain text, WordPress boilerplate, truncation, folding."""

from __future__ import annotations

import time

import pytest

from bot.text import (
    MAX_HTML_INPUT,
    clean_inline,
    fold,
    html_to_text,
    plain_to_text,
    scrub,
    start_tags,
    strip_wordpress_boilerplate,
    truncate_words,
)


class TestHtmlToText:
    def test_paragraphs_and_line_breaks(self) -> None:
        html = "<p>First   para\ngraph.</p>\n<p>Second<br/>line two</p><div>Third</div>"
        assert html_to_text(html) == "First para graph.\n\nSecond\nline two\n\nThird"

    def test_entities_decoded_once(self) -> None:
        assert html_to_text("AT&amp;T &lt;b&gt; caf&#233; &#8212; &hellip;") == "AT&T <b> café — …"
        assert html_to_text("double &amp;amp; stays") == "double &amp; stays"

    def test_script_style_and_comments_dropped(self) -> None:
        html = "<style>p{color:red}</style><p>Keep<script>alert('x')</script> this</p><!-- gone -->"
        assert html_to_text(html) == "Keep this"

    def test_nbsp_and_entity_newlines_collapse(self) -> None:
        assert html_to_text("a&nbsp;&nbsp;b&#10;&#10;c") == "a b c"

    def test_headings_lists_blockquote(self) -> None:
        html = "<h2>Steps</h2><ul><li>Call</li><li>Wait</li></ul><blockquote>Quote</blockquote>"
        assert html_to_text(html) == "Steps\n\nCall\n\nWait\n\nQuote"

    def test_double_br_is_a_paragraph(self) -> None:
        assert html_to_text("one<br><br>two<br>three") == "one\n\ntwo\nthree"

    def test_malformed_markup(self) -> None:
        assert html_to_text("<div><p>Unclosed <b>bold & junk") == "Unclosed bold & junk"
        assert html_to_text("<<<>>>") == "<<<>>>"

    def test_empty_and_whitespace(self) -> None:
        assert html_to_text("") == ""
        assert html_to_text("  <p> </p> <br> ") == ""

    def test_mentions_survive_as_text(self) -> None:
        # Neutralizing mentions is the formatter's job; the parser keeps the words.
        assert html_to_text("&lt;@123&gt; @everyone") == "<@123> @everyone"

    def test_sentinel_characters_in_input_are_removed(self) -> None:
        assert html_to_text("a\ue000b\ue001c") == "abc"

    def test_controls_and_surrogates_removed(self) -> None:
        assert html_to_text("a\x00b\x07c\ud800d") == "abcd"
        assert scrub("x\x00\x1f\x7fy\ufffe") == "xy"

    def test_input_is_capped(self) -> None:
        big = "<p>" + "word " * (MAX_HTML_INPUT // 5 + 1000) + "beyondthecap"
        start = time.perf_counter()
        out = html_to_text(big)
        # ~2 s on a busy CI core; the bound only catches a hang or a quadratic blow-up
        assert time.perf_counter() - start < 60
        assert len(out) <= MAX_HTML_INPUT and "beyondthecap" not in out


class TestPlainToText:
    def test_keeps_paragraphs_and_strips_markup(self) -> None:
        text = "Line one\nline two\r\n\r\nNew <script>x</script>para & more"
        assert plain_to_text(text) == "Line one\nline two\n\nNew para & more"

    def test_empty(self) -> None:
        assert plain_to_text("") == ""


class TestCleanInline:
    def test_one_line(self) -> None:
        assert clean_inline("  a\n\nb\t c\u00a0d  ") == "a b c d"

    def test_empty(self) -> None:
        assert clean_inline(" \n ") == ""


class TestWordPressBoilerplate:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Kits at meetings […]", "Kits at meetings"),
            ("Kits at meetings [...]", "Kits at meetings"),
            ("Kits at meetings [&hellip;]", "Kits at meetings"),
            ("Kits at meetings &hellip;", "Kits at meetings"),
            ("Kits at meetings …", "Kits at meetings"),
            (
                "Kits.\n\nThe post Carrying naloxone appeared first on Steady Ground.",
                "Kits.",
            ),
            (
                "Kits […]\n\nThe post A: B appeared first on Site – Notes.",
                "Kits",
            ),
            ("Both tools help. Continue reading SMART and 12-step →", "Both tools help."),
            ("Both tools help. Continue reading →", "Both tools help."),
            ("Both tools help. Continue reading", "Both tools help."),
            ("Half the risk. Read more", "Half the risk."),
            ("Half the risk. Read More »", "Half the risk."),
            ("Half the risk. READ MORE...", "Half the risk."),
        ],
    )
    def test_trailers_removed(self, text: str, expected: str) -> None:
        assert strip_wordpress_boilerplate(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "I want to read more.",
            "Keep reading the literature; continue reading with a sponsor",
            "The post office was closed.",
            "It ended with an ellipsis…",
            "",
        ],
    )
    def test_ordinary_text_untouched(self, text: str) -> None:
        assert strip_wordpress_boilerplate(text) == text

    def test_only_at_the_end(self) -> None:
        text = "Read more about [...] harm reduction here."
        assert strip_wordpress_boilerplate(text) == text


class TestTruncateWords:
    def test_short_text_unchanged(self) -> None:
        assert truncate_words("one day at a time", 17) == "one day at a time"

    def test_cuts_at_word_boundary(self) -> None:
        assert truncate_words("one day at a time", 12) == "one day at…"
        assert len(truncate_words("one day at a time", 12)) <= 12

    def test_cut_exactly_before_space(self) -> None:
        assert truncate_words("one day at a time", 8) == "one day…"

    def test_long_word_is_hard_cut(self) -> None:
        assert truncate_words("supercalifragilistic", 10) == "supercali…"

    def test_trailing_punctuation_dropped(self) -> None:
        assert truncate_words("Sober, clean, free", 9) == "Sober…"

    def test_custom_ellipsis(self) -> None:
        assert truncate_words("one day at a time", 12, ellipsis="...") == "one day..."

    def test_tiny_limits(self) -> None:
        assert truncate_words("hello", 1) == "…"
        assert truncate_words("hello", 0) == ""
        assert truncate_words("hello", 2, ellipsis="...") == ".."

    def test_never_exceeds_limit(self) -> None:
        text = "Recovery is a process, not an event; it is lived one day at a time. " * 5
        for limit in range(len(text) + 2):
            assert len(truncate_words(text, limit)) <= limit


class TestFold:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Café", "cafe"),
            ("CAFÉ", "cafe"),
            ("Straße", "strasse"),
            ("Naïve Résumé", "naive resume"),
            ("ﬁx", "fix"),
            ("12-Step", "12-step"),
            ("plain ascii", "plain ascii"),
        ],
    )
    def test_fold(self, text: str, expected: str) -> None:
        assert fold(text) == expected

    def test_equivalence(self) -> None:
        assert fold("Montréal") == fold("MONTREAL") == fold("Montre\u0301al")


def test_boilerplate_is_stripped_from_the_end_of_long_text() -> None:
    body = "Recovery is a long road. " * 400  # ~10,000 characters
    text = f"{body}The post Day 30 appeared first on Sober Notes. [&hellip;]"
    assert strip_wordpress_boilerplate(text) == body.rstrip()
    middle = f"The post Day 1 appeared first on Sober Notes. {body}"
    assert strip_wordpress_boilerplate(middle) == middle.rstrip()


# Worst cases for every text pass, at the size caps. The bounds are generous
# (seconds where a linear pass takes well under one on a loaded machine): they
# only catch a super-linear pattern, which takes minutes to hours at these sizes.
HANG_BOUND = 60.0


@pytest.mark.parametrize(
    "unit",
    ["<br ", "<p ", "</div ", "<", "&", "&#", "<a x='", "<br\n", "<!--", "\ue000 \ue001"],
)
def test_html_to_text_is_linear_on_hostile_markup(unit: str) -> None:
    """html_to_text on MAX_HTML_INPUT characters of a repeated hostile fragment stays fast."""
    text = unit * (MAX_HTML_INPUT // len(unit))
    start = time.perf_counter()
    html_to_text(text)
    assert time.perf_counter() - start < HANG_BOUND


@pytest.mark.parametrize("unit", ["\n \n", "\n ", "<br ", "\r\n\t"])
def test_plain_to_text_is_linear_on_hostile_text(unit: str) -> None:
    """plain_to_text on MAX_HTML_INPUT characters of a hostile fragment stays fast."""
    start = time.perf_counter()
    plain_to_text(unit * (MAX_HTML_INPUT // len(unit)) + "x")
    assert time.perf_counter() - start < HANG_BOUND


@pytest.mark.parametrize(
    "unit",
    [
        "The post\nx\nappeared first on\n",
        "Continue\nreading\n",
        "Read\n" + "." * 50,
        "[\n",
        "\n…",
        "…..",
        "appeared first",
    ],
)
def test_boilerplate_is_linear_on_hostile_text(unit: str) -> None:
    """strip_wordpress_boilerplate on a space-free MAX_HTML_INPUT summary stays fast."""
    start = time.perf_counter()
    strip_wordpress_boilerplate(unit * (MAX_HTML_INPUT // len(unit)) + "x")
    assert time.perf_counter() - start < HANG_BOUND


def test_boilerplate_still_found_after_a_space_free_text() -> None:
    """A trailer after a long text without spaces is still removed."""
    text = "x" * 5000 + "\nThe post\nDay 1\nappeared first on\nSober Notes. […]"
    assert strip_wordpress_boilerplate(text) == "x" * 5000


class TestStartTags:
    def test_attributes_quotes_and_references(self) -> None:
        """Names lower-cased, first one wins, references decoded, bare legacy names kept."""
        markup = "<LINK Rel=alternate HREF='a?x=1&amp;copy=2&copy=3' type=t rel=no/>"
        assert list(start_tags(markup, ("link",))) == [
            ("link", {"rel": "alternate", "href": "a?x=1&copy=2&copy=3", "type": "t"})
        ]

    def test_comments_scripts_and_unclosed_tags_are_skipped(self) -> None:
        """Tags inside comments and script, and a tag left open at the end, are not reported."""
        markup = (
            "<!-- <img src=a> --><script>'<img src=b>'</script><img src=c>"
            "<style><img src=d></style><img src='e"
        )
        assert [a["src"] for _, a in start_tags(markup, ("img",))] == ["c"]

    def test_quoted_greater_than_does_not_end_a_tag(self) -> None:
        """A '>' inside a quoted value belongs to the value."""
        assert list(start_tags('<img alt="a>b" src=x>', ["img"])) == [
            ("img", {"alt": "a>b", "src": "x"})
        ]
