"""Results reported as a bound ("<60", ">60") or in a unit that cannot be converted (clinical.md §0.4,
§0.5): a bound decides only when every value it allows is on one side of the threshold; otherwise,
and for an unconvertible unit, the criterion is unknown, never fail.

The renal thresholds: C-I6 creatinine clearance >= 50 mL/min, E-I6 measured (51Cr-EDTA) GFR >= 50
mL/min/1.73 m2, B-I12 creatinine clearance > 50 mL/min. B-I20 (HIV allowed with an undetectable
viral load in the last 6 months): its note reads "undetectable" as coded 'not detected' or below
50 copies/mL. Every expected result is worked out by hand (screening date 2026-06-01, results dated
2026-05-20, inside every window).
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
from fhir_eligibility.evaluation.program import Program
from fhir_eligibility.evaluation.timeline import Steps
from fhir_eligibility.record import PatientData
from tests.cases.builders import ICD, LOINC, UCUM, condition, patient

Json = dict[str, Any]
AS_OF = dt.date(2026, 6, 1)
PROJECT_CS = "http://fhir-eligibility.org/fhir/CodeSystem/eligibility"
B, C, E = "NCT05773274", "NCT04837885", "NCT01842165"


@cache
def trials() -> dict[str, Trial]:
    return {t.id: t for t in load_trials()}


@cache
def program(trial: str) -> Program:
    return Program([trials()[trial]], Settings())


def result(
    code: str, value: float, unit: str, comparator: str | None, trial: str, cid: str, others: tuple[Json, ...] = ()
) -> str:
    q: Json = {"value": value, "system": UCUM, "code": unit, "unit": unit}
    if comparator:
        q["comparator"] = comparator
    system = PROJECT_CS if code == "mgfr-51cr-edta" else LOINC
    o = {
        "resourceType": "Observation",
        "id": "o",
        "status": "final",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": system, "code": code}]},
        "effectiveDateTime": "2026-05-20",
        "valueQuantity": q,
    }
    return _result(trial, cid, [o, *others])


def _result(trial: str, cid: str, resources: list[Json]) -> str:
    record = build_record(PatientData("p", [patient(gender="male"), *resources]))
    explained = next(c for c in evaluate_trial(trials()[trial], record, AS_OF, Settings()).criteria if c.id == cid)
    # screening's compiled truth-only program gives the same answer
    quick = Steps(program(trial), record).results(trials()[trial], frozenset({cid}), AS_OF)
    assert quick is not None and quick[cid] is explained.result, explained.reason
    return explained.result.value


RENAL = [
    (C, "C-I6-crcl", "2164-2", "mL/min"),
    (E, "E-I6", "mgfr-51cr-edta", "mL/min/{1.73_m2}"),
    (B, "B-I12", "2164-2", "mL/min"),
]


@pytest.mark.parametrize(("trial", "cid", "code", "unit"), RENAL, ids=[r[1] for r in RENAL])
@pytest.mark.parametrize(
    ("comparator", "value", "expected"),
    [
        ("<", 60, "unknown"),  # anything below 60: 55 meets 50, 45 does not
        ("<", 40, "fail"),  # every value below 40 is below 50
        (">", 60, "pass"),  # every value above 60 meets 50
        (">=", 40, "unknown"),  # 40 does not meet 50, 70 does
    ],
    ids=["lt60", "lt40", "gt60", "ge40"],
)
def test_a_bound_against_a_renal_threshold(
    trial: str, cid: str, code: str, unit: str, comparator: str, value: float, expected: str
) -> None:
    assert result(code, value, unit, comparator, trial, cid) == expected


@pytest.mark.parametrize(("trial", "cid", "code", "unit"), RENAL, ids=[r[1] for r in RENAL])
def test_at_most_50_against_at_least_and_more_than_50(trial: str, cid: str, code: str, unit: str) -> None:
    """<= 50: 50 itself meets ">= 50" (C-I6, E-I6) and 45 does not: unknown; no value it allows is
    "> 50" (B-I12): fail."""
    assert result(code, 50, unit, "<=", trial, cid) == ("fail" if cid == "B-I12" else "unknown")


@pytest.mark.parametrize(("trial", "cid", "code", "unit"), RENAL, ids=[r[1] for r in RENAL])
def test_an_unconvertible_unit_is_unknown(trial: str, cid: str, code: str, unit: str) -> None:
    assert result(code, 70, "mg/dL", None, trial, cid) == "unknown"  # a clearance in mg/dL: no such thing


HIV = condition(ICD, "B20", rid="hiv")


@pytest.mark.parametrize(
    ("comparator", "value", "unit", "expected"),
    [
        ("<", 60, "{copies}/mL", "unknown"),  # a limit above 50 (an older assay): not shown undetectable
        ("<", 40, "{copies}/mL", "pass"),  # below the assay's detection limit: undetectable
        ("<", 20, "{copies}/mL", "pass"),
        # a quantified 40 copies/mL was detected: "undetectable" is not "suppressed" (clinical.md B-I20:
        # detectable VL -> fail); a review found it passed under the former 50 copies/mL reading
        (None, 40, "{copies}/mL", "fail"),
        (None, 55, "{copies}/mL", "fail"),  # detectable
        (">", 60, "{copies}/mL", "fail"),  # detectable whatever the value
        (None, 1200, "{copies}/mL", "fail"),
        ("<=", 50, "{copies}/mL", "unknown"),  # 50 itself is not below 50; 30 is
        (None, 30, "[IU]/mL", "fail"),  # international units: not convertible, but a measured amount is detected
        ("<", 30, "[IU]/mL", "unknown"),  # a limit in units not convertible to copies/mL
    ],
    ids=["lt60", "lt40", "lt20", "40", "55", "gt60", "1200", "le50", "iu", "lt-iu"],
)
def test_b_i20_viral_load(comparator: str | None, value: float, unit: str, expected: str) -> None:
    assert result("20447-9", value, unit, comparator, B, "B-I20", (HIV,)) == expected


def _coded(code: str) -> list[Json]:
    return [
        HIV,
        {
            "resourceType": "Observation",
            "id": "vl",
            "status": "final",
            "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": LOINC, "code": "20447-9"}]},
            "effectiveDateTime": "2026-05-20",
            "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": code}]},
        },
    ]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("260415000", "pass"),  # Not detected
        # Detected, no amount: detectable, but a coded answer without the amount is left to collect
        ("260373001", "unknown"),
    ],
    ids=["not-detected", "detected"],
)
def test_b_i20_coded_viral_load(code: str, expected: str) -> None:
    assert _result(B, "B-I20", _coded(code)) == expected
