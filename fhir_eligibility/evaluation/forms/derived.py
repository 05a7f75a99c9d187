"""Derived values (renal function, administered activity, Child-Pugh) computed from their inputs, tested.

The formulas are in :mod:`fhir_eligibility.evaluation.derived`; this module picks their inputs
from the record and converts the result to the unit of the test.
"""

from __future__ import annotations

import datetime as dt

from fhir_eligibility.criteria.model import Criterion, Derived, Window, describe_test, thresholds
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation.compare import Interval, interval_truth
from fhir_eligibility.evaluation.context import Context, Outcome
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.forms.common import missing_data
from fhir_eligibility.evaluation.results import Evidence
from fhir_eligibility.evaluation.validity import birth_problem
from fhir_eligibility.evaluation.windows import fact_in, window_bounds, window_text
from fhir_eligibility.logic import Truth
from fhir_eligibility.measures import units
from fhir_eligibility.measures.timing import age_range


def _latest(ctx: Context, codes: frozenset[tuple[str, str]], lo: dt.date, hi: dt.date) -> Fact | None:
    inside = [f for f in ctx.record.facts(["Observation"], codes) if fact_in(f, lo, hi) and f.quantity is not None]
    if not inside:
        return None
    return max(inside, key=lambda f: (f.date, f.instant, f.issued, f.ref))


def _sex(ctx: Context) -> str | None:
    g = ctx.record.gender
    return g if g in ("male", "female") else None


def derived_value(d: Derived, ctx: Context, lo: dt.date, hi: dt.date) -> dv.DerivedValue:
    unit = dv.UNITS.get(d.concept)
    if d.concept in ("creatinine-clearance", "egfr-mdrd", "egfr-ckd-epi-2021"):
        reported_codes = {
            "creatinine-clearance": dv.CRCL_MEASURED,
            "egfr-mdrd": dv.EGFR_MDRD,
            "egfr-ckd-epi-2021": dv.EGFR_CKDEPI_2021,
        }[d.concept]
        for codes in [reported_codes, dv.CRCL_CG_REPORTED] if d.concept == "creatinine-clearance" else [reported_codes]:
            f = _latest(ctx, codes, lo, hi)
            if f is not None and f.quantity is not None:
                src_unit = f.quantity.unit or ""
                # Synthea and some labs label indexed eGFR as plain mL/min: the LOINC code says it is indexed.
                if d.concept != "creatinine-clearance" and src_unit == "mL/min":
                    src_unit = "mL/min/{1.73_m2}"
                v = (
                    units.convert(f.quantity.value, src_unit, unit or "", None)
                    if src_unit != unit
                    else f.quantity.value
                )
                if v is None:
                    return dv.DerivedValue(
                        None, unit, (), f"reported value in {f.quantity.original_unit!r} not convertible"
                    )
                return dv.DerivedValue(
                    Interval.of(v, f.quantity.comparator),
                    unit,
                    (dv.evidence_of(f, f.quantity.value, f.quantity.unit),),
                    "reported by the laboratory",
                )
        scr = _latest(ctx, dv.SCR, lo, hi)
        if scr is None:
            return dv.DerivedValue(None, unit, (), f"no serum creatinine in {window_text(lo, hi)}")
        scr_mg = dv.quantity_in(scr, "mg/dL", "creatinine")
        if scr_mg is None or scr_mg <= 0:
            return dv.DerivedValue(None, unit, (), "serum creatinine unit not convertible to mg/dL")
        birth = ctx.record.birth_date
        ages = age_range(birth, ctx.as_of) if birth and not birth_problem(birth, ctx.as_of) else None
        sex = _sex(ctx)
        if ages is None or sex is None:
            return dv.DerivedValue(None, unit, (), "age and sex (male/female) are needed for the formula")
        ev = [
            dv.evidence_of(
                scr, scr.quantity.value if scr.quantity else None, scr.quantity.unit if scr.quantity else None
            ),
            Evidence(
                "Patient/" + ctx.record.patient_id,
                f"{ages[0]}" if ages[0] == ages[1] else f"{ages[0]}-{ages[1]}",
                "a",
                None,
                f"age, sex {sex}",
            ),
        ]
        if d.concept == "creatinine-clearance":
            w = _latest(ctx, dv.WEIGHT, lo, hi) or _latest(ctx, dv.WEIGHT, ctx.as_of - dt.timedelta(days=90), hi)
            if w is None:
                return dv.DerivedValue(None, unit, tuple(ev), "no body weight for Cockcroft-Gault")
            kg = dv.quantity_in(w, "kg", None)
            if kg is None:
                return dv.DerivedValue(None, unit, tuple(ev), "body weight unit not convertible to kg")
            ev.append(
                dv.evidence_of(w, w.quantity.value if w.quantity else None, w.quantity.unit if w.quantity else None)
            )
            return dv.DerivedValue(
                dv.cockcroft_gault(scr_mg, kg, ages, sex),
                unit,
                tuple(ev),
                "Cockcroft-Gault from serum creatinine, weight, age and sex",
            )
        if d.concept == "egfr-mdrd":
            return dv.DerivedValue(
                dv.mdrd(scr_mg, ages, sex),
                unit,
                tuple(ev),
                "MDRD-IDMS (175) from serum creatinine; race unknown, both factors",
            )
        return dv.DerivedValue(
            dv.ckd_epi_2021(scr_mg, ages, sex), unit, tuple(ev), "CKD-EPI 2021 from serum creatinine"
        )
    if d.concept in dv.ACTIVITY:
        facts = [
            f for f in ctx.record.facts(["MedicationAdministration"], d.input_codes) if f.date and f.date <= ctx.as_of
        ]
        if not facts:
            if d.concept == "minimum-activity":  # no dose at all: nothing was reduced, nor given
                return dv.DerivedValue(None, unit, (), "no administrations recorded")
            return dv.DerivedValue(Interval.point(0.0), unit, (), "no administrations recorded")
        days = [f.date for f in facts if f.date]
        if "first-course" in d.methods:
            first = set(dv.courses([x for x in days if x], ctx.settings.course_gap_days)[0])
            facts = [f for f in facts if f.date in first]
        doses: list[tuple[dt.date, float]] = []
        ev2: list[Evidence] = []
        seen_days: set[dt.date] = set()
        for f in sorted(facts, key=lambda f: (f.date, f.ref)):
            assert f.date is not None
            if f.date in seen_days:
                continue
            mbq = dv.quantity_in(f, "MBq", None)
            if mbq is None:
                return dv.DerivedValue(None, unit, tuple(ev2), f"{f.ref}: dose missing or not an activity")
            seen_days.add(f.date)
            doses.append((f.date, mbq))
            ev2.append(
                dv.evidence_of(f, f.quantity.value if f.quantity else None, f.quantity.unit if f.quantity else None)
            )
        if d.concept == "minimum-activity":
            smallest = min(v for _d, v in doses)
            return dv.DerivedValue(Interval.point(smallest), unit, tuple(ev2), f"smallest of {len(doses)} doses")
        total = dv.max_window_sum(doses, 364) if "max-364-days" in d.methods else sum(v for _d, v in doses)
        how = "largest 364-day total" if "max-364-days" in d.methods else "total"
        return dv.DerivedValue(Interval.point(total), unit, tuple(ev2), f"{how} of {len(doses)} administrations")
    if d.concept == "child-pugh":
        b, a, i = (_latest(ctx, codes, lo, hi) for codes in (dv.BILIRUBIN, dv.ALBUMIN, dv.INR))
        if b is None or a is None or i is None:
            return dv.DerivedValue(None, None, (), "bilirubin, albumin and INR are needed")
        bm, am = dv.quantity_in(b, "mg/dL", "bilirubin"), dv.quantity_in(a, "g/dL", None)
        iv = i.quantity.value if i.quantity else None
        if bm is None or am is None or iv is None:
            return dv.DerivedValue(None, None, (), "bilirubin/albumin units not convertible")
        pts = dv.child_pugh_points(bm, am, iv)
        ev3 = tuple(
            dv.evidence_of(f, f.quantity.value if f.quantity else None, f.quantity.unit if f.quantity else None)
            for f in (b, a, i)
        )
        return dv.DerivedValue(
            Interval(pts + 2, pts + 6),
            None,
            ev3,
            f"{pts} points from labs; ascites and encephalopathy add 2-6",
            judgement_only=True,
        )
    return dv.DerivedValue(None, unit, (), f"derived value {d.concept!r} not implemented")


