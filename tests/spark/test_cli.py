"""``screen --engine spark`` at the command line: the missing extra in one line, and the options'
wiring (the run itself uses the test session's Spark)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility import cli
from fhir_eligibility.errors import InputError
from fhir_eligibility.spark import engine
from tests.screening.helpers import invoke
from tests.spark.ndjson import sample_resources, write_by_type


def test_without_pyspark_the_spark_engine_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError
    monkeypatch.setattr(sys, "argv", ["fhir-eligibility", "screen", str(tmp_path), "--engine", "spark"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: the spark engine needs pyspark (and Java 17+): pip install 'fhir-eligibility[spark]'"]


def test_spark_engine_refuses_a_server() -> None:
    out = invoke("screen", "--server", "http://localhost:1/fhir", "--engine", "spark")
    assert out.exit_code == 2 and "--engine spark screens files" in out.output


@pytest.mark.spark
def test_screen_engine_spark_prints_the_builtin_report(
    spark: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = write_by_type([r for r in sample_resources() if r["resourceType"] == "Patient"][:5], tmp_path / "in")
    started: dict[str, Any] = {}

    def start(master: str | None, conf: dict[str, str]) -> Any:
        started.update(master=master, conf=conf)
        return spark

    monkeypatch.setattr(engine, "start_session", start)
    monkeypatch.setattr(spark, "stop", lambda: None)  # the CLI stops its session; this one is shared
    args = ["screen", str(data), "--as-of", "2026-06-01", "--format", "json"]
    got = invoke(*args, "--engine", "spark", "--master", "local[2]", "--spark-conf", "spark.x.y=a=b")
    assert got.exit_code == 0, got.output
    assert started == {"master": "local[2]", "conf": {"spark.x.y": "a=b"}}
    builtin = invoke(*args, "--workers", "1")
    assert json.loads(got.output) == json.loads(builtin.output)
    assert json.loads(got.output)["patients"] == 5


def test_a_spark_conf_without_equals_is_refused_before_spark_starts(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
    with pytest.raises(InputError, match="--spark-conf 'novalue': expected KEY=VALUE"):
        invoke("screen", str(tmp_path), "--engine", "spark", "--spark-conf", "novalue")
