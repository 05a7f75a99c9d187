"""Issue 14 item 5: ``evaluate --server --write-back`` against the real Medplum server on loopback.

Expected statuses are worked out from expected_verdicts.md, not from the program: sample-01's data
passes every computable criterion of A (NCT04954820) and leaves A's manual items outstanding
(needs-review -> ``candidate``); once a coordinator attests them A is ``eligible``. Sample-01 fails
D-I5 and D-E7 of D (NCT05987176) -> ``ineligible``; sample-06 fails A-E7b (ALT > 5 x ULN) and D-I5/D-E7
-> ``ineligible`` for both. The patients are copies under ids of their own, so no other test's
patient is touched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.criteria.attestable import items
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.errors import RetrievalError
from tests.support.fhir_servers import seed

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_bundles"
A, D = "NCT04954820", "NCT05987176"
SUBJECT = "urn:fhir-eligibility:research-subject"
pytestmark = pytest.mark.integration


def _copy(base: str, sample: str, pid: str) -> None:
    """Seed a sample's data as new resources of patient ``pid`` (own ids: sample records never move)."""
    bundle = json.loads((SAMPLES / sample).read_text())
    for e in bundle["entry"]:
        if e["resource"]["resourceType"] == "Patient":
            e["resource"]["id"] = pid
            e["resource"].pop("identifier", None)
        else:
            e["resource"]["id"] = f"{pid}-" + e["resource"]["id"][:40]
    seed(base, [bundle])


def _search(base: str, query: str) -> list[dict[str, Any]]:
    r = requests.get(f"{base}/{query}", headers={"Accept": "application/fhir+json"}, timeout=30)
    r.raise_for_status()
    return [e["resource"] for e in r.json().get("entry", [])]


def _subjects(base: str, pid: str) -> dict[str, dict[str, Any]]:
    """The patient's ResearchSubjects by study NCT number (the key's first part); a duplicate fails."""
    found = _search(base, f"ResearchSubject?individual=Patient/{pid}")
    keys = [next(i["value"] for i in s["identifier"] if i["system"] == SUBJECT) for s in found]
    assert len(keys) == len(set(keys)), f"duplicated ResearchSubjects: {keys}"
    return {k.split("/")[0]: s for k, s in zip(keys, found, strict=True)}


def _as_of(extra: tuple[str, ...]) -> list[str]:
    """The fixed day the expected verdicts are worked out for; written back only with --any-as-of (the
    written status is the current state: another day must be asked for)."""
    return ["--as-of", "2026-06-01", *(["--any-as-of"] if "--write-back" in extra else [])]


def _evaluate(base: str, *extra: str) -> Any:
    args = ["evaluate", "--server", base, "--trial", A, "--trial", D, *_as_of(extra), *extra]
    return CliRunner().invoke(cli, args)


