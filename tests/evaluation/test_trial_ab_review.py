"""Wrong verdicts an adversarial review reproduced on sample 01 for trials A and B, each a change to it.

Sample 01 (tests/expected_verdicts.md) is an ileal NET (C7A.012, liver metastases C7B.02, Ki-67 on file), four
Lutathera cycles 2023-01-16..2023-07-03, no HIV diagnosis and no viral load; as of 2026-06-01 with the
manual items assumed attested. Worked out by hand from the protocols and clinical.md:

- B-I20 (NCT05773274) admits HIV-positive patients only with an undetectable viral load within 6 months
  ([2025-12-01, 2026-06-01]). A quantified HIV-1 RNA (LOINC 20447-9) of 3400 copies/mL on 2026-05-20 proves
  an infection whether or not the export carries the diagnosis: fail, as with B20 coded. Before, without the
  diagnosis, "HIV infection: none recorded" passed. Undetectable results still pass without a diagnosis
  ('<20' copies/mL, coded 'Not detected', 0 copies/mL); B20 with no viral load stays unknown.
- A-I4 (NCT04954820): disease control >= 12 months after the first PRRT, so its last cycle at least 12
  calendar months before T0 (clinical.md §0.1: 12 months before 2026-06-01 is 2025-06-01). A last cycle
  on 2025-06-01 is exactly 12 months: pass; 2025-05-31 pass; 2025-06-02 is under 12 months: fail. Before,
  the inclusive window [2025-06-01, 2026-06-01] failed 2025-06-01.
- NET site codes whose site a person must read (clinical.md §2): B-I2a (midgut) with C7A.029 (large
  intestine, unspecified portion: may be the caecum or ascending colon) is review, as C7A.023 (transverse
  colon); before, fail. A-I2 (intestinal) with C7A.00 (unknown primary) is review, as B-I2a reads it;
  before, fail. C7A.019 (small intestine, unspecified: midgut) still passes B-I2a; C7A.092 (stomach)
  still fails A-I2; C7A.026 (rectum, hindgut) still fails B-I2a.
"""

from __future__ import annotations

from typing import Any

import pytest

# sample 01 as records, evaluated with every manual item assumed attested: the clinical review's helpers
from tests.evaluation.test_clinical_review import ICD10CM, A, B, base, condition, results

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def viral_load(value: dict[str, Any], day: str = "2026-05-20") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "vl",
        "status": "final",
        "subject": {"reference": "Patient/sample-01"},
        "code": {"coding": [{"system": LOINC, "code": "20447-9"}]},
        "effectiveDateTime": day,
        **value,
    }


def copies(value: float, comparator: str | None = None) -> dict[str, Any]:
    q: dict[str, Any] = {"value": value, "unit": "copies/mL", "system": UCUM, "code": "{copies}/mL"}
    if comparator:
        q["comparator"] = comparator
    return {"valueQuantity": q}


NOT_DETECTED = {"valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "260415000"}]}}


def test_sample_01_has_no_hiv_and_passes_b_i20() -> None:
    assert results(base())[(B, "B-I20")] == "pass"


@pytest.mark.parametrize("diagnosis", [False, True], ids=["no-diagnosis", "B20"])
def test_a_detectable_viral_load_fails_b_i20_with_or_without_a_diagnosis(diagnosis: bool) -> None:
    extra = [condition("B20", clinicalStatus={"coding": [{"code": "active"}]})] if diagnosis else []
    assert results([*base(), *extra, viral_load(copies(3400))])[(B, "B-I20")] == "fail"


@pytest.mark.parametrize("value", [copies(20, "<"), NOT_DETECTED, copies(0)], ids=["lt20", "not-detected", "zero"])
def test_an_undetectable_viral_load_without_a_diagnosis_passes_b_i20(value: dict[str, Any]) -> None:
    assert results([*base(), viral_load(value)])[(B, "B-I20")] == "pass"


def test_a_diagnosis_without_a_recent_viral_load_stays_unknown() -> None:
    hiv = condition("B20", clinicalStatus={"coding": [{"code": "active"}]})
    assert results([*base(), hiv])[(B, "B-I20")] == "unknown"
    assert results([*base(), hiv, viral_load(copies(20, "<"), "2025-06-15")])[(B, "B-I20")] == "unknown"


def _first_course_ending(last: str) -> list[dict[str, Any]]:
    """Sample 01 with its four cycles moved so that the last is on ``last`` (gaps < 182 days: one course)."""
    resources = base()
    cycles = sorted(
        (r for r in resources if r["resourceType"] == "MedicationAdministration"), key=lambda r: r["effectiveDateTime"]
    )
    for r, day in zip(cycles, ["2024-12-15", "2025-02-09", "2025-04-06", last], strict=True):
        r["effectiveDateTime"] = f"{day}T09:00:00+00:00"
    return resources


@pytest.mark.parametrize(
    ("last", "expected"),
    [("2025-05-31", "pass"), ("2025-06-01", "pass"), ("2025-06-02", "fail"), ("2025-09-01", "fail")],
)
def test_a_i4_the_last_first_course_cycle_12_months_ago_is_12_months(last: str, expected: str) -> None:
    out = results(_first_course_ending(last))
    assert out[(A, "A-I3")] == "pass"  # still one course of four cycles
    assert out[(A, "A-I4")] == expected


def _net_coded(code: str) -> list[dict[str, Any]]:
    resources = base()
    (net,) = (r for r in resources if r["resourceType"] == "Condition" and "C7A.012" in str(r["code"]))
    net["code"] = {"coding": [{"system": ICD10CM, "code": code}]}
    return resources


@pytest.mark.parametrize(
    ("code", "expected"),
    [("C7A.029", "review"), ("C7A.023", "review"), ("C7A.00", "review"), ("C7A.019", "pass"), ("C7A.026", "fail")],
)
def test_b_i2a_site_codes(code: str, expected: str) -> None:
    assert results(_net_coded(code))[(B, "B-I2a")] == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [("C7A.00", "review"), ("C7A.012", "pass"), ("C7A.029", "pass"), ("C7A.092", "fail")],
)
def test_a_i2_site_codes(code: str, expected: str) -> None:
    assert results(_net_coded(code))[(A, "A-I2")] == expected
