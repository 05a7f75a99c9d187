"""Variations for criteria only trial B (NET RETREAT) reads."""

from __future__ import annotations

from .base import STANDARD_CYCLES, chain, cond, prrt_patient
from .codes import (
    AMLODIPINE,
    DEXAMETHASONE,
    EBRT,
    EVEROLIMUS,
    ICD10CM,
    LIVER_METASTASECTOMY,
    SNOMED,
    TACE,
    TEMOZOLOMIDE,
    qty,
)
from .sample import Sample


def trial_b_variations() -> list[Sample]:
    """B-specific samples."""
    out: list[Sample] = []
    add = out.append
    F = "female"
    hiv = [(ICD10CM, "B20", "Human immunodeficiency virus [HIV] disease")]
    add(
        prrt_patient(
            48,
            "hiv-viral-load-11-months-old",
            "Base + HIV (B20) whose last viral load (< 20 copies/mL) is 11 months old: B-I20 needs an "
            "undetectable load within 6 months - B undetermined.",
            extra=lambda s: (
                s.condition(hiv, "HIV disease on antiretroviral therapy", "2012-05-10"),
                s.obs("hiv_vl", 20, comparator="<", date="2025-06-15"),
            ),
        )
    )
    add(
        prrt_patient(
            49,
            "hiv-undetectable-recent",
            "Base + HIV (B20) with viral load < 20 copies/mL on 2026-03-10 (within 6 months): B passes.",
            extra=lambda s: (
                s.condition(hiv, "HIV disease on antiretroviral therapy", "2012-05-10"),
                s.obs("hiv_vl", 20, comparator="<", date="2026-03-10"),
            ),
        )
    )
    add(
        prrt_patient(
            50,
            "temozolomide-and-icdo-coded-primary",
            "Primary coded as C17.2 (ileum) + ICD-O-3 8249/3 with Ki-67 12 % (intestinal G2 for A), and a "
            "5-day temozolomide course in 2022 before PRRT: B fails (prior alkylator).",
            primary="ileum-icdo",
            ki67=12,
            extra=lambda s: [
                s.med_admin(TEMOZOLOMIDE, "Temozolomide 100 mg capsule", d, qty(300, "mg"))
                for d in ("2022-05-02", "2022-05-03", "2022-05-04", "2022-05-05", "2022-05-06")
            ],
        )
    )
    add(
        prrt_patient(
            51,
            "everolimus-31-days",
            "Base + everolimus 2022-06-01 to 2022-07-01 (31 days, before PRRT): on B's 1-month limit - passes.",
            extra=lambda s: s.med_statement(
                EVEROLIMUS, "Everolimus 10 mg daily", "2022-06-01", "2022-07-01", dosage="10 mg orally once daily"
            ),
        )
    )
    add(
        prrt_patient(
            52,
            "everolimus-3-months",
            "Base + everolimus 2022-06-01 to 2022-08-31 (92 days, before PRRT): B fails (> 1 month).",
            extra=lambda s: s.med_statement(
                EVEROLIMUS, "Everolimus 10 mg daily", "2022-06-01", "2022-08-31", dosage="10 mg orally once daily"
            ),
        )
    )
    add(
        prrt_patient(
            53,
            "tace-after-prrt-recent",
            "Base + TACE (314617008) on 2026-03-20: intervening therapy after PRRT fails B; embolisation "
            "within 12 weeks fails E.",
            extra=lambda s: s.procedure(TACE, "Transarterial chemoembolisation of liver metastases", "2026-03-20"),
        )
    )
    add(
        prrt_patient(
            54,
            "ebrt-before-prrt",
            "Base + external beam radiotherapy (33195004) in 2022, before PRRT: A and E need review (extent "
            "of marrow irradiated unknown); B passes (not after PRRT).",
            extra=lambda s: s.procedure(
                EBRT, "Palliative radiotherapy, 20 Gy in 5 fractions", "2022-09-01", body_site="Lumbar spine"
            ),
        )
    )
    add(
        prrt_patient(
            55,
            "brain-metastasis-untreated",
            "Base + untreated brain metastasis (C79.31, 2026-03): A fails; B, C and E need review.",
            extra=cond(
                [
                    (ICD10CM, "C79.31", "Secondary malignant neoplasm of brain"),
                    (SNOMED, "94225005", "Secondary malignant neoplasm of brain"),
                ],
                "Brain metastasis",
                "2026-03-01",
            ),
        )
    )
    add(
        prrt_patient(
            56,
            "brain-metastasis-on-dexamethasone",
            "Base + brain metastasis with ongoing dexamethasone (H02AB02) since 2026-02: B fails (steroids "
            "within 4 weeks), A fails, C and E need review.",
            extra=lambda s: (
                s.condition(
                    [(ICD10CM, "C79.31", "Secondary malignant neoplasm of brain")], "Brain metastasis", "2026-02-01"
                ),
                s.med_statement(
                    DEXAMETHASONE,
                    "Dexamethasone 4 mg daily",
                    "2026-02-01",
                    None,
                    status="active",
                    dosage="4 mg orally once daily",
                ),
            ),
        )
    )
    add(
        prrt_patient(
            57,
            "bone-marrow-infiltration",
            "Base + bone-marrow infiltration (C79.52): E fails (E-E4), C needs review (extrahepatic disease).",
            extra=cond(
                [(ICD10CM, "C79.52", "Secondary malignant neoplasm of bone marrow")],
                "Diffuse bone-marrow infiltration on 68Ga-DOTATATE PET, confirmed by MRI",
                "2025-12-01",
            ),
        )
    )
    add(
        prrt_patient(
            58,
            "portal-vein-thrombosis",
            "Base + portal vein thrombosis (I81): C fails (contra-indication to intra-arterial infusion).",
            extra=cond([(ICD10CM, "I81", "Portal vein thrombosis")], "Portal vein thrombosis", "2025-12-15"),
        )
    )
    add(
        prrt_patient(
            59,
            "cirrhosis-child-pugh-review",
            "Base + cirrhosis (K74.60) with bilirubin 0.7 mg/dL, albumin 4.1 g/dL, INR 1.1: the lab part of "
            "Child-Pugh is 3 points, ascites/encephalopathy unknown (total 5-9) - C needs review.",
            labs={"inr": {"value": 1.1}},
            extra=cond([(ICD10CM, "K74.60", "Unspecified cirrhosis of liver")], "Cirrhosis of liver", "2019-10-01"),
        )
    )
    add(
        prrt_patient(
            60,
            "albumin-28-g-per-l-pt-low",
            "Base + albumin 28 g/L with prothrombin 60 % (below range) and INR 1.4: A and C fail (albumin low "
            "and PT abnormal), E fails (albumin <= 3 g/dL and PT <= 70 %).",
            labs={
                "alb": {"value": 28, "unit": "g/L", "low": 35, "high": 50},
                "pt_pct": {"value": 60},
                "inr": {"value": 1.4},
            },
        )
    )
    add(
        prrt_patient(
            61,
            "albumin-2-9-pt-missing",
            "Base + albumin 2.9 g/dL and no prothrombin time or INR: A and C undetermined (the 'unless PT "
            "normal' clause cannot be checked); E fails on albumin alone.",
            labs={"alb": {"value": 2.9}, "pt_pct": None, "inr": None},
        )
    )
    add(
        prrt_patient(
            62,
            "albumin-2-8-pt-normal",
            "Base + albumin 2.8 g/dL with normal prothrombin time: A and C pass (PT within range); E fails "
            "(albumin > 3 g/dL required).",
            labs={"alb": {"value": 2.8}},
        )
    )
    add(
        prrt_patient(
            63,
            "fasting-glucose-mmol-over-2x",
            "Base + type 2 diabetes and fasting glucose 11.2 mmol/L (ULN 5.5: 2.04 x ULN): A fails.",
            labs={"fbg": {"replace": True, "key": "fbg_molar", "value": 11.2, "low": 3.9, "high": 5.5}},
            extra=cond(
                [(ICD10CM, "E11.9", "Type 2 diabetes mellitus without complications")],
                "Type 2 diabetes mellitus",
                "2017-03-01",
            ),
        )
    )
    add(
        prrt_patient(
            64,
            "myocardial-infarction-9-months-ecog-2",
            "Base + NSTEMI (I21.4) 9 months ago and ECOG 2: A and C fail (MI within 12 months); D and E fail "
            "on ECOG; B passes.",
            ecog=(2, False),
            extra=cond(
                [(ICD10CM, "I21.4", "Non-ST elevation (NSTEMI) myocardial infarction")],
                "NSTEMI",
                "2025-09-01",
                clinical="resolved",
                abatement="2025-09-20",
            ),
        )
    )
    add(
        prrt_patient(
            65,
            "arrhythmia-and-uncontrolled-hypertension",
            "Base + cardiac arrhythmia (I49.9, 2026-01) and treated hypertension (I10, amlodipine) with BP "
            "164/96: A and C need review (arrhythmia 'uncontrolled'? BP >= 160/95 despite 'optimal' therapy?).",
            bp=(164, 96),
            extra=lambda s: (
                s.condition(
                    [(ICD10CM, "I49.9", "Cardiac arrhythmia, unspecified")],
                    "Paroxysmal cardiac arrhythmia",
                    "2026-01-10",
                ),
                s.condition(
                    [(ICD10CM, "I10", "Essential (primary) hypertension")], "Essential hypertension", "2015-02-01"
                ),
                s.med_statement(
                    AMLODIPINE,
                    "Amlodipine 10 mg daily",
                    "2015-02-01",
                    None,
                    status="active",
                    dosage="10 mg orally once daily",
                ),
            ),
        )
    )
    add(
        prrt_patient(
            66,
            "prostate-cancer-and-nephrotic-syndrome",
            "Base + prostate cancer (C61) diagnosed 2023 and nephrotic syndrome (N04.9): A fails twice "
            "(other solid tumour within 5 years; nephrotic syndrome); B, C, E unaffected.",
            extra=chain(
                cond([(ICD10CM, "C61", "Malignant neoplasm of prostate")], "Prostate adenocarcinoma", "2023-04-10"),
                cond(
                    [(ICD10CM, "N04.9", "Nephrotic syndrome with unspecified morphologic changes")],
                    "Nephrotic syndrome",
                    "2025-11-01",
                ),
            ),
        )
    )
    add(
        prrt_patient(
            67,
            "other-cancers-excepted-or-old",
            "Woman, 61: basal cell carcinoma (C44.91, 2024) and cervical carcinoma in situ (D06.9, 2022) are "
            "excepted, breast cancer (C50.911) was diagnosed 2019 (> 5 years): A passes; eligible A, B, C, E.",
            gender=F,
            birth="1964-12-01",
            name=("Martine", "Lemoine"),
            extra=chain(
                cond(
                    [(ICD10CM, "C44.91", "Basal cell carcinoma of skin, unspecified")],
                    "Basal cell carcinoma of the nose, excised",
                    "2024-03-05",
                    clinical="resolved",
                    abatement="2024-04-01",
                ),
                cond(
                    [(ICD10CM, "D06.9", "Carcinoma in situ of cervix, unspecified")],
                    "Cervical carcinoma in situ, conisation",
                    "2022-05-10",
                    clinical="resolved",
                    abatement="2022-06-15",
                ),
                cond(
                    [(ICD10CM, "C50.911", "Malignant neoplasm of unspecified site of right female breast")],
                    "Breast cancer, treated",
                    "2019-02-14",
                    clinical="remission",
                    abatement="2019-09-30",
                ),
            ),
        )
    )
    add(
        prrt_patient(
            68,
            "lanreotide-ongoing",
            "Base but lanreotide is still active (no end date): E fails (long-acting SSA must stop >= 4 weeks "
            "before D0); A, B, C allow SSA.",
            ssa=("2021-03-01", None, "active"),
        )
    )
    add(
        prrt_patient(
            69,
            "pancreatic-fourth-cycle-after-labs",
            "Pancreatic NET treated 2025-11 to 2026-05-18 (4th cycle 14 days ago); labs drawn 2026-05-10, "
            "before the 4th cycle: C undetermined (blood counts must follow the 4th cycle); E fails (PRRT "
            "within 12 weeks); D fails (treatment within 4 weeks).",
            primary="pancreas",
            name=("Marc", "Dubois"),
            lab_date="2026-05-10",
            cycles=[(d, 7400, "MBq") for d in ("2025-11-24", "2026-01-19", "2026-03-16", "2026-05-18")],
        )
    )
    add(
        prrt_patient(
            70,
            "three-prrt-cycles-fourth-not-done",
            "Base with 3 completed cycles and a 4th MedicationAdministration 'not-done' (thrombocytopenia): "
            "A fails (first course not 4), B passes (3 cycles), C fails (not 4).",
            cycles=[(d, 7400, "MBq") for d in STANDARD_CYCLES[:3]],
            lu_codes="atc",
            extra=lambda s: s.lutathera(
                "2023-07-03", codes="atc", status="not-done", reason="Cycle cancelled: grade 3 thrombocytopenia"
            ),
        )
    )
    add(
        prrt_patient(
            71,
            "five-reduced-cycles-cumulative-activity",
            "Base with 5 cycles of 150 mCi (5550 MBq; 27.75 GBq within 32 weeks): B passes on cumulative "
            "activity 22.2-29.6 GBq in 52 weeks; A and C fail (not 4 cycles); the reduced doses are a C-E12 review "
            "item (reason not recorded).",
            cycles=[(d, 150, "mCi") for d in (*STANDARD_CYCLES, "2023-08-28")],
        )
    )
    add(
        prrt_patient(
            72,
            "two-prrt-cycles",
            "Base with only 2 cycles (14.8 GBq): fails A, B (neither 3-4 cycles nor 22.2-29.6 GBq) and C.",
            cycles=[(d, 7400, "MBq") for d in STANDARD_CYCLES[:2]],
        )
    )
    add(
        prrt_patient(
            73,
            "dotatate-pet-over-36-months",
            "Base whose only SSTR PET is 2023-05-31 (36 months + 1 day): A and B fail their imaging windows.",
            pet=["2023-05-31"],
        )
    )
    add(
        prrt_patient(
            74,
            "liver-resection-3-weeks-after-prrt",
            "Base + resection of a liver metastasis (307616002) on 2026-05-10: major surgery within 6 weeks "
            "(B, E) and intervening therapy after PRRT (B); D fails (< 4 weeks post-surgery, prior PRRT).",
            extra=lambda s: s.procedure(LIVER_METASTASECTOMY, "Wedge resection of liver metastasis", "2026-05-10"),
        )
    )
    return out
