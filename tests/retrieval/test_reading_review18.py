"""Findings of an adversarial review of the file readers (pass 18), each worked out by hand.

The base patient is ``sample_bundles/01`` (``tests/expected_verdicts.md``): trial D (NCT05987176)
fails D-E7 on its four Lutathera MedicationAdministrations (prior PRRT) and NETTER-2 (NCT03972488)
fails I1 on its Condition (the NET was diagnosed in 2021). A drug that cannot be read makes D-E7
``unknown``; a Condition record that is missing but may exist makes I1 ``unknown``, never ``fail``
on "none recorded" (clinical.md §0 item 7 reads absence as "not met" only in a whole record).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir_eligibility.retrieval.files import read_patients
from tests.retrieval.test_input_review import MA, NETTER2, TRIAL_D, every_path, resources, write_ndjson

P = "sample-01"
KEY = f"Patient/{P}"
D_E7 = (KEY, TRIAL_D, "D-E7")
I1 = (KEY, NETTER2, "I1")


def _by_reference(items: list[dict[str, Any]], reference: str) -> list[dict[str, Any]]:
    """The administrations' drug moved into Medication resources, named by ``reference`` (``{id}``:
    the Medication's id)."""
    out: list[dict[str, Any]] = []
    for r in items:
        if r["resourceType"] == MA:
            med_id = "med-" + r["id"][:8]
            out.append({"resourceType": "Medication", "id": med_id, "code": r["medicationCodeableConcept"]})
            r = {k: v for k, v in r.items() if k != "medicationCodeableConcept"}
            r["medicationReference"] = {"reference": reference.format(id=med_id)}
        out.append(r)
    return out


def _bundle(path: Path, items: list[dict[str, Any]], kind: str = "collection") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in items]}))
    return path


# ---------------------------------------------------------------- versioned relative Medication references


def test_a_versioned_relative_medication_reference_resolves(tmp_path: Path) -> None:
    """``Medication/x/_history/3`` is a version-specific reference (FHIR R4 references.html) to
    Medication x, as ``http://host/fhir/Medication/x/_history/3`` is: the four doses are Lutathera,
    so D-E7 (prior PRRT) fails, in NDJSON and in a Bundle alike. It read as an unresolved drug
    (unknown)."""
    items = _by_reference(resources(P), "Medication/{id}/_history/3")
    ndjson, _w = every_path([write_ndjson(tmp_path / "nd", items)], tmp_path)
    assert ndjson[D_E7] == "fail"
    bundle, _w = every_path([_bundle(tmp_path / "b" / "p.json", items)], tmp_path)
    assert bundle[D_E7] == "fail"
    (patient,) = read_patients([tmp_path / "nd"])[0]
    doses = [r for r in patient.resources if r["resourceType"] == MA]
    assert len(doses) == 4 and all("medicationCodeableConcept" in r for r in doses)


# ---------------------------------------------------------------- urn:uuid references outside a Bundle

UUID = "4da06bc6-4104-5daf-9864-a2a6f6d16ef2"  # sample 01's Patient fullUrl in its transaction Bundle


def _flattened(pid: str = P) -> list[dict[str, Any]]:
    """Sample 01 flattened out of its transaction Bundle without rewriting references: the records
    name ``urn:uuid:<fullUrl uuid>``, the Patient is ``pid``."""
    items = json.loads(json.dumps(resources(P)).replace(KEY, f"urn:uuid:{UUID}"))
    items[0]["id"] = pid
    return items


