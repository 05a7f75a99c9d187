"""Variations of the PRRT base patient for trials A, B, C and E."""

from __future__ import annotations

from .base import STANDARD_CYCLES, cond, prrt_patient
from .codes import ICD10CM, SNOMED
from .sample import Sample


def prrt_variations() -> list[Sample]:
    """Samples 1-35: the PRRT base and one change each."""
    out: list[Sample] = []
    add = out.append
    F = "female"
    add(
        prrt_patient(
            1,
            "prrt-ileal-net-baseline",
            "Base patient: 62-year-old man, ileal G2 NET (Ki-67 8 %), liver metastases, 4 x 7400 MBq "
            "Lutathera in 2023 (ATC + RxNorm), lanreotide stopped 2026-04-15, 68Ga-DOTATATE PET 2026-04-10, "
            "complete labs 12 days before screening. Eligible for A, B, C, E; not D (no resection, prior PRRT).",
        )
    )
    add(
        prrt_patient(
            2,
            "second-prrt-course-mci",
            "Base + second PRRT course (2 x 200 mCi, RxNorm-coded, 2025-11 and 2026-01); first course given in "
            "GBq. Exercises course splitting (gap > 182 d), activity in mCi and GBq: A counts 4 first-course "
            "cycles; B fails (intervening therapy after initial PRRT); C fails (6 administrations, not 4).",
            cycles=[(d, 7.4, "GBq") for d in STANDARD_CYCLES],
            extra=lambda s: [s.lutathera(d, 200, "mCi", codes="rxnorm") for d in ("2025-11-10", "2026-01-05")],
        )
    )
    add(
        prrt_patient(
            3,
            "alt-3x-uln-liver-mets",
            "Base + ALT 120 U/L (ULN 40: 3.0 x ULN) with liver metastases: A needs review (2.5-5 x ULN may be "
            "due to the malignancy); C fails (ALT > 2.5 x ULN); E passes (<= 5 x ULN).",
            labs={"alt": {"value": 120}},
        )
    )
    add(
        prrt_patient(
            4,
            "alt-3x-uln-nodal-mets-only",
            "Base with lymph-node (C7B.01) instead of liver metastases and ALT 3.0 x ULN: A fails (no liver "
            "metastases to explain it); C fails (no liver metastases; ALT > 2.5 x ULN); B and E pass.",
            mets="nodes",
            labs={"alt": {"value": 120}},
        )
    )
    add(
        prrt_patient(
            5,
            "ast-5x-uln-snomed-liver-mets",
            "Base with liver metastases coded in SNOMED only (94381002) and AST 200 U/L = exactly 5.0 x ULN: "
            "A needs review (not > 5), E passes on its threshold (<= 5 x ULN), C fails (> 2.5 x ULN).",
            mets="liver-snomed",
            labs={"ast": {"value": 200}},
        )
    )
    add(
        prrt_patient(
            6,
            "alt-over-5x-uln",
            "Base + ALT 210 U/L (5.25 x ULN), just past the 5 x ULN limit: A, C and E fail.",
            labs={"alt": {"value": 210}},
        )
    )
    add(
        prrt_patient(
            7,
            "thresholds-at-window-edge",
            "Every value on its threshold and dated exactly 28 days before screening (2026-05-04): Hb 9.0 g/dL, "
            "ANC 1.5 x10^9/L, platelets 100 x10^3/uL, ALT 2.5 x ULN, fasting glucose 2.0 x ULN (with type 2 "
            "diabetes), measured GFR 50; PET exactly 4 months before (2026-02-01); lanreotide last given "
            "2026-05-04 (exactly 4 weeks). All pass: eligible for A, B, C, E.",
            lab_date="2026-05-04",
            pet=["2026-02-01"],
            ssa=("2021-03-01", "2026-05-04", "completed"),
            labs={
                "hb": {"value": 9.0},
                "anc": {"value": 1.5},
                "plt": {"value": 100, "unit": "10*3/uL"},
                "alt": {"value": 100},
                "fbg": {"value": 198},
                "mgfr": {"value": 50},
                "lvef": {"date": "2025-11-10"},
            },
            extra=cond(
                [(ICD10CM, "E11.9", "Type 2 diabetes mellitus without complications")],
                "Type 2 diabetes mellitus",
                "2018-04-02",
            ),
        )
    )
    add(
        prrt_patient(
            8,
            "hb-outside-28-day-window",
            "Base but the only haemoglobin is dated 2026-05-03 (29 days before screening): Hb is unknown for "
            "A, B, C and E (results outside the window are never carried forward).",
            labs={"hb": {"date": "2026-05-03"}},
        )
    )
    add(
        prrt_patient(
            9,
            "sstr-pet-over-4-months",
            "Base but the last SSTR PET is 2026-01-31, one day outside A's 4-month window (B's 36 months is "
            "fine): A fails A-I9.",
            pet=["2026-01-31"],
        )
    )
    add(
        prrt_patient(
            10,
            "hb-80-g-per-l-albumin-30-g-per-l",
            "Base + Hb 80 g/L (= 8.0 g/dL: fails A's strict > 8, passes B's >= 80 g/L and C's >= 8) and "
            "albumin 30 g/L (not < 3.0 g/dL for A/C, but E needs > 3 g/dL); old stroke 13 months ago "
            "(outside A/C's 12-month window). E fails on Hb < 9 and albumin.",
            labs={
                "hb": {"value": 80, "unit": "g/L", "low": 130, "high": 170},
                "alb": {"value": 30, "unit": "g/L", "low": 35, "high": 50},
            },
            extra=cond(
                [(ICD10CM, "I63.9", "Cerebral infarction, unspecified")],
                "Ischaemic stroke",
                "2025-05-01",
                clinical="resolved",
                abatement="2025-05-20",
            ),
        )
    )
    add(
        prrt_patient(
            11,
            "hb-mmol-platelets-per-mm3-prrt-procedures",
            "Base with Hb 5.6 mmol/L (= 9.02 g/dL), platelets 100000 /mm3 and ANC 1500 /mm3 (all on or just "
            "above C/E thresholds), WBC in /mm3; Lutathera coded by ATC only plus a radionuclide-therapy "
            "Procedure on each treatment day (must be de-duplicated: still 4 cycles). Eligible A, B, C, E.",
            lu_codes="atc",
            labs={
                "hb": {"replace": True, "key": "hb_molar", "value": 5.6, "low": 8.1, "high": 10.6},
                "plt": {"value": 100000, "unit": "/mm3", "low": 150000, "high": 400000},
                "anc": {"value": 1500, "unit": "/mm3", "low": 1800, "high": 7500},
                "wbc": {"value": 4200, "unit": "/mm3", "low": 4000, "high": 10000},
            },
            extra=lambda s: [
                s.procedure(
                    [(SNOMED, "427541000119103", "Intravenous radionuclide therapy (procedure)")],
                    "177Lu-DOTATATE PRRT cycle",
                    d,
                )
                for d in STANDARD_CYCLES
            ],
        )
    )
    add(
        prrt_patient(
            12,
            "anc-1-4-platelets-99-mgfr-49",
            "Base + ANC 1.4 x10^9/L, platelets 99 x10^3/uL and measured GFR 49: just below A/C/E limits "
            "(A ANC >= 1.5; C/E platelets >= 100, E GFR >= 50) but above B's (ANC >= 1.0, platelets >= 80).",
            labs={"anc": {"value": 1.4}, "plt": {"value": 99, "unit": "10*3/uL"}, "mgfr": {"value": 49}},
        )
    )
    add(
        prrt_patient(
            13,
            "platelets-79-anc-900-per-mm3",
            "Base + platelets 79 x10^9/L and ANC 900 /mm3 (WBC 3.0): below every trial's limit except D's "
            "platelets >= 75. Fails A, B, C, E.",
            labs={
                "plt": {"value": 79},
                "anc": {"value": 900, "unit": "/mm3", "low": 1800, "high": 7500},
                "wbc": {"value": 3.0},
            },
        )
    )
    add(
        prrt_patient(
            14,
            "entered-in-error-hb-ecog-refuted-brain-mets",
            "Base + a more recent Hb 7.0 g/dL and ECOG 3 both marked entered-in-error, and brain metastases "
            "with verificationStatus refuted: all must be ignored. Eligible A, B, C, E.",
            extra=lambda s: (
                s.obs("hb", 7.0, date="2026-05-28", status="entered-in-error", low=13.0, high=17.0),
                s.ecog(3, date="2026-05-29", status="entered-in-error"),
                s.condition(
                    [
                        (ICD10CM, "C79.31", "Secondary malignant neoplasm of brain"),
                        (SNOMED, "94225005", "Secondary malignant neoplasm of brain"),
                    ],
                    "Brain metastasis (suspected on CT, refuted on MRI)",
                    "2026-04-02",
                    verification="refuted",
                ),
            ),
        )
    )
    add(
        prrt_patient(
            15,
            "ecog-2-value-integer",
            "Base + ECOG 2 as valueInteger: passes A/B/C (0-2), fails D (0-1) and E (<= 1).",
            ecog=(2, True),
        )
    )
    add(
        prrt_patient(
            16,
            "ecog-outside-window",
            "Base but the only ECOG (1) is dated 2026-04-20, 42 days before screening: unknown for A, B, C, E.",
            ecog_date="2026-04-20",
        )
    )
    add(
        prrt_patient(
            17,
            "ki67-missing",
            "Base without any Ki-67: grade unknown, so A-I2 and B-I2a are unknown; C and E accept any "
            "grade of well-differentiated NET.",
            ki67=None,
        )
    )
    add(
        prrt_patient(
            18,
            "ki67-21-percent-g3",
            "Base + Ki-67 21 % (G3 NET): fails A/B (G1/G2) and D (< 20 %, not high grade); C and E allow a "
            "well-differentiated G3 NET.",
            ki67=21,
        )
    )
    add(
        prrt_patient(
            19,
            "pancreatic-net",
            "Base with a pancreatic NET (C25.4 + ICD-O-3 8240/3): A fails (not intestinal; pancreatic NET "
            "excluded), B fails (not midgut), C and E eligible.",
            primary="pancreas",
            name=("Marc", "Dubois"),
        )
    )
    add(
        prrt_patient(
            20,
            "pancreatic-reduced-dose-carcinoid-heart",
            "Pancreatic NET whose 3rd Lutathera dose was reduced to 100 mCi, with carcinoid heart disease "
            "(E34.01) and LVEF 38 %: C fails on LVEF < 40 %; the reduced dose (reason not recorded) is a C-E12 "
            "review item.",
            primary="pancreas",
            name=("Marc", "Dubois"),
            cycles=[
                ("2023-01-16", 7400, "MBq"),
                ("2023-03-13", 7400, "MBq"),
                ("2023-05-08", 100, "mCi"),
                ("2023-07-03", 7400, "MBq"),
            ],
            labs={"lvef": {"value": 38, "date": "2026-03-02"}},
            extra=cond([(ICD10CM, "E34.01", "Carcinoid heart syndrome")], "Carcinoid heart disease", "2025-09-15"),
        )
    )
    add(
        prrt_patient(
            21,
            "carcinoid-heart-lvef-55",
            "Base + carcinoid heart disease (E34.01) with preserved LVEF 55 %: C needs review (C-E3).",
            labs={"lvef": {"value": 55, "date": "2026-03-02"}},
            extra=cond([(ICD10CM, "E34.01", "Carcinoid heart syndrome")], "Carcinoid heart disease", "2025-09-15"),
        )
    )
    add(
        prrt_patient(
            22,
            "duodenal-net",
            "Base with a duodenal NET (C7A.010): intestinal for A, but foregut (not midgut) for B.",
            primary="duodenum",
        )
    )
    add(
        prrt_patient(
            23,
            "unknown-primary-net",
            "Base with NET of unknown primary (C7A.00): A, B, C and E need review (an unknown primary may be "
            "intestinal, midgut or GEP); D stays ineligible on D-I5/D-E7.",
            primary="unknown",
        )
    )
    add(
        prrt_patient(
            24,
            "gilbert-bilirubin-2x-umol",
            "Base + Gilbert syndrome (E80.4) and bilirubin 40 umol/L (ULN 20: 2.0 x ULN): B needs review "
            "(Gilbert clause); A (<= 2.5) and E (<= 2 x ULN, on threshold) pass.",
            labs={"bili": {"replace": True, "key": "bili_molar", "value": 40, "low": 3, "high": 20}},
            extra=cond([(ICD10CM, "E80.4", "Gilbert syndrome")], "Gilbert syndrome", "2004-06-01"),
        )
    )
    add(
        prrt_patient(
            25,
            "bilirubin-1-5x-umol",
            "Base + bilirubin 30 umol/L (ULN 20: exactly 1.5 x ULN) without Gilbert: B fails (< 1.5 required).",
            labs={"bili": {"replace": True, "key": "bili_molar", "value": 30, "low": 3, "high": 20}},
        )
    )
    add(
        prrt_patient(
            26,
            "bilirubin-2-6x",
            "Base + bilirubin 2.6 mg/dL (ULN 1.0): A fails (> 2.5 x ULN), B fails, E fails (> 2 x ULN).",
            labs={"bili": {"value": 2.6, "high": 1.0}},
        )
    )
    add(
        prrt_patient(
            27,
            "cockcroft-gault-female-70",
            "Woman, 70, 60 kg, creatinine 88.4 umol/L (= 1.0 mg/dL): Cockcroft-Gault 49.6 mL/min (x 0.85) - "
            "fails B (> 50) and C (>= 50). Twin of sample-28.",
            gender=F,
            birth="1955-08-20",
            name=("Colette", "Marchand"),
            labs={
                "scr": {"replace": True, "key": "scr_molar", "value": 88.4, "low": 45, "high": 90},
                "weight": {"value": 60},
                "mgfr": {"value": 62},
            },
        )
    )
    add(
        prrt_patient(
            28,
            "cockcroft-gault-male-70",
            "Man, 70, 60 kg, creatinine 88.4 umol/L: Cockcroft-Gault 58.3 mL/min - passes B and C. Twin of sample-27.",
            birth="1955-08-20",
            name=("Claude", "Marchand"),
            labs={
                "scr": {"replace": True, "key": "scr_molar", "value": 88.4, "low": 60, "high": 110},
                "weight": {"value": 60},
                "mgfr": {"value": 64},
            },
        )
    )
    add(
        prrt_patient(
            29,
            "cockcroft-gault-exactly-50",
            "Man, 65, 60 kg, creatinine 1.25 mg/dL: Cockcroft-Gault exactly 50.0 mL/min - fails B (strict "
            "> 50), passes C (>= 50).",
            birth="1961-01-15",
            name=("Alain", "Perrin"),
            labs={"scr": {"value": 1.25}, "weight": {"value": 60}, "mgfr": {"value": 60}},
        )
    )
    add(
        prrt_patient(
            30,
            "measured-creatinine-clearance-governs",
            "Man, 75, 55 kg, creatinine 1.4 mg/dL (Cockcroft-Gault 35.5) but a measured 24-h creatinine "
            "clearance of 56 mL/min: the measured value governs, B and C pass.",
            birth="1951-03-03",
            name=("Jacques", "Roux"),
            labs={
                "scr": {"value": 1.4},
                "weight": {"value": 55},
                "mgfr": {"value": 55},
                "crcl_24h": {"value": 56, "low": 75, "high": 125},
            },
        )
    )
    add(
        prrt_patient(
            31,
            "mdrd-reported-38",
            "Base + lab-reported MDRD eGFR 38 mL/min/1.73m2 with creatinine 1.82 mg/dL and measured GFR 41: "
            "A fails (MDRD < 40), B/C fail (Cockcroft-Gault 46), D fails (creatinine > 1.7 mg/dL), E fails "
            "(measured GFR < 50).",
            labs={"scr": {"value": 1.82}, "mgfr": {"value": 41}, "egfr_mdrd": {"value": 38, "low": 60}},
        )
    )
    add(
        prrt_patient(
            32,
            "mdrd-computed-race-unknown",
            "Base + creatinine 1.90 mg/dL, no reported eGFR, race not recorded: computed MDRD is 36.1 "
            "(non-Black) or 43.8 (Black) - the two disagree around 40, so A is undetermined; B/C fail "
            "(Cockcroft-Gault 44.5); E passes on measured GFR 52.",
            labs={"scr": {"value": 1.9}, "mgfr": {"value": 52}},
        )
    )
    add(
        prrt_patient(
            33,
            "creatinine-outside-window",
            "Base but serum creatinine last measured 2026-04-01 (61 days): MDRD and Cockcroft-Gault cannot be "
            "computed - A, B, C undetermined; E decides on measured GFR.",
            labs={"scr": {"date": "2026-04-01"}},
        )
    )
    add(
        prrt_patient(
            34,
            "liver-panel-missing",
            "Base without ALT, AST or bilirubin: A-E7b, B-I11, C-I6 and E-I8 unknown.",
            labs={"alt": None, "ast": None, "bili": None},
        )
    )
    add(
        prrt_patient(
            35,
            "egfr-only-no-measured-gfr",
            "Base with a CKD-EPI eGFR (88) but no 51Cr-EDTA measured GFR: E undetermined (estimated GFR is "
            "not acceptable for E-I6); the other trials are unaffected.",
            labs={"mgfr": None, "egfr_ckdepi": {"value": 88, "low": 60}},
        )
    )
    return out
