"""Issue 16 item 1 on the patient page and the CDS cards: the dates a coordinator plans around, worked out by
hand (the same cases as tests/evaluation/test_timeline.py's HAND_WORKED, screening date 2026-06-01):

- sample 01: every lab dated 2026-05-20, 28-day windows -> trial A eligible (manual items assumed attested)
  through 2026-06-17; on 2026-06-18 its haemoglobin (A-I11-hb) no longer counts: pass -> unknown.
- sample 91: octreotide LAR on 2026-05-14, trial E wants 4 weeks off long-acting SSA -> E-I5 turns on
  2026-06-11: ineligible now, eligible from 2026-06-11.
- sample 77: liver resection 2026-05-05, trial D wants >= 4 weeks after surgery -> eligible from 2026-06-02.
- sample 97: the coordinator's answers for A of 2026-05-25, valid 10 days -> eligible until 2026-06-04.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Report, TrialResult
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.report.cards import cards, detail
from fhir_eligibility.report.html import render_report_html

SAMPLES = Path(__file__).resolve().parents[2] / "sample_bundles"
AS_OF = dt.date(2026, 6, 1)
A, D, E = "NCT04954820", "NCT05987176", "NCT01842165"
DATED = Settings(assume_attested=True, horizon_days=365, collect_series=True)  # what `evaluate` computes

pytestmark = pytest.mark.skipif(not (SAMPLES / "91-octreotide-lar-intramuscular-atc-only.json").exists(), reason="")


@cache
def _trials() -> list[Trial]:
    return load_trials(None, None)


def _report(n: int, settings: Settings = DATED) -> Report:
    (path,) = SAMPLES.glob(f"{n:02d}-*.json")
    return evaluate_files([path], _trials(), AS_OF, settings)


def _result(report: Report, trial: str) -> TrialResult:
    return next(r for r in report.results if r.trial == trial)


def _section(html: str, trial: str) -> str:
    """The trial's section of the page (up to the next trial's)."""
    start = html.index(f'data-trial="{trial}"')
    end = html.find('data-testid="trial"', start)
    return html[start : end if end > 0 else len(html)]


def test_a_lab_window_lapsing_on_the_page_and_the_card() -> None:
    report = _report(1)
    a = _section(render_report_html(report, _trials()), A)
    assert 'data-testid="timeline"' in a
    assert "<strong>Eligible until 2026-06-17, then " in a
    day = a[a.index('data-date="2026-06-18"') :]
    day = day[: day.index("</ul></li>")]
    (hb,) = [li for li in day.split("<li ")[1:] if "A-I11-hb" in li.split(">", 1)[0]]  # the item naming Hb
    assert "pass → unknown" in hb and "latest is 2026-05-20" in hb
    text = detail(_result(report, A), AS_OF)
    assert "**When:** eligible until 2026-06-17, then " in text and " lapse (" in text
    assert text.splitlines()[1].startswith("**When:**")  # right under the verdict


def test_a_washout_ending_on_the_page_and_the_card() -> None:
    report = _report(91)
    e = _section(render_report_html(report, _trials()), E)
    assert "<strong>Eligible from 2026-06-11 if nothing else changes" in e
    opened = e[e.index('data-date="2026-06-11"') :]
    assert 'data-criteria="E-I5"' in opened[: opened.index("</li></ul>")]
    assert "fail → pass" in opened[: opened.index("</li></ul>")]
    assert "screen again then" in e and "Ineligible before 2026-06-11" in e
    text = detail(_result(report, E), AS_OF)
    assert "**When:** eligible from 2026-06-11 if nothing else changes" in text
    assert text.splitlines()[-1] == "**Next step:** screen again on 2026-06-11; nothing to collect now."


def test_a_wait_after_surgery_on_the_card() -> None:
    text = detail(_result(_report(77), D), AS_OF)
    assert "**When:** eligible from 2026-06-02 if nothing else changes" in text


def test_an_attestation_expiring_on_the_card() -> None:
    report = _report(97, Settings(attestation_validity_days=10, horizon_days=365))
    result = _result(report, A)
    assert result.verdict.value == "eligible"
    assert "**When:** eligible until 2026-06-04" in detail(result, AS_OF)


def test_no_empty_timeline() -> None:
    undated = render_report_html(_report(1, Settings(assume_attested=True)), _trials())
    assert 'data-testid="timeline"' not in undated and "**When:**" not in detail(
        _result(_report(1, Settings(assume_attested=True)), A), AS_OF
    )
    report = _report(1)
    d = _result(report, D)  # ineligible (no liver resection) whatever the date: its labs lapsing is noise
    assert d.verdict.value == "ineligible" and d.when and d.when.eligible_from is None and d.when.timeline
    assert 'data-testid="timeline"' not in _section(render_report_html(report, _trials()), D)
    assert "**When:**" not in detail(d, AS_OF)


def test_every_sample_card_with_dates_fits_the_sidebar() -> None:
    report = evaluate_files(sorted(SAMPLES.glob("*.json")), _trials(), AS_OF, Settings(horizon_days=365))
    with_dates = 0
    for c in cards(report.results, as_of=AS_OF, hook_instance="h", include_ineligible=True):
        lines = [ln for ln in c["detail"].splitlines() if ln.strip()]
        assert len(c["summary"]) < 140 and len(lines) <= 8, c["detail"]
        assert lines[-1].startswith("**Next step:**")
        with_dates += "**When:**" in c["detail"]
    assert with_dates > 100  # most samples' labs lapse within the horizon


def test_the_largest_patient_page_with_its_timelines_stays_under_150_kb(capsys: pytest.CaptureFixture[str]) -> None:
    sizes = {n: len(render_report_html(_report(n), _trials()).encode()) for n in (1, 69, 91, 97)}  # 97: largest
    with capsys.disabled():
        print(f"\npatient pages with timelines: {sizes} bytes")
    assert max(sizes.values()) < 150_000
