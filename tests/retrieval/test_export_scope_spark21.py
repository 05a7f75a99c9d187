"""Review 21 (Spark and NDJSON at scale), the findings every file reader shares.

1. A ``_since`` export holds only what changed since: a diagnosis it lacks may be recorded before, so
   its absence decides nothing. Worked by hand on sample 01: NETTER-2 (NCT03972488) I1 needs a NET
   diagnosis; its export with a Condition file holding only another patient's diagnosis read I1
   ``fail`` ("none recorded", clinical.md §0.7) under a ``_since`` manifest; now ``unknown``.
"""

from __future__ import annotations

import json
from pathlib import Path

from fhir_eligibility.requirements.model import CLOSED_WORLD_TYPES
from fhir_eligibility.retrieval.manifest import folder_manifest
from tests.retrieval.test_export_folders_bulkfix20 import P, listing
from tests.retrieval.test_folder_manifest import manifest
from tests.retrieval.test_input_review import NETTER2, every_path, resources, write_ndjson

OTHERS = {
    "resourceType": "Condition",
    "id": "other-1",
    "subject": {"reference": "Patient/someone-else"},
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]},
}


def since_export(tmp_path: Path, query: str) -> Path:
    records = [r for r in resources() if r["resourceType"] != "Condition"] + [OTHERS]
    folder = write_ndjson(tmp_path / "export", records)
    body = manifest(listing(folder))
    body["request"] += query
    (folder / "manifest.json").write_text(json.dumps(body))
    return folder


def i1(tmp_path: Path, folder: Path) -> tuple[str, list[str]]:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    results, warnings = every_path([folder], tmp_path / "tmp")
    return results[(P, NETTER2, "I1")], warnings


def test_a_whole_export_without_the_diagnosis_fails_i1(tmp_path: Path) -> None:
    assert i1(tmp_path, since_export(tmp_path, ""))[0] == "fail"


def test_a_since_export_leaves_every_closed_world_type_unknown(tmp_path: Path) -> None:
    folder = since_export(tmp_path, "?_since=2026-05-01T00:00:00Z")
    assert folder_manifest([folder]).incomplete == list(CLOSED_WORLD_TYPES)
    result, warnings = i1(tmp_path, folder)
    assert result == "unknown"
    assert any("only what changed since 2026-05-01T00:00:00Z (_since): no type is whole" in w for w in warnings)


def test_an_until_export_too(tmp_path: Path) -> None:
    assert i1(tmp_path, since_export(tmp_path, "?_until=2026-05-01T00:00:00Z"))[0] == "unknown"
