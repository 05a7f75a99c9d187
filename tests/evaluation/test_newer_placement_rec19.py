"""A newer result whose date cannot be placed in the window is no reason for an older one to decide
(clinical.md §0.3, §0.12). A haemoglobin dated "2026-05" may be from 05-25 (the most recent, in the
28-day window 05-04..06-01) or from 05-02 (outside it): with 13.2 g/dL on 05-20 and 7.6 g/dL "2026-05",
B-I8 (Hb >= 80 g/L) is unknown; it was decided by 13.2. A result dated only by ``effectiveTiming.event``
is dated by that event (it was undated and dropped).

Expected results worked out by hand (screening date 2026-06-01).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Criterion, ObservationValue
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.forms.observation import observation_truth
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.logic import Truth
from fhir_eligibility.record import PatientData
from tests.cases.builders import patient

Json = dict[str, Any]
AS_OF = dt.date(2026, 6, 1)
B = "NCT05773274"


@cache
def b_i8() -> Criterion:
    trial = next(t for t in load_trials() if t.id == B)
    return next(c for c in trial.criteria if c.id == "B-I8")


def hb(rid: str, value: float, **when: Any) -> Json:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
        "valueQuantity": {"value": value, "unit": "g/dL", "system": "http://unitsofmeasure.org", "code": "g/dL"},
        **when,
    }


OLDER = hb("hb-0520", 13.2, effectiveDateTime="2026-05-20T08:30:00Z")


def results(resources: list[Json]) -> tuple[str, str]:
    """(the explained result, screening's truth) of B-I8."""
    record = build_record(PatientData("p", [patient(), *resources]))
    trial = next(t for t in load_trials() if t.id == B)
    r = evaluate_trial(trial, record, AS_OF, Settings())
    explained = next(c.result.value for c in r.criteria if c.id == "B-I8")
    d = b_i8().definition
    assert isinstance(d, ObservationValue)
    truth = observation_truth(d, 1, record, AS_OF - dt.timedelta(days=28), AS_OF)
    return explained, {Truth.TRUE: "pass", Truth.FALSE: "fail", Truth.UNKNOWN: "unknown"}[truth]


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([OLDER], ("pass", "pass")),
        ([OLDER, hb("hb-month", 7.6, effectiveDateTime="2026-05")], ("unknown", "unknown")),
        # the month-dated one agrees: whichever is the latest, Hb >= 80 g/L
        ([OLDER, hb("hb-month", 12.0, effectiveDateTime="2026-05")], ("pass", "pass")),
        # alone and maybe before the window: no result in it, or 7.6
        ([hb("hb-month", 7.6, effectiveDateTime="2026-05")], ("unknown", "unknown")),
        ([OLDER, hb("hb-timing", 7.6, effectiveTiming={"event": ["2026-05-28T08:00:00Z"]})], ("fail", "fail")),
        ([hb("hb-timing", 13.2, effectiveTiming={"event": ["2026-05-28T08:00:00Z"]})], ("pass", "pass")),
    ],
    ids=["older-only", "month-newer", "month-agrees", "month-alone", "timing-newer", "timing-alone"],
)
def test_newer_result_placement(resources: list[Json], expected: tuple[str, str]) -> None:
    assert results(resources) == expected
