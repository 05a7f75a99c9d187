"""A recorded race decides MDRD's 1.212 factor (adversarial review 19, trials A and C, finding 8).

clinical.md §1.6: MDRD-4 IDMS = 175 x SCr^-1.154 x age^-0.203 x 0.742 [female] x 1.212 [Black]; "race
unknown -> compute with and without 1.212 and decide only if both agree". By hand, a woman of 62 with
creatinine 1.4 mg/dL: 175 x 0.67822 x 0.43266 x 0.742 = 38.1 (not Black) or 46.2 (Black). A-E7a
excludes MDRD < 40: not Black fails, Black passes, unknown race is unknown. Before, race was never read.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fhir_eligibility.evaluation.derived import mdrd
from fhir_eligibility.evaluation.race import CDC_RACE, US_CORE_RACE, recorded_black
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.files import read_patients
from tests.evaluation.test_clinical_review import AS_OF, ATTESTED, SAMPLE, TRIALS, A

NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"


def _race(*codings: tuple[str, str]) -> dict[str, Any]:
    parts = [{"url": "ombCategory", "valueCoding": {"system": s, "code": c}} for s, c in codings]
    return {"url": US_CORE_RACE, "extension": [*parts, {"url": "text", "valueString": "as told"}]}


@pytest.mark.parametrize(
    ("extensions", "expected"),
    [
        ([_race((CDC_RACE, "2054-5"))], True),
        ([_race((CDC_RACE, "2106-3"))], False),
        ([_race((CDC_RACE, "2106-3"), (CDC_RACE, "2028-9"))], False),
        ([_race((CDC_RACE, "2054-5"), (CDC_RACE, "2106-3"))], None),  # several, one of them Black: both
        ([_race((NULL_FLAVOR, "UNK"))], None),  # asked, unknown
        ([_race((NULL_FLAVOR, "ASKU"), (CDC_RACE, "2106-3"))], None),
        ([{"url": US_CORE_RACE, "extension": [{"url": "text", "valueString": "White"}]}], None),  # text only
        ([], None),
    ],
)
def test_the_omb_categories_decide_and_nothing_else(extensions: list[dict[str, Any]], expected: bool | None) -> None:
    assert recorded_black({"resourceType": "Patient", "extension": extensions}) is expected


def test_the_factor_follows_the_race() -> None:
    both, white, black = (mdrd(1.4, (62, 62), "female", b) for b in (None, False, True))
    assert round(white.lo, 1) == round(white.hi, 1) == 38.1
    assert round(black.lo, 1) == round(black.hi, 1) == 46.2
    assert (both.lo, both.hi) == (white.lo, black.hi)


def _a_e7a(extensions: list[dict[str, Any]]) -> str:
    (p,) = read_patients([SAMPLE])[0]
    resources = copy.deepcopy(p.resources)
    for r in resources:
        codes = {c.get("code") for c in (r.get("code") or {}).get("coding") or []}
        if r["resourceType"] == "Patient":
            r["gender"], r["extension"] = "female", extensions
        if r["resourceType"] == "Observation" and "2160-0" in codes:
            r["valueQuantity"] = {"value": 1.4, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"}
    (result,) = [
        r for r in evaluate_patient(PatientData(p.patient_id, resources), TRIALS, AS_OF, ATTESTED) if r.trial == A
    ]
    return next(c.result.value for c in result.criteria if c.id == "A-E7a")


def test_a_recorded_race_decides_a_e7a() -> None:
    # A-E7a is an exclusion: the MDRD < 40 arm met (38.1) fails the patient, 46.2 passes
    assert _a_e7a([_race((CDC_RACE, "2106-3"))]) == "fail"
    assert _a_e7a([_race((CDC_RACE, "2054-5"))]) == "pass"
    assert _a_e7a([]) == "unknown"
