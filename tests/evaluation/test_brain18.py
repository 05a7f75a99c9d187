"""A-E12 and B-E2 (brain metastases) with the ICD-10-CM header C79.3, "Secondary malignant neoplasm of
brain and cerebral meninges", whose children are the brain (C79.31) and the cerebral meninges (C79.32).

Sample 01 (tests/expected_verdicts.md: no brain metastases, A-E12 and B-E2 pass) plus an active condition
with onset 2025-11-01 and no treatment of it. Worked out by hand from the protocols and clinical.md:

- C79.31 (brain) untreated fails A-E12 ("brain metastases unless treated and stable >= 24 weeks"); with a
  systemic glucocorticoid (dexamethasone, ATC H02AB02) 10 days before T0 it fails B-E2 ("off steroids for
  at least 4 weeks"); without one, B-E2 reviews it (treated, stabilised).
- C79.3 may be the brain or the meninges only: it cannot be failed as brain metastases, a person reads it:
  review in A-E12, and in B-E2 with or without the steroid. Before, C79.3 failed both as brain metastases.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.evaluation.test_clinical_review import A, B, base, condition, results


def steroid() -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "id": "dexa18",
        "status": "completed",
        "subject": {"reference": "Patient/sample-01"},
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "H02AB02"}]},
        "effectiveDateTime": "2026-05-22",
    }


@pytest.mark.parametrize(
    ("code", "with_steroid", "expected"),
    [
        ("C79.31", False, ("fail", "review")),
        ("C79.31", True, ("fail", "fail")),
        ("C79.3", False, ("review", "review")),
        ("C79.3", True, ("review", "review")),
    ],
)
def test_a_header_over_brain_and_meninges_is_reviewed(code: str, with_steroid: bool, expected: tuple[str, str]) -> None:
    mets = condition(code, onsetDateTime="2025-11-01", clinicalStatus={"coding": [{"code": "active"}]})
    got = results([*base(), mets, *([steroid()] if with_steroid else [])])
    assert (got[(A, "A-E12")], got[(B, "B-E2")]) == expected
