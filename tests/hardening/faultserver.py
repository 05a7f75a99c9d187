"""A fault-injecting FHIR R4 server and a trap listener, both real HTTP on 127.0.0.1 (random ports).

The server holds the mini fixture's patient p1 (Patient, Hb, ALT, a midgut NET Condition) and
answers GET searches by resource type and patient (codes and dates are ignored: the evaluator
filters anyway), ``/metadata`` without batch, and ``$export``. ``fault`` is applied to requests
whose path starts with ``target`` ("Condition", "Observation", "Patient", "metadata", "" = all).

The trap answers every request with plausible data (a searchset holding the patient's NET
Condition), so following a redirect or link to it would change a result; every request it gets is
recorded with its headers. The tests assert it receives nothing (or nothing with credentials).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "mini"


def mini_resources() -> list[dict[str, Any]]:
    """The mini fixture's resources with references as ``Patient/p1`` (as a server stores them)."""
    bundle = json.loads((MINI / "patient.json").read_text())
    out = []
    for e in bundle["entry"]:
        r = copy.deepcopy(e["resource"])
        if "subject" in r:
            r["subject"] = {"reference": "Patient/p1"}
        out.append(r)
    return out


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class State:
    resources: list[dict[str, Any]] = field(default_factory=mini_resources)
    fault: str = ""
    target: str = ""
    trap: str = ""  # base URL of the trap, for redirects and links
    seen: list[Seen] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    is_trap: bool = False
    export: bool = False
    manifest_files: list[str] = field(default_factory=list)  # extra output URLs (e.g. on the trap)
    requires_token: bool = True
    # the export's messages, by severity: an "error" one comes with no Condition file (that part failed)
    export_messages: list[str] = field(default_factory=list)
    # how the export's Condition output is broken: "url-null" (listed without a url), "count" (the
    # manifest announces more than the file holds), "outcome-file" (an error OperationOutcome served
    # as the file, with 200), "condition-empty" (an empty file, no count), "resource-file" /
    # "untyped-file" (one file typed "Resource" / of no type, holding every record but the Conditions)
    export_fault: str = ""
    condition_type: object = ""  # what the manifest says the Condition file's type is (an attack: a path)


