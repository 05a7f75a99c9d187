"""A Lutathera administration whose drug is a ``contained`` Medication or a reference to a Medication
resource counts as a cycle through every source: files (Bundle), the FHIR server (searched with
``responses``), screening (NDJSON shards) and the CDS prefetch, all ending in the one assembler
(issue 11 item 2).

Four Lutathera cycles in 2025 are trial A's first course of 4 (A-I3, clinical.md §1.1): "4 found",
pass, in every shape and through every entry point; the same records whose reference names a
Medication that is in no input are unknown everywhere, never "0 found" (fail) nor "3 found".
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_files, evaluate_patient, evaluate_server
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.requirements.prefetch import prefetch_templates
from fhir_eligibility.retrieval.server import ServerOptions
from fhir_eligibility.service.prefetch import Fallback, HookRequest, RequestError, assemble, patient_data
from tests.cases.builders import AS_OF, patient
from tests.evaluation.test_real_semantics import CYCLE_DAYS, LU_MED, contained_cycles, lutathera
from tests.screening.helpers import invoke

A = next(t for t in load_trials() if t.id == "NCT04954820")
Json = dict[str, Any]
BASE = "http://fhir.test/r4"


def referenced_cycles(r5: bool = False, target: str = "Medication/lu177") -> list[Json]:
    ref = {"reference": target}
    shape = {"medication": {"reference": ref}} if r5 else {"medicationReference": ref}
    return [lutathera(i, d, **shape) for i, d in enumerate(CYCLE_DAYS)]


# shape -> (the patient's records, the Medication resources beside them)
SHAPES: dict[str, tuple[list[Json], list[Json]]] = {
    "contained R4": (contained_cycles(), []),
    "contained R5": (contained_cycles(r5=True), []),
    "medicationReference": (referenced_cycles(), [LU_MED]),
    "R5 medication.reference": (referenced_cycles(r5=True), [LU_MED]),
    "absolute reference": (referenced_cycles(target="http://other.example/fhir/Medication/lu177"), [LU_MED]),
}
DANGLING = (referenced_cycles(target="Medication/nowhere"), [LU_MED])


def i3_from_files(tmp_path: Path, cycles: list[Json], meds: list[Json]) -> tuple[Result, str]:
    entries = [{"resource": r} for r in [patient(), *cycles, *meds]]
    (tmp_path / "p.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
    report = evaluate_files([tmp_path / "p.json"], [A], AS_OF)
    i3 = next(c for c in report.results[0].criteria if c.id == "A-I3")
    return i3.result, i3.reason


def unrelated() -> list[Json]:
    """What a Bulk export holds besides the cycles: the other types A-I3 reads (statements, procedures),
    here records no criterion counts (paracetamol, a colonoscopy). An export without them could hold
    cycles recorded there, unseen (retrieval.reading.not_held): the count would be unknown."""
    subject = {"reference": f"Patient/{patient()['id']}"}
    return [
        {
            "resourceType": "MedicationStatement",
            "id": "paracetamol",
            "status": "completed",
            "subject": subject,
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "N02BE01"}]},
            "effectiveDateTime": "2025-01-01",
        },
        {
            "resourceType": "Procedure",
            "id": "colonoscopy",
            "status": "completed",
            "subject": subject,
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "73761001"}]},
            "performedDateTime": "2025-01-01",
        },
    ]


def i3_from_screening(tmp_path: Path, cycles: list[Json], meds: list[Json]) -> tuple[Result, str]:
    """The screening funnel counts; its reason is not reported, so the count's result stands for it."""
    for rtype, records in (
        ("Patient", [patient()]),
        ("MedicationAdministration", cycles),
        ("Medication", meds),
        ("Other", unrelated()),
    ):
        if records:
            (tmp_path / f"{rtype}.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records))
    out = invoke("screen", str(tmp_path), "--trial", A.id, "--as-of", AS_OF.isoformat(), "--format", "json")
    assert out.exit_code == 0, out.output
    funnel = {f["criterion"]: f for f in json.loads(out.output)["trials"][0]["funnel"]}
    counts = {r: funnel["A-I3"].get(r, 0) for r in ("pass", "fail", "unknown")}
    (result,) = [r for r, n in counts.items() if n == 1]
    return Result(result), ""


def searchset(matches: list[Json], included: Sequence[Json] = ()) -> Json:
    entries = [{"resource": r, "search": {"mode": "match"}} for r in matches]
    entries += [{"resource": r, "search": {"mode": "include"}} for r in included]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(matches), "entry": entries}


