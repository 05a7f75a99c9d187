"""The patient eligibility page (``evaluate --format html``): a summary table first (one row per patient x
trial: verdict, what decided it, the next step), then per patient the lab plots (once) and per trial the
verdict, the deciding items with their values, what to collect, and the full checklist.

A pure function of a :class:`Report`: it never re-evaluates. What leads (summary, verdicts, deciding items
with their values, next step, what to collect) is markup; the checklists and lab plots are compact data in
one inert JSON block (:class:`~.shell.Store`, every string once) drawn by the page script on load, so an
88-patient report is a few MB instead of 48 and prints complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from fhir_eligibility.criteria.model import Trial
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
from fhir_eligibility.report import format as fmt
from fhir_eligibility.report.cards import deciding, review_step, short_title
from fhir_eligibility.report.html import form
from fhir_eligibility.report.html.plots import JS_PLOTS, PlotGroup, User, plot_data, plot_groups, subtree_series
from fhir_eligibility.report.html.shell import CSP, RESULT_LABEL, VERDICT_LABEL, Store, badge, e, page
from fhir_eligibility.report.html.timeline import CSS as TIMELINE_CSS
from fhir_eligibility.report.html.timeline import timeline_html
from fhir_eligibility.report.table import patient_heading
from fhir_eligibility.report.when import rescreen

# Sub-criteria say whether their part of the rule holds; green/red would mislead under an exclusion.
PART_LABEL = {
    Result.PASS: ("met", "Met"),
    Result.FAIL: ("not-met", "Not met"),
    Result.UNKNOWN: ("unknown", "Unknown"),
    Result.MANUAL: ("manual", "Manual check"),
    Result.REVIEW: ("review", "Needs review"),
}
_KINDS = (
    ("inclusion", "Inclusion criteria", ""),
    ("exclusion", "Exclusion criteria", " (pass = patient not excluded)"),
)
# Draws the stored checklists and plots; strings arrive as text (textContent), never as markup.
JS_CHECKLIST = """
var NS=document.querySelector('svg.sprite').namespaceURI,DATA=JSON.parse(document.getElementById('data').textContent),
 TEXTS=DATA.texts,CMP={'>=':'\\u2265','<=':'\\u2264','!=':'\\u2260'},
 RES={pass:['pass','Pass'],fail:['fail','Fail'],unknown:['unknown','Unknown'],manual:['manual','Manual check'],
  review:['review','Needs review']},
 PART={met:['pass','Met'],'not-met':['fail','Not met'],unknown:['unknown','Unknown'],manual:['manual','Manual check'],
  review:['review','Needs review']};
function t(i){return TEXTS[i];}
function el(tag,cls,text){var n=document.createElement(tag);if(cls){n.className=cls;}
 if(text!=null){n.textContent=text;}return n;}
function txt(s){return document.createTextNode(s);}
function badge(state,icon,label,testid){var b=el('span','badge s-'+state),svg=document.createElementNS(NS,'svg'),
 use=document.createElementNS(NS,'use');svg.setAttribute('class','icon');svg.setAttribute('aria-hidden','true');
 use.setAttribute('href','#i-'+icon);svg.appendChild(use);b.setAttribute('data-testid',testid);b.appendChild(svg);
 b.appendChild(txt(' '+label));return b;}
function evidence(node,ev){if(!ev.length){return;}var ul=el('ul','ev');ul.setAttribute('data-testid','evidence');
 ev.forEach(function(x){var i=el('li');i.appendChild(el('span','ref',t(x[0])));if(t(x[1])){i.appendChild(
 txt(': '+t(x[1])));}ul.appendChild(i);});node.appendChild(ul);}
function parts(node,ps){if(!ps.length){return;}var det=el('details','parts'),ol=el('ol'),
 met=ps.filter(function(k){return k[1]==='met';}).length;det.setAttribute('data-testid','parts');
 det.appendChild(el('summary',null,'How this was decided: '+ps.length+' part(s), '+met+' met'));
 ps.forEach(function(p){var li=el('li','part'),head=el('div','crit-head'),d=el('span','desc');
  li.setAttribute('data-testid','part');li.setAttribute('data-result',p[1]);
  head.appendChild(badge(p[1],PART[p[1]][0],PART[p[1]][1],'part-label'));
  if(p[2]){d.appendChild(el('strong','not','NOT:'));d.appendChild(txt(' '));}d.appendChild(txt(t(p[0])));
  head.appendChild(d);li.appendChild(head);if(t(p[3])){li.appendChild(el('p','reason',t(p[3])));}
  evidence(li,p[4]);parts(li,p[5]);ol.appendChild(li);});det.appendChild(ol);node.appendChild(det);}
