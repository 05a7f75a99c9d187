"""The forms that read the Patient resource (age, gender) and the one no record answers (manual)."""

from __future__ import annotations

import datetime as dt

from fhir_eligibility.criteria.model import Age, Criterion, Gender, describe_test
from fhir_eligibility.evaluation.compare import VERB, Interval, interval_truth
from fhir_eligibility.evaluation.context import Context, Outcome
from fhir_eligibility.evaluation.results import Evidence, MissingData
from fhir_eligibility.evaluation.validity import birth_problem
from fhir_eligibility.logic import Truth
from fhir_eligibility.measures.timing import age_range


def age_truth(d: Age, birth: str | None, as_of: dt.date) -> Truth:
    """The truth ``age_leaf`` gives, without its explanation (screening's path)."""
    if not birth or birth_problem(birth, as_of):
        return Truth.UNKNOWN
    ages = age_range(birth, as_of)
    return Truth.UNKNOWN if ages is None else interval_truth(Interval(float(ages[0]), float(ages[1])), d.test)


def gender_truth(d: Gender, gender: str | None) -> Truth:
    """The truth ``gender_leaf`` gives."""
    return Truth.of(gender in d.codes) if gender in ("male", "female") else Truth.UNKNOWN


def manual_truth(assume_attested: bool, parity: int) -> Truth:
    """The truth ``manual_leaf`` gives."""
    if assume_attested:
        return Truth.TRUE if parity % 2 == 0 else Truth.FALSE
    return Truth.MANUAL


def age_leaf(d: Age, ctx: Context) -> Outcome:
    birth = ctx.record.birth_date
    if not birth:
        return Outcome(
            Truth.UNKNOWN,
            "birth date not recorded",
            missing=(MissingData("", "Patient.birthDate", (), "any", None),),
        )
    bad = birth_problem(birth, ctx.as_of)
    if bad:
        return Outcome(Truth.UNKNOWN, bad, missing=(MissingData("", "Patient.birthDate (corrected)", (), "any", None),))
    ages = age_range(birth, ctx.as_of)
    if ages is None:
        return Outcome(Truth.UNKNOWN, f"birth date unreadable (not a FHIR date) or after {ctx.as_of}")
    v = Interval(float(ages[0]), float(ages[1]))
    t = interval_truth(v, d.test)
    shown = f"{ages[0]}" if ages[0] == ages[1] else f"{ages[0]}-{ages[1]} (partial birth date)"
    # a partial birth date that cannot decide: the full date is what to collect
    full = (MissingData("", "Patient.birthDate (the full date)", (), "any", None),) if not t.decided else ()
    return Outcome(
        t,
        f"age {shown} years on {ctx.as_of} {VERB.get(t, 'cannot decide')} {describe_test(d.test)}",
        (Evidence("Patient/" + ctx.record.patient_id, shown, "a", birth, "age from birthDate"),),
        missing=full,
    )


def gender_leaf(d: Gender, ctx: Context) -> Outcome:
    g = ctx.record.gender
    ev = (Evidence("Patient/" + ctx.record.patient_id, g, None, None, "administrative gender"),)
    if g in ("male", "female"):
        return Outcome(gender_truth(d, g), f"gender {g}", ev)
    return Outcome(
        Truth.UNKNOWN,
        f"gender {g or 'not recorded'}",
        ev,
        missing=(MissingData("", "Patient.gender", (), "any", None),),
    )


def manual_leaf(c: Criterion, ctx: Context, parity: int) -> Outcome:
    t = manual_truth(ctx.settings.assume_attested, parity)
    if ctx.settings.assume_attested:
        return Outcome(t, "attested (assumed by --assume-attested)", attested=True)
    return Outcome(t, "requires attestation by a person")
