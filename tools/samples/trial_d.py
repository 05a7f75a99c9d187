"""Variations of the resected base patient for trial D (adjuvant after liver resection)."""

from __future__ import annotations

from .base import resected_patient
from .codes import EBRT, EVEROLIMUS, ICD10CM, LANREOTIDE, LOINC, OCTREOTIDE, SNOMED
from .sample import Sample


def trial_d_variations() -> list[Sample]:
    """D base and its variations."""
    out: list[Sample] = []
    add = out.append
    add(
        resected_patient(
            75,
            "d-pancreatic-resected-eligible",
            "D base: man, 57, pancreatic G1 NET (Ki-67 5 %), liver metastases resected R0 on 2026-03-16 "
            "with the primary (metastases now resolved), PET 34 days and MRI 24 days before surgery, no "
            "systemic therapy, ECOG 0. Eligible for D only.",
        )
    )
    add(
        resected_patient(
            76,
            "d-ileal-resected-thresholds",
            "Woman, 63, ileal G1 NET resected 2026-05-04 (exactly 4 weeks) after pre-operative "
            "lanreotide; every D lab on its threshold: Hb 8.0 g/dL, WBC 2.0, platelets 75, bilirubin "
            "3.0 x ULN, albumin 3.0 g/dL, creatinine 1.70 mg/dL (150.3 umol/L), fasting glucose 2.0 x ULN. "
            "Eligible for D; fails A, B, C, E on several counts.",
            gender="female",
            birth="1962-10-25",
            name=("Annick", "Peeters"),
            primary="ileum",
            ki67=4,
            surgery="2026-05-04",
            mri="2026-04-06",
            pet="2026-03-02",
            ecog=(1, True),
            labs={
                "hb": {"value": 8.0},
                "wbc": {"value": 2.0},
                "anc": {"value": 1.2},
                "plt": {"value": 75},
                "bili": {"value": 3.0, "high": 1.0},
                "alb": {"value": 3.0},
                "scr": {"value": 1.70},
                "fbg": {"value": 198},
                "mgfr": {"value": 35},
                "weight": {"value": 65},
            },
            extra=lambda s: (
                s.med_statement(
                    LANREOTIDE,
                    "Lanreotide 120 mg (Somatuline Autogel)",
                    "2025-11-01",
                    "2026-03-01",
                    dosage="120 mg deep subcutaneous injection every 28 days",
                ),
                s.condition(
                    [(ICD10CM, "E11.9", "Type 2 diabetes mellitus without complications")],
                    "Type 2 diabetes mellitus",
                    "2016-01-20",
                ),
            ),
        )
    )
    add(
        resected_patient(
            77,
            "d-resection-27-days",
            "D base but resected 2026-05-05 (27 days before screening): D fails (< 4 weeks post-surgery).",
            surgery="2026-05-05",
            mri="2026-04-06",
            pet="2026-03-02",
        )
    )
    add(
        resected_patient(
            78,
            "d-ki67-20-percent",
            "D base with Ki-67 exactly 20 %: D requires < 20 % - fails D-I4 (not high grade either).",
            ki67=20,
        )
    )
    add(
        resected_patient(
            79, "d-wbc-missing", "D base without a white-cell count: D undetermined (D-E9).", labs={"wbc": None}
        )
    )
    add(
        resected_patient(
            80,
            "d-prior-ebrt",
            "D base + pelvic external beam radiotherapy in 2014: D needs review (> 25 % of marrow?).",
            extra=lambda s: s.procedure(EBRT, "Pelvic radiotherapy", "2014-06-10", body_site="Pelvis"),
        )
    )
    add(
        resected_patient(
            81,
            "d-heart-failure-nyha-2",
            "D base + heart failure (I50.9, 2020) with NYHA class II and LVEF 45 %: D needs review "
            "('uncontrolled' CHF NYHA II).",
            labs={"lvef": {"value": 45, "date": "2026-04-15"}},
            extra=lambda s: (
                s.condition([(ICD10CM, "I50.9", "Heart failure, unspecified")], "Chronic heart failure", "2020-05-01"),
                s.obs(
                    "",
                    code=(LOINC, "88020-3", "Functional capacity NYHA"),
                    concept=[(SNOMED, "421704003", "New York Heart Association Classification - Class II")],
                    category="exam",
                ),
            ),
        )
    )
    add(
        resected_patient(
            82,
            "d-hb-4-98-mmol",
            "D base + Hb 4.98 mmol/L: below D's 5.0 mmol/L in its native unit (= 8.02 g/dL, which would "
            "pass the g/dL form) - D fails; passes A's > 8 g/dL.",
            labs={"hb": {"replace": True, "key": "hb_molar", "value": 4.98, "low": 8.1, "high": 10.6}},
        )
    )
    add(
        resected_patient(
            83,
            "d-creatinine-151-umol",
            "D base + creatinine 151 umol/L (> 150 umol/L): D fails (D-E16).",
            labs={
                "scr": {"replace": True, "key": "scr_molar", "value": 151, "low": 60, "high": 110},
                "mgfr": {"value": 58},
            },
        )
    )
    add(
        resected_patient(
            84,
            "d-prior-everolimus",
            "D base + everolimus June-September 2025 (prior systemic therapy): D fails (D-E7).",
            extra=lambda s: s.med_statement(
                EVEROLIMUS, "Everolimus 10 mg daily", "2025-06-01", "2025-09-30", dosage="10 mg orally once daily"
            ),
        )
    )
    add(
        resected_patient(
            85,
            "d-pet-13-weeks-before-surgery",
            "D base but the 68Ga-DOTATATE PET was 2025-12-15, 91 days before surgery (> 12 weeks): D fails "
            "(D-I8); also outside A's 4-month window.",
            pet="2025-12-15",
        )
    )
    add(
        resected_patient(
            86,
            "d-wocbp-breastfeeding",
            "Woman, 36, jejunal G1 NET, resected like the D base, breast-feeding (Z39.1), negative serum "
            "hCG 3 days before screening: eligible for D (breast-feeding is not a D exclusion); "
            "breast-feeding excludes her from A, B, C and E.",
            gender="female",
            birth="1989-09-09",
            name=("Lotte", "Maes"),
            primary="jejunum",
            ki67=6,
            extra=lambda s: (
                s.condition(
                    [(ICD10CM, "Z39.1", "Encounter for care and examination of lactating mother")],
                    "Breast-feeding",
                    "2025-12-01",
                ),
                s.pregnancy_test(False, date="2026-05-29"),
            ),
        )
    )
    add(
        resected_patient(
            87,
            "d-somatostatin-analogue-allergy",
            "D base + documented anaphylaxis to octreotide (AllergyIntolerance, ATC H01CB02): D fails "
            "(D-E17); A would fail too (A-E15).",
            extra=lambda s: s.allergy(OCTREOTIDE, "Octreotide", "2026-01-20"),
        )
    )
    add(
        resected_patient(
            88,
            "d-labs-just-past",
            "D base + WBC 1.9, platelets 74 x10^9/L (ANC 1.1) and bilirubin 3.1 x ULN: D fails three "
            "times (D-E9, D-E10, D-E11).",
            labs={
                "wbc": {"value": 1.9},
                "anc": {"value": 1.1},
                "plt": {"value": 74},
                "bili": {"value": 3.1, "high": 1.0},
            },
        )
    )
    return out
