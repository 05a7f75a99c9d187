"""A screening candidate's date says the verdict it opens (attest21): the dashboard said "eligible from" a day on
which the verdict would be needs-review, while ``evaluate --details`` and the CDS card said "needs review from".

Worked by hand (screening date 2026-06-01, horizon 30 days, trial E = NCT01842165, as test_dashboard_dates18):
sample 115 (octreotide LAR, 4 weeks off long-acting SSA) is ineligible now; on 2026-06-15 the washout is over
and its manual items (consent...) are still unanswered: needs review from 2026-06-15 (``evaluate --details``
says so). Under ``--assume-attested`` the manual items pass, so the same day opens eligible. Sample 01 needs
review now: no eligibleFrom, so no verdict on it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from fhir_eligibility.evaluation.results import CriterionResult, Result, TrialResult, Verdict, When
from fhir_eligibility.report.html.dashboard import render_screening_html
from fhir_eligibility.screening.core import outcome_of
from tests.screening.helpers import AS_OF, SAMPLES, invoke

E = "NCT01842165"
FILES = ("01-prrt-ileal-net-baseline.json", "115-netter2-octreotide-lar-two-doses.json")

pytestmark = pytest.mark.skipif(not all((SAMPLES / f).exists() for f in FILES), reason="no samples")


def _screen(fmt: str, *extra: str) -> str:
    args = ["screen", *(str(SAMPLES / f) for f in FILES), "--trial", E, "--as-of", AS_OF, "--horizon", "30"]
    out = invoke(*args, "--format", fmt, *extra)
    assert out.exit_code == 0, out.output
    return out.output


def _candidates(*extra: str) -> dict[str, dict[str, Any]]:
    (trial,) = json.loads(_screen("json", *extra))["trials"]
    return {c["patient"]: c for c in trial["candidates"]}


def _dates_cell(html: str, patient: str) -> str:
    row = next(r for r in re.findall(r"<tr data-verdict=.*?</tr>", html, re.S) if f'data-sort="{patient}"' in r)
    m = re.search(r'<td data-testid="dates"[^>]*>(.*?)</td>', row)
    assert m is not None, row
    return " ".join(re.sub(r"<[^>]+>", "", m[1]).split())


def test_the_json_candidate_carries_the_verdict_its_date_opens() -> None:
    cands = _candidates()
    assert cands["Patient/sample-115"]["eligibleFrom"] == "2026-06-15"
    assert cands["Patient/sample-115"]["verdictFrom"] == "needs-review"
    assert "verdictFrom" not in cands["Patient/sample-01"]  # good now: no eligibleFrom
    assert _candidates("--assume-attested")["Patient/sample-115"]["verdictFrom"] == "eligible"


def test_the_dashboard_and_the_table_word_that_verdict() -> None:
    said = _dates_cell(_screen("html"), "Patient/sample-115")
    assert said == "needs review from 2026-06-15, then holds until 2026-06-17"
    line = next(x for x in _screen("table").splitlines() if "Patient/sample-115" in x)
    assert "needs review from 2026-06-15" in line and " eligible from" not in line
    what_if = _dates_cell(_screen("html", "--assume-attested"), "Patient/sample-115")
    assert what_if.startswith("eligible from 2026-06-15")


@pytest.mark.parametrize(
    ("verdict_from", "said"),
    [("eligible", "eligible from"), ("needs-review", "needs review from"), (None, "possibly eligible from")],
)
def test_a_report_without_the_verdict_never_says_eligible_outright(verdict_from: str | None, said: str) -> None:
    """A JSON written before candidates carried ``verdictFrom`` (or by another engine) is read as "eligible or
    needs review": "possibly eligible from"."""
    cand: dict[str, Any] = {"patient": "Patient/p", "verdict": "ineligible", "eligibleFrom": "2026-06-15"}
    if verdict_from is not None:
        cand["verdictFrom"] = verdict_from
    html = render_screening_html({"asOf": "2026-06-01", "trials": [{"trial": E, "candidates": [cand]}]}, None)
    assert _dates_cell(html, "Patient/p") == f"{said} 2026-06-15"


def test_the_evaluated_path_carries_it_too() -> None:
    """A patient with answers on file is screened through evaluate_patient (screening.fast), read by outcome_of."""
    opens = dt.date(2026, 6, 15)
    manual = (CriterionResult("E-I1", "inclusion", "Signed informed consent", Result.MANUAL, "consent"),)
    for then, said in ((Verdict.NEEDS_REVIEW, "needs-review"), (Verdict.ELIGIBLE, "eligible"), (None, None)):
        when = When(opens, None, (), 30, then)
        result = TrialResult("Patient/p", E, "E", Verdict.INELIGIBLE, manual, (), when=when)
        assert outcome_of(result).verdict_from == said
    unopened = TrialResult("Patient/p", E, "E", Verdict.NEEDS_REVIEW, manual, (), when=When(None, opens, (), 30))
    assert outcome_of(unopened).verdict_from is None
