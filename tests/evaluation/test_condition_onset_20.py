"""A Condition's onset written as text, or not read at all, worked out by hand (clinical.md §0.7, A-E10).

A-E10 (trial A, exclusion): MI, stroke, PE, unstable angina or revascularisation with onset in
[T0 - 12 months, T0] fails; heart failure in that window, or with onset before it (any status:
``characteristic[28].8``, a "before" window [.., T0 - 12 months]), is a review. T0 = 2026-06-01, so
the window is 2025-06-01..2026-06-01.

(a) An onsetString that is plainly a date or a month is that range of days: "March 2019", "03/2019",
"2019/03", "15 March 2019", "mars 2019" are all long before the window (pass); "06/2025" lies in it
(fail); "2025" straddles its start (unknown). A day and a month in numbers whose order is not known
("03/04/2019": 3 April or 4 March) is refused: unknown, as words are ("childhood").

(b) A recordedDate bounds an onset not read from above (the condition began on or before it was
recorded): recorded 2010, it began before the window, so an MI is not within it (pass) and heart
failure began before it (the "before" window holds it: review). Recorded inside the window, the onset
may be in it or before: unknown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.facts import facts_of
from fhir_eligibility.evaluation.observed import Who
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.record import PatientData
from tests.cases.builders import AS_OF, ICD, SCT, condition, patient
from tests.evaluation.test_real_semantics import A

Json = dict[str, Any]
BORN = "1963-09-14"
WHO = Who("male", dt.date(1963, 9, 14))
ATTESTED = Settings(assume_attested=True)
SETTINGS = [ATTESTED, replace(ATTESTED, explain=False)]  # the explained walk and the compiled program
IDS = ["explained", "compiled"]


def mi(**fields: Any) -> Json:
    return {**condition(ICD, "I21.9", rid="mi"), **fields}


def resolved_heart_failure(**fields: Any) -> Json:
    return {**condition(SCT, "84114007", clinical="resolved", rid="hf"), **fields}


def a_e10(res: Json, settings: Settings) -> Result:
    record = build_record(PatientData("p", [patient(birth=BORN, gender="male"), res]))
    r = evaluate_trial(A, record, AS_OF, settings)
    return next(c.result for c in r.criteria if c.id == "A-E10")


def onset_days(text: str) -> tuple[str | None, str | None]:
    (fact,) = facts_of(mi(onsetString=text), who=WHO)
    return (fact.start.isoformat() if fact.start else None, fact.last.isoformat() if fact.last else None)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("2005", ("2005-01-01", "2005-12-31")),
        ("2019-03", ("2019-03-01", "2019-03-31")),
        ("March 2019", ("2019-03-01", "2019-03-31")),
        ("mar. 2019", ("2019-03-01", "2019-03-31")),
        ("Sept 2019", ("2019-09-01", "2019-09-30")),
        ("mars 2019", ("2019-03-01", "2019-03-31")),
        ("März 2019", ("2019-03-01", "2019-03-31")),
        ("03/2019", ("2019-03-01", "2019-03-31")),
        ("3/2019", ("2019-03-01", "2019-03-31")),
        ("2019/03", ("2019-03-01", "2019-03-31")),
        ("2019/03/15", ("2019-03-15", None)),
        ("15 March 2019", ("2019-03-15", None)),
        ("March 15, 2019", ("2019-03-15", None)),
        ("15/03/2019", ("2019-03-15", None)),  # 15 is no month: one order only
        ("03/15/2019", ("2019-03-15", None)),
        ("04/04/2019", ("2019-04-04", None)),  # either order, the same day
        ("February 2024", ("2024-02-01", "2024-02-29")),
    ],
)
def test_an_onset_written_as_a_date_or_a_month_is_its_days(text: str, days: tuple[str | None, str | None]) -> None:
    assert onset_days(text) == days


@pytest.mark.parametrize(
    "text",
    [
        "03/04/2019",
        "childhood",
        "in his forties",
        "2005?",
        "about 2005",
        "2005-2007",
        "Spring 2019",
        "13/2019",
        "31/02/2019",
        "March 2019 or 2020",
        "0 March 2019",
        "00/2019",
    ],
)
def test_an_onset_text_that_is_not_plainly_one_date_is_not_read(text: str) -> None:
    problems: list[str] = []
    (fact,) = facts_of(mi(onsetString=text), problems=problems, who=WHO)
    assert fact.start is None and any("onsetString" in p for p in problems)


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March 2019", Result.PASS),
        ("03/2019", Result.PASS),
        ("15 March 2019", Result.PASS),
        ("05/2025", Result.PASS),  # May 2025: every day before 2025-06-01
        ("06/2025", Result.FAIL),  # June 2025: every day in the window
        ("2025", Result.UNKNOWN),  # January to December 2025: both sides of 2025-06-01
        ("03/04/2026", Result.UNKNOWN),  # refused; recorded 2026-05-01, in the window: unknown
    ],
)
def test_a_text_onset_decides_an_infarction_in_the_last_12_months(
    text: str, expected: Result, settings: Settings
) -> None:
    assert a_e10(mi(onsetString=text, recordedDate="2026-05-01"), settings) is expected


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("2010-05-01", Result.PASS),  # began by 2010: not in the last 12 months
        ("2010", Result.PASS),  # by 2010-12-31 at the latest
        ("2025-05-31", Result.PASS),  # the day before the window opens
        ("2025-06-01", Result.UNKNOWN),  # the window's first day: it may have begun on it
        ("2026-03-01", Result.UNKNOWN),
        (None, Result.UNKNOWN),  # nothing bounds it
    ],
)
def test_the_recorded_date_bounds_an_onset_not_read(recorded: str | None, expected: Result, settings: Settings) -> None:
    res = mi(onsetString="childhood", **({"recordedDate": recorded} if recorded else {}))
    assert a_e10(res, settings) is expected


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # began before the window (on or before 2010): the "before" window holds it, whatever its status
        ({"onsetString": "childhood", "recordedDate": "2010-05-01"}, Result.REVIEW),
        ({"onsetString": "March 2019"}, Result.REVIEW),
        # recorded in the window: began in it or before, which is not known
        ({"onsetString": "childhood", "recordedDate": "2026-03-01"}, Result.UNKNOWN),
        # began in the window (resolved since): the window holds it
        ({"onsetString": "08/2025"}, Result.REVIEW),
    ],
)
def test_a_heart_failure_begun_before_the_window_is_a_review(
    fields: Json, expected: Result, settings: Settings
) -> None:
    assert a_e10(resolved_heart_failure(**fields), settings) is expected


def test_an_onset_not_read_keeps_no_date_but_its_bound() -> None:
    problems: list[str] = []
    (fact,) = facts_of(mi(onsetString="childhood", recordedDate="2010-05-01"), problems=problems, who=WHO)
    assert (fact.start, fact.latest) == (None, dt.date(2010, 5, 1))
    assert any("on or before its recordedDate 2010-05-01" in p for p in problems)
