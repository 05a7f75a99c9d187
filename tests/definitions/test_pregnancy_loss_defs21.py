"""A pregnancy ended by a miscarriage, a termination or an ectopic / molar pregnancy (B-E6, D-E5, A-E13), worked
out by hand from the seeds and clinical.md (T0 = 2026-06-01, attestations assumed, a woman born 1990).

Seed 003 (D) excludes "Pregnancy"; seed 001 (B) excludes pregnant women and asks breast-feeding to stop; seed 000
(A) excludes "Pregnancy or breast feeding". clinical.md VS-PREG takes the whole O chapter; the definitions read a
pregnancy Condition (Z33.1) with onset in the last 10 months as pregnant, and since the twentieth pass a delivery
(O80) also dated in those 10 months makes it a question (review: a delivery after the onset ends it, a pregnancy
begun after the delivery is a new one; the engine cannot compare the two dates for the shared outcomes).

A pregnancy ends as surely in a miscarriage (O03, SNOMED CT 17369002), an induced termination (Z33.2 encounter for
elective termination, O04 complications following it, SNOMED CT 57797005) or after an ectopic or molar pregnancy
(O08): Z33.1 from 2025-09-01 and one of these on 2026-01-10 is the same question as the delivery: review, not
fail. An ectopic or molar pregnancy or other abnormal product of conception (O00-O02, SNOMED CT 34801009,
417044008) is a pregnancy that cannot go on: she was pregnant on its date, and it ends within weeks by itself or
by treatment; one in the last 10 months is asked (review), never failed or passed on its word. A failed attempted
termination (O07) leaves the pregnancy going: still fail. A loss alone, with no pregnancy record, passes D; in B
and A it does not ask about breast-feeding as a delivery does: there is no infant to feed (an abortion is a loss
before 20 weeks in ICD-10-CM).
"""

from __future__ import annotations

import pytest

from tests.definitions.test_review_bd_defs20 import B_SAMPLE, D_SAMPLE, ICD10CM, _condition, _results

SNOMED = "http://snomed.info/sct"
B, D, A = "NCT05773274", "NCT05987176", "NCT04954820"
PREGNANT = (ICD10CM, "Z33.1", "2025-09-01")


def _ended(*codes: tuple[str, str, str]) -> dict[tuple[str, str], str]:
    return _results(B_SAMPLE, *(_condition(*c) for c in codes), woman=True)


@pytest.mark.parametrize(
    ("system", "code"),
    [
        (ICD10CM, "O03.9"),  # complete or unspecified spontaneous abortion without complication
        (SNOMED, "17369002"),  # miscarriage
        (ICD10CM, "Z33.2"),  # encounter for elective termination of pregnancy
        (ICD10CM, "O04.5"),  # genital tract and pelvic infection following (induced) termination
        (SNOMED, "57797005"),  # termination of pregnancy
        (ICD10CM, "O08.0"),  # genital tract and pelvic infection following ectopic and molar pregnancy
        (ICD10CM, "O00.90"),  # unspecified ectopic pregnancy, no intrauterine pregnancy
        (SNOMED, "34801009"),  # ectopic pregnancy
    ],
)
def test_a_pregnancy_loss_after_the_onset_is_asked_like_a_delivery(system: str, code: str) -> None:
    loss = (system, code, "2026-01-10")
    res = _ended(PREGNANT, loss)
    assert (res[(A, "A-E13")], res[(B, "B-E6")]) == ("review", "review")
    d = _results(D_SAMPLE, _condition(*PREGNANT), _condition(*loss), woman=True)
    assert d[(D, "D-E5")] == "review"


def test_a_failed_termination_leaves_the_pregnancy() -> None:
    res = _ended(PREGNANT, (ICD10CM, "O07.4", "2026-01-10"))
    assert (res[(A, "A-E13")], res[(B, "B-E6")]) == ("fail", "fail")


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        (ICD10CM, "O03.9", "pass"),  # a loss alone: not pregnant, and no infant to breast-feed
        (SNOMED, "17369002", "pass"),
        (ICD10CM, "O00.90", "review"),  # an ectopic pregnancy in the last 10 months: treated or not, a person reads
        (SNOMED, "34801009", "review"),
        (SNOMED, "417044008", "review"),  # benign hydatidiform mole (molar pregnancy)
    ],
)
def test_a_loss_or_a_non_viable_pregnancy_alone(system: str, code: str, expected: str) -> None:
    res = _ended((system, code, "2026-01-10"))
    assert (res[(A, "A-E13")], res[(B, "B-E6")]) == (expected, expected)
    d = _results(D_SAMPLE, _condition(system, code, "2026-01-10"), woman=True)
    assert d[(D, "D-E5")] == expected


def test_a_loss_over_10_months_ago_leaves_a_new_pregnancy() -> None:
    # a miscarriage on 2025-07-01 is before the 10 months; the pregnancy from 2025-09-01 is a new one
    res = _ended(PREGNANT, (ICD10CM, "O03.9", "2025-07-01"))
    assert (res[(A, "A-E13")], res[(B, "B-E6")]) == ("fail", "fail")
