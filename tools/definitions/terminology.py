"""Every code the definitions use, grouped into the value sets of clinical.md §2.5.

Only codes clinical.md marks verified (V / V(code)) are used, plus the ICD expansions generated
from the same offline sources into ``icd_codes.json`` (see gen_icd_data.py), the ATC substances of
the MII systemic-therapy value set (validated against ATC 2024) for the class value sets, four
qualifier/answer codes for test results (noted in ``EXTRA_CODES``), and the SNOMED CT / CPT codes of
``SNOMED_SOURCES`` (issue 13: codes that Synthea and mCODE data actually emit, each checked against
public artefacts). Local concepts live in the project CodeSystem (``codesystem.py``).

Hierarchies ("any malignant neoplasm except ...") are written as SNOMED CT ``is-a`` filters in the
ValueSet compose (``HIERARCHY``), and the shipped expansion is the explicit reviewed list below: no
terminology server is reachable from the product's tests, so nothing is expanded at run time.
"""

from __future__ import annotations

import json
from pathlib import Path

from .fhir import ATC, CPT, HCPCS, ICD10, ICD10CM, ICD10PCS, ICDO3, LOINC, PROJECT_CS, RXNORM, SNOMED

Concept = tuple[str, str, str]  # (system, code, display)

_ICD = json.loads(Path(__file__).with_name("icd_codes.json").read_text(encoding="utf-8"))


def cm(group: str) -> list[Concept]:
    return [(ICD10CM, c, d) for c, d in _ICD["icd-10-cm"][group]]


def who(group: str) -> list[Concept]:
    return [(ICD10, c, d) for c, d in _ICD["icd-10"][group]]


def cm_codes(group: str, *codes: str) -> list[Concept]:
    table = dict(_ICD["icd-10-cm"][group])
    return [(ICD10CM, c, table[c]) for c in codes]


def L(code: str, display: str) -> Concept:
    return (LOINC, code, display)


def S(code: str, display: str) -> Concept:
    return (SNOMED, code, display)


def A(code: str, display: str) -> Concept:
    return (ATC, code, display)


def R(code: str, display: str) -> Concept:
    return (RXNORM, code, display)


def ICDO(code: str, display: str) -> Concept:
    return (ICDO3, code, display)


def P(code: str, display: str) -> Concept:
    return (PROJECT_CS, code, display)


# ---- laboratory / clinical observations (LOINC; Observation leaves list these as type.coding) ----

