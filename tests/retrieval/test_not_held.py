"""An export that holds no record of a type: the type says nothing (unknown), never "none".

A Bulk export is one NDJSON file per type; a type with no file was left out of the export, or the
site keeps it elsewhere. clinical.md §0 item 7 reads the absence of a diagnosis as "criterion not
met", which is right for a patient's record and wrong for an export that holds no diagnosis at
all: everyone would be ``ineligible`` on data nobody sent. A Bundle is a patient's record, so
there absence stays what it says.

Worked out by hand on the base patient of tests/retrieval/test_input_review.py (sample 01):
NETTER-2 (NCT03972488) I1 fails on its Condition (the NET was diagnosed in 2021): with no
Condition in the export it is ``unknown``; as a Bundle with no Condition it is ``fail`` (closed
world). Trial D (NCT05987176) D-I5 reads Procedures only (no liver resection: fail): with no
Procedure in the export it is ``unknown``. D-E7 (prior PRRT) reads administrations, statements
and procedures: its administrations are in the export, so it still fails on them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.patient_record import build_record, unavailable_for
from fhir_eligibility.evaluation.program import Program
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.requirements.model import Unavailable
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.screening.core import SCREENING
from fhir_eligibility.screening.fast import Screener
from fhir_eligibility.screening.runner import screen_files
from tests.retrieval.test_input_review import (
    AS_OF,
    MA,
    NETTER2,
    TRIAL_D,
    TRIALS,
    every_path,
    resources,
    shard_patients,
    write_ndjson,
)

P = "sample-01"
KEY = f"Patient/{P}"
I1 = (KEY, NETTER2, "I1")
D_I5, D_E7 = (KEY, TRIAL_D, "D-I5"), (KEY, TRIAL_D, "D-E7")
E2 = (KEY, NETTER2, "E2")


def _without(*types: str) -> list[dict[str, Any]]:
    return [r for r in resources(P) if r["resourceType"] not in types]


def _reason(path: Path, trial: str, criterion: str) -> str:
    data = report_json(evaluate_files([path], TRIALS, AS_OF, Settings()))
    (result,) = [r for r in data["results"] if r["trial"] == trial]
    (c,) = [c for c in result["criteria"] if c["id"] == criterion]
    return str(c["reason"])


def test_the_whole_export_decides_as_before(tmp_path: Path) -> None:
    results, _w = every_path([write_ndjson(tmp_path / "in", resources(P))], tmp_path)
    assert (results[I1], results[D_I5], results[D_E7]) == ("fail", "fail", "fail")


def test_an_export_without_conditions_leaves_diagnoses_unknown(tmp_path: Path) -> None:
    full, _w = every_path([write_ndjson(tmp_path / "full", resources(P))], tmp_path)
    folder = write_ndjson(tmp_path / "in", _without("Condition"))
    results, _w = every_path([folder], tmp_path)  # evaluate, its streamed JSON and screen agree
    assert results[I1] == "unknown"
    assert "holds no Condition records" in _reason(folder, NETTER2, "I1")
    assert results[D_E7] == "fail"  # administrations are in the export: read as before
    # a type left out never makes a fail
    assert {k for k, v in results.items() if v == "fail"} <= {k for k, v in full.items() if v == "fail"}


def test_a_bundle_without_conditions_is_the_patients_record(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in _without("Condition")]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(bundle))
    results, _w = every_path([path], tmp_path)
    assert results[I1] == "fail"  # closed world (clinical.md §0 item 7)


def test_a_record_found_still_decides_an_absence_does_not(tmp_path: Path) -> None:
    """No Procedure and no MedicationStatement exported: the four Lutathera administrations still make
    D-E7 (prior PRRT) met; D-I5 (a liver resection: Procedures only) is no longer "none recorded"."""
    results, _w = every_path([write_ndjson(tmp_path / "in", _without("Procedure", "MedicationStatement"))], tmp_path)
    assert results[D_I5] == "unknown"
    assert results[D_E7] == "fail"
    assert results[I1] == "fail"


def test_treatment_history_is_not_read_from_procedures_alone(tmp_path: Path) -> None:
    """No administrations and no statements exported: NETTER-2's E2 (prior PRRT) must not pass on
    "none recorded" because the Procedures are there; with the whole export it fails (the doses)."""
    results, _w = every_path([write_ndjson(tmp_path / "in", _without(MA, "MedicationStatement"))], tmp_path)
    assert results[E2] == "unknown"
    assert results[D_E7] == "unknown"


def test_an_export_beside_a_patients_bundle_leaves_the_bundle_whole(tmp_path: Path) -> None:
    """A lab NDJSON of another patient beside sample 01's Bundle: sample 01's record is its Bundle."""
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources(P)]}
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "patient.json").write_text(json.dumps(bundle))
    p2 = resources("p2")
    lab = next(r for r in p2 if r["resourceType"] == "Observation")
    (tmp_path / "in" / "Patient.ndjson").write_text(json.dumps(p2[0]) + "\n")
    (tmp_path / "in" / "Observation.ndjson").write_text(json.dumps(lab) + "\n")
    patients = {p.patient_id: p for p in read_patients([tmp_path / "in"])[0]}
    assert patients[P].unavailable == ()
    # the export holds no Condition or Procedure record (the Bundle's are sample 01's, not the export's)
    census = {u.resource_type for u in patients["p2"].unavailable if u.unsupported}
    assert census >= {"Condition", "Procedure"}
    assert shard_patients([tmp_path / "in"], tmp_path)[P].unavailable == ()
    every_path([tmp_path / "in"], tmp_path)  # evaluate, its streamed JSON and screen agree


def test_a_bundle_without_the_patient_is_no_record_beside_an_export(tmp_path: Path) -> None:
    """An adversarial review: one Observation of sample 01 moved into a Bundle of its own (no Patient),
    the rest an export without administrations or statements. The Bundle made the whole record closed
    world: NETTER-2's E2 (prior PRRT) passed on "none recorded" although no drug record was exported.
    Only a Bundle that holds the patient's Patient is the patient's record; as the same export with the
    Observation in it, E2 is unknown."""
    rest = _without(MA, "MedicationStatement")
    lab = next(r for r in rest if r["resourceType"] == "Observation")
    folder = write_ndjson(tmp_path / "in", [r for r in rest if r is not lab])
    (folder / "lab.json").write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": lab}]})
    )
    split, _w = every_path([folder], tmp_path)  # evaluate, its streamed JSON and screen agree
    whole, _w = every_path([write_ndjson(tmp_path / "whole", rest)], tmp_path)
    assert split[E2] == whole[E2] == "unknown"
    assert split == whole


def test_a_bulk_export_vouches_for_the_types_it_was_asked_for(tmp_path: Path) -> None:
    """A server's $export leaves out a requested type it has no record of (Bulk Data spec): the
    types asked for are vouched for (screening.server passes them as ``exported``)."""
    folder = write_ndjson(tmp_path / "in", _without("Condition"))
    plain = screen_files([folder], TRIALS, AS_OF, SCREENING, workers=1, temp_dir=tmp_path)
    vouched = screen_files([folder], TRIALS, AS_OF, SCREENING, workers=1, temp_dir=tmp_path, exported=["Condition"])

    def i1(report: Any) -> dict[str, int]:
        (t,) = [t for t in report.trials if t.trial == NETTER2]
        (row,) = [f for f in t.funnel if f.criterion == "I1"]
        return {k: n for k, n in row.counts.items() if n}

    assert i1(plain) == {"unknown": 1}
    assert i1(vouched) == {"fail": 1}


def test_the_type_census_spans_every_file_and_shard(tmp_path: Path) -> None:
    """Patient 2's Conditions make the type held for patient 1 too (who has none): none recorded."""
    one = _without("Condition")
    two = json.loads(json.dumps(resources("p2")).replace("sample-01", "p2"))
    folder = write_ndjson(tmp_path / "in", one + two)
    patients = shard_patients([folder], tmp_path)
    assert "Condition" not in {u.resource_type for u in patients[P].unavailable}
    results, _w = every_path([folder], tmp_path)
    assert results[I1] == "fail"


