"""Write-back against a server that stores what it is sent (``responses``), matching as servers do.

Adversarial review 18 found, on main:

1. Medplum matches identifier tokens case-insensitively (FHIR ids are case-sensitive): write-back for
   ``Patient/SAMPLE-01`` dropped the subject its own search returned (``sample-01``'s: the key differs),
   decided "none yet" and sent a conditional ``PUT ResearchSubject?identifier=...``, which the server
   resolved to sample-01's subject: staff's ``on-study`` replaced, the GuidanceResponse taken over. The
   same with a server that ignores the parameter. Expected: nothing of another patient is touched; ours
   is created (``POST``: never onto a record a search resolved) and a second run updates that one.
2. After a merge moved sample-19's subject (our identifier, key ``.../sample-19``) to sample-111, a
   second subject was added for sample-111 and the same study (docs/write-back.md: nothing is added
   beside an existing subject for this patient and study).
4. A study staff named with ``http://clinicaltrials.gov`` got a second ResearchStudy and a second subject.
3. ``--write-back --as-of`` another day wrote that day's outcome as the subject's current status.
5. The same verdict re-written every run: a new version of the subject and the results each time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import click
import pytest
import requests
import responses
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.results import Verdict
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions
from fhir_eligibility.writeback import Outcome, Written, check_as_of, send, summary, transactions

BASE = "https://fhir.example.org/r4"
TRIAL = Trial("NCT01842165", "A trial", ())
SUBJECT = "urn:fhir-eligibility:research-subject"
RESULTS = "urn:fhir-eligibility:guidance-response"


class Stored:
    """A FHIR server in memory. ``matching``: ``exact``, ``ci`` (token values case-insensitively, as
    Medplum) or ``ignore`` (the identifier parameter ignored: every resource of the type returned)."""

    def __init__(self, rsps: responses.RequestsMock, matching: str = "exact") -> None:
        self.matching = matching
        self.store: dict[tuple[str, str], dict[str, Any]] = {}
        self.transactions: list[dict[str, Any]] = []
        self.serial = 0
        capabilities = {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"}
        rsps.add(responses.GET, BASE + "/metadata", json=capabilities)
        for rtype in ("ResearchSubject", "GuidanceResponse", "ResearchStudy"):
            rsps.add_callback(responses.GET, f"{BASE}/{rtype}", self._search)
        rsps.add_callback(responses.POST, BASE, self._transaction)

    def put(self, resource: dict[str, Any]) -> dict[str, Any]:
        """Store (create or update) one resource, a new version each time, as a FHIR server does."""
        key = (resource["resourceType"], resource.get("id") or self._new_id())
        old = self.store.get(key)
        version = int(old["meta"]["versionId"]) + 1 if old else 1
        stored = {**resource, "id": key[1], "meta": {"versionId": str(version)}}
        self.store[key] = stored
        return stored

    def _new_id(self) -> str:
        self.serial += 1
        return f"id{self.serial}"

    def of(self, rtype: str) -> list[dict[str, Any]]:
        return [r for (t, _), r in self.store.items() if t == rtype]

    def versions(self) -> dict[str, str]:
        return {f"{t}/{i}": r["meta"]["versionId"] for (t, i), r in self.store.items()}

    def _matches(self, rtype: str, params: dict[str, list[str]]) -> list[dict[str, Any]]:
        found = self.of(rtype)
        for token in params.get("identifier", []) if self.matching != "ignore" else []:
            system, _, value = token.rpartition("|") if "|" in token else ("", "", token)

            def same(a: str, b: str) -> bool:
                return a.lower() == b.lower() if self.matching == "ci" else a == b

            found = [
                r
                for r in found
                if any(
                    same(i.get("value", ""), value) and (not system or i.get("system") == system)
                    for i in r.get("identifier", [])
                )
            ]
        for ref in params.get("individual", []):
            found = [r for r in found if r.get("individual", {}).get("reference") == ref]
        return found

    def _search(self, request: requests.PreparedRequest) -> Any:
        url = urlsplit(str(request.url))
        found = self._matches(url.path.rsplit("/", 1)[1], parse_qs(url.query))
        page = {"resourceType": "Bundle", "type": "searchset", "total": len(found)}
        page["entry"] = [{"resource": r, "search": {"mode": "match"}} for r in found]
        return 200, {}, json.dumps(page)

    def _transaction(self, request: requests.PreparedRequest) -> Any:
        assert request.body is not None
        bundle = json.loads(request.body)
        self.transactions.append(bundle)
        refs: dict[str, str] = {}
        answers = []
        for e in bundle["entry"]:
            res, req = json.loads(json.dumps(e["resource"]), object_hook=lambda d: _resolve(d, refs)), e["request"]
            rtype, _, query = req["url"].partition("?")
            if req["method"] == "POST" and "ifNoneExist" in req:
                hits = self._matches(rtype, parse_qs(unquote(req["ifNoneExist"])))
                stored, status = (hits[0], "200 OK") if hits else (self.put(res), "201 Created")
            elif req["method"] == "POST":
                stored, status = self.put({k: v for k, v in res.items() if k != "id"}), "201 Created"
            elif query:  # conditional update: resolved by the same search
                hits = self._matches(rtype, parse_qs(query))
                assert len(hits) <= 1
                stored = self.put({**res, "id": hits[0]["id"]} if hits else res)
                status = "200 OK" if hits else "201 Created"
            else:
                rtype, rid = req["url"].split("/")
                new = (rtype, rid) not in self.store
                stored, status = self.put({**res, "id": rid}), "201 Created" if new else "200 OK"
            if "fullUrl" in e:
                refs[e["fullUrl"]] = f"{rtype}/{stored['id']}"
            answers.append({"response": {"status": status, "location": f"{rtype}/{stored['id']}"}})
        return 200, {}, json.dumps({"resourceType": "Bundle", "type": "transaction-response", "entry": answers})


def _resolve(d: dict[str, Any], refs: dict[str, str]) -> dict[str, Any]:
    if isinstance(d.get("reference"), str) and d["reference"] in refs:
        return {**d, "reference": refs[d["reference"]]}
    return d


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _run(verdict: Verdict, pid: str, as_of: dt.date = dt.date(2026, 6, 1)) -> Outcome:
    bundles = transactions([Written(TRIAL.id, pid, verdict)], [TRIAL], "2026-06-01T10:00:00+00:00", as_of)
    with FhirServer(ServerOptions(BASE, use_env_token=False)) as server:
        return send(server, bundles)


def _key(resource: dict[str, Any], system: str) -> str:
    return next(i["value"] for i in resource["identifier"] if i["system"] == system)


@pytest.mark.parametrize("matching", ["ci", "ignore"])
def test_another_patient_s_subject_and_results_are_never_written(rsps: responses.RequestsMock, matching: str) -> None:
    server = Stored(rsps, matching)
    assert _run(Verdict.NEEDS_REVIEW, "sample-01").created == 1
    theirs = next(r for r in server.of("ResearchSubject"))
    server.put({k: v for k, v in theirs.items() if k != "meta"} | {"status": "on-study"})  # staff enrol sample-01
    before = {k: json.dumps(v, sort_keys=True) for k, v in server.store.items()}

    out = _run(Verdict.INELIGIBLE, "SAMPLE-01")  # another patient: FHIR ids are case-sensitive
    assert out.failed == [] and out.created == 1
    for k, text in before.items():  # sample-01's subject, results (and the study) are as they were
        assert json.dumps(server.store[k], sort_keys=True) == text, k
    subjects = {_key(r, SUBJECT): r for r in server.of("ResearchSubject")}
    assert subjects[f"{TRIAL.id}/sample-01"]["status"] == "on-study"
    assert subjects[f"{TRIAL.id}/SAMPLE-01"]["status"] == "ineligible"
    assert subjects[f"{TRIAL.id}/SAMPLE-01"]["individual"] == {"reference": "Patient/SAMPLE-01"}
    results = {_key(r, RESULTS): r for r in server.of("GuidanceResponse")}
    assert results[f"{TRIAL.id}/SAMPLE-01"]["subject"] == {"reference": "Patient/SAMPLE-01"}
    assert results[f"{TRIAL.id}/sample-01"]["subject"] == {"reference": "Patient/sample-01"}
    assert len(server.of("ResearchStudy")) == 1

    # idempotent: the next run updates SAMPLE-01's own records (by id), nothing created, nothing else touched
    mine = subjects[f"{TRIAL.id}/SAMPLE-01"]["id"]
    out = _run(Verdict.ELIGIBLE, "SAMPLE-01")
    assert (out.created, out.updated, out.failed) == (0, 1, [])
    assert len(server.of("ResearchSubject")) == len(server.of("GuidanceResponse")) == 2
    assert server.store[("ResearchSubject", mine)]["status"] == "eligible"
    assert (
        json.dumps(server.store[("ResearchSubject", theirs["id"])], sort_keys=True)
        == before[("ResearchSubject", theirs["id"])]
    )
    for e in server.transactions[-1]["entry"]:
        assert "?" not in e["request"]["url"]  # never a conditional write beside another patient's record


def _study(rsps_server: Stored, system: str = "https://clinicaltrials.gov") -> str:
    study = {"resourceType": "ResearchStudy", "identifier": [{"system": system, "value": TRIAL.id}], "status": "active"}
    return str(rsps_server.put(study)["id"])


def test_a_subject_a_merge_moved_to_this_patient_counts_as_existing(rsps: responses.RequestsMock) -> None:
    """sample-19 merged into sample-111: the merge moved sample-19's subject (our identifier, key
    ``.../sample-19``) to sample-111 and staff set it ``on-study``; nothing is added beside it."""
    server = Stored(rsps)
    study = _study(server)
    moved = server.put(
        {
            "resourceType": "ResearchSubject",
            "identifier": [{"system": SUBJECT, "value": f"{TRIAL.id}/sample-19"}],
            "status": "on-study",
            "study": {"reference": f"ResearchStudy/{study}"},
            "individual": {"reference": "Patient/sample-111"},
        }
    )
    out = _run(Verdict.INELIGIBLE, "sample-111")
    assert (out.created, out.updated, out.kept, out.failed) == (0, 0, 1, [])
    assert [r["id"] for r in server.of("ResearchSubject")] == [moved["id"]]
    assert server.store[("ResearchSubject", moved["id"])]["status"] == "on-study"
    assert out.conflicts and "'on-study'" in out.conflicts[0][1] and "'ineligible'" in out.conflicts[0][1]


def test_a_study_named_with_http_clinicaltrials_gov_is_the_same_study(rsps: responses.RequestsMock) -> None:
    """The registry's system written ``http://clinicaltrials.gov`` (staff, other tools): the same trial.
    No second ResearchStudy; staff's subject for it is kept; a new subject names their study."""
    server = Stored(rsps)
    study = _study(server, "http://clinicaltrials.gov")
    staff = server.put(
        {
            "resourceType": "ResearchSubject",
            "status": "on-study",
            "study": {"reference": f"ResearchStudy/{study}"},
            "individual": {"reference": "Patient/p1"},
        }
    )
    by_identifier = server.put(
        {
            "resourceType": "ResearchSubject",
            "status": "screening",
            "study": {"identifier": {"system": "http://clinicaltrials.gov", "value": TRIAL.id}},
            "individual": {"reference": "Patient/p2"},
        }
    )
    for pid in ("p1", "p2"):
        out = _run(Verdict.INELIGIBLE, pid)
        assert (out.created, out.kept, out.failed) == (0, 1, []), pid
    assert {r["id"] for r in server.of("ResearchSubject")} == {staff["id"], by_identifier["id"]}
    out = _run(Verdict.INELIGIBLE, "p3")  # no subject yet: ours names the study the server holds
    assert out.created == 1
    assert [r["id"] for r in server.of("ResearchStudy")] == [study]
    (mine,) = [r for r in server.of("ResearchSubject") if r["individual"]["reference"] == "Patient/p3"]
    assert mine["study"]["reference"] == f"ResearchStudy/{study}"


