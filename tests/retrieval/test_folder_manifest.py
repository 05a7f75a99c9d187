"""A Bulk export saved to a folder with the server's ``manifest.json``: its word on the types it has
none of, and on the errors it reported, read with the files.

Worked by hand on sample 01 (tests/retrieval/test_not_held.py): NETTER-2 (NCT03972488) I1 needs a
NET diagnosis (a Condition). An export folder without Condition records says nothing of the
diagnosis: I1 ``unknown``. When the manifest lists Condition with ``count`` 0 the server has said it
holds none: absence is "no NET diagnosis", I1 ``fail`` (closed world, clinical.md §0 item 7), as for
a Bundle without one. An error file the folder does not keep: what failed is unknown, so every
clinical type is unknown and no type is vouched. Every file reader applies the manifest (evaluate's,
screening's partition, Spark's: tests/spark), so ``evaluate`` and ``screen`` read the folder alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.retrieval.manifest import folder_manifest
from fhir_eligibility.screening.core import SCREENING
from fhir_eligibility.screening.runner import screen_files
from tests.retrieval.test_input_review import AS_OF, NETTER2, TRIALS, resources, write_ndjson
from tests.screening.helpers import invoke

P = "sample-01"
SERVER = "https://fhir.example.org/r4"


def manifest(
    output: list[dict[str, Any]], error: list[dict[str, Any]] | None = None, types: str = ""
) -> dict[str, Any]:
    return {
        "transactionTime": "2026-05-30T10:00:00Z",
        "request": f"{SERVER}/$export" + (f"?_type={types}" if types else ""),
        "requiresAccessToken": True,
        "output": output,
        "error": error or [],
    }


def export_folder(tmp_path: Path, body: dict[str, Any] | str | None) -> Path:
    """Sample 01 as a Bulk export without its Condition records, with ``body`` as its manifest."""
    folder = write_ndjson(tmp_path / "export", [r for r in resources(P) if r["resourceType"] != "Condition"])
    if body is not None:
        (folder / "manifest.json").write_text(body if isinstance(body, str) else json.dumps(body))
    return folder


def out(kind: str, count: int | None = None) -> dict[str, Any]:
    return {"type": kind, "url": f"{SERVER}/files/{kind}.ndjson"} | ({} if count is None else {"count": count})


def lost(folder: Path, kind: str = "Condition") -> set[str]:
    """How the folder's records of ``kind`` are unavailable for sample 01 as the reader gives them."""
    (p,), _warnings = read_patients([folder])
    return {u.reason for u in p.unavailable if u.resource_type == kind}


def test_a_type_counted_0_is_vouched_none(tmp_path: Path) -> None:
    folder = export_folder(tmp_path, manifest([out("Patient", 1), out("Condition", 0), out("Observation", 9)]))
    m = folder_manifest([folder])
    assert m.vouched == ["Condition"] and m.partial == [] and m.warnings == []
    assert lost(folder) == set()
    # without the manifest the export's lack of Condition is unknown, not none
    (folder / "manifest.json").unlink()
    assert lost(folder) == {"the input holds no Condition records (an export without them)"}


def test_a_requested_type_left_out_is_vouched_unless_its_absence_decides(tmp_path: Path) -> None:
    """_type asked for DiagnosticReport, AllergyIntolerance and Condition; output lists none of them. A
    server leaves out a type it has none of, but a lenient export may skip one too: as ``screen
    --server`` reads its own export (bulk.ABSENCE_DECIDES), the reports are "none"; a diagnosis and an
    allergy (closed-world: their absence decides, clinical.md §0.7) stay unknown, and the report says so."""
    body = manifest([out("Patient", 1)], types="Patient,DiagnosticReport,AllergyIntolerance,Condition")
    folder = export_folder(tmp_path, body)
    m = folder_manifest([folder])
    assert m.vouched == ["DiagnosticReport"]
    assert any("lists no Condition file; Condition is unknown" in n for n in m.notes)
    assert any("lists no AllergyIntolerance file; AllergyIntolerance is unknown" in n for n in m.notes)
    assert lost(folder, "DiagnosticReport") == set()
    assert lost(folder, "AllergyIntolerance") == {
        "the input holds no AllergyIntolerance records (an export without them)"
    }


def test_a_type_listed_with_records_is_not_vouched(tmp_path: Path) -> None:
    """The manifest lists 3 Conditions the folder does not hold (a file not downloaded): unknown."""
    folder = export_folder(tmp_path, manifest([out("Patient", 1), out("Condition", 3), out("Procedure")]))
    assert folder_manifest([folder]).vouched == []
    assert lost(folder) == {"the input holds no Condition records (an export without them)"}


def test_an_error_file_the_folder_does_not_hold_makes_everything_partial(tmp_path: Path) -> None:
    error = [{"type": "OperationOutcome", "url": f"{SERVER}/files/err.ndjson"}]
    folder = export_folder(tmp_path, manifest([out("Patient", 1), out("Condition", 0)], error))
    m = folder_manifest([folder])
    assert m.partial == ["*"] and m.vouched == []
    (p,), warnings = read_patients([folder])
    unknown = {u.resource_type for u in p.unavailable if "could not be read" in u.reason}
    assert {"Condition", "Observation", "MedicationAdministration", "Procedure"} <= unknown
    assert any("the export reported errors the folder does not hold" in w for w in warnings)


