"""Local orchestration details of a screening that no report shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import datetime as dt, pathlib, sys
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.measures import ucum
from fhir_eligibility.screening.runner import screen_files
from fhir_eligibility.synth import write_population
out = pathlib.Path(sys.argv[1])
write_population(out, 30, seed=2)
trials = load_trials()
assert not ucum._ENGINE, "built before screening: the test would prove nothing"
report = screen_files([out], trials, dt.date(2026, 6, 1), workers=2)
print(report.patients, bool(ucum._ENGINE))
"""


def test_the_parent_builds_the_unit_engine_once_for_its_workers(tmp_path: Path) -> None:
    """With 2 workers the parent evaluates nothing; it still builds the engine (during pass 1) so that
    the screening workers, forked afterwards, inherit it instead of each building their own."""
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tmp_path / "pop")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["30", "True"]
