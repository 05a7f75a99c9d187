"""Window bounds and FHIRPath the engine would misread are refused, not guessed.

By hand: timeFromEvent.quantity -28 d with comparator 'ad' was read as exactly day -28 (a one-day window);
a range low of -1 'yr' (not UCUM: 'a' is a year) was read as 1 day. Both are DefinitionErrors naming the
characteristic. '%resource.gender' was UNKNOWN for every patient (ValueError: %resource is not bound):
validate lists it; '%context.gender' and '%patientResources' run.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.criteria.load import DefinitionSet
from fhir_eligibility.criteria.parse import parse_windows
from fhir_eligibility.criteria.validate import validate
from fhir_eligibility.errors import DefinitionError

Json = dict[str, Any]
U = "http://unitsofmeasure.org"
SS = {"coding": [{"system": "http://hl7.org/fhir/evidence-variable-event", "code": "study-start"}]}


def _ch(tfe: Json) -> Json:
    return {"linkId": "tq", "description": "Hb", "timeFromEvent": [{"eventCodeableConcept": SS} | tfe]}


@pytest.mark.parametrize(
    "tfe",
    [
        {"quantity": {"value": -28, "comparator": "ad", "system": U, "code": "d"}},
        {"range": {"low": {"value": -1, "system": U, "code": "yr"}, "high": {"value": 0, "system": U, "code": "d"}}},
        {"quantity": {"value": -2, "comparator": "<=", "system": U, "code": "years"}},
    ],
)
def test_misread_window_bounds_are_refused(tfe: Json) -> None:
    with pytest.raises(DefinitionError, match="characteristic tq timeFromEvent"):
        parse_windows(_ch(tfe))


def test_known_window_bounds_still_parse() -> None:
    (w,) = parse_windows(_ch({"range": {"low": {"value": -48, "system": U, "code": "h"}}}))
    assert w.low is not None and w.low.unit == "h"
    (w,) = parse_windows(_ch({"quantity": {"value": -7, "system": U, "code": "d"}}))
    assert w.low == w.high


def _problems(expression: str) -> list[str]:
    ch = {
        "linkId": "fp",
        "description": "fp",
        "definitionExpression": {"language": "text/fhirpath", "expression": expression},
    }
    ev = {"resourceType": "EvidenceVariable", "id": "ev", "status": "active", "characteristic": [ch]}
    rs = {
        "resourceType": "ResearchStudy",
        "id": "NCT99000018",
        "status": "active",
        "identifier": [{"system": "https://clinicaltrials.gov", "value": "NCT99000018"}],
        "recruitment": {"eligibility": {"reference": "EvidenceVariable/ev"}},
    }
    ds = DefinitionSet()
    ds.add("ev.json", ev)
    ds.add("rs.json", rs)
    return [p.message for p in validate(ds) if "definitionExpression" in p.location]


def test_validate_lists_an_unbound_fhirpath_variable_and_a_broken_expression() -> None:
    assert any("%resource not bound" in m for m in _problems("%resource.gender = 'female'"))
    assert any("does not evaluate" in m for m in _problems("gender.where("))
    assert _problems("%context.gender = 'female'") == []
    assert _problems("%patientResources.where(resourceType='Observation').count() > 2") == []
