"""Derived values (renal function, administered activity, Child-Pugh, ANC) computed from their inputs, tested.

Each concept declared in the registry (:mod:`fhir_eligibility.measures.concepts`) has its formula
here (administered activity's in :mod:`.activity`), bound in :data:`FORMULAS`: the function picks
the inputs from the record (:mod:`.derived_inputs`) and calls the pure arithmetic of
:mod:`fhir_eligibility.evaluation.derived`. The engine calls the concept's formula and never compares
concept names, so a new derived value is one declaration plus one function.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import Criterion, Derived, Window, describe_test, thresholds
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation import values
from fhir_eligibility.evaluation.compare import Interval, compare, compare_truth, interval_truth
from fhir_eligibility.evaluation.context import Context, Outcome
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.forms.activity import Placed, cumulative_activity, minimum_activity
from fhir_eligibility.evaluation.forms.common import missing_data
from fhir_eligibility.evaluation.forms.derived_inputs import (
    hull,
    input_evidence,
    later,
    latest_input,
    latest_inputs,
    quantities_in,
)
from fhir_eligibility.evaluation.race import recorded_black
from fhir_eligibility.evaluation.results import Evidence
from fhir_eligibility.evaluation.validity import birth_problem
from fhir_eligibility.evaluation.windows import fact_in, window_bounds, window_text
from fhir_eligibility.logic import Truth
from fhir_eligibility.measures import concepts as cc
from fhir_eligibility.measures import units
from fhir_eligibility.measures.timing import age_range

# A formula: (its declaration, the criterion, the patient's context, window low, window high) -> value.
Formula = Callable[[cc.DerivedConcept, Derived, Context, dt.date, dt.date], dv.DerivedValue]


def _sexes(ctx: Context) -> tuple[str, ...]:
    """The sexes a renal formula is computed for: the recorded one, or both when ``Patient.gender`` is
    other, unknown or absent (clinical.md §0.10: compute both, decide only where both agree)."""
    g = ctx.record.gender
    return (g,) if g in ("male", "female") else ("male", "female")


def _sex_note(sexes: tuple[str, ...]) -> str:
    return "" if len(sexes) == 1 else "; sex not recorded as male or female, both factors"


def _reported(
    ctx: Context,
    code_sets: tuple[frozenset[tuple[str, str]], ...],
    lo: dt.date,
    hi: dt.date,
    unit: str | None,
    computed: bool = True,
) -> dv.DerivedValue | None:
    """The value as the laboratory reported it (first code set that has one), else None: compute it.
    ``computed``: a value the laboratory computed from serum creatinine (a reported Cockcroft-Gault or
    eGFR) counts only when no creatinine is newer (§0.3: the most recent input decides; the newer
    creatinine is computed from instead). A measured clearance is no such value: it governs."""
    newest = latest_inputs(ctx, cc.SCR, lo, hi) if computed else []
    for codes in code_sets:
        tied = latest_inputs(ctx, codes, lo, hi)
        if tied and newest and later(newest[0], tied[0]):
            continue
        values: list[Interval] = []
        for f in tied:
            assert f.quantity is not None
            src_unit = f.quantity.unit or ""
            # Synthea and some labs label indexed eGFR as plain mL/min: the LOINC code says it is indexed.
            if unit == "mL/min/{1.73_m2}" and src_unit == "mL/min":
                src_unit = unit
            v = units.convert(f.quantity.value, src_unit, unit or "", None) if src_unit != unit else f.quantity.value
            if v is None:
                why = f"reported value in {f.quantity.original_unit!r} not convertible"
                return dv.DerivedValue(None, unit, (), why)
            values.append(Interval.of(v, f.quantity.comparator))
        if values:
            how = "reported by the laboratory" + (
                f" ({len(values)} values at the same time: their range)" if len(values) > 1 else ""
            )
            ev = tuple(dv.evidence_of(f, f.quantity.value, f.quantity.unit) for f in tied if f.quantity)
            return dv.DerivedValue(hull(values), unit, ev, how)
    return None


# (lowest, highest) serum creatinine in mg/dL (results at the same moment), age range, sexes, evidence
Creatinine = tuple[tuple[float, float], tuple[int, int], tuple[str, ...], list[Evidence]]


def _creatinine(ctx: Context, lo: dt.date, hi: dt.date, unit: str | None) -> Creatinine | dv.DerivedValue:
    """Serum creatinine in mg/dL, age and sex(es) for a renal formula, or why there are none."""
    tied = latest_inputs(ctx, cc.SCR, lo, hi)
    if not tied:
        return dv.DerivedValue(None, unit, (), f"no serum creatinine in {window_text(lo, hi)}")
    scr_mg = quantities_in(tied, "mg/dL", "creatinine")
    bound = next((f.quantity for f in tied if f.quantity is not None and f.quantity.comparator), None)
    if bound is not None:  # "<0.5 mg/dL": a bound, not a value the formula can take
        shown = f"{bound.comparator} {bound.value:g}" + (f" {bound.unit}" if bound.unit else "")
        return dv.DerivedValue(
            None, unit, (), f"serum creatinine reported as a bound ({shown}): the formula needs a value"
        )
    if scr_mg is None or scr_mg[0] <= 0:
        return dv.DerivedValue(None, unit, (), "serum creatinine unit not convertible to mg/dL")
    birth = ctx.record.birth_date
    ages = age_range(birth, ctx.as_of) if birth and not birth_problem(birth, ctx.as_of) else None
    sexes = _sexes(ctx)
    if ages is None:
        return dv.DerivedValue(None, unit, (), "an age is needed for the formula")
    sex = sexes[0] if len(sexes) == 1 else "unknown: computed as male and as female"
    ev = [
        *(input_evidence(f) for f in tied),
        Evidence(
            "Patient/" + ctx.record.patient_id,
            f"{ages[0]}" if ages[0] == ages[1] else f"{ages[0]}-{ages[1]}",
            "a",
            None,
            f"age, sex {sex}",
        ),
    ]
    return scr_mg, ages, sexes, ev


def creatinine_clearance(
    concept: cc.DerivedConcept, d: Derived, ctx: Context, lo: dt.date, hi: dt.date
) -> dv.DerivedValue:
    unit = concept.unit
    reported = _reported(ctx, (cc.CRCL_MEASURED,), lo, hi, unit, computed=False) or _reported(
        ctx, (cc.CRCL_CG_REPORTED,), lo, hi, unit
    )
    if reported is not None:
        return reported
    basis = _creatinine(ctx, lo, hi, unit)
    if isinstance(basis, dv.DerivedValue):
        return basis
    scr_mg, ages, sexes, ev = basis
    w = latest_inputs(ctx, cc.WEIGHT, lo, hi)
    if not w and concept.older_input_days is not None:  # a weight may be older than the creatinine
        w = latest_inputs(ctx, cc.WEIGHT, ctx.as_of - dt.timedelta(days=concept.older_input_days), hi)
    if not w:
        return dv.DerivedValue(None, unit, tuple(ev), "no body weight for Cockcroft-Gault")
    kg = quantities_in(w, "kg", None)
    if kg is None:
        return dv.DerivedValue(None, unit, tuple(ev), "body weight unit not convertible to kg")
    ev.extend(input_evidence(f) for f in w)
    how = "Cockcroft-Gault from serum creatinine, weight, age and sex"
    value = hull([dv.cockcroft_gault(s, k, ages, x) for s in scr_mg for k in kg for x in sexes])
    return dv.DerivedValue(value, unit, tuple(ev), how + _sex_note(sexes) + _tie_note(scr_mg, kg))


def egfr_mdrd(concept: cc.DerivedConcept, d: Derived, ctx: Context, lo: dt.date, hi: dt.date) -> dv.DerivedValue:
    unit = concept.unit
    reported = _reported(ctx, (cc.EGFR_MDRD,), lo, hi, unit)
    if reported is not None:
        return reported
    basis = _creatinine(ctx, lo, hi, unit)
    if isinstance(basis, dv.DerivedValue):
        return basis
    scr_mg, ages, sexes, ev = basis
    black = recorded_black(ctx.record.patient)
    race = "race unknown, both factors" if black is None else "race recorded " + ("Black" if black else "not Black")
    how = f"MDRD-IDMS (175) from serum creatinine; {race}" + _sex_note(sexes) + _tie_note(scr_mg)
    return dv.DerivedValue(hull([dv.mdrd(s, ages, x, black) for s in scr_mg for x in sexes]), unit, tuple(ev), how)


def egfr_ckd_epi_2021(
    concept: cc.DerivedConcept, d: Derived, ctx: Context, lo: dt.date, hi: dt.date
) -> dv.DerivedValue:
    unit = concept.unit
    reported = _reported(ctx, (cc.EGFR_CKDEPI_2021,), lo, hi, unit)
    if reported is not None:
        return reported
    basis = _creatinine(ctx, lo, hi, unit)
    if isinstance(basis, dv.DerivedValue):
        return basis
    scr_mg, ages, sexes, ev = basis
    how = "CKD-EPI 2021 from serum creatinine" + _sex_note(sexes) + _tie_note(scr_mg)
    return dv.DerivedValue(hull([dv.ckd_epi_2021(s, ages, x) for s in scr_mg for x in sexes]), unit, tuple(ev), how)


def _tie_note(*ranges: tuple[float, float]) -> str:
    return "; results at the same time differ: the range of both" if any(a != b for a, b in ranges) else ""


def child_pugh(concept: cc.DerivedConcept, d: Derived, ctx: Context, lo: dt.date, hi: dt.date) -> dv.DerivedValue:
    unit = concept.unit  # a score
    b, a, i = (latest_input(ctx, codes, lo, hi) for codes in (cc.BILIRUBIN, cc.ALBUMIN, cc.INR))
    if b is None or a is None or i is None:
        return dv.DerivedValue(None, unit, (), "bilirubin, albumin and INR are needed (results at one time agreeing)")
    bm, am = dv.quantity_in(b, "mg/dL", "bilirubin"), dv.quantity_in(a, "g/dL", None)
    iv = i.quantity.value if i.quantity else None
    if bm is None or am is None or iv is None:
        return dv.DerivedValue(None, unit, (), "bilirubin/albumin units not convertible")
    pts = dv.child_pugh_points(bm, am, iv)
    return dv.DerivedValue(
        Interval(pts + 2, pts + 6),
        unit,
        tuple(input_evidence(f) for f in (b, a, i)),
        f"{pts} points from labs; ascites and encephalopathy add 2-6",
        judgement_only=True,
    )


def _draw(ctx: Context, lo: dt.date, hi: dt.date, unit: str | None) -> tuple[Fact | None, dv.DerivedValue]:
    """The ANC of the most recent differential: its neutrophil percentage and the WBC of the same
    draw (the same effective instant to the second, time zone applied: a CBC's results share it).
    A day-only date, a WBC of another moment, a bound, an unconvertible unit or a share outside
    0-100 % leaves no value (unknown, never a fail). Also the percentage it read (None: none)."""
    pct = latest_inputs(ctx, cc.NEUTROPHIL_PERCENT, lo, hi)
    if not pct:
        return None, dv.DerivedValue(None, unit, (), f"no neutrophil count nor differential in {window_text(lo, hi)}")
    moment = pct[0].instant
    wbc = [
        f
        for f in ctx.record.facts(["Observation"], cc.LEUKOCYTES)
        if f.quantity is not None and f.instant == moment and "T" in moment
    ]
    ev = tuple(input_evidence(f) for f in (*pct, *wbc))
    if not wbc:
        why = "dated by its day only" if "T" not in moment else f"with no WBC of the same draw ({moment})"
        return pct[0], dv.DerivedValue(None, unit, ev, f"neutrophil percentage {why}: the ANC needs both")
    if any(f.quantity is not None and f.quantity.comparator for f in (*pct, *wbc)):
        return pct[0], dv.DerivedValue(None, unit, ev, "neutrophil percentage or WBC reported as a bound")
    share, count = quantities_in(pct, "%", None), quantities_in(wbc, "10*9/L", None)
    if share is None or count is None:
        return pct[0], dv.DerivedValue(None, unit, ev, "neutrophil percentage or WBC unit not convertible")
    if share[0] < 0 or share[1] > 100:
        return pct[0], dv.DerivedValue(None, unit, ev, f"neutrophils {share[1]:g} % of leukocytes: a data error")
    how = f"WBC x neutrophils % / 100 from one draw ({moment})" + _tie_note(share, count)
    return pct[0], dv.DerivedValue(dv.anc_from_differential(count, share), unit, ev, how)


def absolute_neutrophil_count(
    concept: cc.DerivedConcept, d: Derived, ctx: Context, lo: dt.date, hi: dt.date
) -> dv.DerivedValue:
    """The laboratory's count unless a differential is known to be newer (§0.3: the most recent decides)."""
    unit = concept.unit
    counted = latest_inputs(ctx, cc.NEUTROPHILS, lo, hi)
    pct, computed = _draw(ctx, lo, hi, unit)
    newer_draw = pct is not None and computed.value is not None and (not counted or later(pct, counted[0]))
    if counted and not newer_draw:
        reported = _reported(ctx, (cc.NEUTROPHILS,), lo, hi, unit, computed=False)
        if reported is not None and len(counted) == 1 and reported.value is not None:
            return dv.DerivedValue(reported.value, unit, reported.evidence, reported.reason, source=counted[0])
        if reported is not None:
            return reported
    window = [f for f in ctx.record.facts(["Observation"], cc.NEUTROPHILS) if fact_in(f, lo, hi)]
    if any(values.invalid(f) and (pct is None or not later(pct, f)) for f in window):  # §0.16: may be current
        return dv.DerivedValue(None, unit, computed.evidence, "the most recent neutrophil count has an invalid value")
    return computed


# Each declared concept's formula. A declaration without one evaluates as unknown ("not implemented").
FORMULAS: Mapping[str, Formula] = {
    concept.name: formula
    for concept, formula in (
        (cc.CREATININE_CLEARANCE, creatinine_clearance),
        (cc.MDRD, egfr_mdrd),
        (cc.CKD_EPI_2021, egfr_ckd_epi_2021),
        (cc.CUMULATIVE_ACTIVITY, cumulative_activity),
        (cc.MINIMUM_ACTIVITY, minimum_activity),
        (cc.CHILD_PUGH, child_pugh),
        (cc.ABSOLUTE_NEUTROPHIL_COUNT, absolute_neutrophil_count),
    )
}


def derived_value(d: Derived, ctx: Context, lo: dt.date, hi: dt.date) -> dv.DerivedValue:
    """The concept's formula applied to the record."""
    concept = cc.DERIVED.get(d.concept)
    formula = FORMULAS.get(d.concept)
    if concept is None or formula is None:
        unit = concept.unit if concept is not None else None
        return dv.DerivedValue(None, unit, (), f"derived value {d.concept!r} not implemented")
    return formula(concept, d, ctx, lo, hi)


def derived_lookback(d: Derived, default_days: int) -> int | None:
    """The look-back a window-less derived criterion reads: none for a concept counted over any date."""
    concept = cc.DERIVED.get(d.concept)
    return None if concept is not None and concept.lookback == "any date" else default_days


def _tested(d: Derived, value: dv.DerivedValue) -> tuple[Truth, Interval | None, str | None]:
    """The value in the test's unit and the test's truth (value None: not comparable). A value whose
    range straddles the test is decided when each value it may be (:class:`Placed`) is the same way."""
    v = value.value
    target = next((t.unit for t in thresholds(d.test)), None)
    if v is None:
        return Truth.UNKNOWN, None, target
    factor = 1.0
    if target and value.unit and target != value.unit:
        f = units.convert(1.0, value.unit, target, None)
        if f is None:
            return Truth.UNKNOWN, None, target
        factor, v = f, v.scale(f)
    t = interval_truth(v, d.test)
    if not t.decided and isinstance(value, Placed):
        each = {interval_truth(x.scale(factor) if factor != 1.0 else x, d.test) for x in value.each}
        t = each.pop() if len(each) == 1 else t
    return (Truth.REVIEW if t is Truth.UNKNOWN and value.judgement_only else t), v, target


def derived_truth(d: Derived, ctx: Context, lo: dt.date, hi: dt.date) -> Truth:
    """The truth ``derived_leaf`` gives in the window [lo, hi], without its explanation (screening's path)."""
    value = derived_value(d, ctx, lo, hi)
    return compare_truth(value.source, d.test) if value.source is not None else _tested(d, value)[0]


def derived_reads(d: Derived) -> tuple[tuple[str, ...], frozenset[Code]]:
    """The type and codes whose unavailability leaves the derived value unknown."""
    concept = cc.DERIVED.get(d.concept)
    reads = concept.reads if concept is not None else "Observation"
    return (reads,), (concept.inputs if concept is not None else frozenset()) or d.input_codes


def derived_leaf(d: Derived, c: Criterion, ctx: Context, windows: tuple[Window, ...]) -> Outcome:
    lo, hi, err = window_bounds(windows, ctx, derived_lookback(d, ctx.settings.default_lookback_days))
    if err:
        return Outcome(Truth.UNKNOWN, err)
    reads, codes = derived_reads(d)
    u = ctx.record.unavailable_for(reads, codes)
    value = derived_value(d, ctx, lo, hi)
    if value.value is None or u is not None:  # an input that could not be read may be the most recent
        reason = f"data unavailable: {u.reason}" if u else value.reason
        return Outcome(
            Truth.UNKNOWN,
            f"{d.concept}: {reason}",
            value.evidence,
            missing=(missing_data(ctx, d.concept.replace("-", " "), codes, lo, hi),),
        )
    if value.source is not None:  # one reported result: read as that Observation (forms.observation)
        f, res = value.source, compare(value.source, d.test)
        when = f" on {f.date}" if f.date else " (undated)"
        miss = (missing_data(ctx, d.concept.replace("-", " "), codes, lo, hi),) if not res.truth.decided else ()
        ev = Evidence(f.ref.split("#")[0], res.value, res.unit, f.date.isoformat() if f.date else None)
        return Outcome(res.truth, f"{res.reason}{when}", (ev,), matched=(f,), missing=miss)
    t, v, target = _tested(d, value)
    if v is None:
        return Outcome(Truth.UNKNOWN, f"{d.concept} in {value.unit} not comparable with {target}", value.evidence)
    shown = f"{v.text()} {target or value.unit or ''}".strip()
    # a range that straddles the threshold (race unknown, a partial birth date, tied results): a
    # measured or reported value would decide; a clinical input (Child-Pugh) is a judgement, not data
    undecided = not t.decided and not value.judgement_only
    return Outcome(
        t,
        f"{d.concept} {shown} ({value.reason}) vs {describe_test(d.test)}",
        (
            *value.evidence,
            Evidence(
                None, round(v.lo, 2) if v.lo == v.hi else v.text(), target or value.unit, None, f"derived {d.concept}"
            ),
        ),
        missing=(missing_data(ctx, f"{d.concept.replace('-', ' ')} (measured or reported)", codes, lo, hi),)
        if undecided
        else (),
    )
