"""The screening report (one population x several trials) and its pure renderers: table, CSV, JSON.

Why a separate model from :class:`~fhir_eligibility.evaluation.results.Report`: a screening of
100,000 patients cannot keep every per-criterion result; it keeps counts (verdicts, a funnel per
top-level criterion) and only the candidates a coordinator acts on. The screening package
builds it; renderers only read it (they never evaluate).

JSON contract::

    {"asOf", "assumedAttested", "trials": [{"trial", "counts": {<verdict>: n},
      "funnel": [{"criterion", "description", "pass", "fail", "unknown", "manual", "review", "notEvaluated"}],
      "candidates": [{"patient", "verdict", "missing": [...], "eligibleFrom", "eligibleUntil",
                      # + "verdictFrom" with an eligibleFrom: the verdict that day, "eligible" | "needs-review"
                      "outstanding": {"judgement": [criterion ids], "attestation": [criterion ids]},
                      # + "assumed": [criterion ids] when assumedAttested (decided by the what-if alone)
                      "patientLabel": {"name", "birthDate", "mrn"}}],  # the label's parts there are;
                      # no patientLabel with --deidentify, and "datesWithheld": true for a date it withheld
      "withinHorizon": {"days", "becomesEligible", "lapses"},
      "needsReview": {"judgement", "attestation"}}]}

plus top-level ``patients`` (how many were screened), ``source``, ``warnings`` and
``notScreened`` ([{"patient", "reason"}]: candidates a server could not deliver; the run is partial).
``notEvaluated``: patients a criterion was not evaluated for (the deceased), so each row adds up to all.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fhir_eligibility.evaluation.results import PatientLabel
from fhir_eligibility.identity import WITHHELD_TEXT, IdentityPolicy, from_birthday, label_json, label_text
from fhir_eligibility.report import format as fmt
from fhir_eligibility.report.html.dashboard import opens_as, render_screening_html
from fhir_eligibility.shorten import shorten

RESULTS = ("pass", "fail", "unknown", "manual", "review")
VERDICTS = ("eligible", "needs-review", "undetermined", "ineligible")
# Candidates first by what a coordinator can act on soonest; ineligible patients are not candidates.
CANDIDATE_RANK = {"eligible": 0, "needs-review": 1, "undetermined": 2, "ineligible": 3}  # ineligible: only
# those who become eligible within the horizon (earliest first)
TABLE_CANDIDATES = 25


@dataclass(frozen=True)
class FunnelRow:
    """One top-level criterion: how many screened patients got each result, and how many remain.

    ``remaining`` = patients failing neither this criterion nor any earlier one (trial order):
    the classic feasibility funnel, shown in the table.
    """

    criterion: str
    kind: str  # inclusion | exclusion
    description: str
    counts: dict[str, int]
    remaining: int
    not_evaluated: int = 0  # patients this criterion was not evaluated for (deceased)


@dataclass(frozen=True)
class Candidate:
    patient: str  # "Patient/<id>"
    verdict: str
    missing: tuple[str, ...]  # "<criterion>: <what> (<window>)"
    eligible_from: str | None = None  # ISO dates within the screening's horizon (evaluation.timeline),
    eligible_until: str | None = None  # or WITHHELD_TEXT: derived from the birth date, withheld by --deidentify
    label: PatientLabel | None = None  # name, birth date, MRN; never logged, dropped by --deidentify
    judge: tuple[str, ...] = ()  # criteria left for a clinician's judgement of the data (result review)
    attest: tuple[str, ...] = ()  # manual criteria awaiting an attestation
    assumed: tuple[str, ...] = ()  # criteria decided by the --assume-attested what-if alone
    verdict_from: str | None = None  # the verdict on eligible_from: "eligible" or "needs-review" (None: no date)


@dataclass(frozen=True)
class TrialScreening:
    trial: str
    title: str
    counts: dict[str, int]  # every verdict, zeros included
    funnel: tuple[FunnelRow, ...]
    candidates: tuple[Candidate, ...]  # ranked
    becoming: int = 0  # becomes eligible within the horizon
    lapsing: int = 0  # eligibility lapses within the horizon
    judged: int = 0  # needs-review for a clinician's judgement of the data; the rest await attestations only


@dataclass(frozen=True)
class ScreeningReport:
    as_of: date
    patients: int
    trials: tuple[TrialScreening, ...]
    source: str = ""
    warnings: tuple[str, ...] = field(default=())
    not_screened: tuple[tuple[str, str], ...] = field(default=())  # (patient id, reason): a partial run
    horizon: int = 0  # days ahead the dates were looked for (0: not asked)
    assumed_attested: bool = False  # a what-if: manual criteria assumed attested


def identified(report: ScreeningReport, policy: IdentityPolicy) -> ScreeningReport:
    """The report with each candidate's label as ``policy`` shows it (another MRN system, or none: --deidentify;
    then a date derived from the birth date is withheld, and its candidate ranked after the dated ones)."""
    trials = tuple(
        dataclasses.replace(t, candidates=_ranked(tuple(_identified(c, policy) for c in t.candidates), policy))
        for t in report.trials
    )
    return dataclasses.replace(report, trials=trials)


def _identified(c: Candidate, policy: IdentityPolicy) -> Candidate:
    label = policy.label(c.label)
    if not policy.deidentify:
        return dataclasses.replace(c, label=label)
    births = [c.label.birth_date] if c.label is not None and c.label.birth_date else []

    def shown(day: str | None) -> str | None:
        return WITHHELD_TEXT if day and from_birthday(date.fromisoformat(day), births) else day

    return dataclasses.replace(
        c, label=label, eligible_from=shown(c.eligible_from), eligible_until=shown(c.eligible_until)
    )


def _ranked(candidates: tuple[Candidate, ...], policy: IdentityPolicy) -> tuple[Candidate, ...]:
    """As :func:`rank_key`, a withheld date after the dated ones: its place would bound the day."""
    if not policy.deidentify or all(c.eligible_from != WITHHELD_TEXT for c in candidates):
        return candidates
    return tuple(
        sorted(
            candidates, key=lambda c: (CANDIDATE_RANK.get(c.verdict, 9), c.eligible_from == WITHHELD_TEXT, rank_key(c))
        )
    )


def _withheld(c: Candidate) -> bool:
    return WITHHELD_TEXT in (c.eligible_from, c.eligible_until)


def _date(day: str | None) -> str | None:
    return None if day == WITHHELD_TEXT else day


def outstanding(
    criteria: Sequence[tuple[str, str, str]], results: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The candidate's open checks from its top-level results (trial order): to judge (review), to attest (manual).

    The ids are the trial's own strings, shared by every candidate: a few pointers each."""
    judge = tuple(c[0] for c, r in zip(criteria, results, strict=False) if r == "review")
    attest = tuple(c[0] for c, r in zip(criteria, results, strict=False) if r == "manual")
    return judge, attest


