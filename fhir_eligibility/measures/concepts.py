"""The derived-value registry: each derived concept's input codes, result unit, and whether it is
computed from administered doses (any date) rather than from labs in a window.

Read by the parser's callers, the planner (what to fetch), the evaluator (what to compute) and the
terminology tools; the formulas themselves are in :mod:`fhir_eligibility.evaluation.derived`.
"""

from __future__ import annotations

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
INPUTS: dict[str, frozenset[Code]] = {
    "creatinine-clearance": CRCL_MEASURED | CRCL_CG_REPORTED | SCR | WEIGHT,
    "egfr-mdrd": EGFR_MDRD | SCR,
    "egfr-ckd-epi-2021": EGFR_CKDEPI_2021 | SCR,
    "child-pugh": BILIRUBIN | ALBUMIN | INR,
    "cumulative-activity": frozenset(),
    "minimum-activity": frozenset(),
}
# Derived from administered doses (any date, not a lab window): the total, or the smallest single dose.
ACTIVITY = ("cumulative-activity", "minimum-activity")

UNITS = {
    "creatinine-clearance": "mL/min",
    "egfr-mdrd": "mL/min/{1.73_m2}",
    "egfr-ckd-epi-2021": "mL/min/{1.73_m2}",
    "cumulative-activity": "MBq",
    "minimum-activity": "MBq",
    "child-pugh": None,
}