def _one_per_file(folder: Path, items: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, r in enumerate(items):
        (folder / f"{r['resourceType']}-{i}.json").write_text(json.dumps(r))
    return folder


def test_a_urn_uuid_outside_a_bundle_names_no_patient(tmp_path: Path) -> None:
    """A ``urn:uuid`` reference resolves only through a Bundle's ``fullUrl`` (FHIR R4 bundle.html,
    references.html); in NDJSON or one resource per file it names no Patient of the input. The
    records are then about an unknown patient: no patient is made up from the uuid, and every
    patient may have lost them, so their types are unknown (README: "unknown for whom it seems to
    name (else everyone), never silently absent"): NETTER-2 I1 and D-E7 are ``unknown``, not
    ``fail`` on "none recorded"."""
    for folder in (write_ndjson(tmp_path / "nd", _flattened()), _one_per_file(tmp_path / "files", _flattened())):
        patients, warnings = read_patients([folder])
        assert [p.patient_id for p in patients] == [P]
        lost = {u.resource_type for u in patients[0].unavailable}
        assert {"Condition", MA, "Observation", "Procedure", "MedicationStatement"} <= lost
        assert [r["resourceType"] for r in patients[0].resources] == ["Patient"]
        assert any("patient reference not resolvable" in w and "urn:uuid" in w for w in warnings)


def test_a_urn_uuid_that_is_a_patient_id_of_the_input_resolves(tmp_path: Path) -> None:
    """Synthea-style data flattened from its Bundles: the Patient's id is the uuid its records name,
    a Patient the input holds, so they are its records as before."""
    (patient,) = read_patients([write_ndjson(tmp_path / "nd", _flattened(UUID))])[0]
    assert patient.patient_id == UUID
    assert len(patient.resources) == len(resources(P))
    (literal,) = read_patients([write_ndjson(tmp_path / "literal", resources(P))])[0]
    assert patient.unavailable == literal.unavailable  # the types the export holds none of, no more


def test_a_urn_uuid_in_a_bundle_that_no_entry_carries_is_the_bundles_loss(tmp_path: Path) -> None:
    """Inside a Bundle, a ``urn:uuid`` no entry's fullUrl carries resolves to nothing: the record is
    not given to a made-up patient, and the Bundle's patient loses its type (unknown)."""
    items = resources(P)
    for r in items:
        if r["resourceType"] == "Condition":
            r["subject"] = {"reference": "urn:uuid:0b5e7d9c-0000-4000-8000-000000000000"}
    path = _bundle(tmp_path / "b" / "p.json", items)
    patients, _w = read_patients([path])
    assert [p.patient_id for p in patients] == [P]
    assert "Condition" in {u.resource_type for u in patients[0].unavailable}


# ---------------------------------------------------------------- one resource per file is an export's lines


def test_a_folder_of_one_resource_per_file_without_conditions_is_an_export_without_them(tmp_path: Path) -> None:
    """A folder of one resource per file is read as loose records, like NDJSON lines (README); only a
    Bundle holding the Patient is the patient's record. Without any Condition file, as the same
    records in NDJSON, the diagnosis is unknown ("the input holds no Condition records"), not
    "none recorded" (NETTER-2 I1 had failed); the doses found still decide D-E7."""
    items = [r for r in resources(P) if r["resourceType"] != "Condition"]
    files, _w = every_path([_one_per_file(tmp_path / "files", items)], tmp_path)
    ndjson, _w = every_path([write_ndjson(tmp_path / "nd", items)], tmp_path)
    assert files[I1] == ndjson[I1] == "unknown"
    assert files[D_E7] == "fail"
    assert files == ndjson
    (patient,) = read_patients([tmp_path / "files"])[0]
    assert any("holds no Condition records" in u.reason for u in patient.unavailable)


# ---------------------------------------------------------------- a formulary Bundle beside the patients'


def test_a_medication_in_another_bundle_resolves(tmp_path: Path) -> None:
    """A Medication is about no patient: one in a collection Bundle of Medications (a formulary)
    beside the patients' Bundles resolves their ``Medication/<id>`` references, as the same
    Medications do as NDJSON lines or one per file. The doses are Lutathera: D-E7 fails (it read as
    an unresolved drug: unknown)."""
    items = _by_reference(resources(P), "Medication/{id}")
    meds = [r for r in items if r["resourceType"] == "Medication"]
    _bundle(tmp_path / "in" / "01.json", [r for r in items if r["resourceType"] != "Medication"])
    _bundle(tmp_path / "in" / "zz-formulary.json", meds)
    results, _w = every_path([tmp_path / "in"], tmp_path)
    assert results[D_E7] == "fail"


# ---------------------------------------------------------------- logical (identifier-only) references

MRN = {"system": "http://hospital.example/mrn", "value": "MRN-0001"}


def _by_identifier(identifier: dict[str, str], carriers: tuple[str, ...] = (P,)) -> list[dict[str, Any]]:
    """Sample 01 whose records name the patient by ``identifier`` only (a logical Reference, FHIR R4
    references.html); the Patients ``carriers`` carry the MRN (others are copies of sample 01's)."""
    items: list[dict[str, Any]] = []
    for pid in carriers:
        patient = json.loads(json.dumps(resources(P)[0]).replace(P, pid))
        patient["identifier"] = [MRN]
        items.append(patient)
    for r in resources(P)[1:]:
        r["subject"] = {"identifier": identifier, "display": "Henri Lambert"}
        items.append(r)
    return items


def test_an_identifier_reference_resolves_to_the_one_patient_carrying_it(tmp_path: Path) -> None:
    """``subject: {identifier: {system, value}}`` names the Patient carrying that identifier, as
    ``Patient?identifier=system|value`` does: the record is sample 01's (D-E7 fails on the doses,
    NETTER-2 I1 on the 2021 diagnosis); it was "patient reference malformed; resource ignored"."""
    results, _w = every_path([write_ndjson(tmp_path / "nd", _by_identifier(MRN))], tmp_path)
    assert (results[D_E7], results[I1]) == ("fail", "fail")


def test_an_identifier_reference_no_single_patient_carries_is_unknown(tmp_path: Path) -> None:
    """An identifier two Patients carry names neither: unknown for both, never "none recorded"."""
    patients, warnings = read_patients([write_ndjson(tmp_path / "two", _by_identifier(MRN, (P, "sample-99")))])
    assert [p.patient_id for p in patients] == [P, "sample-99"]
    for p in patients:
        assert [r["resourceType"] for r in p.resources] == ["Patient"]
        assert {"Condition", MA} <= {u.resource_type for u in p.unavailable}
    assert any("ambiguous" in w for w in warnings)


def test_an_unreadable_line_naming_a_urn_uuid_is_anyones(tmp_path: Path) -> None:
    """A Condition line that is not valid JSON and names ``urn:uuid:...``: whom it was about cannot be
    told (no Bundle gives the uuid a meaning), so its type is unknown for every patient (NETTER-2 I1
    unknown), not for a patient named after the uuid while sample 01 reads "none" (fail)."""
    folder = write_ndjson(tmp_path / "nd", [r for r in resources(P) if r["resourceType"] != "Condition"])
    others = [r for r in resources(P) if r["resourceType"] == "Condition"]
    broken = '{"resourceType": "Condition", "subject": {"reference": "urn:uuid:' + UUID + '"}, "code": '
    (folder / "Condition.ndjson").write_text("\n".join([*map(json.dumps, others[1:]), broken]) + "\n")
    results, _w = every_path([folder], tmp_path)
    assert results[I1] == "unknown"
    assert [p.patient_id for p in read_patients([folder])[0]] == [P]


def test_every_reader_reads_a_stray_urn_uuid_alike(tmp_path: Path) -> None:
    """evaluate, its streamed JSON and screen agree on the flattened export (no made-up patient, the
    records' types unknown for sample 01) and on the Synthea-style one (the records are the patient's).
    An unresolved conditional reference is unknown for everyone in every reader alike."""
    flat, _w = every_path([write_ndjson(tmp_path / "flat", _flattened())], tmp_path)
    assert {k[0] for k in flat} == {KEY}
    assert (flat[I1], flat[D_E7]) == ("unknown", "unknown")
    synthea, _w = every_path([write_ndjson(tmp_path / "synthea", _flattened(UUID))], tmp_path)
    assert (synthea[(f"Patient/{UUID}", NETTER2, "I1")], synthea[(f"Patient/{UUID}", TRIAL_D, "D-E7")]) == ("fail",) * 2
    nobody, _w = every_path([write_ndjson(tmp_path / "nobody", _by_identifier({"value": "MRN-9"}))], tmp_path)
    assert (nobody[I1], nobody[D_E7]) == ("unknown", "unknown")
