"""A reading adversarial review 19 found wrong, a change to sample 01 (T0 = 2026-06-01), the answer worked out
by hand from the protocol line (/work/shared/seeds) and clinical.md.

A-I12 (seed 000: negative pregnancy test "for women of childbearing potential"). clinical.md §0.11: a woman
with a coded hysterectomy or bilateral oophorectomy is not of childbearing potential. A woman of 46 with
ICD-10-CM Z90.711 (acquired absence of uterus with remaining cervical stump), Z90.710 (cervix and uterus)
or Z90.722 (ovaries, bilateral) and no pregnancy test: the test is not required, pass. Before, Z90.711 was
not read: unknown (a test to collect). Z90.712 (cervix absent, uterus kept) and Z90.721 (one ovary) leave
her able to bear children: unknown, as with nothing coded.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.evaluation.test_clinical_review import AS_OF, ATTESTED, TRIALS, A, base, condition

ACTIVE = {"coding": [{"code": "active"}]}


def _results(resources: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    out = {}
    for r in evaluate_patient(PatientData("sample-01", resources), TRIALS, AS_OF, ATTESTED):
        out.update({(r.trial, c.id): c.result.value for c in r.criteria})
    return out


# ---- A-I12 ---------------------------------------------------------------------------------------------


def _woman(*codes: str) -> list[dict[str, Any]]:
    out = base()
    for r in out:
        if r["resourceType"] == "Patient":
            r["gender"], r["birthDate"] = "female", "1980-01-01"
    return out + [condition(c, onsetDateTime="2015-01-01", clinicalStatus=ACTIVE) for c in codes]


@pytest.mark.parametrize("code", ["Z90.710", "Z90.711", "Z90.722"])
def test_a_woman_without_a_uterus_or_both_ovaries_needs_no_pregnancy_test(code: str) -> None:
    assert _results(_woman(code))[(A, "A-I12")] == "pass"


@pytest.mark.parametrize("codes", [(), ("Z90.712",), ("Z90.721",)])
def test_a_woman_with_her_uterus_or_an_ovary_still_needs_the_test(codes: tuple[str, ...]) -> None:
    assert _results(_woman(*codes))[(A, "A-I12")] == "unknown"
