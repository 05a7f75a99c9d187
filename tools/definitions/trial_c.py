"""Trial C - NCT04837885 (seed 002): intra-arterial hepatic infusion of radiolabelled SSA (CHU Bordeaux)."""

from __future__ import annotations

from .common import (
    CARDIAC_12M_NOTE,
    DEFAULT_WINDOW_NOTE,
    HTN_TREATED_NOTE,
    MINEN,
    MINEN_NOTE,
    NET_SITE_NOTE,
    ONE_RECORD_NOTE,
    UNSITED_NOTE,
    W28,
    albumin_unless_pt,
    anc,
    cardiac_events_12m,
    crcl,
    ecog,
    net_site,
    uln,
)
from .fhir import (
    Json,
    age,
    all_of,
    any_of,
    condition,
    derived,
    judge,
    manual,
    obs,
    records,
    window,
)
from .pregnancy import pregnancy_exclusion
from .vs_drugs import GENERIC_PROCEDURE_NOTE, LU177_CODES_NOTE
from .vs_labs import PLT_NOTE, lab

META = {
    "nct": "NCT04837885",
    "key": "C",
    "seed": "002",
    "title": "Intra-arterial Hepatic (IAH) Infusion of Radiolabelled Somatostatin Analogs in GEP-NET Patients With "
    "Dominant Liver Metastases",
    "status": "recruiting",
    "status_display": "Recruiting",
    "phase": "phase-2",
    "sponsor": "University Hospital, Bordeaux",
    "conditions": [
        ("Neuroendocrine Tumor", None),
        ("Liver Metastases", None),
        ("Neuroendocrine Gastroenteropancreatic Tumour", None),
    ],
    "summary": "Compares 68Ga-DOTA-peptide uptake after intra-arterial hepatic versus intravenous injection in GEP-NET "
    "patients with dominant liver metastases after 4 intravenous LUTATHERA® cycles, and evaluates the "
    "safety of a 5th, intra-arterial hepatic LUTATHERA® dose.",
}

# Labs must follow the 4th LUTATHERA cycle (C-I7) and be recent (default 28 days).
AFTER_4TH = [window(1, None, "d", event="C-I3"), window(-28, 0, "d")]
C_I6_NOTE = (
    "C-I6 gives no time reference: the default 28-day lookback applies (the after-the-4th-cycle bound is written in "
    "C-I7 only, so it is not extended to renal/liver function)."
)
AFTER_NOTE = (
    "Dated after the 4th LUTATHERA® cycle (from the day after the most recent administration counted by "
    "C-I3) and, as the protocol gives no freshness limit, within the default 28 days (clinical.md §0.2)."
)


