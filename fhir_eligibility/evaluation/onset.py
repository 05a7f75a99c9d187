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


def condition_onset(
    res: Resource, who: Who, problems: list[str] | None
) -> tuple[_dt.date | None, _dt.date | None, str]:
    """A Condition's onset: (its day or first possible day, its last possible day, its text). Only with
    no onset[x] at all is it the recordedDate (clinical.md §0.7); an onset given but not read has no
    date (the recordedDate only bounds it: an infarction of 2005 recorded this year is no recent one)."""
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
    if start is None and isinstance(text, str) and _DATE_TEXT.fullmatch(text.strip()):
        # an onset written as text that is a date ("2019", as some EHRs' free-text onset field): that
        # date, not the day it was recorded (an old infarction recorded this year is not a recent one)
        start, latest, instant = period({"onsetDateTime": text.strip()}, "onset", problems=problems)
    if start is not None:
        return start, latest, instant
    given = next((k for k in res if k.startswith("onset")), None)
    if given is not None:
        if problems is not None:
            problems.append(f"{given} not read as a date: the onset's date is unknown (not its recordedDate)")
        return None, None, ""
    return checked(parse_date(res.get("recordedDate")), problems), None, str(res.get("recordedDate") or "")
