"""The HTML pages without a browser: escaping, self-containment, plots with thresholds, print CSS, contrast.

Why a structural parse rather than string matching: "no fetches" and "every <th> has a scope" are claims about
elements and attributes, and a hostile string in the data must never become one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import (
    CriterionResult,
    Evidence,
    MissingData,
    Point,
    Report,
    Result,
    Series,
    TrialResult,
    Verdict,
)
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.report.html import PALETTE, render_report_html, render_screening_html

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "mini"
EVIL = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>&amp;"
AS_OF = dt.date(2026, 6, 1)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parents: tuple[str, ...]


@dataclass
class Page(HTMLParser):
    """Every element with its attributes and ancestors, and the text of <style> and <script>."""

    elements: list[Element] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)  # inert <script type="application/json"> blocks
    text: list[str] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "col", "wbr", "source", "area", "base"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}, tuple(self.stack)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}, tuple(self.stack)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "style":
            self.styles.append(data)
        elif self.stack and self.stack[-1] == "script":
            last = next(e for e in reversed(self.elements) if e.tag == "script")
            (self.data if last.attrs.get("type") == "application/json" else self.scripts).append(data)
        else:
            self.text.append(data)

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag) and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    p.close()
    return p


def stored(html: str) -> dict[str, Any]:
    """The page's data block (checklists and lab plots, drawn by its script), strings resolved."""
    (block,) = parse(html).data
    data: dict[str, Any] = json.loads(block)
    return data


def plots_of(html: str) -> list[dict[str, Any]]:
    data = stored(html)
    texts = data["texts"]
    return [{**g, "criteria": [texts[u[1]] for u in g["users"]]} for gs in data.get("labs", {}).values() for g in gs]


def checklist_of(html: str) -> list[tuple[str, str, str, str, list[Any]]]:
    """(element id, criterion id, result, reason, parts) of every top-level criterion, in page order."""
    data = stored(html)
    texts = data["texts"]
    return [
        (c[0], texts[c[1]], c[2], texts[c[4]], c[8])
        for groups in data.get("checklists", {}).values()
        for _id, _h, _n, crits in groups
        for c in crits
    ]


def evil_report() -> Report:
    """Every string field carries markup; numbers and dates are ordinary."""
    series = Series(
        label=EVIL,
        unit=EVIL,
        points=(Point("2026-05-01", 3.0, EVIL), Point("2026-05-20", 6.5, "Observation/o2")),
        thresholds=((">", 5.0),),
        window=("2026-05-04", "2026-06-01"),
    )
    child = CriterionResult(EVIL, "exclusion", EVIL, Result.FAIL, EVIL, (Evidence(EVIL, EVIL, EVIL, EVIL, EVIL),))
    top = CriterionResult(
        EVIL,
        "exclusion",
        EVIL,
        Result.REVIEW,
        EVIL,
        (Evidence(EVIL, 6.5, EVIL, "2026-05-20", EVIL),),
        children=(child,),
        series=(series,),
    )
    trial = TrialResult(
        f"Patient/{EVIL}",
        EVIL,
        EVIL,
        Verdict.NEEDS_REVIEW,
        (top,),
        (MissingData(EVIL, EVIL, (EVIL,), EVIL, EVIL),),
    )
    return Report(AS_OF, (trial,), (EVIL,))


def evil_screening() -> dict[str, object]:
    return {
        "asOf": EVIL,
        "patients": 3,
        "source": EVIL,
        "warnings": [EVIL],
        "trials": [
            {
                "trial": EVIL,
                "title": EVIL,
                "counts": {"eligible": 1, EVIL: 2},
                "funnel": [{"criterion": EVIL, "pass": 2, "fail": 1, "unknown": 0, "manual": 0, "review": 0}],
                "candidates": [
                    {"patient": EVIL, "verdict": EVIL, "missing": [EVIL, {"criterion": EVIL, "what": EVIL}]},
                    {"patient": "Patient/a", "verdict": "eligible", "missing": []},
                ],
            }
        ],
    }