def test_the_same_outcome_again_writes_nothing(rsps: responses.RequestsMock) -> None:
    """Re-running with the same verdict made a new version of the subject and of its results every run
    ("1 updated"): nothing is sent when the status and the per-criterion results are what the server
    holds (when it was written aside); it is counted as unchanged. A new outcome is written."""
    server = Stored(rsps)
    assert _run(Verdict.INELIGIBLE, "p1").created == 1
    versions, sent = server.versions(), len(server.transactions)
    out = _run(Verdict.INELIGIBLE, "p1")
    assert (out.created, out.updated, out.unchanged, out.failed) == (0, 0, 1, [])
    assert server.versions() == versions and len(server.transactions) == sent
    assert summary(out, BASE)[-1] == f"write-back: 0 ResearchSubject(s) created, 0 updated, 1 unchanged on {BASE}"

    out = _run(Verdict.INELIGIBLE, "p1", dt.date(2026, 6, 2))  # evaluated as of another day: results say so
    assert (out.updated, out.unchanged) == (1, 0)
    out = _run(Verdict.ELIGIBLE, "p1", dt.date(2026, 6, 2))
    assert (out.updated, out.unchanged) == (1, 0)
    (subject,) = server.of("ResearchSubject")
    assert subject["status"] == "eligible"


