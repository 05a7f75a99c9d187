"""Plausibility of the numbers, dates and shapes that facts are built from (clinical.md §0.16).

Real exports carry NaN, infinities, booleans or strings where a number belongs, negative counts,
sentinel dates (0001-01-01, 9999-12-31) and malformed CodeableConcepts. Such a datum is a data
error: it is reported and treated as absent, so that it can only make a criterion unknown, never
be compared. Every check here returns the problem as text (None = fine) for the warning.
"""

from __future__ import annotations

import datetime as _dt
import math

from fhir_eligibility.codes import Code, codings, norm_code

EARLIEST_YEAR = 1900  # an event or a birth before this is a sentinel or a typo, not a clinical date
OLDEST_AGE = 120  # no patient screened is older: the oldest verified human lived 122 years
LATEST_YEAR = 9998  # 9999 is the "end of time" sentinel
# Units whose values may be negative (temperatures, base excess, z-scores...); everything else is a
# count, concentration, mass, volume, rate or ratio and cannot be below zero.
# No clinical measurement reaches this magnitude in any UCUM unit (the largest routine ones are cell
# counts per litre: red cells about 5 x 10^12/L); beyond it a value is an export artefact (2^64, 1e300).
MAX_MAGNITUDE = 1e15
SIGNED_UNITS = frozenset({"Cel", "[degF]", "mmol/L{BE}", "{SD}", "{z-score}", "{Z-score}", "{score}", "1"})


class Unreadable(Exception):
    """A resource that cannot be reduced to a fact: dropped, with what it was about (type, codes if any)."""

    def __init__(self, reason: str, codes: frozenset[Code] = frozenset()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.codes = codes


def number_problem(value: object) -> str | None:
    """Why ``value`` is not a usable JSON number (booleans and numeric strings are not numbers in FHIR JSON)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"value {value!r} is not a number"
    try:
        if not math.isfinite(float(value)):
            return f"value {value!r} is not a finite number"
    except OverflowError:  # an integer too large for a float
        return "value is too large to be a measurement"
    if abs(float(value)) >= MAX_MAGNITUDE:
        return f"value {float(value):g} is too large to be a measurement"
    return None


def negative_problem(value: float, ucum: str | None) -> str | None:
    """A negative value in a unit that cannot hold one; pure annotations ({T-score}, {index}) are scores."""
    annotation = ucum is not None and ucum.startswith("{") and ucum.endswith("}") and ucum.count("{") == 1
    if value < 0 and ucum not in SIGNED_UNITS and not annotation:
        return f"negative value {value:g}{' ' + ucum if ucum else ''} is impossible"
    return None


def date_problem(d: _dt.date | None) -> str | None:
    """A parsed date outside the plausible range: year 0001, 9999 and the like are sentinels."""
    if d is not None and not EARLIEST_YEAR <= d.year <= LATEST_YEAR:
        return f"date {d.isoformat()} is a sentinel or implausible"
    return None


def concept_problem(concept: object) -> str | None:
    """A CodeableConcept (or R5 CodeableReference) whose shape hides its codes."""
    if concept is None:
        return None
    if not isinstance(concept, dict):
        return f"a CodeableConcept is expected, found {type(concept).__name__}"
    inner = concept.get("concept", concept) if "concept" in concept else concept
    if not isinstance(inner, dict):
        return f"a CodeableConcept is expected, found {type(inner).__name__}"
    coding = inner.get("coding")
    if coding is not None and not isinstance(coding, list):
        return f"coding is a {type(coding).__name__}, not a list"
    if isinstance(coding, list) and any(not isinstance(c, dict) for c in coding):
        return "coding holds a non-object"
    for c in coding if isinstance(coding, list) else ():
        code = c.get("code")  # a number is read as its digits (exports that write SNOMED CT codes unquoted)
        if not isinstance(c.get("system"), (str, type(None))) or isinstance(code, (bool, float, list, dict)):
            return "a coding's system or code is not text"
    return None


def readable_codes(concept: object) -> frozenset[Code]:
    """What codes a malformed concept still shows (a lone coding object), to narrow what it makes unknown."""
    codes = set(codings(concept))
    inner = concept.get("concept", concept) if isinstance(concept, dict) else None
    coding = inner.get("coding") if isinstance(inner, dict) else None
    for c in [coding] if isinstance(coding, dict) else coding if isinstance(coding, list) else []:
        if isinstance(c, dict) and isinstance(c.get("code"), str) and isinstance(c.get("system"), (str, type(None))):
            n = norm_code(c.get("system"), c["code"])
            if n:
                codes.add(n)
    return frozenset(codes)


def _first_day(text: str) -> _dt.date | None:
    """The first day a (partial) birthDate may mean; None when unreadable."""
    try:
        month, day = int(text[5:7]) if len(text) >= 7 else 1, int(text[8:10]) if len(text) >= 10 else 1
        return _dt.date(int(text[:4]), month, day)
    except ValueError:
        return None


def born_after(birth: str, as_of: _dt.date) -> bool:
    """Whether a birthDate (even a partial one) begins after ``as_of``: no age on that date."""
    first = _first_day(birth.strip())
    return first is not None and first > as_of


def birth_problem(birth: str, as_of: _dt.date) -> str | None:
    """A birthDate that cannot give an age on ``as_of``: unreadable, before 1900, or after the date."""
    text = birth.strip()
    first = _first_day(text)
    if first is None:
        return None  # unreadable: the age computation says so
    if first.year < EARLIEST_YEAR:
        return f"birth date {text} is before {EARLIEST_YEAR} (implausible, a data error)"
    if born_after(text, as_of):
        return f"birth date {text} is after {as_of.isoformat()} (a data error)"
    # the youngest the record may mean (a partial date's last month and day): its age, not the oldest
    last = (12, 31) if len(text) == 4 else (first.month, 31) if len(text) == 7 else (first.month, first.day)
    if as_of.year - first.year - ((as_of.month, as_of.day) < last) > OLDEST_AGE:
        # 1900-01-01, the placeholder of many record systems, would be a patient of 126
        return f"birth date {text} gives an age over {OLDEST_AGE} on {as_of.isoformat()} (a placeholder, a data error)"
    return None
