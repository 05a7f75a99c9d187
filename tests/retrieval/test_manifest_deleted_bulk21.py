"""A saved export's manifest ``deleted`` array (Bulk Data: transaction Bundles of DELETEs, for a
``_since`` export) naming files the folder lacks: the deletions are unknown, so any record the folder
holds may have been deleted since. As an ``error`` file the folder lacks (manifest.py), every type is
unknown for everyone: a record that may be gone must not decide (a deleted diagnosis would exclude).

Worked by hand on sample 01 (tests/retrieval/test_input_review.py): NETTER-2 (NCT03972488) I1 fails
on its Condition (the NET diagnosed in 2021) and NCT05987176 D-E7 on its MedicationAdministrations
(prior PRRT). With the deletions unknown both are ``unknown``; with the deleted file kept (here it
deletes nothing of theirs) D-E7 stays ``fail`` and I1 is ``unknown`` (spark21: a ``_since`` export lacks
a diagnosis recorded earlier and not changed since). evaluate, its streamed reader and screen agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir_eligibility.requirements.model import CLOSED_WORLD_TYPES
from fhir_eligibility.retrieval.manifest import folder_manifest
from tests.retrieval.test_input_review import NETTER2, TRIAL_D, every_path, resources, write_ndjson

P = "sample-01"
SERVER = "https://fhir.example.org/r4"


def _folder(tmp_path: Path, keep_deleted: bool) -> Path:
    folder = write_ndjson(tmp_path / "export", resources(P))
    kinds = sorted({r["resourceType"] for r in resources(P)})
    body: dict[str, Any] = {
        "transactionTime": "2026-05-30T10:00:00Z",
        "request": f"{SERVER}/$export?_type={','.join(kinds)}",
        "requiresAccessToken": True,
        "output": [{"type": k, "url": f"{SERVER}/files/{k}.ndjson"} for k in kinds],
        "deleted": [{"type": "Bundle", "url": f"{SERVER}/files/del.ndjson"}],
        "error": [],
    }
    (folder / "manifest.json").write_text(json.dumps(body))
    if keep_deleted:  # a deletion of a record that is not sample 01's
        gone = {"method": "DELETE", "url": "Observation/someone-else"}
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [{"request": gone}]}
        (folder / "del.ndjson").write_text(json.dumps(bundle) + "\n")
    return folder


def test_deletions_the_folder_lacks_leave_every_record_unknown(tmp_path: Path) -> None:
    folder = _folder(tmp_path, keep_deleted=False)
    m = folder_manifest([folder])
    assert m.partial == ["*"] and m.vouched == []
    said = (
        f"{folder / 'manifest.json'}: the export's deletions (del.ndjson) are not in the folder: "
        "any record may have been deleted since, every record unknown"
    )
    assert said in m.notes
    results, warnings = every_path([folder], tmp_path)
    assert results[(f"Patient/{P}", NETTER2, "I1")] == "unknown"
    assert results[(f"Patient/{P}", TRIAL_D, "D-E7")] == "unknown"
    assert said in warnings


def test_deletions_the_folder_holds_are_read(tmp_path: Path) -> None:
    folder = _folder(tmp_path, keep_deleted=True)
    m = folder_manifest([folder])
    assert m.partial == [] and not any("the export's deletions" in n for n in m.notes)
    assert m.incomplete == list(CLOSED_WORLD_TYPES)  # a _since export (spark21): no type is whole
    results, _warnings = every_path([folder], tmp_path)
    # spark21: I1 was fail (the NET diagnosed in 2021 is not within 6 months: none recorded since); a
    # _since export lacks a diagnosis recorded earlier this year and not changed since: unknown
    assert results[(f"Patient/{P}", NETTER2, "I1")] == "unknown"
    assert results[(f"Patient/{P}", TRIAL_D, "D-E7")] == "fail"  # the prior PRRT found is real