@pytest.mark.parametrize("command", ["evaluate", "screen"])
def test_an_outcome_as_of_another_day_is_not_written_as_the_current_status(command: str) -> None:
    """R4 ``ResearchSubject.status`` is the subject's current state: ``--write-back --as-of 2024-01-01``
    wrote that day's outcome as it. Refused before anything is read (exit 2, as ``--assume-attested``),
    unless asked for with ``--any-as-of``; without ``--as-of`` the day is today."""
    args = [command, "--server", "http://127.0.0.1:9", "--write-back", "--as-of", "2024-01-01"]
    args += ["--patient", "p1"] if command == "evaluate" else []
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2 and "--as-of 2024-01-01 is not today" in r.output and "--any-as-of" in r.output
    r = CliRunner().invoke(cli, [command, "x.json", "--any-as-of"])
    assert r.exit_code == 2 and "--any-as-of goes with --write-back" in r.output


def test_any_as_of_lets_another_day_through_and_today_needs_nothing() -> None:
    today = dt.date(2026, 12, 7)
    check_as_of(True, today, False, today)
    check_as_of(True, dt.date(2026, 6, 1), True, today)
    check_as_of(False, dt.date(2026, 6, 1), False, today)  # no write-back: any day, as before
    with pytest.raises(click.UsageError, match="not today"):
        check_as_of(True, dt.date(2026, 12, 8), False, today)  # a day to come is not the current state either


def test_our_subject_moved_to_another_patient_is_not_written(rsps: responses.RequestsMock) -> None:
    """A subject carrying this patient's key that a merge (or a person) re-pointed at another patient is
    that patient's now: its status is not replaced, even one the product provably wrote."""
    server = Stored(rsps)
    assert _run(Verdict.NEEDS_REVIEW, "p1").created == 1
    (subject,) = server.of("ResearchSubject")
    server.put({**subject, "individual": {"reference": "Patient/p9"}})
    before = server.versions()
    out = _run(Verdict.INELIGIBLE, "p1")
    assert (out.created, out.updated, out.kept, out.failed) == (0, 0, 1, [])
    assert server.store[("ResearchSubject", subject["id"])]["status"] == "candidate"
    assert server.versions()[f"ResearchSubject/{subject['id']}"] == before[f"ResearchSubject/{subject['id']}"]
