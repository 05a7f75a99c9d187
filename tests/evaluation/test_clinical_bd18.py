"""Wrong verdicts a clinical review of trials B and D found, each a change to sample 76 (D eligible).

Sample 76 (tests/expected_verdicts.md) sits on D's limits: ECOG 1 (valueInteger), serum creatinine
1.70 mg/dL ("> 1.7 mg/dL" excludes: 1.70 does not), no heart failure; D eligible, manual items
attested. Worked out by hand from the protocol (D-E16: creatinine > 1.7 mg/dL, D-I3: ECOG 0-1,
D-E13: NYHA >= III) and clinical.md (§0.4 the native unit decides; §0.16 invalid data is a data error,
never compared):

- Creatinine written 17 mg/L (the French unit) is exactly 1.7 mg/dL: not > 1.7, D-E16 passes. Before,
  17 x 0.1 came out 1.7000000000000002 and failed it. 17.1 mg/L (1.71 mg/dL) fails.
- ECOG 7 is off the 0-5 scale: no grade, D-I3 unknown (before: fail). NYHA 5 is off the I-IV scale:
  D-E13 unknown (before: fail).
- Born 1900-01-01, the placeholder of many record systems, the patient would be 126: the age is
  unknown (B-I1, D-I2), never 126 (before, Cockcroft-Gault at age 126 failed B-I12).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.files import read_patients
from tests.evaluation.test_clinical_review import AS_OF, ATTESTED, TRIALS, B, D

SAMPLE = Path(__file__).resolve().parents[2] / "sample_bundles" / "76-d-ileal-resected-thresholds.json"
LOINC = "http://loinc.org"


def _sample() -> tuple[str, list[dict[str, Any]]]:
    (p,) = read_patients([SAMPLE])[0]
    return p.patient_id, copy.deepcopy(p.resources)


def _results(pid: str, resources: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    out = {}
    for r in evaluate_patient(PatientData(pid, resources), TRIALS, AS_OF, ATTESTED):
        out.update({(r.trial, c.id): c.result.value for c in r.criteria})
        out[(r.trial, "verdict")] = r.verdict.value
    return out


def _coded(res: dict[str, Any], code: str) -> bool:
    return any(c.get("code") == code for c in (res.get("code") or {}).get("coding") or [])


def _with(code: str, **value: Any) -> dict[tuple[str, str], str]:
    pid, resources = _sample()
    for r in resources:
        if r["resourceType"] == "Observation" and _coded(r, code):
            for k in [k for k in r if k.startswith("value")]:
                del r[k]
            r.update(value)
    return _results(pid, resources)


def test_the_sample_is_d_eligible() -> None:
    pid, resources = _sample()
    assert _results(pid, resources)[(D, "verdict")] == "eligible"


@pytest.mark.parametrize(("value", "expected"), [(17.0, "pass"), (17.1, "fail")])
def test_creatinine_in_mg_per_l_at_the_limit(value: float, expected: str) -> None:
    q = {"value": value, "unit": "mg/L", "system": "http://unitsofmeasure.org", "code": "mg/L"}
    assert _with("2160-0", valueQuantity=q)[(D, "D-E16")] == expected


def test_an_ecog_off_its_scale_is_no_grade() -> None:
    assert _with("89247-1", valueInteger=7)[(D, "D-I3")] == "unknown"


def test_a_nyha_class_off_its_scale_is_no_class() -> None:
    pid, resources = _sample()
    nyha = {
        "resourceType": "Observation",
        "id": "nyha",
        "status": "final",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": LOINC, "code": "88020-3"}]},
        "effectiveDateTime": "2026-05-20",
        "valueInteger": 5,
    }
    heart_failure = {
        "resourceType": "Condition",
        "id": "hf",
        "subject": {"reference": f"Patient/{pid}"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I50.9"}]},
        "onsetDateTime": "2025-01-10",
    }
    assert _results(pid, [*resources, heart_failure, nyha])[(D, "D-E13")] == "unknown"


def test_a_placeholder_birth_date_gives_no_age() -> None:
    pid, resources = _sample()
    for r in resources:
        if r["resourceType"] == "Patient":
            r["birthDate"] = "1900-01-01"
    got = _results(pid, resources)
    assert got[(B, "B-I1")] == "unknown" and got[(D, "D-I2")] == "unknown"
