"""Clinician judgements that decide a data-driven review (A-E7b's ALT with liver metastases): they keep
the data they judged, and are stale when that data came after them, in time and across time zones
(fixtures: tests/attestation_fixtures.py).
"""

from __future__ import annotations

import json

from fhir_eligibility.evaluation.results import Result, Verdict
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.json_report import trial_json
from tests.attestation_fixtures import ALT_ITEM, ALT_REVIEW, coordinator_answers, evaluate_a, patient, response, top


def test_a_review_decision_resolves_the_review_and_keeps_the_data() -> None:
    before = evaluate_a(patient(ALT_REVIEW))
    assert top(before, "A-E7b").result is Result.REVIEW
    assert trial_json(before)["reviewOutstanding"] == ["A-E7b"]

    not_excluding = response(coordinator_answers() | {ALT_ITEM: False})
    after = evaluate_a(patient(ALT_REVIEW, not_excluding))
    e7b = top(after, "A-E7b")
    assert e7b.result is Result.PASS and after.verdict is Verdict.ELIGIBLE
    item = next(k for k in e7b.children if k.id == ALT_ITEM)
    assert item.reason.startswith("clinician judgement by Dr Attest on 2026-05-20: no (data: ")
    kept = [e.reference for k in item.children for g in (k, *k.children) for e in g.evidence]
    assert any(ref and ref.startswith("Observation/") for ref in kept)  # the ALT that triggered the review stays
    assert e7b.attestation is not None

    excluding = evaluate_a(patient(ALT_REVIEW, response(coordinator_answers() | {ALT_ITEM: True})))
    assert top(excluding, "A-E7b").result is Result.FAIL and excluding.verdict is Verdict.INELIGIBLE


def test_a_review_decision_older_than_the_data_it_judged_is_stale() -> None:
    # sample-03's ALT is dated 2026-05-20: a judgement written on 2026-05-15 did not see it
    early = response(coordinator_answers() | {ALT_ITEM: False}, authored="2026-05-15T09:00:00+00:00")
    result = evaluate_a(patient(ALT_REVIEW, early))
    assert top(result, "A-E7b").result is Result.REVIEW and result.verdict is Verdict.NEEDS_REVIEW
    item = next(k for k in top(result, "A-E7b").children if k.id == ALT_ITEM)
    assert "predates" in item.reason and "(stale)" in item.reason


def test_a_judgement_is_stale_only_by_data_there_on_the_as_of_date_and_by_time_on_its_day() -> None:
    """sample-03's ALT is at 2026-05-20T08:30Z. A judgement at 07:00Z that day did not see it (stale,
    before: counted, whole dates compared); one at 10:00Z did. A result dated after the as-of date
    did not exist yet on that day: it does not make an earlier judgement stale (before: it did, so
    looking back at a past date changed its verdict)."""
    early = response(coordinator_answers() | {ALT_ITEM: False}, authored="2026-05-20T07:00:00+00:00")
    item = next(k for k in top(evaluate_a(patient(ALT_REVIEW, early)), "A-E7b").children if k.id == ALT_ITEM)
    assert "predates" in item.reason and "(stale)" in item.reason

    seen = response(coordinator_answers() | {ALT_ITEM: False}, authored="2026-05-20T10:00:00+00:00")
    later_alt = {
        "resourceType": "Observation",
        "id": "alt-later",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "1742-6"}]},
        "effectiveDateTime": "2026-06-03T09:00:00+00:00",  # after the as-of date (2026-06-01)
        "valueQuantity": {"value": 40, "unit": "U/L", "system": "http://unitsofmeasure.org", "code": "U/L"},
    }
    result = evaluate_a(patient(ALT_REVIEW, seen, later_alt))
    e7b = top(result, "A-E7b")
    assert e7b.result is Result.PASS, e7b.reason  # the judgement counts as of 06-01
    item = next(k for k in e7b.children if k.id == ALT_ITEM)
    assert "alt-later" not in item.reason


def test_a_judgement_dated_by_its_day_alone_is_not_stale_by_that_day_s_timed_result() -> None:
    """docs/attestations.md: on the answer's own day, times are compared only when both give one. A
    judgement authored '2026-05-20' (no time) beside sample-03's ALT at 2026-05-20T08:30Z: which came first
    is not known, so it counts (A-E7b passes). Before, the bare date read as midnight UTC: stale."""
    undated = response(coordinator_answers() | {ALT_ITEM: False}, authored="2026-05-20")
    e7b = top(evaluate_a(patient(ALT_REVIEW, undated)), "A-E7b")
    assert e7b.result is Result.PASS, e7b.reason
    item = next(k for k in e7b.children if k.id == ALT_ITEM)
    assert "(stale)" not in item.reason


def test_a_judgement_is_stale_by_a_result_after_it_in_time_across_time_zones() -> None:
    """A timeline review: a judgement authored 2026-05-21T00:30+05:00 (19:30Z on the 20th) before an ALT at
    2026-05-20T22:00Z counted, because the written days were compared (the 21st after the 20th); it did
    not see that result: stale. The same moment written 2026-05-20T19:30Z was already stale."""
    data = patient(ALT_REVIEW)
    for r in data.resources:
        if r.get("resourceType") == "Observation" and "1742-6" in json.dumps(r.get("code")):
            r["effectiveDateTime"] = "2026-05-20T22:00:00Z"
    for authored in ("2026-05-21T00:30:00+05:00", "2026-05-20T19:30:00+00:00"):
        judged = response(coordinator_answers() | {ALT_ITEM: False}, authored=authored)
        item = next(
            k
            for k in top(evaluate_a(PatientData(data.patient_id, [*data.resources, judged])), "A-E7b").children
            if k.id == ALT_ITEM
        )
        assert "(stale)" in item.reason, (authored, item.reason)
