"""Administered activity (cumulative, smallest dose) from medication administrations, as derived values.

Why a module: doses dated only by their month or year are placed on every day that can change the
sum (courses, cycles, 364-day periods), and statements without doses make a sum a lower bound; that
reading is apart from the laboratory formulas of :mod:`.derived`, which binds both in ``FORMULAS``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass, replace

from fhir_eligibility.criteria.model import Derived
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation.compare import Interval
from fhir_eligibility.evaluation.context import Context
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.forms.derived_inputs import hull, input_evidence
from fhir_eligibility.evaluation.forms.records import summarises
from fhir_eligibility.evaluation.results import Evidence
from fhir_eligibility.evaluation.windows import possible_days
from fhir_eligibility.measures import concepts as cc


def _administrations(d: Derived, ctx: Context) -> list[Fact]:
    """Administrations of the criterion's input drugs up to the as-of date (any date: doses add up over years)."""
    return [f for f in ctx.record.facts(["MedicationAdministration"], d.input_codes) if f.date and f.date <= ctx.as_of]


Doses = tuple[list[tuple[dt.date, float]], tuple[Evidence, ...]]  # (day, MBq) one per day, evidence

# beyond this many ways to place the doses dated only by a month or a year, what they add up to is unknown
_MAX_PLACINGS = 4096


@dataclass(frozen=True)
class Placed(dv.DerivedValue):
    """A value that depends on the day doses dated only by their month or year were given: ``each``
    is its value for every placing that matters (``value``, their range, may straddle a two-sided
    test every one of them fails the same way: that is decided, clinical.md §0.12)."""

    each: tuple[Interval, ...] = ()


def _placings(facts: list[Fact], d: Derived, gap_days: int) -> list[list[dt.date]] | None:
    """The days the records may have been given, one list per placing that can change the doses
    read: a record dated by its day is on it, one dated only by its month or year ("2026-03") on
    each of its days where a course gap, a cycle (records a day apart) or the 364-day period may
    begin or end (from the other records' days, through as many partly dated ones as there are, as
    :func:`~fhir_eligibility.evaluation.derived.in_first_course` places them). None: too many."""
    spans = [possible_days(f) for f in facts]
    vague = [(a, b) for a, b in spans if a != b]
    if not vague:
        return [[a for a, _b in spans]]
    steps = {0, 1, 2}
    if "first-course" in d.methods:
        steps |= {gap_days, gap_days + 1}
    if "max-364-days" in d.methods:
        steps |= {364, 365}
    offsets = {dt.timedelta(days=s * sign) for s in steps for sign in (1, -1)}
    reach = {day for span in spans for day in span}
    for _hop in vague:  # a day reached through other partly dated records lies within their days
        reach |= {x + o for x in reach for o in offsets if any(a <= x + o <= b for a, b in vague)}
    choices: list[list[dt.date]] = []
    count = 1
    for a, b in spans:
        choices.append(sorted(x for x in reach if a <= x <= b) if a != b else [a])
        count *= len(choices[-1])
        if count > _MAX_PLACINGS:
            return None
    return [list(days) for days in itertools.product(*choices)]


def _read(
    facts: list[Fact], days: list[dt.date], d: Derived, gap_days: int, unit: str | None
) -> Doses | dv.DerivedValue:
    """The doses read with each record on its day of ``days``: one per cycle in MBq (of the first
    course with method first-course), or why not.

    Records a day or less from a counted dose are that cycle (as cycles are counted, forms.records
    ``episodes``: the same moment written in two time zones is two local dates a day apart): its
    dose counts once (clinical.md §1.6), never twice."""
    placed = sorted(zip(days, facts, strict=True), key=lambda p: (p[0], p[1].ref))
    if "first-course" in d.methods:
        first = set(dv.courses(days, gap_days)[0])
        placed = [(day, f) for day, f in placed if day in first]
    doses: list[tuple[dt.date, float]] = []
    ev: list[Evidence] = []
    last: dt.date | None = None  # the day of the last record of the cycle being read
    for day, f in placed:
        if last is not None and (day - last).days <= 1:
            last = day
            continue
        if f.verification == "unknown":  # given or not: the sum cannot be known
            return dv.DerivedValue(None, unit, tuple(ev), f"{f.ref}: its status leaves open whether it was given")
        mbq = dv.quantity_in(f, "MBq", None)
        if mbq is None:
            return dv.DerivedValue(None, unit, tuple(ev), f"{f.ref}: dose missing or not an activity")
        last = day
        doses.append((day, mbq))
        ev.append(input_evidence(f))
    return doses, tuple(ev)


