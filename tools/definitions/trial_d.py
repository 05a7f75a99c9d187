"""Trial D - NCT05987176 (seed 003): adjuvant 177Lu-DOTATATE after resection of NET liver metastases."""

from __future__ import annotations

from .common import (
    DEFAULT_WINDOW_NOTE,
    EVEROLIMUS_USE_NOTE,
    INTOLERANCE_NOTE,
    KI67_ANY,
    MINEN,
    MINEN_NOTE,
    NET_SITE_NOTE,
    OPEN_WORLD_NOTE,
    RX_DRUG_NOTE,
    UNDER_WAY_NOTE,
    UNSITED_NOTE,
    W28,
    albumin_unless_pt,
    ecog,
    everolimus_use_unknown,
    imaging,
    net_site,
    uln,
)
from .fhir import Json, age, all_of, any_of, condition, judge, manual, obs, records, window
from .pregnancy import pregnancy_exclusion
from .vs_drugs import GENERIC_PROCEDURE_NOTE
from .vs_labs import PLT_NOTE, lab
from .vs_procedures import COURSE_NOTE

META = {
    "nct": "NCT05987176",
    "key": "D",
    "seed": "003",
    "title": "Comparing Adjuvant Treatment With 177Lu-DOTATATE to Best Supportive Care in Patients After Resection of "
    "Neuroendocrine Liver Metastases",
    "status": "not-yet-recruiting",
    "status_display": "Not yet recruiting",
    "phase": "phase-2",
    "sponsor": "Imperial College London",
    "conditions": [("Neuroendocrine Tumors", None)],
    "summary": "International, randomised, open phase II study comparing adjuvant 177Lu-DOTATATE (2 x 7.4 GBq) with "
    "best supportive care after R0/R1 resection of neuroendocrine liver metastases.",
}

RESECTION = "D-I5.resection"