def _who(c: Candidate) -> dict[str, Any]:
    label = label_json(c.label)
    return ({"patientLabel": label} if label else {}) | ({"datesWithheld": True} if _withheld(c) else {})


def _opens(c: Candidate) -> dict[str, str]:
    """``verdictFrom`` beside a shown eligibleFrom (as ``assumed`` and ``patientLabel``: only when there is one)."""
    return {"verdictFrom": c.verdict_from} if _date(c.eligible_from) and c.verdict_from else {}


def _checks(c: Candidate, what_if: bool) -> dict[str, list[str]]:
    out = {"judgement": list(c.judge), "attestation": list(c.attest)}
    return out | {"assumed": list(c.assumed)} if what_if else out


def rank_key(c: Candidate) -> tuple[int, str, int, str]:
    """Eligible, needs-review, undetermined, eligible later (earliest first); then fewest missing items; then id."""
    return (CANDIDATE_RANK.get(c.verdict, 9), c.eligible_from or "", len(c.missing), c.patient)


def screening_json(report: ScreeningReport) -> dict[str, Any]:
    return {
        "asOf": report.as_of.isoformat(),
        "assumedAttested": report.assumed_attested,
        "patients": report.patients,
        "source": report.source,
        "trials": [
            {
                "trial": t.trial,
                "title": t.title,
                "counts": {v: t.counts.get(v, 0) for v in VERDICTS},
                "funnel": [
                    {
                        "criterion": f.criterion,
                        "description": f.description,
                        **{r: f.counts.get(r, 0) for r in RESULTS},
                        "notEvaluated": f.not_evaluated,
                    }
                    for f in t.funnel
                ],
                "candidates": [
                    {
                        "patient": c.patient,
                        "verdict": c.verdict,
                        "missing": list(c.missing),
                        "eligibleFrom": _date(c.eligible_from),
                        "eligibleUntil": _date(c.eligible_until),
                        **_opens(c),
                        "outstanding": _checks(c, report.assumed_attested),
                        **_who(c),
                    }
                    for c in t.candidates
                ],
                "withinHorizon": {"days": report.horizon, "becomesEligible": t.becoming, "lapses": t.lapsing},
                "needsReview": {"judgement": t.judged, "attestation": t.counts.get("needs-review", 0) - t.judged},
            }
            for t in report.trials
        ],
        "warnings": list(report.warnings),
        "notScreened": [{"patient": p, "reason": r} for p, r in report.not_screened],
    }


