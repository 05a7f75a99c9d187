"""The terminal: a legend and a hint under the verdict table; --as-of that cannot be right is refused or warned."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "mini"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def evaluate(as_of: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli("evaluate", str(MINI / "patient.json"), "--definitions", str(MINI), "--as-of", as_of, *extra)


def test_verdict_table_ends_with_a_legend_and_a_hint() -> None:
    out = evaluate("2026-06-01")
    assert out.returncode == 0, out.stderr
    tail = out.stdout.rstrip().splitlines()[-5:]
    assert [line.split()[0] for line in tail[:4]] == ["eligible", "needs-review", "undetermined", "ineligible"]
    assert "--details" in tail[4] and "--format html" in tail[4]


def test_as_of_before_1900_is_a_usage_error() -> None:
    out = evaluate("1899-12-31")
    assert out.returncode == 2
    assert "before 1900" in out.stderr and "Traceback" not in out.stderr


def test_as_of_before_the_birth_date_warns_and_leaves_age_unknown() -> None:
    """The mini patient was born on 1960-05-01 (fixture); on 1950-01-01 there is no age, not 'age -10'."""
    out = evaluate("1950-01-01", "--details")
    assert out.returncode == 0, out.stderr
    assert "warning: Patient/p1: birth date after the as-of date 1950-01-01: age unknown" in out.stdout
    assert "[unknown] age:" in out.stdout and "age -" not in out.stdout
