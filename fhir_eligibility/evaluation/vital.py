"""Vital status and birth date: the Patient resource's own data errors and death (clinical.md §0.15).

A patient who died on or before the as-of date is not a candidate for any trial: each trial gets
one decisive, top-level result (:data:`VITAL_ID`) instead of its criteria, so every report, the
CDS cards and the screening funnel say why. A death dated after the as-of date (a retrospective
evaluation) changes nothing on that date; a death whose date cannot be read, or a partial date
that straddles the as-of date, is an unknown result added before the trial's own criteria, since
a data fault must never make anyone ineligible.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta

from fhir_eligibility.evaluation.results import CriterionResult, Evidence, Result
from fhir_eligibility.evaluation.validity import EARLIEST_YEAR, date_problem

VITAL_ID = "deceased"
VITAL_DESCRIPTION = "Patient deceased: not a candidate for any trial (clinical.md §0.15)"


def _date_range(text: str) -> tuple[dt.date, dt.date] | None:
    """Earliest and latest day a (possibly partial) FHIR date/dateTime can mean."""
    try:
        if len(text) == 4:
            y = int(text)
            return dt.date(y, 1, 1), dt.date(y, 12, 31)
        if len(text) == 7:
            first = dt.date(int(text[:4]), int(text[5:7]), 1)
            return first, first + relativedelta(months=1) - dt.timedelta(days=1)
        d = dt.date.fromisoformat(text[:10])
        return d, d
    except ValueError:
        return None


def patient_problems(patient: dict[str, Any]) -> list[str]:
    """Data errors on the Patient itself that do not depend on the as-of date (warnings)."""
    out = []
    birth = patient.get("birthDate")
    if isinstance(birth, str) and birth[:4].isdigit() and int(birth[:4]) < EARLIEST_YEAR:
        out.append(f"birthDate {birth} is before {EARLIEST_YEAR} (a data error): age unknown")
    elif "birthDate" in patient and not (isinstance(birth, str) and _date_range(birth)):
        # never the text itself: it may be a real birth date in another format, which --deidentify withholds
        out.append("birthDate unreadable (not a FHIR date): age unknown")
    died = patient.get("deceasedDateTime")
    if died is not None:
        span = _date_range(died) if isinstance(died, str) else None
        if span is None or date_problem(span[0]):
            out.append("deceasedDateTime unreadable or implausible: vital status unknown")
    if "deceasedBoolean" in patient and not isinstance(patient["deceasedBoolean"], bool):
        out.append(f"deceasedBoolean {str(patient['deceasedBoolean'])[:30]!r} is not a boolean: vital status unknown")
    return out


def vital_result(patient: dict[str, Any] | None, as_of: dt.date) -> CriterionResult | None:
    """The synthetic top-level result for a dead (FAIL) or possibly dead (UNKNOWN) patient; None if alive."""
    if patient is None:
        return None
    ref = f"Patient/{patient.get('id', '?')}"
    flag = patient.get("deceasedBoolean")
    died = patient.get("deceasedDateTime")
    if flag is True:
        ev = Evidence(ref, True, None, None, "Patient.deceasedBoolean")
        return _result(Result.FAIL, "patient recorded as deceased (deceasedBoolean true)", ev)
    if flag is not None and flag is not False:
        ev = Evidence(ref, str(flag)[:30], None, None, "Patient.deceasedBoolean")
        return _result(Result.UNKNOWN, "vital status unreadable (deceasedBoolean is not a boolean)", ev)
    if died is None:
        return None
    span = _date_range(died) if isinstance(died, str) else None
    if span is None or date_problem(span[0]):
        ev = Evidence(ref, "unreadable", None, None, "Patient.deceasedDateTime")  # not the text: a date, maybe
        return _result(Result.UNKNOWN, "recorded as deceased, date unreadable (not a FHIR date)", ev)
    first, last = span
    ev = Evidence(ref, died, None, first.isoformat(), "Patient.deceasedDateTime")
    when = first.isoformat() if first == last else died
    if last <= as_of:
        return _result(Result.FAIL, f"patient deceased on {when} (on or before {as_of.isoformat()})", ev)
    if first > as_of:
        return None  # alive on the as-of date
    return _result(Result.UNKNOWN, f"patient deceased in {died}: before or after {as_of.isoformat()} is unknown", ev)


def _result(result: Result, reason: str, ev: Evidence) -> CriterionResult:
    return CriterionResult(VITAL_ID, "exclusion", VITAL_DESCRIPTION, result, reason, (ev,))
