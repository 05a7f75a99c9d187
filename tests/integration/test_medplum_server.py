"""Smoke tests: the Medplum test server answers the searches the evaluator relies on."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.support.fhir_servers import FhirServerError, RunningServer, created_ids, seed

pytestmark = pytest.mark.integration

LOINC = "http://loinc.org"
HB_CODES = f"{LOINC}|718-7,{LOINC}|59260-0"
FHIR_JSON = {"Accept": "application/fhir+json"}


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _observation(patient_urn: str, code: str, when: str, value: float) -> dict[str, Any]:
    return {
        "fullUrl": _urn(),
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "subject": {"reference": patient_urn},
            "effectiveDateTime": when,
            "valueQuantity": {
                "value": value,
                "unit": "g/dL",
                "system": "http://unitsofmeasure.org",
                "code": "g/dL",
            },
        },
        "request": {"method": "POST", "url": "Observation"},
    }


def smoke_bundle() -> dict[str, Any]:
    """A Patient, three haemoglobin Observations (two LOINC codes, 2025 dates) and a Condition."""
    patient = _urn()
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": patient,
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": "urn:test:smoke", "value": str(uuid.uuid4())}],
                    "name": [{"family": "Smoke", "given": ["Test"]}],
                    "gender": "female",
                    "birthDate": "1970-04-12",
                },
                "request": {"method": "POST", "url": "Patient"},
            },
            _observation(patient, "718-7", "2025-01-15", 13.2),
            _observation(patient, "59260-0", "2025-02-20", 12.1),
            _observation(patient, "718-7", "2025-03-10T08:30:00Z", 11.4),
            {
                "fullUrl": _urn(),
                "resource": {
                    "resourceType": "Condition",
                    "clinicalStatus": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                "code": "active",
                            }
                        ]
                    },
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
                    "subject": {"reference": patient},
                    "onsetDateTime": "2019-06-01",
                },
                "request": {"method": "POST", "url": "Condition"},
            },
        ],
    }


@pytest.fixture(scope="module")
def seeded(fhir_server: str) -> dict[str, Any]:
    """Seed the smoke bundle once; return the base URL and the created ids."""
    (response,) = seed(fhir_server, [smoke_bundle()])
    (patient_id,) = created_ids(response, "Patient")
    return {
        "base": fhir_server,
        "patient": patient_id,
        "observations": created_ids(response, "Observation"),
        "conditions": created_ids(response, "Condition"),
    }


def _get(url: str, params: dict[str, str] | None = None) -> requests.Response:
    return requests.get(url, params=params, headers=FHIR_JSON, timeout=30)


def _link(bundle: dict[str, Any], relation: str) -> str | None:
    for link in bundle.get("link", []):
        if link.get("relation") == relation:
            return str(link["url"])
    return None


def _ids(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def test_server_process_is_ours_and_alive(medplum_server: RunningServer, fhir_server: str) -> None:
    assert medplum_server.is_alive()
    assert fhir_server == medplum_server.base_url
    assert fhir_server.startswith("http://127.0.0.1:")


def test_metadata_declares_batch_transaction_and_search_params(fhir_server: str) -> None:
    resp = _get(f"{fhir_server}/metadata")
    assert resp.status_code == 200
    cap = resp.json()
    assert cap["resourceType"] == "CapabilityStatement"
    assert cap["fhirVersion"] == "4.0.1"
    rest = cap["rest"][0]
    interactions = {i["code"] for i in rest["interaction"]}
    assert {"batch", "transaction"} <= interactions
    by_type = {r["type"]: r for r in rest["resource"]}
    obs_params = {p["name"]: p["type"] for p in by_type["Observation"]["searchParam"]}
    assert obs_params["patient"] == "reference"
    assert obs_params["code"] == "token"
    assert obs_params["date"] == "date"
    # Parameters the server cannot evaluate are not advertised.
    assert "value-quantity" not in obs_params
    assert any(op["name"] == "everything" for op in by_type["Patient"]["operation"])


def test_observation_search_code_date_and_next_link_paging(seeded: dict[str, Any]) -> None:
    base, patient = seeded["base"], seeded["patient"]
    resp = _get(
        f"{base}/Observation",
        {"patient": patient, "code": HB_CODES, "date": "ge2025-01-01", "_count": "2"},
    )
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert page["resourceType"] == "Bundle"
    assert page["type"] == "searchset"
    assert page["total"] == 3
    assert len(page["entry"]) == 2
    assert _link(page, "self")
    for entry in page["entry"]:
        assert entry["fullUrl"] == f"{base}/Observation/{entry['resource']['id']}"

    seen = _ids(page)
    next_url = _link(page, "next")
    pages = 1
    while next_url:
        nxt = _get(next_url)
        assert nxt.status_code == 200, nxt.text
        body = nxt.json()
        seen += _ids(body)
        next_url = _link(body, "next")
        pages += 1
        assert pages < 10
    assert pages == 2
    assert sorted(seen) == sorted(seeded["observations"])


def test_observation_filters_narrow_results(seeded: dict[str, Any]) -> None:
    base, patient = seeded["base"], seeded["patient"]
    one_code = _get(f"{base}/Observation", {"patient": patient, "code": f"{LOINC}|718-7"}).json()
    assert one_code["total"] == 2
    later = _get(f"{base}/Observation", {"patient": patient, "code": HB_CODES, "date": "ge2025-02-01"}).json()
    assert later["total"] == 2
    february = _get(f"{base}/Observation", {"patient": patient, "date": "2025-02"}).json()
    assert february["total"] == 1
    newest_first = _get(f"{base}/Observation", {"subject": f"Patient/{patient}", "_sort": "-date"}).json()
    dates = [e["resource"]["effectiveDateTime"][:10] for e in newest_first["entry"]]
    assert dates == ["2025-03-10", "2025-02-20", "2025-01-15"]
    other = _get(f"{base}/Observation", {"patient": "does-not-exist", "code": HB_CODES}).json()
    assert other["total"] == 0


def test_condition_by_patient(seeded: dict[str, Any]) -> None:
    resp = _get(f"{seeded['base']}/Condition", {"patient": seeded["patient"]})
    assert resp.status_code == 200
    bundle = resp.json()
    assert bundle["total"] == 1
    assert _ids(bundle) == seeded["conditions"]


def test_batch_bundle_of_searches(seeded: dict[str, Any]) -> None:
    base, patient = seeded["base"], seeded["patient"]
    batch = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {
                "request": {
                    "method": "GET",
                    "url": f"Observation?patient={patient}&code={HB_CODES}&date=ge2025-01-01&_count=2",
                }
            },
            {"request": {"method": "GET", "url": f"Condition?patient={patient}"}},
            {"request": {"method": "GET", "url": "Observation?value-quantity=gt5"}},
        ],
    }
    resp = requests.post(base, json=batch, headers={**FHIR_JSON, "Content-Type": "application/fhir+json"}, timeout=30)
    assert resp.status_code == 200, resp.text
    result = resp.json()
    assert result["type"] == "batch-response"
    obs, cond, bad = result["entry"]
    assert obs["response"]["status"].startswith("200")
    assert obs["resource"]["type"] == "searchset"
    assert obs["resource"]["total"] == 3
    assert len(obs["resource"]["entry"]) == 2
    assert _link(obs["resource"], "next")
    assert cond["response"]["status"].startswith("200")
    assert _ids(cond["resource"]) == seeded["conditions"]
    assert bad["response"]["status"].startswith("400")


def test_patient_everything(seeded: dict[str, Any]) -> None:
    resp = _get(f"{seeded['base']}/Patient/{seeded['patient']}/$everything")
    assert resp.status_code == 200, resp.text
    bundle = resp.json()
    types = sorted(e["resource"]["resourceType"] for e in bundle["entry"])
    assert types == ["Condition", "Observation", "Observation", "Observation", "Patient"]


@pytest.mark.parametrize(
    "query",
    [
        {"value-quantity": "gt12"},
        {"_has:Observation:patient:code": "718-7"},
        {"not-a-parameter": "x"},
        {"code:text": "haemoglobin"},
    ],
)
def test_unsupported_search_parameters_are_rejected(seeded: dict[str, Any], query: dict[str, str]) -> None:
    resp = _get(f"{seeded['base']}/Observation", {"patient": seeded["patient"], **query})
    assert resp.status_code == 400, resp.text
    assert resp.json()["resourceType"] == "OperationOutcome"


def test_bulk_export_is_not_implemented(fhir_server: str) -> None:
    resp = requests.get(f"{fhir_server}/Patient/$export", headers={**FHIR_JSON, "Prefer": "respond-async"}, timeout=30)
    assert resp.status_code == 501
    assert resp.json()["resourceType"] == "OperationOutcome"


def test_invalid_transaction_raises_and_rolls_back(fhir_server: str) -> None:
    marker = str(uuid.uuid4())
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": _urn(),
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": "urn:test:rollback", "value": marker}],
                },
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": _urn(),
                "resource": {"resourceType": "Observation", "status": "final"},  # no code: invalid
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    with pytest.raises(FhirServerError):
        seed(fhir_server, [bundle])
    found = _get(f"{fhir_server}/Patient", {"identifier": f"urn:test:rollback|{marker}"}).json()
    assert found["total"] == 0
