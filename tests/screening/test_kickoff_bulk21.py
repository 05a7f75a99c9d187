"""The Bulk kick-off refused: 400/422 (the server cannot export what was asked: a ``_type``, a
``_typeFilter``) and 404/405 (no such operation) are a failed export, screened by search instead
(as a 5xx kick-off); a 401/403 is the refusal it is (exit 3), never a fallback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from fhir_eligibility.errors import AuthorizationError
from fhir_eligibility.retrieval import bulk
from fhir_eligibility.retrieval.search_client import SearchClient
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions

BASE = "http://fhir.test/r4"
# the server's diagnostics quote a patient: never in a note
_REFUSAL = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "not-supported", "diagnostics": "_typeFilter for Patient/p1 Jane Roe"}],
}


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture(autouse=True)
def _no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FHIR_ELIGIBILITY_TOKEN", raising=False)
    monkeypatch.setattr(bulk, "_sleep", lambda _s: None)


@pytest.mark.parametrize("status", [400, 404, 405, 422])
def test_a_kick_off_refused_for_what_was_asked_is_a_failed_export(
    rsps: responses.RequestsMock, tmp_path: Path, status: int
) -> None:
    rsps.get(f"{BASE}/$export", status=status, json=_REFUSAL)
    with FhirServer(ServerOptions(BASE)) as server:
        result = bulk.bulk_export(SearchClient(server), "$export", ["Condition", "Patient"], tmp_path)
    assert result.failed and result.files == [] and result.vouched == []
    (note,) = result.notes
    assert note.startswith(f"$export kick-off refused (HTTP {status}: error/not-supported)")
    assert "Jane" not in note and "p1" not in note
    assert len(rsps.calls) == 1  # a refusal is not asked again


@pytest.mark.parametrize("status", [401, 403])
def test_a_kick_off_not_authorised_is_no_fallback(rsps: responses.RequestsMock, tmp_path: Path, status: int) -> None:
    rsps.get(f"{BASE}/$export", status=status)
    with FhirServer(ServerOptions(BASE)) as server, pytest.raises(AuthorizationError):
        bulk.bulk_export(SearchClient(server), "$export", ["Patient"], tmp_path)
