"""Card rendering: summary length, indicators, markdown detail, which trials get a card, links, uuids."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest

from fhir_eligibility.evaluation.results import CriterionResult, MissingData, Result, TrialResult, Verdict
from fhir_eligibility.report.cards import INDICATOR, card, card_uuid, cards, detail, md, summary

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
def test_summary_is_short_and_names_trial_and_status(verdict: Verdict) -> None:
    s = summary(result(verdict, title="Very long title " * 30))
    assert len(s) < 140
    assert s.startswith("NCT04954820: ")
    assert s.endswith("…")


def test_summary_keeps_a_short_title_whole() -> None:
    assert summary(result(Verdict.ELIGIBLE, title="Lu-177 in NET")) == (
        "NCT04954820: eligible on available data – Lu-177 in NET"
    )


def test_indicators() -> None:
    assert INDICATOR[Verdict.ELIGIBLE] == "info"
    assert INDICATOR[Verdict.NEEDS_REVIEW] == "info"
    assert INDICATOR[Verdict.UNDETERMINED] == "warning"
    c = card(result(Verdict.UNDETERMINED), as_of=AS_OF, hook_instance="h", source_label="x")
    assert c["indicator"] == "warning"


def test_detail_lists_failing_unknown_manual_and_data_to_collect() -> None:
    text = detail(result(Verdict.INELIGIBLE), AS_OF)
    sections = ["**Failing criteria**", "**Unknown criteria**", "**Manual or review criteria**", "**Data to collect**"]
    positions = [text.index(s) for s in sections]
    assert positions == sorted(positions)
    assert "**hb** (inclusion)" in text and "**plt** (inclusion)" in text
    assert "**consent**" in text and "**alt** (exclusion)" in text
    assert "http://loinc.org\\|777-3" in text and "latest useful 2026-06-01" in text
    assert "**age**" not in text  # passing criteria are not listed
    assert "as of 2026-06-01" in text


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
    shown = [c["summary"][:11] for c in cards(rs, as_of=AS_OF, hook_instance="h")]
    assert shown == ["NCT00000003", "NCT00000004", "NCT00000002"]
    all_ = cards(rs, as_of=AS_OF, hook_instance="h", include_ineligible=True)
    assert [c["summary"][:11] for c in all_][-1] == "NCT00000001"


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
    assert c["source"]["topic"]["code"] == "NCT04954820"
    assert c["links"] == [
        {
            "label": "Eligibility report",
            "url": "https://cds.example.org/reports/p1?trial=NCT04954820",
            "type": "absolute",
        }
    ]
    assert uuid.UUID(c["uuid"])
    assert c["uuid"] == card_uuid("d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "NCT04954820")
    assert c["uuid"] != card_uuid("another-call", "NCT04954820")


def test_non_nct_trials_have_no_source_url_and_no_nulls() -> None:
    c = card(result(Verdict.ELIGIBLE, trial="LOCAL-1"), as_of=AS_OF, hook_instance="h", source_label="x")
    assert c["source"] == {"label": "x"}
    assert "links" not in c
    assert all(v not in (None, "", [], {}) for v in c.values())


def test_long_sections_are_capped() -> None:
    crits = tuple(CriterionResult(f"c{i}", "inclusion", "d", Result.UNKNOWN, "r") for i in range(40))
    r = TrialResult("Patient/p1", "NCT04954820", "T", Verdict.UNDETERMINED, crits, ())
    assert "… and 15 more (see the report)" in detail(r, AS_OF)
