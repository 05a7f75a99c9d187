"""What is measured, where molar conversion needs it: analyte names, their molar masses, LOINC codes.

Why apart from the UCUM engine (:mod:`~fhir_eligibility.measures.ucum`): these are clinical facts (a
molar mass per analyte, which LOINC codes measure which analyte), reviewed against clinical.md, not
unit grammar; the engine reads them only to bridge mass and amount of substance.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["ENZYME_ACTIVITY", "LOINC_SYSTEM", "MOLAR_MASS_G_PER_MOL", "analyte_for_code", "normalise_analyte"]

LOINC_SYSTEM = "http://loinc.org"

#: Molar masses (g/mol) used only when two units differ by mass vs amount of substance.
#: Haemoglobin is per haem monomer (tetramer 64 458 g/mol / 4), the convention of Hb reported in mmol/L,
#: giving 1 g/dL = 0.6206 mmol/L (clinical.md §3). Creatinine is the clinical factor itself, mg/dL =
#: umol/L / 88.4 (clinical.md §3 and its Cockcroft-Gault row; MW 113.12 would give 88.40): 221 umol/L is
#: 2.5 mg/dL, which a boundary such as Cockcroft-Gault > 50 mL/min must see exactly.
MOLAR_MASS_G_PER_MOL: Mapping[str, float] = MappingProxyType(
    {
        "hemoglobin": 16114.5,
        "creatinine": 10_000 / 88.4,
        "bilirubin": 584.66,
        "glucose": 180.16,
        "5-hiaa": 191.18,
    }
)

#: Analytes measured as enzyme activity: laboratories write IU/L and U/L for the same unit (the
#: international unit of enzyme activity, 1 umol/min, is UCUM's U), which UCUM's arbitrary [IU] is not.
ENZYME_ACTIVITY = frozenset({"alanine aminotransferase", "aspartate aminotransferase"})

_ANALYTE_SYNONYMS: Mapping[str, str] = MappingProxyType(
    {
        "haemoglobin": "hemoglobin",
        "hb": "hemoglobin",
        "hgb": "hemoglobin",
        "5hiaa": "5-hiaa",
        "5-hydroxyindoleacetate": "5-hiaa",
    }
)

_LOINC_ANALYTES: Mapping[str, str] = MappingProxyType(
    {
        "718-7": "hemoglobin",
        "59260-0": "hemoglobin",
        "2160-0": "creatinine",
        "14682-9": "creatinine",
        "38483-4": "creatinine",
        "59826-8": "creatinine",
        "1975-2": "bilirubin",
        "14631-6": "bilirubin",
        "1558-6": "glucose",
        "14771-0": "glucose",
        "2345-7": "glucose",
        "14749-6": "glucose",
        "1695-6": "5-hiaa",
        "14573-0": "5-hiaa",
        "1742-6": "alanine aminotransferase",  # ALT, serum or plasma (clinical.md §2)
        "1920-8": "aspartate aminotransferase",  # AST, serum or plasma
    }
)


def normalise_analyte(analyte: str | None) -> str | None:
    if analyte is None:
        return None
    key = analyte.strip().lower()
    return _ANALYTE_SYNONYMS.get(key, key)


def analyte_for_code(system: str | None, code: str | None) -> str | None:
    """The analyte whose molar mass applies to a LOINC observation code, else None.

    A bare code (no system) is read as LOINC; any other system gives None.
    """
    if code is None or (system is not None and system.rstrip("/") != LOINC_SYSTEM):
        return None
    return _LOINC_ANALYTES.get(code.strip())
