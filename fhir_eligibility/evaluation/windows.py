"""Window bounds (clinical.md §0 windows, relative to the study start or to another criterion's event)
and the dates of those events.

Bounds relative to the study start are the same for every patient and are computed once per date
when the caller passes what its patients share (``Context.bounds``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import lru_cache

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import Combination, Criterion, Records, Window
from fhir_eligibility.evaluation.context import Context
from fhir_eligibility.evaluation.facts import ORDERS, Fact
from fhir_eligibility.measures.timing import DATE_MIN, fmt, shift


def window_bounds(
    windows: tuple[Window, ...], ctx: Context, default_days: int | None
) -> tuple[dt.date, dt.date, str | None]:
    """Intersection of the windows as inclusive dates; third item is an error (anchor not found)."""
    kept = ctx.bounds
    if kept is None:
        return _window_bounds(windows, ctx, default_days)
    key = (id(windows), default_days)
    hit = kept.get(key)
    if hit is not None and hit[0] is windows:
        return hit[1]
    bounds = _window_bounds(windows, ctx, default_days)
    if ctx.index.plain(windows):  # the same for every patient of the date: reuse
        kept[key] = (windows, bounds)
    return bounds


def _window_bounds(
    windows: tuple[Window, ...], ctx: Context, default_days: int | None
) -> tuple[dt.date, dt.date, str | None]:
    """An event whose day is not known never reaches here: the leaf reads it day by day
    (:func:`.combination.leaf_outcome`, :mod:`.anchor_days`), its day set in ``ctx.anchors``."""
    return bounds_with(windows, ctx.as_of, default_days, lambda link: anchor_date(link, ctx))


_OR_MISSING = "or its records are missing"
# ctx.anchors keys of an event whose day is not known (its first and last possible day); the event
# itself is then None there, as for an event not found: its windows' bounds are not one pair, and
# evaluation.anchor_days evaluates a leaf in them on each day that matters (anchor_spans)
_FIRST, _LAST = "first-day:", "last-day:"


def bounds_with(
    windows: tuple[Window, ...], as_of: dt.date, default_days: int | None, anchor: Callable[[str], dt.date | None]
) -> tuple[dt.date, dt.date, str | None]:
    """The windows' bounds given how to find an event's date (``anchor``: a criterion link -> the
    date of its latest matching record): the one statement of the window rule, for the explained
    walk and the compiled program alike."""
    lo, hi = DATE_MIN, as_of
    if not windows and default_days is not None:
        lo = as_of - dt.timedelta(days=default_days)
    for w in windows:
        at = as_of if w.anchor == "study-start" else anchor(w.anchor)
        if at is None:
            return lo, hi, f"the event {w.anchor!r} this window is relative to has not occurred ({_OR_MISSING})"
        if w.low is not None:
            d = shift(at, w.low) + dt.timedelta(days=1 if w.low_strict else 0)
            lo = max(lo, d)
        if w.high is not None:
            d = shift(at, w.high) - dt.timedelta(days=1 if w.high_strict else 0)
            hi = min(hi, d) if w.anchor == "study-start" or d <= as_of else hi
    return lo, hi, None


def anchor_date(link: str, ctx: Context) -> dt.date | None:
    """Date of the most recent record matching the characteristic ``link`` (an eventId anchor)."""
    if link in ctx.anchors:
        return ctx.anchors[link]
    ctx.anchors[link] = None  # guards cycles
    result = None
    matched = event_records(link, ctx)
    if matched is not None:
        first, last = event_days(matched)
        if first is not None and last is not None and last > first:
            ctx.anchors[_FIRST + link], ctx.anchors[_LAST + link] = first, last
        else:
            result = first
    ctx.anchors[link] = result
    return result


def event_records(link: str, ctx: Context) -> tuple[Fact, ...] | None:
    """The records the event ``link`` is dated by (its date is the latest of them); None when no
    criterion has that link or its data are unavailable."""
    crit = ctx.index.by_link.get(link)
    rec = ctx.record
    if crit is None or (rec.unavailable and any(rec.unavailable_for(k, c) for k, c in _event_reads(crit))):
        return None
    from fhir_eligibility.evaluation.combination import evaluate_node  # the tree walk uses these bounds (a cycle)

    # the anchor is the latest of *all* matching records: evaluated without stopping early
    return evaluate_node(ctx.index.event(crit), ctx.as_event(), 0, ()).matched


def anchor_spans(windows: tuple[Window, ...], ctx: Context) -> dict[str, tuple[dt.date, dt.date]] | None:
    """Each event the windows are relative to, with the first and last day it may be on (one day
    when known: :mod:`.anchor_days` reads the others); None when one has not occurred (the bounds
    then say so)."""
    spans: dict[str, tuple[dt.date, dt.date]] = {}
    for w in windows:
        if w.anchor == "study-start":
            continue
        span = anchor_span(w.anchor, ctx)
        if span is None:
            return None
        spans[w.anchor] = span
    return spans


def anchor_span(link: str, ctx: Context) -> tuple[dt.date, dt.date] | None:
    """The first and last day the event ``link`` may be on (:func:`anchor_date`'s day twice when
    known); None when it has not occurred."""
    at = anchor_date(link, ctx)
    if at is not None:
        return at, at
    first, last = ctx.anchors.get(_FIRST + link), ctx.anchors.get(_LAST + link)
    return None if first is None or last is None else (first, last)


def event_days(matched: Iterable[Fact]) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day the latest of an event's records may be on: a record dated "2026-05"
    may be any day of May, so a surgery of May and nothing later is on 05-01..05-31 (clinical.md
    §0.12). A window relative to the event is knowable only when both are the same day."""
    spans = [possible_days(f) for f in matched if f.date]
    if not spans:
        return None, None
    return max(a for a, _b in spans), max(b for _a, b in spans)


