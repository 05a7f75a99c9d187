"""Windows relative to an event whose day is not known: decided where every day it may be on agrees.

An event dated only by its month or year (a liver resection "2026-05", a last PRRT cycle "2023-07")
may be on any day from its first to its last possible day (:func:`.windows.event_days`). A window
relative to it ("within 42 days before the surgery", "after the last cycle") is decided when every
one of those days gives the same answer, and unknown when they disagree (clinical.md §0.12, as
forms.derived sums a dose dated by its month). The explained walk's leaf (:func:`.combination.leaf_outcome`)
is evaluated on the days :func:`choices` picks, and the compiled program asks it for such a leaf
(:meth:`.program.Program._anchored_leaf`): one statement of the rule for both.

Why a few evaluations are exact, not one per day: a leaf reads its window [lo, hi] only by comparing
the bounds with the dates its facts carry, with the as-of date, with ``DATE_MIN`` (no window start)
and with each other (an ongoing record lies in any window that is not empty); it does no arithmetic
on them. Two days whose bounds sit at the same place among those dates (as many dates before each
bound, each bound one of them or not) and in the same order answer every such comparison alike, so
the leaf gives them the same truth: it is evaluated once per distinct place (:func:`_key`). The
bounds move monotonically with the event's day (``shift`` never decreases), so the place changes
only where a bound meets a record's date: a month usually needs one to three evaluations. Checking
only the first and last day would not be exact: a narrow window ("the 7 days before") can pass over
a record dated mid-month, which is out of it on the month's ends and in it between.

On a day the event may be on, the records it is dated by are on that day or before (it is the latest
of them): a last cycle "2023-07", on 07-10, is no cycle of 07-20 after it. Those records are read so
on each day (:func:`_pinned`); they then move with the day, and the comparisons of their dates with
the bounds or with each other (a course's gaps) are no longer the record's fixed dates: the leaf is
evaluated on every day the events may be on (a month: 31 evaluations; rare: a window's codes must
hold the event's own records, as B-I5's "any anticancer therapy after the last cycle").
"""

from __future__ import annotations

import datetime as dt
import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import replace

from fhir_eligibility.criteria.model import Window
from fhir_eligibility.evaluation.context import Context, Outcome
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.windows import bounds_with, event_records, window_text
from fhir_eligibility.logic import Truth
from fhir_eligibility.measures.timing import DATE_MIN

Span = tuple[dt.date, dt.date]  # the first and last day an event may be on (the same day when known)
_DAY = dt.timedelta(days=1)


def record_dates(record: PatientRecord, as_of: dt.date) -> list[dt.date]:
    """Every date a form may compare a window bound with, sorted: each fact's dates (a partial
    date's first and last day, a period's, an abatement's), the as-of date and ``DATE_MIN``."""
    out = {as_of, DATE_MIN}
    for facts in record.by_kind.values():
        for f in facts:
            for d in (f.start, f.end, f.latest, f.ends_by, f.last):
                if d is not None:
                    out.add(d)
            if f.end is not None:
                out.add(f.end_last)
            if f.abated is not None:
                out.update(f.abated)
    return sorted(out)


def _key(lo: dt.date, hi: dt.date, dates: list[dt.date]) -> tuple[int, int, int, int, bool]:
    """Where the bounds sit among ``dates``: every comparison a form makes with them follows from it."""
    return bisect_left(dates, lo), bisect_right(dates, lo), bisect_left(dates, hi), bisect_right(dates, hi), lo <= hi


def choices(
    windows: tuple[Window, ...], as_of: dt.date, spans: dict[str, Span], dates: list[dt.date] | None
) -> list[dict[str, dt.date]]:
    """The events' days (every event the windows are relative to, one day each) the leaf must be
    evaluated on: one assignment per distinct place of the bounds among ``dates`` (the module's
    docstring says why that is exact), over every combination of the days each event may be on;
    ``dates`` None: every combination."""
    links = list(spans)
    ranges = [[a + _DAY * i for i in range((b - a).days + 1)] for a, b in spans.values()]
    every = (dict(zip(links, days, strict=True)) for days in itertools.product(*ranges))
    if dates is None:
        return list(every)
    picked: dict[tuple[int, int, int, int, bool], dict[str, dt.date]] = {}
    for at in every:
        lo, hi, _err = bounds_with(windows, as_of, None, at.get)
        picked.setdefault(_key(lo, hi, dates), at)
    return list(picked.values())


