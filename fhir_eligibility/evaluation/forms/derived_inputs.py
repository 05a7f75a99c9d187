"""The record's results a derived-value formula reads: the latest in the window, ties kept as a range.

Why a module: every formula (:mod:`.derived` for labs, :mod:`.activity` for administered doses) picks
its inputs and words its evidence the same way; one statement of it, so ties and newer invalid
values are handled alike everywhere.
"""

from __future__ import annotations

import datetime as dt

from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation import values
from fhir_eligibility.evaluation.compare import Interval
from fhir_eligibility.evaluation.context import Context
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.results import Evidence
from fhir_eligibility.evaluation.windows import fact_in


def latest_inputs(ctx: Context, codes: frozenset[tuple[str, str]], lo: dt.date, hi: dt.date) -> list[Fact]:
    """The most recent quantities among ``codes`` in the window: what a lab formula reads. More than
    one when results share the moment (date, time, issued): two creatinines drawn together, or a
    laboratory's race-specific MDRD pair (48642-3 and 48643-1). Which one is read must not depend on
    their ids: the formulas read all of them, as a range (§0.3 safety first; §1.6 for the pair)."""
    window = [f for f in ctx.record.facts(["Observation"], codes) if fact_in(f, lo, hi)]
    inside = [f for f in window if f.quantity is not None]
    if not inside:
        return []
    top = max((f.date, f.instant, f.issued) for f in inside)
    # a newer result with an invalid value may be the current one (values.valued): no input is known
    if any(values.invalid(f) and f.date is not None and (f.date, f.instant, f.issued) > top for f in window):
        return []
    return sorted((f for f in inside if (f.date, f.instant, f.issued) == top), key=lambda f: f.ref)


def latest_input(ctx: Context, codes: frozenset[tuple[str, str]], lo: dt.date, hi: dt.date) -> Fact | None:
    """The most recent quantity among ``codes`` in the window; None when there is none, or when
    results at that same moment disagree (a score cannot be read from either)."""
    tied = latest_inputs(ctx, codes, lo, hi)
    if not tied or len({(f.quantity.value, f.quantity.unit) for f in tied if f.quantity}) > 1:
        return None
    return tied[0]


def hull(values: list[Interval]) -> Interval:
    """The smallest interval holding every value (tied inputs: the result lies somewhere in it)."""
    lo = min(values, key=lambda v: (v.lo, not v.lo_open))
    hi = max(values, key=lambda v: (v.hi, v.hi_open))
    return Interval(lo.lo, hi.hi, lo.lo_open, hi.hi_open)


def quantities_in(facts: list[Fact], target: str, analyte: str | None) -> tuple[float, float] | None:
    """The tied results' lowest and highest value in ``target``; None when one is not convertible."""
    values = [dv.quantity_in(f, target, analyte) for f in facts]
    if not values or any(v is None for v in values):
        return None
    known = [v for v in values if v is not None]
    return min(known), max(known)


def input_evidence(f: Fact) -> Evidence:
    return dv.evidence_of(f, f.quantity.value if f.quantity else None, f.quantity.unit if f.quantity else None)


def later(a: Fact, b: Fact) -> bool:
    """Whether ``a`` is known to be later than ``b``: a later day, or a later time on the same day when
    both give one (a result dated by its day alone may be the later one: which is not known)."""
    if a.date is None or b.date is None or a.date != b.date:
        return a.date is not None and b.date is not None and a.date > b.date
    return "T" in a.instant and "T" in b.instant and a.instant > b.instant