def test_write_back_creates_one_subject_per_patient_and_study_then_updates_it(fhir_server: str) -> None:
    _copy(fhir_server, "01-prrt-ileal-net-baseline.json", "wb-01")
    _copy(fhir_server, "06-alt-over-5x-uln.json", "wb-06")

    r = _evaluate(fhir_server, "--patient", "wb-01", "--patient", "wb-06", "--write-back")
    assert r.exit_code == 0, r.output
    assert "Patient/wb-01" in r.stdout  # the report is printed as without --write-back
    assert "write-back: 4 ResearchSubject(s) created, 0 updated" in r.stderr
    first = _subjects(fhir_server, "wb-01")
    assert {k: s["status"] for k, s in first.items()} == {A: "candidate", D: "ineligible"}
    assert {k: s["status"] for k, s in _subjects(fhir_server, "wb-06").items()} == {A: "ineligible", D: "ineligible"}
    studies = _search(fhir_server, f"ResearchStudy?identifier={quote('https://clinicaltrials.gov|' + A)}")
    assert len(studies) == 1
    assert first[A]["study"]["reference"] == f"ResearchStudy/{studies[0]['id']}"

    # the per-criterion results: one GuidanceResponse per patient x study, A's consent still outstanding
    results = _search(fhir_server, "GuidanceResponse?subject=Patient/wb-01")
    assert len(results) == 2
    a_results = next(g for g in results if g["identifier"][0]["value"] == f"{A}/wb-01")
    params = {p["name"]: p for p in a_results["contained"][0]["parameter"]}
    assert params["verdict"]["valueCode"] == "needs-review"
    assert {p["name"]: p.get("valueCode") for p in params["A-I14"]["part"]}["result"] == "manual"

    # the patient's data change: a coordinator attests A's manual items -> eligible, the same record updated
    args = ["attest", A, "--patient", "wb-01", "--author", "Dr Write", "--authored", "2026-05-30"]
    for i in items(load_trials(None, [A])[0]):
        if i.kind == "manual":
            args += ["--item", f"{i.link_id}={'yes' if i.section == 'inclusion' else 'no'}"]
    assert CliRunner().invoke(cli, [*args, "--server", fhir_server]).exit_code == 0

    r = _evaluate(fhir_server, "--patient", "wb-01", "--patient", "wb-06", "--write-back")
    assert r.exit_code == 0, r.output
    # only wb-01 x A changed (candidate -> eligible); the other three outcomes are already recorded
    assert "write-back: 0 ResearchSubject(s) created, 1 updated, 3 unchanged" in r.stderr
    second = _subjects(fhir_server, "wb-01")
    assert {k: s["status"] for k, s in second.items()} == {A: "eligible", D: "ineligible"}
    assert {k: s["id"] for k, s in second.items()} == {k: s["id"] for k, s in first.items()}
    assert len(_search(fhir_server, "GuidanceResponse?subject=Patient/wb-01")) == 2
    assert len(_search(fhir_server, f"ResearchStudy?identifier={quote('https://clinicaltrials.gov|' + A)}")) == 1

    # staff take over: wb-06 enrolled in A anyway (on-study), a note on wb-01 x D; write-back keeps both
    enrolled = {k: v for k, v in _subjects(fhir_server, "wb-06")[A].items() if k != "meta"} | {"status": "on-study"}
    noted = {k: v for k, v in second[D].items() if k != "meta"} | {"assignedArm": "screen-failure log 12"}
    for resource in (enrolled, noted):
        url = f"{fhir_server}/ResearchSubject/{resource['id']}"
        requests.put(
            url, json=resource, headers={"Content-Type": "application/fhir+json"}, timeout=30
        ).raise_for_status()
    r = _evaluate(fhir_server, "--patient", "wb-01", "--patient", "wb-06", "--write-back")
    assert r.exit_code == 0, r.output
    assert "write-back: 0 ResearchSubject(s) created, 0 updated, 1 left as staff set them, 3 unchanged" in r.stderr
    assert _subjects(fhir_server, "wb-06")[A]["status"] == "on-study"
    third = _subjects(fhir_server, "wb-01")[D]
    assert (third["status"], third["assignedArm"], third["id"]) == (
        "ineligible",
        "screen-failure log 12",
        second[D]["id"],
    )


def test_dry_run_prints_the_requests_and_writes_nothing(fhir_server: str) -> None:
    _copy(fhir_server, "01-prrt-ileal-net-baseline.json", "wb-dry")
    r = _evaluate(fhir_server, "--patient", "wb-dry", "--write-back", "--dry-run")
    assert r.exit_code == 0, r.output
    assert f"POST {fhir_server}  transaction" in r.stderr
    assert "ResearchSubject?identifier=" + quote(f"{SUBJECT}|{A}/wb-dry", safe="") in r.stderr
    assert "Patient/wb-dry" in r.stdout
    assert _search(fhir_server, "ResearchSubject?individual=Patient/wb-dry") == []
    assert _search(fhir_server, "GuidanceResponse?subject=Patient/wb-dry") == []


def test_without_write_back_nothing_is_written(fhir_server: str) -> None:
    _copy(fhir_server, "01-prrt-ileal-net-baseline.json", "wb-none")
    assert _evaluate(fhir_server, "--patient", "wb-none").exit_code == 0
    assert _search(fhir_server, "ResearchSubject?individual=Patient/wb-none") == []


