"""Outcomes shared across patients (criteria that read none of a patient's records) change nothing.

The cache is an optimisation of the one evaluation core, so the proof is equality: every report,
in every mode (explanations, attestation assumed, plot series), is identical with sharing on and
off, on the hand-written samples and on a synthetic population in both orders.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Criterion, Trial
from fhir_eligibility.evaluation import engine
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.footprint import footprint
from fhir_eligibility.pipeline import evaluate_patients
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.requirements.model import Unavailable
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.synth import patient_resources

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 6, 1)
TRIALS = load_trials()


def _population() -> list[PatientData]:
    samples, _ = read_patients([ROOT / "sample_bundles"])
    synthetic = []
    for i in range(80):
        by_type = patient_resources(7, i, AS_OF)
        pid = by_type["Patient"][0]["id"]
        synthetic.append(PatientData(pid, [r for rs in by_type.values() for r in rs]))
    return samples + synthetic


POPULATION = _population()


def _report(patients: list[PatientData], settings: Settings) -> str:
    return json.dumps(report_json(evaluate_patients(patients, TRIALS, AS_OF, settings)), sort_keys=True)


@pytest.mark.parametrize(
    "settings",
    [Settings(), Settings(assume_attested=True), Settings(collect_series=True), Settings(explain=False)],
    ids=["default", "attested", "series", "screening"],
)
def test_sharing_changes_no_report(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    engine._SHARED.clear()
    shared = _report(POPULATION, settings)
    engine._SHARED.clear()
    reversed_order = _report(POPULATION[::-1], settings)
    assert engine._SHARED, "nothing was shared: the test would prove nothing"
    monkeypatch.setattr(engine, "footprint", lambda c: None)
    engine._SHARED.clear()
    unshared = _report(POPULATION, settings)
    assert shared == unshared
    by_patient = {r["patient"] + r["trial"]: r for r in json.loads(reversed_order)["results"]}
    assert [by_patient[r["patient"] + r["trial"]] for r in json.loads(unshared)["results"]] == json.loads(unshared)[
        "results"
    ]


def _criterion(trial: Trial, cid: str) -> Criterion:
    for top in trial.criteria:
        for node in top.walk():
            if node.id == cid:
                return node
    raise KeyError(cid)


def test_footprints_name_what_a_criterion_reads() -> None:
    trials = {t.id: t for t in TRIALS}
    a = trials["NCT04954820"]
    ages = [c for t in TRIALS for top in t.criteria for c in top.walk() if type(c.definition).__name__ == "Age"]
    assert ages and all(footprint(c) is None for c in ages)  # evidence names the patient
    anchored = [
        c for t in TRIALS for c in t.criteria for n in c.walk() if any(w.anchor != "study-start" for w in n.windows)
    ]
    assert anchored and all(footprint(c) is None for c in anchored)
    manual = [c for t in TRIALS for c in t.criteria if type(c.definition).__name__ == "Manual"]
    assert manual and all(footprint(c) == frozenset() for c in manual)
    keys = footprint(_criterion(a, "A-I7"))  # ECOG: Observation codes only
    assert keys and all(kind == "Observation" for kind, _code in keys)


def test_unavailable_data_is_never_answered_from_the_shared_cache() -> None:
    """A patient whose Observation search failed must not get another patient's 'no result'."""
    engine._SHARED.clear()
    bare = PatientData("p1", [{"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "male"}])
    faulty = PatientData(
        "p2",
        [{"resourceType": "Patient", "id": "p2", "birthDate": "1960-01-01", "gender": "male"}],
        unavailable=(Unavailable("Observation", frozenset(), "HTTP 503"),),
    )
    report = evaluate_patients([bare, faulty], TRIALS, AS_OF)
    reasons = {
        r.patient: " ".join(c.reason for c in r.criteria) for r in report.results if r.trial == "NCT04954820"
    }
    assert "data unavailable" not in reasons["Patient/p1"]
    assert "data unavailable: HTTP 503" in reasons["Patient/p2"]
