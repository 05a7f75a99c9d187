"""Medicines (ATC, RxNorm, HCPCS): Lutathera, somatostatin analogues, chemotherapy, steroids, and their value sets."""

from __future__ import annotations

from .atc_l01 import ALKYLATORS, IFN, L01_ALL, MTORI, RTKI, STEROIDS
from .fhir import CPT, HCPCS
from .vs_concepts import A, P, R, S
from .vs_registry import vs

LU177 = [
    A("V10XX04", "lutetium (177Lu) oxodotreotide"),
    R("1999682", "Lutathera (lutetium Lu 177 dotatate) product"),
    R("1999687", "Lutathera (lutetium Lu 177 dotatate) product"),
    # the US billing code of the drug itself (per millicurie): how US pharmacy/charge data name a Lutathera dose
    (HCPCS, "A9513", "Lutetium Lu 177, dotatate, therapeutic, 1 millicurie"),
]
# the evaluator reads these codes this way for every criterion (fhir_eligibility/terminology/generic.py)
GENERIC_PROCEDURE_NOTE = (
    " A Procedure counts as a Lutathera cycle only when it codes the product (usedCode, clinical.md §2.5); a "
    "generic radionuclide therapy alone (SNOMED CT 399315003 / 427541000119103, CPT 79101: it may be I-131) is "
    "uncertain unless a Lutathera record lies within a day."
)
LU177_CODES_NOTE = (
    " Lutathera is read under ATC V10XX04, its RxNorm products and HCPCS A9513 (the US drug billing code); CPT "
    "79101 (IV radiopharmaceutical therapy) names the act, not the radiopharmaceutical (it also bills I-131 MIBG "
    "or 223Ra): like the generic radionuclide-therapy procedures it counts only with the product coded or a "
    "Lutathera record within a day, and otherwise leaves the criterion unknown."
)
PRRT_PROC = [
    S("399315003", "Radionuclide therapy (procedure)"),
    S("427541000119103", "Intravenous radionuclide therapy (procedure)"),
    # the act, not the product: read as the SNOMED CT concepts above (fhir_eligibility/terminology/generic.py)
    (CPT, "79101", "Radiopharmaceutical therapy, by intravenous administration"),
]
vs(
    "vs-lu177",
    "177Lu-DOTATATE (Lutathera) administrations",
    "ATC V10XX04, RxNorm Lutathera products, HCPCS A9513 (Lutetium Lu 177, dotatate, therapeutic, 1 mCi: the "
    "drug's own billing code); Procedures radionuclide therapy 399315003 / 427541000119103 and CPT 79101 "
    "(radiopharmaceutical therapy by intravenous administration), de-duplicated by date against administrations. "
    "The three name the act, not the product (an I-131 or 223Ra therapy is coded the same way): the engine "
    "counts such a procedure only when its usedCode codes the product or a Lutathera record lies within a day, "
    "and otherwise it leaves the criterion unknown (fhir_eligibility/terminology/generic.py). 440252007 "
    "'Administration of radiopharmaceutical' is not included: it also codes diagnostic tracer injections.",
    [*LU177, *PRRT_PROC],
)
vs(
    "vs-lu177-drug",
    "177Lu-DOTATATE (drug codes only; activity sums)",
    "ATC V10XX04, RxNorm Lutathera, HCPCS A9513.",
    LU177,
)

