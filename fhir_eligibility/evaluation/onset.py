"""A Condition's onset read as a day or a range of days (onset[x], else its recordedDate).

Why a module: an onset comes in six shapes (a dateTime, a period, an age, a range of ages, text, none)
and each must become either the days it may mean or "not known", never a guess.
"""

from __future__ import annotations

import datetime as _dt
import re

from fhir_eligibility.evaluation.dates import checked, last_day, parse_date, period
from fhir_eligibility.evaluation.observed import Who, onset_age, onset_range
from fhir_eligibility.record import Resource

_DATE_TEXT = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")  # FHIR's date: a year, a month or a day

# month names as free-text onsets write them (English, French, German, Dutch: the bundled trials' sites),
# each with its number; a tuple, not a dict: a read-only table
_MONTH_NAMES = (
    ("january", 1), ("jan", 1), ("janvier", 1), ("januar", 1), ("januari", 1),
    ("february", 2), ("feb", 2), ("février", 2), ("fevrier", 2), ("februar", 2), ("februari", 2),
    ("march", 3), ("mar", 3), ("mars", 3), ("märz", 3), ("maerz", 3), ("maart", 3),
    ("april", 4), ("apr", 4), ("avril", 4),
    ("may", 5), ("mai", 5), ("mei", 5),
    ("june", 6), ("jun", 6), ("juin", 6), ("juni", 6),
    ("july", 7), ("jul", 7), ("juillet", 7), ("juli", 7),
    ("august", 8), ("aug", 8), ("août", 8), ("aout", 8), ("augustus", 8),
    ("september", 9), ("sep", 9), ("sept", 9), ("septembre", 9),
    ("october", 10), ("oct", 10), ("octobre", 10), ("oktober", 10),
    ("november", 11), ("nov", 11), ("novembre", 11),
    ("december", 12), ("dec", 12), ("décembre", 12), ("decembre", 12), ("dezember", 12),
)  # fmt: skip
_MONTH = r"([^\W\d_]+)\.?"  # a month's name, an abbreviation perhaps with its full stop
_YEAR = r"(\d{4})"
_DAY = r"(\d{1,2})"
_SEP = r"\s*[/.-]\s*"
# (pattern, where its year, month and day are: 0 for none); a name stands for the month
_TEXT_DATES = (
    (re.compile(rf"{_MONTH},?\s+{_YEAR}"), (2, 1, 0)),  # March 2019, Sept. 2019
    (re.compile(rf"{_DAY}\.?\s+{_MONTH},?\s+{_YEAR}"), (3, 2, 1)),  # 15 March 2019, 15. März 2019
    (re.compile(rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}"), (3, 1, 2)),  # March 15, 2019
    (re.compile(rf"(\d{{1,2}}){_SEP}{_YEAR}"), (2, 1, 0)),  # 03/2019
    (re.compile(rf"{_YEAR}{_SEP}(\d{{1,2}})"), (1, 2, 0)),  # 2019/03
    (re.compile(rf"{_YEAR}{_SEP}(\d{{1,2}}){_SEP}{_DAY}"), (1, 2, 3)),  # 2019/03/15
)
# a day and a month in numbers (15/03/2019, 03/15/2019): read only when one order alone is a date
_NUMERIC_DAY = re.compile(rf"(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}{_YEAR}")


def _month(word: str) -> int | None:
    w = word.lower()
    return next((n for name, n in _MONTH_NAMES if name == w), None)


def _iso(year: int, month: int, day: int | None) -> str | None:
    """``YYYY-MM`` or ``YYYY-MM-DD`` when it is a day of the calendar, else None."""
    try:
        _dt.date(year, month, 1 if day is None else day)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}" + ("" if day is None else f"-{day:02d}")


def text_date(text: str) -> str | None:
    """An onsetString that is plainly one date, month or year, as FHIR writes it ("March 2019" ->
    "2019-03"); None for anything else ("childhood", "2005?", "Spring 2019"), and for a day and a
    month in numbers that may be read either way ("03/04/2019": 3 April or 4 March)."""
    s = " ".join(text.split())
    if _DATE_TEXT.fullmatch(s):
        return s
    for pattern, (y, m, d) in _TEXT_DATES:
        match = pattern.fullmatch(s)
        if match is None:
            continue
        word = match.group(m)
        month = int(word) if word.isdigit() else _month(word)
        if month is None:
            return None
        return _iso(int(match.group(y)), month, int(match.group(d)) if d else None)
    match = _NUMERIC_DAY.fullmatch(s)
    if match is None:
        return None
    a, b, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
    readings = {r for r in (_iso(year, b, a), _iso(year, a, b)) if r is not None}
    return readings.pop() if len(readings) == 1 else None


def condition_onset(
    res: Resource, who: Who, problems: list[str] | None
) -> tuple[_dt.date | None, _dt.date | None, str]:
    """A Condition's onset: (its day or first possible day, its last possible day, its text). Only with
    no onset[x] at all is it the recordedDate (clinical.md §0.7); an onset given but not read has no
    day (an infarction of 2005 recorded this year is no recent one), only its recordedDate's last day
    as its last possible day: it began on or before it was recorded (recorded in 2010, it is no recent one)."""
    start, latest, instant = period(res, "onset", problems=problems)  # an onset period: the onset is in it
    if start is None and latest is not None and who.birth_date is not None and latest >= who.birth_date:
        start = who.birth_date  # a period with only an end: some day from birth to that end
    if latest is not None and len(instant) in (4, 7):
        latest = checked(last_day(instant), problems)
    if start is None:
        start, latest = onset_age(res.get("onsetAge"), who.birth_date)
        if start is None:
            start, latest = onset_range(res.get("onsetRange"), who.birth_date)
        instant = start.isoformat() if start is not None else ""
    text = res.get("onsetString")
    written = text_date(text) if start is None and isinstance(text, str) else None
    if written is not None:
        # an onset written as text that is a date ("2019", "March 2019", as some EHRs' free-text onset
        # field): those days, not the day it was recorded (an old infarction recorded this year is not recent)
        start, latest, instant = period({"onsetDateTime": written}, "onset", problems=problems)
    if start is not None:
        return start, latest, instant
    given = next((k for k in res if k.startswith("onset")), None)
    if given is not None:
        # no day, but not after the day it was recorded (a last day only: forms.records reads it as a bound)
        bound = _recorded_last_day(res.get("recordedDate"), problems)
        if problems is not None:
            on = f", on or before its recordedDate {bound.isoformat()}" if bound else " (not its recordedDate)"
            problems.append(f"{given} not read as a date: the onset's date is unknown{on}")
        return None, bound, ""
    return checked(parse_date(res.get("recordedDate")), problems), None, str(res.get("recordedDate") or "")


def _recorded_last_day(recorded: object, problems: list[str] | None) -> _dt.date | None:
    """The last day a recordedDate can mean ("2010": 2010-12-31); None when there is none or it is unreadable."""
    if not isinstance(recorded, str):
        return None
    first = checked(parse_date(recorded), problems)
    return (last_day(recorded) or first) if first is not None and len(recorded) in (4, 7) else first
