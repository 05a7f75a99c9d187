"""The derived-value registry: one declaration per derived concept (name, unit, inputs, look-back,
what it reads, and the wording of the project CodeSystem).

Why one declaration: adding a derived value used to mean editing six places (parser, planner,
engine, units, CodeSystem, attestation list). Now the parser accepts a concept because it is in
:data:`DERIVED`, the planner fetches its ``inputs`` with its look-back, the CodeSystem lists its
``display`` and ``definition`` (tools/definitions/codesystem.py), and the attestation checklist
asks a clinician for a ``judged`` one. The formula is the one thing written elsewhere, in the
evaluation core (:data:`fhir_eligibility.evaluation.forms.derived.FORMULAS` binds each declaration
here to its function, which this room cannot import); a concept declared without one evaluates as
unknown ("not implemented"), never as a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fhir_eligibility.codes import LOINC, Code

SCR = frozenset({(LOINC, "2160-0"), (LOINC, "14682-9"), (LOINC, "38483-4"), (LOINC, "59826-8")})
WEIGHT = frozenset({(LOINC, "29463-7")})
CRCL_MEASURED = frozenset({(LOINC, "2164-2")})
CRCL_CG_REPORTED = frozenset({(LOINC, "35591-7")})
EGFR_MDRD = frozenset({(LOINC, "33914-3"), (LOINC, "77147-7"), (LOINC, "48642-3"), (LOINC, "48643-1")})
EGFR_CKDEPI_2021 = frozenset({(LOINC, "98979-8")})
BILIRUBIN = frozenset({(LOINC, "1975-2"), (LOINC, "14631-6")})
ALBUMIN = frozenset({(LOINC, "1751-7")})
INR = frozenset({(LOINC, "6301-6"), (LOINC, "34714-6")})
# the absolute count (clinical.md VS-ANC; 753-4 is UNVERIFIED there), the neutrophil share of the
# leukocytes (770-8 automated, 23761-0 manual, 26511-6 method not given: public LOINC tables and lab
# mappings; bands or segmented neutrophils alone are not all neutrophils) and the WBC (VS-WBC)
NEUTROPHILS = frozenset({(LOINC, "751-8"), (LOINC, "26499-4"), (LOINC, "753-4")})  # 753-4: manual count
NEUTROPHIL_PERCENT = frozenset({(LOINC, "770-8"), (LOINC, "23761-0"), (LOINC, "26511-6")})
LEUKOCYTES = frozenset({(LOINC, "6690-2"), (LOINC, "26464-8")})


@dataclass(frozen=True)
class DerivedConcept:
    """One derived value. ``inputs`` are the codes it always reads; the criterion may add more
    (an input value set: the drugs whose doses are summed)."""

    name: str
    display: str
    definition: str  # the CodeSystem's definition: where the value comes from, in a clinician's words
    unit: str | None  # the unit the value is computed in (None: a score)
    inputs: frozenset[Code] = frozenset()
    reads: Literal["Observation", "MedicationAdministration"] = "Observation"
    # "window": inputs inside the criterion's window (the default look-back when it has none);
    # "any date": every record up to the as-of date (administered doses add up over years)
    lookback: Literal["window", "any date"] = "window"
    older_input_days: int | None = None  # an input that may be this old even when the window is shorter
    judged: bool = False  # part of it needs a clinician (attestation checklist; REVIEW when undecided)


CREATININE_CLEARANCE = DerivedConcept(
    "creatinine-clearance",
    "Creatinine clearance (mL/min)",
    "Measured 24-h clearance (LOINC 2164-2) if present in the window, else a lab-reported Cockcroft-Gault "
    "(35591-7), else Cockcroft-Gault computed from serum creatinine, body weight (29463-7), age and sex.",
    "mL/min",
    CRCL_MEASURED | CRCL_CG_REPORTED | SCR | WEIGHT,
    older_input_days=90,  # Cockcroft-Gault may fall back to a weight up to 90 days old
)
MDRD = DerivedConcept(
    "egfr-mdrd",
    "eGFR, MDRD (mL/min/1.73 m2)",
    "Reported MDRD eGFR (33914-3, 77147-7, 48642-3, 48643-1) if present, else the IDMS-traceable MDRD-4 "
    "equation (constant 175) from serum creatinine, age and sex.",
    "mL/min/{1.73_m2}",
    EGFR_MDRD | SCR,
)
CKD_EPI_2021 = DerivedConcept(
    "egfr-ckd-epi-2021",
    "eGFR, CKD-EPI 2021 (mL/min/1.73 m2)",
    "Reported 98979-8, else computed.",
    "mL/min/{1.73_m2}",
    EGFR_CKDEPI_2021 | SCR,
)
CUMULATIVE_ACTIVITY = DerivedConcept(
    "cumulative-activity",
    "Cumulative administered activity",
    "Sum of the administered activity of the drugs in the input value set (MBq, GBq or mCi).",
    "MBq",
    reads="MedicationAdministration",
    lookback="any date",
)
MINIMUM_ACTIVITY = DerivedConcept(
    "minimum-activity",
    "Smallest administered activity",
    "The smallest single administered activity (one dose per day) of the drugs in the input value set "
    "(MBq, GBq or mCi): detects a reduced dose.",
    "MBq",
    reads="MedicationAdministration",
    lookback="any date",
)
CHILD_PUGH = DerivedConcept(
    "child-pugh",
    "Child-Pugh score",
    "Score 5-15 from bilirubin, albumin and INR; ascites and encephalopathy need a person (REVIEW when the "
    "computable part cannot decide).",
    None,
    BILIRUBIN | ALBUMIN | INR,
    judged=True,
)

ABSOLUTE_NEUTROPHIL_COUNT = DerivedConcept(
    "absolute-neutrophil-count",
    "Absolute neutrophil count (10*9/L)",
    "The laboratory's absolute neutrophil count (751-8, 26499-4, manual 753-4) unless a differential is more "
    "recent, else WBC (6690-2, 26464-8) x neutrophils % (770-8, 23761-0, 26511-6) / 100, both from one draw: the same "
    "effective date and time (time zone applied).",
    "10*9/L",
    NEUTROPHILS | NEUTROPHIL_PERCENT | LEUKOCYTES,
)

# Every declared concept, in CodeSystem order.
REGISTRY: tuple[DerivedConcept, ...] = (
    CREATININE_CLEARANCE,
    MDRD,
    CKD_EPI_2021,
    CUMULATIVE_ACTIVITY,
    MINIMUM_ACTIVITY,
    CHILD_PUGH,
    ABSOLUTE_NEUTROPHIL_COUNT,
)
DERIVED: dict[str, DerivedConcept] = {c.name: c for c in REGISTRY}

# The fixed inputs by concept, for the terminology tools (read from the registry, never declared again).
INPUTS: dict[str, frozenset[Code]] = {c.name: c.inputs for c in REGISTRY}
