"""E-I8's "PT > 70 %" is a Quick activity. A prothrombin time reported as actual/normal (LOINC 5894-1)
in UCUM "1" is a ratio: 1.5 is a clotting time half again the normal, not 150 % activity, so it is
not convertible (unknown); it passed. A fraction in "1" still converts for other results (UCUM 1 =
100 %), and a PT given in % is read as before.

Expected results worked out by hand (screening date 2026-06-01).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Criterion
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.measures import units
from fhir_eligibility.record import PatientData
from tests.cases.builders import patient

Json = dict[str, Any]
AS_OF = dt.date(2026, 6, 1)
UCUM = "http://unitsofmeasure.org"


@cache
def pt_leaf() -> Criterion:
    trial = next(t for t in load_trials() if t.id == "NCT01842165")
    return next(c for c in trial.criteria if c.id == "E-I8-albumin-pt")


def lab(rid: str, code: str, value: float, unit: str) -> Json:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "effectiveDateTime": "2026-05-20",
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }


ALBUMIN = lab("alb", "1751-7", 4.0, "g/dL")


def result(pt: Json) -> str:
    record = build_record(PatientData("p", [patient(), ALBUMIN, pt]))
    trial = next(t for t in load_trials() if t.id == "NCT01842165")
    r = evaluate_trial(trial, record, AS_OF, Settings())
    return next(c.result.value for c in r.criteria if c.id == pt_leaf().id)


@pytest.mark.parametrize(
    ("pt", "expected"),
    [
        (lab("pt", "5894-1", 1.5, "1"), "unknown"),
        (lab("pt", "5894-1", 0.9, "1"), "unknown"),
        (lab("pt", "5894-1", 85, "%"), "pass"),
        (lab("pt", "5894-1", 60, "%"), "fail"),
    ],
    ids=["ratio-1.5", "ratio-0.9", "percent-85", "percent-60"],
)
def test_pt_ratio_is_no_percentage(pt: Json, expected: str) -> None:
    assert result(pt) == expected


def test_a_fraction_still_converts() -> None:
    loinc = "http://loinc.org"
    assert units.convert(0.7, "1", "%") == 70.0
    assert not units.ratio_as_percent(frozenset({(loinc, "29593-1")}), "1", "%")  # Ki-67 as a fraction
    assert units.ratio_as_percent(frozenset({(loinc, "5894-1")}), "1", "%")
    assert not units.ratio_as_percent(frozenset({(loinc, "5894-1")}), "%", "%")
