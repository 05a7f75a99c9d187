"""``--lookback-days`` reaches the criteria whose protocol gives no window (clinical.md §0.2).

clinical.md §0.2: "Default lookback when a protocol is silent (A, C, D labs/ECOG): 28 days
(configurable)". The definitions wrote it as [T0-28 d, T0], so the option changed nothing for them: a
site that set 14 days got 28 without being told. Now those windows carry the default-lookback mark
and the configured days replace the 28; a window the protocol wrote (B's "within 28 days prior to
enrolment") stays as written.

Worked by hand on sample 01 (labs and ECOG on 2026-05-20) screened on 2026-06-10, 21 days later, its
manual items assumed attested: with 28 days A is eligible (Hb 13.5 > 8, ECOG 0); with 14 days the Hb
and the ECOG are older than the window, so A-I11-hb and A-I7 are unknown and A undetermined. B's
protocol window (28 days) keeps B-I8 (ANC) passing either way.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.criteria.load import load_trials

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
A, B = "NCT04954820", "NCT05773274"


def _criteria(out: str) -> dict[tuple[str, str], str]:
    return {(r["trial"], c["id"]): c["result"] for r in json.loads(out)["results"] for c in r["criteria"]}


@pytest.mark.parametrize(("days", "expected"), [(28, "pass"), (14, "unknown")])
def test_the_default_lookback_follows_the_option(days: int, expected: str) -> None:
    args = ["evaluate", str(SAMPLE), "--as-of", "2026-06-10", "--assume-attested", "--trial", A, "--trial", B]
    r = CliRunner().invoke(cli, [*args, "--lookback-days", str(days), "--format", "json", "--horizon", "0"])
    assert r.exit_code == 0, r.output
    got = _criteria(r.output)
    assert got[(A, "A-I11-hb")] == expected and got[(A, "A-I7")] == expected
    assert got[(B, "B-I8")] == "pass"  # the protocol's own window


def test_screen_reads_the_same_lookback(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLE, folder)
    args = ["screen", str(folder), "--as-of", "2026-06-10", "--trial", A, "--format", "json", "--workers", "1"]
    counts = {}
    for days in (28, 14):
        r = CliRunner().invoke(cli, [*args, "--lookback-days", str(days), "--assume-attested"])
        assert r.exit_code == 0, r.output
        counts[days] = json.loads(r.output)["trials"][0]["counts"]
    assert counts[28]["eligible"] == 1 and counts[14]["undetermined"] == 1


def test_only_marked_windows_move() -> None:
    (a,) = load_trials(None, [A], None, 14)
    windows = {c.id: c.windows for c in a.criteria}
    assert windows["A-I11-hb"][0].low is not None and windows["A-I11-hb"][0].low.value == -14
    (a28,) = load_trials(None, [A], None, None)
    assert {c.id: c.windows for c in a28.criteria}["A-I11-hb"][0].low.value == -28  # type: ignore[union-attr]