def _doses(facts: list[Fact], d: Derived, ctx: Context, unit: str | None) -> list[Doses] | dv.DerivedValue:
    """The doses read (:func:`_read`) for every placing of the records dated only by their month or
    year (:func:`_placings`; one when all are dated by their day), or why they cannot be read in
    one of them: such a dose is never put on a day its record does not give."""
    placings = _placings(facts, d, ctx.settings.course_gap_days)
    if placings is None:
        why = "too many doses dated only by their month or year to place them in courses and periods"
        return dv.DerivedValue(None, unit, (), why)
    out: list[Doses] = []
    for days in placings:
        read = _read(facts, days, d, ctx.settings.course_gap_days, unit)
        if isinstance(read, dv.DerivedValue):
            return read
        out.append(read)
    return out


def _over_placings(
    values: list[tuple[Interval, Doses]], unit: str | None, what: str, noun: str = "administrations"
) -> dv.DerivedValue:
    """The value of the doses (``what`` of them: "total"...) as one value, or as the range of its
    values over the placings of doses dated only by their month or year (:class:`Placed`)."""
    distinct = sorted(set(v for v, _doses in values))
    counts = sorted({len(doses) for _v, (doses, _ev) in values})
    ev = tuple(dict.fromkeys(e for _v, (_d, evidence) in values for e in evidence))
    n = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"
    how = f"{what} of {n} {noun}"
    if len(distinct) == 1:
        return dv.DerivedValue(distinct[0], unit, ev, how)
    low, high = distinct[0].lo, max(v.lo for v in distinct)
    how += f"; {low:g} to {high:g} {unit or ''} by the days the doses dated only by a month or year may have been given"
    return Placed(hull(distinct), unit, ev, how, each=tuple(distinct))


def cumulative_activity(
    concept: cc.DerivedConcept, d: Derived, ctx: Context, lo: dt.date, hi: dt.date
) -> dv.DerivedValue:
    unit = concept.unit
    facts = _administrations(d, ctx)
    # exposure summarised by a statement (a course from January to July) names no dose: the doses it
    # covers are not in the sum, which is then only a lower bound (never "0 MBq" for a treated patient)
    given_days = [f.date for f in facts if f.date is not None]
    summaries = [f for f in _statements(d, ctx) if not summarises(f, given_days)]
    more = f"; {len(summaries)} statement(s) of exposure without doses: at least that" if summaries else ""
    if not facts:
        value = Interval(0.0, math.inf, False, True) if summaries else Interval.point(0.0)
        return dv.DerivedValue(value, unit, (), "no administrations recorded" + more)
    given = _doses(facts, d, ctx, unit)
    if isinstance(given, dv.DerivedValue):
        return given
    values: list[tuple[Interval, Doses]] = []
    for doses, ev in given:
        total = dv.max_window_sum(doses, 364) if "max-364-days" in d.methods else sum(v for _d, v in doses)
        values.append((Interval(total, math.inf, False, True) if summaries else Interval.point(total), (doses, ev)))
    what = "largest 364-day total" if "max-364-days" in d.methods else "total"
    out = _over_placings(values, unit, what)
    return replace(out, reason=out.reason + more)


def _statements(d: Derived, ctx: Context) -> list[Fact]:
    return [f for f in ctx.record.facts(["MedicationStatement"], d.input_codes) if f.start and f.start <= ctx.as_of]


def minimum_activity(concept: cc.DerivedConcept, d: Derived, ctx: Context, lo: dt.date, hi: dt.date) -> dv.DerivedValue:
    unit = concept.unit
    facts = _administrations(d, ctx)
    if not facts:  # no dose at all: nothing was reduced, nor given
        return dv.DerivedValue(None, unit, (), "no administrations recorded")
    given = _doses(facts, d, ctx, unit)
    if isinstance(given, dv.DerivedValue):
        return given
    smallest = [(Interval.point(min(v for _d, v in doses)), (doses, ev)) for doses, ev in given]
    return _over_placings(smallest, unit, "smallest", "doses")
