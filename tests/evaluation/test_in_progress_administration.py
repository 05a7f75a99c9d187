"""A MedicationAdministration in progress is a drug being given now (clinical.md §0.8 "optionally
in-progress"), read as a Procedure in progress is: from its start to the as-of date.

Before, the status filter kept only ``completed`` and ``stopped``: an infusion under way on the
screening day was no exposure at all, so a washout passed and a cycle was not counted. Every
expected result is worked out by hand from the protocol windows (screening date 2026-06-01).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.timeline import when
from fhir_eligibility.record import PatientData
from tests.cases.builders import ATC, UCUM, has, med_admin, patient, run, window

Json = dict[str, Any]
TMZ_LAST_12_WEEKS = {
    "linkId": "tmz",
    "exclude": True,
    "definitionByTypeAndValue": has(["MedicationAdministration"], [(ATC, "L01AX03")]),
    "timeFromEvent": window(-84),
}
EVERO_OVER_31_DAYS = {
    "linkId": "evero",
    "exclude": True,
    "definitionByTypeAndValue": has(["MedicationAdministration"], [(ATC, "L01EG02")]),
    "durationQuantity": {"value": 31, "comparator": ">", "code": "d", "system": UCUM},
}
FOUR_CYCLES = {
    "linkId": "cyc",
    "definitionByTypeAndValue": has(["MedicationAdministration"], [(ATC, "V10XX04")]),
    "instancesQuantity": {"value": 4},
}


def given(code: str, status: str = "in-progress", **when_: Json | str) -> Json:
    out: Json = {
        "resourceType": "MedicationAdministration",
        "id": f"ma-{code}-{status}",
        "status": status,
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
        "subject": {"reference": "Patient/p"},
    }
    out.update(when_)
    return out


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        # temozolomide running since 2026-01-10, before the 12-week window (from 2026-03-09): still given
        # on 2026-06-01, so within the window: the exclusion is met
        (given("L01AX03", effectivePeriod={"start": "2026-01-10"}), "fail"),
        # an in-progress administration dated by a moment: begun then, over within days (an infusion;
        # a status never closed), long before the window
        (given("L01AX03", effectiveDateTime="2026-01-10T09:00:00Z"), "pass"),
        # begun at a moment this morning and in progress: under way, within the window
        (given("L01AX03", effectiveDateTime="2026-06-01T09:00:00Z"), "fail"),
        # begun three days before the window opens: perhaps still under way in it
        (given("L01AX03", effectiveDateTime="2026-03-06T09:00:00Z"), "unknown"),
        # completed on 2026-01-10 (a moment): given then, long before the window
        (given("L01AX03", "completed", effectiveDateTime="2026-01-10T09:00:00Z"), "pass"),
        # in progress but already given an end before the window: that period, as recorded
        (given("L01AX03", effectivePeriod={"start": "2026-01-10", "end": "2026-01-12"}), "pass"),
    ],
    ids=["period-start-only", "date-time", "date-time-today", "date-time-at-the-edge", "completed", "ended-period"],
)
def test_an_administration_in_progress_is_exposure_to_the_as_of_date(record: Json, expected: str) -> None:
    result = run(TMZ_LAST_12_WEEKS, [patient(), record])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def test_an_administration_in_progress_counts_its_days_to_the_as_of_date() -> None:
    """Everolimus > 31 days excludes (B-I3b's shape): in progress since 2026-05-01, on 2026-06-01 it
    has been given 32 days (05-01..06-01): excluded. On 2026-05-31, 31 days: not more than 31."""
    record = given("L01EG02", effectivePeriod={"start": "2026-05-01"})
    assert run(EVERO_OVER_31_DAYS, [patient(), record]).criteria[0].result.value == "fail"
    assert run(EVERO_OVER_31_DAYS, [patient(), record], as_of=dt.date(2026, 5, 31)).criteria[0].result.value == "pass"


def test_a_cycle_being_infused_is_a_cycle() -> None:
    """Three Lutathera cycles given and the fourth under way today: four cycles (exactly 4 passes)."""
    done = [med_admin("V10XX04", d) for d in ("2026-01-05", "2026-03-02", "2026-04-27")]
    fourth = given("V10XX04", effectiveDateTime="2026-06-01T08:00:00Z")
    assert run(FOUR_CYCLES, [patient(), *done, fourth]).criteria[0].result.value == "pass"
    assert run(FOUR_CYCLES, [patient(), *done]).criteria[0].result.value == "fail"


def test_e_e3_with_a_chemotherapy_infusion_in_progress_is_ineligible_with_no_date_opening() -> None:
    """NCT01842165 E-E3: no chemotherapy in the 12 weeks before D0. Capecitabine (ATC L01BC06) has
    been given since 2026-02-01 and is still in progress: chemotherapy within the last 12 weeks
    (fail), and, given every day while it stays so, no date within the year makes the patient
    eligible (eligibleFrom none)."""
    trial = next(t for t in load_trials() if t.id == "NCT01842165")
    cape = given("L01BC06", effectivePeriod={"start": "2026-02-01"})
    record = build_record(PatientData("p", [patient(), cape]))
    now = evaluate_trial(trial, record, dt.date(2026, 6, 1), Settings(assume_attested=True))
    assert next(c.result.value for c in now.criteria if c.id == "E-E3") == "fail"
    later = when(trial, record, dt.date(2026, 6, 1), now, Settings(assume_attested=True), 365)
    assert later.eligible_from is None