def derived_leaf(d: Derived, c: Criterion, ctx: Context, windows: tuple[Window, ...]) -> Outcome:
    default = None if d.concept in dv.ACTIVITY else ctx.settings.default_lookback_days
    lo, hi, err = window_bounds(windows, ctx, default)
    if err:
        return Outcome(Truth.UNKNOWN, err)
    kinds = ["MedicationAdministration"] if d.concept in dv.ACTIVITY else ["Observation"]  # what it reads
    u = ctx.record.unavailable_for(kinds, dv.INPUTS.get(d.concept) or d.input_codes)
    value = derived_value(d, ctx, lo, hi)
    if value.value is None:
        reason = f"data unavailable: {u.reason}" if u else value.reason
        codes = dv.INPUTS.get(d.concept) or d.input_codes
        return Outcome(
            Truth.UNKNOWN,
            f"{d.concept}: {reason}",
            value.evidence,
            missing=(missing_data(ctx, d.concept.replace("-", " "), codes, lo, hi),),
        )
    v = value.value
    target = next((t.unit for t in thresholds(d.test)), None)
    if target and value.unit and target != value.unit:
        f = units.convert(1.0, value.unit, target, None)
        if f is None:
            return Outcome(Truth.UNKNOWN, f"{d.concept} in {value.unit} not comparable with {target}", value.evidence)
        v = v.scale(f)
    t = interval_truth(v, d.test)
    if t is Truth.UNKNOWN and value.judgement_only:
        t = Truth.REVIEW
    shown = f"{v.text()} {target or value.unit or ''}".strip()
    return Outcome(
        t,
        f"{d.concept} {shown} ({value.reason}) vs {describe_test(d.test)}",
        (
            *value.evidence,
            Evidence(
                None, round(v.lo, 2) if v.lo == v.hi else v.text(), target or value.unit, None, f"derived {d.concept}"
            ),
        ),
    )
