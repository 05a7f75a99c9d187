"""The arithmetic of the derived values: renal function, administered activity, courses, Child-Pugh, ANC.

Formulas from clinical.md §1.6; which inputs each concept reads is in evaluation.forms.derived.
Every function is pure; a value is an interval (an unknown race or a partial birthDate widen it), its
ends rounded to 10 decimals (:func:`~.compare.rounded`): a clearance of exactly 50 by hand is 50, so
"≥ 50" passes and "> 50" fails, as the protocol's arithmetic says.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from fhir_eligibility.evaluation.compare import Interval, rounded
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.results import Evidence
from fhir_eligibility.measures import units
from fhir_eligibility.measures.concepts import INPUTS


@dataclass(frozen=True)
class DerivedValue:
    value: Interval | None
    unit: str | None
    evidence: tuple[Evidence, ...]
    reason: str
    judgement_only: bool = False  # undecided only because a clinical (non-lab) input is needed
    # the one record the value is, as the laboratory reported it (an absolute neutrophil count): tested
    # and worded as that Observation would be, so the criterion reads as the plain lab criterion did
    source: Fact | None = None


def evidence_of(f: Fact, value: object, unit: str | None) -> Evidence:
    return Evidence(
        f.ref.split("#")[0],
        value if isinstance(value, (str, float, int, bool)) else str(value),
        unit,
        f.date.isoformat() if f.date else None,
    )


def quantity_in(f: Fact, target: str, analyte: str | None) -> float | None:
    if f.quantity is None or f.quantity.unit is None or f.quantity.comparator:
        return None
    return units.convert(f.quantity.value, f.quantity.unit, target, analyte)


def cockcroft_gault(scr_mg_dl: float, weight_kg: float, age: tuple[int, int], sex: str) -> Interval:
    """(140 - age) x weight / (72 x SCr), x 0.85 for women; not BSA-indexed."""
    f = 0.85 if sex == "female" else 1.0
    vals = [(140 - a) * weight_kg / (72 * scr_mg_dl) * f for a in age]
    return Interval(rounded(min(vals)), rounded(max(vals)))


def mdrd(scr_mg_dl: float, age: tuple[int, int], sex: str, black: bool | None = None) -> Interval:
    """MDRD-4 IDMS (175); ``black`` None (race unknown) -> with and without the 1.212 factor (§1.6)."""
    f = 0.742 if sex == "female" else 1.0
    races = (1.0, 1.212) if black is None else (1.212,) if black else (1.0,)
    vals = [175 * scr_mg_dl**-1.154 * max(a, 1) ** -0.203 * f * r for a in age for r in races]
    return Interval(rounded(min(vals)), rounded(max(vals)))


def ckd_epi_2021(scr_mg_dl: float, age: tuple[int, int], sex: str) -> Interval:
    k, alpha, f = (0.7, -0.241, 1.012) if sex == "female" else (0.9, -0.302, 1.0)
    vals = [142 * min(scr_mg_dl / k, 1) ** alpha * max(scr_mg_dl / k, 1) ** -1.200 * 0.9938**a * f for a in age]
    return Interval(rounded(min(vals)), rounded(max(vals)))


def courses(days: list[dt.date], gap_days: int) -> list[list[dt.date]]:
    """Split sorted distinct treatment days into courses: a gap > gap_days starts a new one."""
    out: list[list[dt.date]] = []
    for d in sorted(set(days)):
        if out and (d - out[-1][-1]).days <= gap_days:
            out[-1].append(d)
        else:
            out.append([d])
    return out


# beyond this many partly dated records, or ways to place them, every record's course is unknown
_MAX_VAGUE, _MAX_PLACINGS = 4, 4096


def in_first_course(spans: list[tuple[dt.date, dt.date]], gap_days: int) -> list[bool | None]:
    """For each record (the first and last day it may have been given: one day, or a month or a
    year when only that is recorded), whether it is in the first course (:func:`courses`); None when
    the days a partly dated record may mean disagree (clinical.md §0.12: decide only when all agree).

    A dose dated "2024-01" after a cycle on 2023-07-03 is 182 days on 01-01 (the same course) and
    183 to 212 days on 01-02..01-31 (a new one): neither its course nor the first course's count is
    knowable. Only the days where a gap crosses ``gap_days`` can change the split, so each partly
    dated record is placed on its ends and on those days (from the others' days: hops from a record
    through other partly dated ones, as many as there are of them)."""
    fixed = sorted({a for a, b in spans if a == b})
    vague = [i for i, (a, b) in enumerate(spans) if a != b]
    if not vague:
        first = set(courses(fixed, gap_days)[0]) if fixed else set()
        return [a in first for a, _b in spans]
    if len(vague) > _MAX_VAGUE:
        return [None] * len(spans)
    steps = (gap_days, gap_days + 1, -gap_days, -gap_days - 1)
    reach = {d for i in vague for d in spans[i]} | set(fixed)
    for _hop in vague:  # a chain through k partly dated records is k hops of a gap from a fixed day
        reach |= {d + dt.timedelta(days=s) for d in reach for s in steps}
    choices: list[list[dt.date]] = []
    placings = 1
    for i in vague:
        a, b = spans[i]
        choices.append(sorted(d for d in reach if a <= d <= b))
        placings *= len(choices[-1])
        if placings > _MAX_PLACINGS:
            return [None] * len(spans)
    seen: list[set[bool]] = [set() for _s in spans]
    for placed in itertools.product(*choices):
        days = [a for a, _b in spans]
        for i, d in zip(vague, placed, strict=True):
            days[i] = d
        first = set(courses(days, gap_days)[0])
        for i, d in enumerate(days):
            seen[i].add(d in first)
    return [next(iter(s)) if len(s) == 1 else None for s in seen]


def max_window_sum(doses: list[tuple[dt.date, float]], days: int) -> float:
    """Largest total of doses dated within any period [s, s + days]."""
    doses = sorted(doses)
    best = 0.0
    for i, (start, _v) in enumerate(doses):
        total = sum(v for d, v in doses[i:] if (d - start).days <= days)
        best = max(best, total)
    return best


def child_pugh_points(bili_mg_dl: float, alb_g_dl: float, inr: float) -> int:
    b = 1 if bili_mg_dl < 2 else 2 if bili_mg_dl <= 3 else 3
    a = 1 if alb_g_dl > 3.5 else 2 if alb_g_dl >= 2.8 else 3
    i = 1 if inr < 1.7 else 2 if inr <= 2.3 else 3
    return b + a + i


def anc_from_differential(wbc_10e9_l: tuple[float, float], percent: tuple[float, float]) -> Interval:
    """WBC x neutrophils % / 100 (clinical.md §3: 10*9/L); tied results of the draw give a range."""
    return Interval(rounded(wbc_10e9_l[0] * percent[0] / 100), rounded(wbc_10e9_l[1] * percent[1] / 100))


# the registry's inputs are read here as dv.INPUTS by the terminology tools
__all__ = [
    "INPUTS",
    "DerivedValue",
    "anc_from_differential",
    "child_pugh_points",
    "ckd_epi_2021",
    "cockcroft_gault",
    "courses",
    "evidence_of",
    "in_first_course",
    "max_window_sum",
    "mdrd",
    "quantity_in",
]