def test_a_refused_write_back_keeps_the_report_and_exits_5(fhir_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _copy(fhir_server, "01-prrt-ileal-net-baseline.json", "wb-refused")

    def refuse(self: object, bundle: dict[str, Any]) -> dict[str, Any]:
        raise RetrievalError("FHIR server refused the transaction: HTTP 422")

    monkeypatch.setattr("fhir_eligibility.retrieval.server.FhirServer.transaction", refuse)
    r = _evaluate(fhir_server, "--patient", "wb-refused", "--write-back", "--format", "json")
    assert r.exit_code == 5
    verdicts = {x["trial"]: x["verdict"] for x in json.loads(r.stdout)["results"]}
    assert verdicts == {A: "needs-review", D: "ineligible"}  # the evaluation is what it was
    assert "write-back failed for Patient/wb-refused: FHIR server refused the transaction: HTTP 422" in r.stderr


def _screen(base: str, *extra: str) -> Any:
    args = ["screen", "--server", base, "--trial", A, *_as_of(extra), "--format", "json", "--workers", "1"]
    return CliRunner().invoke(cli, [*args, *extra])


def _patients_of(report: dict[str, Any], *pids: str) -> dict[str, str]:
    return {c["patient"]: c["verdict"] for c in report["trials"][0]["candidates"] if c["patient"] in pids}


def test_screen_write_back_records_every_patient_ineligible_too(fhir_server: str) -> None:
    """``screen --write-back`` (issue 14 item 5): every screened patient x study gets its ResearchSubject, with
    the per-criterion results: sample-01's data (A needs-review) -> ``candidate``; sample-06's (A-E7b: ALT > 5 x
    ULN) -> ``ineligible``, its GuidanceResponse saying A-E7b failed. The report is the screening's, as without
    --write-back; a second run updates the same records."""
    _copy(fhir_server, "01-prrt-ileal-net-baseline.json", "wbs-01")
    _copy(fhir_server, "06-alt-over-5x-uln.json", "wbs-06")
    plain = _screen(fhir_server)
    assert plain.exit_code == 0, plain.output
    r = _screen(fhir_server, "--write-back")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == json.loads(plain.stdout)  # the report is unchanged by writing it back
    report = json.loads(r.stdout)
    assert _patients_of(report, "Patient/wbs-01", "Patient/wbs-06") == {"Patient/wbs-01": "needs-review"}
    first = {pid: _subjects(fhir_server, pid) for pid in ("wbs-01", "wbs-06")}
    assert {pid: {k: s["status"] for k, s in subs.items()} for pid, subs in first.items()} == {
        "wbs-01": {A: "candidate"},
        "wbs-06": {A: "ineligible"},
    }
    (guidance,) = _search(fhir_server, "GuidanceResponse?subject=Patient/wbs-06")
    params = {p["name"]: p for p in guidance["contained"][0]["parameter"]}
    assert params["verdict"]["valueCode"] == "ineligible"
    assert {p["name"]: p.get("valueCode") for p in params["A-E7b"]["part"]}["result"] == "fail"

    again = _screen(fhir_server, "--write-back")
    assert again.exit_code == 0, again.output
    assert "0 ResearchSubject(s) created" in again.stderr
    for pid, subs in first.items():
        assert {k: s["id"] for k, s in _subjects(fhir_server, pid).items()} == {k: s["id"] for k, s in subs.items()}
    assert len(_search(fhir_server, "GuidanceResponse?subject=Patient/wbs-06")) == 1


def test_screen_write_back_dry_run_prints_ineligible_too_and_writes_nothing(fhir_server: str) -> None:
    _copy(fhir_server, "06-alt-over-5x-uln.json", "wbs-dry")
    r = _screen(fhir_server, "--write-back", "--dry-run")
    assert r.exit_code == 0, r.output
    assert f"POST {fhir_server}  transaction" in r.stderr
    key = quote(f"{SUBJECT}|{A}/wbs-dry", safe="")
    planned = r.stderr.split("ResearchSubject?identifier=" + key)[0].rsplit('"resource"', 1)[1]
    assert '"status": "ineligible"' in planned
    assert _search(fhir_server, "ResearchSubject?individual=Patient/wbs-dry") == []
    assert _search(fhir_server, "GuidanceResponse?subject=Patient/wbs-dry") == []


def test_screen_refused_write_back_keeps_the_report_and_exits_5(
    fhir_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy(fhir_server, "06-alt-over-5x-uln.json", "wbs-refused")
    plain = _screen(fhir_server)

    def refuse(self: object, bundle: dict[str, Any]) -> dict[str, Any]:
        raise RetrievalError("FHIR server refused the transaction: HTTP 422")

    monkeypatch.setattr("fhir_eligibility.retrieval.server.FhirServer.transaction", refuse)
    r = _screen(fhir_server, "--write-back")
    assert r.exit_code == 5
    assert json.loads(r.stdout) == json.loads(plain.stdout)
    assert "write-back failed for Patient/wbs-refused: FHIR server refused the transaction: HTTP 422" in r.stderr
