"""One evaluation core behind every entry point: the same sample patients evaluated from their
Bundle files and from the real FHIR server (seeded with the same files) give identical results."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_files, evaluate_server
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.retrieval.server import ServerOptions

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
