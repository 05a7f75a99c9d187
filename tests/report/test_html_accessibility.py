"""The HTML pages for every reader: landmarks and table scopes, results never told by colour alone,
and WCAG 2.1 AA contrast for the palette and the fixed colours (page parsing: tests/report/html_page.py).
"""

from __future__ import annotations

import re

import pytest

from fhir_eligibility.evaluation.results import Report
from fhir_eligibility.report.html import PALETTE, render_report_html
from tests.report.html_page import checklist_of, evil_report, parse


def test_semantic_frame(mini_report: Report) -> None:
    page = parse(render_report_html(mini_report))
    (html_el,) = page.find("html")
    assert html_el.attrs.get("lang") == "en"
    assert page.find("meta", charset="utf-8") and page.find("title") and page.find("main") and page.find("nav")
    assert page.find("h1") and page.find("h2") and page.find("h3")
    ths = page.find("th")
    assert ths and all(th.attrs.get("scope") in ("col", "row") for th in ths)
    for svg in page.find("svg"):  # decorative icons are hidden; plots are images with a title and description
        assert svg.attrs.get("aria-hidden") == "true" or (
            svg.attrs.get("role") == "img" and "aria-labelledby" in svg.attrs
        )


BADGE = re.compile(
    r'<span class="badge s-([a-z-]+)" data-testid="([a-z-]+)">'
    r'<svg class="icon" aria-hidden="true"><use href="#i-(?:pass|fail|unknown|manual|review)"/></svg> ([^<]+)</span>'
)


def test_labels_never_rest_on_colour_alone(mini_report: Report) -> None:
    html = render_report_html(mini_report)
    badges = BADGE.findall(html)
    assert html.count('class="badge ') == len(badges), "every badge has an icon and a text label"
    assert ("needs-review", "verdict", "Needs review") in badges
    assert [(cid, result) for _a, cid, result, _r, _p in checklist_of(html)] == [
        ("age", "pass"),
        ("hb", "pass"),
        ("net", "pass"),
        ("consent", "manual"),
        ("alt", "pass"),
    ]
    # the script draws every result with an icon and a label (the browser tests look at them)
    script = "".join(parse(html).scripts)
    for state, label in (("pass", "Pass"), ("fail", "Fail"), ("unknown", "Unknown"), ("manual", "Manual check")):
        assert f"{state}:['{state}','{label}']" in script
    assert "review:['review','Needs review']" in script and "'not-met':['fail','Not met']" in script


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("state", sorted(PALETTE))
def test_palette_meets_wcag_aa(state: str) -> None:
    ink, bg, edge = PALETTE[state]
    assert contrast(ink, bg) >= 4.5, "badge text on its background"
    assert contrast(edge, "#ffffff") >= 3.0, "bar/border against the page (non-text contrast)"
    assert contrast("#ffffff", edge) >= 4.5, "white count labels inside funnel bars"


def test_fixed_colours_in_css_meet_wcag_aa() -> None:
    html = render_report_html(evil_report())
    css = "".join(parse(html).styles)
    for ink in ("#111827", "#4b5563", "#374151", "#1d4ed8", "#1e3a8a", "#7f1d1d"):
        assert ink in css
        assert contrast(ink, "#ffffff") >= 4.5
    assert contrast("#1e3a8a", "#e0e7ff") >= 4.5  # window label on the shaded band
    assert contrast("#4b5563", "#f8fafc") >= 4.5  # muted text in the what-to-collect box
