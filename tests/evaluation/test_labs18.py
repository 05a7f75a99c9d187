"""The most recent platelet or neutrophil count decides (clinical.md §0.3), also when it is a manual count.

Sample 01 (tests/expected_verdicts.md) has platelets 210 x 10^9/L (777-3) and ANC 3.1 x 10^9/L (751-8) on
2026-05-20. Worked out by hand from the protocols and clinical.md:

- A newer manual platelet count, LOINC 778-1 "Platelets [#/volume] in Blood by Manual count", 60 x 10^3/uL
  (= 60 x 10^9/L) on 2026-05-25, is the most recent platelet count: below A-I11 (>= 80), B-I10 (>= 80),
  C-I7 (>= 100), E-I7 (>= 100), and below D-E10's 75 (excluded): every one fails. Before, 778-1 was not
  read and the older 210 passed them all.
- The same value as 49497-1 "Platelets [#/volume] in Blood by Estimate" is a smear estimate, not a count:
  not read, the 777-3 count decides and passes (definitions: PLT_NOTE).
- A newer manual neutrophil count, LOINC 753-4, 0.9 x 10^3/uL on 2026-05-25, is below A-I11 (>= 1.5) and
  B-I9 (>= 1.0): fail. The derived ANC reads its codes from the engine (measures.concepts.NEUTROPHILS).
"""

from __future__ import annotations

from typing import Any

from tests.evaluation.test_clinical_review import A, B, C, D, E, base, results

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def count(code: str, value: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"lab18-{code}",
        "status": "final",
        "subject": {"reference": "Patient/sample-01"},
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": "2026-05-25T08:00:00Z",
        "valueQuantity": {"value": value, "unit": "10*3/uL", "system": UCUM, "code": "10*3/uL"},
    }


PLATELETS = ((A, "A-I11-plt"), (B, "B-I10"), (C, "C-I7-plt"), (D, "D-E10"), (E, "E-I7-plt"))


def test_a_newer_manual_platelet_count_decides() -> None:
    got = results([*base(), count("778-1", 60)])
    assert tuple(got[k] for k in PLATELETS) == ("fail",) * 5


def test_a_platelet_estimate_is_not_a_count() -> None:
    got = results([*base(), count("49497-1", 60)])
    assert tuple(got[k] for k in PLATELETS) == ("pass",) * 5


def test_a_newer_manual_neutrophil_count_decides() -> None:
    got = results([*base(), count("753-4", 0.9)])
    assert (got[(A, "A-I11-anc")], got[(B, "B-I9")]) == ("fail", "fail")
