"""Stored rows -> domain records, for every SQL backend: both keep the same
column names, and times as integer Unix seconds (aware UTC datetimes outside
storage)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.feeds.rules import Rewrite
from bot.models import (
    Article,
    Comment,
    Delivery,
    DeliveryStatus,
    Feed,
    FeedStatus,
    GuildSettings,
    PostStyle,
    Subscription,
)


class Row(Protocol):
    """A fetched row, read by column name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: str, /) -> Any: ...


def ts(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def dt(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def req_dt(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def to_feed(r: Row) -> Feed:
    return Feed(
        id=r["id"],
        url=r["url"],
        title=r["title"],
        site_url=r["site_url"],
        icon_url=r["icon_url"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        body_hash=r["body_hash"],
        status=FeedStatus(r["status"]),
        error_count=r["error_count"],
        last_error=r["last_error"],
        first_error_at=dt(r["first_error_at"]),
        last_success_at=dt(r["last_success_at"]),
        next_poll_at=req_dt(r["next_poll_at"]),
        created_at=req_dt(r["created_at"]),
    )


def to_article(r: Row) -> Article:
    return Article(
        id=r["id"],
        feed_id=r["feed_id"],
        key=r["key"],
        link=r["link"],
        title=r["title"],
        summary=r["summary"],
        content=r["content"],
        author=r["author"],
        published_at=req_dt(r["published_at"]),
        updated_at=dt(r["updated_at"]),
        has_date=bool(r["has_date"]),
        image_url=r["image_url"],
        categories=tuple(json.loads(r["categories"])),
        comments_url=r["comments_url"],
        comments_feed_url=r["comments_feed_url"],
        comment_count=r["comment_count"],
        content_hash=r["content_hash"],
        first_seen_at=req_dt(r["first_seen_at"]),
        revision=r["revision"],
    )


def to_comment(r: Row) -> Comment:
    return Comment(
        id=r["id"],
        article_id=r["article_id"],
        key=r["key"],
        author=r["author"],
        published_at=dt(r["published_at"]),
        text=r["text"],
        link=r["link"],
    )


def to_subscription(r: Row) -> Subscription:
    return Subscription(
        id=r["id"],
        guild_id=r["guild_id"],
        channel_id=r["channel_id"],
        feed_id=r["feed_id"],
        name=r["name"],
        backlog=r["backlog"],
        paused=bool(r["paused"]),
        pause_reason=r["pause_reason"],
        include=tuple(json.loads(r["include_terms"])),
        exclude=tuple(json.loads(r["exclude_terms"])),
        mention_role_id=r["mention_role_id"],
        threads=bool(r["threads"]),
        style=PostStyle(r["style"]),
        added_by=r["added_by"],
        created_at=req_dt(r["created_at"]),
    )


def to_delivery(r: Row) -> Delivery:
    return Delivery(
        id=r["id"],
        subscription_id=r["subscription_id"],
        article_id=r["article_id"],
        channel_id=r["channel_id"],
        guild_id=r["guild_id"],
        status=DeliveryStatus(r["status"]),
        attempts=r["attempts"],
        next_attempt_at=req_dt(r["next_attempt_at"]),
        message_id=r["message_id"],
        thread_id=r["thread_id"],
        last_error=r["last_error"],
        created_at=req_dt(r["created_at"]),
        sent_at=dt(r["sent_at"]),
        note_skipped=r["note_skipped"],
    )


def to_guild_settings(r: Row) -> GuildSettings:
    warnings = r["content_warnings"]
    return GuildSettings(
        guild_id=r["guild_id"],
        moderator_role_id=r["moderator_role_id"],
        log_channel_id=r["log_channel_id"],
        content_warnings=None if warnings is None else tuple(json.loads(warnings)),
        resources=r["resources"],
        subscription_quota=r["subscription_quota"],
        removed_at=dt(r["removed_at"]),
    )


def rewrite_params(w: Rewrite) -> tuple[Any, ...]:
    """The UPDATE parameters for a stored article the feed rewrote (both backends
    list the columns in this order, the id last)."""
    a = w.article
    return (
        a.link,
        a.title,
        a.summary,
        a.content,
        a.author,
        ts(a.updated),
        a.image_url,
        json.dumps(list(a.categories)),
        a.comments_url,
        a.comments_feed_url,
        a.comment_count,
        a.content_hash,
        0 if w.real_update else 1,
        ts(a.published),
        w.stored_id,
    )
