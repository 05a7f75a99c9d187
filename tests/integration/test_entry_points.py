"""One evaluation core behind every entry point: the same sample patients evaluated from their Bundle
files, from the real FHIR server (seeded with the same files), by population screening and by the CDS
Hooks service give identical results."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_files, evaluate_server
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.retrieval.server import ServerOptions
from tests.cases.builders import AS_OF as CASE_AS_OF
from tests.cases.builders import patient
from tests.evaluation.test_contained_everywhere import SHAPES
from tests.support.fhir_servers import seed

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_bundles"
AS_OF = dt.date(2026, 6, 1)
pytestmark = pytest.mark.integration


def _by_key(report_dict: dict) -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    return {(r["patient"], r["trial"]): r for r in report_dict["results"]}


def test_server_results_equal_bundle_results_for_every_sample_patient(fhir_server: str) -> None:
    trials = load_trials()
    patients, _warnings = read_patients([SAMPLES])
    ids = [p.patient_id for p in patients]
    assert len(ids) >= 20
    settings = Settings(assume_attested=True)
    from_files = report_json(evaluate_files([SAMPLES], trials, AS_OF, settings))
    options = ServerOptions(base_url=fhir_server, use_env_token=False, page_size=50)
    from_server = report_json(evaluate_server(options, ids, trials, AS_OF, settings))
    files_by, server_by = _by_key(from_files), _by_key(from_server)
    assert files_by.keys() == server_by.keys()
    for key, expected in files_by.items():
        got = server_by[key]
        # The server may add meta/lastUpdated but the evaluation must be identical, criterion by criterion.
        assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True), key


def test_every_entry_point_gives_the_same_verdicts(fhir_server: str, tmp_path: Path) -> None:
    """Files, FHIR server, population screening and CDS Hooks cards: same patients, same verdicts, for all six
    trials (the five generated ones and NETTER-2, authored through docs/authoring.md)."""
    import requests

    from fhir_eligibility.screening.runner import screen_files
    from tests.service.support import LiveServer, card_verdicts, emulate_prefetch, hook_body, open_config, post

    trials = load_trials()
    patients, _warnings = read_patients([SAMPLES])
    ids = [p.patient_id for p in patients]

    def verdicts(report_dict: dict) -> dict[tuple[str, str], str]:  # type: ignore[type-arg]
        return {(r["patient"].split("/", 1)[1], r["trial"]): r["verdict"] for r in report_dict["results"]}

    attested = Settings(assume_attested=True)  # all four verdicts occur (with manual items open, no "eligible")
    from_files = verdicts(report_json(evaluate_files([SAMPLES], trials, AS_OF, attested)))
    options = ServerOptions(base_url=fhir_server, use_env_token=False)
    from_server = verdicts(report_json(evaluate_server(options, ids, trials, AS_OF, attested)))

    screening = screen_files([SAMPLES], trials, AS_OF, Settings(assume_attested=True, explain=False), workers=2)
    from_screening = {(pid, t.id): "ineligible" for pid in ids for t in trials}
    for ts in screening.trials:
        for cand in ts.candidates:
            from_screening[(cand.patient.split("/", 1)[1], ts.trial)] = cand.verdict
    assert {ts.trial: sum(ts.counts.values()) for ts in screening.trials} == {t.id: len(ids) for t in trials}

    from_cards: dict[tuple[str, str], str] = {}
    config = open_config(tmp_path, definitions=(ROOT / "definitions",), assume_attested=True)
    with LiveServer(config) as cds:
        prefetch = requests.get(cds.base + "/cds-services", timeout=10).json()["services"][0]["prefetch"]
        for data in patients:
            body = hook_body(data.patient_id, emulate_prefetch(prefetch, data))
            r = post(cds.base + "/cds-services/trial-eligibility", body)
            assert r.status_code == 200, r.text
            cards = card_verdicts(r.json())
            for t in trials:
                from_cards[(data.patient_id, t.id)] = cards.get(t.id, "ineligible")

    assert from_server == from_files
    assert from_screening == from_files
    assert from_cards == from_files
    assert len(from_files) == len(ids) * len(trials) and len(set(from_files.values())) == 4
    # the sixth trial is there in every entry point, with its four hand-worked verdicts (expected_verdicts.md)
    assert "NCT03972488" in {t.id for t in trials}
    netter2 = {
        pid: from_files[(pid, "NCT03972488")] for pid in ("sample-111", "sample-112", "sample-114", "sample-115")
    }
    assert netter2 == {
        "sample-111": "eligible",
        "sample-112": "ineligible",
        "sample-114": "undetermined",
        "sample-115": "needs-review",
    }


def test_real_attestations_decide_the_same_from_the_server(fhir_server: str) -> None:
    """Issue 14: sample-97's QuestionnaireResponse is fetched with the rest of its data (same batch) and decides
    A's manual items as it does from the file: eligible without --assume-attested, criterion by criterion equal."""
    trials = load_trials()
    sample = SAMPLES / "97-attested-by-coordinator.json"
    from_files = report_json(evaluate_files([sample], trials, AS_OF))
    options = ServerOptions(base_url=fhir_server, use_env_token=False)
    from_server = report_json(evaluate_server(options, ["sample-97"], trials, AS_OF))
    files_by, server_by = _by_key(from_files), _by_key(from_server)
    assert files_by[("Patient/sample-97", "NCT04954820")]["verdict"] == "eligible"
    assert server_by[("Patient/sample-97", "NCT04954820")]["manualOutstanding"] == []
    assert {k: v["verdict"] for k, v in server_by.items()} == {k: v["verdict"] for k, v in files_by.items()}
    for key, expected in files_by.items():
        got = server_by[key]
        assert [(c["id"], c["result"], c.get("attestation", {}).get("date")) for c in got["criteria"]] == [
            (c["id"], c["result"], c.get("attestation", {}).get("date")) for c in expected["criteria"]
        ], key


