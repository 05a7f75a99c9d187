"""A count or a duration the engine does not evaluate is refused at load, not ignored.

By hand: "Hb > 8 g/dL in at least 2 results" with one of two results above 8 is not met; reading only the
latest result would pass it. The engine counts records (drugs, procedures, conditions) and a measurement
series only with method rising-series, so instances on another measurement, and a duration on a
measurement, an age or a derived value, are a DefinitionError naming the characteristic.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.criteria.model import ObservationValue, Records
from fhir_eligibility.criteria.parse import Parser
from fhir_eligibility.errors import DefinitionError

Json = dict[str, Any]
U = "http://unitsofmeasure.org"
HB = {"type": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]}}
HB |= {"valueQuantity": {"value": 8, "comparator": ">", "unit": "g/dL", "system": U, "code": "g/dL"}}
AGE = {
    "type": {"coding": [{"system": "http://snomed.info/sct", "code": "397669002"}]},
    "valueQuantity": {"value": 18, "comparator": ">=", "system": U, "code": "a"},
}
DRUG = {
    "type": {"coding": [{"system": "http://hl7.org/fhir/fhir-types", "code": "MedicationAdministration"}]},
    "valueCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01EG02"}]},
}
TWO = {"instancesQuantity": {"value": 2, "comparator": ">="}}
MONTH = {"durationQuantity": {"value": 30, "comparator": ">=", "system": U, "code": "d"}}


def _parse(tv: Json, extra: Json, link: str = "leaf") -> object:
    ch = {"linkId": link, "description": "x", "definitionByTypeAndValue": tv} | extra
    return Parser(lambda _ref: None).characteristic(ch, "characteristic[0]").definition


@pytest.mark.parametrize(
    ("tv", "extra"), [(HB, TWO), (HB, MONTH), (AGE, TWO), (AGE, MONTH), (HB, {"instancesRange": {"low": {"value": 2}}})]
)
def test_uncounted_leaves_are_refused_naming_the_characteristic(tv: Json, extra: Json) -> None:
    with pytest.raises(DefinitionError, match=r"characteristic hbinst .*not evaluated"):
        _parse(tv, extra, "hbinst")


def test_counts_that_are_evaluated_still_load() -> None:
    assert isinstance(_parse(DRUG, TWO), Records) and isinstance(_parse(DRUG, MONTH), Records)
    rising = HB | {
        "method": [
            {"coding": [{"system": "http://fhir-eligibility.org/fhir/CodeSystem/eligibility", "code": "rising-series"}]}
        ]
    }
    assert isinstance(_parse(rising, TWO), ObservationValue)