function criterion(c){var li=el('li','criterion c-'+c[2]),main=el('div','crit-main'),head=el('div','crit-head');
 li.id=c[0];li.setAttribute('data-testid','criterion');li.setAttribute('data-criterion',t(c[1]));
 li.setAttribute('data-result',c[2]);head.appendChild(badge(c[2],RES[c[2]][0],RES[c[2]][1],'result-label'));
 head.appendChild(el('span','crit-id',t(c[1])));head.appendChild(el('span','desc',t(c[3])));main.appendChild(head);
 main.appendChild(el('p','reason',t(c[4])));
 if(c[5]){main.appendChild(el('p','muted','Attested (manual part taken as confirmed).'));}evidence(main,c[6]);
 if(c[7].length){var p=el('p','muted','Plot: ');c[7].forEach(function(g,i){var a=el('a',null,t(g[1]));
  a.href='#'+g[0];a.setAttribute('data-testid','plot-link');if(i){p.appendChild(txt(', '));}p.appendChild(a);});
  main.appendChild(p);}
 li.appendChild(main);parts(li,c[8]);return li;}
document.querySelectorAll('[data-checklist]').forEach(function(root){
 (DATA.checklists[root.getAttribute('data-checklist')]||[]).forEach(function(g){var h=el('h4',null,g[1]);h.id=g[0];
  if(g[2]){h.appendChild(el('span','muted',g[2]));}var ol=el('ol','checklist');ol.setAttribute('aria-labelledby',g[0]);
  g[3].forEach(function(c){ol.appendChild(criterion(c));});root.appendChild(h);root.appendChild(ol);});});
document.querySelectorAll('[data-plots]').forEach(function(root){
 (DATA.labs[root.getAttribute('data-plots')]||[]).forEach(function(g){root.appendChild(drawPlot(g));});});
