"""The posting rules storage applies to the outbox: which pending deliveries are
sent now, and what a resumed subscription posts. Pure functions, shared by
every backend and tested without a database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import TypeVar


@dataclass(frozen=True, slots=True)
class Pending:
    """A pending delivery of a live (unpaused, guild still joined) subscription."""

    delivery_id: int
    channel_id: int
    published_at: datetime  # of its article
    article_id: int
    next_attempt_at: datetime


def due_now(pending: Iterable[Pending], now: datetime, limit: int) -> list[int]:
    """Delivery ids to send now, per channel in publication order (channels by id).

    A channel reads in publication order, so an older article waiting for a
    retry holds back the newer ones in its channel until it is sent or given up.
    """
    order = sorted(pending, key=lambda p: (p.channel_id, p.published_at, p.article_id))
    due: list[int] = []
    for _, in_channel in groupby(order, key=lambda p: p.channel_id):
        for p in in_channel:
            if p.next_attempt_at > now:
                break  # held back: everything newer in this channel waits
            due.append(p.delivery_id)
            if len(due) >= limit:
                return due
    return due


T = TypeVar("T")


def split_backlog(waiting_newest_first: Sequence[T], backlog: int) -> tuple[list[T], list[T]]:
    """What a resumed subscription posts (its `backlog` newest waiting articles)
    and what it skips as 'arrived while paused'."""
    keep = max(backlog, 0)
    return list(waiting_newest_first[:keep]), list(waiting_newest_first[keep:])


ARRIVED_WHILE_PAUSED = "arrived while paused"
