"""The days a criterion's result may change on (the timeline's breakpoints, issue 16).

Why a module of its own: :mod:`.timeline` re-evaluates a trial on these days only, and its exactness
rests on this list being complete: a criterion's truth can only change on a day where something it
reads crosses a window bound. Those days come from the criteria's windows (:class:`Reads`, fixed per
trial) and the record's own dates: each fact's start and end against each window bound, each anchor
event's date plus its windows' offsets, the day running exposure reaches a duration threshold (found
by evaluating that leaf day by day), plus birthdays (ages), attestation expiry and the date of death.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import (
    Age,
    Combination,
    Criterion,
    Derived,
    Expression,
    Records,
    TimeOffset,
    Window,
)
from fhir_eligibility.evaluation.compiled import CompiledTrial
from fhir_eligibility.evaluation.dates import last_day, parse_date
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.forms.records import read_types, records_truth, statement_on_a_day
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.validity import date_problem
from fhir_eligibility.evaluation.windows import bounds_with
from fhir_eligibility.measures.timing import shift
from fhir_eligibility.requirements.plan import leaf_needs

DAY = dt.timedelta(days=1)
APPROX_DAYS = {"wk": 7.0, "mo": 30.44, "a": 365.25, "h": 1 / 24, "min": 1 / 1440, "s": 1 / 86400}
SLACK = dt.timedelta(days=10)  # > the error of ~30.44 days a month over any protocol window


@lru_cache(maxsize=65536)
def first_reaching(y: dt.date, off: TimeOffset) -> dt.date | None:
    """The first as-of date t whose bound ``shift(t, off)`` is on or after ``y`` (shift never decreases in t)."""
    try:
        t = y - dt.timedelta(days=_approx(off))
        while shift(t, off) >= y:
            t -= DAY
        while shift(t, off) < y:
            t += DAY
        return t
    except OverflowError:
        return None


def _approx(off: TimeOffset) -> int:
    return round(off.value * APPROX_DAYS.get(off.unit, 1.0))


@dataclass(frozen=True)
class Reads:
    """What one top-level criterion's dates come from (fixed per trial): computed once, reused per patient."""

    needs: tuple[tuple[str, frozenset[Code]], ...]  # (resource type, codes) its subtree and anchor events read
    plain: tuple[tuple[TimeOffset, int], ...]  # offsets of windows relative to the as-of date, ~days
    event: tuple[TimeOffset, ...]  # offsets of windows relative to another criterion's event
    durations: tuple[tuple[Records, tuple[Window, ...]], ...]  # exposure-duration leaves and their windows
    ages: bool  # an age (or a formula using it, or a FHIRPath expression) is read


def _nodes(c: Criterion, compiled: CompiledTrial) -> list[tuple[Criterion, tuple[Window, ...]]]:
    """The criterion's subtree plus the events its windows are relative to (and theirs), each node
    with the windows it is evaluated in (its own, else its parent's: :func:`.combination.evaluate_node`)."""
    by_link = compiled.by_link
    out: list[tuple[Criterion, tuple[Window, ...]]] = []
    todo: list[tuple[Criterion, tuple[Window, ...]]] = [(c, ())]
    seen = {id(c)}
    while todo:
        node, inherited = todo.pop()
        windows = node.windows or inherited
        out.append((node, windows))
        for w in node.windows:
            event = by_link.get(w.anchor) if w.anchor != "study-start" else None
            if event is not None and id(event) not in seen:
                seen.add(id(event))
                todo.append((event, ()))  # an anchor is evaluated on its own (windows.anchor_date)
        if isinstance(node.definition, Combination):
            todo.extend((k, windows) for k in reversed(node.definition.children))
    return out


def reads_of(c: Criterion, compiled: CompiledTrial, lookback: int) -> Reads:
    """What a top-level criterion's breakpoints come from (kept by the compiled trial, per look-back)."""
    walked = _nodes(c, compiled)
    nodes = [n for n, _w in walked]
    needs = {(t, codes) for n in nodes for t, codes, _since in leaf_needs(n, (), None, 0) if t != "Patient"}
    plain = {TimeOffset(0, "d"), TimeOffset(-lookback, "d"), TimeOffset(-90, "d")}  # default and weight windows
    event: set[TimeOffset] = set()
    durations: dict[tuple[Records, tuple[Window, ...]], None] = {}
    for n, windows in walked:
        for w in n.windows:
            (plain if w.anchor == "study-start" else event).update(o for o in (w.low, w.high) if o is not None)
        d = n.definition
        if isinstance(d, Records) and d.duration is not None:
            durations[(d, windows)] = None
    ages = any(isinstance(n.definition, (Age, Derived, Expression)) for n in nodes)
    return Reads(tuple(needs), tuple((o, _approx(o)) for o in plain), tuple(event), tuple(durations), ages)


