"""A document or message Bundle holds what it covers, not the patient's whole record, worked out by hand.

A lab report, a discharge letter or an HL7 message as a FHIR ``document``/``message`` Bundle holds
the Patient and the records the document is about. Diagnoses and prior treatments are closed-world
only on the whole record (clinical.md §0.7): a document without the Lutathera administrations does
not say there were none. Sample 01 without its administrations: as a ``document`` or ``message``
A-I3 ("4 prior Lutathera cycles") is unknown, as a ``collection`` (a patient's record) it fails on
"none recorded". The NET Conditions a document holds still decide A-I2's diagnosis; what it holds
of the record is read as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.retrieval.test_input_review import resources
from tests.retrieval.test_search_scope_20 import FHIR, A, P, _run


def _bundle(kind: str) -> dict[str, Any]:
    records = [r for r in resources() if r["resourceType"] != "MedicationAdministration"]
    entries: list[dict[str, Any]] = [
        {"fullUrl": f"{FHIR}/{r['resourceType']}/{r['id']}", "resource": r} for r in records
    ]
    if kind == "document":
        composition = {"resourceType": "Composition", "id": "c1", "status": "final", "subject": {"reference": P}}
        entries.insert(0, {"fullUrl": f"{FHIR}/Composition/c1", "resource": composition})
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


@pytest.mark.parametrize(
    ("kind", "expected"), [("document", "unknown"), ("message", "unknown"), ("collection", "fail")]
)
def test_a_document_is_not_the_whole_record(tmp_path: Path, kind: str, expected: str) -> None:
    results, warnings = _run(tmp_path, _bundle(kind))
    assert results[(P, A, "A-I3")] == expected
    if expected == "unknown":
        assert any(f"a {kind} Bundle holds what it covers" in w for w in warnings)
