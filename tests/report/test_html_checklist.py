"""The HTML report's checklist: values and dates read naturally, sub-criteria collapsible and labelled
neutrally, what to collect next (or nothing, once ineligible), the deciding criteria and the summary
table linking to them (page parsing: tests/report/html_page.py).
"""

from __future__ import annotations

import re

from fhir_eligibility.evaluation.results import CriterionResult, MissingData, Report, Result, TrialResult, Verdict
from fhir_eligibility.report.html import render_report_html
from tests.report.html_page import AS_OF, EVIL, checklist_of, evil_report, parse, stored


def test_numbers_and_dates_read_naturally(mini_report: Report) -> None:
    texts = stored(render_report_html(mini_report))["texts"]
    assert "Observation/o1" in texts
    assert "85 g/L (= 8.5 g/dL) on 2026-05-20 ≥ 8 g/dL" in texts  # the fixture's Hb, compared, no float noise
    assert not any(re.search(r"\d\.\d{4,}", t) for t in texts)


def test_sub_criteria_are_collapsible_and_labelled_neutrally() -> None:
    html = render_report_html(evil_report())
    texts = stored(html)["texts"]
    ((_aid, _cid, result, _reason, parts),) = checklist_of(html)
    ((text, state, negated, reason, evidence, kids),) = parts
    assert result == "review" and state == "not-met" and negated == 0 and kids == []  # "Not met", not a red fail
    assert texts[text] == EVIL and texts[reason] == "" and evidence  # a reason equal to the text is not repeated
    assert (
        "det=el('details','parts')" in "".join(parse(html).scripts)
        and "setAttribute('open'" not in ("".join(parse(html).scripts).split("addEventListener('afterprint'")[1])
    )


def test_missing_data_is_listed_as_what_to_collect() -> None:
    m = MissingData("A-I11-hb", "Haemoglobin", ("http://loinc.org|718-7",), "2026-05-04..2026-06-01", "2026-06-01")
    c = CriterionResult("A-I11-hb", "inclusion", "Hb", Result.UNKNOWN, "no Hb in window")
    html = render_report_html(Report(AS_OF, (TrialResult("Patient/p", "N", "t", Verdict.UNDETERMINED, (c,), (m,)),)))
    page = parse(html)
    assert page.find("section", data_testid="collect")
    assert "LOINC 718-7" in html and "What to collect next" in html and "dated 2026-05-04 to 2026-06-01" in html


def test_an_ineligible_trial_says_there_is_nothing_to_collect() -> None:
    c = CriterionResult(
        "hb", "inclusion", "Hb >= 8 g/dL", Result.FAIL, "7.9 g/dL does not meet >= 8 g/dL on 2025-02-25"
    )
    html = render_report_html(Report(AS_OF, (TrialResult("Patient/p", "N", "t", Verdict.INELIGIBLE, (c,), ()),)))
    assert "Ineligible: nothing to collect." in html and 'data-testid="collect"' not in html
    assert "7.9 g/dL on 2025-02-25 &lt; 8 g/dL" in html  # the deciding value, formatted, up front


def test_deciding_criteria_are_listed_and_linked(mini_report: Report) -> None:
    html = render_report_html(mini_report)
    m = re.search(
        r'<div class="deciding" data-testid="deciding"><strong>Decided by:</strong><ul>(.*?)</ul></div>', html
    )
    assert m and re.fullmatch(
        r'<li><a href="#(p0-t0-i3)">consent</a> \(manual check\) Signed informed consent</li>', m.group(1)
    )
    assert ("p0-t0-i3", "consent", "manual") in [(a, c, r) for a, c, r, _x, _p in checklist_of(html)]


def test_summary_table_has_one_row_per_patient_and_trial_linking_to_details(mini_report: Report) -> None:
    page = parse(render_report_html(mini_report))
    links = page.find("a", data_testid="summary-link")
    assert [a.attrs["href"] for a in links] == ["#p0-t0"]
    assert page.find("section", id="p0-t0")
