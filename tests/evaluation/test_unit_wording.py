"""A value whose unit is not UCUM is unknown, and the reason shows the unit as the record wrote it.

A coordinator reading "unit missing" for a result that plainly says "gm/dL" cannot tell what to fix;
the site's interface team needs the spelling the lab system sends.
"""

from fhir_eligibility.criteria.model import QuantityTest, Threshold
from fhir_eligibility.evaluation.compare import compare
from fhir_eligibility.evaluation.facts import Fact, facts_of
from fhir_eligibility.logic import Truth

GE_8 = QuantityTest(comparator=">=", quantity=Threshold(8, "g/dL"))


def _hb(quantity: dict[str, object]) -> Fact:
    res = {
        "resourceType": "Observation",
        "id": "hb",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": "2026-05-20",
        "valueQuantity": quantity,
    }
    (fact,) = facts_of(res)
    return fact


def test_non_ucum_unit_is_named_as_written() -> None:
    out = compare(_hb({"value": 13.2, "unit": "grams per dL"}), GE_8)
    assert out.truth is Truth.UNKNOWN
    assert "'grams per dL' (not UCUM)" in out.reason and "missing" not in out.reason


def test_no_unit_at_all_says_missing() -> None:
    out = compare(_hb({"value": 13.2}), GE_8)
    assert out.truth is Truth.UNKNOWN
    assert "unit missing" in out.reason


def test_ucum_unit_of_another_dimension_is_named() -> None:
    out = compare(_hb({"value": 13.2, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}), GE_8)
    assert out.truth is Truth.UNKNOWN
    assert "unit mg not convertible to g/dL" in out.reason
