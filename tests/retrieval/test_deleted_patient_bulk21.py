"""A Patient the input deletes (a DELETE of ``Patient/x`` in a transaction, batch or history Bundle, or
a line of a Bulk ``deleted`` file) removed only the Patient resource: x's other records were still
screened, as a patient without a Patient resource. A deleted patient is no patient of this input: not
screened (nor evaluated), with one warning naming only the id the input names.

Worked by hand on sample 01 (tests/retrieval/test_input_review.py) twice, as ``sample-01`` and
``p2``: with ``Patient/sample-01`` deleted, only p2 has results (NETTER-2 I1 ``fail`` on its NET
diagnosed in 2021, as before), no result names sample-01, and the warning is the deletion's alone.
evaluate, its streamed reader and screen agree (every_path); Spark too (tests/spark, below)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.retrieval.reading import DELETED_PATIENT
from fhir_eligibility.screening.core import SCREENING
from fhir_eligibility.screening.runner import screen_files
from tests.retrieval.test_input_review import AS_OF, NETTER2, TRIALS, every_path, resources, write_ndjson

WARNING = f"{DELETED_PATIENT} (Patient/sample-01)"


def _delete(url: str, kind: str = "transaction") -> dict[str, Any]:
    entry: dict[str, Any] = {"request": {"method": "DELETE", "url": url}}
    if kind == "history":
        entry["response"] = {"status": "204 No Content", "etag": 'W/"2"'}
    return {"resourceType": "Bundle", "type": kind, "entry": [entry]}


def deleted_export(folder: Path, how: str) -> Path:
    """sample-01 and p2 as a Bulk export; sample-01's Patient deleted by ``how``."""
    write_ndjson(folder, resources("sample-01") + resources("p2"))
    if how == "deleted-file":  # the Bulk ``deleted`` file: one transaction Bundle per line
        (folder / "deleted.ndjson").write_text(json.dumps(_delete("Patient/sample-01")) + "\n")
    else:  # a transaction or history Bundle beside the export
        bundle = _delete("Patient/sample-01", how)
        if how == "history":  # its current version is the deletion, the creation before it
            patient = next(r for r in resources("sample-01") if r["resourceType"] == "Patient")
            created = {"resource": patient | {"meta": {"versionId": "1"}}, "response": {"status": "201 Created"}}
            bundle["entry"].append(created | {"request": {"method": "POST", "url": "Patient"}})
        (folder / "changes.json").write_text(json.dumps(bundle))
    return folder


@pytest.mark.parametrize("how", ["deleted-file", "transaction", "history"])
def test_a_deleted_patient_is_not_screened(tmp_path: Path, how: str) -> None:
    folder = deleted_export(tmp_path / "in", how)
    patients, warnings = read_patients([folder])
    assert [p.patient_id for p in patients] == ["p2"]
    assert WARNING in warnings
    results, warnings = every_path([folder], tmp_path)
    assert {patient for patient, _t, _c in results} == {"Patient/p2"}
    assert results[("Patient/p2", NETTER2, "I1")] == "fail"
    assert warnings == [WARNING]
    report = screen_files([folder], TRIALS, AS_OF, SCREENING, workers=1, temp_dir=tmp_path)
    assert report.patients == 1


def test_a_deletion_of_another_record_keeps_the_patient(tmp_path: Path) -> None:
    """Only a Patient's deletion removes the patient: a deleted Observation of theirs removes it alone."""
    folder = write_ndjson(tmp_path / "in", resources("sample-01"))
    obs = next(r for r in resources("sample-01") if r["resourceType"] == "Observation")
    (folder / "deleted.ndjson").write_text(json.dumps(_delete(f"Observation/{obs['id']}")) + "\n")
    patients, warnings = read_patients([folder])
    assert [p.patient_id for p in patients] == ["sample-01"] and not any(DELETED_PATIENT in w for w in warnings)
