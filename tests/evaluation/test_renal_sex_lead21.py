"""A renal formula for a patient whose sex is not recorded as male or female (review 21, trials A/C/E,
finding 3).

clinical.md §0.10: ``Patient.gender`` other or unknown -> "compute both and decide only if both agree",
as §1.6 already does for an unknown race. By hand, a patient of 62, not Black, creatinine 1.2 mg/dL:
MDRD = 175 x 1.2^-1.154 x 62^-0.203 = 175 x 0.81032 x 0.43266 = 61.4 (male factor 1) or x 0.742 = 45.5
(female): both >= 40, so A-E7a ("MDRD < 40" excludes) passes. With 1.4 mg/dL: 175 x 0.67822 x 0.43266
= 51.4 (male) or 38.1 (female): they straddle 40, so A-E7a is unknown. Before, any gender but
male/female was unknown ("age and sex are needed") whatever the values.
"""

from __future__ import annotations

import copy

import pytest

from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.files import read_patients
from tests.evaluation.test_clinical_review import AS_OF, ATTESTED, SAMPLE, TRIALS, A
from tests.evaluation.test_race_mdrd19 import CDC_RACE, _race


def _a_e7a(gender: str | None, creatinine: float) -> tuple[str, str]:
    (p,) = read_patients([SAMPLE])[0]
    resources = copy.deepcopy(p.resources)
    for r in resources:
        codes = {c.get("code") for c in (r.get("code") or {}).get("coding") or []}
        if r["resourceType"] == "Patient":
            r.pop("gender", None)
            if gender is not None:
                r["gender"] = gender
            r["birthDate"], r["extension"] = "1964-01-15", [_race((CDC_RACE, "2106-3"))]
        if r["resourceType"] == "Observation" and "2160-0" in codes:
            r["valueQuantity"] = {
                "value": creatinine,
                "unit": "mg/dL",
                "system": "http://unitsofmeasure.org",
                "code": "mg/dL",
            }
    (result,) = [
        r for r in evaluate_patient(PatientData(p.patient_id, resources), TRIALS, AS_OF, ATTESTED) if r.trial == A
    ]
    c = next(c for c in result.criteria if c.id == "A-E7a")
    return c.result.value, c.reason


@pytest.mark.parametrize("gender", ["unknown", "other", None])
def test_both_sexes_agree_so_it_is_decided(gender: str | None) -> None:
    result, reason = _a_e7a(gender, 1.2)
    assert result == "pass"
    assert "45.52" in reason and "61.35" in reason and "both factors" in reason


@pytest.mark.parametrize("gender", ["unknown", "other", None])
def test_both_sexes_disagree_so_it_is_unknown(gender: str | None) -> None:
    assert _a_e7a(gender, 1.4)[0] == "unknown"


def test_a_recorded_sex_still_decides_alone() -> None:
    assert _a_e7a("female", 1.4)[0] == "fail"  # 38.1 < 40
    assert _a_e7a("male", 1.4)[0] == "pass"  # 51.4
    assert "both factors" not in _a_e7a("male", 1.2)[1]
