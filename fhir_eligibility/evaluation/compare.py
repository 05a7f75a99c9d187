"""Compare one observed value with a criterion's value test, in three-valued logic.

Values are intervals: a result reported as "<0.5" is (-inf, 0.5), so it decides only when the
whole interval lies on one side of the threshold (clinical.md §0.5). Units are converted with
UCUM plus molar factors; what cannot be converted is UNKNOWN with a reason, never FALSE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, assert_never

from fhir_eligibility.codes import LOINC, SNOMED, Code
from fhir_eligibility.criteria.model import (
    LIMIT_NAME,
    CodedTest,
    NumericTest,
    PresentTest,
    QuantityTest,
    RangeTest,
    Threshold,
    ValueTest,
    describe_test,
    thresholds,
)
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.observed import Quantity
from fhir_eligibility.logic import Truth
from fhir_eligibility.measures import units


class Interval(NamedTuple):
    """A value known to lie between ``lo`` and ``hi`` (a partial birth date's age, a value reported
    as "<5"). A tuple, not a frozen dataclass: every comparison builds one, and a frozen dataclass's
    ``__init__`` is interpreted Python even in the compiled core."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    @classmethod
    def point(cls, v: float) -> Interval:
        return cls(v, v)

    @classmethod
    def of(cls, value: float, comparator: str | None) -> Interval:
        if comparator == "<":
            return cls(-math.inf, value, True, True)
        if comparator == "<=":
            return cls(-math.inf, value, True, False)
        if comparator == ">":
            return cls(value, math.inf, True, True)
        if comparator == ">=":
            return cls(value, math.inf, False, True)
        return cls.point(value)

    def scale(self, f: float) -> Interval:
        """The interval in another unit, each finite end rounded to 10 decimals: 17 mg/L is 1.7 mg/dL, not
        the 1.7000000000000002 binary floating point gives (which failed "> 1.7 mg/dL"); as :func:`_ratio`."""
        lo, hi = rounded(self.lo * f), rounded(self.hi * f)
        if f >= 0:
            return Interval(lo, hi, self.lo_open, self.hi_open)
        return Interval(hi, lo, self.hi_open, self.lo_open)

    def text(self) -> str:
        if self.lo == self.hi:
            return f"{self.lo:.4g}"
        if self.lo == -math.inf:
            return f"{'<' if self.hi_open else '<='}{self.hi:.4g}"
        if self.hi == math.inf:
            return f"{'>' if self.lo_open else '>='}{self.lo:.4g}"
        return f"{self.lo:.4g}..{self.hi:.4g}"


# a multiple of a reference limit this large (or not finite) comes from a limit no laboratory writes
# (5e-324 U/L): the criterion cannot be decided from it
_MAX_RATIO = 1e15


def _as_multiple(v: Interval, limit: float) -> Interval | None:
    """``v`` as a multiple of ``limit``; None when the limit is unusable (the ratio would overflow or be
    absurd). The ends are tested, not the ratio: "<5" has an infinite end by design."""
    f = 1 / limit
    if not math.isfinite(f):
        return None
    # each end divided and rounded (_ratio): 2.7 mg/dL over a limit of 0.9 is 3 x ULN, not the
    # 3.0000000000000004 that 2.7 * (1 / 0.9) gives in binary floating point (a "> 3 x ULN" fail)
    lo, hi = _ratio(v.lo, limit, f), _ratio(v.hi, limit, f)
    r = Interval(lo, hi, v.lo_open, v.hi_open) if f >= 0 else Interval(hi, lo, v.hi_open, v.lo_open)
    if any(math.isfinite(x) and abs(x) >= _MAX_RATIO for x in (r.lo, r.hi)):
        return None
    return r


def rounded(x: float) -> float:
    """``x`` to 10 decimals: what a result computed from a few significant digits means, without the
    noise binary floating point adds (78 x 60 / (72 x 1.3) is 50, not 49.99999999999999)."""
    return round(x, 10) if math.isfinite(x) else x


def _ratio(x: float, limit: float, f: float) -> float:
    """``x / limit`` rounded to 10 decimals: 2.7 over 0.9 is 3, not the 3.0000000000000004 binary floating
    point gives (results carry a few significant digits, so the rounding only removes that noise; it is
    cheap, as exact decimal arithmetic on every multiple-of-ULN comparison was not). An infinite end
    (an open bound, "<5") scales as before."""
    if not math.isfinite(x):
        return x * f
    return round(x / limit, 10)


