"""``evaluate --server --write-back`` on the real Medplum server on loopback: staff's statuses and many trials.

Adversarial review: (1) a ResearchSubject whose status was one the product also writes, but carried no
``meta.tag`` of ours (Medplum drops ``meta.tag`` when a resource is saved; so does a staff edit that
replaces the resource), was taken as the product's and overwritten; (2) one transaction per patient held
3 conditional entries per trial, 9 for 3 trials, over Medplum's limit of 8.

Expected statuses come from expected_verdicts.md, as in test_write_back.py: sample-01's data leaves A
(NCT04954820) needs-review (``candidate``) and fails D (NCT05987176) (``ineligible``). The patient is a
copy under an id of its own.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.retrieval.server import FhirServer
from tests.integration.test_write_back import _copy

A, D, B = "NCT04954820", "NCT05987176", "NCT05773274"
SUBJECT = "urn:fhir-eligibility:research-subject"
FHIR_JSON = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
pytestmark = pytest.mark.integration
SAMPLE = "01-prrt-ileal-net-baseline.json"


def _subjects(base: str, pid: str) -> dict[str, dict[str, Any]]:
    r = requests.get(f"{base}/ResearchSubject?individual=Patient/{pid}", headers=FHIR_JSON, timeout=30)
    r.raise_for_status()
    found = [e["resource"] for e in r.json().get("entry", [])]
    keys = [next(i["value"] for i in s["identifier"] if i["system"] == SUBJECT).split("/")[0] for s in found]
    assert len(keys) == len(set(keys)), keys
    return dict(zip(keys, found, strict=True))


def _staff_save(base: str, subject: dict[str, Any], **changes: Any) -> None:
    """A staff edit as Medplum's app saves it: the resource replaced, ``meta`` (and our tag) gone."""
    edited = {k: v for k, v in subject.items() if k != "meta"} | changes
    url = f"{base}/ResearchSubject/{subject['id']}"
    requests.put(url, json=edited, headers=FHIR_JSON, timeout=30).raise_for_status()


def _evaluate(base: str, pid: str, *trials: str) -> Any:
    args = ["evaluate", "--server", base, "--patient", pid, "--as-of", "2026-06-01", "--any-as-of", "--write-back"]
    return CliRunner().invoke(cli, [*args, *(x for t in trials for x in ("--trial", t))])


def test_a_status_staff_saved_without_our_tag_is_kept_and_the_conflict_reported(fhir_server: str) -> None:
    _copy(fhir_server, SAMPLE, "wbx-staff")
    r = _evaluate(fhir_server, "wbx-staff", A, D)
    assert r.exit_code == 0, r.output
    first = _subjects(fhir_server, "wbx-staff")
    assert {k: s["status"] for k, s in first.items()} == {A: "candidate", D: "ineligible"}

    # a coordinator decides D's subject is eligible after all: a status the product writes too, no tag
    _staff_save(fhir_server, first[D], status="eligible")
    # and the server drops our tag on A's subject, its status untouched (what Medplum does on any save)
    _staff_save(fhir_server, first[A])
    saved = _subjects(fhir_server, "wbx-staff")[D]["meta"]["versionId"]

    r = _evaluate(fhir_server, "wbx-staff", A, D)
    assert r.exit_code == 0, r.output
    # A: proven the product's by the results it wrote (researchSubjectStatus), its outcome the same ->
    # unchanged (not "left as staff set them"); D: staff's -> kept
    assert "write-back: 0 ResearchSubject(s) created, 0 updated, 1 left as staff set them, 1 unchanged" in r.stderr
    assert (
        f"write-back: Patient/wbx-staff: {D}: the ResearchSubject status 'eligible' is not one this product "
        "provably wrote" in r.stderr
    )
    assert "this evaluation says 'ineligible'" in r.stderr
    second = _subjects(fhir_server, "wbx-staff")
    assert second[D]["status"] == "eligible" and second[D]["meta"]["versionId"] == saved  # not written at all
    assert second[A]["status"] == "candidate"

    # the next run still keeps it: the results written beside a kept subject record no status of ours
    r = _evaluate(fhir_server, "wbx-staff", A, D)
    assert "1 left as staff set them" in r.stderr and _subjects(fhir_server, "wbx-staff")[D]["status"] == "eligible"


def test_three_trials_are_one_transaction_each(fhir_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _copy(fhir_server, SAMPLE, "wbx-three")
    sizes: list[int] = []
    send = FhirServer.transaction

    def counted(self: FhirServer, bundle: dict[str, Any]) -> dict[str, Any]:
        sizes.append(sum(1 for e in bundle["entry"] if "ifNoneExist" in e["request"] or "?" in e["request"]["url"]))
        return send(self, bundle)

    monkeypatch.setattr(FhirServer, "transaction", counted)
    r = _evaluate(fhir_server, "wbx-three", A, D, B)
    assert r.exit_code == 0, r.output
    assert "write-back: 3 ResearchSubject(s) created" in r.stderr
    # Medplum refuses more than 8 conditional entries in one transaction; a study the server holds
    # already is not created again (its conditional create is left out)
    assert len(sizes) == 3 and all(n <= 3 for n in sizes), sizes
    assert set(_subjects(fhir_server, "wbx-three")) == {A, D, B}
