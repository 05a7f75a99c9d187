"""The CDS card's "Next step" names the tests to collect as ``collectFirst`` groups them, each test once.

Worked by hand (screening date 2026-06-01):
- sample 34: trial A (NCT04954820) misses ALT, AST and total bilirubin (five criterion texts, ALT and AST
  twice each at two thresholds); ``collectFirst`` orders ALT, AST, Total bilirubin, dated 2026-05-04 to
  2026-06-01. The card said "collect ALT > 5 x ULN; AST > 5 x ULN; ALT > 2.5 x ULN and 2 more".
- sample 34, trial E (NCT01842165): six texts, the same three tests.
- sample 08, trial E: "Hemoglobin ≥ 9 g/dL" and "Haemoglobin in the last 4 weeks" are one haemoglobin.
- sample 69, trial C (NCT04837885): haemoglobin, neutrophils and platelets after the fourth cycle.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import TrialResult
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.report.cards import next_step

SAMPLES = Path(__file__).resolve().parents[2] / "sample_bundles"
AS_OF = dt.date(2026, 6, 1)
A, C, E = "NCT04954820", "NCT04837885", "NCT01842165"

pytestmark = pytest.mark.skipif(not (SAMPLES / "34-liver-panel-missing.json").exists(), reason="no samples")


@cache
def _result(sample: str, trial: str) -> TrialResult:
    report = evaluate_files(
        [next(SAMPLES.glob(f"{sample}-*.json"))], load_trials(None, None), AS_OF, Settings(explain=True)
    )
    return next(r for r in report.results if r.trial == trial)


def _step(sample: str, trial: str) -> str:
    (line,) = next_step(_result(sample, trial))
    return line


@pytest.mark.parametrize("trial", [A, E])
def test_sample_34_names_the_three_tests_once_each(trial: str) -> None:
    assert _step("34", trial) == "**Next step:** collect ALT; AST; Total bilirubin, dated 2026-05-04 to 2026-06-01."


def test_sample_08_names_haemoglobin_once() -> None:
    step = _step("08", E)
    assert step.lower().count("moglobin") == 1, step
    assert "in the last" not in step and "≥" not in step  # the test, not the criterion's threshold


def test_sample_69_names_every_test_without_the_criterion_text() -> None:
    step = _step("69", C)
    assert "neutrophil" in step and "platelets" in step.lower(), step
    assert "≥" not in step and "…" not in step and "more" not in step, step


def test_sample_69_names_haemoglobin() -> None:
    step = _step("69", C)
    assert "hemoglobin" in step.lower() and "LUTATHERA" not in step, step
