"""Whether a patient's recorded race is Black, for the one formula that asks (MDRD's 1.212 factor).

Why a module: clinical.md §1.6 computes MDRD with and without the factor only when race is unknown;
a recorded race decides it. Race is read from the US Core race extension's OMB categories (CDC Race &
Ethnicity code system), the only coded form a record carries: "Black or African American" (2054-5)
alone is Black, other categories without it are not, and anything else (several categories including
2054-5, only detailed codes or text, asked but unknown, no extension) is unknown: both factors.
"""

from __future__ import annotations

from typing import Any

US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
CDC_RACE = "urn:oid:2.16.840.1.113883.6.238"
BLACK = "2054-5"
# the five OMB race categories; "Other Race" (2131-1) is none of them and so says nothing
OMB = frozenset({"1002-5", "2028-9", "2054-5", "2076-8", "2106-3"})


def recorded_black(patient: dict[str, Any] | None) -> bool | None:
    """True/False when the record's OMB race categories decide it, else None (see the module doc)."""
    codes: set[str] = set()
    exts = patient.get("extension") if isinstance(patient, dict) else None
    for ext in exts if isinstance(exts, list) else []:
        if not isinstance(ext, dict) or ext.get("url") != US_CORE_RACE:
            continue
        parts = ext.get("extension")
        for part in parts if isinstance(parts, list) else []:
            coding = part.get("valueCoding") if isinstance(part, dict) and part.get("url") == "ombCategory" else None
            if not isinstance(coding, dict):
                continue
            if coding.get("system") != CDC_RACE or coding.get("code") not in OMB:
                return None  # asked but unknown (a null flavour), or a code read by no one here
            codes.add(str(coding["code"]))
    if not codes:
        return None
    if BLACK in codes:
        return True if codes == {BLACK} else None
    return False


__all__ = ["recorded_black"]
