"""Values no human body can have: a result outside them is a data error, never a measurement.

Why: a haemoglobin of 75 entered as g/dL (it was g/L) or 900 g/dL read as real would pass or fail a
criterion on a typing slip; DEVELOPERS.md asks implausible data to be ``unknown``, never decisive.
The bounds are deliberately wide (what is physically possible, not what is normal or survivable for
long; Hb and albumin, see below, are the exceptions), per LOINC code, in one unit each; a result in
another unit is converted first (UCUM, with the analyte's molar mass where needed), and one that
cannot be converted is left to the criteria (which find it unconvertible themselves).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from fhir_eligibility.measures import ucum

LOINC = "http://loinc.org"
SCORE = "{score}"  # the unit a score (valueInteger, or a unitless quantity) is checked in


class Bound(NamedTuple):
    name: str
    unit: str  # UCUM code the bounds are in
    low: float
    high: float
    analyte: str | None = None  # for a mass <-> amount-of-substance conversion
    adult_low: float | None = None  # the least an adult can have (body weight)


# Hb and albumin floors sit above a g/dL value sent as g/L (13.1 "g/L" is 1.31 g/dL; 3.5 "g/L" is
# 0.35 g/dL): the slip would fail "Hb >= 9 g/dL" or "albumin >= 3 g/dL" on a normal value. Lower
# values are case reports of the moribund, never a patient being screened for a trial.
_HB = Bound("haemoglobin", "g/dL", 2.0, 25.0, "hemoglobin")
# Platelet and leukocyte floors sit above a count in thousands sent as "/uL" (a "K/uL" mapped to /uL: 85 "/uL"
# is 0.085 x 10^9/L, 5.8 "/uL" 0.0058), which would fail "platelets >= 100 x 10^9/L" on any count; analysers
# report fewer than 1 x 10^9/L platelets or 0.05 x 10^9/L leukocytes as "<1", "<0.05". A neutrophil count of 0
# is a real report (agranulocytosis), so that floor stays 0.
_PLT = Bound("platelet count", "10*9/L", 1.0, 5000.0)
_ANC = Bound("neutrophil count", "10*9/L", 0.0, 300.0)
_WBC = Bound("leukocyte count", "10*9/L", 0.05, 1500.0)
_SCR = Bound("serum creatinine", "mg/dL", 0.05, 40.0, "creatinine")
_BILI = Bound("total bilirubin", "mg/dL", 0.0, 100.0, "bilirubin")
_ENZYME = Bound("aminotransferase activity", "U/L", 0.0, 100000.0)
_ALB = Bound("serum albumin", "g/dL", 0.6, 8.0)
_WEIGHT = Bound("body weight", "kg", 0.2, 700.0, adult_low=20.0)
_PERCENT = Bound("percentage", "%", 0.0, 100.0)
_LVEF = Bound("ejection fraction", "%", 1.0, 95.0)
_CRCL = Bound("creatinine clearance", "mL/min", 0.0, 400.0)
_EGFR = Bound("glomerular filtration rate", "mL/min/{1.73_m2}", 0.0, 300.0)
# scores on a fixed scale: a value off the scale (ECOG 7, NYHA 5) is a data error, not a grade
_ECOG = Bound("ECOG performance status", SCORE, 0.0, 5.0)
_NYHA = Bound("NYHA functional class", SCORE, 1.0, 4.0)

BOUNDS: Mapping[str, Bound] = MappingProxyType(
    {
        **dict.fromkeys(("718-7", "59260-0", "20509-6", "30313-1", "30350-3"), _HB),
        **dict.fromkeys(("777-3", "26515-7", "778-1", "49497-1"), _PLT),
        **dict.fromkeys(("751-8", "26499-4", "753-4"), _ANC),
        **dict.fromkeys(("6690-2", "26464-8"), _WBC),
        **dict.fromkeys(("2160-0", "14682-9", "38483-4", "59826-8"), _SCR),
        **dict.fromkeys(("1975-2", "14631-6"), _BILI),
        **dict.fromkeys(("1742-6", "1920-8"), _ENZYME),
        "1751-7": _ALB,
        **dict.fromkeys(("29463-7", "3141-9"), _WEIGHT),
        "29593-1": _PERCENT,
        "10230-1": _LVEF,
        "2164-2": _CRCL,
        **dict.fromkeys(("33914-3", "77147-7", "48642-3", "48643-1", "62238-1", "98979-8"), _EGFR),
        "89247-1": _ECOG,
        "88020-3": _NYHA,
    }
)


def implausible(
    codes: Iterable[tuple[str, str]], value: float, unit: str | None, born: dt.date | None, on: dt.date | None
) -> str | None:
    """Why a LOINC-coded result of ``value unit`` cannot be real (None: it can, or it is not known
    here); ``born`` and ``on`` (the birth date and the result's date) give an adult's least weight."""
    bound = next((BOUNDS[c] for s, c in codes if s == LOINC and c in BOUNDS), None)
    if bound is None or (unit is None and bound.unit != SCORE):
        return None
    scored = bound.unit == SCORE and unit in (None, "1", SCORE)
    x = value if unit == bound.unit or scored else ucum.convert(value, str(unit), bound.unit, bound.analyte)
    if x is None:
        return None
    adult = (
        born is not None
        and on is not None
        and (on.year - born.year - ((on.month, on.day) < (born.month, born.day))) >= 18
    )
    low = bound.adult_low if adult and bound.adult_low is not None else bound.low
    if low <= x <= bound.high:
        return None
    shown = f"{value:g}" + (f" {unit}" if unit else "")
    shown += f" = {x:g} {bound.unit}" if unit != bound.unit and not scored else ""
    whose = "an adult's " if adult and bound.adult_low is not None else "a "
    return f"{shown} is not {whose}possible {bound.name} ({low:g}-{bound.high:g} {bound.unit}): a data error"


def _years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


__all__ = ["BOUNDS", "Bound", "implausible"]
