"""Answers whose ``authored`` is missing or partial (review of dates, 2026-12-07; docs/attestations.md).

``authored`` is 0..1 in R4, so a response without it is valid, and a month or a year is a valid date. Before:
an undated withdrawal was ignored, so the older consent still counted (eligible in the CDS card, listed by
screen); a withdrawal dated "2026-05" was ignored on an as-of date inside May (it counted from the 31st);
a consent dated only by its year was dropped without a word; and a month was written as its first day ("on
2026-05-01", a day the record never gave). Now a refusal is read at the earliest day it may be, a consent
at the latest, an undated answer decides nothing but, unless it is a favourable one, keeps a favourable
answer from counting; the reason says why an answer did not count, and the date is written as given.

Trial A (NCT04954820) on sample-01, every other manual item answered as a coordinator would on 2026-05-19,
so A-I14 (consent: "no" refuses) alone decides between needs-review/ineligible and eligible. Expected
values worked by hand from those rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Result, Verdict
from fhir_eligibility.pipeline import build_record, evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.screening.fast import Screener
from tests.attestation_fixtures import BASE, TRIAL, coordinator_answers, patient, response, top

OTHERS = {k: v for k, v in coordinator_answers().items() if k != "A-I14"}


def _undated(qr: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in qr.items() if k != "authored"}


def _data(*consent: tuple[bool, str | None, str]) -> PatientData:
    """sample-01 with the other items answered, and A-I14 answered (value, authored or None, id) each."""
    given = [response(OTHERS, authored="2026-05-19T10:00:00+00:00", rid="others")]
    for value, authored, rid in consent:
        qr = response({"A-I14": value}, authored=authored or "2026-01-01", rid=rid)
        given.append(qr if authored is not None else _undated(qr))
    return patient(BASE, *given)


def _on(data: PatientData, day: dt.date, horizon: int = 0) -> Any:
    return evaluate_patient(data, [TRIAL], day, Settings(horizon_days=horizon))[0]


JUNE = dt.date(2026, 6, 1)


def test_the_control_a_dated_consent_alone_makes_the_patient_eligible() -> None:
    assert _on(_data((True, "2026-05-20", "yes")), JUNE).verdict is Verdict.ELIGIBLE


def test_an_undated_withdrawal_keeps_the_older_consent_from_counting() -> None:
    """Consent 2026-05-20, a "no" with no authored: it may be the later answer. A-I14 stays manual
    (needs review, not eligible), the reason names the undated refusal, and the patient's warnings say so."""
    data = _data((True, "2026-05-20", "yes"), (False, None, "no"))
    result = _on(data, JUNE)
    consent = top(result, "A-I14")
    assert consent.result is Result.MANUAL and consent.attestation is None
    assert result.verdict is Verdict.NEEDS_REVIEW
    assert "QuestionnaireResponse/no" in consent.reason and "no date" in consent.reason
    assert any("QuestionnaireResponse/no" in w and "authored" in w for w in data.warnings)


def test_an_undated_refusal_alone_decides_nothing_and_a_dated_refusal_still_decides() -> None:
    """Undated answers decide nothing (an undated "no" may be years old): manual. A dated refusal beside it
    still refuses."""
    alone = top(_on(_data((False, None, "no")), JUNE), "A-I14")
    assert alone.result is Result.MANUAL and "QuestionnaireResponse/no" in alone.reason
    dated = top(_on(_data((False, "2026-05-20", "no"), (False, None, "undated")), JUNE), "A-I14")
    assert dated.result is Result.FAIL and dated.attestation is not None


def test_an_undated_consent_does_not_count_says_why_and_hides_no_dated_consent() -> None:
    alone = top(_on(_data((True, None, "yes")), JUNE), "A-I14")
    assert alone.result is Result.MANUAL and "QuestionnaireResponse/yes" in alone.reason and "no date" in alone.reason
    both = _on(_data((True, "2026-05-20", "dated"), (True, None, "undated")), JUNE)
    assert both.verdict is Verdict.ELIGIBLE


def test_an_undated_answer_in_another_shape_keeps_the_consent_from_counting() -> None:
    """A withdrawal in an unexpected shape never leaves an old consent standing, dated or not."""
    odd = _undated(response({"A-I14": True}, rid="odd"))
    odd["item"][0]["item"][0]["answer"] = [{"valueString": "withdrawn"}]
    data = _data((True, "2026-05-20", "yes"))
    consent = top(_on(PatientData(data.patient_id, [*data.resources, odd]), JUNE), "A-I14")
    assert consent.result is Result.MANUAL and "QuestionnaireResponse/odd" in consent.reason


@pytest.mark.parametrize("day", [20, 21, 25, 31])
def test_a_withdrawal_dated_by_its_month_counts_from_the_first_day_it_may_be(day: int) -> None:
    """Consent 2026-05-20, withdrawal "2026-05": the withdrawal may be any day of May up to the as-of date, so
    on no day from the 20th is the consent certainly the later answer (on the 20th itself: a tie, the refusal
    wins): FAIL. Before, the withdrawal counted only from 05-31 and A-I14 passed on 05-20 to 05-30."""
    data = _data((True, "2026-05-20", "yes"), (False, "2026-05", "no"))
    assert top(_on(data, dt.date(2026, 5, day)), "A-I14").result is Result.FAIL