def test_attest_posts_to_the_server_and_the_next_evaluation_is_eligible(fhir_server: str) -> None:
    """Issue 14: `attest --server` creates the QuestionnaireResponse (+ Provenance) through the existing
    transport; evaluating the patient on that server afterwards decides A's manual items with it."""
    from click.testing import CliRunner

    from fhir_eligibility.cli import cli
    from fhir_eligibility.criteria.attestable import items

    bundle = json.loads((SAMPLES / "01-prrt-ileal-net-baseline.json").read_text())
    for e in bundle["entry"]:  # sample-01's data as new resources of a patient (no identifier) no other test reads
        if e["resource"]["resourceType"] == "Patient":
            e["resource"]["id"] = "attest-cli"
            del e["resource"]["identifier"]
        else:  # ids of their own: the seed PUTs by id, and must not move sample-01's records
            e["resource"]["id"] = "attest-cli-" + e["resource"]["id"][:40]
    seed(fhir_server, [bundle])
    trial = load_trials(None, ["NCT04954820"])[0]
    options = ServerOptions(base_url=fhir_server, use_env_token=False)
    before = evaluate_server(options, ["attest-cli"], [trial], AS_OF)
    assert before.results[0].verdict.value == "needs-review"

    args = ["attest", trial.id, "--patient", "attest-cli", "--author", "Dr Server", "--authored", "2026-05-30"]
    for i in items(trial):
        if i.kind == "manual":
            args += ["--item", f"{i.link_id}={'yes' if i.section == 'inclusion' else 'no'}"]
    r = CliRunner().invoke(cli, [*args, "--server", fhir_server])
    assert r.exit_code == 0, r.output

    after = report_json(evaluate_server(options, ["attest-cli"], [trial], AS_OF))["results"][0]
    assert after["verdict"] == "eligible"
    consent = next(c for c in after["criteria"] if c["id"] == "A-I14")
    assert consent["attestation"]["by"] == "Dr Server" and consent["attestation"]["date"] == "2026-05-30"


@pytest.mark.parametrize("shape", ["contained R4", "medicationReference"])
def test_lutathera_by_reference_counts_from_the_real_server(fhir_server: str, shape: str) -> None:
    """Issue 11: four Lutathera cycles whose drug is a contained Medication or a Medication resource are
    trial A's course of 4 (A-I3 "4 found", pass; the files, screening and prefetch paths are checked in
    tests/evaluation/test_contained_everywhere.py). Medplum matches neither by ``code``: the server path
    fetches every administration with its ``_include``d Medication and the one assembler resolves it."""
    cycles, meds = SHAPES[shape]
    pid = "lu-" + shape.split()[0].lower()
    med_id = f"lu177-{pid}"
    resources: list[dict[str, Any]] = [{**patient(), "id": pid}, *({**m, "id": med_id} for m in meds)]
    for cycle in cycles:
        record = {**cycle, "id": f"{pid}-{cycle['id']}", "subject": {"reference": f"Patient/{pid}"}}
        if meds:  # the reference names the seeded Medication
            record["medicationReference"] = {"reference": f"Medication/{med_id}"}
        resources.append(record)
    seed(fhir_server, [{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}])
    trial = next(t for t in load_trials() if t.id == "NCT04954820")
    options = ServerOptions(base_url=fhir_server, use_env_token=False)
    result = evaluate_server(options, [pid], [trial], CASE_AS_OF).results[0]
    i3 = next(c for c in result.criteria if c.id == "A-I3")
    assert i3.result is Result.PASS and i3.reason.startswith("4 found"), i3.reason