def test_an_error_file_the_folder_holds_is_read_with_the_data(tmp_path: Path) -> None:
    """A saved warning-only error file: the reader reads it (a warning); the manifest adds nothing."""
    error = [{"type": "OperationOutcome", "url": f"{SERVER}/files/err.ndjson"}]
    folder = export_folder(tmp_path, manifest([out("Patient", 1), out("Condition", 0)], error))
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "informational"}]}
    (folder / "err.ndjson").write_text(json.dumps(outcome) + "\n")
    m = folder_manifest([folder])
    assert m.partial == [] and m.vouched == ["Condition"]
    assert lost(folder) == set()


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        json.dumps({"output": "Condition.ndjson"}),
        json.dumps({"transactionTime": "2026-05-30T10:00:00Z"}),  # no output: not a complete-status answer
        json.dumps({"output": [{"type": "Condition", "count": 0}], "error": [7]}),
    ],
)
def test_an_unreadable_manifest_is_a_warning_and_the_folder_read_as_without_it(tmp_path: Path, body: str) -> None:
    folder = export_folder(tmp_path, body)
    m = folder_manifest([folder])
    assert m.vouched == [] and m.partial == []
    assert m.warnings == [
        f"{folder / 'manifest.json'}: not a readable Bulk Data manifest; the folder is read without it"
    ]
    assert lost(folder) == {"the input holds no Condition records (an export without them)"}


def test_a_corrupt_manifest_is_a_warning_and_the_folder_read_without_it(tmp_path: Path) -> None:
    """Not JSON: the manifest is no FHIR data (the readers never take it for a data file), so the folder
    is read as without one, with the warning in the report."""
    folder = export_folder(tmp_path, "{not json")
    said = f"{folder / 'manifest.json'}: not a readable Bulk Data manifest; the folder is read without it"
    assert folder_manifest([folder]).warnings == [said]
    _patients, warnings = read_patients([folder])
    assert said in warnings
    assert lost(folder) == {"the input holds no Condition records (an export without them)"}


def test_a_manifest_json_below_the_top_or_named_by_the_user_is_read_as_data(tmp_path: Path) -> None:
    """Only the folder's own top ``manifest.json`` is the export's; a file so named elsewhere is input."""
    folder = export_folder(tmp_path, None)
    (folder / "sub").mkdir()
    (folder / "sub" / "manifest.json").write_text(json.dumps({"output": []}))
    _patients, warnings = read_patients([folder])
    assert any("sub/manifest.json" in w for w in warnings)  # read, and found to hold no FHIR data


def _i1(report_trials: list[dict[str, Any]]) -> dict[str, int]:
    (trial,) = [t for t in report_trials if t["trial"] == NETTER2]
    (row,) = [f for f in trial["funnel"] if f["criterion"] == "I1"]
    return {k: v for k, v in row.items() if k in ("pass", "fail", "unknown") and v}


def test_screen_reads_the_manifest_of_a_folder(tmp_path: Path) -> None:
    """``screen FOLDER``: I1 fails on "no NET diagnosis" once the manifest vouches Condition none, and
    the report says which export it read; without the manifest, I1 is unknown."""
    folder = export_folder(tmp_path, manifest([out("Patient", 1), out("Condition", 0)]))
    args = ("screen", str(folder), "--as-of", AS_OF.isoformat(), "--format", "json", "--workers", "1")
    ran = invoke(*args, "--trial", NETTER2)
    assert ran.exit_code == 0, ran.output
    report = json.loads(ran.output)
    assert _i1(report["trials"]) == {"fail": 1}
    assert f"{folder / 'manifest.json'}: a Bulk Data export as of 2026-05-30T10:00:00Z" in ran.output
    (folder / "manifest.json").unlink()
    plain = screen_files([folder], TRIALS, AS_OF, SCREENING, workers=1, temp_dir=tmp_path)
    (netter,) = [t for t in plain.trials if t.trial == NETTER2]
    (row,) = [f for f in netter.funnel if f.criterion == "I1"]
    assert {k: n for k, n in row.counts.items() if n} == {"unknown": 1}


def test_evaluate_and_screen_read_the_manifest_alike(tmp_path: Path) -> None:
    """The same folder through ``evaluate`` (read_patients) and ``screen`` (the partition): I1 fails on
    the vouched "no Condition" in both, and both report the export."""
    folder = export_folder(tmp_path, manifest([out("Patient", 1), out("Condition", 0)]))
    report = evaluate_files([folder], TRIALS, AS_OF)
    (netter,) = [r for r in report.results if r.trial == NETTER2]
    (i1,) = [c for c in netter.criteria if c.id == "I1"]
    assert i1.result.value == "fail"
    screened = screen_files([folder], TRIALS, AS_OF, SCREENING, workers=1, temp_dir=tmp_path)
    (trial,) = [t for t in screened.trials if t.trial == NETTER2]
    (row,) = [f for f in trial.funnel if f.criterion == "I1"]
    assert {k: n for k, n in row.counts.items() if n} == {"fail": 1}
    said = f"{folder / 'manifest.json'}: a Bulk Data export as of 2026-05-30T10:00:00Z"
    assert said in report.warnings and said in screened.warnings
