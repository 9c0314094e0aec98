"""bot.posting.formatting on hostile text: every pattern stays linear."""

from __future__ import annotations

import time

import pytest

from bot.posting.formatting import escape_markdown

# Generous: a linear pass takes well under a second; the quadratic list-marker
# pattern took 17 s on 20,000 newlines and hours at this size.
HANG_BOUND = 60.0


@pytest.mark.parametrize("unit", ["\n", " \n", "\n\t", "http://.", "1.\n", "+\n "])
def test_escape_markdown_is_linear_on_hostile_text(unit: str) -> None:
    """escape_markdown on a million characters of a repeated fragment stays fast."""
    start = time.perf_counter()
    escape_markdown(unit * (1_000_000 // len(unit)))
    assert time.perf_counter() - start < HANG_BOUND


def test_list_markers_after_blank_lines_are_still_escaped() -> None:
    """A list marker after blank or indented lines is still escaped."""
    assert escape_markdown("a\n\n  1. b\n\n+ c") == "a\n\n  1\\. b\n\n\\+ c"