# RxNorm (issue: drug value sets were ATC-only, clinical.md §0.8 matches ATC or RxNorm). The engine matches
# codes exactly (no RxNorm hierarchy), so ingredient (TTY IN) RxCUIs and the common product (SCD) RxCUIs are
# both listed. Where each was checked: RXNORM_SOURCES. Not added (no public source confirmed the RxCUI):
# the ingredients octreotide, lanreotide, pasireotide, temozolomide, streptozocin, doxorubicin, everolimus,
# lutetium Lu 177 dotatate (their products are listed where a source names them).
RXNORM_SOURCES = {
    "IN": "CPIC drug table (cpicpgx/cpic-schema drug.sql: drug ids are RxNorm ingredient RxCUIs; its later export "
    "adds the ATC code, e.g. RxNorm:2555 cisplatin L01XA01, RxNorm:5880 interferon alfa-2b L03AB05); cross-checked "
    "for carboplatin, etoposide, sunitinib with the NMDP/CIBMTR FHIR IG RxNorm value sets (#40048 carboplatin, "
    "#4179 etoposide, #357977 sunitinib) and for capecitabine and fluorouracil with an RxNav-sourced ingredient "
    "map (194000, 4492)",
    "SCD chemotherapy": "VSAC 'Chemotherapy Agents for Advanced Cancer' / 'Chemotherapy for Advanced Cancer' "
    "eCQM expansions (canvas-medical/canvas-plugins value_set v2022/v2026, RxNorm code + SCD name); carboplatin "
    "597195 also in a drug-database RxNorm report",
    "SCD sunitinib": "NMDP/CIBMTR FHIR IG RxNorm value set (616279, 616285, 616289, 1541890 with SCD names)",
    "SCD glucocorticoids": "VSAC 'Glucocorticoids (oral only)' 2.16.840.1.113883.3.464.1003.196.12.1266 (eCQM "
    "update 2021-05-06, canvas-plugins v2022) without fludrocortisone (a mineralocorticoid, ATC H02AA) and "
    "triamcinolone oral paste (topical)",
    "SCD octreotide": "312071 'octreotide 1 MG/ML Injectable Solution': a drug-database RxNorm report (formulation "
    "string and RxCUI) and openFDA NDC listings of octreotide acetate 200/1000 mcg/mL multi-dose vials",
}
# ATC classifies a substance by its use, and RxNorm's tablets by strength tell the two products apart:
# Afinitor (antineoplastic: 2.5 / 5 / 7.5 / 10 mg tablets, 2 / 3 / 5 mg tablets for oral suspension) and
# Zortress (transplant immunosuppressant: 0.25 / 0.5 / 0.75 / 1 mg tablets, prescribing information). Only
# the antineoplastic codes are anticancer therapy (clinical.md VS-MTORI = ATC L01EG, VS-CHEMO = L01); every
# code is everolimus exposure (VS-EVEROLIMUS, B-I3b).
EVEROLIMUS_ONC_RX = [
    R("845507", "everolimus 10 MG Oral Tablet"),
    R("845515", "everolimus 5 MG Oral Tablet"),
    R("998189", "everolimus 2.5 MG Oral Tablet"),
    R("1119400", "everolimus 7.5 MG Oral Tablet"),
    R("1308428", "everolimus 2 MG Tablet for Oral Suspension"),
    R("1308430", "everolimus 3 MG Tablet for Oral Suspension"),
    R("1308432", "everolimus 5 MG Tablet for Oral Suspension"),
]
EVEROLIMUS_TX_RX = [
    R("2056895", "everolimus 1 MG Oral Tablet"),
    R("977427", "everolimus 0.25 MG Oral Tablet"),
    R("977434", "everolimus 0.5 MG Oral Tablet"),
    R("977438", "everolimus 0.75 MG Oral Tablet"),
]
EVEROLIMUS_RX = [*EVEROLIMUS_ONC_RX, *EVEROLIMUS_TX_RX]
EVEROLIMUS_ONC_ATC = [A("L01EG02", "everolimus (antineoplastic)"), A("L01XE10", "everolimus (ATC before 2021)")]
EVEROLIMUS_TX_ATC = [
    A("L04AH02", "everolimus (immunosuppressant)"),
    A("L04AA18", "everolimus (immunosuppressant, ATC before 2022)"),
]
EVEROLIMUS_ATC = [*EVEROLIMUS_ONC_ATC, *EVEROLIMUS_TX_ATC]
EVEROLIMUS = [*EVEROLIMUS_ATC, *EVEROLIMUS_RX]
vs(
    "vs-everolimus",
    "Everolimus",
    "ATC (current and pre-2021/2022 codes, antineoplastic L01 and immunosuppressant L04) and RxNorm SCDs "
    "(tablets of both products, tablets for oral suspension; RXNORM_SOURCES): everolimus exposure whatever it "
    "was given for (B-I3b). Anticancer criteria read vs-mtori, without the transplant codes. The everolimus "
    "ingredient RxCUI is not verified (clinical.md §2.4) and is not listed.",
    EVEROLIMUS,
)
vs(
    "vs-everolimus-use-unknown",
    "Everolimus whose use the code does not tell (review)",
    "The project code everolimus-use-unknown, to which a site maps an ingredient-level everolimus code (RxNorm "
    "ingredient, a local drug code): such a record may be anticancer therapy or a transplant immunosuppressant, "
    "so the anticancer criteria review it (never fail or pass it). The RxNorm ingredient RxCUI itself is not "
    "verified (clinical.md §2.4) and is not listed.",
    [P("everolimus-use-unknown", "Everolimus, use not coded")],
)
SSA_RX = [R("312071", "octreotide 1 MG/ML Injectable Solution")]
SSA = [A("H01CB02", "octreotide"), A("H01CB03", "lanreotide"), A("H01CB05", "pasireotide"), *SSA_RX]
SSA_NOTE = (
    " RxNorm: the octreotide SCD 312071 (short-acting injectable solution; RXNORM_SOURCES). The ingredient RxCUIs "
    "of octreotide, lanreotide and pasireotide could not be confirmed in a public source and are not listed: a "
    "site whose records carry only those maps them with a ConceptMap (--terminology)."
)
vs("vs-ssa", "Somatostatin analogues", "ATC H01CB02, H01CB03, H01CB05." + SSA_NOTE, SSA)
vs(
    "vs-ssa-long",
    "Long-acting somatostatin analogue (lanreotide)",
    "ATC H01CB03 lanreotide (marketed only as long-acting depot). Octreotide/pasireotide ATC codes do not tell "
    "LAR from s.c. forms and are reviewed separately.",
    [A("H01CB03", "lanreotide")],
)
vs(
    "vs-ssa-form-unknown",
    "Somatostatin analogue whose ATC code does not tell long- from short-acting",
    "ATC H01CB02 octreotide, H01CB05 pasireotide (the engine still reads the product wording and route of "
    "every vs-ssa record, RxNorm-coded ones included).",
    [A("H01CB02", "octreotide"), A("H01CB05", "pasireotide")],
)
# ATC groups (the engine matches a drug's code by the groups it belongs to, codes.with_atc_groups)
ANTIHYPERTENSIVES = [
    A("C02", "ANTIHYPERTENSIVES"),
    A("C03", "DIURETICS"),
    A("C07", "BETA BLOCKING AGENTS"),
    A("C08", "CALCIUM CHANNEL BLOCKERS"),
    A("C09", "AGENTS ACTING ON THE RENIN-ANGIOTENSIN SYSTEM"),
]
vs(
    "vs-antihypertensive",
    "Antihypertensive drugs",
    "ATC groups C02 antihypertensives, C03 diuretics, C07 beta blocking agents, C08 calcium channel blockers and "
    "C09 agents acting on the renin-angiotensin system: the classes that treat hypertension (group names as "
    "in public ATC tables; their substances, e.g. C08CA01 amlodipine and C09AA05 ramipril, in the ATC 2014 list "
    "of clinical.md §2.0). A drug coded under any code of a group is in it. Diuretics and beta blockers also "
    "treat heart failure or arrhythmia: read only beside a BP at or above a limit, where a person reviews "
    "whether the therapy is for hypertension and optimal. No antihypertensive RxNorm code is verified: a site "
    "that codes these drugs only in RxNorm maps them with --terminology.",
    ANTIHYPERTENSIVES,
)
TMZ_RX = [
    R("313209", "temozolomide 20 MG Oral Capsule"),
    R("313210", "temozolomide 250 MG Oral Capsule"),
    R("313211", "temozolomide 5 MG Oral Capsule"),
    R("317160", "temozolomide 100 MG Oral Capsule"),
    R("700883", "temozolomide 140 MG Oral Capsule"),
    R("700885", "temozolomide 180 MG Oral Capsule"),
]

