"""Doses dated by their month only, and records with no date, read as clinical.md §0 says, worked out by hand.

Base: sample 01 (Lutathera 7400 MBq on 2023-01-16, 03-13, 05-08 and 07-03), as of 2026-06-01.

- A dose dated "2024-01" is 182 days after 07-03 on 01-01 (the same course: §1.6, a gap > 182 days
  starts a new one) and 183+ days on 01-02..01-31 (a second course). Its activity counts in the first
  course only on 01-01: a sum it may or may not be in is decided only when both give the same answer
  (§0.12), never by reading the month as its first day.
- An everolimus record with no date at all: how long it was taken is not known (§0.16), so B-I3b
  ("everolimus <= 1 month", > 31 days excludes) is unknown, not a pass.
- A window relative to an event dated by its month (a resection "2026-05") is decided where every day
  of the month gives the same answer (evaluation.anchor_days).
"""

from __future__ import annotations

import datetime as dt

import pytest

from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Result, TrialResult, Verdict
from tests.evaluation.test_time18_dates import (
    AS_OF,
    CAPECITABINE,
    CYCLE_4,
    IDS,
    SETTINGS,
    A,
    B,
    D,
    Json,
    _d_case,
    _evaluate,
    _lu5,
    _resources,
    _result,
)

CYCLE_2, CYCLE_3 = "da69e609-88c1-50e1-9c77-f70a1a17e501", "90872383-3fca-5709-b19b-ea89bc6fdc4a"
MRI, PET = "624abb8e-1712-50c1-8233-3f4fe1af044f", "73734074-fb05-5873-93ce-3cdecc0a7a19"  # sample 75
ACTIVITY = "Cumulative 177Lu-DOTATATE activity"  # B-I3a's activity branch


def _mbq(value: float) -> Json:
    return {"dosage": {"dose": {"value": value, "unit": "MBq", "system": "http://unitsofmeasure.org", "code": "MBq"}}}


def _activity(r: TrialResult) -> Result:
    (leaf,) = [k for c in r.criteria if c.id == "B-I3a" for k in c.children if k.description.startswith(ACTIVITY)]
    return leaf.result


# A-E3 (exclusion: a first course below 28.86 GBq is a dose reduction, sent to review). The 4th
# cycle reduced to 5000 MBq: 3 x 7400 + 5000 = 27 200 MBq < 28 860 (review); with a 5th dose of
# 7400 in the first course 34 600 (no reduction: pass). Dated "2024-01": either, unknown. Before,
# the dose was read as of 01-01: pass.
@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(
    ("date", "expected"),
    [("2024-01", Result.UNKNOWN), ("2024-01-01", Result.PASS), ("2024-01-02", Result.REVIEW)],
)
def test_a_dose_dated_by_its_month_is_summed_only_where_every_day_agrees(
    date: str, expected: Result, settings: Settings
) -> None:
    now, _w = _evaluate(A, _resources({CYCLE_4: _mbq(5000)}, (_lu5(date),)), AS_OF, settings)
    assert _result(now, "A-E3") is expected


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
def test_a_dose_dated_by_its_month_decides_where_every_day_agrees(settings: Settings) -> None:
    """Full doses: 29 600 MBq without the "2024-01" dose, 37 000 with it, >= 28 860 either way: A-E3 passes."""
    now, _w = _evaluate(A, _resources(added=(_lu5("2024-01"),)), AS_OF, settings)
    assert _result(now, "A-E3") is Result.PASS


