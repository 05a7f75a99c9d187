"""A withdrawal whose item text differs slightly from the Questionnaire's (adversarial review 18, finding 2).

An answer counts only when the text its response wrote is the criterion's wording now (an amendment moves
positional linkIds). The comparison was exact after collapsing spaces, so an EHR form writing an ASCII
apostrophe for the Questionnaire's ``´``, dropping the trailing comma, changing the case or the Unicode
normalisation had its withdrawal skipped, and the older consent decided (c_withdraw_ascii_apos: A-I14 pass).
Texts are now compared as words (NFKC, case-folded, without punctuation and spaces), and whatever the text,
a later answer at the same linkId leaves an older favourable answer not counting (docs/attestations.md: a
withdrawal never leaves the old consent standing); a refusal stands.

Trial A (NCT04954820) on sample-01, every manual item answered as a coordinator would; A-I14 (consent, an
inclusion: "no" refuses) is 'Patient´s signed written informed consent,'.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from fhir_eligibility.evaluation.results import Result, Verdict
from tests.attestation_fixtures import BASE, TRIAL, coordinator_answers, evaluate_a, patient, response, top

CONSENT_TEXT = "Patient´s signed written informed consent,"


def with_text(qr: dict[str, Any], link: str, text: str) -> dict[str, Any]:
    for group in qr["item"]:
        for item in group["item"]:
            if item["linkId"] == link:
                item["text"] = text
    return qr


def test_the_consent_item_is_the_one_these_tests_reword() -> None:
    assert next(c for c in TRIAL.criteria if c.id == "A-I14").description == CONSENT_TEXT


@pytest.mark.parametrize(
    "text",
    [
        "Patient's signed written informed consent,",  # ASCII apostrophe
        "Patient´s signed written informed consent",  # trailing comma dropped
        "PATIENT´S SIGNED WRITTEN INFORMED CONSENT,",
        unicodedata.normalize("NFKD", CONSENT_TEXT),  # ´ as a space and a combining acute
        "Patient’s  signed\twritten informed consent.",  # typographic apostrophe, spacing, a full stop
        "Patient's signed written informed consent (yes = the excluding condition is present)",
    ],
)
def test_a_withdrawal_written_with_the_text_slightly_changed_is_the_latest_answer(text: str) -> None:
    consent = response(coordinator_answers(), authored="2026-05-20T10:00:00Z", rid="consent")
    withdrawal = with_text(response({"A-I14": False}, authored="2026-05-25T10:00:00Z", rid="withdrawal"), "A-I14", text)
    result = evaluate_a(patient(BASE, consent, withdrawal))
    decided = top(result, "A-I14")
    assert decided.result is Result.FAIL and result.verdict is Verdict.INELIGIBLE, decided.reason
    assert decided.attestation.response == "QuestionnaireResponse/withdrawal"


def test_a_later_answer_in_an_unrecognisable_wording_leaves_the_older_consent_not_counting() -> None:
    """ "Consent withdrawn" at A-I14's linkId: which item it answers is unknown, but it may be the withdrawal;
    the consent of the 20th no longer counts (the item is open again: manual, not eligible)."""
    consent = response(coordinator_answers(), authored="2026-05-20T10:00:00Z", rid="consent")
    other = with_text(response({"A-I14": False}, authored="2026-05-25T10:00:00Z", rid="other"), "A-I14", "Withdrawn")
    result = evaluate_a(patient(BASE, consent, other))
    decided = top(result, "A-I14")
    assert decided.result is Result.MANUAL and result.verdict is Verdict.NEEDS_REVIEW
    assert "QuestionnaireResponse/other" in decided.reason and "another wording" in decided.reason


def test_a_refusal_stands_whatever_comes_later_in_another_wording() -> None:
    refusal = response({**coordinator_answers(), "A-I14": False}, authored="2026-05-20T10:00:00Z", rid="no")
    other = with_text(response({"A-I14": True}, authored="2026-05-25T10:00:00Z", rid="other"), "A-I14", "Consented?")
    result = evaluate_a(patient(BASE, refusal, other))
    assert top(result, "A-I14").result is Result.FAIL and result.verdict is Verdict.INELIGIBLE


def test_an_older_answer_in_another_wording_leaves_the_newer_consent_deciding() -> None:
    """An answer to the wording before an amendment, older than the consent, hides nothing."""
    old = with_text(response({"A-I14": False}, authored="2026-05-10T10:00:00Z", rid="old"), "A-I14", "Tissue banking")
    consent = response(coordinator_answers(), authored="2026-05-20T10:00:00Z", rid="consent")
    result = evaluate_a(patient(BASE, old, consent))
    assert top(result, "A-I14").result is Result.PASS and result.verdict is Verdict.ELIGIBLE