def characteristics() -> list[Json]:
    out: list[Json] = []
    add = out.append
    add(manual("1. Written informed consent prior to any study related procedures.", link="D-I1"))
    add(age("2. Patients aged 18 years or older.", ">=", 18, link="D-I2"))
    add(ecog("D-I3", "3. ECOG / WHO performance status 0 or 1.", 1, note=DEFAULT_WINDOW_NOTE))
    add(
        all_of(
            "4. Patients with well differentiated grade 1 or grade 2 (Ki67<20%) GEP NET confirmed by histological "
            "criteria with the primary localisation in stomach, pancreas, or gut.",
            [
                net_site(
                    "vs-gep-net", "vs-gep-site", "GEP-NET with primary in stomach, pancreas or gut", same_record=True
                ),
                obs("Ki-67 index < 20 % (most recent, any date)", lab("vs-ki67"), "<", 20, "%", tfe=KI67_ANY),
            ],
            link="D-I4",
            note=[
                "Ki-67 '< 20 %' is strict as written: 20 % fails although WHO 2019 calls it G2.",
                NET_SITE_NOTE,
                UNSITED_NOTE,
            ],
        )
    )
    add(
        all_of(
            "5. Patients after R0 (complete macroscopic and microscopic resection) or R1 (complete macroscopic "
            "resection, microscopically positive resection margins) resection of neuroendocrine liver metastases "
            "confirmed by histological criteria.",
            [
                records(
                    "Resection of liver metastases (hepatic resection)",
                    ["Procedure"],
                    "vs-liver-resection",
                    link=RESECTION,
                ),
                manual("R0 or R1 margins, histologically confirmed neuroendocrine liver metastases"),
            ],
            link="D-I5",
            note="The most recent hepatic resection (leaf D-I5.resection: SNOMED CT excision/lobectomy of liver or CPT "
            "hepatectomy 47120-47130) also anchors the imaging windows of D-I7 and D-I8 ('prior to surgery').",
        )
    )
    add(
        manual(
            "6. Patients with a primary tumour already resected or in whom the primary tumour has been resected "
            "synchronously with liver metastases.",
            link="D-I6",
            note="No verified codes for bowel/pancreas resection: attested.",
        )
    )
    add(
        all_of(
            "7. MRI scan prior to surgery (within 4 -6 weeks) confirming liver metastases and no extrahepatic disease "
            "(except resectable perihilar lymph node involvement and/or primary tumour, if still in place)",
            [
                imaging(
                    "Liver MRI within 6 weeks before the liver surgery",
                    "vs-liver-mri",
                    tfe=[window(-42, 0, "d", event=RESECTION)],
                ),
                manual(
                    "MRI confirms liver metastases and no extrahepatic disease (perihilar nodes / primary excepted)"
                ),
            ],
            link="D-I7",
            note=[
                "'Within 4-6 weeks' is read as no more than 6 weeks (42 days) before surgery. The liver MRI is "
                "matched by SNOMED CT and CPT codes (vs-liver-mri); a site's own exam code is mapped to the project "
                "code liver-mri.",
                OPEN_WORLD_NOTE,
            ],
        )
    )
    add(
        all_of(
            "8. Somatostatin receptor-based imaging (68Ga DOTA-TATE PET/CT prior to surgery (within 12 weeks) "
            "confirming liver metastases and no extrahepatic disease (except resectable perihilar lymph node "
            "involvement and/or primary tumour, if still in place)",
            [
                imaging(
                    "68Ga-DOTATATE PET/CT within 12 weeks before the liver surgery",
                    "vs-sstr-pet",
                    tfe=[window(-84, 0, "d", event=RESECTION)],
                ),
                manual(
                    "PET/CT confirms liver metastases and no extrahepatic disease (perihilar nodes / primary excepted)"
                ),
            ],
            link="D-I8",
            note=["12 weeks = 84 days before the surgery.", OPEN_WORLD_NOTE],
        )
    )
    # ---------------- exclusion ----------------
    add(
        any_of(
            "1. Less than 4 weeks post-surgery, or any other medical treatment, including chemotherapy, "
            "radiotherapy, and intrahepatic therapy.",
            [
                records(
                    "Coded anticancer drug (chemotherapy, PRRT, targeted therapy, interferon), radiotherapy, "
                    "embolisation or hepatic resection in the last 4 weeks",
                    ["MedicationAdministration", "Procedure"],
                    "vs-anticancer-treatment",
                    tfe=[window(-27, 0, "d")],
                ),
                manual(
                    "Other surgery or treatment in the last 4 weeks that the record does not code (surgery other "
                    "than a hepatic resection, ablation, SIRT / radioembolisation, bland embolisation, "
                    "investigational agent)",
                    link="D-E1.other",
                ),
                everolimus_use_unknown(tfe=[window(-27, 0, "d")]),
            ],
            link="D-E1",
            exclude=True,
            note=[
                "Read as a 28-day wash-out from the last treatment of any kind (surgery, chemotherapy, radiotherapy, "
                "liver-directed therapy): an event in (T0-28 d, T0] = [T0-27 d, T0] fails. Only hepatic resections "
                "have verified surgical codes (SNOMED CT and CPT).",
                "Surgery of any other kind, ablation, SIRT and bland embolisation have no verified code, so routine "
                "data cannot rule them out: they are an attested item inside the line (D-E1.other, as B-E1's other "
                "major surgery and D-E7's uncoded liver-directed therapy). Before, D-E1 passed on silence, even "
                "beside an operation last week coded by text alone. A coded treatment in the window still fails "
                "whatever the answer.",
                RX_DRUG_NOTE,
                EVEROLIMUS_USE_NOTE,
                UNDER_WAY_NOTE,
            ],
        )
    )
    add(
        any_of(
            "2. High grade neuroendocrine tumours (G3 NET, or neuroendocrine carcinoma [NEC])",
            [
                condition("Neuroendocrine carcinoma", "vs-nec", history=True),
                obs("G3: Ki-67 index > 20 % (most recent, any date)", lab("vs-ki67"), ">", 20, "%", tfe=KI67_ANY),
                judge(MINEN),
            ],
            link="D-E2",
            exclude=True,
            note=[
                "High grade = a coded NEC (C7A.1, ICD-O-3 8246/3, 8013/3, 8041/3, SNOMED CT NEC; any clinical "
                "status) or G3 NET read from the most recent Ki-67 of any date > 20 % (WHO 2019 G3). Ki-67 of "
                "exactly 20 % is not G3 here, but fails D-I4's strict '< 20 %'. No Ki-67 and no NEC code -> "
                "undetermined (the grade is a measurement, not a diagnosis).",
                MINEN_NOTE,
            ],
        )
    )
    add(
        manual(
            "3. After R2 (tumour debulking, macroscopically incomplete resection) resection of neuroendocrine liver "
            "metastases.",
            link="D-E3",
            exclude=True,
        )
    )
    add(
        manual(
            "4. Patients with non-resectable neuroendocrine liver metastases and/or non-resectable primary tumour and "
            "/or non-resectable perihilar lymph node metastases.",
            link="D-E4",
            exclude=True,
        )
    )
    add(
        pregnancy_exclusion(
            "D-E5",
            "5. Pregnancy.",
            lactation=False,
            note="Breast-feeding is not listed in this protocol and is not tested.",
        )
    )
    add(
        manual(
            "6. Subjects of childbearing potential (both male and female participants) not willing to use a "
            "combination of adequate contraceptive measures, e.g., oral contraceptives, IUD, barrier methods of "
            "contraception (condom or occlusive cap with spermicide)",
            link="D-E6",
            exclude=True,
        )
    )
    add(
        any_of(
            "7. Patients who have received prior systemic and/or liver-directed treatment for their metastatic NET "
            "other than somatostatin analogues.",
            [
                records(
                    "Prior systemic or radionuclide therapy (ATC L01 incl. antineoplastic everolimus, interferon, "
                    "177Lu-DOTATATE)",
                    ["MedicationAdministration", "Procedure"],
                    "vs-systemic-net-therapy",
                ),
                records(
                    "Prior liver-directed embolisation (TACE; CPT 37243 tumour embolisation)",
                    ["Procedure"],
                    "vs-embolization",
                ),
                manual(
                    "Other prior systemic or liver-directed treatment for the metastatic NET that the record does not "
                    "code (ablation, SIRT / radioembolisation, bland embolisation, investigational agent)"
                ),
                everolimus_use_unknown(),
            ],
            link="D-E7",
            exclude=True,
            note=[
                "Somatostatin analogues are allowed and not in the value sets; the qualifying resection is not "
                "counted." + GENERIC_PROCEDURE_NOTE,
                "Ablation, SIRT, bland embolisation and investigational agents have no verified code: they are an "
                "attested item inside the line (as E-E3 does), so that part of the protocol is asked rather than "
                "silently dropped. CPT 37243 (embolisation for tumours, organ ischaemia or infarction) names no "
                "organ: in a patient with NET liver metastases it is read as liver-directed.",
                RX_DRUG_NOTE,
                EVEROLIMUS_USE_NOTE,
            ],
        )
    )
    add(
        obs(
            "8. Hb concentration <5.0 mmol/L (<8.0 g/dL)",
            lab("vs-hb"),
            "<",
            5.0,
            "mmol/L",
            alt=(8.0, "g/dL"),
            link="D-E8",
            exclude=True,
            tfe=W28,
            note=[
                "Two non-equivalent thresholds (5.0 mmol/L = 8.06 g/dL): the result is compared in its native unit "
                "with the threshold written in that unit (alternate-threshold, clinical.md §0.4).",
                DEFAULT_WINDOW_NOTE,
            ],
        )
    )
    add(
        obs(
            "9. WBC <2x109/L (2000/mm3)",
            lab("vs-wbc"),
            "<",
            2.0,
            "10*9/L",
            link="D-E9",
            exclude=True,
            tfe=W28,
            note=["'2x109/L' lost its superscript: 2 x 10^9/L = 2000/mm3.", DEFAULT_WINDOW_NOTE],
        )
    )
    add(
        obs(
            "10. Platelets <75x109/L (75x103/mm3).",
            lab("vs-plt"),
            "<",
            75,
            "10*9/L",
            link="D-E10",
            exclude=True,
            tfe=W28,
            note=["'75x109/L' = 75 x 10^9/L.", DEFAULT_WINDOW_NOTE, PLT_NOTE],
        )
    )
    add(
        uln(
            "11. Total bilirubin >3 x ULN.",
            "vs-bili",
            ">",
            3,
            W28,
            link="D-E11",
            exclude=True,
            note=DEFAULT_WINDOW_NOTE,
        )
    )
    add(
        albumin_unless_pt(
            "D-E12",
            "12. Serum albumin <3.0 g/dL unless prothrombin time is within the normal range.",
            3.0,
            "g/dL",
            W28,
            note=DEFAULT_WINDOW_NOTE,
        )
    )
    add(
        any_of(
            "13. Uncontrolled congestive heart failure (NYHA II, III, IV).",
            [
                all_of(
                    "Heart failure with NYHA class III or IV",
                    [
                        condition("Heart failure", "vs-hf"),
                        obs("NYHA class >= III", lab("vs-nyha"), ">=", 3, "{score}", tfe=W28),
                    ],
                ),
                judge(
                    all_of(
                        "Heart failure with NYHA class II ('uncontrolled' needs judgement)",
                        [
                            condition("Heart failure", "vs-hf"),
                            obs("NYHA class >= II", lab("vs-nyha"), ">=", 2, "{score}", tfe=W28),
                        ],
                    )
                ),
            ],
            link="D-E13",
            exclude=True,
            note="Proposed rule (clinical.md D-E13): heart failure with NYHA III/IV fails, NYHA II goes to review "
            "('uncontrolled'); heart failure without a recent NYHA class is undetermined. NYHA: default 28 days.",
        )
    )
    add(
        uln(
            "14. Uncontrolled diabetes mellitus as defined by a fasting blood glucose >2 ULN.",
            "vs-fbg",
            ">",
            2,
            W28,
            link="D-E14",
            exclude=True,
            note=DEFAULT_WINDOW_NOTE,
        )
    )
    add(
        judge(
            records(
                "15. Prior external beam radiation therapy to more than 25% of the bone marrow.",
                ["Procedure"],
                "vs-ebrt",
                link="D-E15",
                exclude=True,
                note="Any prior external beam radiotherapy (SNOMED CT or the CPT treatment-delivery codes of vs-ebrt) "
                "goes to review: the share of marrow is not computable. " + COURSE_NOTE,
            )
        )
    )
    add(
        obs(
            "16. Kidney failure with serum creatinine >150 µmol/L (>1.7 mg/dL)",
            lab("vs-scr"),
            ">",
            150,
            "umol/L",
            alt=(1.7, "mg/dL"),
            unit_text="µmol/L",
            link="D-E16",
            exclude=True,
            tfe=W28,
            note=[
                "Native-unit rule: 1.70 mg/dL = 150.3 µmol/L, so a mg/dL result is compared with 1.7 mg/dL and a "
                "µmol/L result with 150 µmol/L (clinical.md §0.4).",
                DEFAULT_WINDOW_NOTE,
            ],
        )
    )
    add(
        any_of(
            "17. Known hypersensitivity to somatostatin analogues",
            [
                records("Allergy or intolerance to a somatostatin analogue", ["AllergyIntolerance"], "vs-ssa-allergy"),
                manual("Other known hypersensitivity to somatostatin analogues (not coded)"),
            ],
            link="D-E17",
            exclude=True,
            note="A coded allergy to a somatostatin analogue (ATC H01CB02/03/05 or the octreotide "
            "RxNorm product; active or no clinical status) fails. No SNOMED CT substance concept or RxNorm "
            "ingredient RxCUI for octreotide, lanreotide or pasireotide could be verified, so an allergy coded only "
            "that way, or recorded as text, stays with the manual item (attested). " + INTOLERANCE_NOTE,
        )
    )
    return out
