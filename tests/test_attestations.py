"""Issue 14: the attestation Questionnaire, QuestionnaireResponses as patient data, and review decisions.

Expected outcomes come from the rules (answer true = the statement holds as written; most recent valid answer
wins; stale, entered-in-error and stopped answers do not count) applied to hand-checked sample patients:
sample-01 (PRRT base: every computable criterion of A passes, 17 manual A criteria, no review; see
expected_verdicts.md) and sample-03 (the same with ALT 3.0 x ULN and liver metastases: A-E7b needs review).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.criteria.attestable import canonical, items
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Result, TrialResult, Verdict
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.json_report import report_json, trial_json
from fhir_eligibility.report.questionnaire import questionnaire, questionnaire_response
from fhir_eligibility.retrieval.files import read_patients

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_bundles"
BASE = SAMPLES / "01-prrt-ileal-net-baseline.json"
ALT_REVIEW = SAMPLES / "03-alt-3x-uln-liver-mets.json"
A = "NCT04954820"
AS_OF = dt.date(2026, 6, 1)
TRIAL = load_trials(None, [A])[0]
# A-E7b's judgement item: ALT/AST 2.5-5 x ULN with liver metastases (true = the excluding condition holds)
ALT_ITEM = "characteristic[25].3"


def coordinator_answers() -> dict[str, bool]:
    """Every manual item of A as a coordinator answers it for an eligible patient: inclusions yes, exclusions no."""
    return {i.link_id: i.section == "inclusion" for i in items(TRIAL) if i.kind == "manual"}


def response(
    answers: dict[str, bool], authored: str = "2026-05-20T10:00:00+00:00", rid: str = "qr-1", **changes: Any
) -> dict[str, Any]:
    qr = questionnaire_response(TRIAL, "sample-01", answers, author="Dr Attest", authored=authored, response_id=rid)
    return {**qr, **changes}


def patient(path: Path, *extra: dict[str, Any], pid: str | None = None) -> PatientData:
    data = read_patients([path])[0][0]
    resources = list(data.resources)
    for r in extra:
        resources.append({**r, "subject": {"reference": f"Patient/{data.patient_id}"}})
    return PatientData(pid or data.patient_id, resources)


def evaluate_a(data: PatientData, settings: Settings = Settings()) -> TrialResult:
    return evaluate_patient(data, [TRIAL], AS_OF, settings)[0]


def top(result: TrialResult, cid: str) -> Any:
    return next(c for c in result.criteria if c.id == cid)


# ---- the Questionnaire ------------------------------------------------------------------------------------


def test_questionnaire_cli_writes_valid_r4_with_one_boolean_and_one_comment_per_item(tmp_path: Path) -> None:
    from fhir.resources.R4B.questionnaire import Questionnaire

    out = tmp_path / "q.json"
    r = CliRunner().invoke(cli, ["questionnaire", A, "-o", str(out)])
    assert r.exit_code == 0, r.output
    q = json.loads(out.read_text())
    Questionnaire.model_validate(q)
    url, version = canonical(TRIAL)
    assert (q["url"], q["version"]) == (url, version) and url.endswith("eligibility-NCT04954820")
    assert [g["linkId"] for g in q["item"]] == ["inclusion", "exclusion"]
    inclusion, exclusion = ({i["linkId"]: i for i in g["item"]} for g in q["item"])
    assert inclusion["A-I14"]["type"] == "boolean" and "consent" in inclusion["A-I14"]["text"]
    assert inclusion["A-I14-comment"]["type"] == "string"
    assert "characteristic[3].1" in inclusion  # a manual part nested in the computable A-I4
    assert exclusion["A-E14"]["type"] == "boolean" and "excluding condition is present" in exclusion["A-E14"]["text"]
    assert exclusion[ALT_ITEM]["text"].startswith("Clinician judgement:")  # a data-driven review item
    assert "A-I11" not in inclusion and "A-E7a" not in exclusion  # computable, never a review: not asked
    links = [i["linkId"] for g in q["item"] for i in g["item"]]
    assert len(links) == len(set(links))


def test_every_trial_questionnaire_validates_and_the_version_follows_the_items() -> None:
    from fhir.resources.R4B.questionnaire import Questionnaire

    for t in load_trials():
        Questionnaire.model_validate(questionnaire(t))
    changed = dataclasses.replace(
        TRIAL,
        criteria=tuple(
            dataclasses.replace(c, description="Signed consent (v2)") if c.id == "A-I14" else c for c in TRIAL.criteria
        ),
    )
    assert canonical(changed)[0] == canonical(TRIAL)[0]
    assert canonical(changed)[1] != canonical(TRIAL)[1]


# ---- attest -> evaluate -----------------------------------------------------------------------------------


def test_attest_then_evaluate_round_trip_gives_eligible_with_who_and_when(tmp_path: Path) -> None:
    from fhir.resources.R4B.bundle import Bundle

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / BASE.name).write_bytes(BASE.read_bytes())
    args = ["attest", A, "--patient", "sample-01", "--author", "Dr Attest", "--authored", "2026-05-20T10:00:00Z"]
    for link, value in coordinator_answers().items():
        args += ["--item", f"{link}={'yes' if value else 'no'}"]
    args += ["--comment", "A-I6=tumour board 2026-05-18", "-o", str(folder / "attested.json")]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    written = json.loads((folder / "attested.json").read_text())
    Bundle.model_validate(written)
    assert [e["resource"]["resourceType"] for e in written["entry"]] == ["QuestionnaireResponse", "Provenance"]

    r = CliRunner().invoke(cli, ["evaluate", str(folder), "--as-of", "2026-06-01", "--trial", A, "--format", "json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)["results"][0]
    assert result["verdict"] == "eligible"
    assert result["manualOutstanding"] == [] and result["reviewOutstanding"] == []
    consent = next(c for c in result["criteria"] if c["id"] == "A-I14")
    qr_id = written["entry"][0]["resource"]["id"]
    assert consent["result"] == "pass" and "attested" not in consent  # a real answer, not the what-if
    assert consent["attestation"] == {
        "by": "Dr Attest",
        "date": "2026-05-20",
        "response": f"QuestionnaireResponse/{qr_id}",
    }
    board = next(c for c in result["criteria"] if c["id"] == "A-I6")
    assert board["evidence"][-1]["note"] == "attested by Dr Attest on 2026-05-20: tumour board 2026-05-18"


def test_attest_refuses_one_item_answered_two_ways_and_a_validity_out_of_range() -> None:
    """A typo (A-I14=yes, A-I14=no) would record a refusal, the last one winning: a usage error instead;
    so is a validity window of 0 or 10^6 days (it crashed on date arithmetic)."""
    both = ["attest", A, "--patient", "p1", "--item", "A-I14=yes", "--item", "A-I14=no", "--author", "x"]
    r = CliRunner().invoke(cli, both)
    assert r.exit_code == 2 and "given twice with different values" in r.output
    same = ["attest", A, "--patient", "p1", "--item", "A-I14=yes", "--item", "A-I14=yes", "--author", "x"]
    assert CliRunner().invoke(cli, same).exit_code == 0
    for days in ("0", "1000000", "-5"):
        r = CliRunner().invoke(cli, ["evaluate", str(SAMPLES), "--attestation-validity-days", days])
        assert r.exit_code == 2 and "attestation-validity-days" in r.output, (days, r.output)


def test_attest_refuses_an_item_the_trial_does_not_have() -> None:
    r = CliRunner().invoke(cli, ["attest", A, "--patient", "p1", "--item", "A-I99=yes", "--author", "x"])
    assert r.exit_code != 0 and "A-I99" in str(r.exception or r.output)


def test_without_answers_the_manual_criteria_are_outstanding() -> None:
    result = evaluate_a(patient(BASE))
    assert result.verdict is Verdict.NEEDS_REVIEW
    assert trial_json(result)["manualOutstanding"] == [c.id for c in result.criteria if c.result is Result.MANUAL]
    assert "A-I14" in trial_json(result)["manualOutstanding"]


def test_table_tells_the_two_kinds_of_needs_review_apart_judgement_first() -> None:
    from fhir_eligibility.evaluation.results import Report
    from fhir_eligibility.report.table import explain, verdict_table

    judged, waiting = evaluate_a(patient(ALT_REVIEW)), evaluate_a(patient(BASE))
    report = Report(AS_OF, (judged, waiting))
    assert "needs-review: 1 need a clinician's judgement of their data, 1 only await attestations" in verdict_table(
        report
    )
    lines = explain(Report(AS_OF, (judged,))).splitlines()
    review = next(i for i, line in enumerate(lines) if line.startswith("  [REVIEW] A-E7b: clinician judgement: "))
    manual = [i for i, line in enumerate(lines) if line.startswith("  [manual] ") and "awaiting attestation: " in line]
    assert manual and review < min(manual)


# ---- which answer counts ----------------------------------------------------------------------------------


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


# ---- review decisions -------------------------------------------------------------------------------------


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


# ---- real answers vs the --assume-attested what-if ---------------------------------------------------------


def test_real_answers_beat_the_what_if_and_are_never_confused_with_it() -> None:
    result = evaluate_a(patient(BASE, response({"A-I14": False})), Settings(assume_attested=True))
    consent = top(result, "A-I14")
    assert consent.result is Result.FAIL and not consent.attested and consent.attestation is not None
    assumed = top(result, "A-I15")
    assert assumed.result is Result.PASS and assumed.attested and assumed.attestation is None
    out = trial_json(result)
    assert "A-I15" in out["manualOutstanding"] and "A-I14" not in out["manualOutstanding"]
    assert out["assumedAttested"] is True


# ---- the sample patient and the entry points -------------------------------------------------------------


def test_sample_95_without_assume_attested_matches_the_hand_worked_verdicts() -> None:
    expected = json.loads((ROOT / "tests" / "expected_verdicts.json").read_text())["withoutAssumedAttestations"]
    trials = load_trials()
    for pid, per_trial in expected["expected"].items():
        data = next(p for p in read_patients([SAMPLES])[0] if p.patient_id == pid)
        got = {r.trial: r for r in evaluate_patient(data, trials, AS_OF)}
        for nct, e in per_trial.items():
            assert got[nct].verdict.value == e["verdict"], (pid, nct)
            if "manualOutstanding" in e:
                assert trial_json(got[nct])["manualOutstanding"] == e["manualOutstanding"], (pid, nct)


def _variants() -> list[PatientData]:
    """sample-97 as built, and sample-01 under other ids with answers that count, are stale, or fail."""
    out = [next(p for p in read_patients([SAMPLES])[0] if p.patient_id == "sample-97")]
    for pid, extra in (
        ("attest-ok", response(coordinator_answers())),
        ("attest-stale", response(coordinator_answers(), authored="2026-04-01T09:00:00+00:00")),
        ("attest-excluded", response(coordinator_answers() | {"A-E14": True})),
    ):
        base = patient(BASE, extra)
        resources = [({**r, "id": pid} if r["resourceType"] == "Patient" else r) for r in base.resources]
        out.append(PatientData(pid, resources))
    return out


def test_files_screening_and_cds_prefetch_give_the_same_verdicts(tmp_path: Path) -> None:
    import requests

    from fhir_eligibility.pipeline import evaluate_files
    from fhir_eligibility.screening.runner import screen_files
    from tests.service.support import (
        LiveServer,
        card_verdicts,
        emulate_prefetch,
        hook_body,
        open_config,
        post,
        with_patient_refs,
    )

    trials = load_trials()
    patients = _variants()
    # a site's export holds every type absence decides on (retrieval.reading.not_held): an allergy no
    # criterion names (penicillin), so that the export is whole and no verdict depends on it
    patients[0].resources.append(
        {
            "resourceType": "AllergyIntolerance",
            "id": "penicillin",
            "patient": {"reference": f"Patient/{patients[0].patient_id}"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "764146007"}]},
        }
    )
    ndjson = tmp_path / "export.ndjson"
    with ndjson.open("w") as fh:
        for data in patients:
            for r in with_patient_refs(data):
                fh.write(json.dumps(r) + "\n")

    from_files = {
        (r["patient"].split("/", 1)[1], r["trial"]): r["verdict"]
        for r in report_json(evaluate_files([ndjson], trials, AS_OF))["results"]
    }
    assert from_files[("sample-97", A)] == from_files[("attest-ok", A)] == "eligible"
    assert from_files[("attest-stale", A)] == "needs-review" and from_files[("attest-excluded", A)] == "ineligible"

    screening = screen_files([ndjson], trials, AS_OF, Settings(explain=False), workers=1)
    from_screening = {(p.patient_id, t.id): "ineligible" for p in patients for t in trials}
    for ts in screening.trials:
        for cand in ts.candidates:
            from_screening[(cand.patient.split("/", 1)[1], ts.trial)] = cand.verdict
    assert from_screening == from_files

    from_cards: dict[tuple[str, str], str] = {}
    with LiveServer(open_config(tmp_path, definitions=(ROOT / "definitions",))) as cds:
        prefetch = requests.get(cds.base + "/cds-services", timeout=10).json()["services"][0]["prefetch"]
        assert prefetch["questionnaireResponse"] == "QuestionnaireResponse?patient={{context.patientId}}&_count=200"
        for data in patients:
            r = post(
                cds.base + "/cds-services/trial-eligibility",
                hook_body(data.patient_id, emulate_prefetch(prefetch, data)),
            )
            assert r.status_code == 200, r.text
            cards = card_verdicts(r.json())
            for t in trials:
                from_cards[(data.patient_id, t.id)] = cards.get(t.id, "ineligible")
    assert from_cards == from_files


# ---- findings of the coordinator-loop review (2026-12-06) ----------------------------------------------

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


def _coded(link: str, system: str, code: str, authored: str, rid: str) -> dict[str, Any]:
    qr = response({link: True}, authored=authored, rid=rid)
    for group in qr["item"]:
        for item in group.get("item", []):
            if item["linkId"] == link:
                item["answer"] = [{"valueCoding": {"system": system, "code": code}}]
    return qr


def test_yes_no_written_as_a_coding_counts_and_a_later_unreadable_answer_supersedes() -> None:
    v2 = "http://terminology.hl7.org/CodeSystem/v2-0136"
    yes = _coded("A-I14", v2, "Y", "2026-05-20T10:00:00+00:00", "y")
    assert top(evaluate_a(patient(BASE, yes)), "A-I14").result is Result.PASS
    withdrawn = _coded("A-I14", v2, "N", "2026-05-25T10:00:00+00:00", "n")  # an EHR form's withdrawal
    assert top(evaluate_a(patient(BASE, response({"A-I14": True}), withdrawn)), "A-I14").result is Result.FAIL
    odd = _coded("A-I14", "http://example.org/answers", "maybe", "2026-05-25T10:00:00+00:00", "m")
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


def test_attest_writes_local_time_and_refuses_a_future_date_or_a_blank_author(tmp_path: Path, monkeypatch: Any) -> None:
    """West of Greenwich an evening answer is tomorrow in UTC; the as-of date is the local date, so
    the answer was ignored as "in the future". It is written with the local offset now."""
    import time

    monkeypatch.setenv("TZ", "Etc/GMT+12")  # UTC-12
    time.tzset()
    try:
        out = tmp_path / "qr.json"
        base = ["attest", A, "--patient", "sample-01", "--item", "A-I14=yes", "-o", str(out)]
        r = CliRunner().invoke(cli, [*base, "--author", "Dr Attest"])
        assert r.exit_code == 0, r.output
        authored = json.loads(out.read_text())["entry"][0]["resource"]["authored"]
        assert authored.endswith("-12:00") and authored[:10] == dt.date.today().isoformat()
        r = CliRunner().invoke(cli, [*base, "--author", "Dr Attest", "--authored", "2099-01-01T00:00:00Z"])
        assert r.exit_code == 2 and "in the future" in r.output
        r = CliRunner().invoke(cli, [*base, "--author", "  "])
        assert r.exit_code == 2 and "blank" in r.output
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


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
