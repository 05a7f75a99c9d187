"""Issue 15 item 3 in the JSON report: the wording examples of the issue read as in the table, HTML and cards
(human units, the comparison that holds, no FHIRPath or "all 1 conditions" jargon), while each evidence item
keeps the full value and its UCUM code for tools.

Expected texts worked out by hand from sample 01 (born 1963-09-14, so 62 years on 2026-06-01; measured GFR
82 mL/min/1.73 m² and ECOG 1 on 2026-05-20; systolic BP 128 mmHg on 2026-05-20) and the protocols' thresholds
(trial E: GFR >= 50, age >= 18, ECOG 0-1; trial A: systolic BP >= 160 excludes).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import (
    Change,
    CriterionResult,
    Evidence,
    Report,
    Result,
    TrialResult,
    Verdict,
    When,
)
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.report.fhir_bundle import report_bundle
from fhir_eligibility.report.json_report import report_json, trial_json
from fhir_eligibility.report.table import explain

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_01 = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
AS_OF = dt.date(2026, 6, 1)

pytestmark = pytest.mark.skipif(not SAMPLE_01.exists(), reason="no samples")


@pytest.fixture(scope="module")
def sample_01() -> tuple[dict[str, dict[str, dict[str, object]]], str]:
    report = evaluate_files([SAMPLE_01], load_trials(None, None), AS_OF, Settings())
    data = json.loads(json.dumps(report_json(report), ensure_ascii=False))
    by_trial = {r["trial"]: {c["id"]: c for c in r["criteria"]} for r in data["results"]}
    return by_trial, explain(report)


def test_units_and_comparisons_read_as_people_write_them(sample_01) -> None:  # type: ignore[no-untyped-def]
    by_trial, _ = sample_01
    gfr = by_trial["NCT01842165"]["E-I6"]
    assert gfr["reason"] == "82 mL/min/1.73 m² on 2026-05-20 ≥ 50 mL/min/1.73 m²"
    assert gfr["evidence"][0]["value"] == 82 and gfr["evidence"][0]["unit"] == "mL/min/{1.73_m2}"  # raw kept
    age = by_trial["NCT01842165"]["E-I1"]
    assert age["reason"] == "age 62 years on 2026-06-01 ≥ 18 years"
    assert age["evidence"][0]["unit"] == "a"
    assert by_trial["NCT01842165"]["E-I9"]["reason"] == "1 on 2026-05-20, within 0–1"  # ECOG: no {score}
    bp = by_trial["NCT04954820"]["A-E11"]["reason"]
    assert "128 mmHg on 2026-05-20 < 160 mmHg" in bp and "mm[Hg]" not in bp


def test_no_jargon_left_anywhere_in_the_json(sample_01) -> None:  # type: ignore[no-untyped-def]
    by_trial, _ = sample_01
    reasons = [c["reason"] for cs in by_trial.values() for c in cs.values()]
    text = json.dumps(reasons, ensure_ascii=False)
    for jargon in ("FHIRPath", "all 1 conditions", "mL/min/{1.73_m2}", "mm[Hg]", "{score}", " a;", "does not meet"):
        assert jargon not in text, jargon
    assert by_trial["NCT05773274"]["B-I14"]["reason"] == "met"
    assert by_trial["NCT01842165"]["E-I5"]["reason"] == "the condition is met"


def test_the_json_reason_is_the_tables_text(sample_01) -> None:  # type: ignore[no-untyped-def]
    by_trial, table = sample_01
    for trial, cs in by_trial.items():
        for c in cs.values():
            if c["result"] in ("fail", "unknown", "review"):  # the table's --details lists these
                assert f"{c['id']}: " in table and str(c["reason"]) in table, (trial, c["id"])


def _result(reason: str, text: str) -> TrialResult:
    creat = CriterionResult(
        "X-I1",
        "inclusion",
        "Serum creatinine < 1.7 mg/dL",
        Result.PASS,
        reason,
        (Evidence("Observation/cr", 1.0224121678455418, "mg/dL", "2025-01-01"),),
    )
    change = Change(dt.date(2025, 1, 29), "X-I1", Result.PASS, Result.UNKNOWN, text)
    return TrialResult(
        "Patient/p", "NCT0", "T", Verdict.ELIGIBLE, (creat,), (), when=When(None, dt.date(2025, 1, 28), (change,), 365)
    )


def test_full_precision_stays_in_the_evidence_not_in_the_prose() -> None:
    raw = "1.0224121678455418 mg/dL meets < 1.7 mg/dL on 2025-01-01"
    r = _result(raw, "no result in window 2025-01-01..2025-01-29")
    out = trial_json(r)
    assert out["criteria"][0]["reason"] == "1.02 mg/dL on 2025-01-01 < 1.7 mg/dL"
    assert out["criteria"][0]["evidence"][0]["value"] == 1.0224121678455418
    assert out["timeline"][0]["text"] == "no result in window 2025-01-01 to 2025-01-29"
    bundle = json.dumps(report_bundle(Report(dt.date(2025, 1, 1), (r,))), ensure_ascii=False)
    assert "1.02 mg/dL on 2025-01-01 < 1.7 mg/dL" in bundle and "meets" not in bundle
