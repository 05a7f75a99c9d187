"""The HTML screening dashboard carries the dates and horizon counts the table, CSV and JSON give.

Worked by hand (screening date 2026-06-01, horizon 30 days, trial E = NCT01842165):
- sample 115: octreotide LAR, E wants 4 weeks off long-acting SSA -> ineligible now, needs review from 2026-06-15
  (E's manual items, consent..., are still unanswered then: attest21); its 28-day labs then stop counting after
  2026-06-17 -> listed as "from 2026-06-15 until 2026-06-17".
- sample 01: needs review (attestations), its labs of 2026-05-20 count until 2026-06-17.
So within 30 days: 1 becomes eligible (115), eligibility lapses for 1 (01; 115 is not eligible now).
"""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.report.html.dashboard import render_screening_html

SAMPLES = Path(__file__).resolve().parents[2] / "sample_bundles"
E = "NCT01842165"
FILES = ("01-prrt-ileal-net-baseline.json", "115-netter2-octreotide-lar-two-doses.json")

pytestmark = pytest.mark.skipif(not all((SAMPLES / f).exists() for f in FILES), reason="no samples")


def _screen(fmt: str) -> str:
    args = ["screen", *(str(SAMPLES / f) for f in FILES), "--trial", E, "--as-of", "2026-06-01", "--format", fmt]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    return res.output


def _rows(html: str) -> dict[str, str]:
    """Each candidate row's HTML by patient (its patient cell sorts by the patient id)."""
    rows = re.findall(r"<tr data-verdict=.*?</tr>", html, re.S)
    return {html_lib.unescape(re.findall(r'class="ref patient" data-sort="([^"]*)"', r)[0]): r for r in rows}


def _dates(row: str) -> tuple[str, dict[str, str]] | None:
    """The row's dates: their text and the cell's data- attributes (None: no dates shown)."""
    m = re.search(r'<td data-testid="dates"([^>]*)>(.*?)</td>', row)
    if m is None:
        return None
    attrs = {k: html_lib.unescape(v) for k, v in re.findall(r'data-(from|until)="([^"]*)"', m[1])}
    return " ".join(re.sub(r"<[^>]+>", "", m[2]).split()), attrs


def test_each_row_shows_its_dates_as_the_json_gives_them() -> None:
    data = json.loads(_screen("json"))
    (cands,) = [t["candidates"] for t in data["trials"]]
    rows = _rows(_screen("html"))
    assert {c["patient"] for c in cands} == set(rows) == {"Patient/sample-01", "Patient/sample-115"}
    for c in cands:
        shown = _dates(rows[c["patient"]])
        assert shown is not None, c["patient"]
        assert shown[1] == {k: c[f"eligible{k.title()}"] for k in ("from", "until") if c[f"eligible{k.title()}"]}
    late = _dates(rows["Patient/sample-115"])
    assert late and late[0] == "needs review from 2026-06-15, then holds until 2026-06-17"  # why it is listed
    now = _dates(rows["Patient/sample-01"])
    assert now and now[0] == "current answers hold until 2026-06-17"  # a needs-review row's "until"


def test_each_trial_shows_its_horizon_counts() -> None:
    html = _screen("html")
    section = html[html.index('data-trial="NCT01842165"') :]
    m = re.search(r'<p[^>]*data-testid="horizon"[^>]*>(.*?)</p>', section)
    assert m is not None
    assert re.sub(r"<[^>]+>", "", m[1]) == "Within 30 days of 2026-06-01: 1 become eligible, eligibility lapses for 1."
    assert "within 30 days of 2026-06-01: 1 become eligible, eligibility lapses for 1" in _screen("table")


def test_no_horizon_no_line_and_withheld_dates_say_so() -> None:
    data = {
        "asOf": "2026-06-01",
        "trials": [
            {
                "trial": E,
                "counts": {"eligible": 1},
                "candidates": [
                    {
                        "patient": "Patient/p",
                        "verdict": "eligible",
                        "eligibleFrom": None,
                        "eligibleUntil": None,
                        "datesWithheld": True,
                    },
                    {"patient": "Patient/q", "verdict": "eligible", "eligibleFrom": None, "eligibleUntil": None},
                ],
                "withinHorizon": {"days": 0, "becomesEligible": 0, "lapses": 0},
            }
        ],
    }
    html = render_screening_html(data)
    rows = _rows(html)
    withheld = _dates(rows["Patient/p"])
    assert withheld and withheld[0] == "dates withheld (de-identified)"
    assert _dates(rows["Patient/q"]) is None
    assert 'data-testid="horizon"' not in html
