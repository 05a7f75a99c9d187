"""``evaluate --details`` lists what to collect first per undetermined patient, ranked, with the dates between
which a result counts (issue 16 item 2 in the table). Worked out by hand (as in tests/evaluation/test_collect.py):
sample 08's only haemoglobin (2026-05-03) is outside every 28-day window, so one Hb dated 2026-05-04 to
2026-06-01 settles A-I11-hb, B-I8, C-I7-hb, E-I7-hb and E-I12 (D is ineligible anyway): 5 criteria in 4 trials.
Sample 34 has no liver panel: ALT, AST and bilirubin each settle 4 criteria in 3 trials."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli

SAMPLES = Path(__file__).resolve().parents[2] / "sample_bundles"
FILES = ["08-hb-outside-28-day-window.json", "34-liver-panel-missing.json", "01-prrt-ileal-net-baseline.json"]

pytestmark = pytest.mark.skipif(not (SAMPLES / FILES[0]).exists(), reason="no samples")


def _table(*args: str) -> str:
    paths = [str(SAMPLES / f) for f in FILES]
    out = CliRunner().invoke(cli, ["evaluate", *paths, "--as-of", "2026-06-01", "--assume-attested", *args])
    assert out.exit_code == 0, out.output
    return out.output


def test_the_ranked_list_with_its_dates() -> None:
    text = _table("--details")
    part = text[text.index("What to collect first") :]
    lines = part.splitlines()
    at = next(k for k, ln in enumerate(lines) if ln.startswith("Patient/sample-08"))
    hb = lines[at + 1]
    assert hb.startswith("  1. Hemoglobin dated 2026-05-04 to 2026-06-01: settles 5 criteria in 4 trials (")
    assert {x.strip(" )") for x in hb.split("(", 1)[1].split(",")} == {
        "A-I11-hb",
        "B-I8",
        "C-I7-hb",
        "E-I7-hb",
        "E-I12",
    }
    at = next(k for k, ln in enumerate(lines) if ln.startswith("Patient/sample-34"))
    panel = lines[at + 1 : at + 4]
    assert [ln.split(" dated ")[0].strip() for ln in panel] == ["1. ALT", "2. AST", "3. Total bilirubin"]
    assert all("2026-05-04 to 2026-06-01: settles 4 criteria in 3 trials" in ln for ln in panel)
    assert not any(ln.startswith("Patient/sample-01") for ln in lines)  # decided everywhere: nothing to collect


def test_only_with_details() -> None:
    assert "What to collect first" not in _table()


def test_the_dates_skip_trials_no_date_opens() -> None:
    """Sample 01 is ineligible for D whatever the date (no liver resection): its labs lapsing is not listed,
    while A's lapse (eligible through 2026-06-17) is."""
    text = _table("--details")
    assert "Patient/sample-01 (" in text
    dates = [ln for ln in text.splitlines() if " x NCT" in ln and "(within 365 days of 2026-06-01)" in ln]
    assert any("sample-01" in ln and "NCT04954820: current answers hold until 2026-06-17" in ln for ln in dates)
    assert not any("sample-01" in ln and "NCT05987176" in ln for ln in dates)
