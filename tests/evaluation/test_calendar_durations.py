"""Exposure durations in calendar units (clinical.md §0.1, §1.6), in the verdict and in the timeline.

A ``durationQuantity`` in months ("at least 6 months of somatostatin analogue") was compared as a
number of days: 153 days passed "at least 6 (months)". clinical.md §0.1 counts "N months" on the
calendar (same day of the month, dateutil.relativedelta: the day clamped to the month's last), and
§1.6 sums exposure over merged periods. Each continuous period of exposure is measured on the
calendar from its own first day (whole months, then the part of the next month it covers), and the
periods are added up. Every expected result below is worked out by hand from that rule:

* a period covering the days [s, e] is N months once e + 1 day reaches s + N months;
* 2025-12-31 + 6 months = 2026-06-30 (June has no 31st); 2026-01-31 + 1 month = 2026-02-28;
  2024-01-31 + 1 month = 2024-02-29 (leap year); 2024-02-29 + 12 months = 2025-02-28.

The timeline's dates must agree with re-evaluating on those dates (README "When").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.criteria.parse import Parser, resolve_definition_ids
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.results import Verdict
from fhir_eligibility.evaluation.timeline import when
from fhir_eligibility.record import PatientData
from tests.cases.builders import ATC, UCUM, has, patient, run

Json = dict[str, Any]
DAY = dt.timedelta(days=1)


def duration(value: float, unit: str, comparator: str = ">=", code: str = "H01CB03", exclude: bool = False) -> Json:
    out: Json = {
        "linkId": "exposure",
        "definitionByTypeAndValue": has(["MedicationStatement", "MedicationAdministration"], [(ATC, code)]),
        "durationQuantity": {"value": value, "comparator": comparator, "code": unit, "system": UCUM},
    }
    if exclude:
        out["exclude"] = True
    return out


def statement(start: str, end: str | None = None, status: str | None = None, rid: str | None = None) -> Json:
    """Lanreotide taken from ``start`` to ``end`` (inclusive); no end: still taken (active)."""
    period: Json = {"start": start}
    if end:
        period["end"] = end
    return {
        "resourceType": "MedicationStatement",
        "id": rid or f"ms-{start}",
        "status": status or ("completed" if end else "active"),
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "H01CB03"}]},
        "subject": {"reference": "Patient/p"},
        "effectivePeriod": period,
    }


def result_on(characteristic: Json, resources: list[Json], day: str) -> str:
    r = run(characteristic, [patient(), *resources], as_of=dt.date.fromisoformat(day))
    return r.criteria[0].result.value


@pytest.mark.parametrize(
    ("start", "as_of", "expected"),
    [
        # [2025-12-31, 2026-06-01]: 5 months (to 05-31) and 2 days of June's 30: under 6 months. It
        # passed before: 153 "days" >= 6
        ("2025-12-31", "2026-06-01", "fail"),
        ("2025-12-31", "2026-06-28", "fail"),  # 5 months and 29 of June's 30 days
        ("2025-12-31", "2026-06-29", "pass"),  # e + 1 = 06-30 = 2025-12-31 + 6 months
        ("2026-01-01", "2026-06-30", "pass"),  # e + 1 = 07-01 = 01-01 + 6 months
        ("2026-01-01", "2026-06-29", "fail"),
    ],
)
def test_at_least_6_months_is_counted_on_the_calendar(start: str, as_of: str, expected: str) -> None:
    assert result_on(duration(6, "mo"), [statement(start)], as_of) == expected


@pytest.mark.parametrize(
    ("start", "as_of", "expected"),
    [
        ("2026-01-31", "2026-02-26", "fail"),  # e + 1 = 02-27 < 01-31 + 1 month = 02-28
        ("2026-01-31", "2026-02-27", "pass"),  # e + 1 = 02-28
        ("2024-01-31", "2024-02-27", "fail"),  # leap year: 01-31 + 1 month = 02-29
        ("2024-01-31", "2024-02-28", "pass"),
    ],
)
def test_one_month_from_the_31st_of_january(start: str, as_of: str, expected: str) -> None:
    assert result_on(duration(1, "mo"), [statement(start)], as_of) == expected


@pytest.mark.parametrize(
    ("end", "expected"),
    [("2025-02-27", "pass"), ("2025-02-26", "fail")],  # 2024-02-29 + 12 months = 2025-02-28 = e + 1
)
def test_a_year_from_the_29th_of_february(end: str, expected: str) -> None:
    assert result_on(duration(1, "a"), [statement("2024-02-29", end)], "2026-06-01") == expected


@pytest.mark.parametrize(
    ("first_end", "expected"),
    [
        # February (1 month) and April (1 month) of 2026: 2 months, although 28 + 30 = 58 days is less
        # than the 59 days from 02-01 to 04-01
        ("2026-02-28", "pass"),
        ("2026-02-27", "fail"),  # 27 of February's 28 days, then April: under 2 months
    ],
)
def test_separate_periods_are_each_measured_on_the_calendar_and_added(first_end: str, expected: str) -> None:
    periods = [statement("2026-02-01", first_end), statement("2026-04-01", "2026-04-30")]
    assert result_on(duration(2, "mo"), periods, "2026-06-01") == expected


@pytest.mark.parametrize(
    ("comparator", "value", "expected"),
    [
        # 2026-01-01..03-31 and 02-01..04-30 overlap: merged, 01-01..04-30 is 4 months exactly (05-01 =
        # 01-01 + 4 months). Counted twice it would be 3 + 3 = 6 months (and 90 + 89 = 179 days)
        (">=", 6, "fail"),
        (">=", 4, "pass"),
        (">", 4, "fail"),
    ],
)
def test_overlapping_periods_are_merged_not_added(comparator: str, value: float, expected: str) -> None:
    periods = [statement("2026-01-01", "2026-03-31", rid="a"), statement("2026-02-01", "2026-04-30", rid="b")]
    assert result_on(duration(value, "mo", comparator), periods, "2026-06-01") == expected


def test_overlapping_days_are_counted_once() -> None:
    """B-I3b's shape (everolimus > 31 days excludes): 01-01..01-20 and 01-10..01-31 overlap: 31 days
    (01-01..01-31), not 20 + 22 = 42: not more than 31, the exclusion is not met (pass). An ongoing
    statement from 01-25 adds only the days after 01-31: 01-01..02-05 on 02-05 is 36 days (fail)."""
    evero = duration(31, "d", ">", code="L01EG02", exclude=True)
    periods = [
        {**statement("2026-01-01", "2026-01-20", rid="a"), "medicationCodeableConcept": _evero()},
        {**statement("2026-01-10", "2026-01-31", rid="b"), "medicationCodeableConcept": _evero()},
    ]
    assert result_on(evero, periods, "2026-06-01") == "pass"
    ongoing = {**statement("2026-01-25", rid="c"), "medicationCodeableConcept": _evero()}
    assert result_on(evero, [*periods, ongoing], "2026-01-31") == "pass"  # still 01-01..01-31
    assert result_on(evero, [*periods, ongoing], "2026-02-01") == "fail"  # 32 days


def test_weeks_are_seven_days() -> None:
    """ "At least 4 weeks" = 28 days: 05-01..05-28 is 28 days (pass), 05-01..05-27 is 27 (fail)."""
    assert result_on(duration(4, "wk"), [statement("2026-05-01", "2026-05-28")], "2026-06-01") == "pass"
    assert result_on(duration(4, "wk"), [statement("2026-05-01", "2026-05-27")], "2026-06-01") == "fail"


# ---- the timeline: "eligible from D" is the verdict on D --------------------------------------------


def _trial(characteristic: Json) -> Trial:
    parser = Parser(lambda ref: None)
    crits = resolve_definition_ids((parser.characteristic(characteristic, "c0"),), [characteristic])
    return Trial("NCT0", "t", crits)


def _dates(characteristic: Json, resources: list[Json], as_of: dt.date) -> tuple[Any, Any, Trial, Any]:
    trial = _trial(characteristic)
    record = build_record(PatientData("p", [patient(), *resources]))
    now = evaluate_trial(trial, record, as_of, Settings())
    w = when(trial, record, as_of, now, Settings(), 365)
    return w.eligible_from, w.eligible_until, trial, record


def test_eligible_from_the_day_six_calendar_months_are_reached() -> None:
    """Lanreotide since 2025-12-31, still taken; "at least 6 months" is met on 2026-06-29 (above)."""
    since, until, trial, record = _dates(duration(6, "mo"), [statement("2025-12-31")], dt.date(2026, 6, 1))
    assert (since, until) == (dt.date(2026, 6, 29), None)
    assert evaluate_trial(trial, record, since, Settings()).verdict is Verdict.ELIGIBLE
    assert evaluate_trial(trial, record, since - DAY, Settings()).verdict is Verdict.INELIGIBLE


def test_eligible_from_one_month_after_the_31st_of_january() -> None:
    since, _until, trial, record = _dates(duration(1, "mo"), [statement("2024-01-31")], dt.date(2024, 2, 1))
    assert since == dt.date(2024, 2, 28)  # 2024-01-31 + 1 month = 02-29 = e + 1
    assert evaluate_trial(trial, record, since, Settings()).verdict is Verdict.ELIGIBLE
    assert evaluate_trial(trial, record, since - DAY, Settings()).verdict is Verdict.INELIGIBLE


def test_exposure_added_to_an_earlier_period_lapses_on_the_day_the_total_crosses() -> None:
    """Everolimus > 31 days excludes (B-I3b's shape): 20 days in January 2025, and taken again since
    2026-05-25. On 2026-06-01: 20 + 8 = 28 days (eligible). The total passes 31 when the new period
    reaches 12 days: 05-25..06-05, so eligible until 2026-06-04. Before, the timeline looked for a
    change 31 days after each record's own date (06-25) and dated the lapse three weeks late."""
    evero = duration(31, "d", ">", code="L01EG02", exclude=True)
    periods = [
        {**statement("2025-01-01", "2025-01-20", rid="a"), "medicationCodeableConcept": _evero()},
        {**statement("2026-05-25", rid="b"), "medicationCodeableConcept": _evero()},
    ]
    since, until, trial, record = _dates(evero, periods, dt.date(2026, 6, 1))
    assert (since, until) == (None, dt.date(2026, 6, 4))
    assert evaluate_trial(trial, record, until, Settings()).verdict is Verdict.ELIGIBLE
    assert evaluate_trial(trial, record, until + DAY, Settings()).verdict is Verdict.INELIGIBLE


def _evero() -> Json:
    return {"coding": [{"system": ATC, "code": "L01EG02"}]}


# ---- ages in years and months: birthdays on the calendar, not 365.25 or 30.44 days ----------------

MI_LAST_12_MONTHS = {
    "linkId": "mi",
    "exclude": True,
    "definitionByTypeAndValue": has(["Condition"], [("http://snomed.info/sct", "22298006")]),
    "timeFromEvent": [
        {
            "eventCodeableConcept": {
                "coding": [{"system": "http://hl7.org/fhir/evidence-variable-event", "code": "study-start"}]
            },
            "range": {
                "low": {"value": -12, "system": UCUM, "code": "mo"},
                "high": {"value": 0, "system": UCUM, "code": "d"},
            },
        }
    ],
}


@pytest.mark.parametrize("age", [{"value": 66, "code": "a"}, {"value": 792, "code": "mo"}])
def test_an_onset_age_is_a_span_between_birthdays(age: Json) -> None:
    """Born 1959-06-01, a myocardial infarction at age 66 (792 months) happened between the 66th
    birthday, 2025-06-01, and the day before the 67th, 2026-05-31: wholly within the 12 months
    before 2026-06-01 (from 2025-06-01), so the exclusion is met (fail). Counted as 66 x 365.25 days
    the span began on 2025-05-31, across the window's start: unknown."""
    mi = {
        "resourceType": "Condition",
        "id": "mi",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "22298006"}]},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "onsetAge": {**age, "system": UCUM, "unit": age["code"]},
    }
    r = run(MI_LAST_12_MONTHS, [patient("1959-06-01"), mi])
    assert r.criteria[0].result.value == "fail", r.criteria[0].reason


