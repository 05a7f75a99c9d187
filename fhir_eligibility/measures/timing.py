"""Calendar arithmetic for criterion windows (clinical.md §0.1): inclusive, calendar months/years."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class TimeOffset:
    """A signed calendar offset from an anchor: negative = before. Units d, wk, mo, a, h, min."""

    value: float
    unit: str

    def text(self) -> str:
        return f"{self.value:g} {self.unit}"


DATE_MIN = dt.date(1, 1, 1)
DATE_MAX = dt.date(9999, 12, 31)


def shift(anchor: dt.date, off: TimeOffset) -> dt.date:
    """anchor + offset; months and years are calendar units (4 months before 2025-03-01 is 2024-11-01)."""
    return _shift(anchor, off.value, off.unit)


@lru_cache(maxsize=4096)
def _shift(anchor: dt.date, v: float, unit: str) -> dt.date:
    """Cached on plain values: hashing a ``TimeOffset`` runs its interpreted dataclass ``__hash__``."""
    if unit in ("mo", "month", "months", "mo_j", "mo_g"):
        return anchor + relativedelta(months=int(v)) + dt.timedelta(days=round((v - int(v)) * 30))
    if unit in ("a", "year", "years", "a_j", "a_g"):
        return anchor + relativedelta(years=int(v)) + dt.timedelta(days=round((v - int(v)) * 365))
    if unit in ("wk", "week", "weeks"):
        return anchor + dt.timedelta(days=round(v * 7))
    if unit in ("h", "min", "s"):
        per_day = {"h": 24, "min": 1440, "s": 86400}[unit]
        return anchor + dt.timedelta(days=int(v / per_day))
    return anchor + dt.timedelta(days=round(v))


# a month's length in ticks: lcm(28, 29, 30, 31), so the part of any month a period covers is a whole
# number of ticks and sums of such parts compare exactly (no float rounding at 10/31 + 21/31)
MONTH_TICKS = 377580


def calendar_unit(unit: str | None) -> bool:
    """Whether a duration in ``unit`` is measured on the calendar (months, years) rather than in days."""
    return unit in ("mo", "month", "months", "mo_j", "mo_g", "a", "year", "years", "a_j", "a_g")


def _canonical(unit: str | None) -> str:
    if unit in ("mo", "month", "months", "mo_j", "mo_g"):
        return "mo"
    if unit in ("a", "year", "years", "a_j", "a_g"):
        return "a"
    if unit in ("wk", "week", "weeks"):
        return "wk"
    if unit in ("h", "min", "s"):
        return unit
    return "d"


def ticks_per_unit(unit: str | None) -> float:
    """What one ``unit`` is in the measure :func:`period_length` gives for that unit (days for d, wk,
    h, min, s; month ticks for mo, a): a threshold times this compares with that measure exactly."""
    u = _canonical(unit)
    if u == "mo":
        return MONTH_TICKS
    if u == "a":
        return 12 * MONTH_TICKS
    if u == "wk":
        return 7
    if u == "h":
        return 1 / 24
    if u == "min":
        return 1 / 1440
    if u == "s":
        return 1 / 86400
    return 1


def period_length(first: dt.date, last: dt.date, unit: str | None) -> int:
    """The length of the days [first, last] (inclusive) in the measure of ``unit``: days, or, for
    months and years, calendar months in ticks: the whole months from ``first`` (N months are
    reached when last + 1 day is first + N months, relativedelta: 2026-01-31 + 1 month =
    2026-02-28), then the part of the next month the period covers, in days of that month."""
    if last < first:
        return 0
    if not calendar_unit(unit):
        return (last - first).days + 1
    stop = last + dt.timedelta(days=1)
    m = (stop.year - first.year) * 12 + stop.month - first.month
    while m > 0 and first + relativedelta(months=m) > stop:
        m -= 1
    a, b = first + relativedelta(months=m), first + relativedelta(months=m + 1)
    return m * MONTH_TICKS + (stop - a).days * (MONTH_TICKS // (b - a).days)


def full_years(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_range(birth_text: str, on: dt.date) -> tuple[int, int] | None:
    """Min and max possible age in full years for a full or partial birthDate (§0.12); None if unreadable or
    possibly after ``on``."""
    try:
        if len(birth_text) == 4:
            y = int(birth_text)
            lo, hi = dt.date(y, 12, 31), dt.date(y, 1, 1)
        elif len(birth_text) == 7:
            y, m = int(birth_text[:4]), int(birth_text[5:7])
            lo = (dt.date(y, m, 1) + relativedelta(months=1)) - dt.timedelta(days=1)
            hi = dt.date(y, m, 1)
        else:
            lo = hi = dt.date.fromisoformat(birth_text[:10])
    except ValueError:
        return None
    if hi > on:  # born after the as-of date: no age (a data or --as-of error, never a negative age)
        return None
    return max(0, full_years(lo, on)), full_years(hi, on)


def fmt(d: dt.date | None) -> str:
    if d is None or d in (DATE_MIN, DATE_MAX):
        return "open"
    return d.isoformat()
