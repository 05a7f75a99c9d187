"""Which QuestionnaireResponse answer counts for a manual criterion: the most recent valid one, by study
staff, within the validity window, not entered-in-error or stopped; an old refusal stands; real
answers beat the ``--assume-attested`` what-if (fixtures: tests/attestation_fixtures.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_eligibility.criteria.attestable import canonical
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Result, Verdict
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.report.json_report import trial_json
from tests.attestation_fixtures import (
    ALT_ITEM,
    ALT_REVIEW,
    BASE,
    SAMPLES,
    TRIAL,
    coded_answer,
    coordinator_answers,
    evaluate_a,
    patient,
    response,
    top,
)


def test_an_answer_older_than_the_validity_window_is_stale() -> None:
    old = response(coordinator_answers(), authored="2026-04-01T09:00:00+00:00")
    result = evaluate_a(patient(BASE, old))  # 61 days before the as-of date, validity 30 days
    consent = top(result, "A-I14")
    assert consent.result is Result.MANUAL and consent.attestation is None
    assert "older than 30 days (stale)" in consent.reason
    assert result.verdict is Verdict.NEEDS_REVIEW
    assert evaluate_a(patient(BASE, old), Settings(attestation_validity_days=90)).verdict is Verdict.ELIGIBLE


def test_an_old_refusal_stands_and_opens_no_eligibility_date() -> None:
    """A consent refused (A-I14 = no) 61 days ago: the validity window keeps an old "yes" from counting,
    but an old "no" aging out would forecast eligibility on the day it expires (adversarial review:
    eligibleFrom 2026-06-15 and a "becoming eligible" candidate); it stands until answered again."""
    for authored in ("2026-04-01T09:00:00+00:00", "2026-05-15T09:00:00+00:00"):  # stale now; stale in 14 days
        refused = response({"A-I14": False}, authored=authored)
        result = evaluate_a(patient(BASE, refused), Settings(horizon_days=90))
        consent = top(result, "A-I14")
        assert consent.result is Result.FAIL and result.verdict is Verdict.INELIGIBLE, consent.reason
        assert result.when is not None and result.when.eligible_from is None, (authored, result.when)
    assert (
        "a refusal stands"
        in top(evaluate_a(patient(BASE, response({"A-I14": False}, authored="2026-04-01"))), "A-I14").reason
    )


def test_entered_in_error_and_stopped_responses_are_ignored() -> None:
    good = response(coordinator_answers(), rid="good")
    withdrawn = response({"A-I14": False}, authored="2026-05-28T09:00:00+00:00", rid="bad", status="entered-in-error")
    stopped = response({"A-I14": False}, authored="2026-05-29T09:00:00+00:00", rid="stop", status="stopped")
    result = evaluate_a(patient(BASE, withdrawn, good, stopped))
    assert result.verdict is Verdict.ELIGIBLE
    assert top(result, "A-I14").attestation.response == "QuestionnaireResponse/good"


def test_the_most_recent_answer_wins_whatever_the_order() -> None:
    first = response(coordinator_answers(), authored="2026-05-10T09:00:00+00:00", rid="first")
    # same day in UTC, later instant: the withdrawal of consent written in another time zone
    later = response({"A-I14": False}, authored="2026-05-10T12:00:00+02:00", rid="later")
    for order in ((first, later), (later, first)):
        result = evaluate_a(patient(BASE, *order))
        consent = top(result, "A-I14")
        assert consent.result is Result.FAIL and consent.attestation.response == "QuestionnaireResponse/later"
        assert result.verdict is Verdict.INELIGIBLE
        assert top(result, "A-I15").attestation.response == "QuestionnaireResponse/first"  # per item


def test_an_exclusion_answered_true_fails() -> None:
    result = evaluate_a(patient(BASE, response(coordinator_answers() | {"A-E14": True})))
    e14 = top(result, "A-E14")
    assert e14.result is Result.FAIL and e14.reason == "attested by Dr Attest on 2026-05-20: yes"
    assert result.verdict is Verdict.INELIGIBLE


def test_an_answer_in_the_future_of_the_as_of_date_or_without_author_does_not_count() -> None:
    future = response(coordinator_answers(), authored="2026-06-02T09:00:00+00:00")
    assert evaluate_a(patient(BASE, future)).verdict is Verdict.NEEDS_REVIEW
    anonymous = {k: v for k, v in response(coordinator_answers()).items() if k != "author"}
    result = evaluate_a(patient(BASE, anonymous))
    assert result.verdict is Verdict.NEEDS_REVIEW and "names no author" in top(result, "A-I14").reason


def test_another_questionnaire_does_not_decide_this_trial() -> None:
    other = response(coordinator_answers(), questionnaire="http://example.org/Questionnaire/other|1")
    assert evaluate_a(patient(BASE, other)).verdict is Verdict.NEEDS_REVIEW
    unversioned = response(coordinator_answers(), questionnaire=canonical(TRIAL)[0])
    assert evaluate_a(patient(BASE, unversioned)).verdict is Verdict.ELIGIBLE


def test_a_malformed_response_is_absent_data_not_a_crash() -> None:
    broken = [
        response({"A-I14": True}, item="not a list"),
        response({"A-I14": True}, rid="b2", item=[{"linkId": "A-I14", "answer": 7}, "x", {"answer": [None]}]),
        response({"A-I14": True}, rid="b3", authored="yesterday"),
        response({"A-I14": True}, rid="b4", author="Dr String"),
    ]
    result = evaluate_a(patient(BASE, *broken))
    assert result.verdict is Verdict.NEEDS_REVIEW and top(result, "A-I14").result is Result.MANUAL


def test_real_answers_beat_the_what_if_and_are_never_confused_with_it() -> None:
    result = evaluate_a(patient(BASE, response({"A-I14": False})), Settings(assume_attested=True))
    consent = top(result, "A-I14")
    assert consent.result is Result.FAIL and not consent.attested and consent.attestation is not None
    assumed = top(result, "A-I15")
    assert assumed.result is Result.PASS and assumed.attested and assumed.attestation is None
    out = trial_json(result)
    assert "A-I15" in out["manualOutstanding"] and "A-I14" not in out["manualOutstanding"]
    assert out["assumedAttested"] is True


HYPERSENSITIVITY = "characteristic[33].1"  # an item under exclusion A-E15: "yes" is the excluding answer


def test_a_stale_yes_to_an_item_under_an_exclusion_is_a_refusal_that_stands() -> None:
    """The item is no exclusion itself, but "yes" to it makes A-E15 fail: that refusal stands when it
    ages (before, it was read as a favourable answer going stale: "eligible from" a date)."""
    old_yes = response(coordinator_answers() | {HYPERSENSITIVITY: True}, authored="2026-04-01T09:00:00+00:00")
    result = evaluate_a(patient(BASE, old_yes), Settings(horizon_days=90))
    assert top(result, "A-E15").result is Result.FAIL, top(result, "A-E15").reason
    assert result.verdict is Verdict.INELIGIBLE
    assert result.when is not None and result.when.eligible_from is None


def test_a_stale_no_to_an_item_under_an_exclusion_goes_stale() -> None:
    """The favourable answer ("no hypersensitivity") of 61 days ago no longer counts: A-E15 awaits one."""
    old_no = response(coordinator_answers(), authored="2026-04-01T09:00:00+00:00")
    e15 = top(evaluate_a(patient(BASE, old_no)), "A-E15")
    assert e15.result is Result.MANUAL, e15.reason


def test_yes_no_written_as_a_coding_counts_and_a_later_unreadable_answer_supersedes() -> None:
    v2 = "http://terminology.hl7.org/CodeSystem/v2-0136"
    yes = coded_answer("A-I14", v2, "Y", "2026-05-20T10:00:00+00:00", "y")
    assert top(evaluate_a(patient(BASE, yes)), "A-I14").result is Result.PASS
    withdrawn = coded_answer("A-I14", v2, "N", "2026-05-25T10:00:00+00:00", "n")  # an EHR form's withdrawal
    assert top(evaluate_a(patient(BASE, response({"A-I14": True}), withdrawn)), "A-I14").result is Result.FAIL
    odd = coded_answer("A-I14", "http://example.org/answers", "maybe", "2026-05-25T10:00:00+00:00", "m")
    consent = top(evaluate_a(patient(BASE, response({"A-I14": True}), odd)), "A-I14")
    assert consent.result is Result.MANUAL and "not a yes/no answer" in consent.reason


def test_an_answer_nested_under_another_answer_is_read() -> None:
    qr = response({})
    qr["item"] = [{"linkId": "q", "answer": [{"valueBoolean": True, "item": [_answer_item("A-I14", True)]}]}]
    assert top(evaluate_a(patient(BASE, qr)), "A-I14").result is Result.PASS


def _answer_item(link: str, value: bool) -> dict[str, Any]:
    return {"linkId": link, "answer": [{"valueBoolean": value}]}


def test_an_answer_to_a_whole_criterion_that_is_not_an_item_decides_nothing() -> None:
    """A-E3 holds a clinician-judgement item and a manual one: "no" to A-E3 itself must not skip them."""
    qr = response({})
    qr["item"] = [_answer_item("A-E3", False)]
    e3 = top(evaluate_a(patient(BASE, qr)), "A-E3")
    assert e3.result is Result.MANUAL and e3.attestation is None


def test_a_blank_author_names_nobody_and_a_sentinel_authored_date_is_no_crash() -> None:
    blank = response(coordinator_answers(), author={"display": "   "})
    assert "names no author" in top(evaluate_a(patient(BASE, blank)), "A-I14").reason
    far = response(coordinator_answers(), authored="9999-12-31T00:00:00Z")
    result = evaluate_a(patient(BASE, far), Settings(horizon_days=30))  # before: OverflowError in the timeline
    assert top(result, "A-I14").result is Result.MANUAL


def test_a_response_authored_as_a_month_counts_from_its_last_day() -> None:
    """clinical.md §0.12: a partial date decides only where all its days agree. A response authored
    '2026-05' may have been written on the 31st: on 2026-05-25 it does not count yet (sample-01's manual
    items stay outstanding: needs-review); on 2026-05-31 it does (eligible). It goes stale from its first
    day: on 2026-06-01, 31 days after 2026-05-01, it no longer counts."""
    data = patient(SAMPLES / "01-prrt-ileal-net-baseline.json", response(coordinator_answers(), authored="2026-05"))
    on = {d: evaluate_patient(data, [TRIAL], dt.date(2026, 5, d))[0].verdict for d in (25, 31)}
    assert on == {25: Verdict.NEEDS_REVIEW, 31: Verdict.ELIGIBLE}
    assert evaluate_a(data).verdict is Verdict.NEEDS_REVIEW


@pytest.mark.parametrize(
    "author", [{"reference": "Patient/sample-03"}, {"reference": "RelatedPerson/r1", "display": "Mum"}]
)
def test_an_answer_by_the_patient_or_a_relative_does_not_count(author: dict[str, str]) -> None:
    """A clinician's judgement (A-E7b's ALT review) answered by the patient stays a review, and the
    manual items stay outstanding: eligibility is attested by study staff (docs/attestations.md)."""
    by_patient = response(coordinator_answers() | {ALT_ITEM: False}, author=author)
    result = evaluate_a(patient(ALT_REVIEW, by_patient))
    assert top(result, "A-E7b").result is Result.REVIEW and result.verdict is Verdict.NEEDS_REVIEW
    item = next(k for k in top(result, "A-E7b").children if k.id == ALT_ITEM)
    assert "attested by study staff" in item.reason
    staff = response(coordinator_answers() | {ALT_ITEM: False}, author={"reference": "Practitioner/p9"})
    assert evaluate_a(patient(ALT_REVIEW, staff)).verdict is Verdict.ELIGIBLE  # the control