LAB: dict[str, tuple[str, list[Concept]]] = {
    "vs-hb": (
        "Haemoglobin",
        [L("718-7", "Hemoglobin [Mass/volume] in Blood"), L("59260-0", "Hemoglobin [Moles/volume] in Blood")],
    ),
    "vs-plt": (
        "Platelets",
        [L("777-3", "Platelets [#/volume] in Blood by Automated count"), L("26515-7", "Platelets [#/volume] in Blood")],
    ),
    "vs-anc": (
        "Absolute neutrophil count",
        [
            L("751-8", "Neutrophils [#/volume] in Blood by Automated count"),
            L("26499-4", "Neutrophils [#/volume] in Blood"),
        ],
    ),
    "vs-neut-pct": (
        "Neutrophils per 100 leukocytes (differential)",
        [
            L("770-8", "Neutrophils/100 leukocytes in Blood by Automated count"),
            L("23761-0", "Neutrophils/100 leukocytes in Blood by Manual count"),
            L("26511-6", "Neutrophils/100 leukocytes in Blood"),
        ],
    ),
    "vs-wbc": (
        "Leukocytes",
        [
            L("6690-2", "Leukocytes [#/volume] in Blood by Automated count"),
            L("26464-8", "Leukocytes [#/volume] in Blood"),
        ],
    ),
    "vs-scr": (
        "Serum creatinine",
        [
            L("2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
            L("14682-9", "Creatinine [Moles/volume] in Serum or Plasma"),
            L("38483-4", "Creatinine [Mass/volume] in Blood"),
            L("59826-8", "Creatinine [Moles/volume] in Blood"),
        ],
    ),
    "vs-crcl": (
        "Creatinine clearance (measured 24-h urine, or lab-reported Cockcroft-Gault)",
        [
            L("2164-2", "Creatinine renal clearance in 24 hour Urine and Serum or Plasma"),
            L("35591-7", "Creatinine renal clearance predicted by Cockcroft-Gault formula"),
        ],
    ),
    "vs-egfr-mdrd": (
        "eGFR by MDRD",
        [
            L(
                "33914-3",
                "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by "
                "Creatinine-based formula (MDRD)",
            ),
            L(
                "77147-7",
                "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood "
                "by Creatinine-based formula (MDRD)",
            ),
            L(
                "48642-3",
                "Glomerular filtration rate/1.73 sq M.predicted among non-blacks [Volume Rate/Area] in Serum, "
                "Plasma or Blood by Creatinine-based formula (MDRD)",
            ),
            L(
                "48643-1",
                "Glomerular filtration rate/1.73 sq M.predicted among blacks [Volume Rate/Area] in Serum, "
                "Plasma or Blood by Creatinine-based formula (MDRD)",
            ),
        ],
    ),
    "vs-mgfr": (
        "Measured GFR by 51Cr-EDTA plasma clearance (local code: no LOINC exists)",
        [P("mgfr-51cr-edta", "GFR by 51Cr-EDTA plasma clearance")],
    ),
    "vs-bili": (
        "Total bilirubin",
        [
            L("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma"),
            L("14631-6", "Bilirubin.total [Moles/volume] in Serum or Plasma"),
        ],
    ),
    "vs-alt": (
        "ALT",
        [
            L("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma"),
            L("1743-4", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma by With P-5'-P"),
        ],
    ),
    "vs-ast": (
        "AST",
        [
            L("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma"),
            L("30239-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma by With P-5'-P"),
        ],
    ),
    "vs-alb": ("Serum albumin", [L("1751-7", "Albumin [Mass/volume] in Serum or Plasma")]),
    "vs-pt-time": (
        "Prothrombin time in seconds and INR (prolongation = abnormal)",
        [
            L("5902-2", "Prothrombin time (PT) in Platelet poor plasma by Coagulation assay"),
            L("6301-6", "INR in Platelet poor plasma by Coagulation assay"),
            L("34714-6", "INR in Blood by Coagulation assay"),
        ],
    ),
    "vs-pt-percent": (
        "Prothrombin activity in % (Quick value, 'taux de prothrombine'; low = abnormal)",
        [L("5894-1", "Prothrombin time (PT) actual/Normal")],
    ),
    "vs-pt": (
        "Prothrombin time, all forms (clinical.md VS-PT; criteria use vs-pt-time and vs-pt-percent separately)",
        [
            L("5902-2", "Prothrombin time (PT) in Platelet poor plasma by Coagulation assay"),
            L("5894-1", "Prothrombin time (PT) actual/Normal"),
            L("6301-6", "INR in Platelet poor plasma by Coagulation assay"),
            L("34714-6", "INR in Blood by Coagulation assay"),
        ],
    ),
    "vs-egfr-ckdepi": (
        "eGFR by CKD-EPI (not requested by the five trials; for display)",
        [
            L(
                "62238-1",
                "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood "
                "by Creatinine-based formula (CKD-EPI)",
            ),
            L(
                "98979-8",
                "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood "
                "by Creatinine-based formula (CKD-EPI 2021)",
            ),
        ],
    ),
    "vs-fbg": (
        "Fasting glucose",
        [
            L("1558-6", "Fasting glucose [Mass/volume] in Serum or Plasma"),
            L("14771-0", "Fasting glucose [Moles/volume] in Serum or Plasma"),
        ],
    ),
    "vs-ecog": (
        "ECOG performance status",
        [
            L("89247-1", "ECOG Performance Status score"),
            S("423740007", "Eastern Cooperative Oncology Group performance status (observable entity)"),
        ],
    ),
    "vs-nyha": ("NYHA functional class", [L("88020-3", "Functional capacity NYHA")]),
    "vs-lvef": (
        "Left ventricular ejection fraction",
        [
            L("10230-1", "Left ventricular Ejection fraction"),
            L("18043-0", "Left ventricular Ejection fraction by US"),
            L("8806-2", "Left ventricular Ejection fraction by 2D echo"),
        ],
    ),
    "vs-hcg": (
        "Pregnancy tests (hCG) and pregnancy status",
        [
            L("2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine"),
            L("2118-8", "Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma"),
            L("21198-7", "Choriogonadotropin.beta subunit [Units/volume] in Serum or Plasma"),
            L("19080-1", "Choriogonadotropin [Units/volume] in Serum or Plasma"),
            L("80384-1", "Choriogonadotropin (pregnancy test) [Presence] in Urine by Rapid immunoassay"),
            L("80385-8", "Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma by Rapid immunoassay"),
            L("82810-3", "Pregnancy status"),
        ],
    ),
    "vs-hiv-vl": (
        "HIV-1 viral load",
        [L("20447-9", "HIV 1 RNA [#/volume] (viral load) in Serum or Plasma by NAA with probe detection")],
    ),
    "vs-cga": ("Chromogranin A", [L("9811-1", "Chromogranin A [Mass/volume] in Serum or Plasma")]),
    "vs-5hiaa": (
        "5-HIAA, 24-h urine",
        [
            L("1695-6", "5-Hydroxyindoleacetate [Mass/time] in 24 hour Urine"),
            L("14573-0", "5-Hydroxyindoleacetate [Moles/time] in 24 hour Urine"),
        ],
    ),
    "vs-nse": ("Neuron-specific enolase", [L("15060-7", "Neuron-specific enolase, serum")]),
    "vs-ki67": ("Ki-67 proliferation index", [L("29593-1", "Cells.Ki-67 nuclear Ag/cells in Tissue by Immune stain")]),
    "vs-bp": (
        "Blood pressure (systolic / diastolic)",
        [L("8480-6", "Systolic blood pressure"), L("8462-4", "Diastolic blood pressure")],
    ),
    "vs-weight": ("Body weight", [L("29463-7", "Body weight")]),
}


def lab(vs_id: str) -> list[tuple[str, str, str]]:
    """Codings for an Observation leaf's ``type`` (all codings are alternatives)."""
    return [(s, c, d) for s, c, d in LAB[vs_id][1]]


def lab_codes(*codes: str) -> list[tuple[str, str, str]]:
    table = {c: (s, c, d) for _, (_, concepts) in LAB.items() for s, c, d in concepts}
    return [table[c] for c in codes]


# Result qualifiers (not in clinical.md; checked in public FHIR artefacts, see report).
NEGATIVE = [S("260385009", "Negative"), L("LA6577-6", "Negative")]
POSITIVE = [S("10828004", "Positive"), L("LA6576-8", "Positive")]
NOT_DETECTED = [S("260415000", "Not detected")]
PREGNANT = [L("LA15173-0", "Pregnant"), S("77386006", "Pregnant")]
EXTRA_CODES = [
    "SNOMED 260385009 Negative",
    "SNOMED 10828004 Positive",
    "LOINC LA6577-6 Negative",
    "LOINC LA6576-8 Positive",
    "SNOMED 260415000 Not detected",
    "LOINC LA15173-0 Pregnant",
]

QUAL_HCG = ["2106-3", "2118-8", "80384-1", "80385-8"]
QUANT_HCG = ["21198-7", "19080-1"]
SERUM_QUAL_HCG = ["2118-8", "80385-8"]

# ---- morphology / site building blocks -------------------------------------------------------

NET_MORPH = [
    ICDO("8240/3", "Neuroendocrine tumour, NOS / grade 1"),
    ICDO("8249/3", "Neuroendocrine tumour, grade 2 / grade 3"),
    # ICD-O-3(.2) well-differentiated NET subtypes (ICDO_SOURCES): serotonin- / ECL-cell NETs and the
    # pancreatic NETs, non-functioning and functioning (WHO 2019 digestive system tumours)
    ICDO("8241/3", "Enterochromaffin cell carcinoid (serotonin-producing NET)"),
    ICDO("8242/3", "Enterochromaffin-like cell tumor, malignant (ECL-cell NET)"),
    ICDO("8150/3", "Pancreatic neuroendocrine tumor, nonfunctioning (islet cell carcinoma)"),
    ICDO("8151/3", "Insulinoma, malignant"),
    ICDO("8152/3", "Glucagonoma, malignant"),
    ICDO("8153/3", "Gastrinoma, malignant"),
    ICDO("8155/3", "Vipoma, malignant"),
    ICDO("8156/3", "Somatostatinoma, malignant"),
    ICDO("8158/3", "ACTH-producing tumor"),
    S("1286768001", "Well-differentiated neuroendocrine tumor (morphologic abnormality)"),
]
NET_MORPH_TEXT = "ICD-O-3 8240/3, 8249/3, 8241/3, 8242/3, 815x/3"
# where each ICD-O-3 code beyond clinical.md's verified ones was checked (two public lists each)
ICDO_SOURCES = {
    "8241/3 8242/3 8150/3 8151/3 8152/3 8153/3 8155/3 8156/3": "an ICD-O-3 (2000) WHO morphology table in "
    "English/French (five-digit codes with behaviour, e.g. 81503 'Islet cell carcinoma', 81513 'Insulinoma, "
    "malignant') and an ICD-O-3.2 term list ('8150/3 Pancreatic neuroendocrine tumor, nonfunctioning', '8151/3 "
    "Insulinoma, NOS' ... '8241/3 Enterochromaffin cell carcinoid', '8242/3 Enterochromaffin-like cell tumor, "
    "malignant')",
    "8158/3": "the ICD-O-3.2 term list ('8158/3 ACTH-producing tumor') and an ICD-O ontology export "
    "('Acth-Producing Tumor icdo:8158/3'); 8683 is gangliocytic paraganglioma /0 (benign): not added",
}
NEC = [
    *cm_codes("net-c7a", "C7A.1"),
    ICDO("8246/3", "Neuroendocrine carcinoma, NOS"),
    ICDO("8013/3", "Large cell neuroendocrine carcinoma"),
    ICDO("8041/3", "Small cell neuroendocrine carcinoma"),
    S("253000007", "Neuroendocrine carcinoma (disorder)"),
    S("128628002", "Large cell neuroendocrine carcinoma (morphologic abnormality)"),
    S("74364000", "Small cell carcinoma (morphologic abnormality)"),
]

C7A_INTESTINAL = cm_codes(
    "net-c7a",
    "C7A.01",
    "C7A.010",
    "C7A.011",
    "C7A.012",
    "C7A.019",
    "C7A.02",
    "C7A.020",
    "C7A.021",
    "C7A.022",
    "C7A.023",
    "C7A.024",
    "C7A.025",
    "C7A.026",
    "C7A.029",
    "C7A.095",
    "C7A.096",
)
C7A_MIDGUT = cm_codes("net-c7a", "C7A.011", "C7A.012", "C7A.019", "C7A.020", "C7A.021", "C7A.022", "C7A.095")
SN_ASC_COLON_NET = S("130381000119103", "Primary malignant neuroendocrine neoplasm of ascending colon (disorder)")


def who_pick(group: str, *codes: str) -> list[Concept]:
    table = dict(_ICD["icd-10"][group])
    return [(ICD10, c, table[c]) for c in codes]


def cm_pick(group: str, *codes: str) -> list[Concept]:
    return cm_codes(group, *codes)


# SNOMED CT primary malignant neoplasms of each GEP site (SNOMED_SOURCES: mCODE's expansion), so a diagnosis
# coded by site in SNOMED CT alone is found like its ICD-10 code (a missed diagnosis is a closed-world fail)
SN_DUODENUM = S("93775003", "Primary malignant neoplasm of duodenum (disorder)")
SN_JEJUNUM = S("93846004", "Primary malignant neoplasm of jejunum (disorder)")
SN_ILEUM = S("93832004", "Primary malignant neoplasm of ileum (disorder)")
SN_MECKEL = S("93890009", "Primary malignant neoplasm of Meckel's diverticulum (disorder)")
SN_APPENDIX = S("93679002", "Primary malignant neoplasm of appendix (disorder)")
SN_ASC_COLON = S("93683002", "Primary malignant neoplasm of ascending colon (disorder)")
SN_LARGE_BOWEL = [
    S("93826009", "Primary malignant neoplasm of hepatic flexure of colon (disorder)"),
    S("93771007", "Primary malignant neoplasm of descending colon (disorder)"),
    S("94006002", "Primary malignant neoplasm of sigmoid colon (disorder)"),
    S("93854002", "Primary malignant neoplasm of large intestine (disorder)"),
    S("93984006", "Primary malignant neoplasm of rectum (disorder)"),
]
SN_PANCREAS_PRIMARY = S("372003004", "Primary malignant neoplasm of pancreas (disorder)")
SN_STOMACH_PRIMARY = S("372014001", "Primary malignant neoplasm of stomach (disorder)")
SN_STOMACH_PARTS = [
    SN_STOMACH_PRIMARY,
    S("93738008", "Primary malignant neoplasm of cardia of stomach (disorder)"),
    S("93809003", "Primary malignant neoplasm of fundus of stomach (disorder)"),
    S("93717002", "Primary malignant neoplasm of body of stomach (disorder)"),
    S("93818001", "Primary malignant neoplasm of greater curvature of stomach (disorder)"),
    S("93867004", "Primary malignant neoplasm of lesser curvature of stomach (disorder)"),
    S("93976007", "Primary malignant neoplasm of pyloric antrum (disorder)"),
]
SN_ISLETS = S("93843007", "Primary malignant neoplasm of islets of Langerhans (disorder)")  # endocrine pancreas, C25.4
SN_PANCREAS_PARTS = [
    SN_PANCREAS_PRIMARY,
    S("93715005", "Primary malignant neoplasm of body of pancreas (disorder)"),
    SN_ISLETS,
]
SN_INTESTINE_PARTS = [SN_DUODENUM, SN_JEJUNUM, SN_ILEUM, SN_MECKEL, SN_APPENDIX, SN_ASC_COLON, *SN_LARGE_BOWEL]

MIDGUT_SITE = [
    *cm_pick("site-small-intestine", "C17.1", "C17.2", "C17.9"),
    *cm_pick("site-colon-rectum", "C18.0", "C18.1", "C18.2"),
    *who_pick("site-small-intestine", "C17.1", "C17.2", "C17.9"),
    *who_pick("site-colon-rectum", "C18.0", "C18.1", "C18.2"),
    SN_JEJUNUM,
    SN_ILEUM,
    SN_APPENDIX,
    SN_ASC_COLON,
]

# ---- value sets (id -> title, description, concepts) ---------------------------------------------

VALUESETS: dict[str, tuple[str, str, list[Concept]]] = {}
# value set -> the value sets it is the union of (or includes): written as compose.include.valueSet
# besides the flattened concepts, so a site that extends a part (terminology/site.py) extends the
# union the criteria read (the builder checks each part's concepts are already in the union)
PARTS: dict[str, list[str]] = {
    "vs-chemo": ["vs-alkylator", "vs-rtki"],
    "vs-systemic-net-therapy": ["vs-chemo", "vs-ifn", "vs-lu177", "vs-everolimus"],
    "vs-liver-directed": ["vs-liver-resection", "vs-embolization"],
    "vs-anticancer-nonsurgical": ["vs-chemo", "vs-ifn", "vs-lu177", "vs-everolimus", "vs-ebrt", "vs-embolization"],
    "vs-anticancer-treatment": ["vs-anticancer-nonsurgical", "vs-liver-resection"],
}
# vs id -> (SNOMED CT roots included with 'is-a', roots excluded with 'is-a'); the compose states the intent,
# the expansion stays the explicit reviewed list (the engine reads the expansion and the concept lists).
HIERARCHY: dict[str, tuple[list[Concept], list[Concept]]] = {}

EXPANSION_NOTE = (
    " SNOMED CT: compose includes is-a {inc}{exc}. No terminology server is reachable from the product's tests, "
    "so the shipped expansion is an explicit reviewed list (beside the ICD codes, where the value set has them): "
    "the SNOMED CT concepts verified in clinical.md §2 or emitted by Synthea / mCODE data (../shared/realdata "
    "and their public sources), each checked to fall under the root; a site may extend it with its own "
    "terminology."
)


def vs(
    vs_id: str,
    title: str,
    description: str,
    concepts: list[Concept],
    *,
    is_a: list[Concept] | None = None,
    not_a: list[Concept] | None = None,
) -> None:
    """Register a value set; ``is_a``/``not_a`` roots become compose filters and are named in the description."""
    assert vs_id not in VALUESETS, vs_id
    if is_a:
        inc = ", ".join(f"{c} |{d}|" for _, c, d in is_a)
        exc = (" minus is-a " + ", ".join(f"{c} |{d}|" for _, c, d in not_a)) if not_a else ""
        description += EXPANSION_NOTE.format(inc=inc, exc=exc)
        HIERARCHY[vs_id] = (is_a, not_a or [])
    VALUESETS[vs_id] = (title, description, concepts)


# ---- SNOMED CT concepts added for issue 13 (code -> where it was seen) -------------------------------------
# "data": emitted in ../shared/realdata (Synthea bundles, mCODE IG examples, HL7 examples); "synthea": in
# Synthea's module definitions (colorectal, lung, cardiovascular, HIV modules); "public": several independent
# public FHIR/terminology artefacts agree on code and meaning. clinical.md-verified codes are not repeated here.
SNOMED_SOURCES = {
    "76498008": "the German Medical Informatics Initiative oncology IG (menopause status searched as "
    "value-concept=http://snomed.info/sct|76498008, 'Postmenopausal state')",
    "408643008": "data (mCODE trial-matching app; the issue's Synthea/mCODE breast cancer)",
    "254837009": "data (mCODE IG FSH examples)",
    "372137005": "data (mCODE IG FSH examples)",
    "353431000119107": "data (mCODE IG FSH examples)",
    "188152004": "data (mCODE extraction framework)",
    "363358000": "data (HL7 R4 examples)",
    "254637007": "data (HL7 R4 examples, mCODE IG 2020 examples)",
    "254632001": "synthea lung module, public",
    "399068003": "public (several cancer code maps, C61)",
    "363443007": "data (mCODE IG FSH examples)",
    "372244006": "public (several cancer code maps, C43)",
    "188340000": "data (HL7 R4 example)",
    "363406005": "synthea colorectal module, public",
    "93761005": "synthea colorectal module",
    "109838007": "synthea colorectal module",
    "94260004": "synthea colorectal module",
    "363351006": "public (several code maps, C20)",
    "363349007": "public (several code maps, C16)",
    "94181007": "data (mCODE trial-matching app)",
    "88805009": "data (Synthea bundles)",
    "57054005": "data (HL7 R5 EBM example)",
    "401303003": "synthea cardiovascular module, public",
    "401314000": "synthea cardiovascular module, public",
    "422504002": "data (HL7 R4/R5 examples)",
    "49436004": "data (HL7 R5 EBM example)",
    "62479008": "public (Charlson/HIV code lists)",
    "72892002": "data (Synthea bundles)",
    "53438000": "data (mCODE trial-matching app radiation procedure)",
    "367336001": "data (HL7 R4 examples)",
    "431839003": "clinical.md §0.13, SNOMED Belgian extension release notes",
    "241622002": "public (HL7 FSH ActivityDefinition: MRI of liver)",
    "363346000": "data (HL7 R4/R5, mCODE extraction framework); filter root only",
    "269475001": "public (mCODE-style ECL: haematological malignancy; filter root only)",
    "254701007": "data (HL7 R5 EBM Group); filter root only",
    "289256000": "public (VSAC 'Complications of Pregnancy, Childbirth and the Puerperium' "
    "2.16.840.1.113883.3.464.1003.111.12.1012, eCQM expansion in canvas-medical/canvas-plugins)",
    "48782003": "public (the same VSAC set and VSAC 'Obstetrical or Pregnancy Related Conditions' "
    "2.16.840.1.113883.3.117.1.7.1.263)",
    "118213005": "public (the same VSAC set: 'Postpartum finding (finding)')",
    "372003004": "public (an mCODE-style FSH list of primary cancer disorders, 'Primary malignant neoplasm of "
    "pancreas (disorder)'; an oncology code map, 'Primary malignant neoplasm of pancreas'); under 363418001",
    "372014001": "public (the same FSH list, 'Primary malignant neoplasm of stomach (disorder)'; a German "
    "cancer-code mapping, 'Magenkrebs'); under 363349007",
    **dict.fromkeys(
        (
            "93775003",
            "93846004",
            "93890009",
            "93679002",
            "93683002",
            "93826009",
            "93771007",
            "94006002",
            "93854002",
            "93984006",
            "93738008",
            "93809003",
            "93717002",
            "93818001",
            "93867004",
            "93976007",
            "93715005",
            "93843007",
        ),
        "public (HL7 mCODE primary-cancer-disorder value set expansion, SNOMED CT US 2021-09: the site's primary "
        "malignant neoplasm, under the value set's is-a root)",
    ),
}

MALIGNANT = S("363346000", "Malignant neoplastic disease (disorder)")
SECONDARY = S("128462008", "Secondary malignant neoplastic disease (disorder)")
HAEM_MALIG = S("269475001", "Malignant tumor of lymphoid, hemopoietic AND/OR related tissue (disorder)")
BCC_SKIN = S("254701007", "Basal cell carcinoma of skin (disorder)")
SN_STOMACH = S("363349007", "Malignant tumor of stomach (disorder)")
SN_SMALL_INTESTINE = S("94048009", "Primary malignant neoplasm of small intestine (disorder)")
SN_COLON = S("363406005", "Malignant tumor of colon (disorder)")
SN_RECTUM = S("363351006", "Malignant tumor of rectum (disorder)")
SN_PANCREAS = S("363418001", "Malignant tumor of pancreas (disorder)")
SN_COLON_MORE = [
    S("93761005", "Primary malignant neoplasm of colon (disorder)"),
    S("109838007", "Overlapping malignant neoplasm of colon (disorder)"),
]


LAB_DESCRIPTION = {
    "vs-neut-pct": "The neutrophil share of a differential, which the ANC is computed from with the WBC of the same "
    "draw. Not in clinical.md §2.1: 770-8 and 26511-6 were confirmed with these names in several public LOINC "
    "tables and laboratory mappings, 23761-0 as neutrophils/100 leukocytes (its method wording seen once); band "
    "or segmented neutrophils alone (26508-2, 26505-8) are not all neutrophils and are left out.",
    "vs-ecog": "The ECOG score as LOINC 89247-1 (clinical.md §2.1) or as its SNOMED CT observable 423740007 (what "
    "the German MII oncology module and NZ cancer-data profiles fix as the ECOG Observation's code). The grades "
    "are read as answers: LOINC LA9622-7..LA9627-6, SNOMED CT findings 425389002, 422512005, 422894000, "
    "423053003, 423237006 (also when charted as the code of an Observation without a value).",
    "vs-mgfr": "No LOINC (or other standard) code for a GFR measured by 51Cr-EDTA plasma clearance was found "
    "(clinical.md §2.1): the project code names it, and a site maps its own result code to it with a ConceptMap "
    "(--terminology). eGFR and creatinine-clearance codes are deliberately absent: E-I6 accepts only a measured GFR.",
}
for _id, (_title, _concepts) in LAB.items():
    _text = LAB_DESCRIPTION.get(_id, f"{_title}: every LOINC variant clinical.md §2.1 lists (verified codes only).")
    vs(_id, _title, _text, _concepts)

vs(
    "vs-hcg-qual",
    "Qualitative pregnancy tests (hCG presence)",
    "Used as a closed-world gate (the test exists in the window) before its result is read.",
    lab_codes(*QUAL_HCG),
)
vs(
    "vs-hcg-serum-qual",
    "Qualitative serum pregnancy tests (hCG presence)",
    "Serum/plasma qualitative hCG (trial E requires a serum test); closed-world gate.",
    lab_codes(*SERUM_QUAL_HCG),
)
vs(
    "vs-hcg-quant",
    "Quantitative hCG",
    "Used as a closed-world gate (the test exists in the window) before its value is read.",
    lab_codes(*QUANT_HCG),
)
vs(
    "vs-preg-status",
    "Pregnancy status observation",
    "LOINC 82810-3, used as a closed-world gate before its value is read.",
    lab_codes("82810-3"),
)
vs(
    "vs-net-intestinal",
    "Intestinal NET (pre-coordinated codes)",
    "ICD-10-CM malignant carcinoid tumours of the small intestine, appendix, large intestine and rectum, "
    "midgut/hindgut unspecified (clinical.md VS-NET-INTESTINAL); the WHO ICD-10 route (C17-C20 + ICD-O-3 "
    "8240/3 / 8249/3) is expressed in the criteria as site AND morphology.",
    [*C7A_INTESTINAL, SN_ASC_COLON_NET],
)
vs(
    "vs-intestine-site",
    "Malignant neoplasm of small intestine, colon, rectosigmoid or rectum (primary site)",
    "Primary-site codes (ICD-10-CM and WHO ICD-10, category and all children) used with a NET morphology.",
    [
        *cm("site-small-intestine"),
        *cm("site-colon-rectum"),
        *who("site-small-intestine"),
        *who("site-colon-rectum"),
        SN_SMALL_INTESTINE,
        SN_COLON,
        *SN_COLON_MORE,
        SN_RECTUM,
        *SN_INTESTINE_PARTS,
    ],
    is_a=[SN_SMALL_INTESTINE, SN_COLON, SN_RECTUM],
)
vs(
    "vs-net-morphology",
    "Well-differentiated NET morphology",
    "ICD-O-3 8240/3 (NET NOS / G1), 8249/3 (G2/G3), the well-differentiated NET subtypes 8241/3 (serotonin-"
    "producing EC-cell NET), 8242/3 (ECL-cell NET) and the pancreatic NETs 8150/3 (non-functioning), 8151/3, "
    "8152/3, 8153/3, 8155/3, 8156/3, 8158/3 (insulinoma, glucagonoma, gastrinoma, VIPoma, somatostatinoma, "
    "ACTH-producing: clinical.md VS-PNET 'ICD-O 815x/3', checked in two public ICD-O-3 lists, see "
    "ICDO_SOURCES), and SNOMED CT 1286768001. MiNEN 8154/3 is reviewed separately (vs-minen); NEC "
    "morphologies are in vs-nec.",
    NET_MORPH,
)
vs(
    "vs-net-elsewhere",
    "NET known only by its metastases or its history",
    "ICD-10-CM C7B.0x / C7B.8 (secondary carcinoid tumours, other secondary NETs; not C7B.1 Merkel cell, "
    "clinical.md §2) and Z85.020 / Z85.030 / Z85.040 / Z85.060 (personal history of a malignant carcinoid of "
    "the stomach, large intestine, rectum or small intestine; ICD-10-CM FY2025 via simple_icd_10_cm). A NET "
    "whose primary was resected or is coded apart (C17.2 + C7B.02) is still a NET: the diagnosis criteria "
    "review it (primary site and histology by a person), never read it as 'no NET'. No SNOMED CT concept for a "
    "secondary carcinoid or a carcinoid history is verified (clinical.md §2): ICD-10-CM only.",
    [*cm("net-secondary"), *cm("net-history")],
)
vs(
    "vs-net-midgut",
    "Midgut NET (pre-coordinated codes)",
    "ICD-10-CM C7A.011, C7A.012, C7A.019, C7A.020, C7A.021, C7A.022, C7A.095 (clinical.md VS-NET-MIDGUT); "
    "duodenum C7A.010 is foregut and not included.",
    [*C7A_MIDGUT, SN_ASC_COLON_NET],
)
vs(
    "vs-midgut-site",
    "Midgut primary sites (jejunum, ileum, small intestine NOS, caecum, appendix, ascending colon)",
    "Primary-site codes used together with a NET morphology (WHO ICD-10 route). SNOMED CT: jejunum 93846004, "
    "ileum 93832004, appendix 93679002, ascending colon 93683002 and small intestine NOS 94048009 (as C17.9; "
    "caecum: no verified SNOMED CT primary-site concept, a site maps its own); no hierarchy filter, since the SNOMED small-intestine and colon "
    "hierarchies also hold the duodenum (foregut) and the distal colon (hindgut).",
    [*MIDGUT_SITE, SN_SMALL_INTESTINE],
)
vs(
    "vs-net-midgut-review",
    "NET possibly of midgut origin (needs review)",
    "C7A.023 transverse colon (proximal part is midgut), C7A.029 large intestine of unspecified portion (may be "
    "the caecum or ascending colon) and C7A.00 unknown primary (clinical.md: review); the "
    "non-billable headers C7A.0, C7A.01 (small intestine, duodenum included), C7A.02 (appendix, large "
    "intestine, rectum) and C7A.09 (other sites, midgut NOS included), which hold midgut and non-midgut "
    "sites alike: a person reads the site. No verified SNOMED CT concept for these (clinical.md §2.2).",
    cm_codes("net-c7a", "C7A.023", "C7A.029", "C7A.00", "C7A.0", "C7A.01", "C7A.02", "C7A.09"),
)
vs(
    "vs-net-intestinal-review",
    "NET possibly of intestinal origin (needs review)",
    "C7A.00 unknown primary (clinical.md reviews it for the midgut; it may as well be intestinal) and the "
    "non-billable headers C7A.0 and C7A.09 (other sites: midgut and hindgut NOS beside stomach, lung, thymus), "
    "which name no site: a person reads the site. No verified SNOMED CT concept for these (clinical.md §2.2).",
    cm_codes("net-c7a", "C7A.00", "C7A.0", "C7A.09"),
)
vs(
    "vs-pnet",
    "Pancreatic NET (pre-coordinated)",
    "Malignant neoplasm of endocrine pancreas C25.4 (ICD-10-CM and "
    "WHO); other pancreatic sites count only with a NET morphology (criteria combine vs-pancreas-site). No "
    "pre-coordinated SNOMED CT 'NET of pancreas' is verified (clinical.md §2.2): SNOMED-coded data reach this "
    "concept through vs-pancreas-site (363418001) with the NET morphology (1286768001), or as primary malignant "
    "neoplasm of islets of Langerhans (93843007), the endocrine pancreas of C25.4.",
    [*cm_pick("site-pancreas", "C25.4"), *who_pick("site-pancreas", "C25.4"), SN_ISLETS],
)
vs(
    "vs-pancreas-site",
    "Malignant neoplasm of pancreas (primary site)",
    "ICD-10-CM/WHO C25 and all children; SNOMED CT 363418001 Malignant tumor of pancreas, 372003004 Primary "
    "malignant neoplasm of pancreas (how US problem lists code the primary) and the pancreatic sub-site "
    "primaries.",
    [*cm("site-pancreas"), *who("site-pancreas"), SN_PANCREAS, *SN_PANCREAS_PARTS],
    is_a=[SN_PANCREAS],
)
vs(
    "vs-gep-site",
    "Gastro-entero-pancreatic primary sites (stomach, small intestine, colon, rectum, pancreas)",
    "Primary-site codes used together with a NET morphology: ICD-10-CM/WHO C16-C20, C25 and SNOMED CT site "
    "primaries, including 372014001 Primary malignant neoplasm of stomach and 372003004 Primary malignant "
    "neoplasm of pancreas.",
    [
        *cm("site-stomach"),
        *cm("site-small-intestine"),
        *cm("site-colon-rectum"),
        *cm("site-pancreas"),
        *who("site-stomach"),
        *who("site-small-intestine"),
        *who("site-colon-rectum"),
        *who("site-pancreas"),
        SN_STOMACH,
        SN_SMALL_INTESTINE,
        SN_COLON,
        *SN_COLON_MORE,
        SN_RECTUM,
        SN_PANCREAS,
        *SN_STOMACH_PARTS,
        *SN_INTESTINE_PARTS,
        *SN_PANCREAS_PARTS,
    ],
    is_a=[SN_STOMACH, SN_SMALL_INTESTINE, SN_COLON, SN_RECTUM, SN_PANCREAS],
)
vs(
    "vs-gep-net",
    "GEP-NET (pre-coordinated codes)",
    "Intestinal NET, pancreatic NET (C25.4), stomach C7A.092, foregut unspecified C7A.094 (clinical.md VS-GEP-NET).",
    [
        *C7A_INTESTINAL,
        *cm_codes("net-c7a", "C7A.092", "C7A.094"),
        *cm_pick("site-pancreas", "C25.4"),
        *who_pick("site-pancreas", "C25.4"),
        SN_ASC_COLON_NET,
        S("253006001", "Somatostatinoma (disorder)"),
    ],
)
vs(
    "vs-net-any",
    "Any neuroendocrine tumour code (the trial's own NET)",
    "Every NET code: ICD-10-CM C7A (all), C25.4, NET morphologies; used to tell the NET itself from another cancer.",
    [
        *cm("net-c7a"),
        *cm_pick("site-pancreas", "C25.4"),
        *who_pick("site-pancreas", "C25.4"),
        *NET_MORPH,
        SN_ASC_COLON_NET,
        S("253006001", "Somatostatinoma (disorder)"),
    ],
)
vs(
    "vs-nec",
    "Neuroendocrine carcinoma",
    "ICD-10-CM C7A.1; ICD-O-3 8246/3, 8013/3, 8041/3; SNOMED NEC concepts (disorder and morphologies).",
    NEC,
    is_a=[S("253000007", "Neuroendocrine carcinoma (disorder)")],
)
vs(
    "vs-minen",
    "Mixed neuroendocrine-non-neuroendocrine neoplasm (review)",
    "ICD-O-3 8154/3.",
    [ICDO("8154/3", "Mixed neuroendocrine-non-neuroendocrine neoplasm (MiNEN)")],
)
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
    "review). O07 (failed attempted termination) stays: the pregnancy may continue. Generated by "
    "gen_icd_data.py (pregnancy_kind).",
    [*cm("preg"), *who("preg"), S("77386006", "Pregnant (finding)"), S("72892002", "Normal pregnancy (finding)")],
    is_a=[S("77386006", "Pregnant (finding)")],
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
    "not in the expansion (data code the NET itself with it as often as another cancer).",
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
    ],
    is_a=[MALIGNANT],
    not_a=[SN_STOMACH, SN_SMALL_INTESTINE, SN_COLON, SN_RECTUM, SN_PANCREAS, SECONDARY, HAEM_MALIG, BCC_SKIN],
)
POSTMENOPAUSAL = S("76498008", "Postmenopausal state (finding)")
vs(
    "vs-surgical-sterility",
    "Hysterectomy, bilateral oophorectomy or documented post-menopausal state",
    "Z90.710, Z90.722 (conditions), Z78.0 Asymptomatic menopausal state (ICD-10-CM, checked with "
    "simple_icd_10_cm 1.5.0), SNOMED 236886002 Hysterectomy (procedure), and SNOMED 76498008 Postmenopausal "
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

# ---- medicines / procedures ---------------------------------------------------------------------

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
EVEROLIMUS_RX = [
    R("845507", "everolimus 10 MG Oral Tablet"),
    R("845515", "everolimus 5 MG Oral Tablet"),
    R("998189", "everolimus 2.5 MG Oral Tablet"),
    R("1119400", "everolimus 7.5 MG Oral Tablet"),
    R("2056895", "everolimus 1 MG Oral Tablet"),
    R("977427", "everolimus 0.25 MG Oral Tablet"),
    R("977434", "everolimus 0.5 MG Oral Tablet"),
    R("977438", "everolimus 0.75 MG Oral Tablet"),
    R("1308428", "everolimus 2 MG Tablet for Oral Suspension"),
    R("1308430", "everolimus 3 MG Tablet for Oral Suspension"),
    R("1308432", "everolimus 5 MG Tablet for Oral Suspension"),
]
EVEROLIMUS_ATC = [
    A("L01EG02", "everolimus (antineoplastic)"),
    A("L01XE10", "everolimus (ATC before 2021)"),
    A("L04AH02", "everolimus (immunosuppressant)"),
    A("L04AA18", "everolimus (immunosuppressant, ATC before 2022)"),
]
EVEROLIMUS = [*EVEROLIMUS_ATC, *EVEROLIMUS_RX]
vs(
    "vs-everolimus",
    "Everolimus",
    "ATC (current and pre-2021/2022 codes) and RxNorm SCDs (tablets, tablets for oral suspension; "
    "RXNORM_SOURCES). The everolimus ingredient RxCUI is not verified (clinical.md §2.4) and is not listed.",
    EVEROLIMUS,
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
# everolimus
CHEMO_RX = [*TMZ_RX, *STREPTOZOCIN_RX, *SUNITINIB_RX, *CYTOTOXIC_RX, *EVEROLIMUS_RX]
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

from .atc_l01 import ALKYLATORS, IFN, L01_ALL, MTORI, RTKI, STEROIDS  # noqa: E402

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
    "ATC L01EG (temsirolimus, everolimus) + everolimus codes of vs-everolimus.",
    [
        A("L01EG", "Mammalian target of rapamycin (mTOR) kinase inhibitors"),
        *[A(c, d) for c, d in MTORI],
        *EVEROLIMUS[1:],
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
    "etoposide: ingredient and SCDs; temozolomide, streptozocin, doxorubicin, everolimus: SCDs; sunitinib: "
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
    "Union of vs-chemo (ATC L01, chemotherapy procedure), vs-ifn, vs-lu177 and vs-everolimus.",
    [
        CHEMO_PROC,
        A("L01", "ANTINEOPLASTIC AGENTS"),
        *[A(c, d) for c, d in L01_ALL],
        A("L01XE04", "sunitinib (ATC before 2021)"),
        *CHEMO_RX,
        *EVEROLIMUS_ATC,
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
EBRT = [
    S("33195004", "Teleradiotherapy procedure (procedure)"),
    S("108290001", "Radiation oncology AND/OR radiotherapy (procedure)"),
    S("1156506007", "External beam radiation therapy using photons (procedure)"),
    S("53438000", "Radiation therapy procedure or service (procedure)"),
    # CPT treatment-delivery codes (VSAC 'Prostate Cancer Treatment' 2.16.840.1.113883.3.526.3.398, with the
    # CPT descriptors): how a US site bills each fraction of external beam radiotherapy
    (CPT, "77402", "Radiation treatment delivery, >=1 MeV; simple"),
    (CPT, "77407", "Radiation treatment delivery, >=1 MeV; intermediate"),
    (CPT, "77412", "Radiation treatment delivery, >=1 MeV; complex"),
    (
        CPT,
        "77385",
        "Intensity modulated radiation treatment delivery (IMRT), includes guidance and tracking, when "
        "performed; simple",
    ),
    (
        CPT,
        "77386",
        "Intensity modulated radiation treatment delivery (IMRT), includes guidance and tracking, when "
        "performed; complex",
    ),
    (
        CPT,
        "77373",
        "Stereotactic body radiation therapy, treatment delivery, per fraction to 1 or more lesions, "
        "including image guidance, entire course not to exceed 5 fractions",
    ),
    (
        CPT,
        "77371",
        "Radiation treatment delivery, stereotactic radiosurgery (SRS), complete course of treatment of cranial "
        "lesion(s) consisting of 1 session; multi-source Cobalt 60 based",
    ),
    (
        CPT,
        "77372",
        "Radiation treatment delivery, stereotactic radiosurgery (SRS), complete course of treatment of cranial "
        "lesion(s) consisting of 1 session; linear accelerator based",
    ),
]
vs(
    "vs-ebrt",
    "External beam radiotherapy",
    "SNOMED 33195004, 1156506007 and the radiotherapy groupers 108290001 and 53438000 (mCODE's radiation "
    "procedure code): a record coded only with a grouper counts, as the criteria that read it review the extent. "
    "CPT external-beam treatment delivery codes 77402, 77407, 77412 (>= 1 MeV), 77385, 77386 (IMRT), 77373 "
    "(SBRT), checked in a VSAC expansion with their CPT descriptors, and 77371, 77372 (stereotactic radiosurgery "
    "of cranial lesions, one session: external beam too, and the protocols name radiosurgery), checked against "
    "their CPT descriptors; planning and management codes are not "
    "listed (they do not date a delivered fraction).",
    EBRT,
    is_a=[S("33195004", "Teleradiotherapy procedure (procedure)")],
)
BRAIN_TUMOUR_EXCISION = [
    (
        CPT,
        "61510",
        "Craniectomy, trephination, bone flap craniotomy; for excision of brain tumor, supratentorial, except "
        "meningioma",
    ),
    (
        CPT,
        "61518",
        "Craniectomy for excision of brain tumor, infratentorial or posterior fossa; except meningioma, "
        "cerebellopontine angle tumor, or midline tumor at base of skull",
    ),
]
vs(
    "vs-brain-mets-treatment",
    "Treatment of brain metastases (radiotherapy, radiosurgery, excision)",
    "The external beam radiotherapy of vs-ebrt (radiosurgery 77371/77372 among it) and the CPT excisions of a "
    "brain tumour by craniotomy, 61510 (supratentorial) and 61518 (infratentorial or posterior fossa), checked "
    "against their CPT descriptors; meningioma excisions are left out (not a metastasis).",
    [*EBRT, *BRAIN_TUMOUR_EXCISION],
)
RESECTION = [
    S("107963000", "Excision of liver (procedure)"),
    S("307616002", "Excision of liver metastasis (procedure)"),
    S("85946004", "Lobectomy of liver (procedure)"),
    (CPT, "47120", "Hepatectomy, resection of liver; partial lobectomy"),
    (CPT, "47122", "Hepatectomy, resection of liver; trisegmentectomy"),
    (CPT, "47125", "Hepatectomy, resection of liver; total left lobectomy"),
    (CPT, "47130", "Hepatectomy, resection of liver; total right lobectomy"),
    # ICD-10-PCS (US inpatient procedures): excision (B) or resection (T) of the liver (0), its right (1)
    # or left (2) lobe, open (0), percutaneous (3, excision only) or percutaneous endoscopic (4), no
    # device (Z), not diagnostic (Z: an X qualifier is a biopsy, no resection)
    *[
        (ICD10PCS, f"0F{op}{part}{approach}ZZ", f"{name} of {site}, {how} approach")
        for op, name, approaches in (("B", "Excision", "034"), ("T", "Resection", "04"))
        for part, site in (("0", "Liver"), ("1", "Liver, Right Lobe"), ("2", "Liver, Left Lobe"))
        for approach, how in (("0", "Open"), ("3", "Percutaneous"), ("4", "Percutaneous Endoscopic"))
        if approach in approaches
    ],
]
RESECTION_CPT_NOTE = (
    " CPT 47120, 47122, 47125, 47130 (hepatectomy: partial lobectomy, trisegmentectomy, total left / right "
    "lobectomy), checked in two public CPT code lists with these descriptors; the living-donor hepatectomies "
    "(47140-47142) are not a resection of metastases and are not listed. ICD-10-PCS (US inpatient coding) "
    "0FB/0FT (excision / resection) of the liver or a lobe, open, percutaneous (excision) or percutaneous "
    "endoscopic, not diagnostic (0FB00ZZ...0FT24ZZ, 15 codes built from the code system's axes; a diagnostic "
    "X qualifier is a biopsy and is not listed)."
)
vs(
    "vs-liver-resection",
    "Hepatic resection",
    "SNOMED 107963000, 307616002, 85946004." + RESECTION_CPT_NOTE,
    RESECTION,
    is_a=[S("107963000", "Excision of liver (procedure)")],
)
EMBOLIZATION_CODES = [
    S("314617008", "Chemoembolization of liver metastases (procedure)"),
    (
        CPT,
        "37243",
        "Vascular embolization or occlusion, inclusive of all radiological supervision and interpretation, "
        "intraprocedural roadmapping, and imaging guidance necessary to complete the intervention; for tumors, "
        "organ ischemia, or infarction",
    ),
]
vs(
    "vs-embolization",
    "Liver-directed embolisation (TACE)",
    "SNOMED 314617008 (bland embolisation/SIRT: no verified SNOMED CT code) and CPT 37243 (vascular "
    "embolisation for tumours, organ ischaemia or infarction: how TACE, bland embolisation and the arterial part "
    "of SIRT are billed in the US; descriptor checked in public CPT references). CPT 37243 names no organ: in a "
    "patient with NET liver metastases it is read as liver-directed (a uterine-fibroid embolisation would be "
    "counted too; the criteria note it).",
    EMBOLIZATION_CODES,
    is_a=[S("314617008", "Chemoembolization of liver metastases (procedure)")],
)
vs(
    "vs-liver-directed",
    "Liver-directed therapy (resection, TACE)",
    "Union of vs-liver-resection and vs-embolization.",
    [*RESECTION, *EMBOLIZATION_CODES],
)
NONSURGICAL_ANTICANCER = [
    CHEMO_PROC,
    A("L01", "ANTINEOPLASTIC AGENTS"),
    *[A(c, d) for c, d in L01_ALL],
    A("L01XE04", "sunitinib (ATC before 2021)"),
    *CHEMO_RX,
    # everolimus under every code a site uses: an mTOR inhibitor whatever its ATC class (L04: the
    # immunosuppressant codes, under which pharmacies also file Afinitor)
    *EVEROLIMUS_ATC[1:],
    A("L03AB", "Interferons"),
    *[A(c, d) for c, d in IFN],
    *IFN_RX,
    *LU177,
    *PRRT_PROC,
    *EBRT,
]
vs(
    "vs-anticancer-treatment",
    "Any anticancer treatment (chemotherapy, radiotherapy, liver-directed therapy, PRRT, targeted therapy, interferon)",
    "Union used for wash-out windows: vs-chemo, vs-ifn, vs-lu177, vs-ebrt, vs-liver-resection, vs-embolization.",
    [*NONSURGICAL_ANTICANCER, *RESECTION, *EMBOLIZATION_CODES],
)
vs(
    "vs-anticancer-nonsurgical",
    "Anticancer treatment other than surgery (chemotherapy, radiotherapy, embolisation, PRRT, targeted therapy, "
    "interferon)",
    "vs-anticancer-treatment without the hepatic resections: for washouts whose protocol lists therapies, not "
    "surgery (E-E3; surgery has its own window, E-E2).",
    [*NONSURGICAL_ANTICANCER, *EMBOLIZATION_CODES],
)
vs(
    "vs-major-surgery",
    "Known major surgical procedures",
    "Hepatic resections (the only major procedures with verified codes: SNOMED CT and CPT hepatectomy); other "
    "surgery is reviewed by hand.",
    RESECTION,
)
SSTR_PET = [
    P("sstr-pet", "Somatostatin receptor PET/CT (68Ga/64Cu-DOTA-peptide)"),
    (HCPCS, "A9587", "Gallium Ga-68, dotatate, diagnostic, 0.1 millicurie"),
]
SSTR_NOTE = (
    " No SNOMED CT, LOINC or CPT code for an SSTR exam was found in the project's verified sources; the CPT PET "
    "codes 78811-78816 and generic PET concepts are tracer-agnostic (an FDG PET would count), so they are not "
    "included. A site maps its own exam code to the project code with a ConceptMap (--terminology)."
)
vs(
    "vs-sstr-pet",
    "Somatostatin-receptor PET (68Ga/64Cu-DOTATATE)",
    "HCPCS tracer code A9587 (Ga-68 dotatate, the standard code that identifies the exam) and the project's exam "
    "code." + SSTR_NOTE,
    SSTR_PET,
)
vs(
    "vs-sstr-imaging",
    "Somatostatin-receptor imaging (PET or scintigraphy)",
    "Tracer codes (HCPCS A9587; ATC V09IB01 111In-pentetreotide, V09IA07 99mTc-octreotide) and the project's "
    "exam codes." + SSTR_NOTE,
    [
        P("sstr-imaging", "Somatostatin receptor imaging exam"),
        *SSTR_PET,
        P("sstr-scintigraphy", "Somatostatin receptor scintigraphy (111In-pentetreotide / 99mTc-octreotide)"),
        A("V09IB01", "indium (111In) pentetreotide"),
        A("V09IA07", "technetium (99mTc) hynic-octreotide"),
    ],
)
vs(
    "vs-liver-mri",
    "MRI of the liver",
    "SNOMED CT 431839003 MRI of liver with contrast (clinical.md §0.13) and 241622002 MRI of liver; CPT 74181, "
    "74182, 74183 (MRI of the abdomen without / with / without and with contrast: how a liver MRI is ordered and "
    "billed in the US); the project code liver-mri for a site's own exam code (ConceptMap). No LOINC radiology "
    "code was verified, so none is listed.",
    [
        S("431839003", "Magnetic resonance imaging of liver with contrast (procedure)"),
        S("241622002", "Magnetic resonance imaging of liver (procedure)"),
        (CPT, "74181", "Magnetic resonance (eg, proton) imaging, abdomen; without contrast material(s)"),
        (CPT, "74182", "Magnetic resonance (eg, proton) imaging, abdomen; with contrast material(s)"),
        (
            CPT,
            "74183",
            "Magnetic resonance (eg, proton) imaging, abdomen; without contrast material(s), followed by with "
            "contrast material(s) and further sequences",
        ),
        P("liver-mri", "MRI of the liver"),
    ],
)
vs(
    "vs-study-drug-allergy",
    "Allergy to somatostatin analogues or Lutathera",
    "Substance codes of vs-ssa and vs-lu177-drug used as AllergyIntolerance.code (ATC; RxNorm Lutathera "
    "products and the octreotide SCD; HCPCS A9513). No SNOMED CT substance concept and no RxNorm ingredient "
    "RxCUI for octreotide, lanreotide, pasireotide or lutetium Lu 177 dotatate could be confirmed in a public "
    "source, so an allergy coded only that way is not read: the criteria keep a manual item for it.",
    [*SSA, *LU177],
)
vs(
    "vs-ssa-allergy",
    "Allergy to somatostatin analogues",
    "ATC H01CB02, H01CB03, H01CB05 and the octreotide SCD 312071 as AllergyIntolerance.code. No SNOMED CT "
    "substance concept and no RxNorm ingredient RxCUI for the somatostatin analogues could be confirmed in a "
    "public source: an allergy coded only that way is left to the criterion's manual item.",
    SSA,
)