def possible_days(f: Fact) -> tuple[dt.date, dt.date]:
    """The first and last day a dated record may mean: its date (a period's end), or every day of
    the month or year that is all it says."""
    if f.end is not None:
        return f.end, f.end_last
    assert f.start is not None
    return f.start, f.last or f.start


def _event_reads(c: Criterion) -> list[tuple[tuple[str, ...], frozenset[Code]]]:
    """What an event's records are read from, per leaf (its date is the latest of them: none may be
    missing); orders and dispenses only add to administrations and statements (forms.records)."""
    d = c.definition
    if isinstance(d, Combination):
        return [r for k in d.children for r in _event_reads(k)]
    if isinstance(d, Records):
        return [(tuple(t for t in d.resource_types if t not in ORDERS), d.codes)]
    return []


def fact_in(f: Fact, lo: dt.date, hi: dt.date) -> bool | None:
    """Does the fact's date (or period) fall in [lo, hi]? None when it has no date, or a partial
    date ("2025-06") whose days lie both inside and outside (clinical.md §0.12: not knowable)."""
    if f.kind == "Observation":
        return _result_in(f, lo, hi)
    s, e = f.start, f.end or (hi if f.ongoing else f.start)
    if s is None and e is None:
        return None
    partial = len(f.instant) in (4, 7)
    if partial and f.end is not None:  # a period ending in a month or a year: the last day is not known
        first = f.start or f.end
        ends_from = max(first, f.end)  # it ends on or after its start, within the end's month or year
        if first <= hi and ends_from >= lo:
            return True
        return None if first <= hi and f.end_last >= lo else False
    last = f.latest or (f.last if partial else None)
    if f.open_end and s is not None:  # taken from s, stopped on a day not recorded (by ends_by, else as of now)
        if s > hi:
            return False
        if s >= lo and (last or s) <= hi:
            return True
        return False if f.ends_by is not None and f.ends_by < lo else None
    if last is not None and s is not None:
        if s >= lo and last <= hi:
            return True
        return None if s <= hi and last >= lo else False
    s = s or e
    assert s is not None and e is not None
    return s <= hi and e >= lo


def _result_in(f: Fact, lo: dt.date, hi: dt.date) -> bool | None:
    """A result is a point, not a span (clinical.md §0.3): dated by its effectiveDateTime, else
    effectivePeriod.end, else issued. A 24-hour collection ending after the window is not in it
    (a result dated after the as-of date is not yet known); a partial date is any of its days."""
    day = f.date
    if day is None:
        return None
    if f.end is not None:  # a period's end: "2026-05" may be any day of May, not before the start
        first, last = max(day, f.start or day), f.end_last
    else:
        first, last = day, f.last or day
    if first >= lo and last <= hi:
        return True
    return None if first <= hi and last >= lo else False


@lru_cache(maxsize=1024)
def window_text(lo: dt.date, hi: dt.date) -> str:
    return f"{fmt(lo)}..{fmt(hi)}"
