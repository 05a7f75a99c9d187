"""Probes of which answer counts (attest21), trial A (NCT04954820) on sample 01, whose every computable criterion
passes and whose 17 manual items a coordinator answers (tests/attestation_fixtures.py): eligible when all count.

- Two staff members answer the consent (A-I14) in the same second, one yes, one no: which came last is unknowable,
  so the refusal wins whatever the response ids (docs/attestations.md, ties); A-I14 fails, "attested by" the one
  who refused.
- ``status``: ``completed`` and ``amended`` count, ``entered-in-error`` and ``stopped`` do not; a newer version of
  the same response (same id, ``meta.versionId`` 2) marked entered-in-error voids the one read before, and an
  amended version that turns a "no" into a "yes" replaces it: only the current version of a record is read
  (retrieval.assembly), so the older answer neither stands nor ties.
- An answer to a linkId the Questionnaire has no item for (an item of another version, a computable criterion's
  id) decides nothing and changes nothing, through the fast screener too.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Result, Verdict
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.screening.fast import Screener
from tests.attestation_fixtures import AS_OF, BASE, TRIAL, coordinator_answers, evaluate_a, patient, response, top

CONSENT = "A-I14"


def _staff(answers: dict[str, bool], rid: str, name: str, authored: str) -> dict[str, Any]:
    return response(answers, authored=authored, rid=rid, author={"reference": f"Practitioner/{name}", "display": name})


@pytest.mark.parametrize(("yes_id", "no_id"), [("qr-a", "qr-b"), ("qr-b", "qr-a")])
def test_two_staff_in_the_same_second_with_different_answers_the_refusal_wins(yes_id: str, no_id: str) -> None:
    answers = coordinator_answers()
    yes = _staff(answers, yes_id, "ada", "2026-05-20T10:00:00Z")
    no = _staff({**answers, CONSENT: False}, no_id, "bob", "2026-05-20T12:00:00+02:00")  # the same instant
    for order in ((yes, no), (no, yes)):
        consent = top(evaluate_a(patient(BASE, *order)), CONSENT)
        assert consent.result is Result.FAIL, consent.reason
        assert consent.attestation is not None and consent.attestation.by == "bob (Practitioner/bob)"
    later = _staff(answers, yes_id, "ada", "2026-05-20T10:00:00.001Z")  # a millisecond later: ordered, it counts
    assert evaluate_a(patient(BASE, later, no)).verdict is Verdict.ELIGIBLE


@pytest.mark.parametrize(
    ("status", "counts"), [("completed", True), ("amended", True), ("entered-in-error", False), ("stopped", False)]
)
def test_only_completed_and_amended_responses_count(status: str, counts: bool) -> None:
    result = evaluate_a(patient(BASE, response(coordinator_answers(), status=status)))
    assert (result.verdict is Verdict.ELIGIBLE) is counts
    assert (top(result, CONSENT).result is Result.PASS) is counts


def _bundle_with(tmp_path: Path, *responses: dict[str, Any]) -> PatientData:
    """Sample 01's transaction Bundle with the responses added as entries, read as every file is."""
    bundle = json.loads(BASE.read_text())
    pid = bundle["entry"][0]["resource"]["id"]
    for qr in responses:
        qr = {**copy.deepcopy(qr), "subject": {"reference": f"Patient/{pid}"}}
        put = {"method": "PUT", "url": f"QuestionnaireResponse/{qr['id']}"}
        bundle["entry"].append({"resource": qr, "request": put})
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    (data,) = read_patients([path])[0]
    return data


def _version(qr: dict[str, Any], number: int, **changes: Any) -> dict[str, Any]:
    return {**qr, "meta": {"versionId": str(number), "lastUpdated": f"2026-05-2{number}T10:00:00Z"}, **changes}


def test_a_newer_version_marked_entered_in_error_voids_the_response(tmp_path: Path) -> None:
    given = response(coordinator_answers(), rid="qr-v")
    assert evaluate_a(_bundle_with(tmp_path, _version(given, 1))).verdict is Verdict.ELIGIBLE
    voided = _bundle_with(tmp_path, _version(given, 1), _version(given, 2, status="entered-in-error"))
    result = evaluate_a(voided)
    assert result.verdict is Verdict.NEEDS_REVIEW and top(result, CONSENT).result is Result.MANUAL


def test_an_amended_version_replaces_the_answer_it_corrects(tmp_path: Path) -> None:
    refused = response({**coordinator_answers(), CONSENT: False}, rid="qr-v")
    corrected = response(coordinator_answers(), rid="qr-v")  # the same authored: a tie if both were read
    data = _bundle_with(tmp_path, _version(refused, 1), _version(corrected, 2, status="amended"))
    assert evaluate_a(data).verdict is Verdict.ELIGIBLE
    back = _bundle_with(tmp_path, _version(corrected, 1), _version(refused, 2, status="amended"))
    assert top(evaluate_a(back), CONSENT).result is Result.FAIL


def _with_unknown_items(qr: dict[str, Any]) -> dict[str, Any]:
    """The response with two more answers: to an item no version has (A-I99) and to a computable criterion's id
    (A-I11-hb, Hb: decided by the data, never by an answer)."""
    qr = copy.deepcopy(qr)
    unknown = [
        {"linkId": "A-I99", "text": "An item of another version", "answer": [{"valueBoolean": False}]},
        {"linkId": "A-I11-hb", "answer": [{"valueBoolean": False}]},
    ]
    qr["item"] = [*qr["item"], {"linkId": "inclusion", "item": unknown}]
    return qr


def test_an_answer_to_a_linkid_the_questionnaire_does_not_have_decides_nothing() -> None:
    plain = evaluate_a(patient(BASE, response(coordinator_answers())))
    extra = evaluate_a(patient(BASE, _with_unknown_items(response(coordinator_answers()))))
    assert plain.verdict is extra.verdict is Verdict.ELIGIBLE
    assert [(c.id, c.result, c.reason) for c in plain.criteria] == [(c.id, c.result, c.reason) for c in extra.criteria]
    only_unknown = _with_unknown_items(response({}))
    alone = evaluate_a(patient(BASE, only_unknown))
    assert alone.verdict is Verdict.NEEDS_REVIEW and top(alone, "A-I11-hb").result is Result.PASS
    screened = Screener([TRIAL], AS_OF, Settings(explain=False)).screen(patient(BASE, only_unknown))
    assert [o.verdict for o in screened] == ["needs-review"]
