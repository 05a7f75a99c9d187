"""The table's dates say the verdict eligibleFrom opens (review of dates, 2026-12-07): eligibleFrom is "eligible
or needs review", and ``--details`` said "eligible from 2026-06-22" where the verdict on that day would be
needs-review (a manual item still open), while the CDS card said "needs review from 2026-06-22"."""

from __future__ import annotations

import datetime as dt

import pytest

from fhir_eligibility.evaluation.results import Change, CriterionResult, Report, Result, TrialResult, Verdict, When
from fhir_eligibility.report.table import dates
from fhir_eligibility.report.when import headline

AS_OF = dt.date(2026, 6, 1)
OPENS = dt.date(2026, 6, 22)


def _result(then: Verdict | None, open_item: Result) -> TrialResult:
    """A washout (B-E1) ends on 06-22; B-I9 stays ``open_item`` (manual: needs review then; pass: eligible).
    ``then``: the verdict on eligibleFrom as the timeline gives it (None: replayed from the results)."""
    criteria = (
        CriterionResult("B-E1", "exclusion", "No somatostatin analogue within 4 weeks", Result.FAIL, "washout"),
        CriterionResult("B-I9", "inclusion", "Signed informed consent", open_item, "consent"),
    )
    change = Change(OPENS, "B-E1", Result.FAIL, Result.PASS, "washout over")
    when = When(OPENS, None, (change,), 60, then)
    return TrialResult("Patient/p", "NCT01842165", "B", Verdict.INELIGIBLE, criteria, (), when=when)


@pytest.mark.parametrize(
    ("then", "open_item", "said"),
    [
        (Verdict.NEEDS_REVIEW, Result.MANUAL, "needs review from 2026-06-22"),
        (Verdict.ELIGIBLE, Result.PASS, "eligible from 2026-06-22"),
        (None, Result.MANUAL, "needs review from 2026-06-22"),
        (None, Result.PASS, "eligible from 2026-06-22"),
    ],
)
def test_the_table_and_the_card_name_the_same_verdict(then: Verdict | None, open_item: Result, said: str) -> None:
    r = _result(then, open_item)
    line = dates(Report(AS_OF, (r,))).splitlines()[0]
    assert line == f"Patient/p x NCT01842165: {said} (within 60 days of 2026-06-01)"
    card = headline(r)
    assert card is not None and card.startswith(said)