@pytest.fixture(scope="module")
def mini_report() -> Report:
    trials = load_trials([MINI])
    return evaluate_files([MINI / "patient.json"], trials, AS_OF, Settings(collect_series=True))


# ---- escaping -----------------------------------------------------------------------------------------


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


def test_numbers_and_dates_read_naturally(mini_report: Report) -> None:
    texts = stored(render_report_html(mini_report))["texts"]
    assert "Observation/o1" in texts
    assert "85 g/L (= 8.5 g/dL) on 2026-05-20 ≥ 8 g/dL" in texts  # the fixture's Hb, compared, no float noise
    assert not any(re.search(r"\d\.\d{4,}", t) for t in texts)


# ---- self-contained -----------------------------------------------------------------------------------

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


# ---- plots ---------------------------------------------------------------------------------------------


def test_each_series_gets_a_plot_with_its_threshold_lines(mini_report: Report) -> None:
    html = render_report_html(mini_report)
    plots = plots_of(html)
    with_series = {c.id: c for r in mini_report.results for c in r.criteria if c.series}
    assert set(with_series) == {"hb", "alt"}, "the mini fixture has two lab criteria"
    for cid, c in with_series.items():
        (g,) = [g for g in plots if cid in g["criteria"]]
        drawn = {(h[1], float(h[2])) for h in g["thresholds"]}
        for s in c.series:
            assert set(s.thresholds) <= drawn, (cid, s.thresholds, drawn)
    assert len(plots) == 2 and all(len(g["windows"]) == 1 for g in plots)
    assert {float(h[2]) for g in plots for h in g["thresholds"]} == {8.0, 2.5}
    # each criterion links to its plot, which sits once in the patient's lab section
    links = {
        cid: c[7]
        for c in stored(html)["checklists"]["p0-t0"][0][3] + stored(html)["checklists"]["p0-t0"][1][3]
        for cid in [stored(html)["texts"][c[1]]]
    }
    assert [g[0] for g in links["hb"]] == [next(g["id"] for g in plots if "hb" in g["criteria"])]
    assert 'data-plots="p0"' in html


def test_series_sharing_data_share_one_plot_and_keep_every_threshold() -> None:
    pts = (Point("2026-05-10", 3.0, "Observation/a"),)
    s1 = Series("ALT > 5 x ULN", "x ULN", pts, ((">", 5.0),), ("2026-05-04", "2026-06-01"))
    s2 = Series("ALT > 2.5 x ULN", "x ULN", pts, ((">", 2.5),), ("2026-05-04", "2026-06-01"))
    empty = Series("AST > 5 x ULN", "x ULN", (), ((">", 5.0),), ("2026-05-04", "2026-06-01"))
    kid = CriterionResult("k", "exclusion", "ALT > 2.5", Result.FAIL, "r", series=(s2,))
    c = CriterionResult("E7b", "exclusion", "liver", Result.PASS, "r", children=(kid,), series=(s1, s2, empty))
    report = Report(AS_OF, (TrialResult("Patient/p", "NCT1", "t", Verdict.ELIGIBLE, (c,), ()),))
    (g,) = plots_of(render_report_html(report))  # ALT (two thresholds); AST has no value: no chart
    assert sorted(float(h[2]) for h in g["thresholds"]) == [2.5, 5.0]
    assert len(g["points"]) == 1


