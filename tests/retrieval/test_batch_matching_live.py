"""Batch answers from a real server (Medplum on 127.0.0.1, as tests/integration): matched to their
requests as they come, and, with the real answer put out of order on its way back (fault injection),
an empty answer whose self link was dropped is a fault for its patient, never "no diagnosis"."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.retrieval.merge import OUT_OF_ORDER
from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients
from tests.support.fhir_servers import seed, start_medplum

pytestmark = pytest.mark.integration

NET = ("http://snomed.info/sct", "443492008")
REQS = [
    DataRequirement("Patient", criteria=frozenset({"age"})),
    DataRequirement("Condition", frozenset({NET}), None, frozenset({"net"})),
]


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    """Patients p1 (a NET diagnosis) and p2 (none) on a Medplum server of this module's own."""
    server = start_medplum()
    try:
        code = {"coding": [{"system": NET[0], "code": NET[1]}]}
        entries: list[dict[str, Any]] = [
            {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01"}},
            {"resource": {"resourceType": "Patient", "id": "p2", "birthDate": "1961-01-01"}},
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "c1",
                    "subject": {"reference": "Patient/p1"},
                    "code": code,
                }
            },
        ]
        seed(server.base_url, [{"resourceType": "Bundle", "type": "collection", "entry": entries}])
        yield server.base_url
    finally:
        server.stop()


def conditions(data: Any) -> list[str]:
    return [r["id"] for r in data.resources if r["resourceType"] == "Condition"]


def test_a_real_servers_batch_answers_are_matched(base: str) -> None:
    p1, p2 = fetch_patients(ServerOptions(base, batch="always", patients_per_batch=2), ["p1", "p2"], REQS)
    assert conditions(p1) == ["c1"] and p1.unavailable == ()
    assert conditions(p2) == [] and p2.unavailable == ()


def _reordered(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """The real server's batch answer, its two Condition answers swapped and the empty one's links
    dropped (a server answering in completion order, writing no self link into an empty searchset)."""
    assert request.body is not None
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    sent = urllib.request.Request(
        str(request.url), data=body, method="POST", headers={"Content-Type": "application/fhir+json"}
    )
    with urllib.request.urlopen(sent, timeout=30) as answer:  # the real server, past the mock
        bundle = json.loads(answer.read())
    entries = bundle["entry"]
    found = [i for i, e in enumerate(entries) if "/Condition?" in json.dumps(e["resource"].get("link"))]
    i, j = found
    entries[i], entries[j] = entries[j], entries[i]
    for e in entries:
        if e["resource"].get("resourceType") == "Bundle" and not e["resource"].get("entry"):
            e["resource"].pop("link", None)
    return 200, {"Content-Type": "application/fhir+json"}, json.dumps(bundle)


def test_a_real_answer_put_out_of_order_is_a_fault_not_no_diagnosis(base: str) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.POST, re.compile(re.escape(base) + "/?$"), _reordered)
        rsps.add_passthru(base)
        p1, p2 = fetch_patients(ServerOptions(base, batch="always", patients_per_batch=2), ["p1", "p2"], REQS)
    # p1's place holds p2's empty answer, without self link: not "no NET diagnosis" but unknown
    assert conditions(p1) == [] and [(u.resource_type, u.reason) for u in p1.unavailable] == [
        ("Condition", OUT_OF_ORDER)
    ]
    # p2's place holds p1's c1, its self link naming p1: another search's answer, not p2's
    assert conditions(p2) == [] and [u.resource_type for u in p2.unavailable] == ["Condition"]
