"""The hardening corpus's Bulk NDJSON cases through the Spark engine: the report (counts, funnels,
candidates, warnings word for word) or the one-line input error must be the built-in engine's,
since both apply the one reading policy (retrieval/reading.py through screening/routing.py).

Files are cut into splits of 1 KB (``spark.sql.files.maxPartitionBytes``), so line numbers,
``no-id-<file>-<line>`` names, counted warnings and duplicate-Patient choices are checked across
splits and partitions, not only within one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.errors import InputError
from fhir_eligibility.report.screening import screening_json
from fhir_eligibility.screening.core import SCREENING
from fhir_eligibility.screening.runner import screen_files
from tests.hardening.bad_inputs_base import AS_OF, TRIALS, Case
from tests.hardening.test_bad_inputs import CASES

pytestmark = pytest.mark.spark

NAMES = [
    "duplicate Patient id ndjson, tie: last wins",
    "duplicate Patient id ndjson, base newer",
    "ndjson lines are Bundles",
    "ndjson Foo line",
    "ndjson Condition.subject='Patient/sample-01'",
    "ndjson records without ids",
    "ndjson Patient without id",
    "ndjson value 1e400",
    "ndjson BOM on each line",
    "ndjson invalid UTF-8 Observation line",
    "ndjson truncated Observation line",
    "empty .ndjson beside data",
    "only an empty .ndjson",
]
SELECTED = [c for c in CASES if c.name in NAMES]


def report(run: Any) -> dict[str, Any] | str:
    try:
        data = screening_json(run())
    except InputError as e:
        return f"InputError: {e}"
    return {**data, "warnings": sorted(data["warnings"])}  # their order follows completion order


def test_the_selection_is_in_the_corpus() -> None:
    assert len(SELECTED) == len(NAMES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in SELECTED])
def test_spark_reads_a_bad_input_as_the_builtin_engine(case: Case, small_splits: Any, tmp_path: Path) -> None:
    from fhir_eligibility.spark.engine import screen_spark

    paths = case.build(tmp_path)
    builtin = report(lambda: screen_files(paths, TRIALS, AS_OF, SCREENING, workers=1, source="in"))
    spark = report(
        lambda: screen_spark([str(p) for p in paths], TRIALS, AS_OF, SCREENING, session=small_splits, source="in")
    )
    assert spark == builtin
    assert isinstance(builtin, str) == (case.exit_code == 2)  # the case's documented outcome
    if case.warns and isinstance(builtin, dict):
        assert any(case.warns in w for w in builtin["warnings"])


def test_a_carriage_return_inside_a_line_does_not_end_it(small_splits: Any, tmp_path: Path) -> None:
    """``\r`` is JSON whitespace: the built-in reader (and ``evaluate``) end lines at ``\n`` only."""
    from fhir_eligibility.spark.engine import screen_spark

    lines = [
        b'{"resourceType": "Patient",\r"id": "p1", "gender": "female", "birthDate": "1960-01-01"}',
        b'{"resourceType": "Observation", "id": "o1",\r"subject": {"reference": "Patient/p1"}}\r',
    ]
    (tmp_path / "Data.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    builtin = report(lambda: screen_files([tmp_path], TRIALS, AS_OF, SCREENING, workers=1, source="in"))
    spark = report(lambda: screen_spark([str(tmp_path)], TRIALS, AS_OF, SCREENING, session=small_splits, source="in"))
    assert isinstance(builtin, dict) and builtin["patients"] == 1 and builtin["warnings"] == []
    assert spark == builtin
