"""Review 21 (Spark and NDJSON at scale), the findings every file reader shares.

1. A ``_since`` export holds only what changed since: a diagnosis it lacks may be recorded before, so
   its absence decides nothing. Worked by hand on sample 01: NETTER-2 (NCT03972488) I1 needs a NET
   diagnosis; its export with a Condition file holding only another patient's diagnosis read I1
   ``fail`` ("none recorded", clinical.md §0.7) under a ``_since`` manifest; now ``unknown``.
4. With the export's server known (its manifest's ``request``), an Observation naming
   ``https://other.example.com/fhir/Patient/sample-01`` is another server's patient: left out with a
   warning naming the resource and "an absolute reference to another server", Observation unknown for
   the local sample-01. Without a manifest it is read as sample-01's (no base to compare with).
5. A percent-encoded conditional reference (``Patient?identifier=http%3A%2F%2FhospA%2Fmrn%7C123``)
   names the same identifier as the plain one: sample 01's Condition is theirs, I1 ``fail`` (was
   "patient reference not resolvable", I1 ``unknown``).
"""

from __future__ import annotations

import json
from pathlib import Path

from fhir_eligibility.requirements.model import CLOSED_WORLD_TYPES
from fhir_eligibility.retrieval.files import index_key, read_patients
from fhir_eligibility.retrieval.manifest import folder_manifest
from tests.retrieval.test_export_folders_bulkfix20 import P, listing
from tests.retrieval.test_folder_manifest import manifest
from tests.retrieval.test_input_review import NETTER2, every_path, resources, write_ndjson

OTHERS = {
    "resourceType": "Condition",
    "id": "other-1",
    "subject": {"reference": "Patient/someone-else"},
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]},
}


def since_export(tmp_path: Path, query: str) -> Path:
    records = [r for r in resources() if r["resourceType"] != "Condition"] + [OTHERS]
    folder = write_ndjson(tmp_path / "export", records)
    body = manifest(listing(folder))
    body["request"] += query
    (folder / "manifest.json").write_text(json.dumps(body))
    return folder


def i1(tmp_path: Path, folder: Path) -> tuple[str, list[str]]:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    results, warnings = every_path([folder], tmp_path / "tmp")
    return results[(P, NETTER2, "I1")], warnings


def test_a_whole_export_without_the_diagnosis_fails_i1(tmp_path: Path) -> None:
    assert i1(tmp_path, since_export(tmp_path, ""))[0] == "fail"


def test_a_since_export_leaves_every_closed_world_type_unknown(tmp_path: Path) -> None:
    folder = since_export(tmp_path, "?_since=2026-05-01T00:00:00Z")
    assert folder_manifest([folder]).incomplete == list(CLOSED_WORLD_TYPES)
    result, warnings = i1(tmp_path, folder)
    assert result == "unknown"
    assert any("only what changed since 2026-05-01T00:00:00Z (_since): no type is whole" in w for w in warnings)


def test_an_until_export_too(tmp_path: Path) -> None:
    assert i1(tmp_path, since_export(tmp_path, "?_until=2026-05-01T00:00:00Z"))[0] == "unknown"


def test_a_percent_encoded_conditional_reference_resolves(tmp_path: Path) -> None:
    assert index_key("Patient?identifier=urn%3Aoid%3A1.2%7CMRN1") == "urn:oid:1.2|MRN1"
    records = resources()
    records[0]["identifier"] = [{"system": "http://hospA/mrn", "value": "123"}]
    for r in records:
        if r["resourceType"] == "Condition":
            r["subject"] = {"reference": "Patient?identifier=http%3A%2F%2FhospA%2Fmrn%7C123"}
    folder = write_ndjson(tmp_path / "export", records)
    result, warnings = i1(tmp_path, folder)
    assert result == "fail" and not any("not resolvable" in w for w in warnings)


def _other_server(tmp_path: Path, with_manifest: bool) -> Path:
    records = resources()
    obs = next(r for r in records if r["resourceType"] == "Observation")
    records.append({**obs, "id": "hie-1", "subject": {"reference": "https://other.example.com/fhir/Patient/sample-01"}})
    folder = write_ndjson(tmp_path / "export", records)
    if with_manifest:
        body = manifest(listing(folder))
        (folder / "manifest.json").write_text(json.dumps(body))
    return folder


def test_another_servers_patient_is_not_the_local_one(tmp_path: Path) -> None:
    folder = _other_server(tmp_path, with_manifest=True)
    (p,), warnings = read_patients([folder])
    assert "hie-1" not in {r.get("id") for r in p.resources}
    assert "Observation" in {u.resource_type for u in p.unavailable if not u.unsupported}
    said = [w for w in warnings if "an absolute reference to another server" in w]
    assert said and "Observation/hie-1" in said[0] and "other.example.com" not in said[0]
    (tmp_path / "t").mkdir()
    _results, streamed = every_path([folder], tmp_path / "t")  # evaluate, its streamed reader and screen agree
    assert any("an absolute reference to another server" in w for w in streamed)


def test_without_a_manifest_an_absolute_reference_is_read_as_today(tmp_path: Path) -> None:
    (p,), warnings = read_patients([_other_server(tmp_path, with_manifest=False)])
    assert "hie-1" in {r.get("id") for r in p.resources}
    assert not any("another server" in w for w in warnings)
