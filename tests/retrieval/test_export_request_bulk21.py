"""What an export was asked for when its manifest's ``request`` says nothing of it (a POST kick-off
keeps its parameters in the Parameters body: ``request`` is the bare ``$export`` URL).

``screen --server`` reads its own export with the parameters it sent (bulk._vouch: the types it asked
for), never with the manifest's ``request``; a ``deleted`` array it did not expect is downloaded and
read (the readers apply its DELETEs), not dropped. A saved folder's manifest: its ``request`` is all it
says of the parameters, except a non-empty ``deleted`` array, which only a ``_since`` export has (Bulk
Data): then a count of 0 is unknown, not none (NETTER-2 I1 ``unknown`` for sample 01 without its
Conditions, not ``fail``). A POST ``_since`` export without deletions cannot be told from a full one:
the limit manifest.py documents."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from fhir_eligibility.requirements.model import CLOSED_WORLD_TYPES
from fhir_eligibility.retrieval import bulk
from fhir_eligibility.retrieval.manifest import folder_manifest
from fhir_eligibility.retrieval.search_client import SearchClient
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions
from tests.retrieval.test_export_folders_bulkfix20 import IN_PART
from tests.retrieval.test_folder_manifest import export_folder, lost, manifest, out

BASE = "http://fhir.test/r4"
GONE = {"request": {"method": "DELETE", "url": "Observation/o9"}}
DELETION = {"resourceType": "Bundle", "type": "transaction", "entry": [GONE]}


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture(autouse=True)
def _no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FHIR_ELIGIBILITY_TOKEN", raising=False)
    monkeypatch.setattr(bulk, "_sleep", lambda _s: None)


def test_its_own_export_is_read_with_what_it_asked_and_its_deletions_kept(
    rsps: responses.RequestsMock, tmp_path: Path
) -> None:
    status = f"{BASE}/status/1"
    rsps.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": status})
    body = {
        "transactionTime": "2026-06-01T00:00:00Z",
        "request": f"{BASE}/Patient/$export",  # no query, as after a POST kick-off
        "requiresAccessToken": False,
        "output": [
            {"type": "Patient", "url": f"{BASE}/files/p.ndjson"},
            {"type": "Procedure", "url": f"{BASE}/files/x.ndjson", "count": 0},
        ],
        "deleted": [{"type": "Bundle", "url": f"{BASE}/files/del.ndjson"}],
        "error": [],
    }
    rsps.get(status, json=body)
    rsps.get(f"{BASE}/files/p.ndjson", body='{"resourceType":"Patient","id":"p1"}\n')
    rsps.get(f"{BASE}/files/x.ndjson", body="")
    rsps.get(f"{BASE}/files/del.ndjson", body=json.dumps(DELETION) + "\n")
    rsps.delete(status, status=202)
    with FhirServer(ServerOptions(BASE)) as server:
        result = bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient", "Procedure"], tmp_path)
    assert not result.failed and result.vouched == ["Patient", "Procedure"]
    kept = [f for f in result.files if f.read_text().startswith('{"resourceType": "Bundle"')]
    assert len(kept) == 1 and len(result.files) == 3
    assert "$export listed 1 file(s) of deletions: read with the data" in result.notes


def test_a_saved_export_listing_deletions_is_a_since_export(tmp_path: Path) -> None:
    body = manifest([out("Patient", 1), out("Condition", 0)])  # request without a query
    body["deleted"] = [{"type": "Bundle", "url": "https://fhir.example.org/r4/files/del.ndjson"}]
    folder = export_folder(tmp_path, body)
    (folder / "del.ndjson").write_text(json.dumps(DELETION) + "\n")
    m = folder_manifest([folder])
    assert m.vouched == [] and m.partial == [] and m.incomplete == list(CLOSED_WORLD_TYPES)  # spark21
    assert any("the export holds only what changed since an earlier export" in n for n in m.notes)
    assert lost(folder) == {"the input holds no Condition records (an export without them)", IN_PART}
    body["deleted"] = []  # no deletions: no word of a _since; read as a whole export (the documented limit)
    (folder / "manifest.json").write_text(json.dumps(body))
    assert folder_manifest([folder]).vouched == ["Condition"]
