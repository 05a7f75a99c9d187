"""Whose ``$everything``: only a Patient's is the patient's whole record, worked out by hand.

``Encounter/e1/$everything`` (HAPI serves it in R4; R5 defines it) answers with that encounter's
records: the Patient, two Conditions and an Hb of the visit. Diagnoses are closed-world only on the
whole record (clinical.md §0.7), so absence there decides nothing. Sample 01's records without its
Lutathera administrations, as an encounter's everything: A-I3 ("4 prior Lutathera cycles") is
unknown, not a fail on "none recorded"; the NET Conditions found still pass A-I2's diagnosis. The
same records as ``Patient/sample-01/$everything`` are the whole record: A-I3 fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fhir_eligibility.retrieval.search_scope import read_search
from tests.retrieval.test_input_review import resources
from tests.retrieval.test_search_scope_20 import FHIR, A, P, _run, _searchset


def _without_doses() -> list[dict[str, object]]:
    return [r for r in resources() if r["resourceType"] not in ("Patient", "MedicationAdministration")]


def test_read_search_names_whose_everything() -> None:
    encounter = read_search(f"{FHIR}/Encounter/e1/$everything")
    assert encounter is not None and encounter.everything and encounter.patient is None
    assert encounter.narrowing == ("Encounter/$everything",)
    patient = read_search(f"{FHIR}/Patient/sample-01/$everything")
    assert patient is not None and patient.narrowing == () and patient.patient == "sample-01"
    typed = read_search(f"{FHIR}/Patient/$everything")  # the type's: every patient's whole record
    assert typed is not None and typed.narrowing == () and typed.patient is None


@pytest.mark.parametrize(("owner", "expected"), [("Encounter/e1", "unknown"), ("Patient/sample-01", "fail")])
def test_an_encounters_everything_is_not_the_whole_record(tmp_path: Path, owner: str, expected: str) -> None:
    bundle = _searchset(f"{FHIR}/{owner}/$everything", _without_doses())
    results, _warnings = _run(tmp_path, bundle)
    assert results[(P, A, "A-I3")] == expected
