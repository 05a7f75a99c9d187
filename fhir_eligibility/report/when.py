"""When a verdict starts or stops holding, in words (issue 16): one wording for the cards, the patient page and
the table, read from ``TrialResult.when`` (worked out by evaluation.timeline; nothing here re-evaluates)."""

from __future__ import annotations

import datetime as dt

from fhir_eligibility.evaluation.results import Change, Result, TrialResult, Verdict, When
from fhir_eligibility.identity import WITHHELD, WITHHELD_TEXT
from fhir_eligibility.report import format as fmt

DAY = dt.timedelta(days=1)


def day(d: dt.date) -> str:
    """A date of the timeline as text: ISO, or ``(withheld)`` when --deidentify withheld it (a birthday)."""
    return WITHHELD_TEXT if d == WITHHELD else d.isoformat()


def iso(d: dt.date | None) -> str | None:
    """A date of the timeline as data: ISO, or None when absent or withheld (see :func:`withheld`)."""
    return None if d is None or d == WITHHELD else d.isoformat()


def withheld(w: When) -> bool:
    """Whether --deidentify withheld some of the dates (derived from the birth date)."""
    return WITHHELD in (w.eligible_from, w.eligible_until) or any(c.date == WITHHELD for c in w.timeline)


def opening(r: TrialResult) -> list[Change]:
    """The changes on ``eligibleFrom``: what turning in the patient's favour makes the trial open."""
    w = r.when
    return [c for c in w.timeline if c.date == w.eligible_from] if w and w.eligible_from else []


def lapsing(r: TrialResult) -> list[Change]:
    """The changes the day after ``eligibleUntil``: what lapses and ends the current verdict (or the one
    reached on ``eligibleFrom``)."""
    w = r.when
    if not (w and w.eligible_until):
        return []
    after = WITHHELD if w.eligible_until == WITHHELD else w.eligible_until + DAY  # withheld: both are
    return [c for c in w.timeline if c.date == after]


def names(r: TrialResult, changes: list[Change], shown: int = 2, width: int = 32) -> str:
    """The changed criteria as people name them (their protocol text, cut at a word), at most ``shown``."""
    text = {c.id: c.description for c in r.criteria}
    said = list(dict.fromkeys(fmt.label(text.get(c.criterion) or c.criterion, width) for c in changes))
    more = f" and {len(said) - shown} more" if len(said) > shown else ""
    return ", ".join(said[:shown]) + more


def _all_pass_on(r: TrialResult, day: dt.date) -> bool:
    """Whether every top-level criterion passes on ``day`` (today's results, then the timeline's
    changes up to that day): else someone must still attest or judge then."""
    now = {c.id: c.result for c in r.criteria}
    for c in r.when.timeline if r.when else ():
        if c.date <= day:
            now[c.criterion] = c.after
    return all(v is Result.PASS for v in now.values())


def opens_as(r: TrialResult) -> str:
    """The verdict on ``eligibleFrom`` in words, ``eligible`` or ``needs review`` (eligibleFrom is "eligible or
    needs review"): every renderer says the same, never "eligible from" a day the verdict will need a person."""
    w = r.when
    if w is None or w.eligible_from is None:
        return "eligible"
    eligible = w.verdict_from is Verdict.ELIGIBLE if w.verdict_from else _all_pass_on(r, w.eligible_from)
    return "eligible" if eligible else "needs review"


def rescreen(r: TrialResult) -> str | None:
    """The date an ineligible patient becomes eligible on time alone (ISO or ``(withheld)``), None if time alone
    cannot."""
    w = r.when
    return day(w.eligible_from) if r.verdict is Verdict.INELIGIBLE and w and w.eligible_from else None


def headline(r: TrialResult) -> str | None:
    """``eligible from D if nothing else changes (...)[; until E, then ... lapse]`` / ``eligible until D, then
    ... lapse``; None: no date. After eligibleFrom, eligibleUntil ends the verdict reached on it, not today's."""
    w = r.when
    if w is None:
        return None
    lapsed = lapsing(r)
    n = len(lapsed)
    then = f", then {n} criteri{'on lapses' if n == 1 else 'a lapse'} ({names(r, lapsed)})" if lapsed else ""
    if w.eligible_from:
        opened = opening(r)
        passing = [c for c in opened if c.after is Result.PASS]
        waiting = [c for c in opened if c.after is not Result.PASS]  # then awaiting a person (manual, review)
        said = [
            f"{names(r, passing)} then pass{'es' if len(passing) == 1 else ''}" if passing else "",
            f"{names(r, waiting)} then await{'s' if len(waiting) == 1 else ''} a person" if waiting else "",
        ]
        why = f" ({'; '.join(x for x in said if x)})" if opened else ""
        until = f"; until {day(w.eligible_until)}{then}" if w.eligible_until else ""
        return f"{opens_as(r)} from {day(w.eligible_from)} if nothing else changes{why}{until}"
    if w.eligible_until:
        holds = "eligible" if r.verdict is Verdict.ELIGIBLE else "current answers hold"
        return f"{holds} until {day(w.eligible_until)}{then}"
    return None


__all__ = ["DAY", "day", "headline", "iso", "lapsing", "names", "opening", "opens_as", "rescreen", "withheld"]