def test_how_a_criterion_reads_types_a_source_does_not_hold() -> None:
    fault = Unavailable("Procedure", frozenset(), "timeout")
    no_ma = Unavailable("MedicationAdministration", frozenset(), "not held", unsupported=True)
    no_pr = Unavailable("Procedure", frozenset(), "not held", unsupported=True)
    no_is = Unavailable("ImagingStudy", frozenset(), "not held", unsupported=True)
    kinds = ("MedicationAdministration", "Procedure")
    assert unavailable_for((no_ma, fault), kinds, frozenset()) is fault  # a fault in any type, first
    assert unavailable_for((no_ma,), kinds, frozenset()) is no_ma  # closed world: absence decides nothing
    assert unavailable_for((no_ma, no_pr), kinds, frozenset()) is no_ma  # nothing at all
    assert unavailable_for((no_is,), ("ImagingStudy", "Procedure"), frozenset()) is None  # procedures say
    assert unavailable_for((no_is,), ("ImagingStudy",), frozenset()) is no_is
    coded = Unavailable("ImagingStudy", frozenset({("http://snomed.info/sct", "1")}), "not held", unsupported=True)
    other = frozenset({("http://snomed.info/sct", "2")})
    assert unavailable_for((coded,), ("ImagingStudy",), other) is None  # another code's search
    assert unavailable_for((coded,), ("ImagingStudy",), frozenset({("http://snomed.info/sct", "1")})) is coded