def characteristics() -> list[Json]:
    out: list[Json] = []
    add = out.append
    add(
        all_of(
            "Histologically proven well differentiated neuroendocrine tumor (NET) of gastrointestinal or pancreatic "
            "origin (GEP).",
            [
                net_site(
                    "vs-gep-net",
                    "vs-gep-site",
                    "GEP-NET (stomach, intestine, pancreas; any grade of well-differentiated NET)",
                    same_record=True,
                ),
                {**condition("Neuroendocrine carcinoma", "vs-nec", history=True), "exclude": True},
                {**judge(MINEN), "exclude": True},
            ],
            link="C-I1",
            note=[
                "Any grade of well-differentiated NET (G3 NET allowed); a coded NEC fails.",
                MINEN_NOTE,
                NET_SITE_NOTE,
                UNSITED_NOTE,
                ONE_RECORD_NOTE,
            ],
        )
    )
    add(
        any_of(
            "Patients are progressive after treatment with cold somatostatin analog (within 12 months according to "
            "RECIST), or as soon as the diagnosis is made in case of hepatic invasion > 50% without waiting for "
            "tumour progression",
            [
                all_of(
                    "Progression after cold somatostatin analogue",
                    [
                        records("Treated with a somatostatin analogue", ["MedicationAdministration"], "vs-ssa"),
                        manual("RECIST progression within 12 months on the somatostatin analogue"),
                    ],
                ),
                manual("Hepatic invasion > 50 % at diagnosis"),
            ],
            link="C-I2",
            note="SSA exposure is computable; progression and the extent of hepatic invasion are imaging reads.",
        )
    )
    add(
        records(
            "Patient has received 4 standard of care LUTATHERA® cycles",
            ["MedicationAdministration", "Procedure"],
            "vs-lu177",
            instances={"value": 4},
            link="C-I3",
            note="Exactly 4 administrations in total (the study dose would be the 5th). This criterion's most "
            "recent matching record (the 4th cycle) anchors the lab windows of C-I7. Records a day or less apart "
            "are one cycle (an administration and its Procedure, time zones, an infusion over midnight)."
            + GENERIC_PROCEDURE_NOTE
            + LU177_CODES_NOTE,
        )
    )
    add(
        all_of(
            "Liver Metastatic disease dominant or exclusive and assessable by RECIST 1.1, and not amenable to "
            "surgical resection after the last cycle",
            [
                condition("Liver metastases", "vs-liver-mets"),
                manual("Liver disease dominant or exclusive, RECIST-assessable and not resectable"),
            ],
            link="C-I4",
        )
    )
    add(ecog("C-I5", "ECOG performance status 0-2", 2, note=DEFAULT_WINDOW_NOTE))
    add(
        crcl(
            "Adequate kidney and liver function: creatinine clearance ≥ 50 mL/min",
            ">=",
            50,
            W28,
            link="C-I6-crcl",
            note=[C_I6_NOTE, "Inclusive '>=' as written. Measured 24-h clearance if present, else Cockcroft-Gault."],
        )
    )
    add(
        all_of(
            "ALT/AST ≤ 2,5x the upper limit of normal",
            [
                uln("ALT <= 2.5 x ULN", "vs-alt", "<=", 2.5, W28),
                uln("AST <= 2.5 x ULN", "vs-ast", "<=", 2.5, W28),
            ],
            link="C-I6-alt-ast",
            note=[C_I6_NOTE, "'2,5x' uses a decimal comma = 2.5 x ULN; both ALT and AST."],
        )
    )
    add(
        obs(
            "With no evidence of hematologic alteration after 4 LUTATHERA® cycles: hemoglobin ≥ 8 g/dL",
            lab("vs-hb"),
            ">=",
            8.0,
            "g/dL",
            link="C-I7-hb",
            tfe=AFTER_4TH,
            note=AFTER_NOTE,
        )
    )
    add(
        anc(
            "neutrophils ≥ 1500/ mm3",
            1.5,
            link="C-I7-anc",
            tfe=AFTER_4TH,
            note=[AFTER_NOTE, "1500/mm3 = 1.5 x 10^9/L."],
        )
    )
    add(
        obs(
            "platelets ≥ 100.000/mm3",
            lab("vs-plt"),
            ">=",
            100,
            "10*9/L",
            link="C-I7-plt",
            tfe=AFTER_4TH,
            note=[
                AFTER_NOTE,
                "'100.000/mm3' uses a European thousands separator: 100 000/mm3 = 100 x 10^9/L.",
                PLT_NOTE,
            ],
        )
    )
    add(age("Age ≥ 18 years, no superior limit", ">=", 18, link="C-I8"))
    add(
        manual(
            "Contraception required in pre-menopausal female (Intrauterine device, Progestin Pills, Combined Oral "
            "Contraceptives, Monthly Injectables, Progestin Injectables, Combined Patch, Combined Vaginal Ring, Female "
            "Sterilization, Vasectomy, Implants) and men for at least 6 months after the last LUTATHERA ® injection.",
            link="C-I9",
        )
    )
    add(manual("Patient´s signed written informed consent", link="C-I10"))
    add(manual("Patient affiliated to a social security system", link="C-I11"))
    # ---------------- exclusion ----------------
    add(
        manual(
            "Patients with complete response defined by the absence of lesion according to RECIST 1.1 realized during "
            "morphological imaging at inclusion (chest-abdomen-pelvis CT scan and hepatic MRI)",
            link="C-E1",
            exclude=True,
        )
    )
    add(
        manual(
            "No residual uptake according to standard 177-Lu scintigraphy performed in the clinical routine 24 hours "
            "after each LUTATHERA IV treatment",
            link="C-E2",
            exclude=True,
        )
    )
    add(
        any_of(
            "Carcinoid heart disease (LVEF < 40%)",
            [
                obs("LVEF < 40 % (most recent, any date)", lab("vs-lvef"), "<", 40, "%", tfe=[window(None, 0, "d")]),
                judge(
                    condition("Carcinoid heart syndrome coded (E34.01) with LVEF >= 40 %: review", "vs-carcinoid-heart")
                ),
            ],
            link="C-E3",
            exclude=True,
            note="'(LVEF < 40 %)' is read as the definition of a significant carcinoid heart "
            "disease (clinical.md C-E3): the most recent LVEF of any date < 40 % fails; a "
            "coded carcinoid heart syndrome with a preserved LVEF goes to review. A missing "
            "LVEF leaves the criterion undetermined.",
        )
    )
    add(
        any_of(
            "Dominant or threatening extrahepatic metastases or that may affect vital prognosis",
            [
                judge(
                    condition(
                        "Brain, bone-marrow or bone metastases (extrahepatic disease to assess)", "vs-extrahepatic-mets"
                    )
                ),
                manual("Dominant or threatening extrahepatic metastases"),
            ],
            link="C-E4",
            exclude=True,
            note="Coded brain, bone-marrow or bone metastases (active; ICD-10 C79.3x/C79.5x/C7B.03, SNOMED CT) go to "
            "review: they are extrahepatic, but whether they are dominant, threatening or affect vital prognosis "
            "is a judgement (clinical.md C-E4). Other extrahepatic sites (lymph nodes, peritoneum, lung) have no "
            "decisive code either, so the line is otherwise attested (manual item).",
        )
    )
    add(
        any_of(
            "Contraindications to intra-hepatic arterial infusion (coagulation disorders, portal thrombosis, "
            "intra-hepatic biliary tract dilatation, digestive or biliary anastomosis or fistula, cirrhosis (Child "
            "Pugh B8 or C…)",
            [
                condition("Portal vein thrombosis", "vs-pvt"),
                all_of(
                    "Cirrhosis with Child-Pugh score >= 8 (class B8 or C)",
                    [
                        condition("Cirrhosis of liver", "vs-cirrhosis"),
                        derived("Child-Pugh score >= 8", "child-pugh", ">=", 8, "{score}", unit_text="score", tfe=W28),
                    ],
                ),
                manual(
                    "Coagulation disorder, intra-hepatic biliary dilatation, digestive or biliary anastomosis or "
                    "fistula"
                ),
            ],
            link="C-E5",
            exclude=True,
            note=[
                "The truncated 'Child Pugh B8 or C…' is read as score >= 8 (class B = 7-9). The engine returns "
                "REVIEW when ascites/encephalopathy would decide the score.",
                DEFAULT_WINDOW_NOTE,
            ],
        )
    )
    add(
        albumin_unless_pt(
            "C-E6",
            "Serum albumin <30 g/L unless prothrombin time is within the normal range.",
            30,
            "g/L",
            W28,
            note=DEFAULT_WINDOW_NOTE,
        )
    )
    add(
        any_of(
            "Heart failure, myocardial infarction, stroke, uncontrolled arterial hypertension under optimal treatment "
            "(≥ 160/95 mmHg), pulmonary embolism or revascularization procedure, unstable angina pectoris, "
            "uncontrolled cardiac arrhythmia, and clinically significant bradycardia during the last 12 months.",
            cardiac_events_12m(hf_fails=True, with_htn=True, tfe_bp=W28),
            link="C-E7",
            exclude=True,
            note=[
                CARDIAC_12M_NOTE,
                "Heart failure (no 'uncontrolled' qualifier here), MI, stroke, PE, revascularisation and unstable "
                "angina fail; arrhythmia, bradycardia and treated hypertension with BP >= 160/95 go to review.",
                HTN_TREATED_NOTE,
                "BP: most recent value, default 28 days.",
            ],
        )
    )
    add(
        manual(
            "Individuals under legal protection or unable of giving their informed consent", link="C-E8", exclude=True
        )
    )
    add(pregnancy_exclusion("C-E9", "Pregnancy or breast feeding"))
    add(manual("Currently participating to another clinical research protocol", link="C-E10", exclude=True))
    add(
        manual(
            "Individuals under legal protection or unable of giving their informed consent",
            link="C-E8-repeat",
            exclude=True,
            note="The protocol lists this criterion twice; clinical.md keeps one id (C-E8). The second "
            "occurrence is kept as its own line.",
        )
    )
    add(manual("MRI scan contraindicated", link="C-E11", exclude=True))
    add(
        any_of(
            "LUTATHERA® contraindicated or toxicity during one of the IV administrations leading to a reduction or "
            "cancellation of the following dose",
            [
                judge(
                    all_of(
                        "Reduced LUTATHERA® dosing in the first PRRT course: was it for toxicity?",
                        [
                            records(
                                "LUTATHERA® administrations recorded", ["MedicationAdministration"], "vs-lu177-drug"
                            ),
                            derived(
                                "A LUTATHERA® dose below 6.66 GBq (7.4 GBq - 10 %) in the first PRRT course",
                                "minimum-activity",
                                "<",
                                6.66,
                                "GBq",
                                methods=["first-course"],
                                input_valueset="vs-lu177-drug",
                                tfe=[window(None, 0, "d")],
                            ),
                        ],
                    )
                ),
                manual("LUTATHERA® contraindicated, or a dose reduced or cancelled because of toxicity"),
            ],
            link="C-E12",
            exclude=True,
            note="A first-course dose below 7.4 GBq - 10 % (6.66 GBq, the tolerance of clinical.md C-E12) goes to "
            "review, as clinical.md says when the reason is unknown: the toxicity behind a reduction is not coded. "
            "Cancelled cycles (not-done) are not read by the engine; contraindication and cancellation are attested.",
        )
    )
    return out
