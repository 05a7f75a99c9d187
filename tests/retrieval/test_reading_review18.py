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
