"""Dates members type for ``after``/``before`` (UTC): ``2024-05-01``,
``2024-05``, ``2024``, ``30d``, ``2w``, ``6m``, ``1y``, ``today``,
``yesterday``. Both bounds use the START of the period named: ``after:2024-05``
means on or after 2024-05-01, ``before:2024`` means before 2024-01-01,
``after:30d`` means the last 30 days."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

from bot.errors import InvalidSearchQueryError
from bot.search.language import clean

_ABS = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
_REL = re.compile(r"(\d{1,4})\s*(d|days?|w|wks?|weeks?|m|mos?|months?|y|yrs?|years?)(?:\s+ago)?")
_DATE_HELP = (
    "Use a date like 2024-05-01, a month like 2024-05, a year like 2024,"
    " or a time back from now like 30d, 2w, 6m, 1y, today or yesterday."
)


def _months_back(now: datetime, months: int) -> datetime:
    total = now.year * 12 + (now.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    if year < 1:
        raise ValueError("too far back")
    day = min(now.day, calendar.monthrange(year, month)[1])
    return now.replace(year=year, month=month, day=day)


def parse_date(text: str, now: datetime, *, end: bool = False) -> datetime:
    """A search bound (aware UTC). With end=False, the START of the period named;
    with end=True, its exclusive end (the start of the next period). Relative
    forms (30d, 6m ...) name an instant: `end` changes nothing for them.
    Raises InvalidSearchQueryError, with a message for the member."""
    raw = " ".join(clean(text).split()).casefold()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        if raw in ("today", "yesterday"):
            start = today if raw == "today" else today - timedelta(days=1)
            return start + timedelta(days=1) if end else start
        if m := _REL.fullmatch(raw):
            amount, unit = int(m[1]), m[2][0]
            if unit == "d":
                return now - timedelta(days=amount)
            if unit == "w":
                return now - timedelta(weeks=amount)
            return _months_back(now, amount * (12 if unit == "y" else 1))
        if m := _ABS.fullmatch(raw):
            year = int(m[1])
            month = int(m[2]) if m[2] else None
            day = int(m[3]) if m[3] else None
            if year < 1970:
                raise ValueError("before 1970")
            if month is None:
                start = datetime(year, 1, 1, tzinfo=UTC)
                return start.replace(year=year + 1) if end else start
            if day is None:
                start = datetime(year, month, 1, tzinfo=UTC)
                if not end:
                    return start
                return _months_back(start, -1)
            start = datetime(year, month, day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
    except (ValueError, OverflowError):
        pass
    shown = text.strip()[:40] or "(empty)"
    raise InvalidSearchQueryError(f"I can't read the date “{shown}”. {_DATE_HELP}")