def criterion_dates(
    reads: Reads, record: PatientRecord, as_of: dt.date, end: dt.date, gap_days: int = 182
) -> set[dt.date]:
    """Days in (as_of, end] on which a criterion's result may differ from the day before
    (``gap_days``: the settings' course gap, which exposure leaves of a first course read)."""
    days: set[dt.date] = set()
    out: set[dt.date] = set()
    for rtype, codes in reads.needs:
        for f in record.facts([rtype], codes):
            days.update(d for d in (f.start, f.end, f.last, f.ends_by) if d is not None)
            if f.end is not None and len(f.instant) in (4, 7):  # an end "2026-05" may be any day to its last
                days.add(f.end_last)
            if f.abated is not None:  # a condition ending: uncertain from its first day, over on its last
                out.update(f.abated)
    lo, hi = as_of - SLACK, end + SLACK  # months and years are ~days: a margin, then exact arithmetic
    for x in days:
        try:
            _breakpoints(x, reads, lo, hi, out)
        except OverflowError:  # a day near the calendar's end (year 9998): no change within any horizon
            continue
    for d, windows in reads.durations:
        out |= _exposure_dates(d, windows, record, as_of, end, gap_days)
    return {d for d in out if as_of < d <= end}


def _exposure_dates(
    d: Records, windows: tuple[Window, ...], record: PatientRecord, as_of: dt.date, end: dt.date, gap_days: int
) -> set[dt.date]:
    """The days in (as_of, end] on which an exposure-duration leaf's truth changes: exposure still
    running (a statement or administration under way, a stop not recorded) grows by a day a day, and
    reaches the threshold on a day that depends on every period before it (20 days last year and 12
    since 05-25 pass "31 days" on 06-05, not 31 days after any record's date) and, in months, on the
    calendar. Found by evaluating the leaf on each day, as the verdict does; only for a record with
    such a running period (else the total changes only when a record's date meets a window bound,
    which are breakpoints already) and windows relative to the study start (an event's date is the
    other criteria's: then the days the threshold is reached from each record's date stand in)."""
    facts = record.facts(d.resource_types, d.codes)
    if not any(f.ongoing or f.open_end or statement_on_a_day(f) for f in facts) or record.unavailable_for(
        read_types(d), d.codes
    ):
        return set()
    assert d.duration is not None
    if any(w.anchor != "study-start" for w in windows):
        out: set[dt.date] = set()
        for f in facts:
            for x in (f.start, f.end):
                for v in (d.duration.value, d.duration.low, d.duration.high):
                    if x is not None and v is not None:
                        b = shift(x, TimeOffset(v, d.duration.unit or "d"))
                        out.update((b - DAY - DAY, b - DAY, b, b + DAY))
        return out
    out = set()
    day, before = as_of, None
    while day <= end:
        lo, hi, _err = bounds_with(windows, day, None, _no_event)
        now = records_truth(d, record, day, gap_days, lo, hi)
        if before is not None and now is not before:
            out.add(day)
        day, before = day + DAY, now
    return out


def _no_event(_link: str) -> dt.date | None:
    return None


def _breakpoints(x: dt.date, reads: Reads, lo: dt.date, hi: dt.date, out: set[dt.date]) -> None:
    """The days a record's date ``x`` may change a criterion's result on (added to ``out``)."""
    for o, approx in reads.plain:  # the window [t+low, t+high] reaches or leaves x (inclusive or strict)
        if lo <= x - dt.timedelta(days=approx) <= hi:
            out.update(t for t in (first_reaching(x, o), first_reaching(x + DAY, o)) if t is not None)
    for o in reads.event:  # a bound fixed by an anchor event on x, met by the as-of date
        b = shift(x, o)
        if lo <= b <= hi:
            out.update((b - DAY, b, b + DAY))


def birthdays(birth: str | None, start: dt.date, end: dt.date) -> set[dt.date]:
    """Days an age in full years may change (both ends of a partial birth date; 29 Feb counts from 1 Mar)."""
    first = parse_date(birth)
    if first is None or birth is None:
        return set()
    ends = {(first.month, first.day)}
    if len(birth) == 4:
        ends.add((12, 31))
    elif len(birth) == 7:
        ends.add((first.month, ((first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - DAY).day))
    out = set()
    for year in range(start.year, end.year + 1):
        for m, d in ends:
            try:
                out.add(dt.date(year, m, d))
            except ValueError:
                out.add(dt.date(year, 3, 1))
    return out


def global_dates(record: PatientRecord, settings: Settings) -> set[dt.date]:
    """Days that may change any criterion: attestations going stale, the date of death."""
    out: set[dt.date] = set()
    for res in record.raw:
        if res.get("resourceType") == "QuestionnaireResponse":
            day = parse_date(res.get("authored"))
            if day is not None and date_problem(day) is None:  # year 9999: never counts, and overflows
                out.update((day, day + dt.timedelta(days=settings.attestation_validity_days + 1)))
                written = last_day(res["authored"])  # a partial date counts from its last day (attestation)
                if written is not None and written != day and date_problem(written) is None:
                    out.add(written)
    died = (record.patient or {}).get("deceasedDateTime")
    out.update(d for d in (parse_date(died), last_day(died) if isinstance(died, str) else None) if d is not None)
    return out


__all__ = ["Reads", "birthdays", "criterion_dates", "first_reaching", "global_dates", "reads_of"]
