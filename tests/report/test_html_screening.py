"""The screening dashboard page: the funnel chart with criterion text, the candidates table with its
controls, and links to patient pages only when they were written (page parsing: tests/report/html_page.py).
"""

from __future__ import annotations

from fhir_eligibility.report.html import render_screening_html
from tests.report.html_page import parse


def test_screening_page_has_chart_table_and_controls() -> None:
    data = {
        "asOf": "2026-06-01",
        "patients": 4,
        "trials": [
            {
                "trial": "NCT1",
                "title": "T",
                "counts": {"eligible": 1, "needs-review": 1, "undetermined": 1, "ineligible": 1},
                "funnel": [
                    {"criterion": "I1", "pass": 3, "fail": 1, "unknown": 0, "manual": 0, "review": 0, "remaining": 3},
                    {"criterion": "E1", "pass": 2, "fail": 0, "unknown": 1, "manual": 0, "review": 1, "remaining": 3},
                ],
                "candidates": [
                    {"patient": "Patient/b", "verdict": "eligible", "missing": []},
                    {
                        "patient": "Patient/a",
                        "verdict": "undetermined",
                        "missing": ["E1: ALT (2026-05-04..2026-06-01)"],
                    },
                ],
            }
        ],
    }
    html = render_screening_html(data)
    page = parse(html)
    assert page.find("svg", data_testid="funnel-chart")
    bars = page.find("rect")
    assert sorted((b.attrs["data-result"], b.attrs["data-count"]) for b in bars) == sorted(
        [("pass", "3"), ("fail", "1"), ("pass", "2"), ("unknown", "1"), ("review", "1")]
    )
    assert "→ 3 left" in html
    assert len(page.find("button", data_testid="sort-patient")) == 1
    assert page.find("input", data_testid="filter") and page.find("select", data_testid="verdict-filter")
    rows = page.find("tr", data_verdict="undetermined")
    assert len(rows) == 1
    assert "ALT (2026-05-04 to 2026-06-01)" in html


def test_dashboard_funnel_rows_show_criterion_text_and_review_rows_the_checks() -> None:
    data = {
        "asOf": "2026-06-01",
        "trials": [
            {
                "trial": "NCT1",
                "funnel": [
                    {"criterion": "I1", "description": "1. Age >= 18 years.", "pass": 2},
                    {"criterion": "E11", "description": "Hypertension despite medication", "pass": 1, "review": 1},
                ],
                "candidates": [{"patient": "Patient/r", "verdict": "needs-review", "missing": []}],
            }
        ],
    }
    html = render_screening_html(data)
    assert ">I1 Age ≥ 18 years</text>" in html  # the bar's label, not only the id
    page = parse(html)
    assert len(page.find("ul", data_testid="checks")) == 1
    assert "E11 Hypertension despite medication" in html and "I1 Age" not in html.split('data-testid="checks"')[1]


def test_candidates_link_to_their_pages_only_when_written() -> None:
    from fhir_eligibility.screening.pages import page_name

    data = {"trials": [{"trial": "N", "candidates": [{"patient": "Patient/a b", "verdict": "eligible"}]}]}
    assert "patient-page" not in render_screening_html(data)
    html = render_screening_html(data, {"Patient/a b": "patients/" + page_name("Patient/a b")})
    # the id made file-safe, then the first 16 hex digits of sha256("a b")
    assert '<a href="patients/a_b-c8687a08aa5d6ed2.html" data-testid="patient-page">Patient/a b</a>' in html
    assert page_name("Patient/../../etc") == ".._.._etc-74ccf3c5b4c19a81.html"  # no path separators survive
