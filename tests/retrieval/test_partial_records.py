"""A part of a patient's record: its absences decide nothing, what it holds still decides.

Two shapes real sites send: a Patient that replaces another in a merge (``Patient.link`` ``replaces``;
FHIR: the replaced record "should be consulted to retrieve additional referenced information", and no
source here reads it with this one), and records naming a patient the input has no Patient for (an
incremental ``_since`` export, a lab feed). Before, both were read as whole records: a diagnosis filed
under the old id read as "none recorded", and the patient was ``ineligible`` on data nobody sent.

Worked out by hand on sample 01 (tests/retrieval/test_input_review.py; tests/expected_verdicts.md):
NETTER-2 (NCT03972488) I1 fails for want of a NET diagnosed within 6 months (its NET is from 2021): an
absence, so ``unknown``; its I2 fails on a Ki-67 of 8 % from 2021, which may not be the latest result
(clinical.md §0.3), so ``unknown`` too. NETTER-2 E2 and trial D's D-E7 fail on the prior PRRT its four Lutathera
administrations record: a record found, so still ``fail``, and both trials stay ineligible. D-I5 fails
on the absence of a liver resection (Procedure): ``unknown``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from fhir_eligibility.evaluation.patient_record import unavailable_for
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.requirements.model import Unavailable
from fhir_eligibility.retrieval.assembly import assemble
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.retrieval.merge import replaces
from tests.retrieval.test_input_review import AS_OF, NETTER2, TRIAL_D, TRIALS, every_path, resources, write_ndjson

P = "sample-01"
KEY = f"Patient/{P}"
I1, I2, E2 = (KEY, NETTER2, "I1"), (KEY, NETTER2, "I2"), (KEY, NETTER2, "E2")
D_I5, D_E7 = (KEY, TRIAL_D, "D-I5"), (KEY, TRIAL_D, "D-E7")
REPLACES = [{"type": "replaces", "other": {"reference": "Patient/old-1"}}]
TRIAL_A = "NCT04954820"
SAMPLES = Path(__file__).resolve().parents[2] / "sample_bundles"


def _survivor() -> list[dict[str, Any]]:
    out = copy.deepcopy(resources(P))
    assert out[0]["resourceType"] == "Patient"
    out[0]["link"] = REPLACES
    return out


def _fails(results: dict[tuple[str, str, str], str]) -> set[tuple[str, str, str]]:
    return {k for k, v in results.items() if v == "fail"}


def test_a_survivor_of_a_merge_decides_on_what_it_holds_not_on_what_it_lacks(tmp_path: Path) -> None:
    whole, _w = every_path([write_ndjson(tmp_path / "whole", resources(P))], tmp_path)
    assert (whole[I1], whole[E2], whole[D_I5], whole[D_E7]) == ("fail", "fail", "fail", "fail")
    results, warnings = every_path([write_ndjson(tmp_path / "in", _survivor())], tmp_path)  # evaluate, stream, screen
    assert (results[I1], results[D_I5]) == ("unknown", "unknown")  # absences
    assert (results[E2], results[D_E7]) == ("fail", "fail")  # the administrations found
    # NETTER-2 I2 (Ki-67 10-55 %) fails on a Ki-67 of 8 % from 2021: a newer one may be filed there
    assert (whole[I2], results[I2]) == ("fail", "unknown")
    assert _fails(results) <= _fails(whole)
    assert any("Patient/sample-01 replaces Patient/old-1 (Patient.link replaces)" in w for w in warnings)


def test_every_entry_point_reads_a_survivor_alike() -> None:
    """Server searches and a CDS prefetch end in the one assembler and ``evaluate_patient``."""
    data = assemble(P, _survivor())
    results = {r.trial: r for r in evaluate_patient(data, TRIALS, AS_OF)}
    i1 = next(c for c in results[NETTER2].criteria if c.id == "I1")
    assert i1.result.value == "unknown"
    assert "replaces Patient/old-1" in i1.reason
    assert results[NETTER2].verdict.value == "ineligible"  # E2: prior PRRT recorded
    assert results[TRIAL_D].verdict.value == "ineligible"


def test_records_without_a_patient_are_a_part_of_a_record(tmp_path: Path) -> None:
    whole, _w = every_path([write_ndjson(tmp_path / "whole", resources(P))], tmp_path)
    results, warnings = every_path([write_ndjson(tmp_path / "in", resources(P)[1:])], tmp_path)
    assert (results[I1], results[D_I5]) == ("unknown", "unknown")
    assert (results[E2], results[D_E7]) == ("fail", "fail")
    assert _fails(results) <= _fails(whole)
    assert any("no Patient resource in the input" in w for w in warnings)


def test_links_that_replace() -> None:
    assert replaces({"link": REPLACES}) == ["Patient/old-1"]
    assert replaces({"link": [{"type": "seealso", "other": {"reference": "Patient/x"}}]}) == []
    assert replaces({"link": [{"type": "replaces", "other": {}}]}) == ["another record"]
    assert replaces({"link": 5}) == []  # unreadable: withhold_merged reads it as a merge away


def test_a_fault_outranks_records_filed_elsewhere() -> None:
    partial = Unavailable("Condition", frozenset(), "merged", partial=True)
    fault = Unavailable("Procedure", frozenset(), "timeout")
    unheld = Unavailable("Condition", frozenset(), "not exported", unsupported=True)
    kinds = ("Condition", "Procedure")
    assert unavailable_for((partial, fault), kinds, frozenset()) is fault
    assert unavailable_for((partial,), kinds, frozenset()) is partial
    assert unavailable_for((partial, unheld), ("Condition",), frozenset()) is unheld  # the source holds none
    assert unavailable_for((partial,), ("Observation",), frozenset()) is None


def _a_i4(resources: list[dict[str, Any]]) -> str:
    (result,) = [r for r in evaluate_patient(assemble("sample-02", resources), TRIALS, AS_OF) if r.trial == TRIAL_A]
    return next(c.result.value for c in result.criteria if c.id == "A-I4")


def test_a_first_course_is_not_read_from_a_part_of_a_record() -> None:
    """Sample 02: a first PRRT course in 2023 (four doses) and a second from 2025-11-10. A-I4 (no
    first-course cycle in the last 12 months) holds on the whole record's data, and awaits its attested
    part (manual). Without the 2023 doses the
    second course reads as a first one in the last 12 months (fail); when those doses may be filed
    under the record this one replaced, that is not known."""
    (whole,) = read_patients([SAMPLES / "02-second-prrt-course-mci.json"])[0]
    later = [r for r in whole.resources if not str(r.get("effectiveDateTime", "")).startswith("2023")]
    assert len(whole.resources) - len(later) == 4
    survivor = copy.deepcopy(later)
    survivor[0]["link"] = REPLACES
    assert (_a_i4(whole.resources), _a_i4(later), _a_i4(survivor)) == ("manual", "fail", "unknown")