def render_json(report: ScreeningReport) -> str:
    return json.dumps(screening_json(report), indent=2, ensure_ascii=False, allow_nan=False)


CSV_COLUMNS = (
    "trial",
    "rank",
    "patient",
    "verdict",
    "missing",
    "eligibleFrom",
    "eligibleUntil",
    "name",
    "birthDate",
    "mrn",
    "judge",
    "attest",
    "assumed",
)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (a name "=HYPERLINK(...)" from the data)
    starts with a quote, as OWASP advises for CSV; numbers are left as they are."""
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def render_csv(report: ScreeningReport) -> str:
    """One row per candidate (what a coordinator works through); ``missing`` items joined by "; ".

    Rows end in CRLF (RFC 4180): the writer quotes a field holding a character of the line ending, so a
    bare CR in an MRN is quoted too; with LF endings it was written bare, and a reader split the row
    there, its next "row" starting with whatever formula followed the CR."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for t in report.trials:
        for i, c in enumerate(t.candidates, 1):
            label = c.label or PatientLabel()
            w.writerow(
                map(
                    cell,
                    (
                        t.trial,
                        i,
                        c.patient,
                        c.verdict,
                        "; ".join(c.missing),
                        c.eligible_from or "",
                        c.eligible_until or "",
                        label.name or "",
                        label.birth_date or "",
                        label.mrn or "",
                        "; ".join(c.judge),
                        "; ".join(c.attest),
                        "; ".join(c.assumed),
                    ),
                )
            )
    for patient, reason in report.not_screened:
        w.writerow(map(cell, ("", "", patient, "not-screened", reason)))
    return buf.getvalue()


def _short(text: str, width: int) -> str:
    return shorten(text, width)


