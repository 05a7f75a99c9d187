"""eligibleUntil after eligibleFrom: a patient ineligible today who becomes eligible within the horizon is
told how long that lasts (a coordinator plans the visit between the two dates).

Worked out by hand (screening date 2026-06-01, manual criteria assumed attested):

- sample 91: octreotide LAR (i.m.) on 2026-05-14; trial E wants 4 weeks off long-acting SSA, so E-I5
  passes from 05-14 + 28 days = 2026-06-11. Its labs are dated 2026-05-20 and count for 28 days: the
  last day they count is 05-20 + 28 = 2026-06-17; on 06-18 they are stale (unknown). Eligible
  2026-06-11..2026-06-17.
- sample 07 on 2026-05-25: lanreotide (long-acting SSA) last on 2026-05-04 -> E-I5 passes from 06-01;
  its labs of 05-04 count through 05-04 + 28 = 06-01. Eligible on 2026-06-01 only.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import PatientRecord, build_record
from fhir_eligibility.evaluation.results import Result, Verdict, When
from fhir_eligibility.evaluation.timeline import when
from fhir_eligibility.pipeline import load_trials
from fhir_eligibility.report.when import headline, lapsing, opening
from fhir_eligibility.retrieval.files import read_patients

SAMPLES = Path(__file__).resolve().parents[2] / "sample_bundles"
AS_OF = dt.date(2026, 6, 1)
E = "NCT01842165"
ATTESTED = Settings(assume_attested=True)
OPENS, LAST, LAPSED = dt.date(2026, 6, 11), dt.date(2026, 6, 17), dt.date(2026, 6, 18)


@cache
def _trial() -> Trial:
    return next(t for t in load_trials() if t.id == E)


@cache
def _record(prefix: str) -> PatientRecord:
    (path,) = SAMPLES.glob(f"{prefix}-*.json")
    return build_record(read_patients([path])[0][0])


def _when(prefix: str, as_of: dt.date, settings: Settings, horizon: int = 365) -> tuple[Verdict, When]:
    now = evaluate_trial(_trial(), _record(prefix), as_of, settings)
    return now.verdict, when(_trial(), _record(prefix), as_of, now, settings, horizon)


@pytest.mark.parametrize(
    "settings",
    [ATTESTED, replace(ATTESTED, explain=False), replace(ATTESTED, full_timeline=False)],
    ids=["page", "screening", "card"],
)
def test_a_washout_ending_then_labs_going_stale(settings: Settings) -> None:
    verdict, w = _when("91", AS_OF, settings)
    assert verdict is Verdict.INELIGIBLE
    assert (w.eligible_from, w.eligible_until, w.verdict_from) == (OPENS, LAST, Verdict.ELIGIBLE)


@pytest.mark.parametrize("settings", [ATTESTED, replace(ATTESTED, explain=False)], ids=["page", "screening"])
def test_eligible_for_one_day(settings: Settings) -> None:
    verdict, w = _when("07", dt.date(2026, 5, 25), settings)
    assert verdict is Verdict.INELIGIBLE
    assert (w.eligible_from, w.eligible_until) == (dt.date(2026, 6, 1), dt.date(2026, 6, 1))


@pytest.mark.parametrize(("horizon", "until"), [(16, None), (17, LAST)])
def test_the_end_is_given_only_when_its_lapse_is_within_the_horizon(horizon: int, until: dt.date | None) -> None:
    """Horizon 16 ends on 06-17: the labs still count on its last day, so no end is known; 17 reaches 06-18."""
    _verdict, w = _when("91", AS_OF, ATTESTED, horizon)
    assert (w.eligible_from, w.eligible_until) == (OPENS, until)


def test_a_card_names_what_opens_and_what_lapses() -> None:
    """A card keeps only the changes of the days it names: E-I5 on 06-11 and the labs going stale on 06-18."""
    card = replace(ATTESTED, full_timeline=False)
    _verdict, w = _when("91", AS_OF, card)
    assert [(c.criterion, c.before, c.after) for c in w.timeline if c.date == OPENS] == [
        ("E-I5", Result.FAIL, Result.PASS)
    ]
    stale = [c for c in w.timeline if c.date == LAPSED]
    assert stale and all((c.before, c.after) == (Result.PASS, Result.UNKNOWN) for c in stale)
    assert {c.date for c in w.timeline} == {OPENS, LAPSED}


def test_the_headline_says_both_dates() -> None:
    now = evaluate_trial(_trial(), _record("91"), AS_OF, ATTESTED)
    r = replace(now, when=when(_trial(), _record("91"), AS_OF, now, ATTESTED, 365))
    assert [c.criterion for c in opening(r)] == ["E-I5"]
    assert lapsing(r) and all(c.date == LAPSED for c in lapsing(r))
    said = headline(r) or ""
    assert said.startswith("eligible from 2026-06-11 if nothing else changes (")
    assert "; until 2026-06-17, then " in said and " lapse (" in said


def test_the_json_report_carries_the_end() -> None:
    args = ["evaluate", str(next(SAMPLES.glob("91-*.json"))), "--as-of", "2026-06-01", "--assume-attested"]
    out = CliRunner().invoke(cli, [*args, "--trial", E, "--horizon", "30", "--format", "json"])
    assert out.exit_code == 0, out.output
    (result,) = json.loads(out.output)["results"]
    assert (result["eligibleFrom"], result["eligibleUntil"]) == ("2026-06-11", "2026-06-17")
