"""A patient id read from files is a FHIR id (``[A-Za-z0-9-.]{1,64}``), as the server path requires.

Why: the id goes into every output: ``Patient/a b`` in a FHIR Bundle is invalid (a strict server
refuses it), a NUL or a right-to-left override (U+202E) makes a report show another id than the
record's, and a 300-character key names shard and page files. An adversarial review found such ids
evaluated and copied into the CSV, HTML and FHIR outputs. Now the Patient is refused with a warning
(its records name no usable patient either), by every reader alike; a valid id beside it is unaffected.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.retrieval.reading import NO_PATIENT_ID
from fhir_eligibility.screening.core import SCREENING
from fhir_eligibility.screening.runner import screen_files
from tests.retrieval.test_input_review import AS_OF, TRIALS, resources, write_ndjson

BAD = ["a b", "x\u202eeno", "<b>", "x" * 65, "caf\u00e9", "a|b", "a#b"]


@pytest.mark.parametrize("bad", BAD)
def test_a_patient_id_that_is_no_fhir_id_is_refused_by_every_reader(tmp_path: Path, bad: str) -> None:
    folder = write_ndjson(tmp_path / "in", [*resources("ok-1"), *resources(bad)])
    patients, warnings = read_patients([folder])
    assert [p.patient_id for p in patients] == ["ok-1"]
    assert any(NO_PATIENT_ID in w for w in warnings)
    report = evaluate_files([folder], TRIALS, AS_OF)
    assert {r.patient for r in report.results} == {"Patient/ok-1"}
    screened = screen_files([folder], TRIALS, AS_OF, SCREENING, workers=1, temp_dir=tmp_path)
    assert screened.patients == 1
    assert any(NO_PATIENT_ID in w for w in screened.warnings)


def test_ids_at_the_edges_of_the_rule_are_read(tmp_path: Path) -> None:
    """64 characters, dots, dashes and digits: FHIR ids, evaluated."""
    ids = ["A" * 64, "a.b-c.1", "0"]
    folder = write_ndjson(tmp_path / "in", [r for pid in ids for r in resources(pid)])
    patients, _warnings = read_patients([folder])
    assert sorted(p.patient_id for p in patients) == sorted(ids)