def _holds(x: float, open_side: bool, toward: str, comparator: str, t: float) -> bool:
    """Does endpoint ``x`` satisfy ``x <comparator> t``? An open endpoint approaches x from
    ``toward`` ("up" = from above)."""
    if comparator == ">=":
        return x > t or (x == t and not (open_side and toward == "down"))
    if comparator == ">":
        return x > t or (x == t and open_side and toward == "up")
    if comparator == "<=":
        return x < t or (x == t and not (open_side and toward == "up"))
    if comparator == "<":
        return x < t or (x == t and open_side and toward == "down")
    return x == t and not open_side


def satisfies(v: Interval, comparator: str | None, t: float) -> Truth:
    """Does every value in v satisfy `x <comparator> t`? TRUE/FALSE when all values agree."""
    if comparator is None:
        if v.lo == v.hi == t:
            return Truth.TRUE
        return Truth.FALSE if (v.hi < t or v.lo > t) else Truth.UNKNOWN
    lo_ok = _holds(v.lo, v.lo_open, "up", comparator, t)
    hi_ok = _holds(v.hi, v.hi_open, "down", comparator, t)
    if lo_ok and hi_ok:
        return Truth.TRUE
    if not lo_ok and not hi_ok:
        return Truth.FALSE
    return Truth.UNKNOWN


def in_range(v: Interval, low: float | None, high: float | None) -> Truth:
    parts = []
    if low is not None:
        parts.append(satisfies(v, ">=", low))
    if high is not None:
        parts.append(satisfies(v, "<=", high))
    if Truth.FALSE in parts:
        return Truth.FALSE
    return Truth.UNKNOWN if Truth.UNKNOWN in parts else Truth.TRUE


# Ordinal answers mapped to scores: ECOG (LOINC answer list LL529-9, SNOMED grade findings), NYHA.
ORDINALS: dict[Code, int] = {
    (LOINC, "LA9622-7"): 0,
    (LOINC, "LA9623-5"): 1,
    (LOINC, "LA9624-3"): 2,
    (LOINC, "LA9625-0"): 3,
    (LOINC, "LA9626-8"): 4,
    (LOINC, "LA9627-6"): 5,
    (SNOMED, "425389002"): 0,
    (SNOMED, "422512005"): 1,
    (SNOMED, "422894000"): 2,
    (SNOMED, "423053003"): 3,
    (SNOMED, "423237006"): 4,
    (SNOMED, "420300004"): 1,
    (SNOMED, "421704003"): 2,
    (SNOMED, "420913000"): 3,
    (SNOMED, "422293003"): 4,
}


VERB = {Truth.TRUE: "meets", Truth.FALSE: "does not meet"}


@dataclass(frozen=True, init=False)
class Compared:
    truth: Truth
    reason: str
    value: str | float | int | bool | None = None
    unit: str | None = None

    def __init__(
        self, truth: Truth, reason: str, value: str | float | int | bool | None = None, unit: str | None = None
    ) -> None:  # written out so mypyc compiles it (see evaluation.results)
        object.__setattr__(self, "truth", truth)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "unit", unit)


def _analyte(fact: Fact) -> str | None:
    for s, c in fact.codes:
        a = units.analyte_for_code(s, c)
        if a:
            return a
    return None


def numeric(fact: Fact) -> tuple[Interval, str | None] | None:
    """The fact's numeric value as an interval with its UCUM unit (None for scores)."""
    if fact.quantity is not None:
        q = fact.quantity
        return Interval.of(q.value, q.comparator), q.unit
    if fact.value_int is not None:
        return Interval.point(float(fact.value_int)), None
    grades = {ORDINALS[c] for c in fact.value_codes if c in ORDINALS}
    if len(grades) == 1:  # codings that disagree (ECOG 1 and grade 3) give no value: unknown
        return Interval.point(float(grades.pop())), None
    return None


def _to(v: Interval, unit: str | None, target: str | None, analyte: str | None) -> Interval | None:
    if target in (None, "1", "{score}") and unit in (None, "1", "{score}"):
        return v
    if unit is None or target is None:
        return None
    if unit == target:
        return v
    factor = units.convert(1.0, unit, target, analyte)
    if factor is None:
        return None
    return v.scale(factor)


def _limit(fact: Fact, offset: str) -> Quantity | None:
    return fact.ref_high if offset == "UNL" else fact.ref_low


def compare(fact: Fact, test: ValueTest) -> Compared:
    """Evaluate `test` on one fact (an Observation or component)."""
    match test:
        case PresentTest():
            return Compared(Truth.TRUE, "recorded", _display(fact), _unit(fact))
        case CodedTest():
            if fact.value_codes:
                t = coded_truth(fact.value_codes, test)
                said = ", ".join(sorted(c for _s, c in fact.value_codes))
                if t is Truth.UNKNOWN:
                    return Compared(t, "coded value is none of the answers known to this question", said)
                return Compared(t, "coded value " + ("matches" if t is Truth.TRUE else "does not match"), said)
            if fact.value_bool is not None:
                return Compared(Truth.UNKNOWN, "boolean value where a coded one was expected", fact.value_bool)
            return Compared(Truth.UNKNOWN, "value is not coded", _display(fact), _unit(fact))
        case QuantityTest() | RangeTest():
            return _compare_number(fact, test)
        case _:
            assert_never(test)


