"""The per-line routing rule both file engines apply (the built-in pass 1 and the Spark executors),
and the per-patient assembly of pass 2 (pure: no Spark needed).

Expected warnings are the reading policy's wording (retrieval/reading.py): ``<file>: <problem>;
line ignored (line N)``, ``<file>: <what>; resource ignored (<Type>/<id> ...)``.
"""

from __future__ import annotations

import json

import orjson

from fhir_eligibility.requirements.model import CLOSED_WORLD_TYPES
from fhir_eligibility.retrieval.reading import NO_PATIENT_ID, Drops, WarningLog
from fhir_eligibility.screening.routing import DATA, DEFERRED, MEDICATION, NOTHING, PATIENT, Route, route_line
from fhir_eligibility.screening.shard_read import patient_of

SRC = "in/Observation.ndjson"


def route(obj: object, line: int = 1, file: int = 0) -> tuple[Route, WarningLog, Drops]:
    log, drops = WarningLog(), Drops()
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return route_line(raw, SRC, file, lambda: line, log, drops), log, drops


def obs(reference: object, rid: str = "o1") -> dict[str, object]:
    return {"resourceType": "Observation", "id": rid, "subject": {"reference": reference}}


def test_unreadable_lines_are_counted_warnings_and_make_their_type_unavailable() -> None:
    log, drops = WarningLog(), Drops()
    truncated = b'{"resourceType": "Condition", "subject": {"reference": "Patient/p1"}, '
    for n, raw in enumerate([truncated, b"{not json", b"[1, 2]"], start=2):
        assert route_line(raw, SRC, 0, lambda n=n: n, log, drops).kind == NOTHING
    assert log.lines() == [
        "in/Observation.ndjson: not valid JSON; line ignored (2 times; first: line 2)",
        "in/Observation.ndjson: not a FHIR resource; line ignored (line 4)",
    ]
    # the truncated line names its type and patient; the others only the Bulk file name's type
    assert drops.patients == {"p1": {"Condition"}}
    assert drops.everyone == {"Observation"}
    unknown = route({"resourceType": "Foo", "id": "x"})
    assert unknown[1].lines() == [
        "in/Observation.ndjson: not a FHIR resource type (resourceType 'Foo'); line ignored (line 1)"
    ]
    assert unknown[0] == Route(NOTHING)


def test_a_patient_is_keyed_by_id_and_indexed_by_identifier() -> None:
    r, log, _ = route(
        b'\xef\xbb\xbf{"resourceType": "Patient", "id": "p1", "identifier": [{"system": "urn:mrn", "value": "7"}]}'
    )
    assert (r.kind, r.key, r.identifiers) == (PATIENT, "p1", ("urn:mrn|7", "7", "urn:uuid:p1"))
    assert r.line.startswith(b"{") and not log.lines()  # the byte-order mark is gone, no warning
    r, log, drops = route({"resourceType": "Patient"}, line=4)
    assert r.kind == NOTHING and not drops.everyone and not drops.patients
    assert log.lines() == [f"in/Observation.ndjson: {NO_PATIENT_ID}; resource ignored (Patient/?)"]
    assert route({"resourceType": "Patient", "id": "a\tb"})[0].kind == NOTHING


def test_a_record_without_id_is_named_by_file_and_line() -> None:
    r, log, _ = route({"resourceType": "Observation", "subject": {"reference": "Patient/p1"}}, line=7, file=3)
    assert (r.kind, r.key) == (DATA, "p1") and not log.lines()
    assert orjson.loads(r.line)["id"] == "no-id-3-7"


def test_numbers_beyond_range_are_kept_as_text_and_said_so() -> None:
    r, log, _ = route(
        b'{"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"}, "x": 1e400}'
    )
    assert r.kind == DATA and isinstance(orjson.loads(r.line)["x"], str)
    assert log.lines() == [
        "in/Observation.ndjson: numbers beyond range kept as text (those values are unusable) (line 1)"
    ]


