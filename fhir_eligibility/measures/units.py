"""Lab unit spellings -> UCUM codes, and the one import for unit handling (conversion lives in
:mod:`~fhir_eligibility.measures.ucum`, analytes and molar masses in :mod:`~fhir_eligibility.measures.analytes`).

Why a spelling layer: labs write "K/uL", "10^9/L", "mmHg", "IU/L", "g%"; several are valid UCUM with
an absurd meaning ("K/uL" is kelvin per microlitre), so known spellings are mapped before any UCUM
parse (:func:`ucum_code`). Everything else must parse as UCUM, or it is None (unknown, never fail).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from fhir_eligibility.measures.analytes import LOINC_SYSTEM, MOLAR_MASS_G_PER_MOL, analyte_for_code
from fhir_eligibility.measures.ucum import commensurable, conversion, convert, is_ucum, warm_up

__all__ = [
    "LOINC_SYSTEM",
    "MOLAR_MASS_G_PER_MOL",
    "RATIO_RESULTS",
    "analyte_for_code",
    "commensurable",
    "conversion",
    "convert",
    "is_ucum",
    "ratio_as_percent",
    "ucum_code",
    "warm_up",
]

# LOINC results whose bare number (UCUM "1") is a ratio to normal, never a fraction of 100 %: a prothrombin
# time actual/normal of 1.5 is a prolonged clotting time, not a Quick activity of 150 % (E-I8 "PT > 70 %"
# passed on it); the INR likewise. UCUM converts 1 to 100 %, which is right for a fraction (Ki-67 0.2)
RATIO_RESULTS = frozenset({"5894-1", "6301-6", "34714-6", "46418-0"})


def ratio_as_percent(codes: frozenset[tuple[str, str]], unit: str | None, target: str | None) -> bool:
    """Whether converting this result to ``target`` would read a ratio to normal as a percentage."""
    return (
        unit == "1"
        and target is not None
        and target.startswith("%")
        and any(s.rstrip("/") == LOINC_SYSTEM and c in RATIO_RESULTS for s, c in codes)
    )


# Free-text spellings seen in lab data, keyed after _clean() and lower-casing.  Checked *before* UCUM
# parsing because several are valid UCUM with an absurd meaning: "K/uL" is kelvin per microlitre, "G/L"
# gauss per litre (French labs write G/L for 10^9/L), "PG/ML" petagauss per megalitre.
_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        # mass concentration ("gm": the gram in US lab systems)
        "g/dl": "g/dL",
        "g/l": "g/L",
        "gm/dl": "g/dL",
        "gm/l": "g/L",
        "mg/dl": "mg/dL",
        "mg/l": "mg/L",
        "mg/ml": "mg/mL",
        "ug/dl": "ug/dL",
        "ug/l": "ug/L",
        "ug/ml": "ug/mL",
        "mcg/dl": "ug/dL",
        "mcg/l": "ug/L",
        "mcg/ml": "ug/mL",
        "ng/dl": "ng/dL",
        "ng/l": "ng/L",
        "ng/ml": "ng/mL",
        "pg/ml": "pg/mL",
        # substance concentration
        "mol/l": "mol/L",
        "mmol/l": "mmol/L",
        "umol/l": "umol/L",
        "mcmol/l": "umol/L",
        "nmol/l": "nmol/L",
        "pmol/l": "pmol/L",
        "meq/l": "meq/L",
        # excretion per 24 h
        "mg/24h": "mg/(24.h)",
        "mg/24hr": "mg/(24.h)",
        "mg/d": "mg/d",
        "umol/24h": "umol/(24.h)",
        "umol/24hr": "umol/(24.h)",
        # cell counts
        "k/ul": "10*3/uL",
        "k/mcl": "10*3/uL",
        "thou/mcl": "10*3/uL",
        "k/mm3": "10*3/mm3",
        "k/cumm": "10*3/mm3",
        "thou/ul": "10*3/uL",
        "thou/mm3": "10*3/mm3",
        "m/ul": "10*6/uL",
        "m/mm3": "10*6/mm3",
        "mill/ul": "10*6/uL",
        "giga/l": "10*9/L",
        "gpt/l": "10*9/L",  # Gigapartikel (German labs)
        "tera/l": "10*12/L",
        "tpt/l": "10*12/L",
        "/cumm": "/mm3",
        "/ul": "/uL",
        "/mm3": "/mm3",
        "cells/ul": "{cells}/uL",
        "cells/mm3": "{cells}/mm3",
        "cells/l": "{cells}/L",
        "{cells}/ul": "{cells}/uL",
        "{cells}/mm3": "{cells}/mm3",
        "copies/ml": "{copies}/mL",
        "{copies}/ml": "{copies}/mL",
        # clearance / filtration
        "ml/min": "mL/min",
        "ml/s": "mL/s",
        "ml/min/{1.73_m2}": "mL/min/{1.73_m2}",
        # enzyme activity and arbitrary units
        "u/l": "U/L",
        "iu/l": "[IU]/L",
        "iu/ml": "[IU]/mL",
        "miu/ml": "m[IU]/mL",
        "miu/l": "m[IU]/L",
        "uiu/ml": "u[IU]/mL",
        # radioactivity
        "bq": "Bq",
        "kbq": "kBq",
        "mbq": "MBq",
        "gbq": "GBq",
        "ci": "Ci",
        "mci": "mCi",
        # dimensionless
        "%": "%",
        "percent": "%",
        "inr": "{INR}",
        "score": "{score}",
        # body measurements and vital signs
        "kg": "kg",
        "kgs": "kg",
        "lb": "[lb_av]",
        "lbs": "[lb_av]",
        "pound": "[lb_av]",
        "pounds": "[lb_av]",
        "cm": "cm",
        "in": "[in_i]",
        "inch": "[in_i]",
        "inches": "[in_i]",
        "ft": "[ft_i]",
        "m2": "m2",
        "kg/m2": "kg/m2",
        "mmhg": "mm[Hg]",
        # time (seconds for prothrombin time)
        "s": "s",
        "sec": "s",
        "secs": "s",
        "second": "s",
        "seconds": "s",
        "min": "min",
    }
)

# Exact (case-sensitive) aliases that win over everything, for spellings whose case carries the meaning.
_EXACT_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "G/L": "10*9/L",
        "T/L": "10*12/L",
        "K/uL": "10*3/uL",
        "K/mm3": "10*3/mm3",
        "M/uL": "10*6/uL",
        "M/mm3": "10*6/mm3",
        "g%": "g/dL",
        "mg%": "mg/dL",
        "/100{cells}": "%",  # per 100 cells counted (a Ki-67 index): valid UCUM that converts to nothing
    }
)

# x10E9/L, 10^9/l, 10**3/µL, ×10³/mm³ ... (matched after _clean() and lower-casing).
_POWER_OF_TEN = re.compile(r"^(?:x|\*)?10(?:\^|\*\*|\*|e)\+?(\d{1,2})/(l|ml|ul|nl|mm3)$")
_POWER_VOLUME = {"l": "L", "ml": "mL", "ul": "uL", "nl": "nL", "mm3": "mm3"}
# mL/min/1.73m2, ml/min/1,73 m², mL/min per 1.73m^2 ...
_GFR_INDEXED = re.compile(r"^ml/min(?:/|per)1[.,]73(?:_?m(?:2|\^2))?$")
_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPERSCRIPTS = str.maketrans(
    {**{c: str(i) for i, c in enumerate(_SUPERSCRIPT_DIGITS)}, "µ": "u", "μ": "u", "×": "x", "⁻": "-"}
)
_TEN_TO_SUPERSCRIPT = re.compile(f"10([{_SUPERSCRIPT_DIGITS}]+)")  # 10³ is 10^3, not 103
_WHITESPACE = re.compile(r"\s+")


# --------------------------------------------------------------------------------------------------------
# Spelling normalisation


def _clean(text: str) -> str:
    """Fold typography labs use (µ, superscripts, spaces) into ASCII UCUM-like text."""
    return _WHITESPACE.sub("", _TEN_TO_SUPERSCRIPT.sub(r"10^\1", text).translate(_SUPERSCRIPTS))


def _normalise(text: str) -> str | None:
    """One spelling -> a candidate UCUM code, or None.  Order matters: aliases beat accidental UCUM."""
    raw = text.strip()
    if not raw:
        return None
    if raw in _EXACT_ALIASES:
        return _EXACT_ALIASES[raw]
    cleaned = _clean(raw)
    if cleaned in _EXACT_ALIASES:
        return _EXACT_ALIASES[cleaned]
    lowered = cleaned.lower()
    canonical = _ALIASES.get(lowered)
    if canonical is None:
        match = _POWER_OF_TEN.match(lowered)
        if match:
            canonical = f"10*{int(match.group(1))}/{_POWER_VOLUME[match.group(2)]}"
        elif _GFR_INDEXED.match(lowered):
            canonical = "mL/min/{1.73_m2}"
    # All-capitals text (HL7 v2 habit: "MG/DL", "PG/ML") may parse as nonsense UCUM; aliases go first.
    if canonical is not None and any(c.isalpha() for c in cleaned) and cleaned.upper() == cleaned:
        return canonical
    if is_ucum(cleaned):
        # Valid UCUM already; prefer the canonical spelling only when it means exactly the same
        # ("g/dl" -> "g/dL", "10^9/L" -> "10*9/L", but "mBq" stays millibecquerel).
        if canonical not in (None, cleaned) and conversion(cleaned, str(canonical)) == (1.0, 0.0):
            return canonical
        return cleaned
    return canonical


@lru_cache(maxsize=4096)
def ucum_code(code: str | None, unit: str | None) -> str | None:
    """The UCUM code for a FHIR Quantity's ``code``/``unit``; None when nothing sensible.

    ``code`` is preferred (the caller passes it when ``system`` is UCUM), then the display ``unit``.  Known
    lab spellings are mapped first ("K/uL", "10^9/L", "mmHg", "lbs", "IU/L" -> "[IU]/L" ...); otherwise the
    text must parse as UCUM.  The result always parses.
    """
    for text in (code, unit):
        if text is None:
            continue
        candidate = _normalise(text)
        if candidate is not None and is_ucum(candidate):
            return candidate
    return None
