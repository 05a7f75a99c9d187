"""Site terminology gives the same answer through every entry point: evaluate, screen, the serve
config's ``terminology`` key, and the server searches and CDS prefetch the planner asks for.
"""

from __future__ import annotations

import json
from pathlib import Path

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.service.app import Service
from fhir_eligibility.service.config import load as load_config
from tests.cases.builders import AS_OF, patient
from tests.terminology.site_files import LOCAL, MAP_URL, TRIAL_E, bundle, concept_map, find, local_obs, write
from tests.test_cli import cli


def test_evaluate_and_screen_agree_with_the_terminology(tmp_path: Path) -> None:
    data = write(tmp_path / "p.json", bundle(patient(), local_obs(62)))
    cm = write(tmp_path / "cm.json", concept_map())
    common = ["--trial", TRIAL_E, "--as-of", AS_OF.isoformat(), "--format", "json", "--terminology", str(cm)]
    ev = cli("evaluate", str(data), *common)
    assert ev.returncode == 0, ev.stderr
    result = json.loads(ev.stdout)["results"][0]
    i6 = next(c for c in result["criteria"] if c["id"] == "E-I6")
    assert i6["result"] == "pass"
    assert i6["evidence"][0]["mappedBy"] == MAP_URL and i6["evidence"][0]["code"] == f"{LOCAL}|MGFR-51CR"
    sc = cli("screen", str(data), *common, "--workers", "1")
    assert sc.returncode == 0, sc.stderr
    trial = json.loads(sc.stdout)["trials"][0]
    funnel = next(f for f in trial["funnel"] if f["criterion"] == "E-I6")
    assert funnel["pass"] == 1 and funnel["unknown"] == 0
    assert trial["counts"][result["verdict"]] == 1  # the same verdict as evaluate


def test_serve_config_terminology_key(tmp_path: Path) -> None:
    write(tmp_path / "cm.json", concept_map())
    cfg = tmp_path / "cds.toml"
    cfg.write_text(f'terminology = ["cm.json"]\ntrials = ["{TRIAL_E}"]\ninsecure_no_auth = true\n')
    config = load_config(cfg)
    assert config.terminology == (tmp_path / "cm.json",)
    service = Service(config)
    result = evaluate_patient(PatientData("p", [patient(), local_obs(62)]), service.trials, AS_OF, service.settings)
    assert find(result[0].criteria, "E-I6").result is Result.PASS


def test_server_searches_and_cds_prefetch_ask_for_the_mapped_code(tmp_path: Path) -> None:

    cm = write(tmp_path / "cm.json", concept_map())
    wanted = (LOCAL, "MGFR-51CR")
    with_map = plan(load_trials(only=[TRIAL_E], terminology=[cm]), AS_OF)
    assert any(r.resource_type == "Observation" and wanted in r.codes for r in with_map)
    assert not any(wanted in r.codes for r in plan(load_trials(only=[TRIAL_E]), AS_OF))
