"""Issue 15: the registry text of NCT01842165 lost its '≥'/'≤' signs ("hemoglobin = 9 g/dL"); what to collect
must state the rule as encoded, and a count reads "exactly 4", never "= 4".

By hand from clinical.md §1.5 (E-I7..E-I9): Hb ≥ 9 g/dL, neutrophils ≥ 1.5 x 10^9/L, platelets ≥ 100 x 10^9/L,
bilirubin ≤ 2 x ULN, ALT/AST ≤ 5 x ULN, ECOG ≤ 1. Sample 08 has its only Hb outside E's 28-day window, so on
2026-06-01 trial E is undetermined and the Hb is to collect.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import CountTest
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Report
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.report.cards import detail, summary
from fhir_eligibility.report.html import render_report_html
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.report.table import explain

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_bundles"
TRIAL_E = ROOT / "definitions" / "NCT01842165" / "EvidenceVariable.json"
AS_OF = dt.date(2026, 6, 1)
# "hemoglobin = 9": a comparator the registry lost. A measured value's conversion ("120 U/L = 3 × ULN") is an
# equation, not a comparator, and stays.
_EQUALS = re.compile(r"(?<![<>≤≥!=]) = \d")
_CONVERSION = re.compile(r"\d(?:\.\d+)?(?: \S+)?$")


def bare_equals(text: str) -> list[str]:
    return [
        text[max(0, m.start() - 40) : m.end()]
        for m in _EQUALS.finditer(text)
        if not _CONVERSION.search(text[: m.start()])
    ]


pytestmark = pytest.mark.skipif(not (SAMPLES / "08-hb-outside-28-day-window.json").exists(), reason="no samples")


@pytest.fixture(scope="module")
def report() -> Report:
    files = sorted(SAMPLES.glob("*.json"))
    return evaluate_files(files, load_trials(None, None), AS_OF, Settings())


def test_no_collect_line_card_or_reason_of_any_sample_has_a_bare_equals(report: Report) -> None:
    whats = [m["what"] for r in report_json(report)["results"] for m in r.get("missingData", [])]
    assert whats  # the samples do have things to collect
    assert [w for w in whats if bare_equals(w)] == []
    collect = [line for line in explain(report).splitlines() if line.strip().startswith("collect:")]
    assert collect and [line for line in collect if bare_equals(line)] == []
    cards = [summary(r) + "\n" + detail(r, AS_OF) for r in report.results]
    assert [c for c in cards if bare_equals(c)] == []
    reasons = json.dumps([c["reason"] for r in report_json(report)["results"] for c in r["criteria"]])
    assert bare_equals(reasons) == []


def test_the_hb_to_collect_for_trial_e_reads_as_encoded(report: Report) -> None:
    (e,) = [r for r in report.results if r.patient == "Patient/sample-08" and r.trial == "NCT01842165"]
    (hb,) = [m for m in e.missing_data if m.criterion == "E-I7-hb"]
    assert hb.what == "Hemoglobin ≥ 9 g/dL"
    one = Report(AS_OF, (e,))
    assert "collect: Hemoglobin ≥ 9 g/dL (" in explain(one)
    assert "≥ 9 g/dL" in detail(e, AS_OF)
    assert "Hemoglobin ≥ 9 g/dL" in render_report_html(one)


def test_the_definitions_keep_the_registry_line_and_say_which_reading_was_chosen() -> None:
    chars = {c["linkId"]: c for c in json.loads(TRIAL_E.read_text(encoding="utf-8"))["characteristic"]}
    expected = {
        "E-I6": ("Measured GFR (51Cr-EDTA) ≥ 50 mL/min/1.73 m²", "GFR = 50 mL/min/1.73m2"),
        "E-I7-hb": ("Hemoglobin ≥ 9 g/dL", "7. Adequate bone marrow function with hemoglobin = 9 g/dL;"),
        "E-I7-anc": ("Neutrophils ≥ 1.5 × 10⁹/L", "neutrophil = 1.5·103/µL;"),
        "E-I7-plt": ("Platelets ≥ 100 × 10⁹/L", "platelet count = 100·103/µL."),
        "E-I8-bili": ("Total bilirubin ≤ 2 × ULN", "total bilirubin = 2 x ULN"),
        "E-I8-transaminases": ("Transaminases (ALT and AST) ≤ 5 × ULN", "transaminases = 5 x ULN,"),
        "E-I9": ("ECOG performance status ≤ 1 (0-1)", "9. ECOG Performance Status = 1."),
    }
    for link, (description, registry) in expected.items():
        c = chars[link]
        assert c["description"] == description, link
        notes = " ".join(n["text"] for n in c["note"])
        assert registry in notes and "lost the comparator" in notes and "clinical.md §1.5 reads it as" in notes, link
    assert chars["E-I7-hb"]["definitionByTypeAndValue"]["valueQuantity"]["comparator"] == ">="
    assert all(not bare_equals(c["description"]) for c in chars.values())


def test_an_exact_count_reads_exactly_not_equals() -> None:
    assert CountTest(None, 4).text() == "exactly 4"
    assert CountTest(">=", 2).text() == ">= 2"
    assert CountTest(">", 31, unit="days").text() == "> 31 days"


def test_the_lost_comparator_check_tells_a_lost_sign_from_a_conversion() -> None:
    assert bare_equals("7. Adequate bone marrow function with hemoglobin = 9 g/dL;")
    assert bare_equals("neutrophil = 1.5·103/µL;")
    assert bare_equals("ALT ≤ 2.5 × ULN: 120 U/L = 3 × ULN (40)") == []
    assert bare_equals("INR not above the upper limit: 1.1 = 0.92 × ULN (1.2)") == []
    assert bare_equals("Hemoglobin ≥ 9 g/dL") == []
