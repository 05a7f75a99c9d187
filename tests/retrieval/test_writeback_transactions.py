"""Write-back's transactions against a server that limits them and refuses with patient data in its outcome.

Adversarial review: one transaction per patient carried 3 conditional entries per study (the study's
conditional create, the subject's and the results' conditional PUTs); with 3 trials that is 9, and
Medplum refuses a transaction with more than 8, so nothing was recorded for anyone. One transaction per
patient x study carries 3. A refusal's OperationOutcome may quote the patient (Medplum's diagnostics
echo the resource): what is reported of it is each issue's severity/code, never its text.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import requests
import responses

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.results import Verdict
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions
from fhir_eligibility.writeback import Written, run_write_back, send, transactions
from tests.retrieval.fake_fhir import BASE

TRIALS = [Trial(f"NCT0000000{i}", f"Trial {i}", ()) for i in (1, 2, 3)]
MAX_CONDITIONAL = 8  # Medplum's limit per transaction
PRIVATE = "Jane Doe, born 1961-03-04"


def _conditional(entry: dict[str, Any]) -> bool:
    request = entry["request"]
    return "ifNoneExist" in request or "?" in request["url"]


class Limited:
    """A server that answers write-back's look-ups with nothing and records transactions, refusing (400,
    its diagnostics naming the patient) any with more than 8 conditional entries, or every one."""

    def __init__(self, rsps: responses.RequestsMock, refuse_all: bool = False) -> None:
        self.refuse_all = refuse_all
        self.posted: list[dict[str, Any]] = []
        capabilities = {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"}
        rsps.add(responses.GET, BASE + "/metadata", json=capabilities)
        empty = {"resourceType": "Bundle", "type": "searchset", "total": 0}
        for rtype in ("ResearchSubject", "GuidanceResponse", "ResearchStudy"):
            rsps.add(responses.GET, f"{BASE}/{rtype}", json=empty)
        rsps.add_callback(responses.POST, BASE, self._post)

    def _post(self, request: requests.PreparedRequest) -> Any:
        assert request.body is not None
        bundle = json.loads(request.body)
        self.posted.append(bundle)
        if self.refuse_all or sum(map(_conditional, bundle["entry"])) > MAX_CONDITIONAL:
            issue = {"severity": "error", "code": "processing", "diagnostics": f"refused: {PRIVATE}"}
            return 400, {}, json.dumps({"resourceType": "OperationOutcome", "issue": [issue]})
        entries = [{"response": {"status": "201 Created"}} for _ in bundle["entry"]]
        return 200, {}, json.dumps({"resourceType": "Bundle", "type": "transaction-response", "entry": entries})


def _written(pid: str = "p1") -> list[Written]:
    return [Written(t.id, pid, Verdict.INELIGIBLE) for t in TRIALS]


def test_three_trials_are_three_transactions_the_server_accepts(rsps: responses.RequestsMock) -> None:
    server = Limited(rsps)
    bundles = transactions(_written(), TRIALS, "2026-06-01T10:00:00+00:00", dt.date(2026, 6, 1))
    with FhirServer(ServerOptions(BASE)) as fhir:
        out = send(fhir, bundles)
    assert out.failed == [] and out.created == 3
    assert len(server.posted) == 3
    assert all(sum(map(_conditional, b["entry"])) <= 3 for b in server.posted)


@pytest.mark.parametrize("sent_by", ["send", "run_write_back"])
def test_a_refusal_reports_the_outcome_codes_never_its_text(
    rsps: responses.RequestsMock, sent_by: str, capsys: pytest.CaptureFixture[str]
) -> None:
    Limited(rsps, refuse_all=True)
    written = _written()[:1]
    if sent_by == "send":
        bundles = transactions(written, TRIALS, "2026-06-01T10:00:00+00:00", dt.date(2026, 6, 1))
        with FhirServer(ServerOptions(BASE)) as fhir:
            out = send(fhir, bundles)
        ((pid, cause),) = out.failed
        said = f"{pid}: {cause}"
    else:
        assert run_write_back(ServerOptions(BASE), written, TRIALS, dt.date(2026, 6, 1), False) == 5
        said = capsys.readouterr().err
    assert "HTTP 400" in said and "error/processing" in said and TRIALS[0].id in said, said
    assert "Jane" not in said and "1961" not in said, said


@pytest.mark.parametrize("metadata", [500, 404, {"resourceType": "CapabilityStatement"}], ids=["500", "404", "none"])
def test_no_readable_fhir_version_writes_nothing(rsps: responses.RequestsMock, metadata: Any) -> None:
    """A CapabilityStatement that cannot be read (a fault) or names no version does not let write-back
    through where one declaring R5 would stop it: a fault never makes a write possible."""
    rsps.add_callback(responses.POST, BASE, lambda _r: (200, {}, "{}"))
    if isinstance(metadata, int):
        rsps.add(responses.GET, BASE + "/metadata", status=metadata)
    else:
        rsps.add(responses.GET, BASE + "/metadata", json=metadata)
    bundles = transactions(_written(), TRIALS, "2026-06-01T10:00:00+00:00", dt.date(2026, 6, 1))
    with FhirServer(ServerOptions(BASE)) as fhir:
        out = send(fhir, bundles)
    assert out.created == 0 and len(out.failed) == 3
    assert all("names no FHIR version" in why for _pid, why in out.failed)
    assert not [c for c in rsps.calls if c.request.method == "POST"]
