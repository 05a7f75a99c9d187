"""Exposure summed across records counts each treatment once (clinical.md §1.6: "merged for
overlaps"; administrations de-duplicated). Durations merge overlapping periods
(test_calendar_durations.py). Administered activity is summed per cycle: records a day or less apart
are one cycle, as cycles are counted (forms.records.episodes: the same moment written in two time
zones is two local dates a day apart). Before, only records of the same calendar day were one, so a
cycle recorded twice added its dose twice.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.record import PatientData
from tests.cases.builders import ATC, UCUM, patient

Json = dict[str, Any]
B = "NCT05773274"


@cache
def trials() -> dict[str, Trial]:
    return {t.id: t for t in load_trials()}


def lutathera(i: int, when: str, mbq: float = 7400) -> Json:
    return {
        "resourceType": "MedicationAdministration",
        "id": f"lu-{i}",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "V10XX04"}]},
        "effectiveDateTime": when,
        "dosage": {"dose": {"value": mbq, "unit": "MBq", "system": UCUM, "code": "MBq"}},
    }


def b_i3a(resources: list[Json]) -> Any:
    record = build_record(PatientData("p", [patient(), *resources]))
    result = evaluate_trial(trials()[B], record, dt.date(2026, 6, 1), Settings())
    return next(c for c in result.criteria if c.id == "B-I3a")


@pytest.mark.parametrize(
    "twice",
    [
        # one moment in two time zones: local dates 16 and 17 January
        [lutathera(1, "2023-01-16T23:30:00-05:00"), lutathera(2, "2023-01-17T04:30:00Z")],
        [lutathera(1, "2023-01-16T09:00:00Z"), lutathera(2, "2023-01-16T09:00:00Z")],  # the same day
    ],
    ids=["two-time-zones", "same-day"],
)
def test_a_cycle_recorded_twice_adds_its_activity_once(twice: list[Json]) -> None:
    """B-I3a: 3 or 4 PRRT cycles, or 22 200-29 600 MBq within 52 weeks. Two cycles of 7400 MBq, the
    first recorded twice: 2 cycles (not 3 or 4) and 14 800 MBq (below 22 200): fail. With the first
    cycle's dose counted twice the total was 22 200 MBq: pass."""
    got = b_i3a([*twice, lutathera(3, "2023-03-13T09:00:00Z")])
    assert got.result.value == "fail", got.reason


def test_cycles_weeks_apart_each_add_their_activity() -> None:
    """Three cycles of 7400 MBq eight weeks apart: 3 cycles and 22 200 MBq: pass (each cycle counts)."""
    cycles = [lutathera(i, d) for i, d in enumerate(("2023-01-16", "2023-03-13", "2023-05-08"))]
    assert b_i3a(cycles).result.value == "pass"