def i3_from_server(cycles: list[Json], meds: list[Json]) -> tuple[Result, str]:
    """A server that answers as R4 servers do: ``code`` never matches a referenced drug, ``_include``
    brings the Medications the matched records name."""
    asked: list[str] = []

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        url = urlsplit(str(request.url))
        rtype, query = url.path.rsplit("/", 1)[-1], parse_qs(url.query)
        asked.append(rtype)
        if rtype == "metadata":
            return 200, {}, json.dumps({"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"})
        body = searchset([])
        if rtype == "Patient":
            body = searchset([patient()])
        elif rtype == "MedicationAdministration":
            by_code = [c for c in cycles if "medicationCodeableConcept" in c]
            found = by_code if "code" in query else cycles
            names = {json.dumps(c.get("medicationReference") or c.get("medication")) for c in found}
            body = searchset(found, [m for m in meds if "_include" in query and any("lu177" in n for n in names)])
        return 200, {}, json.dumps(body)

    options = ServerOptions(base_url=BASE, use_env_token=False, batch="never")
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, re.compile(BASE + "/.*"), callback=answer)
        report = evaluate_server(options, ["p"], [A], AS_OF)
    assert "MedicationAdministration" in asked
    i3 = next(c for c in report.results[0].criteria if c.id == "A-I3")
    return i3.result, i3.reason


def i3_from_prefetch(cycles: list[Json], meds: list[Json]) -> tuple[Result, str]:
    """The CDS client prefetched every key of our templates: the Patient, the searchset of the drug's
    records with the Medications ``_include``d, empty searchsets for the rest."""
    templates = prefetch_templates(plan([A], AS_OF))
    keys: dict[str, Any] = {t.key: searchset([]) for t in templates}
    keys["patient"] = patient()
    (key,) = [t.key for t in templates if t.resource_type == "MedicationAdministration"]
    assert "_include=MedicationAdministration:medication" in next(t.query for t in templates if t.key == key)
    keys[key] = searchset(cycles, meds)
    hook = HookRequest("order-select", "x", "p", "Practitioner/1", prefetch=keys)
    data, fetched = patient_data(hook, templates, Fallback())
    assert fetched == 0
    i3 = next(c for c in evaluate_patient(data, [A], AS_OF)[0].criteria if c.id == "A-I3")
    return i3.result, i3.reason


@pytest.mark.parametrize("shape", SHAPES)
def test_every_entry_point_counts_the_four_cycles(shape: str, tmp_path: Path) -> None:
    cycles, meds = SHAPES[shape]
    (tmp_path / "f").mkdir()
    files = i3_from_files(tmp_path / "f", cycles, meds)
    assert files[0] is Result.PASS and files[1].startswith("4 found"), files
    assert i3_from_server(cycles, meds) == files
    assert i3_from_prefetch(cycles, meds) == files
    (tmp_path / "s").mkdir()
    assert i3_from_screening(tmp_path / "s", cycles, meds)[0] is Result.PASS


def test_a_reference_to_a_medication_in_no_input_is_unknown_everywhere(tmp_path: Path) -> None:
    cycles, meds = DANGLING
    (tmp_path / "f").mkdir()
    files = i3_from_files(tmp_path / "f", cycles, meds)
    assert files[0] is Result.UNKNOWN and "not found" in files[1], files
    assert i3_from_server(cycles, meds) == files
    assert i3_from_prefetch(cycles, meds) == files
    (tmp_path / "s").mkdir()
    assert i3_from_screening(tmp_path / "s", cycles, meds)[0] is Result.UNKNOWN


def test_the_prefetch_assembler_drops_other_patients_and_keeps_medications_for_references() -> None:
    other = {**referenced_cycles()[0], "id": "x", "subject": {"reference": "Patient/q"}}
    data = assemble("p", [patient(), *referenced_cycles(), LU_MED, other])
    assert [r["resourceType"] for r in data.resources] == ["Patient"] + ["MedicationAdministration"] * 4
    assert all(r["medicationCodeableConcept"] == LU_MED["code"] for r in data.resources[1:])
    assert data.warnings == ["1 prefetched resource(s) were not about this patient; ignored"]


# ---- per-resource folders and Medication versions (entry-point review, 2026-12-06) -------------------


def _loose(folder: Path, records: list[Json]) -> None:
    """One resource per file, as some exports write a folder."""
    folder.mkdir()
    for n, r in enumerate(records):
        (folder / f"{n:02d}-{r['resourceType']}.json").write_text(json.dumps(r))


def _i3_evaluate(paths: list[Path]) -> tuple[Result, str]:
    report = evaluate_files(paths, [A], AS_OF)
    i3 = next(c for c in report.results[0].criteria if c.id == "A-I3")
    return i3.result, i3.reason


def _i3_screen(path: Path) -> Result:
    out = invoke("screen", str(path), "--trial", A.id, "--as-of", AS_OF.isoformat(), "--format", "json")
    assert out.exit_code == 0, out.output
    funnel = {f["criterion"]: f for f in json.loads(out.output)["trials"][0]["funnel"]}
    (result,) = [r for r in ("pass", "fail", "unknown") if funnel["A-I3"].get(r, 0) == 1]
    return Result(result)


