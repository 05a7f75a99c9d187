"""A saved search of some types that also pulled in records of other types: ``screen`` answers as ``evaluate``.

Worked out by hand on ``sample_bundles/01`` (clinical.md §0.7, ``tests/expected_verdicts.md``): a searchset
of its Observations (``match``), its Patient (``include``) and its NET diagnosis Condition (``include``,
pulled in by the search, e.g. ``_include=Observation:focus``) is no whole record (retrieval.files
``search_scope``): every type but Observation is held in part. So the Condition found decides trial A's A-I2
and trial B's B-I2a (pass: a NET is recorded), while A-I3 (four prior Lutathera doses,
MedicationAdministration: none here, and absence decides nothing) is unknown. ``evaluate``, its streamed JSON
and ``screen`` (one or two workers) must give these per-criterion results, the same verdicts and the same
candidates with the same missing data.

Why pass 1's marks matter: the screening reader carries what a patient's Bundle lost as a mark line
(``partition._partition_bundle``), read back in pass 2 (``shard_read.patient_of``). A type held in part
written there as a plain type became a plain unknown: the Condition found no longer decided (A-I2 and
B-I2a unknown in ``screen``, pass in ``evaluate``). The mark keeps "in part" (``partition.lost_mark``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.model import Unavailable
from fhir_eligibility.screening.partition import lost_mark
from fhir_eligibility.screening.shard_read import patient_of
from tests.retrieval.test_input_review import BASE, every_path, lost_types, shard_patients
from tests.screening.helpers import actual_from_screen, evaluate_json, expected_from_evaluate, invoke

P = "Patient/sample-01"
A, B = "NCT04954820", "NCT05773274"
SELF = "https://ehr.example.org/fhir/Observation?patient=sample-01&_include=Observation:patient"


def _search_with_condition() -> dict[str, Any]:
    """The base patient's Observations as matches, its Patient and its Conditions as includes."""
    entries = []
    for e in copy.deepcopy(BASE["entry"]):
        e.pop("request", None)
        kind = e["resource"]["resourceType"]
        if kind in ("Observation", "Patient", "Condition"):
            entries.append({**e, "search": {"mode": "match" if kind == "Observation" else "include"}})
    link = [{"relation": "self", "url": SELF}]
    return {"resourceType": "Bundle", "type": "searchset", "link": link, "entry": entries}


@pytest.fixture
def search(tmp_path: Path) -> Path:
    path = tmp_path / "search.json"
    path.write_text(json.dumps(_search_with_condition()))
    return path


def test_an_included_record_decides_in_every_entry_point(search: Path, tmp_path: Path) -> None:
    results, warnings = every_path([search], tmp_path)  # evaluate, its streamed JSON and screen's funnel agree
    assert results[(P, A, "A-I2")] == "pass" and results[(P, B, "B-I2a")] == "pass"  # the NET found decides
    assert results[(P, A, "A-I3")] == "unknown"  # no dose here: absence decides nothing
    assert results[(P, A, "A-I11-hb")] == "pass"  # the labs it searched decide
    assert any("not a patient's whole record" in w for w in warnings), warnings


def test_the_shard_keeps_the_included_type_in_part(search: Path, tmp_path: Path) -> None:
    (data,) = shard_patients([search], tmp_path).values()
    condition = [u for u in data.unavailable if u.resource_type == "Condition"]
    assert condition and all(u.partial for u in condition)  # never a plain "could not be read"
    assert "Observation" not in lost_types(data)


@pytest.mark.parametrize("workers", [1, 2])
def test_screen_verdicts_and_candidates_equal_evaluate(search: Path, workers: int) -> None:
    out = invoke("screen", str(search), "--as-of", "2026-06-01", "--format", "json", "--workers", str(workers))
    assert out.exit_code == 0, out.output
    assert actual_from_screen(json.loads(out.output)) == expected_from_evaluate(evaluate_json([search]))


def test_the_mark_keeps_a_type_held_in_part() -> None:
    """Pass 1's mark and pass 2's reading of it: a type in part stays in part, a lost one lost."""
    lost = (
        Unavailable("Condition", frozenset(), "only a search of other types holds this patient", partial=True),
        Unavailable("MedicationAdministration", frozenset(), "could not be read"),
    )
    mark = lost_mark(PatientData("p1", [{"resourceType": "Patient", "id": "p1"}], lost))
    got = patient_of("p1", [mark, orjson.dumps({"resourceType": "Patient", "id": "p1"})], {})
    assert {(u.resource_type, u.partial) for u in got.unavailable} == {
        ("Condition", True),
        ("MedicationAdministration", False),
    }
