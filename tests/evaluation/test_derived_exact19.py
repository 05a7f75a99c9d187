"""Values on their limits, and slips no body can have (adversarial review 19, trials A and C, findings 1 and 6).

Cockcroft-Gault by hand (clinical.md §1.6: (140 - age) x weight / (72 x SCr), men x 1):
- a man of 62 (sample 01), 60 kg, creatinine 1.3 mg/dL: 78 x 60 / 93.6 = 50 exactly. C-I6 is ">= 50":
  pass. Binary floating point gave 49.99999999999999, a fail.
- a man of 40, 68.4 kg, creatinine 1.9 mg/dL: 100 x 68.4 / 136.8 = 50 exactly. B-I12 is "> 50": fail.
  Floating point gave 50.000000000000014, a pass.
The formulas' ends are now rounded to 10 decimals, as unit conversions and ULN ratios were.
"""

from __future__ import annotations

import copy
from typing import Any

from fhir_eligibility.evaluation.derived import anc_from_differential, cockcroft_gault
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.files import read_patients
from tests.evaluation.test_clinical_review import AS_OF, ATTESTED, SAMPLE, TRIALS, A, B, C

LOINC = "http://loinc.org"


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}


def _results(weight: float, creatinine: float, birth: str | None = None) -> dict[tuple[str, str], str]:
    (p,) = read_patients([SAMPLE])[0]
    resources = copy.deepcopy(p.resources)
    for r in resources:
        codes = {c.get("code") for c in (r.get("code") or {}).get("coding") or []}
        if r["resourceType"] == "Observation" and "29463-7" in codes:
            r["valueQuantity"] = _quantity(weight, "kg")
        if r["resourceType"] == "Observation" and "2160-0" in codes:
            r["valueQuantity"] = _quantity(creatinine, "mg/dL")
        if r["resourceType"] == "Patient" and birth is not None:
            r["birthDate"] = birth
    return _every_result(p.patient_id, resources)


def _every_result(pid: str, resources: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(trial, criterion id) -> result, the nested criteria included."""
    out: dict[tuple[str, str], str] = {}
    for res in evaluate_patient(PatientData(pid, resources), TRIALS, AS_OF, ATTESTED):
        stack = list(res.criteria)
        while stack:
            c = stack.pop()
            out[(res.trial, c.id)] = c.result.value
            stack.extend(getattr(c, "children", ()) or ())
    return out


def test_the_formulas_give_the_value_worked_by_hand() -> None:
    assert cockcroft_gault(1.3, 60.0, (62, 62), "male") == (50.0, 50.0, False, False)
    assert cockcroft_gault(1.9, 68.4, (40, 40), "male") == (50.0, 50.0, False, False)
    assert anc_from_differential((4.1, 4.1), (36.6, 36.6)).lo == 1.5006  # not 1.5006000000000002


def test_a_clearance_of_exactly_50_meets_at_least_50() -> None:
    assert _results(60.0, 1.3)[(C, "C-I6-crcl")] == "pass"
    assert _results(60.0, 1.31)[(C, "C-I6-crcl")] == "fail"  # 49.6


def test_a_clearance_of_exactly_50_is_not_above_50() -> None:
    results = _results(68.4, 1.9, birth="1986-01-15")  # 40 on 2026-06-01
    assert results[(B, "B-I12")] == "fail"
    assert _results(68.4, 1.89, birth="1986-01-15")[(B, "B-I12")] == "pass"  # 50.3


def _platelets(value: float, unit: str) -> dict[tuple[str, str], str]:
    (p,) = read_patients([SAMPLE])[0]
    resources = copy.deepcopy(p.resources)
    for r in resources:
        codes = {c.get("code") for c in (r.get("code") or {}).get("coding") or []}
        if r["resourceType"] == "Observation" and "777-3" in codes:
            r["valueQuantity"] = _quantity(value, unit)
    return _every_result(p.patient_id, resources)


def test_a_platelet_count_in_thousands_sent_as_per_microlitre_is_a_data_error() -> None:
    """Finding 6: 85 "/uL" (a K/uL mapped to /uL) is 0.085 x 10^9/L, which no analyser reports: unknown
    (clinical.md §0.16), not a fail of A-I11 (>= 80 x 10^9/L) and C-I7 (>= 100). A real count converts."""
    slip = _platelets(85, "/uL")
    assert slip[(A, "A-I11-plt")] == "unknown" and slip[(C, "C-I7-plt")] == "unknown"
    real = _platelets(85000, "/uL")  # 85 x 10^9/L: A (>= 80) passes, C (>= 100) fails
    assert real[(A, "A-I11-plt")] == "pass" and real[(C, "C-I7-plt")] == "fail"


def test_the_count_floors_catch_the_thousands_slip_and_keep_real_lows() -> None:
    from fhir_eligibility.measures.plausible import implausible

    def bad(code: str, value: float, unit: str) -> bool:
        return implausible([("http://loinc.org", code)], value, unit, None, None) is not None

    assert bad("6690-2", 5.8, "/uL") and bad("777-3", 999, "/uL")  # leukocytes 5.8 K/uL, platelets 999 K/uL
    assert not bad("6690-2", 0.1, "10*9/L") and not bad("777-3", 2, "10*9/L")  # aplasia, refractory ITP
    assert not bad("751-8", 0, "10*9/L")  # agranulocytosis: a neutrophil count of 0 is reported
