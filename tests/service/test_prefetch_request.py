"""Request validation, prefetch semantics (data / null / missing / incomplete) and the fhirServer allow-list."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import responses

from fhir_eligibility.requirements.prefetch import PrefetchTemplate
from fhir_eligibility.service.prefetch import (
    Fallback,
    RequestError,
    assemble,
    normalise_base,
    parse_request,
    patient_data,
    read_prefetch,
)
from tests.service.support import hook_body

LOINC = "http://loinc.org"
TEMPLATES = [
    PrefetchTemplate("patient", "Patient/{{context.patientId}}", "Patient", frozenset()),
    PrefetchTemplate(
        "observation",
        "Observation?patient={{context.patientId}}&code=...",
        "Observation",
        frozenset({(LOINC, "718-7")}),
    ),
    PrefetchTemplate("condition", "Condition?patient={{context.patientId}}", "Condition", frozenset()),
]
PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01"}


def obs(oid: str, subject: str = "Patient/p1") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "subject": {"reference": subject},
        "code": {"coding": [{"system": LOINC, "code": "718-7"}]},
    }


def bundle(*resources: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources], **extra}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b.pop("hook"), "hook: required"),
        (lambda b: b.update(hook="order-select"), "answers 'patient-view'"),
        (lambda b: b.update(hookInstance="123"), "hookInstance"),
        (lambda b: b.pop("context"), "context: required"),
        (lambda b: b["context"].pop("patientId"), "patientId"),
        (lambda b: b["context"].update(patientId="Patient/p1"), "not a reference"),
        (lambda b: b["context"].update(patientId="a,b"), "patientId"),
        (lambda b: b["context"].pop("userId"), "userId"),
        (lambda b: b.update(fhirServer="ftp://x"), "fhirServer"),
        (lambda b: b.update(fhirAuthorization={"access_token": "t", "token_type": "Bearer"}), "without fhirServer"),
        (lambda b: b.update(fhirServer="https://x", fhirAuthorization={"token_type": "Bearer"}), "access_token"),
        (
            lambda b: b.update(fhirServer="https://x", fhirAuthorization={"access_token": "t", "token_type": "MAC"}),
            "Bearer",
        ),
        (  # a token that cannot go in a header is the client's mistake (400), not the server's (412)
            lambda b: b.update(
                fhirServer="https://x", fhirAuthorization={"access_token": "tök", "token_type": "Bearer"}
            ),
            "printable ASCII",
        ),
        (lambda b: b.update(prefetch=[]), "prefetch: expected an object"),
        (lambda b: b.update(prefetch={"patient": "Patient/p1"}), "prefetch.patient"),
        (lambda b: b.update(prefetch={"x": {"response": {"status": "200"}}}), "prefetch.x"),
    ],
)
def test_malformed_requests(mutate: Any, message: str) -> None:
    body = hook_body("p1")
    mutate(body)
    with pytest.raises(RequestError, match=message) as e:
        parse_request(body, "patient-view")
    assert e.value.status == 400


def test_not_an_object() -> None:
    with pytest.raises(RequestError, match="JSON object"):
        parse_request([1], "patient-view")


def test_token_is_not_in_the_repr() -> None:
    req = parse_request(hook_body("p1", fhir_server="https://x", access_token="s3cr3t"), "patient-view")
    assert req.access_token == "s3cr3t" and "s3cr3t" not in repr(req)


def test_urn_uuid_hook_instance_is_accepted() -> None:
    body = hook_body("p1") | {"hookInstance": f"urn:uuid:{uuid.uuid4()}"}
    assert parse_request(body, "patient-view").patient_id == "p1"


def test_present_null_missing_and_incomplete_keys() -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}
    cases = {
        "all present": ({"patient": PATIENT, "observation": bundle(obs("o1")), "condition": None}, []),
        "missing": ({"patient": PATIENT}, ["observation", "condition"]),
        "operation outcome": ({"patient": PATIENT, "observation": outcome, "condition": None}, ["observation"]),
        "error entry": (
            {"patient": PATIENT, "observation": bundle(obs("o1"), outcome), "condition": None},
            ["observation"],
        ),
        "records withheld (a suppressed warning beside the matches)": (
            {
                "patient": PATIENT,
                "observation": bundle(
                    obs("o1"),
                    {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "suppressed"}]},
                ),
                "condition": None,
            },
            ["observation"],
        ),
        "next page": (
            {
                "patient": PATIENT,
                "observation": bundle(obs("o1"), link=[{"relation": "next", "url": "x"}]),
                "condition": None,
            },
            ["observation"],
        ),
    }
    for name, (prefetch, missing) in cases.items():
        req = parse_request(hook_body("p1", prefetch), "patient-view")
        got = read_prefetch(req, TEMPLATES)
        assert [t.key for t in got.missing] == missing, name


@pytest.mark.parametrize(
    "condition",
    [
        {"resourceType": "Bundle", "type": "searchset", "entry": [None, None]},
        {"resourceType": "Bundle", "type": "searchset", "entry": [{"fullUrl": "urn:uuid:1"}]},
        {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {"id": "c1"}}]},
        {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": "<garbled>"}]},
        bundle(obs("o1")),  # Observations for a Condition query
        {"resourceType": "Bundle", "type": "searchset", "total": 2},  # two promised, none sent
        {"resourceType": "Bundle", "type": "searchset", "total": "2", "entry": []},
        {"resourceType": "OperationOutcome", "issue": 5},
        {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "informational"}]},
        bundle({"resourceType": "Bundle", "type": "searchset", "entry": []}),  # a Bundle in a Bundle
    ],
    ids=[
        "null",
        "no-resource",
        "no-type",
        "garbled",
        "other-type",
        "short",
        "total-text",
        "bad-outcome",
        "warning",
        "nested",
    ],
)
def test_a_faulty_prefetch_value_counts_as_not_prefetched(condition: dict[str, Any]) -> None:
    """Read as given, each would be "no such Condition" (closed world: FALSE), so six cards saying
    "not eligible" from a faulty prefetch (adversarial review): the key is fetched or 412 instead."""
    req = parse_request(
        hook_body("p1", {"patient": PATIENT, "observation": None, "condition": condition}), "patient-view"
    )
    got = read_prefetch(req, TEMPLATES)
    assert [t.key for t in got.missing] == ["condition"]
    assert [r["id"] for r in got.resources] == ["p1"]
    assert len(got.warnings) == 1 and got.warnings[0].startswith("prefetch condition: ")


def test_warning_outcome_inside_a_bundle_is_not_an_error() -> None:
    info = {"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational"}]}
    req = parse_request(
        hook_body("p1", {"patient": PATIENT, "observation": bundle(obs("o1"), info), "condition": None}), "patient-view"
    )
    got = read_prefetch(req, TEMPLATES)
    assert got.missing == [] and [r["id"] for r in got.resources] == ["p1", "o1"]
    assert got.warnings == []  # an issue with nothing to say is not reported


def test_assemble_keeps_only_this_patient_dedups_and_resolves_medications() -> None:
    med = {"resourceType": "Medication", "id": "m1", "code": {"coding": [{"system": "rx", "code": "1"}]}}
    admin = {
        "resourceType": "MedicationAdministration",
        "id": "a1",
        "subject": {"reference": "Patient/p1"},
        "medicationReference": {"reference": "Medication/m1"},
    }
    data = assemble(
        "p1",
        [
            obs("o1"),
            obs("o1"),
            obs("o2", "Patient/p2"),
            obs("o3", "https://x/fhir/Patient/p1/_history/2"),
            PATIENT,
            med,
            admin,
        ],
    )
    assert [(r["resourceType"], r["id"]) for r in data.resources] == [
        ("Patient", "p1"),
        ("Observation", "o1"),
        ("Observation", "o3"),
        ("MedicationAdministration", "a1"),
    ]
    assert data.resources[-1]["medicationCodeableConcept"] == med["code"]
    assert any("not about this patient" in w for w in data.warnings)
    assert data.unavailable == ()


def test_another_patients_patient_resource_is_ignored() -> None:
    data = assemble("p1", [{"resourceType": "Patient", "id": "p2"}])
    assert data.resources == [] and any("no Patient resource" in w for w in data.warnings)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTPS://FHIR.example.org:443/r4/", "https://fhir.example.org/r4"),
        ("http://127.0.0.1:80/fhir", "http://127.0.0.1/fhir"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
    ],
)
def test_normalise_base(a: str, b: str) -> None:
    assert normalise_base(a) == normalise_base(b)


def test_allow_list_is_exact_after_normalising() -> None:
    f = Fallback(allowed=["https://fhir.example.org/r4"])
    assert f.is_allowed("https://FHIR.example.org:443/r4/")
    for other in [
        "https://fhir.example.org/r4/../evil",
        "https://fhir.example.org/r4x",
        "https://fhir.example.org.evil.com/r4",
        "http://fhir.example.org/r4",
    ]:
        assert not f.is_allowed(other), other


@responses.activate
def test_missing_keys_with_a_disallowed_server_are_412_and_nothing_is_sent() -> None:
    responses.add_passthru("http://never")  # any call would be recorded (or fail) - none may happen
    body = hook_body("p1", {"patient": PATIENT}, fhir_server="https://evil.example.org/fhir", access_token="tok")
    req = parse_request(body, "patient-view")
    with pytest.raises(RequestError, match="allow-list") as e:
        patient_data(req, TEMPLATES, Fallback(allowed=["https://fhir.example.org"]))
    assert e.value.status == 412
    assert len(responses.calls) == 0


def test_missing_keys_without_a_server_are_412() -> None:
    req = parse_request(hook_body("p1", {"patient": PATIENT}), "patient-view")
    with pytest.raises(RequestError, match="no fhirServer") as e:
        patient_data(req, TEMPLATES, Fallback())
    assert e.value.status == 412


def test_complete_prefetch_never_needs_the_server() -> None:
    prefetch = {"patient": PATIENT, "observation": bundle(obs("o1")), "condition": None}
    req = parse_request(hook_body("p1", prefetch, fhir_server="https://evil.example.org"), "patient-view")
    data, fetched = patient_data(req, TEMPLATES, Fallback())
    assert fetched == 0 and [r["id"] for r in data.resources] == ["p1", "o1"]


@responses.activate
def test_fallback_fetches_only_the_missing_keys_with_the_token() -> None:
    base = "https://fhir.example.org/r4"
    responses.get(f"{base}/metadata", json={"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1", "rest": []})
    responses.get(f"{base}/Patient", json=bundle(PATIENT))
    responses.get(f"{base}/Observation", json=bundle(obs("o9")))
    prefetch = {"patient": PATIENT, "condition": None}
    req = parse_request(hook_body("p1", prefetch, fhir_server=base, access_token="tok-123"), "patient-view")
    data, fetched = patient_data(req, TEMPLATES, Fallback(allowed=[base]))
    assert fetched == 1
    assert [r["id"] for r in data.resources] == ["p1", "o9"]
    sent = [c.request for c in responses.calls]
    assert all(r.headers["Authorization"] == "Bearer tok-123" for r in sent if "metadata" not in (r.url or ""))
    assert not any("Condition" in (r.url or "") for r in sent)


@responses.activate
@pytest.mark.parametrize(
    ("status", "message"),
    [(401, "refused the fhirAuthorization"), (404, "could not deliver"), (500, "could not deliver")],
)
def test_fallback_failures_are_412(status: int, message: str) -> None:
    base = "https://fhir.example.org/r4"
    responses.get(f"{base}/metadata", json={"resourceType": "CapabilityStatement", "rest": []})
    responses.get(f"{base}/Patient", json=bundle(PATIENT))
    responses.get(f"{base}/Observation", status=status)
    req = parse_request(hook_body("p1", {"patient": PATIENT, "condition": None}, fhir_server=base), "patient-view")
    with pytest.raises(RequestError, match=message) as e:
        patient_data(req, TEMPLATES, Fallback(allowed=[base], retries=0))
    assert e.value.status == 412


@responses.activate
def test_fallback_reads_the_capability_statement_once_per_server() -> None:
    """A busy EHR calls the hook for patient after patient: /metadata is not re-read each time."""
    base = "https://fhir.example.org/r4"
    responses.get(f"{base}/metadata", json={"resourceType": "CapabilityStatement", "rest": []})
    responses.get(f"{base}/Patient", json=bundle(PATIENT))
    responses.get(f"{base}/Observation", json=bundle(obs("o9")))
    fallback = Fallback(allowed=[base])
    for _ in range(3):
        req = parse_request(hook_body("p1", {"patient": PATIENT, "condition": None}, fhir_server=base), "patient-view")
        data, fetched = patient_data(req, TEMPLATES, fallback)
        assert fetched == 1 and [r["id"] for r in data.resources] == ["p1", "o9"]
    urls = [c.request.url or "" for c in responses.calls]
    assert sum("metadata" in u for u in urls) == 1
    assert sum("Observation" in u for u in urls) == 3
    assert fallback.batch_mode(base + "/") == "never" and Fallback(allowed=[base]).batch_mode(base) == "auto"


@responses.activate
def test_a_prefetched_patient_is_not_fetched_again() -> None:
    """The EHR sent the Patient: the fallback asks the server for the missing keys only (one request
    fewer per hook call), and no 'Patient missing' reading follows from not asking."""
    base = "https://fhir.example.org/r4"
    responses.get(f"{base}/metadata", json={"resourceType": "CapabilityStatement", "rest": []})
    responses.get(f"{base}/Patient", json=bundle(PATIENT))
    responses.get(f"{base}/Observation", json=bundle(obs("o9")))
    req = parse_request(hook_body("p1", {"patient": PATIENT, "condition": None}, fhir_server=base), "patient-view")
    data, fetched = patient_data(req, TEMPLATES, Fallback(allowed=[base]))
    urls = [c.request.url or "" for c in responses.calls]
    assert not any("/Patient" in u for u in urls), urls
    assert fetched == 1 and [r["id"] for r in data.resources] == ["p1", "o9"]
    assert not data.unavailable
    assert not any("no Patient" in w for w in data.warnings)


@responses.activate
def test_a_patient_not_prefetched_is_fetched_with_the_rest() -> None:
    base = "https://fhir.example.org/r4"
    responses.get(f"{base}/metadata", json={"resourceType": "CapabilityStatement", "rest": []})
    responses.get(f"{base}/Patient", json=bundle(PATIENT))
    responses.get(f"{base}/Observation", json=bundle(obs("o9")))
    req = parse_request(hook_body("p1", {"condition": None}, fhir_server=base), "patient-view")
    data, fetched = patient_data(req, TEMPLATES, Fallback(allowed=[base]))
    urls = [c.request.url or "" for c in responses.calls]
    assert sum("/Patient" in u for u in urls) == 1
    assert fetched == 2 and [r["id"] for r in data.resources] == ["p1", "o9"]


@responses.activate
def test_the_servers_notes_on_fetched_keys_reach_the_warnings() -> None:
    """A warning OperationOutcome the server put in a search page (a note, not an error) is said, as
    on the server path: before, the fallback dropped every note of what it fetched."""
    base = "https://fhir.example.org/r4"
    responses.get(f"{base}/metadata", json={"resourceType": "CapabilityStatement", "rest": []})
    note = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "warning", "code": "informational", "diagnostics": "some results hidden"}],
    }
    page = bundle(obs("o9"))
    page["entry"].append({"resource": note, "search": {"mode": "outcome"}})
    responses.get(f"{base}/Observation", json=page)
    req = parse_request(hook_body("p1", {"patient": PATIENT, "condition": None}, fhir_server=base), "patient-view")
    data, _ = patient_data(req, TEMPLATES, Fallback(allowed=[base]))
    assert any("Observation search" in w for w in data.warnings), data.warnings