STREPTOZOCIN_RX = [R("239180", "streptozocin 1000 MG Injection")]
SUNITINIB_RX = [
    R("357977", "sunitinib"),
    R("616279", "sunitinib 12.5 MG Oral Capsule"),
    R("616285", "sunitinib 25 MG Oral Capsule"),
    R("616289", "sunitinib 50 MG Oral Capsule"),
    R("1541890", "sunitinib 37.5 MG Oral Capsule"),
]
# other NET chemotherapies (ATC L01, not alkylators or kinase inhibitors): ingredients and SCDs
CYTOTOXIC_RX = [
    R("194000", "capecitabine"),
    R("200327", "capecitabine 150 MG Oral Tablet"),
    R("200328", "capecitabine 500 MG Oral Tablet"),
    R("4492", "fluorouracil"),
    R("239177", "fluorouracil 50 MG/ML Injectable Solution"),
    R("1791701", "10 ML fluorouracil 50 MG/ML Injection"),
    R("1791736", "20 ML fluorouracil 50 MG/ML Injection"),
    R("32592", "oxaliplatin"),
    R("1736776", "10 ML oxaliplatin 5 MG/ML Injection"),
    R("1736781", "20 ML oxaliplatin 5 MG/ML Injection"),
    R("1797528", "40 ML oxaliplatin 5 MG/ML Injection"),
    R("1736784", "oxaliplatin 50 MG Injection"),
    R("1736786", "oxaliplatin 100 MG Injection"),
    R("2555", "cisplatin"),
    R("309311", "cisplatin 1 MG/ML Injectable Solution"),
    R("1736854", "cisplatin 50 MG Injection"),
    R("40048", "carboplatin"),
    R("597195", "carboplatin 10 MG/ML Injectable Solution"),
    R("4179", "etoposide"),
    R("197687", "etoposide 50 MG Oral Capsule"),
    R("199315", "etoposide 100 MG Oral Capsule"),
    R("310248", "etoposide 20 MG/ML Injectable Solution"),
    R("1734340", "etoposide 100 MG Injection"),
    R("1191138", "doxorubicin hydrochloride 2 MG/ML Injectable Solution"),
    R("1790095", "doxorubicin hydrochloride 50 MG Injection"),
    R("1790097", "5 ML doxorubicin hydrochloride 2 MG/ML Injection"),
    R("1790099", "10 ML doxorubicin hydrochloride 2 MG/ML Injection"),
    R("1790100", "25 ML doxorubicin hydrochloride 2 MG/ML Injection"),
    R("1790103", "doxorubicin hydrochloride 10 MG Injection"),
    R("1872062", "doxorubicin hydrochloride 20 MG Injection"),
]
IFN_RX = [
    R("5880", "interferon alfa-2b"),
    R("120608", "peginterferon alfa-2a"),
    R("253453", "peginterferon alfa-2b"),
]
# every RxNorm code of an antineoplastic (ATC L01) drug: temozolomide, streptozocin, sunitinib, the cytotoxics,
# everolimus (its antineoplastic tablets only)
CHEMO_RX = [*TMZ_RX, *STREPTOZOCIN_RX, *SUNITINIB_RX, *CYTOTOXIC_RX, *EVEROLIMUS_ONC_RX]
STEROID_RX = [
    R("197577", "dexamethasone 0.5 MG Oral Tablet"),
    R("197579", "dexamethasone 1 MG Oral Tablet"),
    R("197580", "dexamethasone 1.5 MG Oral Tablet"),
    R("197581", "dexamethasone 2 MG Oral Tablet"),
    R("197582", "dexamethasone 4 MG Oral Tablet"),
    R("197583", "dexamethasone 6 MG Oral Tablet"),
    R("343033", "dexamethasone 0.75 MG Oral Tablet"),
    R("2261802", "dexamethasone 20 MG Oral Tablet"),
    R("309684", "dexamethasone 1 MG/ML Oral Solution"),
    R("309686", "dexamethasone 0.1 MG/ML Oral Solution"),
    R("759481", "{51 (dexamethasone 1.5 MG Oral Tablet) } Pack"),
    R("759697", "{35 (dexamethasone 1.5 MG Oral Tablet) } Pack"),
    R("846192", "{21 (dexamethasone 1.5 MG Oral Tablet) } Pack"),
    R("2121587", "{39 (dexamethasone 1.5 MG Oral Tablet) } Pack"),
    R("197783", "hydrocortisone 20 MG Oral Tablet"),
    R("197787", "hydrocortisone 5 MG Oral Tablet"),
    R("828248", "cortisone acetate 25 MG Oral Tablet"),
    R("197969", "methylprednisolone 2 MG Oral Tablet"),
    R("259966", "methylprednisolone 4 MG Oral Tablet"),
    R("197973", "methylprednisolone 8 MG Oral Tablet"),
    R("328161", "methylprednisolone 16 MG Oral Tablet"),
    R("197971", "methylprednisolone 32 MG Oral Tablet"),
    R("762675", "{21 (methylprednisolone 4 MG Oral Tablet) } Pack"),
    R("198142", "prednisolone 5 MG Oral Tablet"),
    R("429199", "prednisolone 20 MG Oral Tablet"),
    R("643123", "prednisolone 10 MG Disintegrating Oral Tablet"),
    R("643127", "prednisolone 30 MG Disintegrating Oral Tablet"),
    R("312614", "prednisolone 1 MG/ML Oral Solution"),
    R("794979", "prednisolone 2 MG/ML Oral Solution"),
    R("283077", "prednisolone 3 MG/ML Oral Solution"),
    R("702306", "prednisolone 4 MG/ML Oral Solution"),
    R("249066", "prednisolone 5 MG/ML Oral Solution"),
    R("793099", "prednisolone 3 MG/ML Oral Suspension"),
    R("1005830", "{48 (prednisolone 5 MG Oral Tablet) } Pack"),
    R("1013114", "{21 (prednisolone 5 MG Oral Tablet) } Pack"),
    R("198144", "prednisone 1 MG Oral Tablet"),
    R("198146", "prednisone 2.5 MG Oral Tablet"),
    R("312617", "prednisone 5 MG Oral Tablet"),
    R("198145", "prednisone 10 MG Oral Tablet"),
    R("312615", "prednisone 20 MG Oral Tablet"),
    R("198148", "prednisone 50 MG Oral Tablet"),
    R("315187", "prednisone 1 MG/ML Oral Solution"),
    R("205301", "prednisone 5 MG/ML Oral Solution"),
    R("1303125", "prednisone 1 MG Delayed Release Oral Tablet"),
    R("1303132", "prednisone 2 MG Delayed Release Oral Tablet"),
    R("1303135", "prednisone 5 MG Delayed Release Oral Tablet"),
    R("763179", "{48 (prednisone 5 MG Oral Tablet) } Pack"),
    R("763181", "{21 (prednisone 5 MG Oral Tablet) } Pack"),
    R("763183", "{48 (prednisone 10 MG Oral Tablet) } Pack"),
    R("763185", "{21 (prednisone 10 MG Oral Tablet) } Pack"),
]
RX_NOTE = " RxNorm ingredient and product codes (RXNORM_SOURCES; the engine matches codes exactly)."


