"""Adversarial review of the attestations (CDS review, findings A and C): answers that cannot be read, and
answers given to an item before a protocol amendment changed what its linkId asks.

Worked by hand on sample-01 (PRRT base patient; every computable criterion of NCT04954820 passes, 17 manual
items, no review: needs-review without answers) and sample-65 (arrhythmia I49.9 on 2026-01-10 and
uncontrolled hypertension; A-E10's arrhythmia item needs a clinician's judgement).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from fhir_eligibility.criteria.attestable import canonical, items
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Combination, Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Result, TrialResult, Verdict
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.questionnaire import questionnaire_response
from fhir_eligibility.requirements.model import Unavailable
from fhir_eligibility.retrieval.files import read_patients

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
ARRHYTHMIA = ROOT / "sample_bundles" / "65-arrhythmia-and-uncontrolled-hypertension.json"
A = "NCT04954820"
AS_OF = dt.date(2026, 6, 1)
TRIAL = load_trials(None, [A])[0]
SERVER_500 = Unavailable("QuestionnaireResponse", frozenset(), "QuestionnaireResponse search: the server answered 500")


def data_of(path: Path, *extra: dict[str, Any], unavailable: tuple[Unavailable, ...] = ()) -> PatientData:
    data = read_patients([path])[0][0]
    return PatientData(data.patient_id, [*data.resources, *extra], unavailable)


def qr(trial: Trial, pid: str, answers: dict[str, bool], rid: str, authored: str, **kw: Any) -> dict[str, Any]:
    return questionnaire_response(trial, pid, answers, author="Dr Attest", authored=authored, response_id=rid, **kw)


def evaluate(trial: Trial, data: PatientData, settings: Settings = Settings()) -> TrialResult:
    return evaluate_patient(data, [trial], AS_OF, settings)[0]


def criterion(result: TrialResult, cid: str) -> Any:
    def walk(cs: Any) -> Any:
        for c in cs:
            yield c
            yield from walk(c.children)

    found = [n for n in walk(result.criteria) if n.id == cid]
    assert found, cid
    return found[0]


# ---- A: responses unavailable ---------------------------------------------------------------------------


def test_unavailable_responses_make_the_attestable_items_unknown_never_a_better_verdict() -> None:
    """The coordinator refused consent (A-I14 = no) on 2026-05-20: ineligible. When the source could not
    deliver the QuestionnaireResponses (a 500 on the search), that 'no' is not in the data: A-I14 must not
    fall back to 'requires attestation' (needs review, and write-back's 'candidate'), but be unknown."""
    refused = qr(TRIAL, "sample-01", {"A-I14": False}, "qr-no", "2026-05-20T10:00:00+00:00")
    complete = evaluate(TRIAL, data_of(BASE, refused))
    assert complete.verdict is Verdict.INELIGIBLE and criterion(complete, "A-I14").result is Result.FAIL

    lost = evaluate(TRIAL, data_of(BASE, unavailable=(SERVER_500,)))
    consent = criterion(lost, "A-I14")
    assert consent.result is Result.UNKNOWN
    assert "attestations unavailable (QuestionnaireResponse search: the server answered 500)" in consent.reason
    assert lost.verdict is Verdict.UNDETERMINED
    assert all(c.result is not Result.MANUAL for c in lost.criteria)  # none left "awaiting attestation"
    assert criterion(lost, "A-I11-hb").result is Result.PASS  # what the data decide stays decided
    assert "recorded attestations (the patient's QuestionnaireResponses)" in {m.what for m in lost.missing_data}

    # a response that did arrive cannot stand in for the lost ones (a newer refusal may be among them)
    yes = qr(TRIAL, "sample-01", {i.link_id: i.section == "inclusion" for i in items(TRIAL)}, "qr-y", "2026-05-25")
    assert evaluate(TRIAL, data_of(BASE, yes)).verdict is Verdict.ELIGIBLE
    partial = evaluate(TRIAL, data_of(BASE, yes, unavailable=(SERVER_500,)))
    assert partial.verdict is Verdict.UNDETERMINED and criterion(partial, "A-I14").attestation is None
    # the what-if assumes attestations, not that the lost answers were favourable
    assumed = evaluate(TRIAL, data_of(BASE, unavailable=(SERVER_500,)), Settings(assume_attested=True))
    assert assumed.verdict is Verdict.UNDETERMINED and not criterion(assumed, "A-I14").attested


def test_other_unavailable_data_leave_the_answers_deciding() -> None:
    """Only lost responses make the items unknown: a lost Observation search changes no attestation."""
    obs = Unavailable("Observation", frozenset({("http://loinc.org", "718-7")}), "Observation search: timeout")
    refused = qr(TRIAL, "sample-01", {"A-I14": False}, "qr-no", "2026-05-20T10:00:00+00:00")
    result = evaluate(TRIAL, data_of(BASE, refused, unavailable=(obs,)))
    assert criterion(result, "A-I14").result is Result.FAIL and result.verdict is Verdict.INELIGIBLE


# ---- C: answers across a protocol amendment -------------------------------------------------------------


def _amended(trial: Trial) -> Trial:
    """A-E10's sub-bullets reordered by an amendment (arrhythmia listed before heart failure). Nested linkIds
    are positional, so ``characteristic[28].5`` now asks about arrhythmia and ``.6`` about heart failure."""

    def swap(c: Any) -> Any:
        if c.id != "A-E10":
            return c
        d = c.definition
        kids = list(d.children)
        hf, arr = kids[5], kids[6]
        kids[5], kids[6] = dataclasses.replace(arr, id=hf.id), dataclasses.replace(hf, id=arr.id)
        return dataclasses.replace(c, definition=Combination(d.code, d.threshold, tuple(kids)))

    return dataclasses.replace(trial, criteria=tuple(swap(c) for c in trial.criteria))


HEART_FAILURE = {
    "resourceType": "Condition",
    "id": "hf1",
    "clinicalStatus": {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
    },
    "verificationStatus": {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]
    },
    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I50.9"}]},
    "onsetDateTime": "2026-02-01",
    "recordedDate": "2026-02-01",
}


