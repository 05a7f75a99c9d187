"""A screening report is the same for any number of workers, warnings included.

Partial tallies were merged as workers finished, and the first 50 distinct warnings kept in that order:
with per-patient warnings (records coded by text only, or in systems no criterion reads) the report's
warnings changed order, and which were kept, from run to run (the compiled-core test caught it). Now
the kept warnings are the first 50 in sorted order and partials merge in task order.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.report.screening import render
from fhir_eligibility.screening.core import MAX_WARNINGS
from fhir_eligibility.screening.runner import screen_files
from fhir_eligibility.synth import write_population

ROOT = Path(__file__).resolve().parents[2]


def test_the_report_is_the_same_for_one_two_and_three_workers(tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    shutil.copytree(ROOT / "sample_bundles", samples, ignore=shutil.ignore_patterns("*.md"))
    write_population(tmp_path / "pop", 120, seed=3)
    trials = load_trials(None, None)
    reports = {
        n: render(screen_files([samples, tmp_path / "pop"], trials, dt.date(2026, 6, 1), workers=n), "json")
        for n in (1, 2, 3)
    }
    assert reports[1] == reports[2] == reports[3]
    first = screen_files([samples, tmp_path / "pop"], trials, dt.date(2026, 6, 1), workers=2)
    patient_warnings = [w for w in first.warnings if w.startswith("Patient/")]
    assert len(patient_warnings) > 5  # the case that varied: warnings from many shards
    assert patient_warnings == sorted(patient_warnings) and len(first.warnings) <= MAX_WARNINGS + 10
