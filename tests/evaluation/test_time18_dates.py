"""Dates an adversarial review found read wrongly (clinical.md §0.3, §0.12, §1.6), worked out by hand.

Base: sample 01 (man born 1963-09-14, labs of 2026-05-20: Hb 13.2 g/dL, creatinine 0.9 mg/dL, weight
78 kg; Lutathera on 2023-01-16, 03-13, 05-08 and 07-03).

- A result is dated by effectiveDateTime, else effectivePeriod.end, else issued (§0.3); one dated after
  the as-of date is outside [T0 - 28 d, T0] and ignored, though its collection began within it.
  * Hb 7.5 on 05-20 and Hb 13 collected 05-31T08Z..06-03T08Z, as of 05-31: the 7.5 is the latest
    result, A-I11 (Hb > 8 g/dL) fails: ineligible. On 06-03 the 13 counts: eligible from 06-03, until
    06-17 (the other labs of 05-20 count through 05-20 + 28 d).
  * a 24-hour urine creatinine clearance of 38 mL/min collected 06-01 08:00..06-02 08:00, as of 06-01:
    not yet a result; B-I12 is Cockcroft-Gault: (140 - 62) x 78 / (72 x 0.9) = 93.9 > 50 mL/min: pass.
    On 06-02 the measured 38 governs: B-I12 fails.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.results import Result, TrialResult, Verdict, When
from fhir_eligibility.evaluation.timeline import when
from fhir_eligibility.pipeline import load_trials
from fhir_eligibility.record import PatientData

SAMPLE_01 = Path(__file__).resolve().parents[2] / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
A, B = "NCT04954820", "NCT05773274"
AS_OF = dt.date(2026, 6, 1)
ATTESTED = Settings(assume_attested=True)
SETTINGS = [ATTESTED, replace(ATTESTED, explain=False)]  # the explained walk and the compiled program
IDS = ["page", "screening"]
HB_0520 = "35472198-0fa7-573d-8792-341b837de33f"
Json = dict[str, Any]


@cache
def _trial(nct: str) -> Trial:
    return next(t for t in load_trials() if t.id == nct)


@cache
def _sample() -> tuple[Json, ...]:
    return tuple(e["resource"] for e in json.loads(SAMPLE_01.read_text())["entry"])


def _resources(changes: dict[str, Json] | None = None, added: tuple[Json, ...] = ()) -> list[Json]:
    """Sample 01 with some resources changed (by id) and others added."""
    out = []
    for r in _sample():
        r = copy.deepcopy(r)
        r.update((changes or {}).get(r["id"], {}))
        out.append(r)
    return [*out, *added]


def _evaluate(nct: str, resources: list[Json], as_of: dt.date, settings: Settings) -> tuple[TrialResult, When]:
    record = build_record(PatientData("sample-01", resources))
    now = evaluate_trial(_trial(nct), record, as_of, settings)
    return now, when(_trial(nct), record, as_of, now, settings, 365)


def _result(r: TrialResult, cid: str) -> Result:
    return next(c.result for c in r.criteria if c.id == cid)


def _lab(rid: str, code: str, value: float, unit: str, period: Json, issued: str) -> Json:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"reference": "Patient/sample-01"},
        "effectivePeriod": period,
        "issued": issued,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }


HB_LATER = _lab(
    "hb-new",
    "718-7",
    13.0,
    "g/dL",
    {"start": "2026-05-31T08:00:00Z", "end": "2026-06-03T08:00:00Z"},
    "2026-06-03T12:00:00Z",
)
CRCL_24H = _lab(
    "crcl24h",
    "2164-2",
    38,
    "mL/min",
    {"start": "2026-06-01T08:00:00+02:00", "end": "2026-06-02T08:00:00+02:00"},
    "2026-06-02T15:00:00+02:00",
)


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
def test_a_result_collected_until_after_the_as_of_date_is_not_yet_known(settings: Settings) -> None:
    low_hb = {HB_0520: {"valueQuantity": {"value": 7.5, "unit": "g/dL", "system": "http://unitsofmeasure.org"}}}
    now, w = _evaluate(A, _resources(low_hb, (HB_LATER,)), dt.date(2026, 5, 31), settings)
    assert _result(now, "A-I11-hb") is Result.FAIL
    assert now.verdict is Verdict.INELIGIBLE
    assert (w.eligible_from, w.eligible_until) == (dt.date(2026, 6, 3), dt.date(2026, 6, 17))


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
def test_a_24_hour_clearance_ending_tomorrow_leaves_cockcroft_gault_to_decide(settings: Settings) -> None:
    now, w = _evaluate(B, _resources(added=(CRCL_24H,)), dt.date(2026, 6, 1), settings)
    assert _result(now, "B-I12") is Result.PASS
    assert now.verdict is Verdict.ELIGIBLE
    assert w.eligible_until == dt.date(2026, 6, 1)  # on 06-02 the measured 38 mL/min is the result
    if settings.explain:  # a screening's timeline keeps only what answers its two dates
        changes = [(c.before, c.after) for c in w.timeline if c.criterion == "B-I12" and c.date == dt.date(2026, 6, 2)]
        assert changes == [(Result.PASS, Result.FAIL)]


# Courses (§1.6: a gap > 182 days starts a new one) with a dose dated by its month only (§0.12).
# Sample 01's last cycle is 2023-07-03; a fifth dose on 2024-01-01 is 182 days later (the same course:
# 5 cycles, A-I3 "exactly 4" fails), on 2024-01-02..31 183+ days (a second course: 4, A-I3 passes).
# Dated "2024-01" both are possible: A-I3 unknown, A undetermined; B-I3a's count (3 or 4) unknown.
# A-I4 (no first-course cycle in the 12 months before 2026-06-01) passes: 2024-01 is outside them.


def _lu5(date: str) -> Json:
    return {
        "resourceType": "MedicationAdministration",
        "id": "lu5",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "V10XX04"}]},
        "subject": {"reference": "Patient/sample-01"},
        "effectiveDateTime": date,
        "dosage": {"dose": {"value": 7400, "unit": "MBq", "system": "http://unitsofmeasure.org", "code": "MBq"}},
    }


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(
    ("date", "cycles", "verdict"),
    [
        ("2024-01", Result.UNKNOWN, Verdict.UNDETERMINED),
        ("2024-01-01", Result.FAIL, Verdict.INELIGIBLE),  # 182 days: the same course
        ("2024-01-02", Result.PASS, Verdict.ELIGIBLE),  # 183 days: a second course
    ],
)
def test_a_dose_dated_by_its_month_may_be_in_either_course(
    date: str, cycles: Result, verdict: Verdict, settings: Settings
) -> None:
    now, _w = _evaluate(A, _resources(added=(_lu5(date),)), AS_OF, settings)
    assert (_result(now, "A-I3"), _result(now, "A-I4"), now.verdict) == (cycles, Result.PASS, verdict)
    b, _w = _evaluate(B, _resources(added=(_lu5(date),)), AS_OF, settings)
    if settings.explain:
        (count,) = [k for c in b.criteria if c.id == "B-I3a" for k in c.children if "cycles" in k.description]
        assert count.result is cycles


def test_a_partly_dated_record_between_two_courses_is_placed_on_every_day_it_may_mean() -> None:
    """2023-01-01 and 2023-12-31 are two courses (364 days); a dose dated "2023" joins the first on
    01-01..07-02 (then 12-31 is 182 days or more from it: on 07-02 exactly 182, all one course), and
    the second from 07-03 (183 days from 01-01): neither it nor the 12-31 dose has a known course."""
    d = dt.date
    spans = [(d(2023, 1, 1), d(2023, 1, 1)), (d(2023, 1, 1), d(2023, 12, 31)), (d(2023, 12, 31), d(2023, 12, 31))]
    assert dv.in_first_course(spans, 182) == [True, None, None]
    assert dv.in_first_course([spans[0], spans[2]], 182) == [True, False]


# An event dated by its month (§0.12): a window relative to it is knowable only when its ends agree.
# Sample 75 (trial D) with its liver resection (and the primary's) dated "2026-05", liver MRI on 03-25,
# SSTR PET on 02-10, labs and ECOG on 07-01, as of 2026-07-05. D-I7 wants the MRI in [surgery - 42 d,
# surgery]: true for a surgery on 05-01..05-06, false from 05-07; D-I8 the PET in [surgery - 84 d,
# surgery]: true on 05-01..05-05, false from 05-06 (then none recorded: to collect). Dated "2026-05",
# both are unknown: undetermined (it was eligible, the surgery read as 05-01).
D = "NCT05987176"
SAMPLE_75 = SAMPLE_01.parent / "75-d-pancreatic-resected-eligible.json"
SURGERIES = ("9e78f628-377e-5f3e-bf54-57e2cb655b5f", "288bc405-8698-51c8-9a3e-6eb9d13891ef")


def _d_case(surgery: str) -> list[Json]:
    out = []
    for e in json.loads(SAMPLE_75.read_text())["entry"]:
        r = e["resource"]
        if r.get("effectiveDateTime") == "2026-05-20T08:30:00+00:00":
            r["effectiveDateTime"] = "2026-07-01T08:30:00+00:00"  # labs and ECOG in the 28 days before 07-05
        if r["id"] in SURGERIES:
            r["performedDateTime"] = surgery
        if r["id"] == "624abb8e-1712-50c1-8233-3f4fe1af044f":
            r["performedDateTime"] = "2026-03-25"  # liver MRI
        if r["id"] == "73734074-fb05-5873-93ce-3cdecc0a7a19":
            r["performedDateTime"] = "2026-02-10"  # SSTR PET
        if r["id"] == "04e3135c-9f74-5691-9bef-b4952db03327":
            r["abatementDateTime"] = "2026-05-10T10:00:00+00:00"  # the resected metastases
        if r["id"] == "7c1fc796-a05e-5004-8fb1-4984527fd6b0":
            r["effectiveDateTime"] = "2026-05-10T08:30:00+00:00"  # Ki-67 of the resection
        out.append(r)
    return out


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(
    ("surgery", "mri", "pet", "verdict"),
    [
        ("2026-05", Result.UNKNOWN, Result.UNKNOWN, Verdict.UNDETERMINED),
        ("2026-05-05", Result.PASS, Result.PASS, Verdict.ELIGIBLE),
        ("2026-05-06", Result.PASS, Result.UNKNOWN, Verdict.UNDETERMINED),  # the PET 85 days before
    ],
)
def test_a_window_relative_to_an_event_dated_by_its_month_is_unknown(
    surgery: str, mri: Result, pet: Result, verdict: Verdict, settings: Settings
) -> None:
    now, _w = _evaluate(D, _d_case(surgery), dt.date(2026, 7, 5), settings)
    assert (_result(now, "D-I7"), _result(now, "D-I8"), now.verdict) == (mri, pet, verdict)
    if settings.explain and surgery == "2026-05":
        assert "dated only by its month or year (2026-05-01..2026-05-31)" in next(
            c.reason for c in now.criteria if c.id == "D-I7"
        )


# B-I5: no anticancer therapy after the last cycle of the first course. Sample 01's 4th cycle dated
# "2023-07" and capecitabine on 2023-07-20: after the cycle if it was given 07-01..07-19, not from
# 07-20 (then the drug came before it): unknown. Controls: the cycle on 07-25 (pass), 07-03 (fail).
CYCLE_4 = "e9173482-af88-51c0-a69a-f934a538983b"
CAPECITABINE = {
    "resourceType": "MedicationStatement",
    "id": "cape",
    "status": "completed",
    "subject": {"reference": "Patient/sample-01"},
    "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01BC06"}]},
    # a period with its end: one day for certain (a statement dated by one dateTime may have run on
    # past it, so 07-25 would be unknown: test_one_day_statement_rec19)
    "effectivePeriod": {"start": "2023-07-20", "end": "2023-07-20"},
}


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(
    ("cycle", "expected"),
    [("2023-07", Result.UNKNOWN), ("2023-07-25", Result.PASS), ("2023-07-03", Result.FAIL)],
)
def test_therapy_after_a_last_cycle_dated_by_its_month_is_unknown(
    cycle: str, expected: Result, settings: Settings
) -> None:
    resources = _resources({CYCLE_4: {"effectiveDateTime": cycle}}, (CAPECITABINE,))
    now, _w = _evaluate(B, resources, AS_OF, settings)
    assert _result(now, "B-I5") is expected
