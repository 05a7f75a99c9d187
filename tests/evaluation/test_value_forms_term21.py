"""Terminology review 21, item 3: value forms that say two things, or a value with no number.

Trial C (NCT04837885), T0 = 2026-06-01, on sample 10. C-I7-hb: haemoglobin >= 8 g/dL, the most recent valid
result in the window (after the 4th cycle, within 28 days). Each case keeps sample 10's Hb of 80 g/L (8 g/dL,
a pass) as an older result on 2026-05-15 and changes the one on 2026-05-20. Hand-worked (clinical.md §0.3,
§0.4 "unknown unit -> undetermined", §0.16; FHIR R4 obs-6 and qty-3):

* ``valueQuantity`` 70 g/L with a ``dataAbsentReason`` too (obs-6 forbids both): whether it has a value is
  not known; a measurement all the same, so the latest value is unknown (it had read 70 g/L: a fail);
* ``valueString`` "<0.5" (no unit) and platelets "1.2 x10^9/L": numbers as text, unknown, never a fail;
* ``system`` UCUM, ``code`` g/L, ``unit`` text "g/dL", 90: the UCUM code wins (FHIR: ``unit`` is display
  text, ``code`` the computable unit): 90 g/L = 9 g/dL, a pass, with a warning that the text disagrees;
* no ``system``, ``code`` g/L and ``unit`` "g/dL", 90: neither is known to be the computable unit (qty-3:
  a code needs its system), and they differ by a factor of ten: unknown, with a warning (it had passed);
* no ``system``, ``code`` "g/dL" alone, 9: a code that parses as UCUM is read (9 g/dL, a pass); ``code``
  g/L and ``unit`` "g/l" say the same unit: read, no warning;
* ``interpretation`` L with no value: a measurement whose value is not given (below the range, which
  Hb 8 g/dL may or may not be): the latest value is unknown (it had been skipped, the older 8 g/dL passing).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fhir_eligibility.evaluation.results import Result
from tests.terminology.test_contradictory_term21 import screened_as_evaluated
from tests.terminology.test_site_termfix20 import coded, run, sample

Json = dict[str, Any]
UCUM = "http://unitsofmeasure.org"
HB, PLT = "718-7", "777-3"


def with_older(code: str) -> tuple[list[Json], Json]:
    """Sample 10 with its result of ``code`` copied to 2026-05-15; the one of 2026-05-20 to change."""
    resources = sample("10")
    latest = coded(resources, code)
    older = copy.deepcopy(latest)
    older["id"], older["effectiveDateTime"] = "older", "2026-05-15T08:30:00+00:00"
    return [*resources, older], latest


def check(resources: list[Json], criterion: str, expected: Result, said: str | None, about: str) -> None:
    found, warnings = run(resources)
    assert found[criterion].result is expected, found[criterion].reason
    if said is not None:
        assert any(w.startswith(f"Observation/{about}") and said in w for w in warnings), warnings
    screened_as_evaluated(resources)


def test_a_quantity_with_a_data_absent_reason_too_is_not_read() -> None:
    resources, hb = with_older(HB)
    hb["valueQuantity"]["value"] = 70
    hb["dataAbsentReason"] = {"coding": [{"code": "error"}]}
    check(resources, "C-I7-hb", Result.UNKNOWN, "dataAbsentReason", hb["id"])


@pytest.mark.parametrize(("code", "text"), [(HB, "<0.5"), (PLT, "1.2 x10^9/L"), (PLT, "250 x10^9/L")])
def test_a_number_as_text_is_unknown_never_a_fail(code: str, text: str) -> None:
    resources, result = with_older(code)
    del result["valueQuantity"]
    result["valueString"] = text
    check(resources, "C-I7-hb" if code == HB else "C-I7-plt", Result.UNKNOWN, "written as text", result["id"])


@pytest.mark.parametrize(
    ("quantity", "expected", "said"),
    [
        ({"value": 90, "system": UCUM, "code": "g/L", "unit": "g/dL"}, Result.PASS, "the UCUM code is read"),
        ({"value": 90, "code": "g/L", "unit": "g/dL"}, Result.UNKNOWN, "no system"),
        ({"value": 9, "code": "g/dL"}, Result.PASS, None),
        ({"value": 90, "code": "g/L", "unit": "g/l"}, Result.PASS, None),
    ],
    ids=["ucum-code-wins", "no-system-disagree", "no-system-code-only", "no-system-same-unit"],
)
def test_a_unit_code_and_its_text(quantity: Json, expected: Result, said: str | None) -> None:
    resources, hb = with_older(HB)
    hb["valueQuantity"] = quantity
    check(resources, "C-I7-hb", expected, said, hb["id"])
    if said is None:
        _, warnings = run(resources)
        assert not any(w.startswith(f"Observation/{hb['id']}") for w in warnings)


def test_an_interpretation_without_a_value_leaves_the_latest_value_unknown() -> None:
    resources, hb = with_older(HB)
    del hb["valueQuantity"]
    hb["interpretation"] = [
        {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "L"}]}
    ]
    check(resources, "C-I7-hb", Result.UNKNOWN, "interpretation", hb["id"])


def test_an_interpretation_with_a_data_absent_reason_is_no_value() -> None:
    """The reason says there is no value: skipped (clinical.md §0.16), the older 8 g/dL decides."""
    resources, hb = with_older(HB)
    del hb["valueQuantity"]
    hb["interpretation"] = [{"coding": [{"code": "L"}]}]
    hb["dataAbsentReason"] = {"coding": [{"code": "not-performed"}]}
    check(resources, "C-I7-hb", Result.PASS, None, hb["id"])
