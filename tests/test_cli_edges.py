"""Edges of the command line an adversarial review found (each a one-line error, never a traceback,
never a report that says more than the data)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _study_without_eligibility() -> dict[str, object]:
    ident = {"nctId": "NCT09999999", "briefTitle": "A study record with no eligibility module"}
    return {"protocolSection": {"identificationModule": ident}}


def test_a_study_record_without_criteria_is_refused_not_a_trial_everyone_meets(tmp_path: Path) -> None:
    """import-ctgov wrote a trial with 0 criteria, `validate` called it valid, and every patient came out
    eligible for it. The record is refused; an EvidenceVariable with no characteristic is a problem."""
    record = tmp_path / "study.json"
    record.write_text(json.dumps(_study_without_eligibility()))
    r = CliRunner().invoke(cli, ["import-ctgov", str(record), "-o", str(tmp_path / "out")])
    assert isinstance(r.exception, InputError) and "no eligibility criteria" in str(r.exception)
    assert not (tmp_path / "out" / "EvidenceVariable.json").exists()
    ev = {"resourceType": "EvidenceVariable", "id": "empty", "url": "http://x.org/ev/empty", "status": "active"}
    (tmp_path / "ev.json").write_text(json.dumps({**ev, "characteristic": []}))
    v = CliRunner().invoke(cli, ["validate", str(tmp_path / "ev.json")])
    assert v.exit_code == 1 and "no criteria (an empty trial)" in v.output


def test_an_as_of_date_at_the_calendar_s_end_is_a_usage_error() -> None:
    r = CliRunner().invoke(cli, ["evaluate", str(SAMPLE), "--as-of", "9999-12-01"])
    assert r.exit_code == 2 and "not a screening date" in r.output  # was an OverflowError traceback


def _run(*redirect: str) -> subprocess.CompletedProcess[str]:
    command = f"{sys.executable} -m fhir_eligibility evaluate {SAMPLE} --as-of 2026-06-01 {' '.join(redirect)}"
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=ENV, cwd=ROOT, check=False)


def test_closed_standard_streams(tmp_path: Path) -> None:
    """A cron job with stderr closed got no report (a traceback on stderr's None, exit 1); with stdout
    closed the report has nowhere to go: one line, exit 2."""
    report = tmp_path / "r.txt"
    quiet = _run("-o", str(report), "2>&-")
    assert quiet.returncode == 0 and "sample-01" in report.read_text()
    closed = _run(">&-")
    assert closed.returncode == 2 and "standard output (closed)" in closed.stderr
    assert "Traceback" not in closed.stderr


@pytest.mark.parametrize("command", ["evaluate", "screen"])
@pytest.mark.parametrize("option", ["--horizon", "--lookback-days"])
def test_a_number_of_days_past_the_calendar_is_a_usage_error(command: str, option: str) -> None:
    """--horizon 3000000 ran as-of + 3,000,000 days past year 9999: a traceback and exit 1."""
    r = CliRunner().invoke(cli, [command, str(SAMPLE), "--as-of", "2026-06-01", option, "3000000"])
    assert (r.exit_code == 2 and "3000000" in r.output and r.exception is None) or isinstance(r.exception, SystemExit)


def test_patient_with_files_is_a_usage_error_not_everyone_s_report() -> None:
    """--patient X on PATHs was ignored: a report meant for one patient held every patient of the files."""
    r = CliRunner().invoke(cli, ["evaluate", str(SAMPLE.parent), "--patient", "sample-01", "--format", "json"])
    assert r.exit_code == 2 and "--patient" in r.output
    assert "sample-02" not in r.output
