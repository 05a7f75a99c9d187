"""Adversarial review 18 on the real Medplum server on loopback: write-back for one patient overwrote
another patient's ResearchSubject (and took over its GuidanceResponse).

Medplum matches identifier tokens case-insensitively, while FHIR ids are case-sensitive: ``Patient/WB18-CASE``
and ``Patient/wb18-case`` are two patients. Write-back for the second found the first's subject with
its own search, dropped it (another key), decided "none yet", and its conditional ``PUT
ResearchSubject?identifier=...`` was resolved by Medplum to the first's subject: staff's ``on-study``
replaced. Medplum's Patient search also finds both patients (the product then leaves that data out:
undetermined, not written), so the first patient's Patient resource is deleted before the second is
evaluated; its subject and results stay on the server, as records do after a patient leaves.
Expected (docs/write-back.md): nothing of the other patient is touched; the patient gets its own
subject and results, and a second run finds those. Expected statuses as in test_write_back.py:
sample-01's data leaves A (NCT04954820) needs-review -> ``candidate``.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from tests.integration.test_write_back import _copy, _search

A = "NCT04954820"
SUBJECT = "urn:fhir-eligibility:research-subject"
RESULTS = "urn:fhir-eligibility:guidance-response"
FHIR_JSON = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
SAMPLE = "01-prrt-ileal-net-baseline.json"
pytestmark = pytest.mark.integration


def _evaluate(base: str, pid: str) -> Any:
    args = ["evaluate", "--server", base, "--patient", pid, "--trial", A, "--as-of", "2026-06-01", "--any-as-of"]
    return CliRunner().invoke(cli, [*args, "--write-back"])


def _records(base: str, rtype: str, system: str) -> dict[str, dict[str, Any]]:
    """Every record of ours of this type on the server for study A, by the key's patient part."""
    found = _search(base, f"{rtype}?_count=1000")
    keyed = {next((i["value"] for i in r.get("identifier", []) if i.get("system") == system), ""): r for r in found}
    return {k.split("/", 1)[1]: r for k, r in keyed.items() if k.startswith(f"{A}/")}


def test_write_back_never_lands_on_a_patient_whose_id_differs_only_in_case(fhir_server: str) -> None:
    _copy(fhir_server, SAMPLE, "wb18-case")
    r = _evaluate(fhir_server, "wb18-case")
    assert r.exit_code == 0 and "1 ResearchSubject(s) created" in r.stderr, r.output
    theirs = _records(fhir_server, "ResearchSubject", SUBJECT)["wb18-case"]
    enrolled = {k: v for k, v in theirs.items() if k != "meta"} | {"status": "on-study"}  # staff enrol them
    url = f"{fhir_server}/ResearchSubject/{theirs['id']}"
    requests.put(url, json=enrolled, headers=FHIR_JSON, timeout=30).raise_for_status()
    before_subject = _records(fhir_server, "ResearchSubject", SUBJECT)["wb18-case"]
    before_results = _records(fhir_server, "GuidanceResponse", RESULTS)["wb18-case"]

    requests.delete(f"{fhir_server}/Patient/wb18-case", timeout=30).raise_for_status()
    _copy(fhir_server, SAMPLE, "WB18-CASE")  # another patient, added later
    r = _evaluate(fhir_server, "WB18-CASE")
    assert r.exit_code == 0, r.output
    assert "write-back: 1 ResearchSubject(s) created, 0 updated" in r.stderr
    subjects = _records(fhir_server, "ResearchSubject", SUBJECT)
    results = _records(fhir_server, "GuidanceResponse", RESULTS)
    assert subjects["wb18-case"] == before_subject  # status on-study, same version: not written at all
    assert results["wb18-case"] == before_results
    mine = subjects["WB18-CASE"]
    assert (mine["status"], mine["individual"]) == ("candidate", {"reference": "Patient/WB18-CASE"})
    assert mine["id"] != before_subject["id"] and mine["study"] == before_subject["study"]
    assert results["WB18-CASE"]["subject"] == {"reference": "Patient/WB18-CASE"}

    # idempotent: the next run finds its own records by their exact identifiers; nothing new, nothing touched
    r = _evaluate(fhir_server, "WB18-CASE")
    assert r.exit_code == 0, r.output
    assert "write-back: 0 ResearchSubject(s) created, 0 updated, 1 unchanged" in r.stderr
    again = _records(fhir_server, "ResearchSubject", SUBJECT)
    assert again["WB18-CASE"] == mine and again["wb18-case"] == before_subject
    assert len(_search(fhir_server, "GuidanceResponse?subject=Patient/WB18-CASE")) == 1