def test_b_i3a_activity_of_a_dose_dated_by_its_month_is_unknown_where_the_days_disagree() -> None:
    """B-I3a's activity branch, the largest 364-day first-course total in [22 200, 29 600] MBq: on
    01-01 the five doses lie within 350 days (37 000: fails), from 01-02 four (29 600: passes).
    Before, read as of 01-01: fail."""
    now, _w = _evaluate(B, _resources(added=(_lu5("2024-01"),)), AS_OF, SETTINGS[0])
    assert _activity(now) is Result.UNKNOWN
    on_the_2nd, _w = _evaluate(B, _resources(added=(_lu5("2024-01-02"),)), AS_OF, SETTINGS[0])
    assert _activity(on_the_2nd) is Result.PASS


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
def test_b_i3a_activity_fails_when_every_day_fails_though_on_either_side(settings: Settings) -> None:
    """Cycles 7400 MBq on 2023-01-16, 7400 dated "2023-07", 20 000 on 2024-01-05 (the others entered
    in error). The July dose joins the first course up to 07-17 (182 days), and the January dose with
    it from 07-07 (182 days before 01-05): first-course totals 14 800 (07-01..06), 34 800 (07-07..17,
    the three within 354 days) and 7400 (07-18..31, the first alone). Each is outside [22 200, 29 600]:
    the branch fails, though the totals lie on both sides. Its cycle count (2, 3 or 1) is unknown."""
    gone = {"status": "entered-in-error"}
    july = {"effectiveDateTime": "2023-07"}
    january = {**_lu5("2024-01-05"), "id": "lu-january", **_mbq(20000)}
    resources = _resources({CYCLE_2: gone, CYCLE_3: gone, CYCLE_4: july}, (january,))
    now, _w = _evaluate(B, resources, AS_OF, settings)
    if settings.explain:
        assert _activity(now) is Result.FAIL
    assert _result(now, "B-I3a") is Result.UNKNOWN


def _everolimus(dated: Json) -> Json:
    return {
        "resourceType": "MedicationStatement",
        "id": "everolimus",
        "status": "completed",
        "subject": {"reference": "Patient/sample-01"},
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01EG02"}]},
        **dated,
    }


# B-I3b: everolimus for at most 31 days. Taken 2022-01-01..01-20 (20 days): pass; 2022-01-01..03-01
# (60 days): fail; no date at all: unknown (before: 0 days, pass).
@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(
    ("dated", "expected"),
    [
        ({}, Result.UNKNOWN),
        ({"effectivePeriod": {"start": "2022-01-01", "end": "2022-01-20"}}, Result.PASS),
        ({"effectivePeriod": {"start": "2022-01-01", "end": "2022-03-01"}}, Result.FAIL),
    ],
    ids=["undated", "20-days", "60-days"],
)
def test_an_everolimus_record_with_no_date_is_an_unknown_exposure(
    dated: Json, expected: Result, settings: Settings
) -> None:
    now, _w = _evaluate(B, _resources(added=(_everolimus(dated),)), AS_OF, settings)
    assert _result(now, "B-I3b") is expected
    if expected is Result.UNKNOWN:
        assert now.verdict is not Verdict.ELIGIBLE


# An event dated by its month whose every day gives the same answer is decided (§0.12, as for the
# doses above): the leaf is evaluated on each day of the month that can change it
# (evaluation.anchor_days), in the explained walk and in the compiled program alike.


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
def test_therapy_long_after_a_last_cycle_dated_by_its_month_fails_b_i5(settings: Settings) -> None:
    """The 4th cycle dated "2023-07" (the first course's last on any day of July: 84 days or fewer
    after 05-08) and capecitabine on 2024-03-01: after the cycle whichever day it was, in the window
    from the next day to T0. B-I5 (no therapy after initial PRRT) fails, as for 07-01 and 07-31."""
    capecitabine = {**CAPECITABINE, "effectiveDateTime": "2024-03-01"}
    now, _w = _evaluate(B, _resources({CYCLE_4: {"effectiveDateTime": "2023-07"}}, (capecitabine,)), AS_OF, settings)
    assert _result(now, "B-I5") is Result.FAIL


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
def test_imaging_within_the_window_of_every_day_of_the_surgery_month_passes(settings: Settings) -> None:
    """Liver resection dated "2026-05", as of 2026-07-05. The MRI of 04-20 is 11 days before 05-01 and
    41 before 05-31: within 42 (D-I7) for every day of May; the PET of 04-05 26 to 56 days before,
    within 84 (D-I8). Both pass, eligible, as with the surgery on 05-01 or on 05-31."""
    resources = _d_case("2026-05")
    for r in resources:
        if r["id"] in (MRI, PET):
            r["performedDateTime"] = "2026-04-20" if r["id"] == MRI else "2026-04-05"
    now, _w = _evaluate(D, resources, dt.date(2026, 7, 5), settings)
    assert (_result(now, "D-I7"), _result(now, "D-I8"), now.verdict) == (Result.PASS, Result.PASS, Verdict.ELIGIBLE)
