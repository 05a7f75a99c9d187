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
