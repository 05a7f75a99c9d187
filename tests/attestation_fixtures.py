"""Attestation test fixtures (issue 14): trial A (NCT04954820), its sample patients and responses to its
Questionnaire, shared by test_attestations.py and the test_attestation_*.py modules.

Expected outcomes come from the rules (answer true = the statement holds as written; most recent valid answer
wins; stale, entered-in-error and stopped answers do not count) applied to hand-checked sample patients:
sample-01 (PRRT base: every computable criterion of A passes, 17 manual A criteria, no review; see
expected_verdicts.md) and sample-03 (the same with ALT 3.0 x ULN and liver metastases: A-E7b needs review).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fhir_eligibility.criteria.attestable import items
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import TrialResult
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.questionnaire import questionnaire_response
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


def coded_answer(link: str, system: str, code: str, authored: str, rid: str) -> dict[str, Any]:
    """A response answering ``link`` with a Coding (an EHR form's yes/no) instead of a boolean."""
    qr = response({link: True}, authored=authored, rid=rid)
    for group in qr["item"]:
        for item in group.get("item", []):
            if item["linkId"] == link:
                item["answer"] = [{"valueCoding": {"system": system, "code": code}}]
    return qr
