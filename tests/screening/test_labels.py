"""Issue 14 item 6 on the screening: candidates carry name, birth date and MRN next to the id in every format
(JSON, table, CSV, dashboard); ``--mrn-system`` picks another identifier; ``--deidentify`` leaves the id only;
none of it reaches a log line. Sample-01 is needs-review for NCT04954820 (its manual items are outstanding,
expected_verdicts.md), so it is a candidate there; sample-06 is ineligible (A-E7b), so it is not listed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.evaluation.results import PatientLabel
from fhir_eligibility.identity import IdentityPolicy
from fhir_eligibility.report.screening import identified
from fhir_eligibility.screening.core import Tally, TrialOutcome, TrialTally
from fhir_eligibility.screening.pages import page_name
from tests.screening.helpers import AS_OF, SAMPLES, invoke

A = "NCT04954820"
MR = {
    "system": "urn:hospital:mrn",
    "value": "MRN-77",
    "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
}


@pytest.fixture()
def inputs(tmp_path: Path) -> Path:
    """Sample-01 with an MR-typed identifier next to its sample one; sample-06 as it is."""
    bundle = json.loads((SAMPLES / "01-prrt-ileal-net-baseline.json").read_text(encoding="utf-8"))
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["identifier"].append(MR)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "01.json").write_text(json.dumps(bundle), encoding="utf-8")
    (folder / "06.json").write_text((SAMPLES / "06-alt-over-5x-uln.json").read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def _screen(inputs: Path, fmt: str, *extra: str) -> str:
    r = invoke("screen", str(inputs), "--trial", A, "--as-of", AS_OF, "--workers", "1", "--format", fmt, *extra)
    assert r.exit_code == 0, r.output
    return r.stdout


def _candidates(inputs: Path, *extra: str) -> dict[str, dict[str, Any]]:
    data = json.loads(_screen(inputs, "json", *extra))
    return {c["patient"]: c for c in data["trials"][0]["candidates"]}


def test_candidates_are_named_in_json_table_csv_and_dashboard(inputs: Path) -> None:
    cands = _candidates(inputs)
    assert set(cands) == {"Patient/sample-01"}  # sample-06 is ineligible: not a candidate
    assert cands["Patient/sample-01"]["patientLabel"] == {
        "name": "Henri Lambert",
        "birthDate": "1963-09-14",
        "mrn": "MRN-77",
    }
    assert "Patient/sample-01 (Henri Lambert, born 1963-09-14, MRN MRN-77)" in _screen(inputs, "table")
    rows = list(csv.DictReader(io.StringIO(_screen(inputs, "csv"))))
    assert [(r["patient"], r["name"], r["birthDate"], r["mrn"]) for r in rows] == [
        ("Patient/sample-01", "Henri Lambert", "1963-09-14", "MRN-77")
    ]
    html = _screen(inputs, "html")
    assert '<span class="who" data-testid="patient-label">Henri Lambert, born 1963-09-14, MRN MRN-77</span>' in html


def test_mrn_system_picks_the_other_identifier(inputs: Path) -> None:
    cands = _candidates(inputs, "--mrn-system", "http://fhir-eligibility.org/fhir/sample-patients")
    assert cands["Patient/sample-01"]["patientLabel"]["mrn"] == "sample-01"


@pytest.mark.parametrize("fmt", ["json", "table", "csv", "html"])
def test_deidentify_leaves_the_id_only(inputs: Path, fmt: str) -> None:
    out = _screen(inputs, fmt, "--deidentify")
    assert "Patient/sample-01" in out
    for private in ("Lambert", "1963-09-14", "MRN-77"):
        assert private not in out


def test_labels_never_reach_the_log(inputs: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        _screen(inputs, "json")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Lambert" not in logged and "MRN-77" not in logged


def test_only_candidates_keep_a_label() -> None:
    label = PatientLabel("Jane Doe", "1970-01-01", "7")
    t = TrialTally("NCT1", "One", (("I1", "inclusion", "x"),))
    t.add(TrialOutcome("NCT1", "Patient/in", "needs-review", ("manual",), (), label=label))
    t.add(TrialOutcome("NCT1", "Patient/out", "ineligible", ("fail",), (), label=label))
    assert [(c.patient, c.label) for c in t.candidates] == [("Patient/in", label)]
    other = TrialTally("NCT1", "One", (("I1", "inclusion", "x"),))
    other.merge(t)  # a worker's partial keeps its labels through the merge
    assert other.candidates[0].label == label


def test_identified_drops_labels_when_deidentified() -> None:
    label = PatientLabel("Jane Doe", "1970-01-01", "7")
    t = TrialTally("NCT1", "One", (("I1", "inclusion", "x"),))
    t.add(TrialOutcome("NCT1", "Patient/in", "needs-review", ("manual",), (), label=label))
    report = Tally({"NCT1": t}).report(dt.date(2026, 6, 1))
    assert identified(report, IdentityPolicy()).trials[0].candidates[0].label == label
    assert identified(report, IdentityPolicy(deidentify=True)).trials[0].candidates[0].label is None


def test_deidentified_pages_leave_the_id_only(inputs: Path, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    _screen(inputs, "html", "--pages", str(pages), "--deidentify")
    page = (pages / page_name("Patient/sample-01")).read_text(encoding="utf-8")
    assert "Patient/sample-01" in page and "Lambert" not in page and "MRN-77" not in page
