"""HTML pages for people: the patient eligibility page (``evaluate --format html``) and the screening
dashboard (``screen --format html``). Coordinators look; they don't read JSON.

Both are pure functions of data already computed (a :class:`Report`, or the screening JSON dict): they
never re-evaluate. Plain string building with :func:`html.escape` rather than Jinja2 templates: no new
runtime dependency or package data, mypy checks every line, and the SVG geometry is computed in Python
anyway. Every string from definitions or patient data goes through :func:`_e` (a test pushes markup
through each field). Pages are self-contained: inline CSS, SVG and a few lines of JS, system fonts, and a
Content-Security-Policy (``default-src 'none'``) so the browser refuses any fetch that might slip in.
Results are shown by colour *and* an icon and a text label; colours are from :data:`PALETTE`, whose
contrast a test checks against WCAG AA.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fhir_eligibility import codes
from fhir_eligibility.evaluation.results import (
    CriterionResult,
    Evidence,
    MissingData,
    Report,
    Result,
    Series,
    TrialResult,
    Verdict,
)

# (text colour, background, border/fill) per state; text on background >= 4.5:1, fill on white >= 3:1.
PALETTE: dict[str, tuple[str, str, str]] = {
    "pass": ("#14532d", "#dcfce7", "#15803d"),
    "fail": ("#7f1d1d", "#fee2e2", "#b91c1c"),
    "unknown": ("#713f12", "#fef3c7", "#a16207"),
    "manual": ("#3b0764", "#f3e8ff", "#7e22ce"),
    "review": ("#7c2d12", "#ffedd5", "#c2410c"),
    "eligible": ("#14532d", "#dcfce7", "#15803d"),
    "ineligible": ("#7f1d1d", "#fee2e2", "#b91c1c"),
    "undetermined": ("#713f12", "#fef3c7", "#a16207"),
    "needs-review": ("#7c2d12", "#ffedd5", "#c2410c"),
    "met": ("#1e3a8a", "#dbeafe", "#1d4ed8"),
    "not-met": ("#1f2937", "#f3f4f6", "#4b5563"),
}
RESULT_LABEL = {
    Result.PASS: "Pass",
    Result.FAIL: "Fail",
    Result.UNKNOWN: "Unknown",
    Result.MANUAL: "Manual check",
    Result.REVIEW: "Needs review",
}
# Sub-criteria say whether their part of the rule holds; green/red would mislead under an exclusion.
PART_LABEL = {
    Result.PASS: ("met", "Met"),
    Result.FAIL: ("not-met", "Not met"),
    Result.UNKNOWN: ("unknown", "Unknown"),
    Result.MANUAL: ("manual", "Manual check"),
    Result.REVIEW: ("review", "Needs review"),
}
VERDICT_LABEL = {
    Verdict.ELIGIBLE: "Eligible",
    Verdict.INELIGIBLE: "Ineligible",
    Verdict.UNDETERMINED: "Undetermined",
    Verdict.NEEDS_REVIEW: "Needs review",
}
VERDICT_ICON = {"eligible": "pass", "ineligible": "fail", "undetermined": "unknown", "needs-review": "review"}
STATE_ICON = {"met": "pass", "not-met": "fail"}
_ICON_PATHS = {
    "pass": "M2 6.5 5 9.5 10 2.5",
    "fail": "M3 3 9 9M9 3 3 9",
    "unknown": "M4 4.3a2 2 0 1 1 3 1.8c-.8.5-1 .9-1 1.9M6 9.6v.6",
    "manual": "M2 10 2.8 7.4 8 2.2 9.8 4 4.6 9.2Z",
    "review": "M3 11V1.5M3 2h6.5L8 4.5 9.5 7H3",
}
RESULT_ORDER = ("pass", "fail", "unknown", "manual", "review")
VERDICT_ORDER = ("eligible", "needs-review", "undetermined", "ineligible")

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def _e(value: object) -> str:
    """Escape anything for text and quoted attributes; None shows as an em dash."""
    return "—" if value is None else html.escape(str(value), quote=True)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else format(v, ".6g")


def _value(v: str | float | int | bool | None) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float | int):
        return _num(float(v))
    return "—" if v is None else str(v)


def _icon(kind: str) -> str:
    path = _ICON_PATHS[STATE_ICON.get(kind, VERDICT_ICON.get(kind, kind))]
    return (
        '<svg class="icon" viewBox="0 0 12 12" width="12" height="12" aria-hidden="true" focusable="false">'
        f'<path d="{path}"/></svg>'
    )


def _badge(state: str, label: str, testid: str = "result-label") -> str:
    return f'<span class="badge s-{state}" data-testid="{testid}">{_icon(state)} {_e(label)}</span>'


# ---- shared page frame ------------------------------------------------------------------------------

_CSS_BASE = """
:root{color-scheme:light;--ink:#111827;--muted:#4b5563;--line:#d1d5db;--band:#e0e7ff}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:1.5rem;color:var(--ink);background:#fff;line-height:1.45;
 font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.35rem;margin:2rem 0 .5rem;border-bottom:2px solid var(--ink)}
