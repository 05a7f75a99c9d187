"""Card rendering: summary length, indicators, markdown detail, which trials get a card, links, uuids."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest

from fhir_eligibility.evaluation.results import CriterionResult, MissingData, Result, TrialResult, Verdict
from fhir_eligibility.report.cards import INDICATOR, STATUS, card, card_uuid, cards, detail, md, summary

AS_OF = date(2026, 6, 1)


def result(verdict: Verdict, trial: str = "NCT04954820", title: str = "A trial", **kw: object) -> TrialResult:
    crits = (
        CriterionResult("age", "inclusion", "Age >= 18", Result.PASS, "ok"),
        CriterionResult("hb", "inclusion", "Hb >= 8 g/dL", Result.FAIL, "7.1 g/dL < 8"),
        CriterionResult("plt", "inclusion", "Platelets", Result.UNKNOWN, "no result in window"),
        CriterionResult("consent", "inclusion", "Signed consent", Result.MANUAL, "requires attestation by a person"),
        CriterionResult("alt", "exclusion", "ALT > 2.5 x ULN", Result.REVIEW, "needs clinical judgement"),
    )
    missing = (MissingData("plt", "Platelets", ("http://loinc.org|777-3",), "2026-05-04..2026-06-01", "2026-06-01"),)
    return TrialResult("Patient/p1", trial, title, verdict, crits, missing, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("verdict", list(Verdict))
def test_summary_is_short_and_leads_with_the_status_in_words(verdict: Verdict) -> None:
    s = summary(result(verdict, title="Very long title " * 30))
    assert len(s) < 140
    assert s.startswith(STATUS[verdict].capitalize() + ": Very long title")
    assert s.endswith("…") and s[:-1].split()[-1] in {"Very", "long", "title"}  # cut between words
    assert "NCT04954820" not in s  # the source's topic names the trial


def test_summary_keeps_a_short_title_whole_without_id_prefix_or_internal_notes() -> None:
    r = result(Verdict.ELIGIBLE, title="NCT04954820: Lu-177 in NET (title not in the seed)")
    assert summary(r) == "Eligible on available data: Lu-177 in NET"


def test_indicators() -> None:
    assert INDICATOR[Verdict.ELIGIBLE] == "info"
    assert INDICATOR[Verdict.NEEDS_REVIEW] == "info"
    assert INDICATOR[Verdict.UNDETERMINED] == "warning"
    c = card(result(Verdict.UNDETERMINED), as_of=AS_OF, hook_instance="h", source_label="x")
    assert c["indicator"] == "warning"


def test_ineligible_detail_names_the_failing_value_and_says_nothing_to_collect() -> None:
    text = detail(result(Verdict.INELIGIBLE), AS_OF)
    assert text.splitlines()[0] == "**Not eligible** as of 2026-06-01."
    assert "- Hb ≥ 8 g/dL: 7.1 g/dL \\< 8" in text  # protocol's >= shown as ≥, markdown '<' escaped
    assert "Platelets" not in text and "consent" not in text.lower()  # only what decided
    assert "nothing to collect" in text and "777-3" not in text


def test_undetermined_detail_says_what_to_collect_and_when() -> None:
    text = detail(result(Verdict.UNDETERMINED), AS_OF)
    assert "- Platelets: no result in window" in text
    assert "**Next step:** collect Platelets, dated 2026-05-04 to 2026-06-01." in text
    assert "http" not in text  # no code URIs


def test_review_detail_puts_data_triggered_items_first_and_asks_to_attest() -> None:
    text = detail(result(Verdict.NEEDS_REVIEW), AS_OF)
    lines = text.splitlines()
    assert lines.index("- ALT \\> 2.5 x ULN: needs clinical judgement") < lines.index("- Signed consent (to attest)")
    assert "clinician judgement of 1 item(s), then attest 1 item(s)" in text  # two kinds, data-driven first


def test_detail_is_short_with_at_most_three_deciding_items_and_no_duplicates() -> None:
    same = CriterionResult("hb2", "inclusion", "Hb >= 8 g/dL", Result.FAIL, "7.1 g/dL < 8")
    crits = (*(CriterionResult(f"c{i}", "inclusion", f"Lab {i}", Result.FAIL, "low") for i in range(6)), same, same)
    r = TrialResult("Patient/p1", "NCT04954820", "T", Verdict.INELIGIBLE, crits, ())
    text = detail(r, AS_OF)
    assert [ln for ln in text.splitlines() if ln.startswith("- ")] == [
        "- Lab 0: low",
        "- Lab 1: low",
        "- Lab 2: low",
        "- and 4 more on the full report",  # 6 labs + one Hb (the duplicate counted once) - 3 shown
    ]
    assert len([ln for ln in text.splitlines() if ln.strip()]) <= 8


def test_markdown_from_definitions_is_escaped() -> None:
    assert md("<script>alert(1)</script> [x](http://evil) *b*\n# h") == (
        "\\<script\\>alert(1)\\</script\\> \\[x\\](http://evil) \\*b\\* \\# h"
    )
    r = TrialResult(
        "Patient/p1",
        "NCT04954820",
        "T",
        Verdict.UNDETERMINED,
        (CriterionResult("x", "inclusion", "<img src=x onerror=alert(1)>", Result.UNKNOWN, "r"),),
        (),
    )
    assert not re.search(r"(?<!\\)<", detail(r, AS_OF))  # every '<' is backslash-escaped: no raw HTML


def test_only_not_ineligible_trials_get_cards_unless_configured() -> None:
    rs = [
        result(Verdict.INELIGIBLE, "NCT00000001"),
        result(Verdict.UNDETERMINED, "NCT00000002"),
        result(Verdict.ELIGIBLE, "NCT00000003"),
        result(Verdict.NEEDS_REVIEW, "NCT00000004"),
    ]
    shown = [c["source"]["topic"]["code"] for c in cards(rs, as_of=AS_OF, hook_instance="h")]
    assert shown == ["NCT00000003", "NCT00000004", "NCT00000002"]
    all_ = cards(rs, as_of=AS_OF, hook_instance="h", include_ineligible=True)
    assert [c["source"]["topic"]["code"] for c in all_][-1] == "NCT00000001"


def test_card_fields_source_links_and_stable_uuid() -> None:
    c = card(
        result(Verdict.ELIGIBLE),
        as_of=AS_OF,
        hook_instance="d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        source_label="Trials",
        report_link=lambda r: f"https://cds.example.org/reports/p1?trial={r.trial}",
    )
    assert set(c) == {"uuid", "summary", "indicator", "detail", "source", "links"}
    assert c["source"]["label"] == "Trials"
    assert c["source"]["url"] == "https://clinicaltrials.gov/study/NCT04954820"
    assert c["source"]["topic"] == {
        "system": "https://clinicaltrials.gov",
        "code": "NCT04954820",
        "display": c["source"]["topic"]["display"],
    }
    assert c["links"] == [
        {
            "label": "Full eligibility report",
            "url": "https://cds.example.org/reports/p1?trial=NCT04954820",
            "type": "absolute",
        }
    ]
    assert uuid.UUID(c["uuid"])
    assert c["uuid"] == card_uuid("d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "NCT04954820")
    assert c["uuid"] != card_uuid("another-call", "NCT04954820")


def test_non_nct_trials_have_no_source_url_and_no_nulls() -> None:
    """A Coding needs its system (CDS Hooks 2.0: code and system REQUIRED): a trial known by another id than an
    NCT number is named in the product's own trial-id code system, never as a bare code."""
    c = card(result(Verdict.ELIGIBLE, trial="LOCAL-1"), as_of=AS_OF, hook_instance="h", source_label="x")
    topic = {"system": "http://fhir-eligibility.org/fhir/CodeSystem/trial-id", "code": "LOCAL-1", "display": "A trial"}
    assert c["source"] == {"label": "x", "topic": topic}
    assert "links" not in c
    assert all(v not in (None, "", [], {}) for v in c.values())