vs(
    "vs-alkylator",
    "Alkylating agents",
    "ATC L01A (class code and every substance, ATC 2024) + temozolomide and streptozocin RxNorm SCDs (the "
    "ingredient RxCUIs are not verified). Platinum compounds are ATC L01XA, not alkylators, as in the rest of "
    "the project.",
    [A("L01A", "ALKYLATING AGENTS"), *[A(c, d) for c, d in ALKYLATORS], *TMZ_RX, *STREPTOZOCIN_RX],
)
vs(
    "vs-mtori",
    "mTOR inhibitors",
    "ATC L01EG (temsirolimus, everolimus), the pre-2021 everolimus code L01XE10 and the RxNorm SCDs of "
    "antineoplastic everolimus (Afinitor strengths). Not the transplant immunosuppressant (ATC L04AH02 / "
    "L04AA18, the 0.25-1 mg tablets): ATC classes everolimus by its use, and clinical.md VS-MTORI is L01EG only "
    "(before, they were here and in the anticancer unions, and a kidney-transplant patient failed D-E7 and B-I5).",
    [
        A("L01EG", "Mammalian target of rapamycin (mTOR) kinase inhibitors"),
        *[A(c, d) for c, d in MTORI],
        EVEROLIMUS_ONC_ATC[1],
        *EVEROLIMUS_ONC_RX,
    ],
)
vs(
    "vs-rtki",
    "Receptor tyrosine-kinase inhibitors (L01EX)",
    "ATC L01EX substances (ATC 2024) + sunitinib pre-2021 code L01XE04 + sunitinib RxNorm ingredient and capsule SCDs.",
    [
        A("L01EX", "Other protein kinase inhibitors"),
        *[A(c, d) for c, d in RTKI],
        A("L01XE04", "sunitinib (ATC before 2021)"),
        *SUNITINIB_RX,
    ],
)
vs(
    "vs-ifn",
    "Interferons",
    "ATC L03AB interferon alfa substances + RxNorm ingredients interferon alfa-2b, peginterferon alfa-2a / "
    "alfa-2b (RXNORM_SOURCES).",
    [A("L03AB", "Interferons"), *[A(c, d) for c, d in IFN], *IFN_RX],
)
CHEMO_PROC = S("367336001", "Chemotherapy (procedure)")
vs(
    "vs-chemo",
    "Antineoplastic agents (ATC L01, all)",
    "ATC L01 class code and every L01 substance of ATC 2024, pre-2021 codes L01XE04/L01XE10, plus RxNorm "
    "codes of the NET chemotherapies (capecitabine, fluorouracil, oxaliplatin, cisplatin, carboplatin, "
    "etoposide: ingredient and SCDs; temozolomide, streptozocin, doxorubicin: SCDs; everolimus: the "
    "antineoplastic SCDs, not the transplant tablets; sunitinib: "
    "ingredient and SCDs), and SNOMED 367336001 Chemotherapy (procedure) for chemotherapy recorded as a "
    "Procedure (mCODE)." + RX_NOTE,
    [
        CHEMO_PROC,
        A("L01", "ANTINEOPLASTIC AGENTS"),
        *[A(c, d) for c, d in L01_ALL],
        A("L01XE04", "sunitinib (ATC before 2021)"),
        A("L01XE10", "everolimus (ATC before 2021)"),
        *CHEMO_RX,
    ],
)
vs(
    "vs-systemic-net-therapy",
    "Systemic or radionuclide therapy for NET other than somatostatin analogues",
    "Union of vs-chemo (ATC L01 with the mTOR inhibitors of vs-mtori, chemotherapy procedure), vs-ifn and "
    "vs-lu177. Everolimus given as a transplant immunosuppressant (ATC L04, the 0.25-1 mg tablets) is not "
    "therapy for NET.",
    [
        CHEMO_PROC,
        A("L01", "ANTINEOPLASTIC AGENTS"),
        *[A(c, d) for c, d in L01_ALL],
        A("L01XE04", "sunitinib (ATC before 2021)"),
        A("L01XE10", "everolimus (ATC before 2021)"),
        *CHEMO_RX,
        A("L03AB", "Interferons"),
        *[A(c, d) for c, d in IFN],
        *IFN_RX,
        *LU177,
        *PRRT_PROC,
    ],
)
vs(
    "vs-steroid",
    "Systemic glucocorticoids",
    "ATC H02AB class code and substances (ATC 2024 list), and the RxNorm SCDs of oral glucocorticoids (VSAC "
    "'Glucocorticoids (oral only)', RXNORM_SOURCES). Glucocorticoid ingredient RxCUIs are deliberately not "
    "listed: an ingredient code does not tell a systemic steroid from an inhaled, topical or ophthalmic one "
    "(budesonide, triamcinolone, hydrocortisone, dexamethasone all exist as both). Injectable SCDs are not "
    "verified: a steroid given IV and coded only by product is found by its ATC code or mapped by the site.",
    [A("H02AB", "Glucocorticoids"), *[A(c, d) for c, d in STEROIDS], *STEROID_RX],
)