h3{font-size:1.15rem;margin:1.5rem 0 .4rem}h4{font-size:1rem;margin:1rem 0 .4rem}
.muted,.meta{color:var(--muted)}
code,.ref{font-family:"DejaVu Sans Mono",monospace;font-size:.86em;overflow-wrap:anywhere}
a{color:#1d4ed8}a:focus-visible,button:focus-visible,summary:focus-visible,input:focus-visible,select:focus-visible
 {outline:3px solid #1d4ed8;outline-offset:2px}
.badge{display:inline-flex;align-items:center;gap:.3em;padding:.05em .5em;border:1px solid;border-radius:.3em;
 font-weight:600;font-size:.85rem;white-space:nowrap}
.icon{fill:none;stroke:currentColor;stroke-width:1.8;stroke-linecap:round;stroke-linejoin:round;flex:none}
table{border-collapse:collapse;margin:.3rem 0;font-size:.88rem}
th,td{border:1px solid var(--line);padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.date,td.num{white-space:nowrap}
details>summary{cursor:pointer;color:#1e3a8a;font-weight:600}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.4rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
"""

_CSS_PRINT = """
@media print{
 body{max-width:none;padding:0;font-size:10.5pt}
 @page{margin:14mm 12mm}
 .skip,.controls,button.sort .arrow{display:none}
 details::details-content{content-visibility:visible;display:block}
 details>summary{list-style:none}
 /* a criterion stays on one page; one whose expanded parts are long breaks between parts, not inside one */
 .criterion:not(:has(details.parts)),.crit-main,.part:not(:has(details.parts)),figure,tr,.collect li
  {break-inside:avoid;page-break-inside:avoid}
 h2,h3,h4{break-after:avoid;page-break-after:avoid}
 .trial+.trial,.patient+.patient{break-before:page}
 .trial{border:0;padding:0}
 .badge,.bar,.window,.point{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 a{color:inherit;text-decoration:none}
}
"""

# Print from a browser's menu: open every <details> first (also covers browsers without ::details-content).
_JS_PRINT = """
addEventListener('beforeprint',function(){document.querySelectorAll('details:not([open])').forEach(function(d){
 d.setAttribute('open','');d.setAttribute('data-print-opened','');});});
addEventListener('afterprint',function(){document.querySelectorAll('details[data-print-opened]').forEach(function(d){
 d.removeAttribute('open');d.removeAttribute('data-print-opened');});});
"""


def _palette_css() -> str:
    out = []
    for state, (ink, bg, edge) in PALETTE.items():
        out.append(f".s-{state}{{color:{ink};background:{bg};border-color:{edge}}}")
        out.append(f".bar.f-{state},.swatch.f-{state}{{fill:{edge};background:{edge}}}")
        out.append(f".criterion.c-{state}{{border-left-color:{edge}}}")
    return "\n".join(out)


def _page(title: str, css: str, body: str, script: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="fhir-eligibility">\n'
        f"<title>{_e(title)}</title>\n"
        f"<style>{_CSS_BASE}{_palette_css()}{css}{_CSS_PRINT}</style>\n"
        "</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to content</a>\n'
        f"{body}\n"
        f"<script>{_JS_PRINT}{script}</script>\n"
        "</body>\n</html>\n"
    )


# ---- patient page -----------------------------------------------------------------------------------

_CSS_PATIENT = """
.toc ol{margin:.2rem 0;padding-left:1.4rem}.toc li{margin:.15rem 0}
.patient{margin-top:1.5rem}
.trial{border:1px solid var(--line);border-radius:.4rem;padding:.3rem 1rem 1rem;margin:1rem 0}
.trial>h3 .title{display:block;font-weight:400;font-size:.95rem;color:var(--muted)}
.summary{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.2rem 0}
.verdict .badge{font-size:1rem}
.collect{background:#f8fafc;border-left:4px solid #a16207;padding:.2rem .8rem .5rem;margin:.6rem 0}
.collect ul{margin:.2rem 0;padding-left:1.2rem}
ol.checklist{list-style:none;padding:0;margin:0}
.criterion{border-top:1px solid var(--line);padding:.45rem 0 .45rem .6rem;border-left:5px solid var(--line)}
.crit-head{display:flex;flex-wrap:wrap;gap:.5rem;align-items:baseline}
.crit-id{font-weight:700;font-family:"DejaVu Sans Mono",monospace;font-size:.9rem}
.desc{flex:1 1 24rem}
.reason{margin:.2rem 0 .2rem;color:#374151;font-size:.9rem}
.parts{margin:.3rem 0 0}.parts ol{list-style:none;padding-left:1rem;margin:.2rem 0;border-left:2px dotted var(--line)}
.part{padding:.25rem 0}
.plots{display:flex;flex-wrap:wrap;gap:1rem;margin:.4rem 0}
figure.lab-plot{margin:0;max-width:25rem}
figure.lab-plot figcaption{font-size:.8rem;color:#374151}
.lab-plot svg{display:block;border:1px solid var(--line);background:#fff}
.window{fill:var(--band)}.axis{stroke:#6b7280;stroke-width:1}.grid{stroke:#e5e7eb;stroke-width:1}
.threshold{stroke:#b91c1c;stroke-width:1.5;stroke-dasharray:5 3}
.values-line{fill:none;stroke:#1f2937;stroke-width:1.5}
.point{stroke:#1f2937;stroke-width:1.5}.point.in{fill:#1f2937}.point.out{fill:#fff}
.tick{font-size:10px;fill:#374151}.thr-label{font-size:10px;fill:#7f1d1d;font-weight:700}
.window-label{font-size:10px;fill:#1e3a8a}.nodata{font-size:11px;fill:#374151}
"""


def render_report_html(report: Report) -> str:
    """One self-contained page for a run: per patient and trial the verdict, checklist, evidence, plots."""
    by_patient: dict[str, list[TrialResult]] = {}
    for r in report.results:
        by_patient.setdefault(r.patient, []).append(r)
    title = f"Trial eligibility as of {report.as_of.isoformat()}"
    parts = [
        "<header>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">{len(by_patient)} patient(s), {len(report.results)} patient × trial result(s). '
        "Each criterion shows its result as an icon and a label, the reason, and the record, value, unit and "
        "date it rests on.</p>",
    ]
    if any(r.assumed_attested for r in report.results):
        parts.append('<p class="meta"><strong>Manual criteria were assumed attested</strong> (--assume-attested).</p>')
    if report.warnings:
        parts.append('<section aria-labelledby="warn-h"><h2 id="warn-h">Data warnings</h2><ul>')
        parts.extend(f"<li>{_e(w)}</li>" for w in report.warnings)
        parts.append("</ul></section>")
    parts.append("</header>")
    parts.append(_toc(by_patient))
    parts.append('<main id="main">')
    if not report.results:
        parts.append("<p>No results: no patients or no trials were evaluated.</p>")
    for i, (patient, results) in enumerate(by_patient.items()):
        pid = f"p{i}"
        parts.append(f'<section class="patient" id="{pid}" aria-labelledby="{pid}-h" data-patient="{_e(patient)}">')
        parts.append(f'<h2 id="{pid}-h">{_e(patient)}</h2>')
        for j, r in enumerate(results):
            parts.append(_trial_section(r, f"{pid}-t{j}", report.as_of))
        parts.append("</section>")
    parts.append("</main>")
    return _page(title, _CSS_PATIENT, "\n".join(parts), "")


def _toc(by_patient: Mapping[str, Sequence[TrialResult]]) -> str:
    out = ['<nav class="toc" aria-labelledby="toc-h"><h2 id="toc-h">Contents</h2><ol>']
    for i, (patient, results) in enumerate(by_patient.items()):
        out.append(f'<li><a href="#p{i}">{_e(patient)}</a><ol>')
        for j, r in enumerate(results):
            v = r.verdict.value
            why = ", ".join(c.id for c in _deciding(r))
            out.append(
                f'<li><a href="#p{i}-t{j}">{_e(r.trial)}</a> {_badge(v, VERDICT_LABEL[r.verdict], "toc-verdict")}'
                + (f' <span class="muted">{_e(why)}</span>' if why else "")
                + "</li>"
            )
        out.append("</ol></li>")
    out.append("</ol></nav>")
    return "\n".join(out)


def _counts(criteria: Iterable[CriterionResult]) -> dict[Result, int]:
    counts = {r: 0 for r in Result}
    for c in criteria:
        counts[c.result] += 1
    return counts


# The results that decide each verdict (evaluation.engine.verdict_of), listed up front: "why not eligible?"
DECIDING = {
    Verdict.INELIGIBLE: (Result.FAIL,),
    Verdict.UNDETERMINED: (Result.UNKNOWN,),
    Verdict.NEEDS_REVIEW: (Result.REVIEW, Result.MANUAL),
    Verdict.ELIGIBLE: (),
}
_KINDS = (
    ("inclusion", "Inclusion criteria", ""),
    ("exclusion", "Exclusion criteria", " (pass = patient not excluded)"),
)


def _anchors(r: TrialResult, sid: str) -> list[tuple[str, CriterionResult]]:
    """Each top-level criterion with its element id, grouped as the checklist shows them."""
    out: list[tuple[str, CriterionResult]] = []
    for kind, _h, _n in _KINDS:
        out.extend((f"{sid}-{kind[0]}{k}", c) for k, c in enumerate(c for c in r.criteria if c.type == kind))
    others = (c for c in r.criteria if c.type not in ("inclusion", "exclusion"))
    out.extend((f"{sid}-o{k}", c) for k, c in enumerate(others))
    return out


def _deciding(r: TrialResult) -> list[CriterionResult]:
    return [c for c in r.criteria if c.result in DECIDING[r.verdict]]


def _trial_section(r: TrialResult, sid: str, as_of: dt.date) -> str:
    v = r.verdict.value
    counts = _counts(r.criteria)
    summary = " · ".join(f"{n} {RESULT_LABEL[res].lower()}" for res, n in counts.items() if n)
    anchors = _anchors(r, sid)
    out = [
        f'<section class="trial" id="{sid}" aria-labelledby="{sid}-h" data-testid="trial" '
        f'data-trial="{_e(r.trial)}" data-verdict="{_e(v)}">',
        f'<h3 id="{sid}-h">{_e(r.trial)}<span class="title">{_e(r.title)}</span></h3>',
        f'<p class="summary verdict"><span>Verdict:</span> {_badge(v, VERDICT_LABEL[r.verdict], "verdict")}'
        f' <span class="muted">({_e(summary)})</span></p>',
    ]
    deciding = _deciding(r)
    if deciding:
        links = ", ".join(
            f'<a href="#{aid}">{_e(c.id)}</a> ({RESULT_LABEL[c.result].lower()})' for aid, c in anchors if c in deciding
        )
        out.append(f'<p class="deciding" data-testid="deciding">Decided by: {links}</p>')
    if r.assumed_attested:
        out.append('<p class="muted">Manual criteria assumed attested.</p>')
    out.append(_collect(r.missing_data, sid))
    for kind, heading, note in _KINDS:
        crits = [(aid, c) for aid, c in anchors if c.type == kind]
        if not crits:
            continue
        out.append(f'<h4 id="{sid}-{kind}">{heading}<span class="muted">{note}</span></h4>')
        out.append(f'<ol class="checklist" aria-labelledby="{sid}-{kind}">')
        out.extend(_criterion(c, aid, as_of) for aid, c in crits)
        out.append("</ol>")
    others = [(aid, c) for aid, c in anchors if c.type not in ("inclusion", "exclusion")]
    if others:
        out.append(f'<h4 id="{sid}-other">Other criteria</h4><ol class="checklist">')
        out.extend(_criterion(c, aid, as_of) for aid, c in others)
        out.append("</ol>")
    out.append("</section>")
    return "\n".join(out)


def _collect(missing: Sequence[MissingData], sid: str) -> str:
    if not missing:
        return ""
    out = [
        f'<section class="collect" aria-labelledby="{sid}-collect" data-testid="collect">',
        f'<h4 id="{sid}-collect">What to collect next</h4><ul>',
    ]
    for m in missing:
        codes = ", ".join(f'<code title="{_e(c)}">{_e(_code(c))}</code>' for c in m.codes) or "no code"
        by = f"; by {_e(m.latest_useful)} at the latest" if m.latest_useful else ""
        out.append(
            f"<li><strong>{_e(m.what)}</strong> for <span class='crit-id'>{_e(m.criterion)}</span>: "
            f"in {_e(m.window)}{by} <span class='muted'>({codes})</span></li>"
        )
    out.append("</ul></section>")
    return "\n".join(out)


def _criterion(c: CriterionResult, cid: str, as_of: dt.date) -> str:
    state = c.result.value
    out = [
        f'<li class="criterion c-{state}" id="{cid}" data-testid="criterion" data-criterion="{_e(c.id)}" '
        f'data-result="{state}">',
        f'<div class="crit-main"><div class="crit-head">{_badge(state, RESULT_LABEL[c.result])}'
        f'<span class="crit-id">{_e(c.id)}</span><span class="desc">{_e(c.description)}</span></div>',
        f'<p class="reason">{_e(c.reason)}</p>',
    ]
    if c.attested:
        out.append('<p class="muted">Attested (manual part taken as confirmed).</p>')
    out.append(_evidence(c.evidence))
    groups = _plot_groups(_subtree_series(c))
    if groups:
        out.append('<div class="plots">')
        out.extend(_plot(g, f"{cid}-plot{n}", as_of) for n, g in enumerate(groups))
        out.append("</div>")
    out.append("</div>")
    if c.children:
        out.append(_parts(c.children, cid))
    out.append("</li>")
    return "\n".join(out)


def _parts(children: Sequence[CriterionResult], cid: str) -> str:
    """Sub-criteria, collapsed: 'met' = this part of the rule holds (after any NOT in the definition)."""
    met = sum(1 for k in children if k.result is Result.PASS)
    out = [
        '<details class="parts" data-testid="parts">',
        f"<summary>How this was decided: {len(children)} part(s), {met} met</summary>",
        "<ol>",
    ]
    for n, k in enumerate(children):
        state, label = PART_LABEL[k.result]
        out.append(
            f'<li class="part" id="{cid}-{n}" data-testid="part" data-criterion="{_e(k.id)}" data-result="{_e(state)}">'
        )
        out.append(f'<div class="crit-head">{_badge(state, label, "part-label")}<span class="desc">')
        negation = '<strong class="not">NOT:</strong> ' if k.negated else ""
        out.append(f"{negation}{_e(k.description or k.id)}</span></div>")
        if k.reason and k.reason != k.description:
            out.append(f'<p class="reason">{_e(k.reason)}</p>')
        out.append(_evidence(k.evidence))
        if k.children:
            out.append(_parts(k.children, f"{cid}-{n}"))
        out.append("</li>")
    out.append("</ol></details>")
    return "\n".join(out)


_SYSTEMS = {
    codes.LOINC: "LOINC",
    codes.SNOMED: "SNOMED CT",
    codes.ICD10CM: "ICD-10-CM",
    codes.ICD10: "ICD-10",
    codes.RXNORM: "RxNorm",
    codes.ATC: "ATC",
}


def _code(system_code: str) -> str:
    """'http://loinc.org|718-7' -> 'LOINC 718-7': coordinators know the names, not the URIs."""
    system, sep, code = system_code.rpartition("|")
    return f"{_SYSTEMS.get(system, system)} {code}" if sep else system_code


def _evidence(evidence: Sequence[Evidence]) -> str:
    if not evidence:
        return ""
    out = [
        '<table class="evidence" data-testid="evidence"><caption class="visually-hidden">Evidence</caption>'
        '<thead><tr><th scope="col">Record</th><th scope="col">Value</th><th scope="col">Unit</th>'
        '<th scope="col">Date</th><th scope="col">Note</th></tr></thead><tbody>'
    ]
    for ev in evidence:
        ref = f'<span class="ref">{_e(ev.reference)}</span>' if ev.reference else "derived"
        out.append(
            f"<tr><td>{ref}</td><td>{_e(_value(ev.value))}</td><td>{_e(ev.unit)}</td>"
            f"<td class='date'>{_e(ev.date)}</td><td>{_e(ev.note or '')}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


# ---- lab plots ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PlotGroup:
    """Series that share their data points (e.g. ALT > 5 x ULN and ALT > 2.5 x ULN) share one plot."""

    labels: tuple[str, ...]
    unit: str | None
    points: tuple[tuple[dt.date, float, str], ...]
    thresholds: tuple[tuple[str, float], ...]
    window: tuple[dt.date | None, dt.date | None]


def _subtree_series(c: CriterionResult) -> list[Series]:
    seen: list[Series] = []
    stack = [c]
    while stack:
        node = stack.pop(0)
        for s in node.series:
            if s not in seen:
                seen.append(s)
        stack.extend(node.children)
    return seen


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _plot_groups(series: Sequence[Series]) -> list[_PlotGroup]:
    """Merge series over the same points; undated or non-finite points are left out (they cannot be placed)."""
    groups: dict[object, _PlotGroup] = {}
    for s in series:
        pts = tuple(
            sorted(
                (d, float(p.value), p.reference)
                for p in s.points
                if (d := _date(p.date)) is not None and math.isfinite(p.value)
            )
        )
        key: object = (s.unit, pts, s.window) if pts else (s.label, s.unit, s.window)
        g = groups.get(key)
        if g is None:
            groups[key] = _PlotGroup((s.label,), s.unit, pts, s.thresholds, (_date(s.window[0]), _date(s.window[1])))
        else:
            labels = g.labels if s.label in g.labels else (*g.labels, s.label)
            thresholds = g.thresholds + tuple(t for t in s.thresholds if t not in g.thresholds)
            groups[key] = _PlotGroup(labels, g.unit, g.points, thresholds, g.window)
    return list(groups.values())


_W, _H = 380, 180
_L, _R, _T, _B = 50, 50, 28, 30  # margins; threshold labels go in the right one


def _nice_step(span: float, n: int = 4) -> float:
    """A 1/2/2.5/5 x 10^k step giving about ``n`` intervals, so axis labels are round numbers."""
    raw = span / n
    mag: float = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def _plot(g: _PlotGroup, pid: str, as_of: dt.date) -> str:
    """A small SVG: values over time, threshold line(s) dashed, the time window as a shaded band."""
    lo_w, hi_w = g.window
    dates = [p[0] for p in g.points] + [d for d in (lo_w, hi_w) if d is not None]
    first, last = (min(dates), max(dates)) if dates else (as_of, as_of)
    if lo_w is None and not g.points:
        first = last - dt.timedelta(days=90)
    d0, d1 = first, last
    if d0 == d1:
        d0, d1 = d0 - dt.timedelta(days=7), d1 + dt.timedelta(days=7)
    pad_days = max(1, round((d1 - d0).days * 0.04))
    d0, d1 = d0 - dt.timedelta(days=pad_days), d1 + dt.timedelta(days=pad_days)

    ys = [p[1] for p in g.points] + [t[1] for t in g.thresholds]
    lo_v, hi_v = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if lo_v == hi_v:
        lo_v, hi_v = lo_v - (abs(lo_v) * 0.2 or 1.0), hi_v + (abs(hi_v) * 0.2 or 1.0)
    pad = (hi_v - lo_v) * 0.08
    lo_v, hi_v = (max(0.0, lo_v - pad) if lo_v >= 0 else lo_v - pad), hi_v + pad
    step = _nice_step(hi_v - lo_v)
    y0, y1 = math.floor(lo_v / step) * step, math.ceil(hi_v / step) * step
    ticks = [y0 + k * step for k in range(round((y1 - y0) / step) + 1)]

    pw, ph = _W - _L - _R, _H - _T - _B

    def x(d: dt.date) -> float:
        return _L + pw * (d - d0).days / max(1, (d1 - d0).days)

    def y(v: float) -> float:
        return _T + ph * (1 - (v - y0) / (y1 - y0))

    unit = g.unit or ""
    label = " / ".join(g.labels)
    thr_text = "; ".join(f"{_comparator(c)} {_num(v)} {unit}".strip() for c, v in g.thresholds) or "none"
    win_text = f"{lo_w.isoformat() if lo_w else 'any time'} to {hi_w.isoformat() if hi_w else 'open'}"
    inside = [p for p in g.points if (lo_w is None or p[0] >= lo_w) and (hi_w is None or p[0] <= hi_w)]
    desc = f"{len(g.points)} value(s), {len(inside)} inside the window {win_text}; threshold {thr_text}." + (
        f" Latest {_num(g.points[-1][1])} {unit} on {g.points[-1][0].isoformat()}." if g.points else ""
    )
    out = [
        f'<figure class="lab-plot" data-testid="lab-plot" id="{pid}">',
        f'<svg viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" role="img" '
        f'aria-labelledby="{pid}-t" aria-describedby="{pid}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{pid}-t">{_e(label)}</title><desc id="{pid}-d">{_e(desc)}</desc>',
    ]
    wx0 = x(lo_w) if lo_w else _L
    wx1 = x(hi_w) if hi_w else _L + pw
    out.append(
        f'<rect class="window" data-testid="window" x="{wx0:.1f}" y="{_T}" width="{max(1.0, wx1 - wx0):.1f}" '
        f'height="{ph}"><title>{_e("window " + win_text)}</title></rect>'
    )
    out.append(f'<text class="window-label" x="{(wx0 + wx1) / 2:.1f}" y="{_T - 6}" text-anchor="middle">window</text>')
    for v in ticks:
        out.append(f'<line class="grid" x1="{_L}" y1="{y(v):.1f}" x2="{_L + pw}" y2="{y(v):.1f}"/>')
        out.append(f'<text class="tick" x="{_L - 4}" y="{y(v) + 3:.1f}" text-anchor="end">{_num(round(v, 6))}</text>')
    out.append(f'<line class="axis" x1="{_L}" y1="{_T}" x2="{_L}" y2="{_T + ph}"/>')
    out.append(f'<line class="axis" x1="{_L}" y1="{_T + ph}" x2="{_L + pw}" y2="{_T + ph}"/>')
    for d, anchor in ((first, "start"), (last, "end")) if first != last else ((first, "middle"),):
        out.append(f'<line class="axis" x1="{x(d):.1f}" y1="{_T + ph}" x2="{x(d):.1f}" y2="{_T + ph + 4}"/>')
        out.append(f'<text class="tick" x="{x(d):.1f}" y="{_H - 12}" text-anchor="{anchor}">{d.isoformat()}</text>')
    if unit:
        out.append(f'<text class="tick unit" x="4" y="{_T - 16}">{_e(unit)}</text>')
    label_ys: list[float] = []
    for comp, val in sorted(g.thresholds, key=lambda t: -t[1]):
        ty = y(val)
        out.append(
            f'<line class="threshold" data-testid="threshold" data-comparator="{_e(comp)}" data-value="{_num(val)}" '
            f'x1="{_L}" y1="{ty:.1f}" x2="{_L + pw}" y2="{ty:.1f}"><title>{_e(_comparator(comp))} {_num(val)} '
            f"{_e(unit)}</title></line>"
        )
        ly = max(ty + 3.5, label_ys[-1] + 11) if label_ys else ty + 3.5  # labels in the right margin, no overlap
        label_ys.append(ly)
        out.append(f'<text class="thr-label" x="{_L + pw + 3}" y="{ly:.1f}">{_e(_comparator(comp))} {_num(val)}</text>')
    if g.points:
        if len(g.points) > 1:
            pts = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v, _r in g.points)
            out.append(f'<polyline class="values-line" points="{pts}"/>')
        for d, v, ref in g.points:
            where = "in" if (d, v, ref) in inside else "out"
            out.append(
                f'<circle class="point {where}" data-testid="point" cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.5">'
                f"<title>{d.isoformat()}: {_num(v)} {_e(unit)} ({_e(ref)})"
                f"{'' if where == 'in' else ', outside the window'}</title></circle>"
            )
    else:
        out.append(
            f'<text class="nodata" x="{_L + pw / 2:.1f}" y="{_T + ph * 0.3:.1f}" text-anchor="middle">'
            "no values on record</text>"
        )
    out.append("</svg>")
    out.append(
        f"<figcaption><strong>{_e(label)}</strong>{' (' + _e(unit) + ')' if unit else ''}. Shaded: window "
        f"{_e(win_text)}; dashed: threshold {_e(thr_text)}; hollow dots: outside the window.</figcaption>"
    )
    if g.points:
        out.append(_values_table(g, unit))
    out.append("</figure>")
    return "\n".join(out)


def _values_table(g: _PlotGroup, unit: str) -> str:
    rows = "".join(
        f"<tr><td class='date'>{d.isoformat()}</td><td class='num'>{_num(v)}</td><td class='ref'>{_e(ref)}</td></tr>"
        for d, v, ref in g.points
    )
    return (
        f'<details class="values"><summary>Values ({len(g.points)})</summary><table>'
        f'<thead><tr><th scope="col">Date</th><th scope="col">Value{" (" + _e(unit) + ")" if unit else ""}</th>'
        f'<th scope="col">Record</th></tr></thead><tbody>{rows}</tbody></table></details>'
    )


def _comparator(c: str) -> str:
    return {">=": "≥", "<=": "≤", "!=": "≠"}.get(c, c)


# ---- screening dashboard ------------------------------------------------------------------------------

_CSS_SCREEN = """
.counts{display:flex;flex-wrap:wrap;gap:.4rem;list-style:none;padding:0;margin:.3rem 0}
.trial{border:1px solid var(--line);border-radius:.4rem;padding:.3rem 1rem 1rem;margin:1rem 0}
.funnel svg{display:block;max-width:100%;height:auto}
.funnel .label{font-size:11px;fill:#111827}.funnel .n{font-size:10px;fill:#fff;font-weight:700}
.legend{display:flex;flex-wrap:wrap;gap:.8rem;list-style:none;padding:0;margin:.2rem 0;font-size:.85rem}
.swatch{display:inline-block;width:.9em;height:.9em;vertical-align:-.1em;margin-right:.25em;border:1px solid #111827}
.controls{display:flex;flex-wrap:wrap;gap:1rem;align-items:end;margin:.6rem 0}
.controls label{display:flex;flex-direction:column;font-size:.85rem;font-weight:600}
.controls input,.controls select{font:inherit;padding:.2rem .3rem;border:1px solid #6b7280;border-radius:.2rem}
button.sort{white-space:nowrap;font:inherit;font-weight:700;background:none;border:0;padding:0;cursor:pointer;color:inherit}
th[aria-sort=ascending] .arrow::after{content:" ▲"}th[aria-sort=descending] .arrow::after{content:" ▼"}
.candidates{width:100%}.candidates td ul{margin:0;padding-left:1rem}
.candidates td.patient{white-space:nowrap;overflow-wrap:normal}
.controls input{min-width:18rem}
"""

# Sortable and filterable candidate tables; no library, no fetch.
_JS_SCREEN = """
document.querySelectorAll('table.sortable').forEach(function(t){
 var body=t.tBodies[0];
 t.querySelectorAll('thead th button.sort').forEach(function(b){
  b.addEventListener('click',function(){
   var th=b.closest('th'),col=th.cellIndex,asc=th.getAttribute('aria-sort')!=='ascending';
   t.querySelectorAll('thead th').forEach(function(h){h.removeAttribute('aria-sort');});
   th.setAttribute('aria-sort',asc?'ascending':'descending');
   var key=function(r){var c=r.cells[col];return c.getAttribute('data-sort')||c.textContent.trim();};
   Array.prototype.slice.call(body.rows).sort(function(a,b){
    return key(a).localeCompare(key(b),undefined,{numeric:true,sensitivity:'base'})*(asc?1:-1);
   }).forEach(function(r){body.appendChild(r);});
  });
 });
});
document.querySelectorAll('.controls').forEach(function(c){
 var t=document.getElementById(c.getAttribute('data-table')),q=c.querySelector('input'),
  v=c.querySelector('select'),status=c.querySelector('output');
 function apply(){
  var text=q.value.trim().toLowerCase(),want=v.value,shown=0,rows=t.tBodies[0].rows;
  for(var i=0;i<rows.length;i++){
   var r=rows[i],ok=(!want||r.getAttribute('data-verdict')===want)
    &&(!text||r.textContent.toLowerCase().indexOf(text)>=0);
   r.hidden=!ok;if(ok){shown++;}
  }
  status.textContent=shown+' of '+rows.length+' shown';
 }
 q.addEventListener('input',apply);v.addEventListener('change',apply);apply();
});
"""


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _int(value: object) -> int:
    """Counts from a JSON file: anything that is not a whole number shows as 0 rather than failing the page."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | str):
        try:
            return int(value)
        except ValueError:
            return 0
    return 0


def _verdict_label(v: str) -> str:
    return next((label for verdict, label in VERDICT_LABEL.items() if verdict.value == v), v)


def render_screening_html(data: Mapping[str, Any]) -> str:
    """The screening dashboard from :func:`fhir_eligibility.report.screening.screening_json`'s dict.

    Takes the JSON contract (not the dataclasses) so a saved ``screen --format json`` file renders the same.
    """
    as_of = _text(data.get("asOf"))
    trials: list[Mapping[str, Any]] = [t for t in data.get("trials") or [] if isinstance(t, Mapping)]
    title = f"Screening as of {as_of}" if as_of else "Screening"
    screened = f"{_int(data.get('patients'))} patient(s) screened, " if "patients" in data else ""
    source = f" from <code>{_e(data.get('source'))}</code>" if data.get("source") else ""
    parts = [
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="meta">{screened}{len(trials)} trial(s){source}. Per trial: how many patients each criterion '
        "passes, fails or leaves open, and the candidates (click a column heading to sort; type to filter).</p>",
    ]
    warnings = [w for w in data.get("warnings") or [] if w]
    if warnings:
        parts.append('<section aria-labelledby="warn-h"><h2 id="warn-h">Warnings</h2><ul>')
        parts.extend(f"<li>{_e(w)}</li>" for w in warnings)
        parts.append("</ul></section>")
    parts.append("</header>")
    parts.append('<nav class="toc" aria-labelledby="toc-h"><h2 id="toc-h">Contents</h2><ol>')
    parts.extend(
        f'<li><a href="#t{i}">{_e(_text(t.get("trial")))}</a> '
        f'<span class="muted">{_e(_text(t.get("title")))}</span></li>'
        for i, t in enumerate(trials)
    )
    parts.append('</ol></nav><main id="main">')
    if not trials:
        parts.append("<p>No trials were screened.</p>")
    parts.extend(_screen_trial(t, f"t{i}") for i, t in enumerate(trials))
    parts.append("</main>")
    return _page(title, _CSS_SCREEN, "\n".join(parts), _JS_SCREEN)


def _screen_trial(t: Mapping[str, Any], sid: str) -> str:
    trial = _text(t.get("trial"))
    raw_counts = t.get("counts")
    counts: Mapping[str, Any] = raw_counts if isinstance(raw_counts, Mapping) else {}
    out = [
        f'<section class="trial" id="{sid}" aria-labelledby="{sid}-h" data-testid="screen-trial" '
        f'data-trial="{_e(trial)}">',
        f'<h2 id="{sid}-h">{_e(trial)}</h2>',
    ]
    if t.get("title"):
        out.append(f'<p class="muted">{_e(t.get("title"))}</p>')
    ordered = [v for v in VERDICT_ORDER if v in counts] + [v for v in counts if v not in VERDICT_ORDER]
    out.append('<ul class="counts" aria-label="Candidates by verdict">')
    for v in ordered:
        state = v if v in PALETTE else "unknown"
        out.append(f"<li>{_badge(state, f'{_verdict_label(str(v))}: {_int(counts[v])}', 'count')}</li>")
    out.append("</ul>")
    funnel = [f for f in t.get("funnel") or [] if isinstance(f, Mapping)]
    out.append(_funnel(funnel, sid))
    cands = [c for c in t.get("candidates") or [] if isinstance(c, Mapping)]
    out.append(_candidates(cands, sid, trial, ordered))
    out.append("</section>")
    return "\n".join(out)


_FW, _FLABEL, _FROW = 680, 170, 22


def _funnel(rows: Sequence[Mapping[str, Any]], sid: str) -> str:
    """Per criterion a stacked bar of pass/fail/unknown/manual/review counts, with the numbers as a table.

    Segments keep one order (the legend's) and carry their count, so the chart does not rest on colour; a row's
    optional ``remaining`` (patients failing neither it nor an earlier criterion) is printed at the bar's end.
    """
    out = [f'<section class="funnel" aria-labelledby="{sid}-f"><h3 id="{sid}-f">Criteria funnel</h3>']
    if not rows:
        out.append("<p>No criteria.</p></section>")
        return "\n".join(out)
    has_remaining = any("remaining" in r for r in rows)
    out.append('<ul class="legend" aria-label="Bar segments, left to right">')
    out.extend(f'<li><span class="swatch f-{k}"></span>{RESULT_LABEL[Result(k)]}</li>' for k in RESULT_ORDER)
    if has_remaining:
        out.append("<li>→ n left: patients failing neither this nor an earlier criterion</li>")
    out.append("</ul>")
    total = max(1, max(sum(_int(r.get(k)) for k in RESULT_ORDER) for r in rows))
    height = _FROW * len(rows) + 8
    bw = _FW - _FLABEL - (70 if has_remaining else 10)
    out.append(
        f'<svg data-testid="funnel-chart" viewBox="0 0 {_FW} {height}" width="{_FW}" height="{height}" role="img" '
        f'aria-labelledby="{sid}-f" aria-describedby="{sid}-ft" xmlns="http://www.w3.org/2000/svg">'
    )
    for n, r in enumerate(rows):
        crit = _text(r.get("criterion"))
        short = crit if len(crit) <= 26 else crit[:25] + "…"
        ty = 4 + n * _FROW
        tip = crit + (": " + _text(r.get("description")) if r.get("description") else "")
        out.append(f'<g data-criterion="{_e(crit)}"><title>{_e(tip)}</title>')
        out.append(f'<text class="label" x="{_FLABEL - 6}" y="{ty + 13}" text-anchor="end">{_e(short)}</text>')
        x0 = float(_FLABEL)
        for k in RESULT_ORDER:
            n_k = _int(r.get(k))
            if n_k <= 0:
                continue
            w = bw * n_k / total
            out.append(
                f'<rect class="bar f-{k}" data-result="{k}" data-count="{n_k}" x="{x0:.1f}" y="{ty}" '
                f'width="{w:.1f}" height="{_FROW - 5}"><title>{_e(crit)}: {n_k} {RESULT_LABEL[Result(k)].lower()}'
                "</title></rect>"
            )
            if w >= 8 * len(str(n_k)) + 4:
                out.append(f'<text class="n" x="{x0 + w / 2:.1f}" y="{ty + 12}" text-anchor="middle">{n_k}</text>')
            x0 += w
        if "remaining" in r:
            out.append(
                f'<text class="label" x="{_FLABEL + bw + 6}" y="{ty + 13}">→ {_int(r.get("remaining"))} left</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    cols = [*RESULT_ORDER, *(["remaining"] if has_remaining else [])]
    out.append(
        f'<details><summary>Funnel as a table</summary><table id="{sid}-ft"><thead><tr>'
        '<th scope="col">Criterion</th>'
        + "".join(f'<th scope="col">{RESULT_LABEL[Result(k)] if k in RESULT_ORDER else "Left"}</th>' for k in cols)
        + "</tr></thead><tbody>"
    )
    for r in rows:
        out.append(
            f'<tr><th scope="row">{_e(_text(r.get("criterion")))}</th>'
            + "".join(f'<td class="num">{_int(r.get(k))}</td>' for k in cols)
            + "</tr>"
        )
    out.append("</tbody></table></details></section>")
    return "\n".join(out)


def _missing_item(m: object) -> str:
    if isinstance(m, Mapping):
        what = _text(m.get("what") or m.get("criterion"))
        extra = ", ".join(_text(m.get(k)) for k in ("criterion", "window") if m.get(k) and m.get(k) != what)
        return f"{what} ({extra})" if extra else what
    return _text(m)


def _candidates(cands: Sequence[Mapping[str, Any]], sid: str, trial: str, verdicts: Sequence[str]) -> str:
    """The ranked candidate list; headings are buttons (sort), the controls filter rows in place."""
    tid = f"{sid}-cand"
    options = list(dict.fromkeys([*verdicts, *(_text(c.get("verdict")) for c in cands)]))
    columns = (("rank", "Rank"), ("patient", "Patient"), ("verdict", "Verdict"), ("missing", "To collect"))
    out = [
        f'<section aria-labelledby="{sid}-c"><h3 id="{sid}-c">Candidates ({len(cands)})</h3>',
        f'<div class="controls" data-table="{tid}">',
        f'<label for="{tid}-q">Filter<input id="{tid}-q" type="search" data-testid="filter" '
        'placeholder="patient, verdict or data item" autocomplete="off"></label>',
        f'<label for="{tid}-v">Verdict<select id="{tid}-v" data-testid="verdict-filter">'
        '<option value="">all</option>'
        + "".join(f'<option value="{_e(v)}">{_e(_verdict_label(v))}</option>' for v in options if v)
        + "</select></label>",
        f'<output for="{tid}-q {tid}-v" aria-live="polite" data-testid="shown"></output></div>',
        f'<table class="candidates sortable" id="{tid}" data-testid="candidates">'
        f"<caption class='visually-hidden'>Candidates for {_e(trial)}</caption><thead><tr>"
        + "".join(
            f'<th scope="col"><button type="button" class="sort" data-testid="sort-{k}">{label}'
            '<span class="arrow" aria-hidden="true"></span></button></th>'
            for k, label in columns
        )
        + "</tr></thead><tbody>",
    ]
    for n, c in enumerate(cands, 1):
        verdict = _text(c.get("verdict"))
        missing = [_missing_item(m) for m in c.get("missing") or []]
        rank = VERDICT_ORDER.index(verdict) if verdict in VERDICT_ORDER else len(VERDICT_ORDER)
        state = verdict if verdict in PALETTE else "unknown"
        items = "<ul>" + "".join(f"<li>{_e(m)}</li>" for m in missing) + "</ul>" if missing else "—"
        out.append(
            f'<tr data-verdict="{_e(verdict)}"><td class="num" data-sort="{n:06d}">{n}</td>'
            f'<td class="ref patient">{_e(_text(c.get("patient")))}</td>'
            f'<td data-sort="{rank}">{_badge(state, _verdict_label(verdict), "verdict")}</td>'
            f'<td data-sort="{len(missing):05d}">{items}</td></tr>'
        )
    out.append("</tbody></table></section>")
    return "\n".join(out)


__all__ = ["CSP", "PALETTE", "render_report_html", "render_screening_html"]
