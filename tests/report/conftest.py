"""The mini fixture's report (tests/fixtures/mini, with lab series), evaluated once per module of the
HTML tests (test_html*.py) that read it: a fixture here so they all share one definition.
"""

from __future__ import annotations

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Report
from fhir_eligibility.pipeline import evaluate_files
from tests.report.html_page import AS_OF, MINI


@pytest.fixture(scope="module")
def mini_report() -> Report:
    trials = load_trials([MINI])
    return evaluate_files([MINI / "patient.json"], trials, AS_OF, Settings(collect_series=True))
