"""bot.feeds.urls: feed URLs shown without their credentials."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from bot.feeds.urls import has_credentials, redact_url
from bot.models import Feed


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pass@example.org/feed", "https://***@example.org/feed"),
        ("https://token@example.org:8443/f?x=1", "https://***@example.org:8443/f?x=1"),
        ("http://a:b@c@host/", "http://***@host/"),  # the last "@" ends the user part
        ("https://user:p%40ss@host", "https://***@host"),
        ("https://example.org/feed?by=me@example.org", "https://example.org/feed?by=me@example.org"),
        ("https://example.org/@user/feed", "https://example.org/@user/feed"),
        ("https://example.org#a@b", "https://example.org#a@b"),
        ("not a url", "not a url"),
        ("https://user:pass@[::1/broken", "https://***@[::1/broken"),
        ("", ""),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    """User information (and only it) is replaced, in valid and broken URLs alike."""
    assert redact_url(url) == shown
    assert has_credentials(url) == (url != shown)


def test_feed_display_name_never_shows_credentials() -> None:
    """An untitled feed is named by its URL without the password; a title wins."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    feed = Feed(
        1, "https://me:s3cret@private.example/feed", None, None, None, None, None, None,
        "active", 0, None, None, None, now, now,
    )  # fmt: skip
    assert feed.display_name == "https://***@private.example/feed"
    assert dataclasses.replace(feed, title="Private").display_name == "Private"
