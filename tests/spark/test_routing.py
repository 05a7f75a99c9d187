"""The per-line routing rule the Spark engine applies on executors (pure: no Spark needed)."""

from __future__ import annotations

import json

from fhir_eligibility.screening.routing import (
    BAD_LINE,
    BLANK,
    DATA,
    DEFERRED,
    MEDICATION,
    NOT_PATIENT_DATA,
    PATIENT,
    UNRESOLVABLE,
    patient_data,
    route_line,
)


def route(obj: object) -> tuple[str, str, str]:
    r, _line = route_line(json.dumps(obj).encode())
    return r.kind, r.key, r.message


def obs(reference: str) -> dict[str, object]:
    return {"resourceType": "Observation", "id": "o1", "subject": {"reference": reference}}


def test_lines_that_are_not_resources_are_bad_lines_and_blank_lines_nothing() -> None:
    assert route_line(b"   \r\n") == (BLANK, b"")
    assert route_line(b"{not json")[0].kind == BAD_LINE
    assert route_line(b"{not json")[0].message == "not JSON, line ignored"
    assert route_line(b"[1, 2]")[0].message == "not a FHIR resource, line ignored"
    assert route({"id": "x"})[2] == "not a FHIR resource, line ignored"


def test_a_patient_is_keyed_by_id_and_indexed_by_identifier() -> None:
    r, line = route_line(
        b'\xef\xbb\xbf{"resourceType": "Patient", "id": "p1", "identifier": [{"system": "urn:mrn", "value": "7"}]}\r\n'
    )
    assert (r.kind, r.key, r.identifiers) == (PATIENT, "p1", ("urn:mrn|7", "7"))
    assert line.startswith(b"{") and line.endswith(b"}")  # the byte-order mark and line end are gone
    assert route({"resourceType": "Patient"}) == (BAD_LINE, "", "Patient without a usable id, ignored")
    assert route({"resourceType": "Patient", "id": "a\tb"})[0] == BAD_LINE


def test_patient_references_literal_urn_absolute_and_versioned() -> None:
    assert route(obs("Patient/p1"))[:2] == (DATA, "p1")
    assert route(obs("urn:uuid:p2"))[:2] == (DATA, "p2")
    assert route(obs("https://ehr.example/fhir/Patient/p3/_history/2"))[:2] == (DATA, "p3")
    cov = {"resourceType": "Coverage", "beneficiary": {"reference": "Patient/p4"}}
    assert route(cov)[:2] == (DATA, "p4")


def test_conditional_references_wait_and_others_are_warned_about() -> None:
    assert route(obs("Patient?identifier=urn:mrn|7"))[:2] == (DEFERRED, "urn:mrn|7")
    assert route(obs("Group/g1")) == (
        UNRESOLVABLE,
        "",
        "Observation/o1: patient reference 'Group/g1' not resolvable, ignored",
    )
    assert route({"resourceType": "Practitioner", "id": "d1"})[0] == NOT_PATIENT_DATA


def test_medications_go_to_the_index_only_with_an_id_and_a_code() -> None:
    code = {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1"}]}
    r, _ = route_line(json.dumps({"resourceType": "Medication", "id": "m1", "code": code}).encode())
    assert (r.kind, r.key, r.code) == (MEDICATION, "Medication/m1", code)
    assert route({"resourceType": "Medication", "id": "m2"})[0] == NOT_PATIENT_DATA
    assert route({"resourceType": "Medication", "code": code})[0] == NOT_PATIENT_DATA


def test_patient_data_puts_the_patient_first_and_resolves_medication_references() -> None:
    code = {"text": "lutetium"}
    dose = {"resourceType": "MedicationAdministration", "medicationReference": {"reference": "Medication/m1"}}
    lines = [json.dumps(dose).encode(), json.dumps({"resourceType": "Patient", "id": "p1"}).encode()]
    data = patient_data("p1", lines, {"Medication/m1": code})
    assert [r["resourceType"] for r in data.resources] == ["Patient", "MedicationAdministration"]
    assert data.resources[1]["medicationCodeableConcept"] == code
    assert data.warnings == []
    alone = patient_data("p9", [json.dumps(obs("Patient/p9")).encode()], {})
    assert alone.warnings == ["Patient/p9: no Patient resource in the input (age and sex unknown)"]
