"""What "yes" does, said per item as the evaluation decides it (adversarial review 18, finding 4).

The Questionnaire hinted "(yes = the excluding condition is present)" by section (the item's top-level
criterion), while ``attestation.decide`` refuses by the parity of the exclusions on the path to the item. E-I5's
somatostatin-analogue judgement sits under a "must NOT hold" inside an inclusion: "yes" refuses, and the form
said nothing (F5_ssa_yes: a clinician who knew the analogue was short-acting answered yes, ineligible). The hCG
judgement item of the pregnancy-test inclusion ("pregnancy or tumour hCG, a clinician decides") is no yes/no
statement: its "yes" (acceptable) counts, while the pregnancy exclusion's "yes" rules out (F6_hcg_no_no). Each
item now says what its yes does, by the same parity.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.criteria.attestable import items
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Combination, Criterion, Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Result, TrialResult
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.questionnaire import questionnaire, questionnaire_response
from fhir_eligibility.retrieval.files import read_patients

SAMPLES = Path(__file__).resolve().parents[1] / "sample_bundles"
AS_OF = dt.date(2026, 6, 1)
RULES_OUT = "rules the patient out"
COUNTS = "counts toward eligibility"


def _parities(trial: Trial) -> dict[str, int]:
    """The exclusions on the path to each node, its own included (evaluation.combination._evaluate_node)."""
    out: dict[str, int] = {}

    def walk(c: Criterion, parity: int) -> None:
        here = parity + (1 if c.exclude else 0)
        out.setdefault(c.id, here)
        if isinstance(c.definition, Combination):
            for k in c.definition.children:
                walk(k, here)

    for top in trial.criteria:
        walk(top, 0)
    return out


def _texts(trial: Trial) -> dict[str, str]:
    return {i["linkId"]: i["text"] for g in questionnaire(trial)["item"] for i in g["item"] if i["type"] == "boolean"}


@pytest.mark.parametrize("trial", load_trials(), ids=lambda t: t.id)
def test_every_item_says_what_its_yes_does_by_the_parity_that_decides(trial: Trial) -> None:
    parity, texts = _parities(trial), _texts(trial)
    for i in items(trial):
        text = texts[i.link_id]
        refuses = parity[i.link_id] % 2 == 1
        assert (RULES_OUT in text, COUNTS in text) == (refuses, not refuses), (i.link_id, text)
        assert ("you judge" in text) is (i.kind == "review")


def _evaluate(sample: str, trial_id: str, answers: dict[str, bool], change: Any = None) -> TrialResult:
    trial = load_trials(None, [trial_id])[0]
    data = read_patients([next(SAMPLES.glob(f"{sample}-*.json"))])[0][0]
    resources = [change(r) if change else r for r in data.resources]
    qr = questionnaire_response(
        trial, data.patient_id, answers, author="Dr X", authored="2026-05-31T10:00:00Z", response_id="qr"
    )
    return evaluate_patient(PatientData(data.patient_id, [*resources, qr]), [trial], AS_OF, Settings())[0]


def _top(result: TrialResult, cid: str) -> Result:
    return next(c for c in result.criteria if c.id == cid).result


def _no_route(r: dict[str, Any]) -> dict[str, Any]:
    """F5: sample-92's octreotide without its route and dose, so its acting time is for a clinician to judge."""
    if r.get("resourceType") == "MedicationAdministration" and "H01CB02" in str(r.get("medicationCodeableConcept")):
        return {
            **r,
            "dosage": {},
            "medicationCodeableConcept": {**r["medicationCodeableConcept"], "text": "Octreotide"},
        }
    return r


def test_the_somatostatin_judgement_under_a_must_not_says_yes_rules_out_as_it_does() -> None:
    ssa = "characteristic[4].0.2"
    assert RULES_OUT in _texts(load_trials(None, ["NCT01842165"])[0])[ssa]  # before: no hint at all
    assert _top(_evaluate("92", "NCT01842165", {}, _no_route), "E-I5") is Result.REVIEW
    assert _top(_evaluate("92", "NCT01842165", {ssa: True}, _no_route), "E-I5") is Result.FAIL
    assert _top(_evaluate("92", "NCT01842165", {ssa: False}, _no_route), "E-I5") is Result.PASS


@pytest.mark.parametrize(
    ("trial_id", "inclusion", "include_item", "exclusion", "exclude_item"),
    [
        ("NCT04954820", "A-I12", "characteristic[13].3", "A-E13", "characteristic[31].3"),
        ("NCT01842165", "E-I10-hcg", "characteristic[14].2", "E-E8", "characteristic[25].3"),
    ],
)
def test_the_hcg_judgements_say_what_yes_means_and_tumour_hcg_answered_so_passes(
    trial_id: str, inclusion: str, include_item: str, exclusion: str, exclude_item: str
) -> None:
    """F6: sample-37 (a woman of childbearing potential) with a quantitative hCG of 12 IU/L. A clinician who
    judges it tumour hCG answers as the hints say: "acceptable" yes to the inclusion's item, "excluding
    condition present" no to the exclusion's: both criteria pass (no/no had failed the inclusion, unhinted)."""
    texts = _texts(load_trials(None, [trial_id])[0])
    assert "you judge it acceptable" in texts[include_item] and COUNTS in texts[include_item]
    assert RULES_OUT in texts[exclude_item]
    hcg = {
        "resourceType": "Observation",
        "id": "hcg1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "19080-1"}]},
        "subject": {"reference": "Patient/sample-37"},
        "effectiveDateTime": "2026-05-30T09:00:00+00:00",
        "valueQuantity": {"value": 12, "unit": "IU/L", "system": "http://unitsofmeasure.org", "code": "[IU]/L"},
    }
    trial = load_trials(None, [trial_id])[0]
    data = read_patients([next(SAMPLES.glob("37-*.json"))])[0][0]
    tumour = questionnaire_response(
        trial,
        data.patient_id,
        {include_item: True, exclude_item: False},
        author="Dr X",
        authored="2026-05-31T10:00:00Z",
        response_id="qr",
    )
    result = evaluate_patient(PatientData(data.patient_id, [*data.resources, hcg, tumour]), [trial], AS_OF, Settings())[
        0
    ]
    assert (_top(result, inclusion), _top(result, exclusion)) == (Result.PASS, Result.PASS)


def test_a_response_copying_the_hint_into_the_item_text_still_counts() -> None:
    """An EHR importing the Questionnaire writes its text, hint included: compared without it."""
    trial = load_trials(None, ["NCT04954820"])[0]
    texts = _texts(trial)
    qr = questionnaire_response(
        trial,
        "sample-01",
        {"A-I14": True, "A-E14": False},
        author="Dr X",
        authored="2026-05-31T10:00:00Z",
        response_id="qr",
    )
    for group in qr["item"]:
        for item in group["item"]:
            item["text"] = texts[item["linkId"]]
    data = read_patients([next(SAMPLES.glob("01-*.json"))])[0][0]
    result = evaluate_patient(PatientData(data.patient_id, [*data.resources, qr]), [trial], AS_OF, Settings())[0]
    assert (_top(result, "A-I14"), _top(result, "A-E14")) == (Result.PASS, Result.PASS)