def _census(*types: str) -> tuple[Unavailable, ...]:
    return tuple(Unavailable(t, frozenset(), f"the input holds no {t} records", unsupported=True) for t in types)


def test_the_program_screens_an_export_whose_missing_types_no_criterion_depends_on() -> None:
    """Every criterion reading DiagnosticReports or ImagingStudies reads Procedures too (SSTR imaging,
    prior PRRT), which add to nothing closed-world: without those two types the truths are the
    explained walk's, and screening keeps its fast path. Without Conditions, allergies or any other
    closed-world type, or with a fault, the patient goes to the explained walk."""
    program = Program(TRIALS, SCREENING)

    def exact(*unavailable: Unavailable) -> bool:
        return program.answers_exactly(build_record(PatientData(P, resources(P), unavailable)))

    assert exact()
    assert exact(*_census("DiagnosticReport", "ImagingStudy"))
    assert not exact(*_census("DiagnosticReport", "ImagingStudy", "Condition"))
    assert not exact(*_census("AllergyIntolerance"))
    assert not exact(*_census("MedicationStatement"))
    assert not exact(Unavailable("DiagnosticReport", frozenset(), "timeout"))
    screener = Screener(TRIALS, AS_OF, SCREENING)
    screener.screen(PatientData(P, resources(P), _census("DiagnosticReport", "ImagingStudy")))
    assert screener.whole == 0
    screener.screen(PatientData(P, resources(P), _census("Condition")))
    assert screener.whole == 1


def test_a_response_beside_a_bundle_is_no_export(tmp_path: Path) -> None:
    """A coordinator's QuestionnaireResponse saved beside the patient's Bundle (a file of one resource),
    or a file of responses as NDJSON: the input is still patients' records, read closed-world."""
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources(P)]}
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": "qr-1",
        "status": "completed",
        "subject": {"reference": f"Patient/{P}"},
        "authored": "2026-05-25",
    }
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "patient.json").write_text(json.dumps(bundle))
    (tmp_path / "in" / "qr.json").write_text(json.dumps(response))
    (tmp_path / "in" / "more.ndjson").write_text(json.dumps({**response, "id": "qr-2"}) + "\n")
    (patient,) = read_patients([tmp_path / "in"])[0]
    assert patient.unavailable == ()
    assert shard_patients([tmp_path / "in"], tmp_path)[P].unavailable == ()
