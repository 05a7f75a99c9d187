"""The same deciding value reads the same way in the table, the HTML page, the card and the JSON reason; the JSON
keeps the full value and its UCUM code in the evidence for tools, and names the values that triggered a review.

Worked out by hand from the sample bundles: sample 12 has ANC 1.4 x 10^9/L on 2026-05-20 against trial A's
ANC >= 1.5 x 10^9/L (fail); sample 03 has ALT 120 U/L with ULN 40 (3 x ULN) and liver metastases, which trial A's
exclusion E7b sends to clinical judgement.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.report.cards import detail
from fhir_eligibility.report.html import render_report_html
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.report.table import explain

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_bundles"
AS_OF = dt.date(2026, 6, 1)
TRIAL_A = "NCT04954820"

pytestmark = pytest.mark.skipif(not (SAMPLES / "12-anc-1-4-platelets-99-mgfr-49.json").exists(), reason="no samples")


def _run(name: str, series: bool = False):  # type: ignore[no-untyped-def]
    return evaluate_files([SAMPLES / name], load_trials(None, None), AS_OF, Settings(collect_series=series))


def test_a_failing_value_reads_the_same_in_table_html_and_card() -> None:
    report = _run("12-anc-1-4-platelets-99-mgfr-49.json", series=True)
    readable = "1.4 × 10⁹/L on 2026-05-20 < 1.5 × 10⁹/L"
    assert f"[FAIL] A-I11-anc: {readable}" in explain(report)
    html = render_report_html(report)
    assert readable.replace("<", "&lt;") in html  # the trial's "Decided by" list (escaped markup)
    (trial_a,) = [r for r in report.results if r.trial == TRIAL_A]
    assert readable in detail(trial_a, AS_OF).replace("\\<", "<")
    (anc,) = [
        c
        for r in report_json(report)["results"]
        if r["trial"] == TRIAL_A
        for c in r["criteria"]
        if c["id"] == "A-I11-anc"
    ]
    assert anc["reason"] == readable  # issue 15 item 3: the JSON reason reads as every other surface
    assert anc["evidence"][0]["value"] == 1.4 and anc["evidence"][0]["unit"] == "10*9/L"  # the raw datum, for tools


def test_a_review_names_the_values_that_triggered_it() -> None:
    report = _run("03-alt-3x-uln-liver-mets.json")
    data = json.loads(json.dumps(report_json(report)))
    (e7b,) = [c for r in data["results"] if r["trial"] == TRIAL_A for c in r["criteria"] if c["id"] == "A-E7b"]
    assert e7b["result"] == "review"
    assert "120 U/L = 3 × ULN (40) on 2026-05-20" in e7b["reason"] and "Liver metastases: recorded" in e7b["reason"]
    assert "conditions met" not in e7b["reason"]
    # which record: the sample's liver-metastasis Condition (C7B.02 + SNOMED 94381002, onset 2021-02-15)
    assert "Liver metastases: recorded: 94381002, C7B02 on 2021-02-15" in e7b["reason"]
    assert "120 U/L = 3 × ULN (40) on 2026-05-20" in explain(report)
