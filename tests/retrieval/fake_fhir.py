"""A small in-memory FHIR R4 server on ``responses``: searches, paging, batch and injected faults."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
import responses

BASE = "https://fhir.example.org/r4"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"

# a status, (status, headers), (status, headers, body: the OperationOutcome answered), or a transport error
Fault = int | tuple[int, dict[str, str]] | tuple[int, dict[str, str], dict[str, Any]] | Exception


def split_unescaped(value: str, sep: str) -> list[str]:
    """Split on ``sep`` not preceded by a backslash escape; keep escapes for the next split."""
    parts, current, i = [], "", 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            current += value[i : i + 2]
            i += 2
            continue
        if ch == sep:
            parts.append(current)
            current = ""
        else:
            current += ch
        i += 1
    parts.append(current)
    return parts


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def parse_tokens(value: str) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for token in split_unescaped(value, ","):
        pieces = split_unescaped(token, "|")
        if len(pieces) == 2:
            out.append((unescape(pieces[0]), unescape(pieces[1])))
        else:
            out.append((None, unescape(pieces[0])))
    return out


def obs(rid: str, patient: str, code: str, system: str = LOINC, value: float = 1.0) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": "2025-06-01",
        "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": "g/dL"},
    }


def cond(rid: str, patient: str, code: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "code": {"coding": [{"system": SNOMED, "code": code}]},
        "subject": {"reference": f"Patient/{patient}"},
    }


def patient(pid: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "birthDate": "1960-01-01"}


@dataclass
class FakeFhir:
    """Answers metadata, GET searches and batch POSTs from ``resources``.

    ``faults[key]`` is a queue consumed one per request: key is a resource type (GET or batch
    entry), ``"batch"`` for the POST itself, ``"metadata"``. A fault is a status, a
    (status, headers) pair, (status, headers, OperationOutcome), or an exception raised as the
    transport error. ``types``: the resource types the CapabilityStatement lists (None: no list).
    ``swap``: a resource type whose batch answers come back in reverse order.
    """

    resources: list[dict[str, Any]]
    batch: bool = True
    filter_patient: bool = True
    next_base: str | None = BASE  # None: relative next links
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    # resource type -> what the server does to that search's answer (a faulty 200)
    mangle: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)  # (method, url) of every request
    types: list[str] | None = None
    swap: str | None = None  # the batch's answers to this type's searches in reverse order (completion order)

    def install(self, rsps: responses.RequestsMock) -> None:
        rsps.add_callback(responses.GET, BASE + "/metadata", self._metadata)
        rsps.add_callback(responses.POST, re.compile(re.escape(BASE) + r"/?$"), self._post)
        rsps.add_callback(responses.GET, re.compile(re.escape(BASE) + r"/[A-Z][A-Za-z]*\?.*"), self._get)

    def requests_for(self, method: str) -> list[str]:
        return [url for m, url in self.log if m == method]

    # -- handlers ----------------------------------------------------------------------------

    def _metadata(self, request: requests.PreparedRequest) -> Any:
        self.log.append(("GET", str(request.url)))
        fault = self._fault("metadata")
        if fault is not None:
            return fault
        interactions = [{"code": "batch"}] if self.batch else [{"code": "search-system"}]
        rest: dict[str, Any] = {"mode": "server", "interaction": interactions}
        if self.types is not None:
            rest["resource"] = [{"type": t, "interaction": [{"code": "search-type"}]} for t in self.types]
        body = {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1", "rest": [rest]}
        return 200, {}, json.dumps(body)

    def _get(self, request: requests.PreparedRequest) -> Any:
        self.log.append(("GET", str(request.url)))
        parts = urlsplit(str(request.url))
        rtype = parts.path.rsplit("/", 1)[-1]
        fault = self._fault(rtype)
        if fault is not None:
            return fault
        status, body = self.search(rtype, parse_qsl(parts.query))
        return status, {}, json.dumps(body)

    def _post(self, request: requests.PreparedRequest) -> Any:
        self.log.append(("POST", str(request.url)))
        fault = self._fault("batch")
        if fault is not None:
            return fault
        assert request.body is not None
        bundle = json.loads(request.body)
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "batch"
        entries = []
        for entry in bundle["entry"]:
            assert entry["request"]["method"] == "GET"
            parts = urlsplit(entry["request"]["url"])
            rtype = parts.path
            fault = self._fault(rtype)
            if fault is not None:
                status, body = (fault[0], json.loads(fault[2])) if isinstance(fault, tuple) else (500, _outcome())
                entries.append({"response": {"status": f"{status} Fault"}, "resource": body})
                continue
            status, body = self.search(rtype, parse_qsl(parts.query))
            entries.append({"response": {"status": f"{status} OK"}, "resource": body})
        swapped = [i for i, e in enumerate(bundle["entry"]) if e["request"]["url"].split("?")[0] == self.swap]
        for i, j in zip(swapped, reversed(swapped), strict=True):
            if i < j:
                entries[i], entries[j] = entries[j], entries[i]
        return 200, {}, json.dumps({"resourceType": "Bundle", "type": "batch-response", "entry": entries})

    def _fault(self, key: str) -> Any:
        queue = self.faults.get(key)
        if not queue:
            return None
        fault = queue.pop(0)
        if isinstance(fault, Exception):
            return fault
        if isinstance(fault, int):
            return fault, {}, json.dumps(_outcome())
        body = fault[2] if len(fault) == 3 else _outcome()
        return fault[0], fault[1], json.dumps(body)

    # -- search semantics (just enough) ------------------------------------------------------

    def search(self, rtype: str, params: list[tuple[str, str]]) -> tuple[int, dict[str, Any]]:
        p = dict(params)
        matches = [r for r in self.resources if r["resourceType"] == rtype]
        if "_id" in p:
            matches = [r for r in matches if r["id"] == p["_id"]]
        if "patient" in p and self.filter_patient:
            matches = [r for r in matches if _subject(r) == f"Patient/{p['patient']}"]
        code_param = p.get("combo-code") or p.get("code")  # combo-code: code or component.code (Observation)
        if code_param:
            tokens = parse_tokens(code_param)
            matches = [r for r in matches if _has_code(r, tokens)]
        count = int(p.get("_count", "100"))
        offset = int(p.get("_offset", "0"))
        page = matches[offset : offset + count]
        body: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "link": [{"relation": "self", "url": f"{BASE}/{rtype}?{urlencode(params)}"}],
            "entry": [{"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in page],
        }
        if offset + count < len(matches):
            nxt = [(k, v) for k, v in params if k != "_offset"] + [("_offset", str(offset + count))]
            prefix = f"{self.next_base}/" if self.next_base is not None else ""
            body["link"].append({"relation": "next", "url": f"{prefix}{rtype}?{urlencode(nxt)}"})
        mangle = self.mangle.get(rtype)
        return 200, mangle(body) if mangle is not None else body


def _outcome() -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception"}]}


def _subject(resource: dict[str, Any]) -> str | None:
    ref = resource.get("subject") or resource.get("patient")
    return ref.get("reference") if isinstance(ref, dict) else None


def _has_code(resource: dict[str, Any], tokens: list[tuple[str | None, str]]) -> bool:
    concept = resource.get("code") or resource.get("medicationCodeableConcept") or {}
    for coding in concept.get("coding", []):
        for system, code in tokens:
            if coding.get("code") == code and (system is None or coding.get("system") == system):
                return True
    return False
