"""A ``$export`` file download answering 500 is asked again, as a 502/503/504 is (an adversarial review:
a file server's passing 500 ended the whole ``screen --server`` run, exit 2); a 500 each time is still
an error, and no part of the file is left to read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.retrieval import bulk
from fhir_eligibility.retrieval.search_client import SearchClient
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions

BASE = "http://fhir.test/r4"
FAILED = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception"}]}


@pytest.fixture
def rsps(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    monkeypatch.delenv("FHIR_ELIGIBILITY_TOKEN", raising=False)
    monkeypatch.setattr(bulk, "_sleep", lambda _s: None)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def _export(rsps: responses.RequestsMock, status_id: str) -> str:
    """A kick-off and status answering one Patient file, ``{BASE}/files/p.ndjson``."""
    status = f"{BASE}/status/{status_id}"
    rsps.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": status})
    manifest = {
        "transactionTime": "2026-06-01T00:00:00Z",
        "request": f"{BASE}/Patient/$export",
        "requiresAccessToken": False,
        "output": [{"type": "Patient", "url": f"{BASE}/files/p.ndjson", "count": 1}],
        "error": [],
    }
    rsps.get(status, json=manifest)
    rsps.delete(status, status=202)
    return f"{BASE}/files/p.ndjson"


def test_a_file_download_answering_500_is_asked_again(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    """A 500, then the file: the export is whole (before: the 500 ended the run, exit 2)."""
    url = _export(rsps, "1")
    rsps.get(url, status=500, json=FAILED)
    rsps.get(url, body='{"resourceType":"Patient","id":"p1"}\n')
    with FhirServer(ServerOptions(BASE, retries=2)) as server:
        result = bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient"], tmp_path)
    assert not result.failed and [f.read_text() for f in result.files] == ['{"resourceType":"Patient","id":"p1"}\n']


def test_a_file_download_answering_500_each_time_is_an_error(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    url = _export(rsps, "2")
    for _ in range(3):
        rsps.get(url, status=500, json=FAILED)
    with FhirServer(ServerOptions(BASE, retries=2)) as server, pytest.raises(RetrievalError, match="HTTP 500"):
        bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient"], tmp_path)
    assert not list(tmp_path.iterdir())  # no part of a file is left