def test_a_reference_range_for_adults_applies_from_the_18th_birthday() -> None:
    """Bilirubin < 1.5 x ULN (B-I11's test), the laboratory giving an upper limit of 1.0 mg/dL for
    ages 0-17 years and 1.2 mg/dL from 18 years. Born 2008-06-01, tested on 2026-06-01, the 18th
    birthday: the adult range applies, 1.5 / 1.2 = 1.25 x ULN < 1.5 (pass). 18 x 365.25 days
    (6574.5) is half a day more than the 6574 days lived: no range applied, unknown."""
    bili = {
        "resourceType": "Observation",
        "id": "bili",
        "status": "final",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "1975-2"}]},
        "effectiveDateTime": "2026-06-01",
        "valueQuantity": {"value": 1.5, "system": UCUM, "code": "mg/dL", "unit": "mg/dL"},
        "referenceRange": [
            {
                "high": {"value": 1.0, "system": UCUM, "code": "mg/dL"},
                "age": {
                    "low": {"value": 0, "system": UCUM, "code": "a"},
                    "high": {"value": 17, "system": UCUM, "code": "a"},
                },
            },
            {
                "high": {"value": 1.2, "system": UCUM, "code": "mg/dL"},
                "age": {"low": {"value": 18, "system": UCUM, "code": "a"}},
            },
        ],
    }
    trial = next(t for t in load_trials() if t.id == "NCT05773274")
    record = build_record(PatientData("p", [patient("2008-06-01"), bili]))
    got = next(c for c in evaluate_trial(trial, record, dt.date(2026, 6, 1), Settings()).criteria if c.id == "B-I11")
    assert got.result.value == "pass", got.reason