def render_table(report: ScreeningReport, max_candidates: int = TABLE_CANDIDATES) -> str:
    """Per trial: verdict counts, the funnel, and the first candidates (CSV/JSON list them all). Text from the
    data is :func:`~fhir_eligibility.report.format.printable`, and columns are measured as a terminal draws them."""
    as_of = report.as_of.isoformat()
    lines = [f"Screening as of {as_of}: {report.patients} patients" + _source(report)]
    if report.assumed_attested:
        lines.append("WHAT-IF: manual criteria assumed attested (--assume-attested); no person has answered them")
    for t in report.trials:
        lines.append("")
        lines.append(f"{t.trial}  {_short(t.title, 90)}")
        lines.append("  " + ", ".join(f"{v}: {t.counts.get(v, 0)}" for v in VERDICTS))
        if t.counts.get("needs-review", 0):
            waiting = t.counts["needs-review"] - t.judged
            lines.append(f"  needs-review: {t.judged} clinician judgement of the data, {waiting} awaiting attestation")
        if report.horizon:
            lines.append(
                f"  within {report.horizon} days of {as_of}: {t.becoming} become eligible, "
                f"eligibility lapses for {t.lapsing}"
            )
        lines.extend(_funnel_lines(t.funnel))
        if not t.candidates:
            lines.append("  no candidates")
            continue
        lines.append(f"  candidates ({len(t.candidates)}):")
        shown = t.candidates[:max_candidates]
        names = [fmt.printable(c.patient + (f" ({label_text(c.label)})" if c.label else "")) for c in shown]
        pwidth = max(fmt.width(n) for n in names)
        for i, (c, name) in enumerate(zip(shown, names, strict=True), 1):
            missing = f"  missing: {_short('; '.join(c.missing), 100)}" if c.missing else ""
            when = f"  {opens_as(c.verdict_from)} from {c.eligible_from}" if c.eligible_from else ""
            when += f"  until {c.eligible_until}" if c.eligible_until else ""
            checks = f"  judge: {', '.join(c.judge)}" if c.judge else ""  # data-driven first
            checks += f"  attest: {_short(', '.join(c.attest), 60)}" if c.attest else ""
            checks += f"  assumed: {_short(', '.join(c.assumed), 60)}" if c.assumed else ""
            lines.append(f"  {i:>4}. {fmt.pad(name, pwidth)}  {c.verdict:<12}{when}{missing}{checks}")
        if len(t.candidates) > max_candidates:
            lines.append(f"  ... {len(t.candidates) - max_candidates} more (use --format csv or json for all)")
    if report.not_screened:
        lines.append(f"NOT SCREENED: {len(report.not_screened)} candidate(s); the screening is partial")
        lines.extend(f"  {p}: {r}" for p, r in report.not_screened)
    for w in report.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(fmt.printable(line) for line in lines)


def _funnel_lines(funnel: Sequence[FunnelRow]) -> list[str]:
    """The funnel as a table: per criterion its counts, the patients it did not evaluate, and those left."""
    ids = [fmt.printable(f.criterion) for f in funnel]
    width = max([fmt.width(i) for i in ids] + [9])
    head = (
        f"  {fmt.pad('criterion', width)}  {'type':<9}"
        + "".join(f"{r:>9}" for r in RESULTS)
        + f"{'not-evaluated':>15}{'remaining':>11}"
    )
    lines = [head, "  " + "-" * (len(head) - 2)]
    for i, f in zip(ids, funnel, strict=True):
        lines.append(
            f"  {fmt.pad(i, width)}  {f.kind:<9}"
            + "".join(f"{f.counts.get(r, 0):>9}" for r in RESULTS)
            + f"{f.not_evaluated:>15}{f.remaining:>11}"
        )
    return lines


def _source(report: ScreeningReport) -> str:
    return f" from {report.source}" if report.source else ""


def render(report: ScreeningReport, fmt: str, pages: dict[str, str] | None = None) -> str:
    """``pages``: patient -> link to its eligibility page (``screen --pages``), shown on the HTML dashboard."""
    if fmt == "html":
        return render_screening_html(screening_json(report), pages)
    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv(report)
    return render_table(report)


__all__ = [
    "CSV_COLUMNS",
    "RESULTS",
    "VERDICTS",
    "Candidate",
    "FunnelRow",
    "ScreeningReport",
    "TrialScreening",
    "identified",
    "outstanding",
    "rank_key",
    "render",
    "render_csv",
    "render_json",
    "render_table",
    "screening_json",
]
