"""Spark reads a deleted Patient as the built-in engine does (tests/retrieval/test_deleted_patient_bulk21.py):
a Bulk ``deleted`` file's DELETE of ``Patient/sample-01`` leaves that patient unscreened, with the
one warning, on both engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.retrieval.test_deleted_patient_bulk21 import WARNING, deleted_export
from tests.spark.test_engine import builtin_json, same_report, spark_json

pytestmark = pytest.mark.spark


def test_a_deleted_patient_is_not_screened_by_either_engine(spark: Any, tmp_path: Path) -> None:
    folder = deleted_export(tmp_path / "in", "deleted-file")
    got = spark_json(spark, [folder])
    same_report(got, builtin_json([folder]))
    assert got["patients"] == 1 and WARNING in got["warnings"]