def coded_truth(values: frozenset[Code], test: CodedTest) -> Truth:
    """A coded value against a coded test: one of its codes, or known to be another answer, or
    neither (unknown: an answer this question's vocabulary does not hold is no evidence either way)."""
    if values & test.codes:
        return Truth.TRUE
    return Truth.FALSE if values & test.others or not test.others else Truth.UNKNOWN


def _compare_number(fact: Fact, test: NumericTest) -> Compared:
    num = numeric(fact)
    if num is None:
        return Compared(Truth.UNKNOWN, "no numeric value", _display(fact))
    v, unit = num
    analyte = _analyte(fact)
    if test.offset:
        limit = _limit(fact, test.offset)
        if limit is None:
            return Compared(Truth.UNKNOWN, f"no reference range ({test.offset}) on the result", v.text(), unit)
        lim_v = _to(Interval.point(limit.value), limit.unit, unit, analyte)
        if lim_v is None or lim_v.lo <= 0:
            return Compared(
                Truth.UNKNOWN, f"reference limit in unit {limit.original_unit!r} not comparable", v.text(), unit
            )
        if test.ratio:
            ratio = _as_multiple(v, lim_v.lo)
            if ratio is None:
                return Compared(
                    Truth.UNKNOWN, f"reference limit {lim_v.lo:g} {unit or ''} is not usable", v.text(), unit
                )
            t = interval_truth(ratio, test)
            return Compared(
                t,
                f"{v.text()} {unit or ''} = {ratio.text()} x {LIMIT_NAME[test.offset]} ({lim_v.lo:g})",
                round(ratio.lo if ratio.lo != -math.inf else ratio.hi, 3),
                f"x {LIMIT_NAME[test.offset]}",
            )
        base = Interval.point(lim_v.lo)
        shifted_thr = _shift_threshold(test, base.lo, unit, analyte)
        if shifted_thr is None:
            return Compared(Truth.UNKNOWN, "offset threshold not convertible to the result's unit", v.text(), unit)
        return Compared(
            interval_truth(v, shifted_thr),
            f"{v.text()} {unit or ''} vs {test.offset} {lim_v.lo:g}",
            v.text(),
            unit,
        )
    chosen, other = _native(test, unit)
    note = ""
    if other is not None:
        vo = _to(v, unit, _threshold_unit(other), analyte)
        if vo is not None:
            t_other = interval_truth(vo, other)
            t_main = _judge_converted(v, unit, chosen, analyte)
            if t_other.decided and t_main is not None and t_main.decided and t_other != t_main:
                note = f"; note: against {describe_test(other)} the answer would be the opposite"
    target = _threshold_unit(chosen)
    converted = _to(v, unit, target, analyte)
    if converted is None:
        return Compared(Truth.UNKNOWN, f"{_unit_text(fact, unit)} not convertible to {target}", v.text(), unit)
    t = interval_truth(converted, chosen)
    shown = v.text() + (f" {unit}" if unit else "")
    conv = f" (= {converted.text()} {target})" if unit != target and target else ""
    verb = VERB.get(t, "cannot decide")
    return Compared(t, f"{shown}{conv} {verb} {describe_test(chosen)}{note}", v.text() if v.lo != v.hi else v.lo, unit)


def compare_truth(fact: Fact, test: ValueTest) -> Truth:
    """``compare(fact, test).truth`` without the explanation (screening): the same steps, no text."""
    match test:
        case PresentTest():
            return Truth.TRUE
        case CodedTest():
            return coded_truth(fact.value_codes, test) if fact.value_codes else Truth.UNKNOWN
        case QuantityTest() | RangeTest():
            return _number_truth(fact, test)
        case _:
            assert_never(test)


def _number_truth(fact: Fact, test: NumericTest) -> Truth:
    num = numeric(fact)
    if num is None:
        return Truth.UNKNOWN
    v, unit = num
    analyte = _analyte(fact)
    if test.offset:
        limit = _limit(fact, test.offset)
        if limit is None:
            return Truth.UNKNOWN
        lim_v = _to(Interval.point(limit.value), limit.unit, unit, analyte)
        if lim_v is None or lim_v.lo <= 0:
            return Truth.UNKNOWN
        if test.ratio:
            ratio = _as_multiple(v, lim_v.lo)
            return Truth.UNKNOWN if ratio is None else interval_truth(ratio, test)
        shifted_thr = _shift_threshold(test, lim_v.lo, unit, analyte)
        return Truth.UNKNOWN if shifted_thr is None else interval_truth(v, shifted_thr)
    chosen = _native(test, unit)[0]
    converted = _to(v, unit, _threshold_unit(chosen), analyte)
    return Truth.UNKNOWN if converted is None else interval_truth(converted, chosen)


