"""A drug coded only by its Medication's active ingredient is that drug (Bundle and contained alike).

Found on data nobody here wrote: a MedicationAdministration naming a Medication coded by text
("TMZ caps") whose ingredient is ATC L01AX03 (temozolomide) was read as no drug, so B-I3d ("no
previous alkylating agent, ATC L01A, at any time"; closed-world for treatment history,
clinical.md §0.7) passed. Expected results are worked out from B-I3d's text.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.retrieval.assembly import assemble
from tests.cases.builders import AS_OF, ATC, patient
from tests.evaluation.test_real_semantics import BY_ID, criterion

Json = dict[str, Any]
B = BY_ID["NCT05773274"]


def tmz(ingredient: Json | None, active: bool | None = None) -> Json:
    med: Json = {"resourceType": "Medication", "id": "tmz", "code": {"text": "TMZ caps"}}
    if ingredient is not None:
        med["ingredient"] = [ingredient if active is None else {**ingredient, "isActive": active}]
    return med


def given(reference: str) -> Json:
    return {
        "resourceType": "MedicationAdministration",
        "id": "ma1",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": "2022-05-02",
        "medicationReference": {"reference": reference},
    }


R4_ITEM = {"itemCodeableConcept": {"coding": [{"system": ATC, "code": "L01AX03"}]}}
R5_ITEM = {"item": {"concept": {"coding": [{"system": ATC, "code": "L01AX03"}]}}}


def b_i3d(resources: list[Json]) -> tuple[Result, str]:
    (result,) = evaluate_patient(assemble("p", resources), [B], AS_OF)
    c = criterion(result, "B-I3d")
    return c.result, c.reason


@pytest.mark.parametrize("item", [R4_ITEM, R5_ITEM], ids=["R4", "R5"])
def test_a_medication_in_the_input_coded_by_its_ingredient(item: Json) -> None:
    result, reason = b_i3d([patient(), tmz(item), given("Medication/tmz")])
    assert result is Result.FAIL, reason  # temozolomide given in 2022: an alkylating agent
    assert "L01AX03" in reason


@pytest.mark.parametrize("item", [R4_ITEM, R5_ITEM], ids=["R4", "R5"])
def test_a_contained_medication_coded_by_its_ingredient(item: Json) -> None:
    ma = {**given("#tmz"), "contained": [tmz(item)]}
    result, reason = b_i3d([patient(), ma])
    assert result is Result.FAIL, reason


def test_an_inactive_ingredient_is_not_the_drug() -> None:
    # an excipient coded as temozolomide (isActive false) does not make the product temozolomide;
    # the product itself is named by text only, so nothing in the record says it was an alkylator
    result, reason = b_i3d([patient(), tmz(R4_ITEM, active=False), given("Medication/tmz")])
    assert result is not Result.FAIL, reason
