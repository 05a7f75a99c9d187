"""A measurement's value, read once and checked: a Quantity with its UCUM unit, the other
value[x] forms, the reference range that applies to this patient (sex, age), and an onset given
as an age. Split from :mod:`.facts`, which turns whole resources into facts with these.

An invalid or impossible value is left out with a note saying why (clinical.md §0: it can only
make a criterion unknown, never a fail).
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

from fhir_eligibility.codes import EXT_CONTRADICTORY, Code, codings
from fhir_eligibility.evaluation.validity import negative_problem, number_problem
from fhir_eligibility.measures import ucum as ucum_units
from fhir_eligibility.measures import units
from fhir_eligibility.measures.plausible import implausible
from fhir_eligibility.measures.timing import TimeOffset, shift
from fhir_eligibility.record import Resource
from fhir_eligibility.terminology.answers import exclusive, text_answer


class Quantity(NamedTuple):
    value: float
    unit: str | None  # UCUM code, None when unparseable
    comparator: str | None = None
    original_unit: str | None = None


def quantity(q: object, problems: list[str] | None = None, signed: bool = True) -> Quantity | None:
    """A Quantity's value and UCUM unit; an invalid number (or a negative one unless ``signed``) is a problem.

    The unit is the ``code`` when its ``system`` is UCUM, whatever the ``unit`` text says (FHIR: the text is
    for display, the code is computable; :func:`unit_text_differs` says when they disagree). A ``code`` with
    no ``system`` (FHIR qty-3 wants one) is read as UCUM when it parses, unless the ``unit`` text reads as
    another unit: which is meant cannot be told, so that is a problem (clinical.md §0.4: unknown unit).
    A code of another system is not read; the text is."""
    if q is not None and not isinstance(q, dict) and problems is not None:
        problems.append(f"{str(q)[:30]!r} is not a Quantity; ignored")
    if not isinstance(q, dict) or q.get("value") is None:
        return None
    problem = number_problem(q["value"])
    system, code, text = q.get("system"), q.get("code"), q.get("unit")
    code = code if isinstance(code, str) and system in (None, UCUM_SYSTEM) else None
    text = text if isinstance(text, str) else None
    ucum = _ucum_code(code, text)
    if problem is None and system is None and code is not None and text is not None and _differ(code, text):
        problem = (
            f"unit code {code[:20]!r} and unit text {text[:20]!r} are different units, and no system says the "
            f"code is UCUM: which is meant is not known"
        )
    comparator = q.get("comparator")
    if problem is None and comparator is not None and comparator not in _COMPARATORS:
        problem = f"comparator {str(comparator)[:8]!r} is not one of < <= >= >"  # "≤", "LT", "ad": unreadable
    if problem is None and not signed:
        problem = negative_problem(float(q["value"]), ucum)
    if problem is not None:
        if problems is not None:
            problems.append(problem)
        return None
    original = q.get("unit") or q.get("code")
    return Quantity(float(q["value"]), ucum, comparator, original if isinstance(original, str) else None)


def unit_text_differs(q: object) -> str | None:
    """Why a Quantity's ``unit`` text is another unit than its UCUM ``code`` (the code is read), or None."""
    if not isinstance(q, dict) or q.get("system") != UCUM_SYSTEM:
        return None
    code, text = q.get("code"), q.get("unit")
    if isinstance(code, str) and isinstance(text, str) and code != text and _differ(code, text):
        return f"unit text {text[:20]!r} is not its UCUM code {code[:20]!r}: the UCUM code is read"
    return None


@lru_cache(maxsize=1024)
def _differ(code: str, text: str) -> bool:
    """Whether a unit's code and text read as two different units (a text read as no unit disagrees with none).
    ``U`` and ``[IU]`` (``U/L`` and ``IU/L``) are one unit written two ways here: labs write either for an
    enzyme's activity, where UCUM keeps them apart; the analyte-aware conversion that reads the value
    decides what they mean (:func:`~fhir_eligibility.measures.ucum.convert`)."""
    a, b = _ucum_code(code, None), _ucum_code(None, text)
    if a is None or b is None or a == b or _as_units(a) == _as_units(b):
        return False
    return ucum_units.convert(1.0, a, b) != 1.0