def test_one_lab_read_by_two_trials_is_drawn_once_with_both_thresholds_and_windows() -> None:
    pts = (Point("2026-05-10", 7.9, "Observation/hb"),)
    a = Series("Hb >= 8", "g/dL", pts, ((">=", 8.0),), ("2026-05-04", "2026-06-01"))
    b = Series("Hb >= 9", "g/dL", pts, ((">=", 9.0),), ("2026-04-01", "2026-06-01"))
    c1 = CriterionResult("A", "inclusion", "Hb", Result.FAIL, "r", series=(a,))
    c2 = CriterionResult("E", "inclusion", "Hb", Result.FAIL, "r", series=(b,))
    r1 = TrialResult("Patient/p", "NCT1", "t", Verdict.INELIGIBLE, (c1,), ())
    r2 = TrialResult("Patient/p", "NCT2", "t", Verdict.INELIGIBLE, (c2,), ())
    (g,) = plots_of(render_report_html(Report(AS_OF, (r1, r2))))
    assert g["criteria"] == ["A", "E"]
    assert sorted(float(h[2]) for h in g["thresholds"]) == [8.0, 9.0]
    assert len(g["windows"]) == 2


def test_range_thresholds_and_open_window_are_drawn() -> None:
    s = Series(
        "ECOG 0..2",
        None,
        (Point("2025-01-01", 1.0, "Observation/e1"), Point("2026-05-30", 3.0, "Observation/e2")),
        ((">=", 0.0), ("<=", 2.0)),
        (None, "2026-06-01"),
    )
    c = CriterionResult("ecog", "inclusion", "ECOG", Result.FAIL, "r", series=(s,))
    (g,) = plots_of(
        render_report_html(Report(AS_OF, (TrialResult("Patient/p", "N", "t", Verdict.INELIGIBLE, (c,), ()),)))
    )
    assert {(h[1], h[2]) for h in g["thresholds"]} == {(">=", "0"), ("<=", "2")}
    ((x0, width),) = g["windows"]
    assert width > 0 and x0 == 50  # open start: the band starts at the axis
    # geometry stays inside the drawing; the later point is inside the window, both are
    for cx, cy, inside, *_rest in g["points"]:
        assert 0 <= cx <= 380 and 0 <= cy <= 180 and inside == 1


def test_a_point_with_a_bad_date_is_left_out_not_fatal() -> None:
    s = Series("x", "u", (Point("not a date", 1.0, "Observation/z"),), (("<", 2.0),), ("2026-05-04", "2026-06-01"))
    c = CriterionResult("c", "inclusion", "d", Result.UNKNOWN, "r", series=(s,))
    html = render_report_html(Report(AS_OF, (TrialResult("Patient/p", "N", "t", Verdict.UNDETERMINED, (c,), ()),)))
    assert plots_of(html) == [] and 'data-plots="' not in html  # no value that can be placed: no (empty) chart


# ---- output shape --------------------------------------------------------------------------------------


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


def test_rendering_is_pure_and_deterministic(mini_report: Report) -> None:
    assert render_report_html(mini_report) == render_report_html(mini_report)
    assert render_screening_html(evil_screening()) == render_screening_html(evil_screening())


def test_empty_inputs_render() -> None:
    assert "No results" in render_report_html(Report(AS_OF, ()))
    assert "No trials were screened" in render_screening_html({})


# ---- print ---------------------------------------------------------------------------------------------


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


# ---- screening -----------------------------------------------------------------------------------------


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


# ---- contrast (WCAG 2.1 AA) ----------------------------------------------------------------------------


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


def test_candidates_link_to_their_pages_only_when_written() -> None:
    from fhir_eligibility.screening.pages import page_name

    data = {"trials": [{"trial": "N", "candidates": [{"patient": "Patient/a b", "verdict": "eligible"}]}]}
    assert "patient-page" not in render_screening_html(data)
    html = render_screening_html(data, {"Patient/a b": "patients/" + page_name("Patient/a b")})
    # the id made file-safe, then the first 16 hex digits of sha256("a b")
    assert '<a href="patients/a_b-c8687a08aa5d6ed2.html" data-testid="patient-page">Patient/a b</a>' in html
    assert page_name("Patient/../../etc") == ".._.._etc-74ccf3c5b4c19a81.html"  # no path separators survive
