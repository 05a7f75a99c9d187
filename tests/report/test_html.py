"""The HTML pages without a browser: data never becomes markup, nothing is fetched, rendering is pure,
and the print stylesheet (page parsing and hostile data: tests/report/html_page.py).

Plots: test_html_plots.py; the checklist and what to collect: test_html_checklist.py; the screening
dashboard: test_html_screening.py; landmarks, labels and contrast: test_html_accessibility.py.
"""

from __future__ import annotations

import json
import re

import pytest

from fhir_eligibility.evaluation.results import Report
from fhir_eligibility.report.html import render_report_html, render_screening_html
from tests.report.html_page import AS_OF, EVIL, evil_report, evil_screening, parse


@pytest.mark.parametrize("render", ["report", "screening"])
def test_data_never_becomes_markup(render: str) -> None:
    html = render_report_html(evil_report()) if render == "report" else render_screening_html(evil_screening())
    assert "<script>alert" not in html and "<img" not in html
    page = parse(html)
    assert not page.find("img")
    assert all(not k.startswith("on") for e in page.elements for k in e.attrs), "an event handler attribute leaked"
    executable = [s for s in page.find("script") if "type" not in s.attrs]
    assert len(executable) == 1 and "alert" not in "".join(page.scripts)
    assert all(s.attrs["type"] == "application/json" for s in page.find("script") if s not in executable)
    assert not any(c in d for d in page.data for c in "<>&"), "a stored string could close its block"
    # the text survives, escaped, so a reader still sees what the data said
    assert "<script>alert(1)</script>" in "".join(page.text)
    assert all(EVIL in json.loads(d) or EVIL in d.encode().decode("unicode_escape") for d in page.data)


FETCHING_ATTRS = ("src", "srcset", "href", "xlink:href", "action", "poster", "data", "formaction", "background")


@pytest.mark.parametrize("render", ["report", "screening", "mini"])
def test_nothing_is_fetched(render: str, mini_report: Report) -> None:
    html = {
        "report": lambda: render_report_html(evil_report()),
        "screening": lambda: render_screening_html(evil_screening()),
        "mini": lambda: render_report_html(mini_report),
    }[render]()
    page = parse(html)
    assert not page.find("link") and not page.find("iframe") and not page.find("object")
    for e in page.elements:
        for a in FETCHING_ATTRS:
            v = e.attrs.get(a, "").strip()
            assert not v or v.startswith("#"), f"<{e.tag} {a}={v!r}> would load something"
        if e.tag == "script":
            assert "src" not in e.attrs
    css = "".join(page.styles)
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    js = "".join(page.scripts)
    assert not re.search(r"fetch\(|XMLHttpRequest|import\(|\.src\s*=|https?://", js)
    # the only absolute URLs allowed in markup are namespace names (xmlns), which are never fetched
    for e in page.elements:
        for k, v in e.attrs.items():
            if k != "xmlns" and k != "content":
                assert not re.match(r"\s*(https?:)?//", v), (e.tag, k, v)
    (csp,) = page.find("meta", http_equiv="Content-Security-Policy")
    assert "default-src 'none'" in csp.attrs["content"]


def test_rendering_is_pure_and_deterministic(mini_report: Report) -> None:
    assert render_report_html(mini_report) == render_report_html(mini_report)
    assert render_screening_html(evil_screening()) == render_screening_html(evil_screening())


def test_empty_inputs_render() -> None:
    assert "No results" in render_report_html(Report(AS_OF, ()))
    assert "No trials were screened" in render_screening_html({})


@pytest.mark.parametrize("render", ["report", "screening"])
def test_print_css(render: str) -> None:
    html = render_report_html(evil_report()) if render == "report" else render_screening_html(evil_screening())
    css = "".join(parse(html).styles)
    m = re.search(r"@media print\{(.*)\}", css, re.S)
    assert m, "no print stylesheet"
    body = m.group(1)
    assert "details::details-content" in body and "content-visibility:visible" in body  # collapsed parts print
    assert re.search(r"\.criterion[^{]*\{[^}]*break-inside:avoid", body)  # a criterion is not split across pages
    assert "@page" in body
    assert "beforeprint" in "".join(parse(html).scripts)  # browsers without ::details-content open them by script
