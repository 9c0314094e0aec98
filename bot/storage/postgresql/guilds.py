"""Guild-side storage on PostgreSQL: subscriptions, guild settings, the delivery
outbox, discussion threads, link mentions and moderator notices. Each method
mirrors the SQLite backend (bot/storage/sqlite/guilds.py); where SQLite relied
on its single writer, a unique constraint or a row lock does the same here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from bot.errors import DuplicateSubscriptionError, NotFoundError
from bot.models import Delivery, DeliveryStatus, Feed, GuildSettings, PostStyle, Subscription
from bot.posting import rules as posting_rules
from bot.storage import records
from bot.storage.postgresql import rows
from bot.storage.protocol import KEEP, Discussion, Keep, LinkMention

_DELIVERY_SELECT = (
    "SELECT d.*, s.channel_id, s.guild_id FROM deliveries d"
    " JOIN subscriptions s ON s.id = d.subscription_id"
)


def _discussion(r: rows.Row) -> Discussion:
    return Discussion(
        guild_id=r["guild_id"],
        article_id=r["article_id"],
        channel_id=r["channel_id"],
        thread_id=r["thread_id"],
        message_count=r["message_count"],
        last_activity_at=records.dt(r["last_activity_at"]),
        created_at=records.req_dt(r["created_at"]),
    )


class GuildQueries(rows.Connections):
    # -- subscriptions -------------------------------------------------------------

    async def add_subscription(
        self,
        *,
        guild_id: int,
        channel_id: int,
        feed_id: int,
        now: datetime,
        name: str | None = None,
        backlog: int = 1,
        added_by: int | None = None,
    ) -> Subscription:
        """Subscribe a channel and queue the feed's `backlog` newest articles."""
        async with self._tx() as db:
            # The unique (channel, feed) constraint decides between two racing adds.
            row = await db.fetchrow(
                "INSERT INTO subscriptions (guild_id, channel_id, feed_id, name, backlog,"
                " added_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)"
                " ON CONFLICT (channel_id, feed_id) DO NOTHING RETURNING *",
                guild_id, channel_id, feed_id, name, backlog, added_by, records.ts(now),
            )
            if row is None:
                raise DuplicateSubscriptionError("That channel already receives this feed.")
            await db.execute(
                "INSERT INTO guild_feeds (guild_id, feed_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING",
                guild_id, feed_id,
            )
            await db.execute(
                "INSERT INTO guild_settings (guild_id) VALUES ($1)"
                " ON CONFLICT (guild_id) DO UPDATE SET removed_at = NULL",
                guild_id,
            )
            if backlog > 0:
                ts = records.ts(now)
                await db.execute(
                    "INSERT INTO deliveries (subscription_id, article_id, next_attempt_at,"
                    " created_at) SELECT $1, id, $2, $2 FROM articles WHERE feed_id = $3"
                    " ORDER BY published_at DESC, id DESC LIMIT $4 ON CONFLICT DO NOTHING",
                    row["id"], ts, feed_id, backlog,
                )
        return records.to_subscription(row)

    async def get_subscription(self, subscription_id: int) -> Subscription | None:
        row = await self._one("SELECT * FROM subscriptions WHERE id = $1", subscription_id)
        return None if row is None else records.to_subscription(row)

    async def guild_subscriptions(self, guild_id: int) -> list[Subscription]:
        found = await self._all(
            "SELECT * FROM subscriptions WHERE guild_id = $1 ORDER BY id", guild_id
        )
        return [records.to_subscription(r) for r in found]

    async def feed_subscriptions(self, feed_id: int) -> list[Subscription]:
        found = await self._all(
            "SELECT * FROM subscriptions WHERE feed_id = $1 ORDER BY id", feed_id
        )
        return [records.to_subscription(r) for r in found]

    async def channel_subscriptions(self, channel_id: int) -> list[Subscription]:
        found = await self._all(
            "SELECT * FROM subscriptions WHERE channel_id = $1 ORDER BY id", channel_id
        )
        return [records.to_subscription(r) for r in found]

    async def subscribed_guilds(self) -> set[int]:
        found = await self._all(
            "SELECT DISTINCT s.guild_id FROM subscriptions s"
            " LEFT JOIN guild_settings g USING (guild_id) WHERE g.removed_at IS NULL"
        )
        return {int(r[0]) for r in found}

    async def count_subscriptions(self, guild_id: int) -> int:
        return int(
            await self._val("SELECT count(*) FROM subscriptions WHERE guild_id = $1", guild_id)
        )

    async def update_subscription(
        self,
        subscription_id: int,
        *,
        channel_id: int | Keep = KEEP,
        name: str | Keep | None = KEEP,
        backlog: int | Keep = KEEP,
        include: Sequence[str] | Keep = KEEP,
        exclude: Sequence[str] | Keep = KEEP,
        mention_role_id: int | Keep | None = KEEP,
        threads: bool | Keep = KEEP,
        style: PostStyle | Keep = KEEP,
    ) -> Subscription:
        changes: dict[str, Any] = {}
        if not isinstance(channel_id, Keep):
            changes["channel_id"] = int(channel_id)
        if not isinstance(name, Keep):
            changes["name"] = name
        if not isinstance(backlog, Keep):
            changes["backlog"] = int(backlog)
        if not isinstance(include, Keep):
            changes["include_terms"] = json.dumps(list(include))
        if not isinstance(exclude, Keep):
            changes["exclude_terms"] = json.dumps(list(exclude))
        if not isinstance(mention_role_id, Keep):
            changes["mention_role_id"] = mention_role_id
        if not isinstance(threads, Keep):
            changes["threads"] = bool(threads)
        if not isinstance(style, Keep):
            changes["style"] = PostStyle(style).value
        async with self._tx() as db:
            if changes:
                sets = ", ".join(f"{column} = ${n}" for n, column in enumerate(changes, 2))
                await db.execute(
                    f"UPDATE subscriptions SET {sets} WHERE id = $1",
                    subscription_id, *changes.values(),
                )
            row = await db.fetchrow("SELECT * FROM subscriptions WHERE id = $1", subscription_id)
        if row is None:
            raise NotFoundError("That subscription no longer exists.")
        return records.to_subscription(row)

    async def remove_subscription(self, subscription_id: int) -> None:
        async with self._tx() as db:
            await db.execute("DELETE FROM subscriptions WHERE id = $1", subscription_id)

    async def pause_subscription(self, subscription_id: int, reason: str, now: datetime) -> bool:
        """Pause; False when it was already paused (so callers report it once)."""
        async with self._tx() as db:
            status = await db.execute(
                "UPDATE subscriptions SET paused = true, paused_at = $1, pause_reason = $2,"
                " paused_after = (SELECT coalesce(max(id), 0) FROM articles)"
                " WHERE id = $3 AND NOT paused",
                records.ts(now), reason, subscription_id,
            )
        # What was waiting stays in the outbox, for `resume` to decide.
        return rows.affected(status) > 0

    async def resume_subscription(self, subscription_id: int, now: datetime) -> int:
        """Resume, posting at most `backlog` of what arrived while paused (and of
        what was still waiting when it paused). Returns how many were queued."""
        async with self._tx() as db:
            row = await db.fetchrow(
                "UPDATE subscriptions SET paused = false, pause_reason = NULL"
                " WHERE id = $1 AND paused RETURNING feed_id, backlog, paused_after",
                subscription_id,
            )
            if row is None:
                return 0
            found = await db.fetch(
                "SELECT a.id FROM articles a LEFT JOIN deliveries d"
                "   ON d.article_id = a.id AND d.subscription_id = $1"
                " WHERE a.feed_id = $2 AND ((d.id IS NULL AND a.id > $3) OR d.status = 'pending')"
                " ORDER BY a.published_at DESC, a.id DESC",
                subscription_id, row["feed_id"], row["paused_after"] or 0,
            )
            waiting = [r[0] for r in found]
            keep, drop = posting_rules.split_backlog(waiting, row["backlog"])
            ts = records.ts(now)
            await db.executemany(
                "INSERT INTO deliveries (subscription_id, article_id, next_attempt_at, created_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (subscription_id, article_id) DO NOTHING",
                [(subscription_id, aid, ts, ts) for aid in keep],
            )
            await db.executemany(
                "UPDATE deliveries SET status = $1, last_error = $2"
                " WHERE subscription_id = $3 AND article_id = $4 AND status = 'pending'",
                [
                    (DeliveryStatus.SKIPPED.value, posting_rules.ARRIVED_WHILE_PAUSED,
                     subscription_id, aid)
                    for aid in drop
                ],
            )
            return len(keep)

    # -- guilds --------------------------------------------------------------------

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        row = await self._one("SELECT * FROM guild_settings WHERE guild_id = $1", guild_id)
        return GuildSettings(guild_id) if row is None else records.to_guild_settings(row)

    async def update_guild_settings(
        self,
        guild_id: int,
        *,
        moderator_role_id: int | Keep | None = KEEP,
        log_channel_id: int | Keep | None = KEEP,
        content_warnings: Sequence[str] | Keep | None = KEEP,
        resources: str | Keep | None = KEEP,
        subscription_quota: int | Keep | None = KEEP,
    ) -> GuildSettings:
        changes: dict[str, Any] = {}
        if not isinstance(moderator_role_id, Keep):
            changes["moderator_role_id"] = moderator_role_id
        if not isinstance(log_channel_id, Keep):
            changes["log_channel_id"] = log_channel_id
        if not isinstance(content_warnings, Keep):
            changes["content_warnings"] = (
                None if content_warnings is None else json.dumps(list(content_warnings))
            )
        if not isinstance(resources, Keep):
            changes["resources"] = resources
        if not isinstance(subscription_quota, Keep):
            changes["subscription_quota"] = (
                None if subscription_quota is None else int(subscription_quota)
            )
        cols = list(changes)
        marks = "".join(f", ${n}" for n in range(2, len(cols) + 2))
        sets = ", ".join(f"{c} = excluded.{c}" for c in cols) or "guild_id = excluded.guild_id"
        async with self._tx() as db:
            row = await db.fetchrow(
                f"INSERT INTO guild_settings (guild_id{''.join(', ' + c for c in cols)})"
                f" VALUES ($1{marks}) ON CONFLICT (guild_id) DO UPDATE SET {sets} RETURNING *",
                guild_id, *changes.values(),
            )
        assert row is not None
        return records.to_guild_settings(row)

    async def mark_guild_removed(self, guild_id: int, now: datetime | None) -> None:
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, removed_at) VALUES ($1, $2)"
                " ON CONFLICT (guild_id) DO UPDATE SET removed_at = excluded.removed_at",
                guild_id, records.ts(now),
            )

    async def purge_removed_guilds(self, removed_before: datetime) -> int:
        async with self._tx() as db:
            status = await db.execute(
                "DELETE FROM subscriptions WHERE guild_id IN (SELECT guild_id FROM guild_settings"
                " WHERE removed_at IS NOT NULL AND removed_at < $1)",
                records.ts(removed_before),
            )
        return rows.affected(status)

    async def guild_has_feed(self, guild_id: int, feed_id: int) -> bool:
        row = await self._one(
            "SELECT 1 FROM guild_feeds WHERE guild_id = $1 AND feed_id = $2", guild_id, feed_id
        )
        return row is not None

    async def guild_feed_list(self, guild_id: int) -> list[Feed]:
        # SQLite orders by COLLATE NOCASE: case-folded, then byte order ("C").
        found = await self._all(
            "SELECT f.* FROM guild_feeds g JOIN feeds f ON f.id = g.feed_id"
            ' WHERE g.guild_id = $1 ORDER BY lower(coalesce(f.title, f.url)) COLLATE "C", f.id',
            guild_id,
        )
        return [records.to_feed(r) for r in found]

    async def add_guild_feed(self, guild_id: int, feed_id: int) -> None:
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO guild_feeds (guild_id, feed_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING",
                guild_id, feed_id,
            )

    async def remember_notice(self, guild_id: int, key: str, now: datetime) -> bool:
        async with self._tx() as db:
            status = await db.execute(
                "INSERT INTO notices (guild_id, key, created_at) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING",
                guild_id, key, records.ts(now),
            )
        return rows.affected(status) > 0

    async def forget_notice(self, guild_id: int, key: str) -> bool:
        async with self._tx() as db:
            status = await db.execute(
                "DELETE FROM notices WHERE guild_id = $1 AND key = $2", guild_id, key
            )
        return rows.affected(status) > 0

    # -- the outbox ----------------------------------------------------------------

    async def due_deliveries(self, now: datetime, limit: int = 100) -> list[Delivery]:
        """Pending deliveries to send now, per channel in publication order; the
        hold-back rule is bot.posting.rules.due_now."""
        found = await self._all(
            "SELECT d.*, s.channel_id, s.guild_id, a.published_at AS article_published_at"
            " FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
            " JOIN articles a ON a.id = d.article_id"
            " LEFT JOIN guild_settings g ON g.guild_id = s.guild_id"
            " WHERE d.status = 'pending' AND NOT s.paused AND g.removed_at IS NULL"
            # only channels where something is due: the rest can't be sent anyway
            " AND s.channel_id IN (SELECT s3.channel_id FROM deliveries d3"
            "   JOIN subscriptions s3 ON s3.id = d3.subscription_id"
            "   WHERE d3.status = 'pending' AND d3.next_attempt_at <= $1)",
            records.ts(now),
        )
        by_id = {r["id"]: r for r in found}
        pending = [
            posting_rules.Pending(
                delivery_id=r["id"],
                channel_id=r["channel_id"],
                published_at=records.req_dt(r["article_published_at"]),
                article_id=r["article_id"],
                next_attempt_at=records.req_dt(r["next_attempt_at"]),
            )
            for r in found
        ]
        return [records.to_delivery(by_id[i]) for i in posting_rules.due_now(pending, now, limit)]

    async def next_delivery_time(self) -> datetime | None:
        value = await self._val(
            "SELECT min(d.next_attempt_at) FROM deliveries d"
            " JOIN subscriptions s ON s.id = d.subscription_id"
            " WHERE d.status = 'pending' AND NOT s.paused"
        )
        return None if value is None else records.req_dt(value)

    async def get_delivery(self, delivery_id: int) -> Delivery | None:
        row = await self._one(f"{_DELIVERY_SELECT} WHERE d.id = $1", delivery_id)
        return None if row is None else records.to_delivery(row)

    async def deliveries_for_article(self, article_id: int) -> list[Delivery]:
        found = await self._all(
            f"{_DELIVERY_SELECT} WHERE d.article_id = $1 ORDER BY d.id", article_id
        )
        return [records.to_delivery(r) for r in found]

    async def sent_in_guild(self, guild_id: int, article_ids: Sequence[int]) -> dict[int, Delivery]:
        """Where each article was posted in a guild (the first post)."""
        if not article_ids:
            return {}
        found = await self._all(
            f"{_DELIVERY_SELECT} WHERE s.guild_id = $1 AND d.status = 'sent'"
            " AND d.article_id = ANY($2::bigint[]) ORDER BY d.sent_at DESC, d.id DESC",
            guild_id, rows.ids(article_ids),
        )
        return {r["article_id"]: records.to_delivery(r) for r in found}

    async def mark_delivery_sent(
        self, delivery_id: int, *, message_id: int, thread_id: int | None, now: datetime
    ) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE deliveries SET status = 'sent', message_id = $1, thread_id = $2,"
                " sent_at = $3, last_error = NULL WHERE id = $4",
                message_id, thread_id, records.ts(now), delivery_id,
            )

    async def mark_delivery_retry(
        self,
        delivery_id: int,
        *,
        error: str,
        next_attempt_at: datetime,
        count_attempt: bool = True,
    ) -> int:
        async with self._tx() as db:
            attempts = await db.fetchval(
                "UPDATE deliveries SET attempts = attempts + $1, last_error = $2,"
                " next_attempt_at = $3 WHERE id = $4 RETURNING attempts",
                int(count_attempt), error, records.ts(next_attempt_at), delivery_id,
            )
        return 0 if attempts is None else int(attempts)

    async def mark_delivery_done(
        self, delivery_id: int, status: Literal["skipped", "failed"], reason: str | None
    ) -> None:
        if status not in (DeliveryStatus.SKIPPED, DeliveryStatus.FAILED):
            raise ValueError(f"a delivery ends as skipped or failed, not {status!r}")
        async with self._tx() as db:
            await db.execute(
                "UPDATE deliveries SET status = $1, last_error = $2 WHERE id = $3",
                str(DeliveryStatus(status).value), reason, delivery_id,
            )

    # -- discussions ---------------------------------------------------------------

    async def set_discussion(
        self, guild_id: int, article_id: int, channel_id: int, thread_id: int, now: datetime
    ) -> None:
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO discussions (guild_id, article_id, channel_id, thread_id,"
                " last_activity_at, created_at) VALUES ($1,$2,$3,$4,$5,$5)"
                " ON CONFLICT (guild_id, article_id) DO UPDATE SET channel_id ="
                " excluded.channel_id, thread_id = excluded.thread_id, message_count = 0,"
                " last_activity_at = excluded.last_activity_at",
                guild_id, article_id, channel_id, thread_id, records.ts(now),
            )

    async def discussion(self, guild_id: int, article_id: int) -> Discussion | None:
        row = await self._one(
            "SELECT * FROM discussions WHERE guild_id = $1 AND article_id = $2",
            guild_id, article_id,
        )
        return None if row is None else _discussion(row)

    async def discussions_for(
        self, guild_id: int, article_ids: Sequence[int]
    ) -> dict[int, Discussion]:
        if not article_ids:
            return {}
        found = await self._all(
            "SELECT * FROM discussions WHERE guild_id = $1 AND article_id = ANY($2::bigint[])",
            guild_id, rows.ids(article_ids),
        )
        return {r["article_id"]: _discussion(r) for r in found}

    async def discussion_activity(
        self,
        thread_id: int,
        *,
        message_count: int | None = None,
        new_messages: int = 0,
        last_activity_at: datetime | None = None,
    ) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE discussions SET message_count = coalesce($1::integer, message_count)"
                " + $2, last_activity_at = coalesce($3::bigint, last_activity_at)"
                " WHERE thread_id = $4",
                message_count, new_messages, records.ts(last_activity_at), thread_id,
            )

    async def discussion_message_count(self, thread_id: int) -> int | None:
        value = await self._val(
            "SELECT max(message_count) FROM discussions WHERE thread_id = $1", thread_id
        )
        return None if value is None else int(value)

    async def drop_discussion_thread(self, thread_id: int) -> None:
        async with self._tx() as db:
            await db.execute("DELETE FROM discussions WHERE thread_id = $1", thread_id)

    # -- link mentions ---------------------------------------------------------------

    async def record_link_mention(
        self, guild_id: int, article_id: int, channel_id: int, message_id: int, at: datetime
    ) -> None:
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO link_mentions (guild_id, article_id, channel_id, message_id,"
                " created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                guild_id, article_id, channel_id, message_id, records.ts(at),
            )

    async def forget_link_mentions(self, message_ids: Sequence[int]) -> None:
        if not message_ids:
            return
        async with self._tx() as db:
            await db.execute(
                "DELETE FROM link_mentions WHERE message_id = ANY($1::bigint[])",
                rows.ids(message_ids),
            )

    async def link_mentions_for(
        self, guild_id: int, article_id: int, limit: int = 5
    ) -> list[LinkMention]:
        found = await self._all(
            "SELECT * FROM link_mentions WHERE guild_id = $1 AND article_id = $2"
            " ORDER BY created_at DESC, message_id DESC LIMIT $3",
            guild_id, article_id, limit,
        )
        return [
            LinkMention(
                guild_id=int(r["guild_id"]),
                article_id=int(r["article_id"]),
                channel_id=int(r["channel_id"]),
                message_id=int(r["message_id"]),
                created_at=records.req_dt(r["created_at"]),
            )
            for r in found
        ]
