"""Which of two answers came last when one is dated without a time of day (adversarial review 18, finding 1).

``authored`` may be a bare date (R4 dateTime). It was read as midnight UTC, so a withdrawal dated
2026-05-20 lost to any consent with a time, even one given the evening before (F1: 2026-05-19T22:00-05:00,
eligible "attested ... on 2026-05-19: yes"). A bare date may be any time of its day: it is after every
earlier day, and against a time on the same (written, local) day the order is unknowable, so the refusal
wins (docs/attestations.md, the tie rule). A leap second (23:59:60Z) was read as a bare date too.

Trial A (NCT04954820) on sample-01, every manual item answered as a coordinator would, so the consent
(A-I14, an inclusion: "no" refuses) alone decides between eligible and ineligible.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.evaluation.results import Result, Verdict
from tests.attestation_fixtures import BASE, A, coordinator_answers, evaluate_a, patient, response, top


def consent_then(consent_at: str, *later: tuple[bool, str]) -> tuple[Result, Verdict]:
    """A-I14's result and the verdict: every item answered at ``consent_at``, then each (value, authored)."""
    base = response(coordinator_answers(), authored=consent_at, rid="consent")
    answers = [response({"A-I14": v}, authored=at, rid=f"r{n}") for n, (v, at) in enumerate(later)]
    result = evaluate_a(patient(BASE, base, *answers))
    return top(result, "A-I14").result, result.verdict


def test_a_withdrawal_dated_the_next_day_beats_an_evening_consent_west_of_greenwich() -> None:
    """F1: the consent is 2026-05-19 local (03:00Z on the 20th); the bare date 2026-05-20 is a later local
    day, so the withdrawal is the latest answer: A-I14 fails, ineligible (before: midnight UTC of the 20th
    sorted before 03:00Z, eligible)."""
    assert consent_then("2026-05-19T22:00:00-05:00", (False, "2026-05-20")) == (Result.FAIL, Verdict.INELIGIBLE)


@pytest.mark.parametrize("timed", ["2026-05-20T09:00:00+00:00", "2026-05-20T23:30:00-05:00", "2026-05-20T01:00+05:00"])
def test_a_bare_date_and_a_time_on_that_day_are_unordered_and_the_refusal_wins(timed: str) -> None:
    """Either way round: a bare-date "no" against a timed "yes" that day, and a timed "no" against a bare-date
    "yes" (whatever the offset: the day is the one written). Before, the timed answer always won."""
    assert consent_then(timed, (False, "2026-05-20")) == (Result.FAIL, Verdict.INELIGIBLE)
    base = response(coordinator_answers(), authored="2026-05-01T10:00:00+00:00", rid="consent")
    yes_dated = response({"A-I14": True}, authored="2026-05-20", rid="yes")
    no_timed = response({"A-I14": False}, authored=timed, rid="no")
    consent = top(evaluate_a(patient(BASE, base, yes_dated, no_timed)), "A-I14")
    assert consent.result is Result.FAIL and consent.attestation.response == "QuestionnaireResponse/no"


def test_a_bare_date_is_after_every_earlier_day_and_before_every_later_one() -> None:
    """No over-correction: a consent renewed on a later day (bare date) wins over an earlier timed refusal,
    and a refusal timed the day after a bare-date consent wins."""
    assert consent_then("2026-05-10T10:00:00Z", (False, "2026-05-19T23:00:00-05:00"), (True, "2026-05-21")) == (
        Result.PASS,
        Verdict.ELIGIBLE,
    )
    assert consent_then("2026-05-20", (False, "2026-05-21T00:30:00+02:00")) == (Result.FAIL, Verdict.INELIGIBLE)


def test_a_leap_second_is_read_as_the_end_of_its_minute() -> None:
    """23:59:60Z (FHIR-legal) fell back to its date and sorted before that day's 09:00 consent: a withdrawal
    then lost, and a consent then lost to the morning's refusal."""
    assert consent_then("2026-05-20T09:00:00Z", (False, "2026-05-20T23:59:60Z")) == (Result.FAIL, Verdict.INELIGIBLE)
    assert consent_then("2026-05-20T08:00:00Z", (False, "2026-05-20T09:00:00Z"), (True, "2026-05-20T23:59:60.5Z")) == (
        Result.PASS,
        Verdict.ELIGIBLE,
    )


def test_attest_writes_a_bare_date_as_given_and_the_withdrawal_it_records_wins(tmp_path: Path) -> None:
    """F1b: ``attest --authored 2026-05-20`` wrote 2026-05-20T00:00:00+00:00, before a 09:00 consent that day;
    it writes the date as given (the Provenance's ``recorded``, an instant, is when the record was written)."""
    out = tmp_path / "withdrawal.json"
    args = ["attest", A, "--patient", "sample-01", "--item", "A-I14=no", "--author", "Dr X", "--authored", "2026-05-20"]
    r = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    withdrawal, prov = (e["resource"] for e in json.loads(out.read_text())["entry"])
    assert withdrawal["authored"] == "2026-05-20"
    assert "T" in prov["recorded"] and prov["recorded"][-6] in "+-"  # an instant with its offset
    consent = response(coordinator_answers(), authored="2026-05-20T09:00:00+00:00", rid="consent")
    result = evaluate_a(patient(BASE, consent, withdrawal))
    assert top(result, "A-I14").result is Result.FAIL and result.verdict is Verdict.INELIGIBLE
    r = CliRunner().invoke(cli, [*args[:-1], "2999-01-01", "-o", str(tmp_path / "future.json")])
    assert r.exit_code == 2 and "in the future" in r.output
