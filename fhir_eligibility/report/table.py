"""Plain-text renderings for a terminal: the verdict table and a per-patient explanation."""

from __future__ import annotations

import textwrap

from fhir_eligibility.criteria.model import Combination, Criterion, Trial
from fhir_eligibility.evaluation.collect import Item, collect_first
from fhir_eligibility.evaluation.results import CriterionResult, Report, Result, TrialResult, Verdict
from fhir_eligibility.identity import label_text
from fhir_eligibility.report import format as fmt
from fhir_eligibility.report.when import day, opens_as

SYMBOL = {
    Result.PASS: "pass",
    Result.FAIL: "FAIL",
    Result.UNKNOWN: "unknown",
    Result.MANUAL: "manual",
    Result.REVIEW: "REVIEW",
}


def verdict_table(report: Report) -> str:
    """Patients x trials. Columns are measured as a terminal draws them (a trial id longer than a verdict,
    a name in wide characters), and text from the data is :func:`~fhir_eligibility.report.format.printable`."""
    trials = sorted({r.trial for r in report.results})
    patients = list(dict.fromkeys(r.patient for r in report.results))
    cell = {(r.patient, r.trial): r for r in report.results}
    heading = {r.patient: fmt.printable(patient_heading(r)) for r in report.results}
    width = max([fmt.width(h) for h in heading.values()] + [7])
    ids = [fmt.printable(t) for t in trials]
    widths = [max(14, fmt.width(t)) for t in ids]  # 14: the widest verdict, needs-review, and a gap
    head = fmt.pad("Patient", width) + "  " + "  ".join(fmt.pad(t, w) for t, w in zip(ids, widths, strict=True))
    lines = [
        f"Eligibility as of {report.as_of.isoformat()}"
        + (" (manual criteria assumed attested)" if any(r.assumed_attested for r in report.results) else ""),
        head,
        "-" * fmt.width(head),
    ]
    for p in patients:
        row = [
            (cell[(p, t)].verdict.value if (p, t) in cell else "-").ljust(w)
            for t, w in zip(trials, widths, strict=True)
        ]
        lines.append(fmt.pad(heading[p], width) + "  " + "  ".join(row))
    counts: dict[str, int] = {}
    for r in report.results:
        counts[r.verdict.value] = counts.get(r.verdict.value, 0) + 1
    lines.append("")
    lines.append(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no results")
    review = [r for r in report.results if r.verdict.value == "needs-review"]
    if review:
        judged = sum(1 for r in review if any(c.result is Result.REVIEW for c in r.criteria))
        lines.append(
            f"needs-review: {judged} need a clinician's judgement of their data, "
            f"{len(review) - judged} only await attestations"
        )
    for w in report.warnings:
        lines.append(f"warning: {w}")
    return _text(lines) + legend(report)


def _text(lines: list[str]) -> str:
    """The lines as one text, each :func:`~fhir_eligibility.report.format.printable` (a control character from
    the data, an ANSI escape or a carriage return, never reaches the terminal)."""
    return "\n".join(fmt.printable(line) for line in lines)


LEGEND = (
    ("eligible", "every criterion met on the data"),
    ("needs-review", "the data fit; manual items to attest or judge"),
    ("undetermined", "data missing: collect them to decide"),
    ("ineligible", "a criterion is not met (nothing to collect)"),
)
HINT = "Why? Add --details for each criterion, or --format html -o report.html for a page with the evidence."


def legend(report: Report) -> str:
    """Under the verdict table: what each verdict means and where the reasons are (nothing for no results)."""
    if not report.results:
        return ""
    return "\n\n" + "\n".join(f"  {v:<13} {text}" for v, text in LEGEND) + "\n" + HINT


def patient_heading(r: TrialResult) -> str:
    """The id, and what lets a person recognise the patient: ``Patient/x (Jane Doe, born 1963-09-14, MRN 7)``."""
    text = label_text(r.label)
    return f"{r.patient} ({text})" if text else r.patient


KIND = {Result.REVIEW: "clinician judgement: ", Result.MANUAL: "awaiting attestation: "}
_ORDER = {Result.FAIL: 0, Result.UNKNOWN: 1, Result.REVIEW: 2, Result.MANUAL: 3}


def _explain_order(c: CriterionResult) -> int:
    """Fails, then data to collect, then data-driven reviews, then attestations (stable within each)."""
    return _ORDER.get(c.result, 4)


def explain(report: Report) -> str:
    """Criterion by criterion, for each patient x trial: what decided and what to collect."""
    out: list[str] = []
    for r in report.results:
        out.append(f"{patient_heading(r)} x {r.trial}: {r.verdict.value}")
        for c in sorted(r.criteria, key=_explain_order):
            if c.result is not Result.PASS:
                out.append(f"  [{SYMBOL[c.result]}] {c.id}: {KIND.get(c.result, '')}{fmt.reason(c.reason)}")
            elif c.attestation is not None:
                out.append(f"  [attested] {c.id}: {fmt.reason(c.reason)}")
        for m in r.missing_data:
            codes = ", ".join(fmt.code(x) for x in m.codes) or "no code"
            out.append(f"  collect: {fmt.label(m.what, 100)} ({codes}) dated {fmt.window(m.window)}")
    return _text(out)


def dates(report: Report) -> str:
    """`--details`: when each verdict changes if the record stays as it is (issue 16)."""
    out: list[str] = []
    for r in report.results:
        w = r.when
        if w is None or not (w.eligible_from or w.eligible_until or w.timeline):
            continue
        if r.verdict is Verdict.INELIGIBLE and not w.eligible_from:
            continue  # no date opens the trial: its labs lapsing is noise
        said = [f"{opens_as(r)} from {day(w.eligible_from)}"] if w.eligible_from else []
        holds = "then holds" if w.eligible_from else "current answers hold"  # after eligibleFrom: that verdict
        said += [f"{holds} until {day(w.eligible_until)}"] if w.eligible_until else []
        within = f"within {w.horizon} days of {report.as_of.isoformat()}"
        out.append(f"{r.patient} x {r.trial}: {'; '.join(said) or 'no change of verdict'} ({within})")
        for c in w.timeline:
            text = fmt.shorten(fmt.reason(c.text), 80)
            out.append(f"  {day(c.date)}  {c.criterion}: {c.before.value} -> {c.after.value}  {text}")
    return _text(out)


def collect_first_text(report: Report) -> str:
    """`--details`: per undetermined patient, what to collect first across all trials, the items that settle
    the most criteria and trials first, each with the dates between which a result counts (issue 16)."""
    patients: dict[str, list[TrialResult]] = {}
    for r in report.results:
        patients.setdefault(r.patient, []).append(r)
    out: list[str] = []
    for results in patients.values():
        items = collect_first(results)
        if not items:
            continue
        if not out:
            out.append("What to collect first (what settles the most criteria and trials leads):")
        out.append(f"{patient_heading(results[0])}:")
        out.extend(f"  {k}. {_collect_line(i)}" for k, i in enumerate(items, 1))
    return _text(out)


def _collect_line(i: Item) -> str:
    start, by = (fmt.fhir_date(d, fmt.FHIR_DATETIME) for d in (i.not_before, i.by))  # "any": no bound
    if start and by:
        dated = f"dated {start} to {by}"
    else:
        dated = f"on or after {start}" if start else f"by {by}" if by else "of any date"
    ids = ", ".join(c.rpartition("/")[2] for c in i.criteria)
    n, t = len(i.criteria), len(i.trials)
    settles = f"settles {n} criteri{'on' if n == 1 else 'a'} in {t} trial{'' if t == 1 else 's'}"
    return f"{fmt.label(i.what, 60)} {dated}: {settles} ({ids})"


def checklist(trial: Trial) -> str:
    """`show`: the criteria as a checklist a coordinator can hold against the protocol."""
    lines = [f"{trial.id}  {trial.title}"]
    if trial.phase or trial.status or trial.sponsor:
        lines.append("  " + " | ".join(x for x in (trial.phase, trial.status, trial.sponsor) if x))
    lines.append(f"  {len(trial.criteria)} criteria, {trial.computable_count} computable from FHIR data")
    for kind, excl in (("Inclusion", False), ("Exclusion", True)):
        lines.append("")
        lines.append(f"{kind} criteria")
        for c in (c for c in trial.criteria if c.exclude == excl):
            mode = "auto  " if c.computable else "manual"
            lines.append(
                textwrap.fill(
                    " ".join(c.description.split()),
                    width=118,
                    initial_indent=f"  [ ] {c.id:<12} {mode}  ",
                    subsequent_indent=" " * 28,
                )
            )
            lines.extend(_rule_lines(c, 6))
            for n in c.notes:
                lines.append(
                    textwrap.fill(
                        " ".join(n.split()), width=118, initial_indent=" " * 22 + "note: ", subsequent_indent=" " * 28
                    )
                )
    return "\n".join(lines)


def _one_line(text: str, width: int = 100) -> str:
    return fmt.shorten(text, width)


_COMBINATION = {"all-of": "all", "any-of": "any", "at-least": "at least", "at-most": "at most"}


def _rule_lines(c: Criterion, indent: int) -> list[str]:
    d = c.definition
    if not isinstance(d, Combination):
        return []
    out = [
        f"{' ' * (indent + 16)}{_COMBINATION.get(d.code, d.code)}{' ' + str(d.threshold) if d.threshold else ''} of:"
    ]
    for k in d.children:
        flag = ("not " if k.exclude else "") + ("[judgement] " if k.judgement else "")
        out.append(f"{' ' * (indent + 18)}- {flag}{_one_line(k.description or k.id, 80)}")
    return out
