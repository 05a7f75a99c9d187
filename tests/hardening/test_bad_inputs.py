"""A generated bad-input corpus through both file readers: ``evaluate`` (the in-memory reader behind
table/HTML/FHIR output, and the streamed ``--format json``) and ``screen``.

One clean base patient (``sample_bundles/01``: mostly passes; NCT05987176 ineligible on D-I5, no
liver resection, and D-E7, prior PRRT), as a Bundle and as Bulk NDJSON; each case mutates one
thing. For every case and every path: no exception other than the documented InputError (the
CLI's one-line exit 2; the CLI layer itself is exercised in ``test_bad_inputs_cli.py``), the
documented exit code, no ``fail`` criterion and no ``ineligible`` verdict that the clean patient
does not have, the same verdicts and the same warnings from every path (one reader, one policy),
and, where the case says so, a warning that names the problem.

Cases (counted by ``test_corpus_size``): 167 in all: files 34, resources 82, values 24,
encodings 12, folders 15.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.errors import InputError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.screening.core import SCREENING
from fhir_eligibility.screening.runner import screen_files
from fhir_eligibility.stream import stream_json
from tests.hardening.bad_inputs_base import AS_OF, TRIALS, Case, bundle, ndjson_lines, write_bundle, write_ndjson
from tests.hardening.bad_inputs_files import file_cases
from tests.hardening.bad_inputs_folders import folder_cases
from tests.hardening.bad_inputs_resources import resource_cases
from tests.hardening.bad_inputs_values import encoding_cases, value_cases

CASES = file_cases() + resource_cases() + value_cases() + encoding_cases() + folder_cases()


def test_corpus_size() -> None:
    kinds: dict[str, int] = {}
    for c in CASES:
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    assert len(CASES) >= 100 and len({c.name for c in CASES}) == len(CASES)
    assert kinds == {"files": 34, "resources": 82, "values": 26, "encodings": 12, "folders": 18}, kinds


# ---------------------------------------------------------------- running one input through every path


@dataclass
class Run:
    exit_code: int
    fails: dict[str, set[str]]  # trial -> criteria with a fail (any patient)
    ineligible: set[str]  # trials with an ineligible verdict (any patient)
    warnings: set[str]
    verdicts: dict[str, dict[str, int]] = field(default_factory=dict)  # trial -> verdict -> patients


def _from_results(results: list[dict[str, Any]], warnings: list[str]) -> Run:
    fails: dict[str, set[str]] = {}
    ineligible = set()
    verdicts: dict[str, dict[str, int]] = {}
    for r in results:
        fails.setdefault(r["trial"], set()).update(c["id"] for c in r["criteria"] if c["result"] == "fail")
        if r["verdict"] == "ineligible":
            ineligible.add(r["trial"])
        counts = verdicts.setdefault(r["trial"], {})
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return Run(0, fails, ineligible, set(warnings), verdicts)


def run_evaluate(paths: list[Path]) -> Run:
    try:
        data = report_json(evaluate_files(paths, TRIALS, AS_OF, Settings()))
    except InputError:
        return Run(2, {}, set(), set())
    return _from_results(data["results"], data["warnings"])


def run_stream(paths: list[Path]) -> Run:
    try:
        data = json.loads("".join(stream_json(paths, TRIALS, AS_OF, Settings())))
    except InputError:
        return Run(2, {}, set(), set())
    return _from_results(data["results"], data["warnings"])


def run_screen(paths: list[Path], tmp: Path) -> Run:
    try:
        report = screen_files(paths, TRIALS, AS_OF, SCREENING, workers=1, temp_dir=tmp)
    except InputError:
        return Run(2, {}, set(), set())
    fails: dict[str, set[str]] = {}
    ineligible = set()
    for t in report.trials:
        fails[t.trial] = {f.criterion for f in t.funnel if f.counts["fail"]}
        if t.counts["ineligible"]:
            ineligible.add(t.trial)
    verdicts = {t.trial: {v: n for v, n in t.counts.items() if n} for t in report.trials}
    return Run(0, fails, ineligible, set(report.warnings), verdicts)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("clean")
    run = run_evaluate(write_bundle(folder, bundle()))
    nd = run_evaluate(write_ndjson(folder, ndjson_lines()))
    assert run.exit_code == 0 and (run.fails, run.ineligible) == (nd.fails, nd.ineligible)
    # sample 01 had no liver resection (D-I5) and had PRRT (D-E7); for NETTER-2 its NET is from 2021 (I1), Ki-67 8 %
    # (I2) and it had PRRT (E2): tests/expected_verdicts.md
    assert run.ineligible == {"NCT05987176", "NCT03972488"}
    return run


PARAMS = [pytest.param(c, id=c.name) for c in CASES]


@pytest.mark.parametrize("case", PARAMS)
def test_bad_input(case: Case, clean: Run, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "tmp").mkdir()
    paths = case.build(tmp_path / "in")
    runs = {
        "evaluate": run_evaluate(paths),
        "evaluate --format json": run_stream(paths),
        "screen": run_screen(paths, tmp_path / "tmp"),
    }
    for name, run in runs.items():
        assert run.exit_code == case.exit_code, name
        for trial, failed in run.fails.items():
            assert failed <= clean.fails.get(trial, set()), (name, trial, failed - clean.fails.get(trial, set()))
        assert run.ineligible <= clean.ineligible, name
    assert runs["evaluate --format json"].verdicts == runs["evaluate"].verdicts == runs["screen"].verdicts
    warnings = runs["evaluate"].warnings
    assert runs["evaluate --format json"].warnings == warnings
    assert runs["screen"].warnings == warnings
    if case.warns:
        assert any(case.warns in w for w in warnings), warnings
    assert len(warnings) < 20  # counted, never one per occurrence
    assert not list((tmp_path / "tmp").iterdir())  # screening removed its shards