if(location.hash){var target=document.getElementById(location.hash.slice(1));if(target){target.scrollIntoView();}}
"""
_TYPES = ("inclusion", "exclusion")
_REASON_WIDTH = 240
_OPEN_FORMS = 10  # up to this many results, the attestation forms are drawn open (see form.put_form)
_DECIDING_SHOWN = 5  # a combination's reason repeats its parts; the parts below carry the whole text

# .patient: content-visibility:auto lets the browser skip laying out the patients off screen (an 88-patient
# report drew in 24 s in Chromium 156, 7 s with it); print lays out every patient.
CSS = """
.summary-table{width:100%}.summary-table td{font-size:.85rem}
.patient{margin-top:1.5rem;content-visibility:auto;contain-intrinsic-size:auto 1500px}
@media print{.patient{content-visibility:visible}}
.trial{border:1px solid var(--line);border-radius:.4rem;padding:.3rem 1rem 1rem;margin:1rem 0}
.trial>h3 .title{display:block;font-weight:400;font-size:.95rem;color:var(--muted)}
.summary{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.2rem 0}
.verdict .badge{font-size:1rem}
.deciding ul{margin:.2rem 0;padding-left:1.2rem}
.collect,.next{background:#f8fafc;border-left:4px solid #a16207;padding:.2rem .8rem .5rem;margin:.6rem 0}
.next{border-left-color:#4b5563;padding:.4rem .8rem}
.collect ul{margin:.2rem 0;padding-left:1.2rem}
ol.checklist{list-style:none;padding:0;margin:0}
.criterion{border-top:1px solid var(--line);padding:.45rem 0 .45rem .6rem;border-left:5px solid var(--line)}
.crit-head{display:flex;flex-wrap:wrap;gap:.5rem;align-items:baseline}
.crit-id{font-weight:700;font-family:"DejaVu Sans Mono",monospace;font-size:.9rem}
.desc{flex:1 1 24rem}
.reason{margin:.2rem 0;color:#374151;font-size:.9rem}
ul.ev{margin:.1rem 0;padding-left:1.2rem;font-size:.85rem;color:#374151}
.parts{margin:.3rem 0 0}.parts ol{list-style:none;padding-left:1rem;margin:.2rem 0;border-left:2px dotted var(--line)}
.part{padding:.25rem 0}
.plots{display:flex;flex-wrap:wrap;gap:1rem;margin:.4rem 0}
figure.lab-plot{margin:0;max-width:25rem}
figure.lab-plot figcaption{font-size:.8rem;color:#374151}
.lab-plot svg{display:block;border:1px solid var(--line);background:#fff}
.window{fill:var(--band);fill-opacity:.7}.axis{fill:none;stroke:#6b7280;stroke-width:1}.grid{fill:none;stroke:#e5e7eb;stroke-width:1}
.threshold{stroke:#b91c1c;stroke-width:1.5;stroke-dasharray:5 3}
.values-line{fill:none;stroke:#1f2937;stroke-width:1.5}
.point{stroke:#1f2937;stroke-width:1.5}.point.in{fill:#1f2937}.point.out{fill:#fff}
.tick,.tick text{font-size:10px;fill:#374151}.thr-label{font-size:10px;fill:#7f1d1d;font-weight:700}
.window-label{font-size:10px;fill:#1e3a8a}
"""


def render_report_html(report: Report, trials: Iterable[Trial] = (), submit: form.Submit | None = None) -> str:
    """One self-contained page for a run: summary table, then per patient its lab plots and its trials.

    With the evaluated ``trials`` each trial section carries the attestation form; with ``submit`` (the
    served page) the form posts its answers there instead of offering a download."""
    by_trial = {t.id: t for t in trials}
    by_patient: dict[str, list[TrialResult]] = {}
    for r in report.results:
        by_patient.setdefault(r.patient, []).append(r)
    store = Store()
    title = f"Trial eligibility as of {report.as_of.isoformat()}"
    parts = [
        "<header>",
        f"<h1>{e(title)}</h1>",
        f'<p class="meta">{len(by_patient)} patient(s), {len(report.results)} patient × trial result(s). '
        "The table says what decided each verdict and what to do next; each row links to the details: every "
        "criterion with its result (icon and label), the reason, and the records it rests on.</p>",
    ]
    if any(r.assumed_attested for r in report.results):
        parts.append('<p class="meta"><strong>Manual criteria were assumed attested</strong> (--assume-attested).</p>')
    if report.warnings:
        parts.append('<section aria-labelledby="warn-h"><h2 id="warn-h">Data warnings</h2><ul>')
        parts.extend(f"<li>{e(w)}</li>" for w in report.warnings)
        parts.append("</ul></section>")
    parts.append("</header>")
    parts.append(_summary_table(by_patient))
    parts.append('<main id="main">')
    if not report.results:
        parts.append("<p>No results: no patients or no trials were evaluated.</p>")
    for i, (patient, results) in enumerate(by_patient.items()):
        pid = f"p{i}"
        parts.append(f'<section class="patient" id="{pid}" aria-labelledby="{pid}-h" data-patient="{e(patient)}">')
        parts.append(f'<h2 id="{pid}-h">{e(patient_heading(results[0]))}</h2>')
        groups = _labs(results, pid)
        plot_of: dict[str, list[PlotGroup]] = {}
        for g in groups:
            for u in g.users:
                plot_of.setdefault(u.anchor, []).append(g)
        for j, r in enumerate(results):
            trial = by_trial.get(r.trial)
            eager = len(report.results) <= _OPEN_FORMS
            parts.append(_trial_section(r, f"{pid}-t{j}", store, plot_of, trial, eager, report.as_of.isoformat()))
        if groups:
            parts.append(
                f'<section class="labs" aria-labelledby="{pid}-labs"><h3 id="{pid}-labs">Lab values</h3>'
                '<p class="muted">Each lab once, with the threshold and window of every criterion that reads it. '
                "Shaded: the window; dashed: a threshold; hollow dots: values outside every window.</p>"
                f'<div class="plots" data-plots="{pid}"></div></section>'
            )
            store.put("labs", pid, [plot_data(g, store) for g in groups])
        parts.append("</section>")
    parts.append("</main>")
    form.put_submit(store, submit)
    csp = form.SERVED_CSP if submit is not None else CSP
    script = JS_PLOTS + JS_CHECKLIST + form.JS_FORM + (form.JS_SUBMIT if submit is not None else "")
    return page(title, CSS + TIMELINE_CSS + form.CSS, "\n".join(parts), script, store, csp)


def _labs(results: Sequence[TrialResult], pid: str) -> list[PlotGroup]:
    uses: list[tuple[User, Series]] = []
    for j, r in enumerate(results):
        for aid, c in _anchors(r, f"{pid}-t{j}"):
            uses.extend((User(aid, r.trial, c.id), s) for s in subtree_series(c))
    return plot_groups(uses, f"{pid}-lab")


def next_step(r: TrialResult) -> str:
    """The one thing to do now, in words (the same rule as the cards)."""
    if r.verdict is Verdict.INELIGIBLE:
        day = rescreen(r)
        return (
            f"Ineligible before {day}: screen again then; nothing to collect."
            if day
            else "Ineligible: nothing to collect."
        )
    if r.verdict is Verdict.UNDETERMINED and r.missing_data:
        wanted = list(dict.fromkeys(fmt.label(m.what, 50) for m in r.missing_data))
        return "Collect " + "; ".join(wanted[:3]) + (f" and {len(wanted) - 3} more" if len(wanted) > 3 else "") + "."
    if r.verdict is Verdict.NEEDS_REVIEW:
        return review_step(r).capitalize() + ", then contact the trial team."
    if r.verdict is Verdict.UNDETERMINED:
        return "Collect the data the unknown criteria name."
    return "Eligible on the data: contact the trial team."


def _summary_table(by_patient: Mapping[str, Sequence[TrialResult]]) -> str:
    out = [
        '<nav class="toc" aria-labelledby="toc-h"><h2 id="toc-h">Summary</h2>',
        '<table class="summary-table" data-testid="summary"><thead><tr><th scope="col">Patient</th>'
        '<th scope="col">Trial</th><th scope="col">Verdict</th><th scope="col">Decided by</th>'
        '<th scope="col">Next step</th></tr></thead><tbody>',
    ]
    for i, results in enumerate(by_patient.values()):
        for j, r in enumerate(results):
            ids = [c.id for c in deciding(r)]
            why = ", ".join(ids[:4]) + (f" and {len(ids) - 4} more" if len(ids) > 4 else "")
            out.append(
                f'<tr><td class="ref"><a href="#p{i}">{e(patient_heading(results[0]))}</a></td>'
                f'<td><a href="#p{i}-t{j}" data-testid="summary-link">{e(r.trial)}</a></td>'
                f"<td>{badge(r.verdict.value, VERDICT_LABEL[r.verdict], 'toc-verdict')}</td>"
                f"<td>{e(why) if why else '—'}</td><td>{e(next_step(r))}</td></tr>"
            )
    out.append("</tbody></table></nav>")
    return "\n".join(out)


def _counts(criteria: Iterable[CriterionResult]) -> dict[Result, int]:
    counts = {r: 0 for r in Result}
    for c in criteria:
        counts[c.result] += 1
    return counts


def _anchors(r: TrialResult, sid: str) -> list[tuple[str, CriterionResult]]:
    """Each top-level criterion with its element id, grouped as the checklist shows them."""
    out: list[tuple[str, CriterionResult]] = []
    for kind, _h, _n in _KINDS:
        out.extend((f"{sid}-{kind[0]}{k}", c) for k, c in enumerate(c for c in r.criteria if c.type == kind))
    others = (c for c in r.criteria if c.type not in ("inclusion", "exclusion"))
    out.extend((f"{sid}-o{k}", c) for k, c in enumerate(others))
    return out


def _reason(c: CriterionResult) -> str:
    text = fmt.reason(c.reason)
    return fmt.shorten(text, _REASON_WIDTH) if c.children else text


def _trial_section(
    r: TrialResult,
    sid: str,
    store: Store,
    plot_of: Mapping[str, list[PlotGroup]],
    trial: Trial | None,
    eager: bool,
    as_of: str,
) -> str:
    v = r.verdict.value
    counts = _counts(r.criteria)
    summary = " · ".join(f"{n} {RESULT_LABEL[res].lower()}" for res, n in counts.items() if n)
    anchors = _anchors(r, sid)
    out = [
        f'<section class="trial" id="{sid}" aria-labelledby="{sid}-h" data-testid="trial" '
        f'data-trial="{e(r.trial)}" data-verdict="{e(v)}">',
        f'<h3 id="{sid}-h">{e(r.trial)}<span class="title">{e(short_title(r))}</span></h3>',
        f'<p class="summary verdict"><span>Verdict:</span> {badge(v, VERDICT_LABEL[r.verdict], "verdict")}'
        f' <span class="muted">({e(summary)})</span></p>',
    ]
    decisive = deciding(r)
    if decisive:
        aid_of = {id(c): aid for aid, c in anchors}
        items = "".join(
            f'<li><a href="#{aid_of[id(c)]}">{e(c.id)}</a> ({RESULT_LABEL[c.result].lower()}) '
            f"{e(fmt.label(c.description or c.id, 90))}"
            + (f": {e(fmt.shorten(fmt.reason(c.reason), 160))}" if c.result is not Result.MANUAL else "")
            + "</li>"
            for c in decisive[:_DECIDING_SHOWN]
        )
        if len(decisive) > _DECIDING_SHOWN:
            items += f"<li>and {len(decisive) - _DECIDING_SHOWN} more, marked in the checklist below</li>"
        out.append(f'<div class="deciding" data-testid="deciding"><strong>Decided by:</strong><ul>{items}</ul></div>')
    if r.assumed_attested:
        out.append('<p class="muted">Manual criteria assumed attested.</p>')
    out.append(timeline_html(r, sid, {c.id: aid for aid, c in anchors}, as_of))
    if r.verdict is Verdict.UNDETERMINED and r.missing_data:
        out.append(_collect(r.missing_data, sid))
    else:
        out.append(f'<p class="next" data-testid="next-step"><strong>Next step:</strong> {e(next_step(r))}</p>')
    groups: list[list[object]] = []
    for kind, heading, note in _KINDS:
        crits = [_criterion_data(c, aid, store, plot_of.get(aid, [])) for aid, c in anchors if c.type == kind]
        if crits:
            groups.append([f"{sid}-{kind}", heading, note, crits])
    others = [_criterion_data(c, aid, store, plot_of.get(aid, [])) for aid, c in anchors if c.type not in _TYPES]
    if others:
        groups.append([f"{sid}-other", "Other criteria", "", others])
    store.put("checklists", sid, groups)
    out.append(form.put_form(store, sid, r, trial, eager))
    out.append(f'<div class="checklists" data-checklist="{sid}"></div>')
    out.append("</section>")
    return "\n".join(out)


def _collect(missing: Sequence[MissingData], sid: str) -> str:
    out = [
        f'<section class="collect" aria-labelledby="{sid}-collect" data-testid="collect">',
        f'<h4 id="{sid}-collect">What to collect next</h4><ul>',
    ]
    for m in missing:
        codes = ", ".join(f"<code>{e(fmt.code(c))}</code>" for c in m.codes) or "no code"
        by = f"; by {e(m.latest_useful)} at the latest" if m.latest_useful else ""
        out.append(
            f"<li><strong>{e(fmt.label(m.what, 120))}</strong> for <span class='crit-id'>{e(m.criterion)}</span>: "
            f"dated {e(fmt.window(m.window))}{by} <span class='muted'>({codes})</span></li>"
        )
    out.append("</ul></section>")
    return "\n".join(out)


def _criterion_data(c: CriterionResult, cid: str, store: Store, plots: Sequence[PlotGroup]) -> list[object]:
    """[element id, criterion id, result, text, reason, attested, evidence, [[plot id, label]], parts]; strings
    are indexes into the store."""
    links = [[g.pid, store.ref(fmt.label(" / ".join(g.labels), 60))] for g in plots]
    return [
        cid,
        store.ref(c.id),
        c.result.value,
        store.ref(c.description),
        store.ref(_reason(c)),
        int(c.attested),
        _evidence_data(c.evidence, store),
        links,
        [_part_data(k, store) for k in c.children],
    ]


def _part_data(k: CriterionResult, store: Store) -> list[object]:
    """Sub-criteria say whether their part of the rule holds ('met' after any NOT), not pass/fail:
    [text, state, negated, reason, evidence, parts]."""
    reason = fmt.reason(k.reason) if k.reason and k.reason != k.description and not k.children else ""
    kids = [_part_data(x, store) for x in k.children]
    return [
        store.ref(k.description or k.id),
        PART_LABEL[k.result][0],
        int(k.negated),
        store.ref(reason),
        _evidence_data(k.evidence, store),
        kids,
    ]


def _evidence_data(evidence: Sequence[Evidence], store: Store) -> list[list[int]]:
    """[[record, value · date · note]] as store indexes."""
    return [[store.ref(ev.reference or "derived"), store.ref(_evidence_text(ev))] for ev in evidence]


def _evidence_text(ev: Evidence) -> str:
    bits = [fmt.quantity(ev.value, ev.unit)] if ev.value is not None else []
    return " · ".join(bits + [x for x in (ev.date, ev.note) if x])