def test_a_folder_of_one_resource_per_file_resolves_a_drug_in_another_file(tmp_path: Path) -> None:
    """The four cycles name Medication/lu177, which is in its own file: 4 found, as from a Bundle or
    NDJSON (before: "not found", unknown, from evaluate and screen on the folder). Such a folder is an
    export (a type it lacks is unknown), so it holds the other types A-I3 reads (unrelated())."""
    _loose(tmp_path / "loose", [patient(), *referenced_cycles(), LU_MED, *unrelated()])
    result, reason = _i3_evaluate([tmp_path / "loose"])
    assert result is Result.PASS and reason.startswith("4 found"), reason
    assert _i3_screen(tmp_path / "loose") is Result.PASS


def test_of_two_versions_of_a_medication_the_latest_is_read_whatever_the_order(tmp_path: Path) -> None:
    """Medication/lu177 given twice: Lutathera (lastUpdated 2026-05-01) and an older version coding
    ondansetron (2020-01-01), last in input order. Before, the older version decided: "0 found", fail."""
    newer = {**LU_MED, "meta": {"lastUpdated": "2026-05-01T00:00:00Z"}}
    older = {
        **LU_MED,
        "meta": {"lastUpdated": "2020-01-01T00:00:00Z"},
        "code": {"coding": [{"system": "http://www.whocc.no/atc", "code": "A04AA01"}]},
    }
    records = [patient(), *referenced_cycles(), newer, older]
    entries = [{"resource": r} for r in records]
    (tmp_path / "b.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
    assert _i3_evaluate([tmp_path / "b.json"])[0] is Result.PASS
    (tmp_path / "nd").mkdir()
    for name, rs in (
        ("Patient", [patient()]),
        ("MedicationAdministration", referenced_cycles()),
        ("Other", unrelated()),
    ):
        (tmp_path / "nd" / f"{name}.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rs))
    (tmp_path / "nd" / "Medication-a.ndjson").write_text(json.dumps(newer) + "\n")
    (tmp_path / "nd" / "Medication-b.ndjson").write_text(json.dumps(older) + "\n")
    assert _i3_evaluate([tmp_path / "nd"])[0] is Result.PASS
    assert _i3_screen(tmp_path / "nd") is Result.PASS


@pytest.mark.parametrize("reference", ["Patient/p/", "patient/p", 123])
def test_a_record_whose_patient_reference_cannot_be_read_is_missing_data_in_every_shape(
    reference: object, tmp_path: Path
) -> None:
    """A fifth Lutathera cycle whose subject reference is malformed: it may be this patient's, so
    A-I3 ("exactly 4") is unknown from a Bundle, a folder of one resource per file and screening;
    the CDS prefetch holding it is not used as complete (without a fhirServer: 412). Before, the
    folder and the prefetch dropped it silently and A-I3 passed."""
    fifth = {
        **lutathera(9, "2025-08-22", medicationCodeableConcept=LU_MED["code"]),
        "subject": {"reference": reference},
    }
    cycles = [lutathera(i, d, medicationCodeableConcept=LU_MED["code"]) for i, d in enumerate(CYCLE_DAYS)]
    records = [patient(), *cycles, fifth]
    entries = [{"resource": r} for r in records]
    (tmp_path / "b.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
    assert _i3_evaluate([tmp_path / "b.json"])[0] is Result.UNKNOWN
    _loose(tmp_path / "loose", records)
    assert _i3_evaluate([tmp_path / "loose"])[0] is Result.UNKNOWN
    assert _i3_screen(tmp_path / "loose") is Result.UNKNOWN
    templates = prefetch_templates(plan([A], AS_OF))
    keys: dict[str, Any] = {t.key: searchset([]) for t in templates}
    keys["patient"] = patient()
    (key,) = [t.key for t in templates if t.resource_type == "MedicationAdministration"]
    keys[key] = searchset([*cycles, fifth])
    with pytest.raises(RequestError, match="prefetch incomplete") as info:
        patient_data(HookRequest("patient-view", "x", "p", "Practitioner/1", prefetch=keys), templates, Fallback())
    assert info.value.status == 412 and key in str(info.value)


def test_a_file_of_an_unknown_type_naming_the_patient_makes_their_data_unknown(tmp_path: Path) -> None:
    """As the same record as an NDJSON line or a Bundle entry: the patient's records may be missing."""
    cycles = [lutathera(i, d, medicationCodeableConcept=LU_MED["code"]) for i, d in enumerate(CYCLE_DAYS)]
    odd = {"resourceType": "Foo", "id": "f1", "subject": {"reference": "Patient/p"}}
    _loose(tmp_path / "loose", [patient(), *cycles, odd])
    assert _i3_evaluate([tmp_path / "loose"])[0] is Result.UNKNOWN
    assert _i3_screen(tmp_path / "loose") is Result.UNKNOWN
