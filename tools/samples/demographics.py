"""Variations on childbearing potential and age, the bounds several trials share."""

from __future__ import annotations

from .base import prrt_patient
from .codes import HYSTERECTOMY, ICD10CM
from .sample import Sample


def wocbp_variations() -> list[Sample]:
    """Women of childbearing potential: pregnancy tests and their windows."""
    out: list[Sample] = []
    add = out.append
    F = "female"
    add(
        prrt_patient(
            36,
            "wocbp-negative-serum-hcg-2-days",
            "Woman, 45 (childbearing potential by the < 55 heuristic), negative serum hCG 2 days before "
            "screening: satisfies A (<= 4 days), B and E (serum, <= 4 weeks). Eligible A, B, C, E.",
            gender=F,
            birth="1980-11-05",
            name=("Sophie", "Girard"),
            extra=lambda s: s.pregnancy_test(False, date="2026-05-30"),
        )
    )
    add(
        prrt_patient(
            37,
            "wocbp-no-pregnancy-test",
            "Woman, 54, no pregnancy test: A, B and E undetermined (test required for WOCBP); C has no test "
            "requirement.",
            gender=F,
            birth="1971-10-12",
            name=("Nathalie", "Fournier"),
        )
    )
    add(
        prrt_patient(
            38,
            "wocbp-serum-hcg-12-days",
            "Woman, 45, negative serum hCG 12 days before screening: too old for A (<= 4 days), fine for B "
            "and E (4 weeks).",
            gender=F,
            birth="1980-11-05",
            name=("Claire", "Bonnet"),
            extra=lambda s: s.pregnancy_test(False, date="2026-05-20"),
        )
    )
    add(
        prrt_patient(
            39,
            "wocbp-urine-hcg-only",
            "Woman, 30, negative urine hCG the day before screening: fine for A and B, but E requires a serum "
            "test (undetermined).",
            gender=F,
            birth="1995-07-22",
            name=("Julie", "Mercier"),
            extra=lambda s: s.pregnancy_test(False, date="2026-05-31", serum=False),
        )
    )
    add(
        prrt_patient(
            40,
            "pregnant",
            "Woman, 33, pregnant (Z33.1) with a positive serum hCG: ineligible for every trial.",
            gender=F,
            birth="1993-04-18",
            name=("Emma", "Lefevre"),
            extra=lambda s: (
                s.condition([(ICD10CM, "Z33.1", "Pregnant state, incidental")], "Pregnant state", "2026-04-20"),
                s.pregnancy_test(True, date="2026-05-29"),
            ),
        )
    )
    add(
        prrt_patient(
            41,
            "hysterectomy-no-pregnancy-test",
            "Woman, 48, hysterectomy in 2016 (Procedure 236886002), no pregnancy test: not of childbearing "
            "potential, eligible A, B, C, E.",
            gender=F,
            birth="1978-01-30",
            name=("Isabelle", "Morel"),
            extra=lambda s: s.procedure(HYSTERECTOMY, "Total abdominal hysterectomy", "2016-09-12"),
        )
    )
    add(
        prrt_patient(
            42,
            "hcg-positive-entered-in-error",
            "Woman, 41: a positive serum hCG on 2026-05-30 marked entered-in-error and a negative serum hCG "
            "on 2026-05-29: the error is ignored, eligible A, B, C, E.",
            gender=F,
            birth="1985-03-09",
            name=("Camille", "Laurent"),
            extra=lambda s: (
                s.pregnancy_test(True, date="2026-05-30", status="entered-in-error"),
                s.pregnancy_test(False, date="2026-05-29"),
            ),
        )
    )
    return out


def age_variations() -> list[Sample]:
    """Patients at the age bounds."""
    out: list[Sample] = []
    add = out.append
    add(
        prrt_patient(
            43,
            "child-age-12",
            "Boy, 12 (born 2014-02-10), otherwise like the base patient: fails every age criterion.",
            birth="2014-02-10",
            name=("Lucas", "Garnier"),
            labs={
                "scr": {"value": 0.5, "low": 0.3, "high": 0.7},
                "weight": {"value": 40},
                "hb": {"value": 13.0, "low": 11.5, "high": 15.5},
            },
        )
    )
    add(
        prrt_patient(
            44,
            "age-18-today",
            "Man born 2008-06-01: 18 exactly on the screening date - passes every age criterion.",
            birth="2008-06-01",
            name=("Hugo", "Faure"),
            labs={"scr": {"value": 0.8}, "weight": {"value": 70}},
        )
    )
    add(
        prrt_patient(
            45,
            "age-17-one-day-short",
            "Man born 2008-06-02: 17 on the screening date (18 the next day) - fails every age criterion.",
            birth="2008-06-02",
            name=("Louis", "Chevalier"),
            labs={"scr": {"value": 0.8}, "weight": {"value": 70}},
        )
    )
    add(
        prrt_patient(
            46,
            "birthdate-year-only-2008",
            "Man with birthDate '2008' only: 17 or 18 on 2026-06-01, so age is undetermined for A, B, C, E.",
            birth="2008",
            name=("Theo", "Robin"),
            labs={"scr": {"value": 0.8}, "weight": {"value": 70}},
        )
    )
    add(
        prrt_patient(
            47,
            "birthdate-year-month-2008-05",
            "Man with birthDate '2008-05': at least 18 years and 0 days on 2026-06-01 whatever the day - age "
            "passes; eligible A, B, C, E.",
            birth="2008-05",
            name=("Nathan", "Clement"),
            labs={"scr": {"value": 0.8}, "weight": {"value": 70}},
        )
    )
    return out
