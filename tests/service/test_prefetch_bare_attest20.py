"""A bare resource under a search prefetch key (review 20, finding 2).

standards.md §5.3: prefetched data MUST equal what the service would get by querying itself, and a search
returns a searchset Bundle. An EHR that sent only the NET Condition under ``condition``
(``Condition?patient={{context.patientId}}``) hid the brain metastases and the breast cancer, and the card
said "needs review" where ``evaluate`` says ineligible. Expected by hand: a bare resource is what a READ
template (``Patient/{{context.patientId}}``) returns, so it counts there; under a search key the key is not
prefetched: fetched from ``fhirServer`` as a Bundle with a ``next`` link is, or 412 when there is none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from fhir_eligibility.requirements.prefetch import PrefetchTemplate
from fhir_eligibility.service.prefetch import Fallback, RequestError, parse_request, patient_data, read_prefetch
from tests.service.support import MINI_PATIENT, LiveServer, emulate_prefetch, hook_body, open_config, patients_of, post

TEMPLATES = [
    PrefetchTemplate("patient", "Patient/{{context.patientId}}", "Patient", frozenset()),
    PrefetchTemplate("condition", "Condition?patient={{context.patientId}}&_count=200", "Condition", frozenset()),
]
PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01"}


def condition(cid: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p1"}}


def test_a_bare_resource_counts_under_a_read_key_only() -> None:
    req = parse_request(hook_body("p1", {"patient": PATIENT, "condition": condition("net")}), "patient-view")
    got = read_prefetch(req, TEMPLATES)
    assert [t.key for t in got.missing] == ["condition"]
    assert [r["id"] for r in got.resources] == ["p1"]  # the Patient, read as given
    assert len(got.warnings) == 1 and "prefetch condition: " in got.warnings[0]
    assert "searchset Bundle" in got.warnings[0] and "not prefetched" in got.warnings[0]
    assert got.unusable and got.unusable[0].startswith("condition: ")


def test_a_bare_resource_under_a_search_key_without_a_server_is_412() -> None:
    req = parse_request(hook_body("p1", {"patient": PATIENT, "condition": condition("net")}), "patient-view")
    with pytest.raises(RequestError, match="no fhirServer") as e:
        patient_data(req, TEMPLATES, Fallback())
    assert e.value.status == 412 and "condition" in e.value.message


@responses.activate
def test_a_bare_resource_under_a_search_key_is_fetched_from_the_server() -> None:
    """The server's search holds all three Conditions: the evaluation reads them, not the one sent."""
    base = "https://fhir.example.org/r4"
    responses.get(f"{base}/metadata", json={"resourceType": "CapabilityStatement", "rest": []})
    searchset = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": condition(c)} for c in ("net", "brain-mets", "breast")],
    }
    responses.get(f"{base}/Condition", json=searchset)
    prefetch = {"patient": PATIENT, "condition": condition("net")}
    req = parse_request(hook_body("p1", prefetch, fhir_server=base, access_token="tok"), "patient-view")
    data, fetched = patient_data(req, TEMPLATES, Fallback(allowed=[base]))
    assert fetched == 1
    conditions = sorted(r["id"] for r in data.resources if r["resourceType"] == "Condition")
    assert conditions == ["brain-mets", "breast", "net"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(open_config(tmp_path_factory.mktemp("cds"))) as server:
        yield server


def test_the_hook_answers_412_not_cards_on_a_bare_search_result(live: LiveServer) -> None:
    """Over HTTP: the full prefetch gives cards; the same with one search key's Bundle replaced by its first
    resource, and no fhirServer, is 412 (no cards on data the EHR did not send whole)."""
    templates = dict(requests.get(live.base + "/cds-services", timeout=10).json()["services"][0]["prefetch"])
    (data,) = patients_of(MINI_PATIENT)
    prefetch = emulate_prefetch(templates, data)
    assert post(live.service_url, hook_body(data.patient_id, prefetch)).status_code == 200
    key = next(k for k, v in prefetch.items() if "?" in templates[k] and v and v.get("entry"))
    bare = json.loads(json.dumps(prefetch))
    bare[key] = prefetch[key]["entry"][0]["resource"]
    r = post(live.service_url, hook_body(data.patient_id, bare))
    assert r.status_code == 412, r.text
    assert key in r.json()["issue"][0]["diagnostics"]


def test_the_docs_say_so() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "cds-hooks.md").read_text(encoding="utf-8")
    assert "a single resource under a search key" in " ".join(doc.split())