def _as_units(code: str) -> str:
    return code.replace("[IU]", "U").replace("[iU]", "U")


UCUM_SYSTEM = "http://unitsofmeasure.org"
_COMPARATORS = frozenset({"<", "<=", ">=", ">"})  # FHIR's; R5's "ad" (an amount to add) is no result

# a population spells its units a few ways, each normalised (regular expressions, UCUM parse) once
_ucum_code = lru_cache(maxsize=4096)(units.ucum_code)


_NUMBER_AS_TEXT = re.compile(r"\s*(?:[<>]=?|[≤≥])?\s*[-+]?\d")
# a percentage written as text ("15%", "<2 %", "15,5%"): its unit is in the text, so it is the Quantity
# (Ki-67 from a pathology feed); a range ("15-20%") or any other wording stays unread
_PERCENT_AS_TEXT = re.compile(r"\s*(<=|>=|<|>|≤|≥)?\s*(\d{1,3}(?:[.,]\d+)?)\s*%\s*")
_TEXT_COMPARATOR = {"≤": "<=", "≥": ">="}


def percent_text(text: str) -> Quantity | None:
    """``"15%"`` -> 15 %, with its comparator; None for any other text."""
    m = _PERCENT_AS_TEXT.fullmatch(text)
    if m is None:
        return None
    comparator = _TEXT_COMPARATOR.get(m.group(1) or "", m.group(1))
    return Quantity(float(m.group(2).replace(",", ".")), "%", comparator, "%")


def value_fields(
    src: Resource, problems: list[str] | None, codes: frozenset[Code], born: _dt.date | None, on: _dt.date | None
) -> dict[str, Any]:
    """The value[x] fields a criterion reads; an invalid or impossible value (:mod:`.plausible`), or one
    in a form no criterion reads (valueRange, a concept with only a text no answer reads), is left out, with ``note``
    saying why: it is the measurement's value all the same, so a newer one leaves it unknown (.values).

    So are a value sent with a ``dataAbsentReason`` (FHIR obs-6: which is true is not known) and an
    ``interpretation`` (H, L) with no value: each reports a measurement whose value is not known here.
    A result whose codings name two tests (terminology.analytes marks its ``code``) is such a value too:
    the product's rule for an invalid value (clinical.md §0.16, .values) sets it aside when a valid result
    is as recent, and leaves the criterion unknown when it is the most recent."""
    clash = _contradictory(src.get("code"))
    if clash is not None:
        if problems is not None:
            problems.append(f"code: {clash}; the result is unusable")
        return {"note": f"invalid value (code: {clash})"}
    given = [k for k in src if k.startswith("value")]
    if given and "dataAbsentReason" in src:  # FHIR obs-6: a value, and a reason there is none
        unsure = f"{given[0]} and dataAbsentReason both given: whether it has a value is not known"
        if problems is not None:
            problems.append(f"{unsure}; the result is unusable")
        return {"note": f"invalid value ({unsure})"}
    out: dict[str, Any] = {}
    own: list[str] = []
    if "valueQuantity" in src:
        q = quantity(src["valueQuantity"], own, signed=False)
        why = implausible(codes, q.value, q.unit, born, on) if q is not None else None
        if why is not None:
            own.append(why)
        out["quantity"] = q if why is None else None
        differs = unit_text_differs(src["valueQuantity"]) if q is not None else None
        if differs is not None and problems is not None:  # read all the same: said, not a reason to drop it
            problems.append(differs)
    if "valueCodeableConcept" in src:
        concept = src["valueCodeableConcept"]
        out["value_codes"] = codings(concept)
        shown = concept.get("text") if isinstance(concept, dict) else None
        if not out["value_codes"] and isinstance(shown, str) and (answer := text_answer(shown)):
            out["value_codes"] = answer  # a concept with only the text "Negative": read as valueString's is
        both = exclusive(out["value_codes"])
        if both is not None:  # codings of one concept that disagree (Negative and Positive): read as neither
            own.append(
                f"valueCodeableConcept is coded as answers that exclude each other ({both[0][1]} and {both[1][1]})"
            )
            del out["value_codes"]
    if "valueInteger" in src:
        v = src["valueInteger"]
        problem = number_problem(v) or (None if isinstance(v, int) else f"valueInteger {v!r} is not an integer")
        problem = problem or negative_problem(float(v), None) or implausible(codes, float(v), None, born, on)
        if problem:
            own.append(problem)
        else:
            out["value_int"] = v
    if isinstance(src.get("valueBoolean"), bool):
        out["value_bool"] = src["valueBoolean"]
    text = src.get("valueString")
    percent = percent_text(text) if isinstance(text, str) and "valueQuantity" not in src else None
    if percent is not None:
        why = implausible(codes, percent.value, percent.unit, born, on)
        if why is not None:
            own.append(why)
        out["quantity"] = percent if why is None else None
    elif isinstance(text, str) and _NUMBER_AS_TEXT.match(text):  # "<5", "12.3": a number as text, no unit
        own.append(f"valueString {text[:30]!r} is a number written as text, not a Quantity with its unit")
    elif isinstance(text, str) and "valueCodeableConcept" not in src and (answer := text_answer(text)):
        out["value_codes"] = answer  # "Negative" as text: the coded answer (terminology.answers)
    read = out.get("quantity") is not None or out.get("value_codes") or "value_int" in out or "value_bool" in out
    if given and not own and not read:
        # a value was sent in a form no criterion reads (valueRange, valueRatio, a concept with only text,
        # free text): a measurement all the same, whose value is not known here (unlike dataAbsentReason)
        own.append(f"{given[0]}{_shown(src[given[0]])} is not a value the criteria read")
    if own:
        out["note"] = f"invalid value ({'; '.join(own)})"
        if problems is not None:
            problems.extend(f"{p}; the result is unusable" for p in own)
    elif "dataAbsentReason" in src:
        absent = codings(src["dataAbsentReason"])
        why = next(iter(sorted(c for _s, c in absent)), None) or "unspecified"
        out["note"] = f"no value (dataAbsentReason: {why})"
    elif not given and (flags := _flags(src.get("interpretation"))):
        # high or low, its number not sent: a measurement all the same, whose value is not known here
        flagged = f"only an interpretation ({', '.join(flags)[:30]}), no value"
        out["note"] = f"invalid value ({flagged})"
        if problems is not None:
            problems.append(f"{flagged}; the result is unusable")
    return out


