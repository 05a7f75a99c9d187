"""A write-back transaction is never sent twice after it may have reached the server.

Adversarial review 20: ``Connection.request`` retried 502/503/504 and dropped connections for every
request, transactions too. A server that matches identifiers case-insensitively makes write-back
create its subject with a plain ``POST``; the server saved the first transaction, answered 504 (or the
connection dropped), the retry saved it again: two ResearchSubjects carrying the identifier, "1
created" said, and every later run stopped at "two ResearchSubjects carry the identifier" (exit 5).
An update by id with ``ifMatch`` was saved, its retry refused with 412 and reported "refused", although
the status was written. Expected: one transaction sent; the outcome is "whether it was recorded is
unknown" (a failure: exit 5), and the next run reads what the server holds and settles it.

Worked by hand: after the single (saved) transaction the server holds exactly one subject of ours;
the next run finds it (our tag proves the status) and, the verdict unchanged, writes nothing.
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
from fhir_eligibility.retrieval.connection import Connection
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions
from fhir_eligibility.retrieval.transport import Fault
from fhir_eligibility.writeback import Outcome, Written, run_write_back, send, transactions
from tests.test_write_back_review18 import BASE, SUBJECT, Stored

TRIAL = Trial("NCT01842165", "A trial", ())
UNKNOWN = "whether it was recorded is unknown"


class Flaky(Stored):
    """Stores each transaction (refusing an ``ifMatch`` on an old version with 412, as servers do), then
    answers the first ``lost`` of them with ``fault``: a 5xx status, or a dropped connection."""

    def __init__(self, rsps: responses.RequestsMock, fault: int | Exception, lost: int = 1) -> None:
        super().__init__(rsps, "ci")
        self.fault, self.lost = fault, lost

    def _transaction(self, request: requests.PreparedRequest) -> Any:
        assert request.body is not None
        for e in json.loads(request.body)["entry"]:
            rtype, _, rid = e["request"]["url"].partition("/")
            held = self.store.get((rtype, rid))
            match = e["request"].get("ifMatch")
            if match is not None and held is not None and match != f'W/"{held["meta"]["versionId"]}"':
                outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "conflict"}]}
                return 412, {}, json.dumps(outcome)
        answer = super()._transaction(request)
        if self.lost:
            self.lost -= 1
            if isinstance(self.fault, Exception):
                raise self.fault
            return self.fault, {}, "<html>gateway timeout</html>"
        return answer


def _run(pid: str, verdict: Verdict = Verdict.NEEDS_REVIEW) -> Outcome:
    bundles = transactions([Written(TRIAL.id, pid, verdict)], [TRIAL], "2026-06-01T10:00:00+00:00", dt.date(2026, 6, 1))
    with FhirServer(ServerOptions(BASE, use_env_token=False, retries=2, backoff_base=0)) as server:
        return send(server, bundles)


FAULTS = [504, 502, 503, requests.ConnectionError("connection reset")]


@pytest.mark.parametrize("fault", FAULTS, ids=["504", "502", "503", "dropped"])
def test_a_create_beside_another_patient_s_record_is_sent_once(rsps: responses.RequestsMock, fault: Any) -> None:
    server = Stored(rsps, "ci")
    assert _run("sample-01").created == 1  # sample-01's subject: SAMPLE-01's search returns it (ci)
    rsps.reset()
    server = _moved(server, Flaky(rsps, fault))

    out = _run("SAMPLE-01")  # its subject is a plain POST (create): the server saved it, then the answer was lost
    assert len(server.transactions) == 1, "the transaction was sent again"
    assert (out.created, out.updated) == (0, 0)
    ((pid, cause),) = out.failed
    assert pid == "SAMPLE-01" and UNKNOWN in cause and TRIAL.id in cause, cause
    subjects = server.of("ResearchSubject")
    keys = sorted(next(i["value"] for i in r["identifier"] if i["system"] == SUBJECT) for r in subjects)
    assert keys == [f"{TRIAL.id}/SAMPLE-01", f"{TRIAL.id}/sample-01"]

    out = _run("SAMPLE-01")  # the next run reads what was recorded: nothing to write, no duplicate
    assert (out.created, out.updated, out.unchanged, out.failed) == (0, 0, 1, [])


@pytest.mark.parametrize("fault", FAULTS, ids=["504", "502", "503", "dropped"])
def test_an_if_match_update_saved_then_lost_is_unknown_not_refused(rsps: responses.RequestsMock, fault: Any) -> None:
    server = Stored(rsps)
    assert _run("p1").created == 1
    rsps.reset()
    server = _moved(server, Flaky(rsps, fault))

    out = _run("p1", Verdict.INELIGIBLE)  # update by id with ifMatch: saved, its answer lost
    assert len(server.transactions) == 1
    ((_, cause),) = out.failed
    assert UNKNOWN in cause and "412" not in cause and "refused" not in cause, cause
    (subject,) = server.of("ResearchSubject")
    assert subject["status"] == "ineligible"


def test_the_command_exits_5_saying_it_is_unknown(
    rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    server = Flaky(rsps, 504)
    written = [Written(TRIAL.id, "p1", Verdict.NEEDS_REVIEW)]
    options = ServerOptions(BASE, use_env_token=False, retries=2, backoff_base=0)
    assert run_write_back(options, written, [TRIAL], dt.date(2026, 6, 1), False) == 5
    err = capsys.readouterr().err
    assert UNKNOWN in err and "0 ResearchSubject(s) created" in err, err
    assert len(server.transactions) == 1


def _moved(old: Stored, new: Stored) -> Stored:
    new.store, new.serial = old.store, old.serial
    return new


# -- the request loop: what may be sent again --------------------------------------------------------

CREATE = {"request": {"method": "POST", "url": "ResearchSubject"}}
TRANSACTION = {"resourceType": "Bundle", "type": "transaction", "entry": [CREATE]}
READ = {"request": {"method": "GET", "url": "Patient"}}
BATCH_OF_READS = {"resourceType": "Bundle", "type": "batch", "entry": [READ]}
BATCH_WITH_WRITE = {
    "resourceType": "Bundle",
    "type": "batch",
    "entry": [READ, CREATE],
}


def _post(rsps: responses.RequestsMock, body: dict[str, Any], *answers: int | Exception) -> int:
    """POST ``body`` through the request loop against ``answers`` in turn; how many were sent."""
    for a in answers:
        if isinstance(a, Exception):
            rsps.add(responses.POST, BASE, body=a)
        else:
            rsps.add(responses.POST, BASE, status=a, json={"resourceType": "Bundle", "type": "transaction-response"})
    with Connection(ServerOptions(BASE, use_env_token=False, retries=2, backoff_base=0)) as c:
        try:
            c.request("POST", BASE, what="t", headers={}, json_body=body)
        except Fault as f:
            assert f.status is None and "may have" in f.cause, f.cause  # no answer of the server's own
    return len(rsps.calls)


@pytest.mark.parametrize("fault", [502, 503, 504, requests.ConnectionError("reset")], ids=str)
@pytest.mark.parametrize("body", [TRANSACTION, BATCH_WITH_WRITE], ids=["transaction", "batch-with-write"])
def test_a_write_is_not_sent_again(
    rsps: responses.RequestsMock, sleeps: list[float], body: dict[str, Any], fault: Any
) -> None:
    assert _post(rsps, body, fault, 200) == 1


@pytest.mark.parametrize("fault", [502, 503, 504, requests.ConnectionError("reset")], ids=str)
def test_a_batch_of_reads_is_still_retried(rsps: responses.RequestsMock, sleeps: list[float], fault: Any) -> None:
    assert _post(rsps, BATCH_OF_READS, fault, 200) == 2


def _transaction(**request: str) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {}, "request": request}]}


@pytest.mark.parametrize(
    "request_",
    [
        {"method": "PUT", "url": "ResearchSubject/rs1", "ifMatch": 'W/"1"'},  # refused with 412 once saved
        {"method": "PUT", "url": "ResearchSubject?identifier=x"},  # resolved by the server's search
        {"method": "POST", "url": "ResearchStudy", "ifNoneExist": "identifier=x"},  # the same
        {"method": "POST", "url": "QuestionnaireResponse"},
    ],
    ids=["if-match", "conditional-update", "conditional-create", "create"],
)
def test_a_transaction_with_any_such_entry_is_not_sent_again(
    rsps: responses.RequestsMock, sleeps: list[float], request_: dict[str, str]
) -> None:
    assert _post(rsps, _transaction(**request_), 504, 200) == 1


def test_a_transaction_of_puts_by_id_is_sent_again(rsps: responses.RequestsMock, sleeps: list[float]) -> None:
    """An attestation's QuestionnaireResponse and Provenance, PUT by the ids the client chose: the same
    twice is the same record (a new version at most), so a lost answer is asked again."""
    assert _post(rsps, _transaction(method="PUT", url="QuestionnaireResponse/qr1"), 504, 200) == 2


def test_a_429_refused_the_transaction_unprocessed_so_it_is_sent_again(
    rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    assert _post(rsps, TRANSACTION, 429, 200) == 2


def test_a_connection_never_made_is_retried_for_a_transaction(
    rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    assert _post(rsps, TRANSACTION, requests.ConnectTimeout("connect"), 200) == 2