def test_cards_for_every_sample_patient_are_short_and_plain() -> None:
    """Every sample patient x every trial (six), ineligible ones included: what an EHR sidebar has room for."""
    from pathlib import Path

    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.evaluation.engine import Settings
    from fhir_eligibility.pipeline import evaluate_files

    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "sample_bundles").glob("*.json"))
    if len(files) < 10:
        pytest.skip("the sample bundles are not in this checkout")
    report = evaluate_files(files, load_trials(None, None), AS_OF, Settings(explain=True))
    all_cards = cards(report.results, as_of=AS_OF, hook_instance="h", include_ineligible=True)
    assert len(all_cards) == len(report.results)
    for c in all_cards:
        lines = [ln for ln in c["detail"].splitlines() if ln.strip()]
        assert len(c["summary"]) < 140 and not c["summary"].startswith("NCT"), c["summary"]
        assert "title not in the seed" not in c["summary"] + c["detail"]
        assert len(lines) <= 8, c["detail"]
        assert "http" not in c["detail"] and "{" not in c["detail"] and "mm[Hg]" not in c["detail"]
        items = [ln for ln in lines if ln.startswith("- ")]
        assert len(items) == len(set(items)) and len(items) <= 4  # 3 deciding items + "and N more"
        assert lines[-1].startswith("**Next step:**")
