"""Spark reads a saved export's folder as the built-in engine does (tests/retrieval/test_export_folders_bulkfix20.py).

The sample patients as a Bulk export whose Conditions are split over ``Condition-1.ndjson`` and
``Condition-2.ndjson.bz2``: both engines read the bzip2 file (the built-in with the stdlib's bz2,
Spark with Hadoop's codec), so NETTER-2 I1 fails on the NET diagnoses as with plain files. Replaced
by a dangling link ``Condition-2.ndjson``, or a manifest listing a ``Condition-3.ndjson`` the folder
lacks, Condition is unknown for everyone on both engines: I1 fails for no one.
"""

from __future__ import annotations

import bz2
import json
from pathlib import Path
from typing import Any

import pytest

from tests.spark.ndjson import sample_resources, write_by_type
from tests.spark.test_engine import builtin_json, same_report, spark_json

pytestmark = pytest.mark.spark


def _i1(report: dict[str, Any]) -> dict[str, int]:
    (netter2,) = [t for t in report["trials"] if t["trial"] == "NCT03972488"]
    (row,) = [r for r in netter2["funnel"] if r["criterion"] == "I1"]
    return {k: row[k] for k in ("pass", "fail", "unknown")}


def _split_conditions(tmp_path: Path) -> tuple[Path, bytes]:
    """The export, its Condition file cut in two: the first half stays, the second is returned."""
    folder = write_by_type(sample_resources(), tmp_path)
    (conditions,) = folder.glob("Condition*.ndjson")
    lines = conditions.read_bytes().splitlines(keepends=True)
    conditions.unlink()
    (folder / "Condition-1.ndjson").write_bytes(b"".join(lines[: len(lines) // 2]))
    return folder, b"".join(lines[len(lines) // 2 :])


def test_a_bz2_file_is_read_by_both_engines(spark: Any, tmp_path: Path) -> None:
    plain = write_by_type(sample_resources(), tmp_path / "plain")
    folder, rest = _split_conditions(tmp_path / "bz2")
    (folder / "Condition-2.ndjson.bz2").write_bytes(bz2.compress(rest))
    got = spark_json(spark, [folder])
    same_report(got, builtin_json([folder]))
    assert not any("Condition-2" in w for w in got["warnings"]) and _i1(got) == _i1(builtin_json([plain]))


def test_a_dangling_link_or_a_missing_listed_file_is_unknown_on_both_engines(spark: Any, tmp_path: Path) -> None:
    folder, _rest = _split_conditions(tmp_path)
    (folder / "Condition-2.ndjson").symlink_to(tmp_path / "nowhere.ndjson")
    got = spark_json(spark, [folder])
    same_report(got, builtin_json([folder]))
    assert _i1(got)["fail"] == 0 and _i1(got)["unknown"] > 0
    (folder / "Condition-2.ndjson").unlink()
    listed = [
        {"type": "Condition", "url": "https://x/files/Condition-1.ndjson"},
        {"type": "Condition", "url": "https://x/files/Condition-3.ndjson", "count": 4},
    ]
    (folder / "manifest.json").write_text(json.dumps({"transactionTime": "2026-05-30T10:00:00Z", "output": listed}))
    got = spark_json(spark, [folder])
    same_report(got, builtin_json([folder]))
    assert _i1(got)["fail"] == 0 and _i1(got)["unknown"] > 0