def uncertain(spans: dict[str, Span]) -> bool:
    """Whether any event's day is not known (the leaf is then evaluated on each of :func:`choices`)."""
    return any(a != b for a, b in spans.values())


def each_day(ctx: Context, windows: tuple[Window, ...], spans: dict[str, Span], leaf: Callable[[], Outcome]) -> Outcome:
    """The explained leaf over the days its events may be on: each event's day set in
    ``ctx.anchors`` in turn (only windows relative to an event read it; their bounds are never
    cached) and its records read as on or before it (``ctx.record``), then both put back."""
    loose = {link: s for link, s in spans.items() if s[0] != s[1]}
    moving = {link: _movable(event_records(link, ctx) or (), s[0]) for link, s in loose.items()}
    record = ctx.record
    dates = None if any(moving.values()) else record_dates(record, ctx.as_of)
    outs: list[Outcome] = []
    try:
        for at in choices(windows, ctx.as_of, spans, dates):
            for link in loose:
                ctx.anchors[link] = at[link]
            ctx.record = _pinned(record, ((f, at[link]) for link, facts in moving.items() for f in facts))
            outs.append(leaf())
    finally:
        ctx.record = record
        for link in loose:
            ctx.anchors[link] = None
    return _combined(outs, loose)


def _movable(matched: Iterable[Fact], first: dt.date) -> list[Fact]:
    """An event's records that may be after its first possible day: points dated by a month or a
    year, or known only within a range (a period ending in a month is left as it is: no field says
    "ends by", so it is read as before, which may only leave an answer unknown)."""
    return [f for f in matched if f.end is None and f.start is not None and (f.last or f.start) > first]


def _pinned(record: PatientRecord, moved: Iterable[tuple[Fact, dt.date]]) -> PatientRecord:
    """The record with each moved record known to lie on or before its event's day (``latest``)."""
    new: dict[int, Fact] = {}
    for f, day in moved:
        last = f.last or f.start
        assert last is not None
        if last > day:
            new[id(f)] = f._replace(latest=min(day, new[id(f)].latest or day) if id(f) in new else day)
    if not new:
        return record

    def swap(facts: tuple[Fact, ...]) -> tuple[Fact, ...]:
        return tuple(new.get(id(f), f) for f in facts)

    by_kind = {k: swap(v) for k, v in record.by_kind.items()}
    return replace(record, by_kind=by_kind, by_code={k: swap(v) for k, v in record.by_code.items()})


def _combined(outs: list[Outcome], loose: dict[str, Span]) -> Outcome:
    """One outcome for the days: the first day's when every day gives its truth (its matched
    records only when every day matched the same: an event's date is read from them), else unknown."""
    first = outs[0]
    events = " and ".join(f"{link!r}" for link in loose)
    days = ", ".join(window_text(a, b) for a, b in loose.values())
    if all(o.truth is first.truth for o in outs):
        refs = {f.ref for f in first.matched}
        matched = first.matched if all({f.ref for f in o.matched} == refs for o in outs) else ()
        reason = f"on every day the event {events} may be on ({days}), as on the first: {first.reason}"
        o = first
        return Outcome(o.truth, reason, o.evidence, o.children, matched, o.missing, o.attested, o.series, o.attestation)
    seen = ", ".join(dict.fromkeys(o.truth.value for o in outs))
    why = f"the event {events} this window is relative to is dated only by its month or year ({days})"
    missing = tuple(dict.fromkeys(m for o in outs for m in o.missing))
    return Outcome(
        Truth.UNKNOWN, f"{why}, and its days disagree ({seen}): not knowable (clinical.md §0.12)", missing=missing
    )


__all__ = ["Span", "choices", "each_day", "record_dates", "uncertain"]
