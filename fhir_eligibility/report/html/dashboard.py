"""The screening dashboard (``screen --format html``): per trial the verdict counts, a funnel of the top-level
criteria (labelled with their text, not only their ids) and the ranked candidates, sortable and filterable.

Takes the JSON contract (not the dataclasses) so a saved ``screen --format json`` file renders the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.report import format as fmt
from fhir_eligibility.report.html.shell import (
    PALETTE,
    RESULT_LABEL,
    RESULT_ORDER,
    VERDICT_ORDER,
    badge,
    e,
    page,
    verdict_label,
)

CSS = """
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
.controls input{min-width:18rem}.who{font-size:.85rem;color:#374151}
.what-if{background:#fef3c7;border:2px solid #92400e;border-radius:.3rem;padding:.4rem .8rem}
"""

# Sortable and filterable candidate tables; no library, no fetch.
JS = """
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


def _title(t: Mapping[str, Any]) -> str:
    """The trial's title without its id prefix or internal notes."""
    title, trial = fmt.title(_text(t.get("title"))), _text(t.get("trial"))
    return title[len(trial) :].lstrip(" :–-") if trial and title.startswith(trial) else title


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


def render_screening_html(data: Mapping[str, Any], pages: Mapping[str, str] | None = None) -> str:
    """The screening dashboard from :func:`fhir_eligibility.report.screening.screening_json`'s dict.

    Takes the JSON contract (not the dataclasses) so a saved ``screen --format json`` file renders the same.
    """
    as_of = _text(data.get("asOf"))
    trials: list[Mapping[str, Any]] = [t for t in data.get("trials") or [] if isinstance(t, Mapping)]
    title = f"Screening as of {as_of}" if as_of else "Screening"
    screened = f"{_int(data.get('patients'))} patient(s) screened, " if "patients" in data else ""
    source = f" from <code>{e(data.get('source'))}</code>" if data.get("source") else ""
    parts = [
        f"<header><h1>{e(title)}</h1>",
        f'<p class="meta">{screened}{len(trials)} trial(s){source}. Per trial: how many patients each criterion '
        "passes, fails or leaves open, and the candidates (click a column heading to sort; type to filter).</p>",
    ]
    if data.get("assumedAttested") is True:  # a what-if: say so before any number
        parts.append(
            '<p class="what-if" role="note" data-testid="what-if"><strong>What-if:</strong> every manual criterion '
            "was assumed attested (--assume-attested); no person has answered them. Each candidate lists what "
            "was assumed.</p>"
        )
    warnings = [w for w in data.get("warnings") or [] if w]
    if warnings:
        parts.append('<section aria-labelledby="warn-h"><h2 id="warn-h">Warnings</h2><ul>')
        parts.extend(f"<li>{e(w)}</li>" for w in warnings)
        parts.append("</ul></section>")
    parts.append("</header>")
    parts.append('<nav class="toc" aria-labelledby="toc-h"><h2 id="toc-h">Contents</h2><ol>')
    parts.extend(
        f'<li><a href="#t{i}">{e(_text(t.get("trial")))}</a> <span class="muted">{e(_title(t))}</span></li>'
        for i, t in enumerate(trials)
    )
    parts.append('</ol></nav><main id="main">')
    if not trials:
        parts.append("<p>No trials were screened.</p>")
    parts.extend(_screen_trial(t, f"t{i}", pages or {}, as_of) for i, t in enumerate(trials))
    parts.append("</main>")
    return page(title, CSS, "\n".join(parts), JS)


def _screen_trial(t: Mapping[str, Any], sid: str, pages: Mapping[str, str], as_of: str = "") -> str:
    trial = _text(t.get("trial"))
    raw_counts = t.get("counts")
    counts: Mapping[str, Any] = raw_counts if isinstance(raw_counts, Mapping) else {}
    out = [
        f'<section class="trial" id="{sid}" aria-labelledby="{sid}-h" data-testid="screen-trial" '
        f'data-trial="{e(trial)}">',
        f'<h2 id="{sid}-h">{e(trial)}</h2>',
    ]
    if t.get("title"):
        out.append(f'<p class="muted">{e(_title(t))}</p>')
    ordered = [v for v in VERDICT_ORDER if v in counts] + [v for v in counts if v not in VERDICT_ORDER]
    out.append('<ul class="counts" aria-label="Candidates by verdict">')
    for v in ordered:
        state = v if v in PALETTE else "unknown"
        out.append(f"<li>{badge(state, f'{verdict_label(str(v))}: {_int(counts[v])}', 'count')}</li>")
    out.append("</ul>")
    out.append(_review_kinds(t, _int(counts.get("needs-review"))))
    out.append(_horizon(t, as_of))
    funnel = [f for f in t.get("funnel") or [] if isinstance(f, Mapping)]
    out.append(_funnel(funnel, sid))
    cands = [c for c in t.get("candidates") or [] if isinstance(c, Mapping)]
    # data-driven checks (a clinician's judgement) before attestations, as every other report orders them
    checks = [f for f in funnel if _int(f.get("review")) > 0] + [
        f for f in funnel if _int(f.get("manual")) > 0 and _int(f.get("review")) == 0
    ]
    out.append(_candidates(cands, sid, trial, ordered, checks, pages))
    out.append("</section>")
    return "\n".join(out)


def _review_kinds(t: Mapping[str, Any], needs_review: int) -> str:
    """The two kinds of needs-review (issue 14 item 7), data-driven first: what the data leave to a clinician's
    judgement, and what waits only for an attestation."""
    kinds = t.get("needsReview")
    if not needs_review or not isinstance(kinds, Mapping):
        return ""
    return (
        f'<p class="kinds" data-testid="review-kinds">Needs review: <strong>{_int(kinds.get("judgement"))}</strong> '
        f"for a clinician's judgement of the data, <strong>{_int(kinds.get('attestation'))}</strong> awaiting "
        "attestation only.</p>"
    )


def _horizon(t: Mapping[str, Any], as_of: str) -> str:
    """The table's "within N days" line (``withinHorizon``): why patients not eligible today are listed, and
    how many eligible ones stop being so soon. Nothing when the horizon was off (0 days)."""
    raw = t.get("withinHorizon")
    h: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    days = _int(h.get("days"))
    if days <= 0:
        return ""
    of = f" of {e(as_of)}" if as_of else ""
    return (
        f'<p class="kinds" data-testid="horizon">Within {days} days{of}: <strong>{_int(h.get("becomesEligible"))}'
        f"</strong> become eligible, eligibility lapses for <strong>{_int(h.get('lapses'))}</strong>.</p>"
    )


_UNDATED = "9999-12-31"  # sort key: rows without dates after dated ones
_OPENS = {"eligible": "eligible", "needs-review": "needs review"}


def opens_as(verdict_from: object) -> str:
    """A candidate's eligibleFrom in words by the verdict it opens (``verdictFrom``; report.when.opens_as words
    a result so): "needs review" when a person must still answer then, "possibly eligible" when the report
    does not say (one written before candidates carried it): never "eligible" outright on a needs-review day."""
    return _OPENS.get(verdict_from, "possibly eligible") if isinstance(verdict_from, str) else "possibly eligible"


def _dates(c: Mapping[str, Any]) -> str:
    """A candidate's dates cell, worded as the patient report words them (report.table.dates): ``eligibleFrom``
    is the day its verdict turns ``verdictFrom`` (eligible or needs review), ``eligibleUntil`` the last day the
    verdict (or that one) holds."""
    start, end = (fmt.fhir_date(_text(c.get(k))) for k in ("eligibleFrom", "eligibleUntil"))
    if not start and not end:
        if c.get("datesWithheld") is True:
            return f'<td data-testid="dates" data-sort="{_UNDATED}">dates withheld (de-identified)</td>'
        return f'<td data-sort="{_UNDATED}"></td>'
    said = [f"{opens_as(c.get('verdictFrom'))} from <time>{e(start)}</time>"] if start else []
    holds = "then holds" if start else "current answers hold"
    said += [f"{holds} until <time>{e(end)}</time>"] if end else []
    attrs = "".join(f' data-{k}="{e(v)}"' for k, v in (("from", start), ("until", end)) if v)
    return f'<td data-testid="dates" data-sort="{e(start or end)}"{attrs}>{", ".join(said)}</td>'


_FW, _FLABEL, _FROW = 900, 380, 22
_LABEL_CHARS = 62  # about what fits in _FLABEL at 11px


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
        text = fmt.label(_text(r.get("description")), 200)
        short = fmt.shorten(f"{crit} {text}" if text else crit, _LABEL_CHARS)
        ty = 4 + n * _FROW
        tip = crit + (": " + text if text else "")
        out.append(f'<g data-criterion="{e(crit)}"><title>{e(tip)}</title>')
        out.append(f'<text class="label" x="{_FLABEL - 6}" y="{ty + 13}" text-anchor="end">{e(short)}</text>')
        x0 = float(_FLABEL)
        for k in RESULT_ORDER:
            n_k = _int(r.get(k))
            if n_k <= 0:
                continue
            w = bw * n_k / total
            out.append(
                f'<rect class="bar f-{k}" data-result="{k}" data-count="{n_k}" x="{x0:.1f}" y="{ty}" '
                f'width="{w:.1f}" height="{_FROW - 5}"><title>{e(crit)}: {n_k} {RESULT_LABEL[Result(k)].lower()}'
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
    cols = [*RESULT_ORDER, *(["notEvaluated"] if any("notEvaluated" in r for r in rows) else [])]
    cols += ["remaining"] if has_remaining else []
    heading = {"notEvaluated": "Not evaluated", "remaining": "Left"}
    out.append(
        f'<details><summary>Funnel as a table</summary><table id="{sid}-ft"><thead><tr>'
        '<th scope="col">Criterion</th><th scope="col">Text</th>'
        + "".join(f'<th scope="col">{heading.get(k) or RESULT_LABEL[Result(k)]}</th>' for k in cols)
        + "</tr></thead><tbody>"
    )
    for r in rows:
        out.append(
            f'<tr><th scope="row">{e(_text(r.get("criterion")))}</th>'
            f"<td>{e(fmt.label(_text(r.get('description')), 300))}</td>"
            + "".join(f'<td class="num">{_int(r.get(k))}</td>' for k in cols)
            + "</tr>"
        )
    out.append("</tbody></table></details></section>")
    return "\n".join(out)


def _missing_item(m: object) -> str:
    if isinstance(m, Mapping):
        what = _text(m.get("what") or m.get("criterion"))
        extra = ", ".join(_text(m.get(k)) for k in ("criterion", "window") if m.get(k) and m.get(k) != what)
        return fmt.window(f"{what} ({extra})" if extra else what)
    return fmt.window(_text(m))


def _who(label: object) -> str:
    """``Jane Doe, born 1963-09-14, MRN 7`` from a candidate's ``patientLabel`` (empty without one)."""
    if not isinstance(label, Mapping):
        return ""
    parts = [
        _text(label.get("name")),
        f"born {_text(label.get('birthDate'))}" if label.get("birthDate") else "",
        f"MRN {_text(label.get('mrn'))}" if label.get("mrn") else "",
    ]
    return ", ".join(p for p in parts if p)


def _file_href(path: str) -> str:
    """A file path as a URL path: a folder named ``pg #1?x`` would otherwise end the path at ``#`` (a fragment)
    and ``?`` (a query), and ``%`` would be read as an escape. Absolute paths become ``file:`` URLs."""
    p = PurePath(path)
    return p.as_uri() if p.is_absolute() else quote(p.as_posix(), safe="/")


def _patient_cell(c: Mapping[str, Any], pages: Mapping[str, str]) -> str:
    """The patient, linked to its eligibility page when ``screen --pages`` wrote one (``pages``: patient -> the
    page's file path relative to the dashboard's folder), with who they are."""
    patient = _text(c.get("patient"))
    link = pages.get(patient)
    cell = f'<a href="{e(_file_href(link))}" data-testid="patient-page">{e(patient)}</a>' if link else e(patient)
    who = _who(c.get("patientLabel"))
    return cell + (f'<br><span class="who" data-testid="patient-label">{e(who)}</span>' if who else "")


def _check_name(criterion: str, descriptions: Mapping[str, str]) -> str:
    return f"{criterion} {fmt.label(descriptions.get(criterion, ''), 90)}".strip()


def _open_checks(checks: Sequence[Mapping[str, Any]], sid: str) -> str:
    """The criteria a person judges or attests for this trial, listed once above the candidates (judgement first);
    each row names its own open ones, and a saved report without them points here."""
    kind = {True: "judge: ", False: "attest: "}
    names = [
        kind[_int(f.get("review")) > 0]
        + f"{_text(f.get('criterion'))} {fmt.label(_text(f.get('description')), 90)}".strip()
        for f in checks
    ]
    return (
        f'<div class="checks" id="{sid}-checks"><strong>To attest or review for needs-review candidates:</strong>'
        '<ul data-testid="checks">' + "".join(f"<li>{e(n)}</li>" for n in names) + "</ul></div>"
    )


def _outstanding(c: Mapping[str, Any], key: str) -> list[str]:
    """One kind of a candidate's open checks (``judgement``, ``attestation``, ``assumed``) from its
    ``outstanding`` (absent in older reports)."""
    raw = c.get("outstanding")
    o: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    items = o.get(key)
    return [_text(i) for i in items] if isinstance(items, list) else []


def _candidates(
    cands: Sequence[Mapping[str, Any]],
    sid: str,
    trial: str,
    verdicts: Sequence[str],
    checks: Sequence[Mapping[str, Any]] = (),
    pages: Mapping[str, str] | None = None,
) -> str:
    """The ranked candidate list; headings are buttons (sort), the controls filter rows in place."""
    tid = f"{sid}-cand"
    options = list(dict.fromkeys([*verdicts, *(_text(c.get("verdict")) for c in cands)]))
    columns = (
        ("rank", "Rank"),
        ("patient", "Patient"),
        ("verdict", "Verdict"),
        ("dates", "Dates"),
        ("missing", "To collect or check"),
    )
    out = [
        f'<section aria-labelledby="{sid}-c"><h3 id="{sid}-c">Candidates ({len(cands)})</h3>',
        f'<div class="controls" data-table="{tid}">',
        f'<label for="{tid}-q">Filter<input id="{tid}-q" type="search" data-testid="filter" '
        'placeholder="patient, name, MRN, verdict or data item" autocomplete="off"></label>',
        f'<label for="{tid}-v">Verdict<select id="{tid}-v" data-testid="verdict-filter">'
        '<option value="">all</option>'
        + "".join(f'<option value="{e(v)}">{e(verdict_label(v))}</option>' for v in options if v)
        + "</select></label>",
        f'<output for="{tid}-q {tid}-v" aria-live="polite" data-testid="shown"></output></div>',
        _open_checks(checks, sid) if checks else "",
        f'<table class="candidates sortable" id="{tid}" data-testid="candidates">'
        f"<caption class='visually-hidden'>Candidates for {e(trial)}</caption><thead><tr>"
        + "".join(
            f'<th scope="col"><button type="button" class="sort" data-testid="sort-{k}">{label}'
            '<span class="arrow" aria-hidden="true"></span></button></th>'
            for k, label in columns
        )
        + "</tr></thead><tbody>",
    ]
    descriptions = {_text(f.get("criterion")): _text(f.get("description")) for f in checks}
    for n, c in enumerate(cands, 1):
        verdict = _text(c.get("verdict"))
        missing = [_missing_item(m) for m in c.get("missing") or []]
        judge, attest, assumed = (_outstanding(c, k) for k in ("judgement", "attestation", "assumed"))
        rank = VERDICT_ORDER.index(verdict) if verdict in VERDICT_ORDER else len(VERDICT_ORDER)
        state = verdict if verdict in PALETTE else "unknown"
        lines = [f"<li>{e(m)}</li>" for m in missing]
        lines += [f'<li data-check="judge">judge: {e(_check_name(i, descriptions))}</li>' for i in judge]
        lines += [f'<li data-check="attest">attest: {e(_check_name(i, descriptions))}</li>' for i in attest]
        lines += [f'<li data-check="assumed">assumed attested: {e(i)}</li>' for i in assumed]
        items = "<ul>" + "".join(lines) + "</ul>" if lines else "—"
        if not lines and verdict == "needs-review" and checks:  # a saved report from before per-row checks
            items = f'<a href="#{sid}-checks">the {len(checks)} checks above</a>'
        kind = ""
        if verdict == "needs-review" and (judge or attest):
            text = "clinician judgement" if judge else "awaiting attestation"
            kind = f'<br><span class="who" data-testid="review-kind">{text}</span>'
        out.append(
            f'<tr data-verdict="{e(verdict)}"><td class="num" data-sort="{n:06d}">{n}</td>'
            f'<td class="ref patient" data-sort="{e(_text(c.get("patient")))}">{_patient_cell(c, pages or {})}</td>'
            f'<td data-sort="{rank}{0 if judge else 1}">{badge(state, verdict_label(verdict), "verdict")}{kind}</td>'
            + _dates(c)
            + f'<td data-sort="{len(lines):05d}">{items}</td></tr>'
        )
    out.append("</tbody></table></section>")
    return "\n".join(out)
