"""A diagnosis or treatment coded only in a code system no criterion reads for its type is said.

Found on data nobody here wrote: Lutathera given four times, each administration coded by its NDC only
(a pharmacy or claims export), counted as "0 found" for A-I3 and failed B-I3a with no word in the
report. clinical.md §0.8 reads drugs by ATC and RxNorm, so the records are rightly not read; but the
coordinator must learn that they exist and need a site mapping (README, site terminology), as for
records coded by text only. Systems are named; codes and text never (they may identify the patient).
"""

from __future__ import annotations

import copy
from typing import Any

from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.evaluation.test_clinical_review import AS_OF, TRIALS, base

NDC = "http://hl7.org/fhir/sid/ndc"


def _ndc_only(resources: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Sample 01 with every Lutathera administration coded by an NDC only."""
    out, n = [], 0
    for r in copy.deepcopy(resources):
        concept = r.get("medicationCodeableConcept")
        if r["resourceType"] == "MedicationAdministration" and concept and "Lutathera" in str(concept):
            r["medicationCodeableConcept"] = {"coding": [{"system": NDC, "code": "69488-003-01"}]}
            n += 1
        out.append(r)
    return out, n


def _warnings(resources: list[dict[str, Any]]) -> list[str]:
    data = PatientData("sample-01", resources)
    evaluate_patient(data, TRIALS, AS_OF)
    return [w for w in data.warnings if "coded only in code systems" in w]


def test_drugs_coded_only_by_ndc_are_named_with_their_system() -> None:
    resources, n = _ndc_only(base())
    assert n == 4  # sample 01's four cycles
    (warning,) = _warnings(resources)
    assert f"{n} record(s)" in warning and NDC in warning and "MedicationAdministration/" in warning
    assert "69488" not in warning  # the code is not quoted


def test_records_coded_in_a_read_system_are_not_warned_of() -> None:
    assert _warnings(base()) == []
