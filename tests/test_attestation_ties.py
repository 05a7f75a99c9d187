"""Two answers to one item given at the same instant (adversarial review, 2026-12-07): the served form wrote
``authored`` to the second, so a consent given and withdrawn within one second tied, and the response id (a
random UUID) picked the winner. Writers now give sub-second precision; a tie that remains (site data written
to the second, a server that truncates) is settled against the patient's eligibility: the refusal, then an
answer that does not count, then a favourable one (docs/attestations.md, "Which answer counts").

Trial A (NCT04954820) on sample-01; every other manual item answered as a coordinator would, so the item
under test alone decides between eligible and not.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.evaluation.results import Result, Verdict
from tests.attestation_fixtures import BASE, coded_answer, coordinator_answers, evaluate_a, patient, response, top

SECOND = "2026-05-20T10:00:00+00:00"
HYPERSENSITIVITY = "characteristic[33].1"  # an item under exclusion A-E15: "yes" is the refusing answer


def tied(link: str, value: bool, rid: str, authored: str = SECOND) -> dict[str, Any]:
    return response({link: value}, authored=authored, rid=rid)


@pytest.mark.parametrize(("refusal_id", "favourable_id"), [("aaa", "zzz"), ("zzz", "aaa")])
@pytest.mark.parametrize(
    ("link", "refusing", "criterion"),
    [("A-I14", False, "A-I14"), ("A-E14", True, "A-E14"), (HYPERSENSITIVITY, True, "A-E15")],
)
def test_a_tie_is_settled_by_the_refusal_whatever_the_ids_and_the_order(
    link: str, refusing: bool, criterion: str, refusal_id: str, favourable_id: str
) -> None:
    """Consent (inclusion): "no" refuses; A-E14 (exclusion): "yes" refuses; the hypersensitivity item under
    exclusion A-E15: "yes" refuses. Before, the larger id won: with the favourable answer's id "zzz" the
    patient was eligible. Each order of the records too (the first read must not win either)."""
    base = response(coordinator_answers(), authored="2026-05-19T10:00:00+00:00", rid="base")
    refusal, favourable = tied(link, refusing, refusal_id), tied(link, not refusing, favourable_id)
    for order in ((refusal, favourable), (favourable, refusal)):
        result = evaluate_a(patient(BASE, base, *order))
        decided = top(result, criterion)
        assert decided.result is Result.FAIL, (order, decided.reason)
        assert result.verdict is Verdict.INELIGIBLE
        assert decided.attestation is not None
        assert decided.attestation.response == f"QuestionnaireResponse/{refusal_id}"


def test_the_same_instant_written_in_two_zones_or_precisions_is_a_tie() -> None:
    """10:00:00Z and 12:00:00.000+02:00 are one instant: a tie, not "the one with the larger id"."""
    base = response(coordinator_answers(), authored="2026-05-19T10:00:00+00:00", rid="base")
    no = tied("A-I14", False, "aaa", authored="2026-05-20T10:00:00Z")
    yes = tied("A-I14", True, "zzz", authored="2026-05-20T12:00:00.000+02:00")
    result = evaluate_a(patient(BASE, base, no, yes))
    assert top(result, "A-I14").result is Result.FAIL and result.verdict is Verdict.INELIGIBLE


def test_a_tie_with_an_answer_that_does_not_count_leaves_the_item_open() -> None:
    """A "yes" and an unreadable answer ("maybe") at one instant: not the "yes" (the item stays manual)."""
    base = response(coordinator_answers(), authored="2026-05-19T10:00:00+00:00", rid="base")
    yes = tied("A-I14", True, "zzz")
    maybe = coded_answer("A-I14", "http://example.org/answers", "maybe", SECOND, "aaa")
    consent = top(evaluate_a(patient(BASE, base, yes, maybe)), "A-I14")
    assert consent.result is Result.MANUAL and "not a yes/no answer" in consent.reason


@pytest.mark.parametrize(("first", "then", "expected"), [(True, False, Result.FAIL), (False, True, Result.PASS)])
def test_a_fraction_of_a_second_orders_two_answers(first: bool, then: bool, expected: Result) -> None:
    """A consent changed 250 ms later (a mis-click corrected): the later answer wins, either way, whatever
    the ids; only an exact tie is settled against the patient."""
    base = response(coordinator_answers(), authored="2026-05-19T10:00:00+00:00", rid="base")
    earlier = tied("A-I14", first, "zzz", authored="2026-05-20T10:00:00.250000+00:00")
    later = tied("A-I14", then, "aaa", authored="2026-05-20T10:00:00.5+00:00")
    consent = top(evaluate_a(patient(BASE, base, earlier, later)), "A-I14")
    assert consent.result is expected and consent.attestation is not None
    assert consent.attestation.response == "QuestionnaireResponse/aaa"
