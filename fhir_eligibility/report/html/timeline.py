"""The patient page's small timeline (issue 16): per trial, when the verdict starts or stops holding and the
dated events behind it (criterion, what it changes from and to, why), drawn only when there is a date (and for
an ineligible trial only when a date opens it).

Markup, not data for the page script: the dates are what a coordinator plans around, so they show without
JavaScript and in print. Each date is one item; criteria changing alike for the same reason (labs lapsing
together) share a line, and each links to its place in the checklist.
"""

from __future__ import annotations

from collections.abc import Mapping

from fhir_eligibility.evaluation.results import Change, TrialResult, Verdict
from fhir_eligibility.report import format as fmt
from fhir_eligibility.report.html.shell import RESULT_LABEL, e
from fhir_eligibility.report.when import day, headline, iso

SHOWN_PER_DATE = 6  # kinds of change listed under one date (criteria changing alike share one); the rest counted
SHOWN_DATES = 6
_TEXT_WIDTH = 110

CSS = """
.when{background:#f8fafc;border-left:4px solid #1d4ed8;padding:.3rem .8rem .5rem;margin:.6rem 0}
.when h4{margin:.2rem 0}.when p{margin:.2rem 0}
ol.timeline{list-style:none;margin:.2rem 0;padding-left:.2rem}
ol.timeline>li{border-left:2px solid #93c5fd;padding:0 0 .3rem .7rem;position:relative}
ol.timeline>li::before{content:"";position:absolute;left:-6px;top:.35rem;width:10px;height:10px;border-radius:50%;
 background:#1d4ed8}
ol.timeline ul{margin:.1rem 0;padding-left:1.1rem;font-size:.85rem}
"""


def timeline_html(r: TrialResult, sid: str, anchor_of: Mapping[str, str], as_of: str) -> str:
    """The trial's dates, or nothing when the record holds no date that changes a criterion (``as_of``: the
    date the horizon counts from)."""
    w = r.when
    if w is None or not (w.eligible_from or w.eligible_until or w.timeline):
        return ""
    if r.verdict is Verdict.INELIGIBLE and not w.eligible_from:
        return ""  # no date opens the trial: its labs lapsing is noise (issue 15: once ineligible, stop)
    said = headline(r)
    out = [
        f'<section class="when" aria-labelledby="{sid}-when" data-testid="timeline">',
        f'<h4 id="{sid}-when">Dates</h4>',
    ]
    if said:
        out.append(f'<p data-testid="when"><strong>{e(said[0].upper() + said[1:])}.</strong></p>')
    days: dict[str, list[Change]] = {}
    for c in w.timeline:
        days.setdefault(day(c.date), []).append(c)
    out.append('<ol class="timeline">')
    for when, changes in list(days.items())[:SHOWN_DATES]:
        same: dict[tuple[str, str, str], list[Change]] = {}  # labs lapsing together read as one line
        for c in changes:
            text = fmt.shorten(fmt.reason(c.text), _TEXT_WIDTH) if c.text else ""
            same.setdefault((c.before.value, c.after.value, text), []).append(c)
        groups = list(same.items())
        items = "".join(_changes(cs, text, anchor_of) for (_b, _a, text), cs in groups[:SHOWN_PER_DATE])
        if len(groups) > SHOWN_PER_DATE:
            rest = sum(len(cs) for _k, cs in groups[SHOWN_PER_DATE:])
            items += f"<li>and {rest} more</li>"
        on = iso(changes[0].date)  # None: withheld (--deidentify)
        shown = f'<time datetime="{on}">{on}</time>' if on else e(when)
        out.append(
            f'<li data-testid="timeline-date" data-date="{e(when)}">{shown}: '
            f"{len(changes)} criteri{'on changes' if len(changes) == 1 else 'a change'}<ul>{items}</ul></li>"
        )
    if len(days) > SHOWN_DATES:
        out.append(f"<li>and {len(days) - SHOWN_DATES} later date(s) within {w.horizon} days of {e(as_of)}</li>")
    out.append("</ol>")
    out.append(
        f'<p class="muted">If the record stays as it is; dates looked for within {w.horizon} days of {e(as_of)}.</p>'
        "</section>"
    )
    return "\n".join(out)


def _changes(changes: list[Change], text: str, anchor_of: Mapping[str, str]) -> str:
    """Criteria changing the same way for the same reason on one date: one item."""
    names = []
    for c in changes:
        aid = anchor_of.get(c.criterion)
        names.append(f'<a href="#{aid}">{e(c.criterion)}</a>' if aid else e(c.criterion))
    first = changes[0]
    ids = " ".join(c.criterion for c in changes)
    return (
        f'<li data-testid="timeline-event" data-criteria="{e(ids)}">'
        f"<span class='crit-id'>{', '.join(names)}</span> {e(RESULT_LABEL[first.before].lower())} → "
        f"{e(RESULT_LABEL[first.after].lower())}" + (f": {e(text)}" if text else "") + "</li>"
    )


__all__ = ["CSS", "timeline_html"]
