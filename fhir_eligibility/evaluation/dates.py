"""FHIR dates read once: partial dates, the choice fields that carry them, ordering texts in UTC.

Why a module: every resource type dates itself through the same few shapes (``<name>DateTime``,
``<name>Instant``, ``<name>Period``; "2025", "2025-06", zoned timestamps), and a date that cannot be
read must become "undated" with a warning, never a guess.
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache

from fhir_eligibility.evaluation.validity import date_problem
from fhir_eligibility.record import Resource


@lru_cache(maxsize=4096)
def last_day(text: str) -> _dt.date | None:
    """The last day a partial date can mean (2026 -> 2026-12-31, 2026-02 -> 2026-02-28); None for
    a full date or none (:func:`parse_date` gives the first)."""
    first = parse_date(text) if len(text) in (4, 7) else None
    if first is None:
        return None
    if len(text) == 4:
        return first.replace(month=12, day=31)
    return (first.replace(day=28) + _dt.timedelta(days=4)).replace(day=1) - _dt.timedelta(days=1)


def parse_date(text: object) -> _dt.date | None:
    """Calendar date of a FHIR date/dateTime/instant; a partial date maps to its first day."""
    if not isinstance(text, str) or len(text) < 4:
        return None
    try:
        if len(text) == 4:
            return _dt.date(int(text), 1, 1)
        if len(text) == 7:
            return _dt.date(int(text[:4]), int(text[5:7]), 1)
        return _dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def checked(d: _dt.date | None, problems: list[str] | None) -> _dt.date | None:
    problem = date_problem(d)
    if problem is None:
        return d
    if problems is not None:
        problems.append(f"{problem}; treated as undated")
    return None


def readable_date(value: object, key: str, problems: list[str] | None) -> _dt.date | None:
    """:func:`parse_date`, saying so when the text is there but is not a date ("2026-5-25")."""
    d = parse_date(value)
    if d is None and value is not None and problems is not None:
        problems.append(f"{key} {str(value)[:30]!r} is not a FHIR date; treated as undated")
    return d


def _choices(name: str) -> tuple[str, str, str]:
    """``<name>DateTime``, ``<name>Instant``, ``<name>Period``."""
    return (f"{name}DateTime", f"{name}Instant", f"{name}Period")


# the choice fields ``_period`` reads, spelled once at import instead of per resource
CHOICE_FIELDS: dict[str, tuple[str, str, str]] = {
    n: _choices(n) for n in ("effective", "occurrence", "occurence", "onset", "performed")
}


def order_text(value: object) -> str:
    """A timestamp's text for ordering results of one day: with a time zone, as UTC (08:00-05:00 is
    after 08:30Z; their texts sort the other way); otherwise as written."""
    text = str(value or "")
    if len(text) == 20 and text[19] == "Z" and text[10] == "T":  # 2026-05-20T08:30:00Z: already UTC, to the second
        return text[:19] + "+00:00"  # what isoformat() writes for it, without parsing
    if len(text) == 25 and text.endswith("+00:00") and text[10] == "T":
        return text
    if len(text) > 16 and text[10:11] == "T":
        try:
            moment = _dt.datetime.fromisoformat(text)
        except ValueError:
            return text
        if moment.tzinfo is not None:
            try:
                return moment.astimezone(_dt.UTC).isoformat()
            except OverflowError:  # 9999-12-31T23:59:59-05:00, a placeholder: past the calendar in UTC
                return text
    return text


def period(
    res: Resource, *names: str, problems: list[str] | None = None
) -> tuple[_dt.date | None, _dt.date | None, str]:
    """First present of ``<name>DateTime`` / ``<name>Instant`` / ``<name>Period`` / ``<name>Timing``;
    sentinel dates are dropped."""
    for n in names:
        date_time, instant, period = CHOICE_FIELDS.get(n) or _choices(n)
        for key in (date_time, instant):
            if key in res:
                d = checked(readable_date(res[key], key, problems), problems)
                return d, None, order_text(res[key])
        if isinstance(res.get(period), dict):
            p = res[period]
            s, e = checked(parse_date(p.get("start")), problems), checked(parse_date(p.get("end")), problems)
            return s, e, order_text(p.get("end") or p.get("start"))
        if isinstance(res.get(f"{n}Timing"), dict):
            return _timing(res[f"{n}Timing"], f"{n}Timing", problems)
    return None, None, ""


def _timing(
    timing: dict[str, object], key: str, problems: list[str] | None
) -> tuple[_dt.date | None, _dt.date | None, str]:
    """A ``Timing``'s events (an Observation dated only by ``effectiveTiming.event``): its one day,
    or the first to the last of several; a result so dated is dated, not dropped as undated."""
    events = timing.get("event")
    texts = (
        sorted((str(t) for t in events if parse_date(t) is not None), key=order_text)
        if isinstance(events, list)
        else []
    )
    if not texts:
        if problems is not None:
            problems.append(f"{key} has no event date; treated as undated")
        return None, None, ""
    first, last = checked(parse_date(texts[0]), problems), checked(parse_date(texts[-1]), problems)
    if len(texts) == 1 or first == last:
        return first, None, order_text(texts[-1])
    return first, last, order_text(texts[-1])
