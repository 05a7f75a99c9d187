"""Contradictory answers inside one response (adversarial review 18, finding 3).

The Questionnaire's items do not repeat, so a response holding linkId A-I14 twice (no, then yes) or one
item answered ``[true, false]`` is invalid FHIR (qrs-2), and nothing says which answer is the later. The
reader took the last item (so "no, yes" passed and "yes, no" failed) and the first answer of a list. Both
are now read as answers given at one instant: the tie rule settles them (docs/attestations.md: a refusal
that counts wins, then an answer that does not count, then a favourable one).

Trial A (NCT04954820) on sample-01, every other manual item answered as a coordinator would.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fhir_eligibility.evaluation.results import Result, Verdict
from tests.attestation_fixtures import BASE, coordinator_answers, evaluate_a, patient, response, top

HYPERSENSITIVITY = "characteristic[33].1"  # under exclusion A-E15: "yes" refuses


def _find(qr: dict[str, Any], link: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    for group in qr["item"]:
        for item in group["item"]:
            if item["linkId"] == link:
                return group["item"], item
    raise AssertionError(link)


def item_twice(link: str, first: bool, then: bool) -> dict[str, Any]:
    qr = response(coordinator_answers(), authored="2026-05-20T10:00:00Z", rid="twice")
    siblings, item = _find(qr, link)
    item["answer"] = [{"valueBoolean": first}]
    siblings.append({**copy.deepcopy(item), "answer": [{"valueBoolean": then}]})
    return qr


def two_answers(link: str, answers: list[dict[str, Any]]) -> dict[str, Any]:
    qr = response(coordinator_answers(), authored="2026-05-20T10:00:00Z", rid="two")
    _find(qr, link)[1]["answer"] = answers
    return qr


@pytest.mark.parametrize(("first", "then"), [(False, True), (True, False)])
@pytest.mark.parametrize(("link", "refusing", "criterion"), [("A-I14", False, "A-I14"), ("A-E14", True, "A-E14")])
def test_one_item_twice_with_two_answers_is_a_refusal_whatever_the_order(
    link: str, refusing: bool, criterion: str, first: bool, then: bool
) -> None:
    """c_dup_item_no_yes: "no" then "yes" to the consent passed (the last item won); each order now fails."""
    qr = item_twice(link, first, then)
    result = evaluate_a(patient(BASE, qr))
    assert top(result, criterion).result is Result.FAIL and result.verdict is Verdict.INELIGIBLE


@pytest.mark.parametrize("values", [[True, False], [False, True]])
def test_two_answers_to_one_item_are_a_refusal_whatever_the_order(values: list[bool]) -> None:
    """c_two_answers_one_item: ``answer: [true, false]`` passed (the first answer won); under exclusion
    A-E15 the "yes" refuses, for the consent the "no"."""
    consent = two_answers("A-I14", [{"valueBoolean": v} for v in values])
    result = evaluate_a(patient(BASE, consent))
    assert top(result, "A-I14").result is Result.FAIL and result.verdict is Verdict.INELIGIBLE
    nested = two_answers(HYPERSENSITIVITY, [{"valueBoolean": v} for v in values])
    result = evaluate_a(patient(BASE, nested))
    assert top(result, "A-E15").result is Result.FAIL and result.verdict is Verdict.INELIGIBLE


def test_a_yes_with_an_unreadable_answer_leaves_the_item_open_and_agreeing_answers_count() -> None:
    odd = {"valueCoding": {"system": "http://example.org/answers", "code": "maybe"}}
    consent = top(evaluate_a(patient(BASE, two_answers("A-I14", [{"valueBoolean": True}, odd]))), "A-I14")
    assert consent.result is Result.MANUAL and "not a yes/no answer" in consent.reason
    twice_yes = two_answers("A-I14", [{"valueBoolean": True}, {"valueBoolean": True}])
    assert evaluate_a(patient(BASE, twice_yes)).verdict is Verdict.ELIGIBLE
    assert evaluate_a(patient(BASE, item_twice("A-I14", True, True))).verdict is Verdict.ELIGIBLE


def test_a_later_response_still_supersedes_a_contradictory_one() -> None:
    """No over-correction: the contradiction is within one response; a later consent answers it again."""
    later = response({"A-I14": True}, authored="2026-05-25T10:00:00Z", rid="later")
    result = evaluate_a(patient(BASE, item_twice("A-I14", True, False), later))
    assert top(result, "A-I14").result is Result.PASS and result.verdict is Verdict.ELIGIBLE