def _foreign_subject(body: dict[str, Any], _every: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """A resource of the searched type whose subject is another patient, naming ours as ``patient``."""
    other = {
        "resourceType": kind,
        "id": "x9",
        "subject": {"reference": "Patient/p2"},
        "patient": {"reference": "Patient/p1"},
    }
    entries = body.get("entry") or []
    return {**body, "entry": [*entries, {"resource": other}], "total": len(entries) + 1}


def _other_type(body: dict[str, Any], every: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Resources of another type than the one searched, as matches."""
    return {**body, "entry": [{"resource": r} for r in every if r["resourceType"] not in (kind, "Patient")][:3]}


def _before(extra: object) -> Callable[[dict[str, Any], list[dict[str, Any]], str], dict[str, Any]]:
    return lambda body, _every, _kind: {**body, "entry": [extra, *(body.get("entry") or [])]}


BAD_ID = {"reference": "Patient/bad_id!"}  # not a FHIR id: a search naming it must not stop a screening

# faulty 200 answers: (the normal searchset, every resource, the type searched) -> what is sent
GARBLED: dict[str, Callable[[dict[str, Any], list[dict[str, Any]], str], dict[str, Any]]] = {
    "entry-null": _before(None),
    "entry-no-resource": _before({"fullUrl": "urn:uuid:1"}),
    "entry-garbled": _before({"resource": "<garbled>"}),
    "entry-no-type": _before({"resource": {"id": "x"}}),
    "other-type": _other_type,
    "total-text": lambda body, _every, _kind: {**body, "entry": [], "total": "1"},
    "foreign-subject": _foreign_subject,
}


def searchset(resources: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
        **extra,
    }


ERROR_OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "exception", "diagnostics": "database unavailable"}],
}


def _transaction_answer(fault: str, body: bytes) -> dict[str, Any]:
    """What a transaction POST gets under the ``tx-*`` faults: ``tx-ok`` a transaction-response with every
    entry ``201 Created``; ``tx-entry-409`` the same with its last entry ``409 Conflict`` (not recorded);
    ``tx-outcome-200`` an error OperationOutcome with status 200 (the transaction rolled back)."""
    if fault == "tx-outcome-200":
        return ERROR_OUTCOME
    entries: list[dict[str, Any]] = [{"response": {"status": "201 Created"}} for _ in json.loads(body)["entry"]]
    if fault == "tx-entry-409":
        entries[-1] = {"response": {"status": "409 Conflict"}}
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": entries}


# a Condition's subject that names the patient by no id (the candidate search's ``subject-*`` faults)
SUBJECT_BY_IDENTIFIER: dict[str, dict[str, Any]] = {
    "subject-identifier": {"identifier": {"system": "urn:mrn", "value": "MRN-4711"}, "type": "Patient"},
    "subject-conditional": {"reference": "Patient?identifier=urn:mrn|MRN-4711"},
}


class Handler(BaseHTTPRequestHandler):
    server: FaultHttpServer
    protocol_version = "HTTP/1.1"
    body = b""  # of the request being answered (POST)

    def log_message(self, *_: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length)
        self._serve()

    def do_DELETE(self) -> None:
        self._send(202, b"")

    # -- plumbing ------------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode(), headers)

    def _serve(self) -> None:
        st = self.server.state
        parts = urlsplit(self.path)
        path = parts.path.removeprefix("/fhir").lstrip("/")
        st.seen.append(Seen(self.command, self.path, dict(self.headers.items())))
        if st.is_trap:
            trap_condition = next(r for r in mini_resources() if r["resourceType"] == "Condition")
            self._json(200, searchset([trap_condition]))
            return
        key = f"{st.fault}:{path.split('?')[0]}"
        st.counts[key] = st.counts.get(key, 0) + 1
        if st.fault and path.startswith(st.target) and self._fault(st, path, st.counts[key]):
            return
        self._normal(st, path, parse_qs(parts.query))

    def _normal(self, st: State, path: str, query: dict[str, list[str]]) -> None:
        if path == "metadata":
            cap: dict[str, Any] = {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1", "rest": [{}]}
            if st.export:
                cap["rest"] = [{"mode": "server", "operation": [{"name": "export"}]}]
            self._json(200, cap)
            return
        if path.startswith("$export"):
            base = f"http://127.0.0.1:{self.server.server_address[1]}/fhir"
            self._json(202, {}, {"Content-Location": f"{base}/status/1"})
            return
        if path.startswith("status/"):
            base = f"http://127.0.0.1:{self.server.server_address[1]}/fhir"
            failed = "error" in st.export_messages
            types = ("Patient", "Observation") if failed else ("Patient", "Observation", "Condition")
            outputs: list[dict[str, Any]] = [{"type": t, "url": f"{base}/files/{t}.ndjson"} for t in types]
            for o in outputs:
                if o["type"] == "Condition" and st.export_fault == "url-null":
                    o["url"] = None
                if o["type"] == "Condition" and st.export_fault == "count":
                    o["count"] = 4
                if o["type"] == "Condition" and st.condition_type:
                    o["type"] = st.condition_type
            if st.export_fault in ("resource-file", "untyped-file"):  # one file that may hold any type
                outputs = [{"type": "Resource", "url": f"{base}/files/all.ndjson"}]
                if st.export_fault == "untyped-file":
                    del outputs[0]["type"]
            outputs += [{"type": "Condition", "url": u} for u in st.manifest_files]
            errors = (
                [{"type": "OperationOutcome", "url": f"{base}/files/messages.ndjson"}] if st.export_messages else []
            )
            self._json(200, {"requiresAccessToken": st.requires_token, "output": outputs, "error": errors})
            return
        if path == "files/messages.ndjson":
            issues = [
                {"severity": v, "code": "exception", "diagnostics": f"Condition export: {v}"}
                for v in st.export_messages
            ]
            self._send(200, (json.dumps({"resourceType": "OperationOutcome", "issue": issues}) + "\n").encode())
            return
        if path == "files/Condition.ndjson" and st.export_fault == "outcome-file":
            self._json(200, ERROR_OUTCOME)
            return
        if path == "files/Condition.ndjson" and st.export_fault == "condition-empty":
            self._send(200, b"")
            return
        if path == "files/all.ndjson":  # every record but the Conditions (that part of the export failed)
            lines = [json.dumps(r) for r in st.resources if r["resourceType"] != "Condition"]
            self._send(200, ("\n".join(lines) + "\n").encode())
            return
        if path.startswith("files/"):
            kind = path.split("/")[1].split(".")[0]
            lines = [json.dumps(r) for r in st.resources if r["resourceType"] == kind]
            self._send(200, ("\n".join(lines) + "\n").encode())
            return
        rtype = path.split("?")[0].split("/")[0]
        found = [r for r in st.resources if r["resourceType"] == rtype]
        asked = query.get("patient") or query.get("subject") or query.get("_id")
        if asked:
            pid = asked[0].removeprefix("Patient/")
            ref = f"Patient/{pid}"
            found = [r for r in found if r.get("id") == pid or r.get("subject", {}).get("reference") == ref]
        self._json(200, searchset(found))

    # -- faults --------------------------------------------------------------------------------

    def _fault(self, st: State, path: str, nth: int) -> bool:
        """Answer with the fault; False to answer normally (a fault that heals)."""
        f = st.fault
        trap_url = f"{st.trap}/{path}"
        if f in ("500", "502", "404", "400"):
            self._json(int(f), ERROR_OUTCOME)
        elif f == "503-retry-after":
            self._json(503, ERROR_OUTCOME, {"Retry-After": "1"})
        elif f == "429-then-ok":
            if nth > 1:
                return False
            self._json(429, ERROR_OUTCOME, {"Retry-After": "1"})
        elif f == "retry-after-huge":
            self._json(503, ERROR_OUTCOME, {"Retry-After": "86400"})
        elif f == "slow":
            time.sleep(4)
            self._json(200, searchset([]))
        elif f == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(120):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
        elif f == "drop":
            self.close_connection = True
            self.connection.close()
        elif f == "half-body":
            self.send_response(200)
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b'{"resourceType": "Bundle", "entry": [')
            self.close_connection = True
        elif f == "invalid-json":
            self._send(200, b'{"resourceType": "Bundle", "entry": [')
        elif f == "json-array":
            self._send(200, b"[1, 2, 3]")
        elif f == "deep-json":
            self._send(200, b"[" * 100_000 + b"]" * 100_000)
        elif f == "huge-number":
            self._send(200, b'{"resourceType": "Bundle", "total": ' + b"9" * 100_000 + b"}")
        elif f == "entry-int":
            self._json(200, {"resourceType": "Bundle", "type": "searchset", "entry": 5})
        elif f == "link-int":
            self._json(200, {"resourceType": "Bundle", "type": "searchset", "link": 5})
        elif f == "outcome-200":
            self._json(200, ERROR_OUTCOME)
        elif f == "outcome-in-bundle":
            self._json(
                200,
                {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "entry": [{"resource": ERROR_OUTCOME, "search": {"mode": "outcome"}}],
                },
            )
        elif f == "wrong-patient":
            others = [r for r in st.resources if r["resourceType"] == path.split("?")[0]]
            moved = []
            for r in copy.deepcopy(others):
                if r["resourceType"] == "Patient":
                    r["id"] = "p2"
                else:
                    r["subject"] = {"reference": "Patient/p2"}
                moved.append(r)
            self._json(200, searchset(moved))
        elif f == "bad-id":  # the candidate search only: a patient's own searches are answered normally
            if "patient=" in urlsplit(self.path).query:
                return False
            body = searchset([r for r in st.resources if r["resourceType"] == "Condition"])
            body["entry"].append({"resource": {"resourceType": "Condition", "id": "x8", "subject": BAD_ID}})
            self._json(200, body)
        elif f in SUBJECT_BY_IDENTIFIER:  # the candidate search only, as "bad-id"; two Conditions, one subject
            if "patient=" in urlsplit(self.path).query:
                return False
            body = searchset([r for r in st.resources if r["resourceType"] == "Condition"])
            for cid in ("x8", "x9"):
                other = {"resourceType": "Condition", "id": cid, "subject": SUBJECT_BY_IDENTIFIER[f]}
                body["entry"].append({"resource": other})
            self._json(200, {**body, "total": len(body["entry"])})
        elif f.startswith("tx-"):  # a transaction POST only: the searches are answered normally
            if self.command != "POST":
                return False
            self._json(200, _transaction_answer(f, self.body))
        elif f in GARBLED:  # a 200 whose search result cannot be read as one (adversarial review)
            kind = path.split("?")[0]
            mine = [r for r in st.resources if r["resourceType"] == kind]
            self._json(200, GARBLED[f](searchset(mine), st.resources, kind))
        elif f == "403-p2":  # one patient's record is restricted; the others are served
            if "p2" not in urlsplit(self.path).query:
                return False
            self._json(403, ERROR_OUTCOME)
        elif f == "total-mismatch":
            self._json(200, searchset([], total=3))
        elif f == "total-first-page":  # only the first page says how many; the second brings none
            if "page=2" in self.path:
                self._json(200, searchset([], total=None))
            else:
                port = self.server.server_address[1]
                more = [{"relation": "next", "url": f"http://127.0.0.1:{port}{self.path}&page=2"}]
                self._json(200, searchset([], total=2, link=more))
        elif f == "incomplete-warning":  # "results may be incomplete", as a warning, and no match
            warning = {"severity": "warning", "code": "incomplete", "diagnostics": "results may be incomplete"}
            outcome = {"resourceType": "OperationOutcome", "issue": [warning]}
            self._json(200, searchset([], entry=[{"resource": outcome, "search": {"mode": "outcome"}}]))
        elif f == "suppressed-warning":  # an EHR withholding records by consent says so as a warning
            warning = {"severity": "warning", "code": "suppressed", "diagnostics": "some records withheld (consent)"}
            outcome = {"resourceType": "OperationOutcome", "issue": [warning]}
            self._json(200, searchset([], entry=[{"resource": outcome, "search": {"mode": "outcome"}}]))
        elif f.startswith("redirect-"):
            self._send(int(f.split("-")[1]), b"", {"Location": trap_url})
        elif f == "foreign-next":
            self._json(200, searchset([], link=[{"relation": "next", "url": trap_url}]))
        elif f == "backslash-next":
            port = self.server.server_address[1]
            link = f"http://127.0.0.1:{st.trap.rsplit(':', 1)[1].split('/')[0]}\\@127.0.0.1:{port}/fhir/{path}"
            self._json(200, searchset([], link=[{"relation": "next", "url": link}]))
        else:
            raise AssertionError(f"unknown fault {f}")
        return True


class FaultHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: State) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (deadline) breaks the pipe: expected here, not worth a trace."""


class Running:
    """A server thread; ``base`` is its FHIR base URL."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.httpd = FaultHttpServer(state)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/fhir"

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve(state: State) -> Iterator[Running]:
    running = Running(state)
    try:
        yield running
    finally:
        running.stop()