def _native(test: NumericTest, unit: str | None) -> tuple[NumericTest, NumericTest | None]:
    """(the test to judge by, the same threshold in its other unit) by the native-unit rule (§0.4):
    compare against the threshold written in the result's own unit."""
    match test:
        case QuantityTest():
            alt = test.alternate
            if alt is None:
                return test, None
            native_alt = unit is not None and alt.unit is not None and units.commensurable(unit, alt.unit)
            native_primary = (
                unit is not None and test.quantity.unit is not None and units.commensurable(unit, test.quantity.unit)
            )
            other = QuantityTest(test.comparator, alt)
            return (other, test) if native_alt and not native_primary else (test, other)
        case RangeTest():
            return test, None
        case _:
            assert_never(test)


def _judge_converted(v: Interval, unit: str | None, test: NumericTest, analyte: str | None) -> Truth | None:
    conv = _to(v, unit, _threshold_unit(test), analyte)
    return None if conv is None else interval_truth(conv, test)


def _threshold_unit(test: ValueTest) -> str | None:
    written = thresholds(test)
    if not written:
        return None
    unit = written[0].unit
    return unit if unit not in ("1", "{score}") else None


def interval_truth(v: Interval, test: ValueTest) -> Truth:
    """Does the value (an interval) satisfy the test's threshold or range?"""
    match test:
        case QuantityTest():
            return satisfies(v, test.comparator, test.quantity.value)
        case RangeTest():
            return in_range(v, test.low.value if test.low else None, test.high.value if test.high else None)
        case CodedTest() | PresentTest():  # no bound to fail: what an unbounded range gives
            return in_range(v, None, None)
        case _:
            assert_never(test)


def _shift_threshold(test: NumericTest, limit: float, unit: str | None, analyte: str | None) -> NumericTest | None:
    def sh(t: Threshold | None) -> Threshold | None:
        if t is None:
            return None
        d = _to(Interval.point(t.value), t.unit, unit, analyte)
        return None if d is None else Threshold(limit + d.lo, unit)

    match test:
        case QuantityTest():
            q = sh(test.quantity)
            return None if q is None else QuantityTest(test.comparator, q)
        case RangeTest():
            lo, hi = sh(test.low), sh(test.high)
            if (test.low and lo is None) or (test.high and hi is None):
                return None
            return RangeTest(lo, hi)
        case _:
            assert_never(test)


def _display(fact: Fact) -> str | float | int | bool | None:
    if fact.quantity is not None:
        return (
            fact.quantity.value
            if fact.quantity.comparator is None
            else f"{fact.quantity.comparator}{fact.quantity.value:g}"
        )
    if fact.value_int is not None:
        return fact.value_int
    if fact.value_codes:
        return ", ".join(sorted(c for _s, c in fact.value_codes))
    return fact.value_bool


def _unit_text(fact: Fact, unit: str | None) -> str:
    """The unit as the record wrote it when it is not UCUM ("gm/dL"), so a coordinator sees what to fix."""
    if unit:
        return f"unit {unit}"
    written = fact.quantity.original_unit if fact.quantity is not None else None
    return f"unit {written!r} (not UCUM)" if written else "unit missing"


def _unit(fact: Fact) -> str | None:
    return fact.quantity.unit if fact.quantity is not None else None


def plot_value(fact: Fact, test: NumericTest) -> tuple[float, str | None] | None:
    """The fact's value as plotted against the test: in the threshold's unit, or as x ULN/LLN."""
    num = numeric(fact)
    if num is None:
        return None
    v, unit = num
    point = v.hi if v.lo == -math.inf else v.lo
    if point in (math.inf, -math.inf):
        return None
    analyte = _analyte(fact)
    if test.offset and test.ratio:
        limit = _limit(fact, test.offset)
        lim = None if limit is None else _to(Interval.point(limit.value), limit.unit, unit, analyte)
        multiple = None if lim is None or lim.lo <= 0 else _as_multiple(Interval.point(point), lim.lo)
        return None if multiple is None else (multiple.lo, None)
    target = _threshold_unit(test)
    conv = _to(Interval.point(point), unit, target, analyte)
    return None if conv is None else (conv.lo, target)