def _flags(interpretation: object) -> list[str]:
    """The codes of a result's ``interpretation`` (H, L, N...), a list of concepts."""
    concepts = interpretation if isinstance(interpretation, list) else []
    return sorted({c for concept in concepts for _s, c in codings(concept)})


def _contradictory(concept: object) -> str | None:
    """Why a result's code names different tests (terminology.evidence marks it so), or None."""
    marks = concept.get("extension") if isinstance(concept, dict) else None
    for ext in marks if isinstance(marks, list) else ():
        if isinstance(ext, dict) and ext.get("url") == EXT_CONTRADICTORY:
            why = ext.get("valueString")
            return why if isinstance(why, str) else "its codings name different tests"
    return None


def _shown(value: object) -> str:
    """A value's text as the reason shows it (cut short); nothing when it has none."""
    text = value.get("text") if isinstance(value, dict) else value
    return f" {text[:40]!r}" if isinstance(text, str) else ""


class Who(NamedTuple):
    """What a reference range may be restricted to: the patient's sex and birth date (as written)."""

    gender: str | None = None
    birth_date: _dt.date | None = None


ANYONE = Who()  # a resource read without its patient: sex- or age-restricted ranges do not apply
_SEX = {"male": "male", "female": "female", "M": "male", "F": "female", "248153007": "male", "248152002": "female"}
_MAX_AGE_DAYS = 150 * 366  # an onset at 150 years of age or more is no age a body reaches
_AGE_UNITS = {"a": "a", "mo": "mo", "wk": "wk", "d": "d"}  # an age's UCUM unit -> its calendar unit
# an age's unit written out, with no UCUM code (onsetAge 45 "years"): unambiguous, so read
_AGE_WORDS = MappingProxyType({"year": "a", "month": "mo", "week": "wk", "day": "d"})  # also plural


def _since_birth(born: _dt.date, value: float, unit: str) -> _dt.date:
    """The day ``value`` ``unit`` after birth, on the calendar (clinical.md §0.1: months and years are
    birthdays, 2008-06-01 + 18 a = 2026-06-01, not 18 x 365.25 days)."""
    return shift(born, TimeOffset(value, unit))