def test_patient_references_literal_urn_absolute_conditional_and_unusable() -> None:
    assert route(obs("Patient/p1"))[0].key == "p1"
    # a urn:uuid resolves only in its Bundle: here through the Patients' index (a Patient with id p2)
    assert route(obs("urn:uuid:p2"))[0][:2] == (DEFERRED, "urn:uuid:p2")
    assert route(obs("https://ehr.example/fhir/Patient/p3/_history/2"))[0].key == "p3"
    cov = {"resourceType": "Coverage", "id": "c", "beneficiary": {"reference": "Patient/p4"}}
    assert (route(cov)[0].kind, route(cov)[0].key) == (DATA, "p4")
    deferred = route(obs("Patient?identifier=urn:mrn|7"))[0]
    assert (deferred.kind, deferred.key) == (DEFERRED, "urn:mrn|7")
    r, log, drops = route(obs("Group/g1"))
    assert r.kind == NOTHING and not drops.everyone
    assert log.lines() == [
        "in/Observation.ndjson: patient reference not resolvable; resource ignored"
        " (Observation/o1, a reference to a Group)"
    ]
    # a subject that is a string is malformed: the record is lost for the patient it names
    r, log, drops = route({"resourceType": "Observation", "id": "o2", "subject": "Patient/p5"})
    assert r.kind == NOTHING and drops.patients == {"p5": {"Observation"}}
    assert log.lines() == ["in/Observation.ndjson: patient reference malformed; resource ignored (Observation/o2)"]
    assert route({"resourceType": "Practitioner", "id": "d1"})[0] == Route(NOTHING)


def test_medications_go_to_the_index_when_they_have_a_code() -> None:
    code = {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1"}]}
    r = route({"resourceType": "Medication", "id": "m1", "code": code})[0]
    assert (r.kind, r.key, r.code) == (MEDICATION, "Medication/m1", code)
    assert route({"resourceType": "Medication", "id": "m2"})[0].kind == NOTHING
    # an id-less one is named like any id-less record (no reference can name it by accident)
    assert route({"resourceType": "Medication", "code": code}, line=5)[0].key == "Medication/no-id-0-5"


def test_patient_of_chooses_one_patient_resolves_medications_and_marks_lost_types() -> None:
    code = {"text": "lutetium"}
    dose = {
        "resourceType": "MedicationAdministration",
        "id": "d",
        "medicationReference": {"reference": "Medication/m1"},
    }
    old = {"resourceType": "Patient", "id": "p1", "gender": "male", "meta": {"lastUpdated": "2026-01-02T00:00:00Z"}}
    new = {"resourceType": "Patient", "id": "p1", "gender": "female", "meta": {"lastUpdated": "2026-03-01T00:00:00Z"}}
    drops = Drops()
    drops.add("Observation", "p1")
    data = patient_of("p1", [orjson.dumps(r) for r in (dose, new, old)], {"Medication/m1": code}, drops)
    assert [r["resourceType"] for r in data.resources] == ["Patient", "MedicationAdministration"]
    assert data.resources[0]["gender"] == "female"  # the later meta.lastUpdated, though read first
    assert data.resources[1]["medicationCodeableConcept"] == code
    assert [u.resource_type for u in data.unavailable] == ["Observation"]
    assert data.warnings == [
        "Patient/p1: different Patient resources with this id; used the latest (the highest numeric meta.versionId, "
        "else the latest meta.lastUpdated, else the latest issued or authored; on a tie, the last in input order)"
    ]
    alone = patient_of("p9", [orjson.dumps(obs("Patient/p9"))], {})
    assert alone.warnings == ["Patient/p9: no Patient resource in the input (age and sex unknown)"]
    # a part of a record: what absence would decide is unknown (retrieval.assembly.filed_elsewhere)
    assert {u.resource_type for u in alone.unavailable} == {*CLOSED_WORLD_TYPES, "Observation"}
    assert all(u.partial for u in alone.unavailable)
