"""Attestations give the hand-worked verdicts (expected_verdicts.json, without assumed attestations) and
the same verdicts from files, screening and CDS prefetch (fixtures: tests/attestation_fixtures.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.json_report import report_json, trial_json
from fhir_eligibility.retrieval.files import read_patients
from tests.attestation_fixtures import AS_OF, BASE, ROOT, SAMPLES, A, coordinator_answers, patient, response


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