def onset_age(age: object, born: _dt.date | None) -> tuple[_dt.date | None, _dt.date | None]:
    """The days an onset given as an age (onsetAge 40 a) can mean: from that birthday to the day
    before the next; (None, None) without a birth date or a readable age."""
    if born is None or not isinstance(age, dict) or isinstance(age.get("value"), bool):
        return None, None
    value, code, unit = age.get("value"), age.get("code"), age.get("unit")
    if isinstance(code, str):
        calendar = _AGE_UNITS.get(code)
    else:  # no code: its unit as UCUM or as a word
        word = unit.strip().lower() if isinstance(unit, str) else ""
        calendar = _AGE_UNITS.get(word) or _AGE_WORDS.get(word.removesuffix("s"))
    if not isinstance(value, (int, float)) or calendar is None or value < 0:
        return None, None
    try:
        first = _since_birth(born, value, calendar)
        last = _since_birth(born, int(value) + 1, calendar) - _dt.timedelta(days=1)
    except (OverflowError, ValueError):  # an age beyond the calendar: no onset date
        return None, None
    return (first, last) if (first - born).days < _MAX_AGE_DAYS else (None, None)


def onset_range(ages: object, born: _dt.date | None) -> tuple[_dt.date | None, _dt.date | None]:
    """The days an onset given as a range of ages (onsetRange 40-45 a) can mean: from the birthday of
    its low age (birth when it has none) to the day before the birthday after its high one; (None,
    None) without a birth date, a high age, or with an age not read."""
    if born is None or not isinstance(ages, dict):
        return None, None
    low, high = ages.get("low"), ages.get("high")
    first = onset_age(low, born)[0] if low is not None else born
    last = onset_age(high, born)[1]
    if first is None or last is None or last < first:
        return None, None
    return first, last


def _applies(rr: dict[str, Any], who: Who, on: _dt.date | None) -> bool:
    """Whether a range restricted by ``appliesTo`` / ``age`` is this patient's (unknown: it is not)."""
    applies = rr.get("appliesTo")
    if applies is not None and not isinstance(applies, list):
        return False
    for concept in applies or []:
        sexes = {_SEX.get(c) for _s, c in codings(concept)}
        if not sexes or None in sexes or who.gender not in sexes:  # another population, or not knowable
            return False
    age = rr.get("age")
    if age is None:
        return True
    if not isinstance(age, dict) or who.birth_date is None or on is None:
        return False
    low, high = (quantity(age.get(k)) if age.get(k) is not None else None for k in ("low", "high"))
    for bound, q in ((age.get("low"), low), (age.get("high"), high)):
        if bound is not None and (q is None or _AGE_UNITS.get(q.unit or "") is None):
            return False  # an age bound not in a unit of time: not knowable
    try:  # on the calendar: 18 a is reached on the 18th birthday (clinical.md §0.1)
        old_enough = low is None or on >= _since_birth(who.birth_date, low.value, _AGE_UNITS[low.unit or ""])
        young_enough = high is None or on <= _since_birth(who.birth_date, high.value, _AGE_UNITS[high.unit or ""])
    except (OverflowError, ValueError):
        return False
    return old_enough and young_enough


def reference_range(src: Resource, who: Who, on: _dt.date | None) -> tuple[Quantity | None, Quantity | None]:
    """The normal range for this patient (clinical.md §0.6: the one matching ``appliesTo`` sex and
    ``age``, before a range for everyone; none that fits: no limit, so a test against it is unknown)."""
    ranges = src.get("referenceRange")
    general = None
    for rr in ranges if isinstance(ranges, list) else []:
        if not isinstance(rr, dict):
            continue
        types = codings(rr.get("type")) if rr.get("type") else frozenset()
        if types and not any(c == "normal" for _s, c in types):
            continue
        if rr.get("appliesTo") is None and rr.get("age") is None:
            general = general or rr
        elif _applies(rr, who, on):
            return quantity(rr.get("low")), quantity(rr.get("high"))
    return (quantity(general.get("low")), quantity(general.get("high"))) if general else (None, None)