def test_an_answer_given_before_an_amendment_does_not_decide_the_item_now_at_its_linkid() -> None:
    amended = _amended(TRIAL)
    assert canonical(amended)[1] != canonical(TRIAL)[1]
    data = data_of(ARRHYTHMIA)
    pid = data.patient_id
    hf = {**HEART_FAILURE, "subject": {"reference": f"Patient/{pid}"}}
    # before the amendment the cardiologist judged the arrhythmia (then ".6") not uncontrolled: "no"
    old = qr(TRIAL, pid, {"characteristic[28].6": False}, "q1", "2026-05-28T10:00:00+00:00")
    before = evaluate(TRIAL, PatientData(pid, [*data.resources, hf, old]))
    assert criterion(before, "characteristic[28].6").result is Result.FAIL  # arrhythmia judged: not present
    assert criterion(before, "characteristic[28].5").result is Result.REVIEW  # heart failure: still open

    after = evaluate(amended, PatientData(pid, [*data.resources, hf, old]))
    heart_failure = criterion(after, "characteristic[28].6")  # now heart failure: nobody judged it
    assert heart_failure.result is Result.REVIEW and heart_failure.attestation is None
    assert "was given to another wording of this item" in heart_failure.reason
    assert "Cardiac arrhythmia" in heart_failure.reason and "amended" in heart_failure.reason
    assert criterion(after, "characteristic[28].5").result is Result.REVIEW

    # after the amendment a colleague judges the arrhythmia at its new linkId: that answer counts, the old
    # one still decides nothing, so A-E10 waits for the heart-failure judgement (it used to pass)
    new = qr(amended, pid, {"characteristic[28].5": False}, "q2", "2026-05-30T10:00:00+00:00")
    both = evaluate(amended, PatientData(pid, [*data.resources, hf, old, new]))
    assert criterion(both, "characteristic[28].5").result is Result.FAIL
    assert criterion(both, "characteristic[28].6").result is Result.REVIEW
    assert criterion(both, "A-E10").result is Result.REVIEW and both.verdict is not Verdict.ELIGIBLE


def test_a_newer_answer_to_another_wording_leaves_an_older_favourable_one_not_counting() -> None:
    """Per item the most recent answer *to its current wording* decides, but a later response written from an
    old form (another text at the linkId) may be a withdrawal: the favourable answer before it no longer
    counts, the item is open again (adversarial review 18: before, the older answer still decided)."""
    amended = _amended(TRIAL)
    data = data_of(ARRHYTHMIA)
    pid = data.patient_id
    right = qr(amended, pid, {"characteristic[28].5": False}, "q-right", "2026-05-25T10:00:00+00:00")
    stale_form = qr(TRIAL, pid, {"characteristic[28].5": True}, "q-old-form", "2026-05-29T10:00:00+00:00")
    result = evaluate(amended, PatientData(pid, [*data.resources, right, stale_form]))
    arrhythmia = criterion(result, "characteristic[28].5")
    assert arrhythmia.result is Result.REVIEW and arrhythmia.attestation is None
    assert "QuestionnaireResponse/q-old-form" in arrhythmia.reason and "another wording" in arrhythmia.reason


def test_the_questionnaire_texts_and_textless_answers_still_count() -> None:
    """The Questionnaire adds a hint to exclusion items and an EHR form may copy it; a response that writes
    no item text is taken at its linkId (nothing to compare)."""
    answers = {i.link_id: i.section == "inclusion" for i in items(TRIAL)}
    hinted = qr(TRIAL, "sample-01", answers, "q-h", "2026-05-25T10:00:00+00:00")
    for group in hinted["item"]:
        for item in group["item"]:
            if group["linkId"] == "exclusion" and "text" in item:
                item["text"] += " (yes = the excluding condition is present)"
    assert evaluate(TRIAL, data_of(BASE, hinted)).verdict is Verdict.ELIGIBLE
    textless = qr(TRIAL, "sample-01", answers, "q-t", "2026-05-25T10:00:00+00:00")
    for group in textless["item"]:
        for item in group["item"]:
            item.pop("text", None)
    assert evaluate(TRIAL, data_of(BASE, textless)).verdict is Verdict.ELIGIBLE