def test_a_month_dated_withdrawal_is_written_as_given() -> None:
    data = _data((True, "2026-05-20", "yes"), (False, "2026-05", "no"))
    consent = top(_on(data, dt.date(2026, 5, 25)), "A-I14")
    assert consent.reason == "attested by Dr Attest on 2026-05: no"
    assert consent.attestation is not None and consent.attestation.date == "2026-05"
    assert "2026-05-01" not in consent.reason


def test_a_month_dated_withdrawal_before_the_month_of_the_consent_does_not_refuse() -> None:
    """Read at its earliest, a refusal still cannot be after a consent dated after its whole month."""
    data = _data((False, "2026-04", "no"), (True, "2026-05-20", "yes"))
    assert _on(data, JUNE).verdict is Verdict.ELIGIBLE


def test_a_consent_dated_by_its_year_does_not_count_and_says_why() -> None:
    """b12/qy.json: "2026" may be any day to 12-31; on 06-01 it may not be written yet (read at its latest
    day), and it would be stale from 01-31 anyway. Before: dropped, the reason said only that a person must
    attest."""
    consent = top(_on(_data((True, "2026", "year")), JUNE), "A-I14")
    assert consent.result is Result.MANUAL
    assert "QuestionnaireResponse/year" in consent.reason and "2026-12-31" in consent.reason


def test_a_consent_dated_by_its_month_does_not_hide_an_older_refusal() -> None:
    """A refusal on 04-10, a consent "2026-05" on an as-of date of 05-25: the consent may not be written yet,
    and then the refusal stands: FAIL (the least favourable reading), with the consent named."""
    data = _data((False, "2026-04-10", "no"), (True, "2026-05", "yes"))
    consent = top(_on(data, dt.date(2026, 5, 25)), "A-I14")
    assert consent.result is Result.FAIL
    assert _on(data, dt.date(2026, 5, 31)).verdict is Verdict.ELIGIBLE


def test_the_timeline_reads_a_month_dated_withdrawal_as_evaluate_does() -> None:
    """Seen from 05-10 (before the consent): the withdrawal "2026-05" may be on any day of May from 05-01, so on
    no later day is the consent certainly the latest answer: A-I14 stays fail, no eligibleFrom (before: eligible
    from 05-20 until the 31st); evaluating on each day agrees."""
    data = _data((True, "2026-05-20", "yes"), (False, "2026-05", "no"))
    result = _on(data, dt.date(2026, 5, 10), horizon=60)
    assert result.when is not None and result.when.eligible_from is None
    assert not [c for c in result.when.timeline if c.criterion == "A-I14"]
    for day in (dt.date(2026, 5, 20), dt.date(2026, 5, 25), dt.date(2026, 5, 31), dt.date(2026, 6, 15)):
        assert top(_on(data, day), "A-I14").result is Result.FAIL


def test_a_month_dated_consent_timeline_matches_evaluating_each_day() -> None:
    """Consent "2026-05" (counts from its last day, stale from 05-01 + 30 days): seen from 05-25, A-I14 turns
    pass on 05-31 and back to manual on 06-01, as evaluating on each day does."""
    data = _data((True, "2026-05", "yes"))
    result = _on(data, dt.date(2026, 5, 25), horizon=30)
    assert result.when is not None
    changes = [(c.date, c.after) for c in result.when.timeline if c.criterion == "A-I14"]
    assert changes == [(dt.date(2026, 5, 31), Result.PASS), (dt.date(2026, 6, 1), Result.MANUAL)]
    assert _on(data, dt.date(2026, 5, 31)).verdict is Verdict.ELIGIBLE
    assert _on(data, dt.date(2026, 6, 1)).verdict is Verdict.NEEDS_REVIEW


def test_the_undated_response_warning_is_made_once_per_record() -> None:
    data = _data((False, None, "no"))
    build_record(data)
    build_record(data)
    assert sum("QuestionnaireResponse/no" in w for w in data.warnings) == 1


@pytest.mark.parametrize(
    ("consent", "day"),
    [
        (((True, "2026-05-20", "yes"), (False, None, "no")), JUNE),
        (((True, "2026-05-20", "yes"), (False, "2026-05", "no")), dt.date(2026, 5, 25)),
        (((True, "2026", "year"),), JUNE),
        (((True, "2026-05", "yes"),), dt.date(2026, 5, 25)),
    ],
)
def test_screening_reads_these_answers_as_evaluate_does(
    consent: tuple[tuple[bool, str | None, str], ...], day: dt.date
) -> None:
    """The compiled screener (latest_answers) and evaluate: the same verdict, results and dates."""
    settings = Settings(horizon_days=60)
    [screened] = Screener([TRIAL], day, settings).screen(_data(*consent))
    evaluated = evaluate_patient(_data(*consent), [TRIAL], day, settings)[0]
    assert screened.verdict == evaluated.verdict.value
    assert screened.results == tuple(c.result.value for c in evaluated.criteria)
    assert evaluated.when is not None
    assert screened.eligible_from == (evaluated.when.eligible_from and evaluated.when.eligible_from.isoformat())
