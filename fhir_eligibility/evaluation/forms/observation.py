"""Observation values (definitionByTypeAndValue): the most recent valid result in the window, tested.

Ties at the same time resolve to the result least favourable to the patient (safety first); a
series of rising marker results is the biochemical-progression method.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import assert_never

from fhir_eligibility.criteria.model import (
    LIMIT_NAME,
    CodedTest,
    Criterion,
    NumericTest,
    ObservationValue,
    PresentTest,
    QuantityTest,
    RangeTest,
    ValueTest,
    Window,
)
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation import values
from fhir_eligibility.evaluation.compare import Compared, compare, compare_truth, plot_value
from fhir_eligibility.evaluation.context import Context, Outcome
from fhir_eligibility.evaluation.dates import last_day
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.forms.common import LABEL, favourability, missing_data
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.results import Evidence, Point, Series
from fhir_eligibility.evaluation.windows import fact_in, window_bounds, window_text
from fhir_eligibility.logic import Truth
from fhir_eligibility.measures import units
from fhir_eligibility.measures.timing import DATE_MAX, DATE_MIN


def observation_leaf(
    d: ObservationValue, c: Criterion, ctx: Context, parity: int, windows: tuple[Window, ...]
) -> Outcome:
    out = _observation_leaf(d, c, ctx, parity, windows)
    if not ctx.settings.collect_series:
        return out
    test = d.test
    match test:
        case QuantityTest() | RangeTest():  # a numeric value plots against its thresholds
            return out.with_series((_series(d, test, c, ctx, windows),))
        case CodedTest() | PresentTest():
            return out
        case _:
            assert_never(test)


def _valued_only(test: ValueTest) -> bool:
    """A result without a valid value is not "the most recent value", unless any record will do."""
    match test:
        case PresentTest():
            return False
        case QuantityTest() | RangeTest() | CodedTest():
            return True
        case _:
            assert_never(test)


def _series(d: ObservationValue, t: NumericTest, c: Criterion, ctx: Context, windows: tuple[Window, ...]) -> Series:
    lo, hi, _err = window_bounds(windows, ctx, ctx.settings.default_lookback_days)
    points = []
    unit: str | None = None
    for f in ctx.record.facts(["Observation"], d.codes):
        if f.date is None or f.date > ctx.as_of:
            continue
        pv = plot_value(f, t)
        if pv is not None:
            points.append(Point(f.date.isoformat(), pv[0], f.ref.split("#")[0]))
            unit = pv[1]
    points.sort(key=lambda p: (p.date, p.reference))
    match t:
        case QuantityTest():
            thresholds: tuple[tuple[str, float], ...] = ((t.comparator or "=", t.quantity.value),)
        case RangeTest():
            thresholds = tuple((comp, b.value) for comp, b in ((">=", t.low), ("<=", t.high)) if b is not None)
        case _:
            assert_never(t)
    return Series(
        d.label or c.description or c.id,
        f"x {LIMIT_NAME[t.offset]}" if t.offset and t.ratio else unit,
        tuple(points),
        thresholds,
        (None if lo == DATE_MIN else lo.isoformat(), hi.isoformat()),
    )


def _observation_leaf(
    d: ObservationValue, c: Criterion, ctx: Context, parity: int, windows: tuple[Window, ...]
) -> Outcome:
    rec = ctx.record
    what = LABEL
    lo, hi, err = window_bounds(windows, ctx, ctx.settings.default_lookback_days)
    if err:
        return Outcome(Truth.UNKNOWN, err)
    u = rec.unavailable_for(["Observation"], d.codes)
    if u is not None:  # a result that could not be read or fetched may be the most recent: the others cannot decide
        return Outcome(
            Truth.UNKNOWN, f"data unavailable: {u.reason}", missing=(missing_data(ctx, what, d.codes, lo, hi),)
        )
    facts = rec.facts(["Observation"], d.codes)
    inside = _in_window(facts, lo, hi)
    if "rising-series" in d.methods:  # too few results cannot show a rise: FALSE, not UNKNOWN
        return _rising_series(d, inside, lo, hi)
    straddling = _straddling(facts, lo, hi)
    if straddling:
        out = _observation_leaf_in(d, ctx, parity, facts, inside + straddling, lo, hi)
        if not any(f in straddling for f in out.matched):
            return out
        # a result dated "2026-05" may be the latest in the window or lie before it (§0.12): it
        # decides only when the results without it agree
        alone = _observation_leaf_in(d, ctx, parity, facts, inside, lo, hi)
        if alone.truth is out.truth:
            return out
        return Outcome(
            Truth.UNKNOWN,
            f"a result dated {', '.join(sorted({f.instant for f in straddling}))} may be the most recent in"
            f" {window_text(lo, hi)} or lie outside it, and the results disagree",
            tuple(Evidence(f.ref.split("#")[0], None, None, _iso(f.date)) for f in straddling),
            missing=(missing_data(ctx, what, d.codes, lo, hi),),
        )
    return _observation_leaf_in(d, ctx, parity, facts, inside, lo, hi)


def _straddling(facts: list[Fact], lo: dt.date, hi: dt.date) -> list[Fact]:
    """Results partly dated across a bound of the window (a month holding its first day): in it or not."""
    if lo == DATE_MIN:  # "any time before": :func:`_in_window` takes them
        return []
    # only a partly dated result (a month, a year, a range) may lie across a bound: the others are skipped
    # before the window test, which every result already had in _in_window
    return [
        f
        for f in facts
        if (f.latest is not None or len(f.instant) in (4, 7)) and f.date is not None and fact_in(f, lo, hi) is None
    ]


def _observation_leaf_in(
    d: ObservationValue,
    ctx: Context,
    parity: int,
    facts: list[Fact],
    inside: list[Fact],
    lo: dt.date,
    hi: dt.date,
) -> Outcome:
    """The most recent of ``inside`` tested (``facts``: all the results, for what to say of none)."""
    what = LABEL
    skipped = ""
    if inside and _valued_only(d.test):
        usable, newer = values.valued(inside)
        skipped, inside = values.skipped_note(usable, newer, inside), usable
        if not inside:
            return Outcome(Truth.UNKNOWN, skipped, missing=(missing_data(ctx, what, d.codes, lo, hi),))
    if not inside:
        dated = [f for f in facts if f.date]
        stale = ""
        if dated:
            last = max(dated, key=lambda f: (f.date, f.instant))
            stale = f"; latest is {last.date} (outside the window)"
        return Outcome(
            Truth.UNKNOWN,
            f"no result in window {window_text(lo, hi)}{stale}{values.undated_note(facts)}",
            missing=(missing_data(ctx, what, d.codes, lo, hi),),
        )
    tied, vague = _latest(inside)
    scored = [(f, _compare(f, d)) for f in tied]
    if vague and len({r.truth for _f, r in scored}) > 1:  # an undated or partly dated one may be the latest
        return Outcome(
            Truth.UNKNOWN,
            f"{len(tied)} results that may each be the most recent disagree (some undated or partly dated){skipped}",
            tuple(Evidence(f.ref.split("#")[0], r.value, r.unit, _iso(f.date)) for f, r in scored),
            matched=tuple(f for f, _r in scored),
            missing=(missing_data(ctx, what, d.codes, lo, hi),),
        )
    fact, res = min(scored, key=lambda p: (favourability(p[1].truth, parity), p[0].ref))
    tie = f" (least favourable of {len(tied)} results at the same time)" if len(tied) > 1 else ""
    ev = Evidence(fact.ref.split("#")[0], res.value, res.unit, fact.date.isoformat() if fact.date else None)
    miss = (missing_data(ctx, what, d.codes, lo, hi),) if res.truth is Truth.UNKNOWN else ()
    when = f" on {fact.date}" if fact.date else " (undated)"
    return Outcome(res.truth, f"{res.reason}{when}{tie}{skipped}", (ev,), matched=(fact,), missing=miss)


# method: a result reported as a measured amount was detected, so it is neither a coded "not detected"
# answer nor below a detection limit (B-I20: "undetectable" viral load; clinical.md reads any quantified
# load as detectable); a bound below ("<20") is compared as usual
QUANTIFIED_DETECTED = "quantified-detected"


def _detected_amount(f: Fact, d: ObservationValue) -> bool:
    """Whether the method reads this result as a detection: a quantity (no coded value) that is a
    measured amount above zero or a lower bound (">60")."""
    q = f.quantity
    if QUANTIFIED_DETECTED not in d.methods or q is None or f.value_codes:
        return False
    return q.comparator in (">", ">=") or (q.comparator is None and q.value > 0)


def _ratio_as_percent(f: Fact, d: ObservationValue) -> bool:
    """A ratio to normal (PT actual/normal "1") tested against a percentage (PT > 70 %): not convertible."""
    t = d.test
    if f.quantity is None or not isinstance(t, QuantityTest):
        return False
    return units.ratio_as_percent(f.codes, f.quantity.unit, t.quantity.unit)


def _compare(f: Fact, d: ObservationValue) -> Compared:
    """``compare(f, d.test)``, with the ``quantified-detected`` method applied."""
    if _ratio_as_percent(f, d):
        q = f.quantity
        assert q is not None
        return Compared(
            Truth.UNKNOWN,
            f"{q.value:g} is a ratio to normal (unit 1), not an activity in %: not convertible",
            q.value,
            q.unit,
        )
    if _detected_amount(f, d):
        q = f.quantity
        assert q is not None
        shown = f"{q.comparator or ''}{q.value:g}"
        return Compared(Truth.FALSE, f"{shown} {q.unit or ''} is a measured amount: detected", shown, q.unit)
    return compare(f, d.test)


def _compare_truth(f: Fact, d: ObservationValue) -> Truth:
    """``compare_truth(f, d.test)``, with the ``quantified-detected`` method applied (screening's path)."""
    if _ratio_as_percent(f, d):
        return Truth.UNKNOWN
    return Truth.FALSE if _detected_amount(f, d) else compare_truth(f, d.test)


def _in_window(facts: list[Fact], lo: dt.date, hi: dt.date) -> list[Fact]:
    open_start = lo == DATE_MIN  # "any time before": an undated result is still usable
    return [f for f in facts if fact_in(f, lo, hi) or (open_start and fact_in(f, lo, hi) is None)]


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _days(f: Fact) -> tuple[dt.date, dt.date]:
    """The first and last day a result may have been taken: its day (in UTC when zoned: 23:00-05:00
    is the next day), a partial date's month or year, any day when undated."""
    if f.date is None:
        return DATE_MIN, DATE_MAX
    t = f.instant
    if len(t) in (4, 7):
        return f.date, last_day(t) or f.date
    zoned = len(t) > 19 and t[10] == "T" and t.endswith("+00:00")  # in UTC (dates.order_text), fractions too
    day = dt.date.fromisoformat(t[:10]) if zoned else f.date
    return day, day


def _latest(inside: list[Fact]) -> tuple[list[Fact], bool]:
    """The results that may be the most recent, and whether some are so only because their date is
    vague (undated, a month or a year: which governs is then not knowable, §0.12).

    Within the latest day, results are ordered by their time, then by ``issued`` (§0.3); a result
    dated by its day only cannot be ordered against the others of that day: all of them tie."""
    if len(inside) == 1:
        return inside, False
    days = [(f, *_days(f)) for f in inside]
    top = max(first for _f, first, _l in days)  # a day some result surely reached
    may = [(f, first, last) for f, first, last in days if last >= top]
    vague = [f for f, first, last in may if first != last]
    sure = [f for f, first, last in may if first == last]
    if sure and not any(len(f.instant) == 10 for f in sure):  # all timed: the latest time(s)
        top_time = max(f.instant for f in sure)
        sure = [f for f in sure if f.instant == top_time]
    # then the latest issued (§0.3), only when every tied result says when it was issued (a missing
    # one is not older, it is unknown): a day-only result ties with the day's timed ones
    if len(sure) > 1 and all(f.issued for f in sure):
        top_issued = max(f.issued for f in sure)
        sure = [f for f in sure if f.issued == top_issued]
    return sure + vague, bool(vague) and len(sure) + len(vague) > 1


def observation_truth(d: ObservationValue, parity: int, rec: PatientRecord, lo: dt.date, hi: dt.date) -> Truth:
    """The truth ``observation_leaf`` gives, without its explanation: screening's path.

    For plain windows (no anchor error), no rising series and a record with no unavailable data,
    which are the cases the caller sends here (tests/evaluation/test_fast_paths.py)."""
    facts = rec.facts(_OBSERVATION, d.codes)
    if not facts:
        return Truth.UNKNOWN
    inside = _in_window(facts, lo, hi)
    straddling = _straddling(facts, lo, hi)
    if straddling:  # as observation_leaf: it decides only when the results without it agree
        t = _truth_of(d, parity, inside + straddling)
        return t if t is _truth_of(d, parity, inside) else Truth.UNKNOWN
    return _truth_of(d, parity, inside)


def _truth_of(d: ObservationValue, parity: int, inside: list[Fact]) -> Truth:
    """The truth of the most recent of ``inside``, tested (UNKNOWN when none has a value)."""
    if inside and _valued_only(d.test):
        inside = values.valued(inside)[0]
    if not inside:
        return Truth.UNKNOWN
    tied, vague = _latest(inside)
    if len(tied) == 1:
        return _compare_truth(tied[0], d)
    truths = [(_compare_truth(f, d), f.ref) for f in tied]
    if vague and len({t for t, _r in truths}) > 1:
        return Truth.UNKNOWN
    return min(truths, key=lambda p: (favourability(p[0], parity), p[1]))[0]


_OBSERVATION = ("Observation",)


def _rising_series(d: ObservationValue, inside: list[Fact], lo: dt.date, hi: dt.date) -> Outcome:
    """Biochemical progression: n successive rises of one marker (its last n + 1 results, each above the one
    before; clinical.md E-I3: "the last three results r1 < r2 < r3" for two rises). ``instances`` counts the
    rises, as the definitions write it ("two successive increases, n = 2").

    A result is a bound where it has a comparator (">1000": a rise to 1200 or not); one among the last
    n + 1 whose value cannot be compared (no unit, a number as text, a unit that does not convert) leaves
    its marker undecided, as a rise it may complete or break; a result with no value at all (a
    ``dataAbsentReason``) is no result (clinical.md §0.16)."""
    rises = int(d.instances.value) if d.instances and d.instances.value else 2
    n = rises + 1  # results
    by_marker: dict[str, list[Fact]] = {}
    for f in inside:
        if f.quantity is not None or values.has_value(f) or values.invalid(f):
            key = sorted(f.codes)[0][1] if f.codes else "?"
            by_marker.setdefault(key, []).append(f)
    evidence: list[Evidence] = []
    undecided: list[str] = []
    for series in by_marker.values():
        series.sort(key=lambda f: (f.date or DATE_MIN, f.instant))
        last = series[-n:]
        if len(last) < n:
            continue
        bounds = _bounds(last)
        if bounds is None:
            bad = [f for f in last if not _comparable(f)] or last  # else a unit that does not convert
            undecided.extend(f.ref.split("#")[0] for f in bad)
            continue
        steps = [_rise(a, b) for a, b in itertools.pairwise(bounds)]
        if all(t is Truth.TRUE for t in steps):
            ev = tuple(
                dv.evidence_of(f, f.quantity.value if f.quantity else None, f.quantity.unit if f.quantity else None)
                for f in last
            )
            return Outcome(Truth.TRUE, f"{rises} successive rises ({n} results)", ev, matched=tuple(last))
        if not any(t is Truth.FALSE for t in steps):
            undecided.extend(f.ref.split("#")[0] for f in last if f.quantity and f.quantity.comparator)
        evidence.extend(dv.evidence_of(f, f.quantity.value if f.quantity else None, None) for f in last)
    if undecided:
        return Outcome(
            Truth.UNKNOWN,
            "marker results that cannot be compared (no unit, a unit that does not convert, a value as text,"
            f" or a bound such as >1000) decide whether they rise: {', '.join(dict.fromkeys(undecided))}",
        )
    return Outcome(
        Truth.FALSE, f"no marker with {rises} successive rises ({n} results) in {window_text(lo, hi)}", tuple(evidence)
    )


# a result as an interval: (low, low strict, high, high strict); "=100" is (100, False, 100, False)
_Bound = tuple[float, bool, float, bool]


def _comparable(f: Fact) -> bool:
    return f.quantity is not None and bool(f.quantity.unit)


def _bounds(last: list[Fact]) -> list[_Bound] | None:
    """The results as intervals in the first one's unit; None when one cannot be so read."""
    out: list[_Bound] = []
    first = last[0].quantity
    for f in last:
        q = f.quantity
        if first is None or not first.unit or q is None or not q.unit:
            return None
        v = units.convert(q.value, q.unit, first.unit, None)
        if v is None:
            return None
        match q.comparator:
            case ">" | ">=":
                out.append((v, q.comparator == ">", math.inf, False))
            case "<" | "<=":
                out.append((-math.inf, False, v, q.comparator == "<"))
            case _:
                out.append((v, False, v, False))
    return out


def _rise(a: _Bound, b: _Bound) -> Truth:
    """Whether ``b`` is above ``a``: TRUE when every reading says so, FALSE when none does."""
    a_high, a_high_strict, b_low, b_low_strict = a[2], a[3], b[0], b[1]
    if a_high < b_low or (a_high == b_low and (a_high_strict or b_low_strict)):
        return Truth.TRUE
    if b[2] <= a[0]:
        return Truth.FALSE
    return Truth.UNKNOWN
