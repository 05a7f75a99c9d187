"""Smoke test: sekmet-fhir runs a real asynchronous Bulk Data $export on 127.0.0.1."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import requests

from tests.support.fhir_servers import RunningServer, created_ids, seed

pytestmark = pytest.mark.integration

FHIR_JSON = "application/fhir+json"


def export_bundle() -> dict[str, Any]:
    patient = f"urn:uuid:{uuid.uuid4()}"
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": patient,
                "resource": {"resourceType": "Patient", "gender": "male", "birthDate": "1958-11-02"},
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]},
                    "subject": {"reference": patient},
                    "effectiveDateTime": "2025-05-02",
                    "valueQuantity": {
                        "value": 1.1,
                        "unit": "mg/dL",
                        "system": "http://unitsofmeasure.org",
                        "code": "mg/dL",
                    },
                },
                "request": {"method": "POST", "url": "Observation"},
            },
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": {
                    "resourceType": "Condition",
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "73211009"}]},
                    "subject": {"reference": patient},
                },
                "request": {"method": "POST", "url": "Condition"},
            },
        ],
    }


def _kick_off_and_wait(url: str, timeout: float = 120) -> dict[str, Any]:
    kick = requests.get(url, headers={"Accept": FHIR_JSON, "Prefer": "respond-async"}, timeout=30)
    assert kick.status_code == 202, kick.text
    status_url = kick.headers["Content-Location"]
    assert status_url.startswith("http://127.0.0.1:")
    deadline = time.monotonic() + timeout
    while True:
        poll = requests.get(status_url, headers={"Accept": "application/json"}, timeout=30)
        if poll.status_code == 200:
            manifest: dict[str, Any] = poll.json()
            return manifest
        assert poll.status_code == 202, poll.text
        assert time.monotonic() < deadline, "bulk export did not complete in time"
        time.sleep(min(float(poll.headers.get("Retry-After", "1")), 2.0))


def _download(url: str) -> list[dict[str, Any]]:
    resp = requests.get(url, headers={"Accept": "application/fhir+ndjson"}, timeout=60)
    assert resp.status_code == 200, resp.text
    return [json.loads(line) for line in resp.text.splitlines() if line.strip()]


def test_sekmet_process_is_ours_and_alive(sekmet_server: RunningServer, bulk_fhir_server: str) -> None:
    assert sekmet_server.is_alive()
    assert bulk_fhir_server == sekmet_server.base_url
    assert bulk_fhir_server.startswith("http://127.0.0.1:")
    cap = requests.get(f"{bulk_fhir_server}/metadata", headers={"Accept": FHIR_JSON}, timeout=30).json()
    assert cap["resourceType"] == "CapabilityStatement"


def test_patient_level_export_kickoff_poll_and_ndjson(bulk_fhir_server: str) -> None:
    (response,) = seed(bulk_fhir_server, [export_bundle()])
    (patient_id,) = created_ids(response, "Patient")
    (observation_id,) = created_ids(response, "Observation")

    manifest = _kick_off_and_wait(f"{bulk_fhir_server}/Patient/$export?_type=Patient,Observation")
    assert manifest["requiresAccessToken"] is False
    outputs = {o["type"]: o["url"] for o in manifest["output"]}
    assert set(outputs) == {"Patient", "Observation"}

    patients = _download(outputs["Patient"])
    assert patient_id in {p["id"] for p in patients}
    assert all(p["resourceType"] == "Patient" for p in patients)

    observations = _download(outputs["Observation"])
    mine = [o for o in observations if o["subject"]["reference"].endswith(f"Patient/{patient_id}")]
    assert [o["id"] for o in mine] == [observation_id]
    assert mine[0]["code"]["coding"][0]["code"] == "2160-0"


def test_export_requires_respond_async(bulk_fhir_server: str) -> None:
    resp = requests.get(f"{bulk_fhir_server}/$export", headers={"Accept": FHIR_JSON}, timeout=30)
    assert resp.status_code == 400
