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

from .fhir import ATC, CPT, HCPCS, ICD10, ICD10CM, ICDO3, LOINC, PROJECT_CS, RXNORM, SNOMED

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
    "vs-alt": ("ALT", [L("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma")]),
    "vs-ast": ("AST", [L("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma")]),
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
    "vs-ecog": ("ECOG performance status", [L("89247-1", "ECOG Performance Status score")]),
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
    S("1286768001", "Well-differentiated neuroendocrine tumor (morphologic abnormality)"),
]
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
SN_STOMACH_PARTS = [
    S("93738008", "Primary malignant neoplasm of cardia of stomach (disorder)"),
    S("93809003", "Primary malignant neoplasm of fundus of stomach (disorder)"),
    S("93717002", "Primary malignant neoplasm of body of stomach (disorder)"),
    S("93818001", "Primary malignant neoplasm of greater curvature of stomach (disorder)"),
    S("93867004", "Primary malignant neoplasm of lesser curvature of stomach (disorder)"),
    S("93976007", "Primary malignant neoplasm of pyloric antrum (disorder)"),
]
SN_ISLETS = S("93843007", "Primary malignant neoplasm of islets of Langerhans (disorder)")  # endocrine pancreas, C25.4
SN_PANCREAS_PARTS = [S("93715005", "Primary malignant neoplasm of body of pancreas (disorder)"), SN_ISLETS]
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
    "ICD-O-3 8240/3, 8249/3 and SNOMED morphology.",
    NET_MORPH,
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
    "C7A.023 transverse colon (proximal part is midgut) and C7A.00 unknown primary (clinical.md: review); the "
    "non-billable headers C7A.0, C7A.01 (small intestine, duodenum included), C7A.02 (appendix, large "
    "intestine, rectum) and C7A.09 (other sites, midgut NOS included), which hold midgut and non-midgut "
    "sites alike: a person reads the site. No verified SNOMED CT concept for these (clinical.md §2.2).",
    cm_codes("net-c7a", "C7A.023", "C7A.00", "C7A.0", "C7A.01", "C7A.02", "C7A.09"),
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
    "ICD-10-CM/WHO C25 and all children; SNOMED malignant tumor of pancreas.",
    [*cm("site-pancreas"), *who("site-pancreas"), SN_PANCREAS, *SN_PANCREAS_PARTS],
    is_a=[SN_PANCREAS],
)
vs(
    "vs-gep-site",
    "Gastro-entero-pancreatic primary sites (stomach, small intestine, colon, rectum, pancreas)",
    "Primary-site codes used together with a NET morphology.",
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
    "Pregnancy",
    "ICD-10-CM Z33, Z33.1, Z33.3 and chapter O (O00-O9A, every code); WHO Z33 and chapter O; SNOMED 77386006 and "
    "72892002 Normal pregnancy (the Synthea pregnancy code).",
    [*cm("preg"), *who("preg"), S("77386006", "Pregnant (finding)"), S("72892002", "Normal pregnancy (finding)")],
    is_a=[S("77386006", "Pregnant (finding)")],
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
    "Z90.710, Z90.722 (conditions), SNOMED 236886002 Hysterectomy (procedure), and SNOMED 76498008 "
    "Postmenopausal state (finding; SNOMED_SOURCES), which clinical.md §0.11 names as documented "
    "post-menopausal status.",
    [*cm("surgical-sterility"), S("236886002", "Hysterectomy (procedure)"), POSTMENOPAUSAL],
    is_a=[S("236886002", "Hysterectomy (procedure)")],
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
]
# the evaluator reads these codes this way for every criterion (fhir_eligibility/terminology/generic.py)
GENERIC_PROCEDURE_NOTE = (
    " A Procedure counts as a Lutathera cycle only when it codes the product (usedCode, clinical.md §2.5); a "
    "generic radionuclide therapy alone (it may be I-131) is uncertain unless a Lutathera record lies within a day."
)
PRRT_PROC = [
    S("399315003", "Radionuclide therapy (procedure)"),
    S("427541000119103", "Intravenous radionuclide therapy (procedure)"),
]
vs(
    "vs-lu177",
    "177Lu-DOTATATE (Lutathera) administrations",
    "ATC V10XX04, RxNorm Lutathera products; Procedures radionuclide therapy 399315003 / 427541000119103 "
    "(de-duplicated by date against administrations). 440252007 'Administration of radiopharmaceutical' is not "
    "included: it also codes diagnostic tracer injections.",
    [*LU177, *PRRT_PROC],
)
vs("vs-lu177-drug", "177Lu-DOTATATE (drug codes only; activity sums)", "ATC V10XX04, RxNorm Lutathera.", LU177)

EVEROLIMUS = [
    A("L01EG02", "everolimus (antineoplastic)"),
    A("L01XE10", "everolimus (ATC before 2021)"),
    A("L04AH02", "everolimus (immunosuppressant)"),
    A("L04AA18", "everolimus (immunosuppressant, ATC before 2022)"),
    R("845507", "everolimus 10 MG Oral Tablet"),
    R("845515", "everolimus 5 MG Oral Tablet"),
    R("998189", "everolimus 2.5 MG Oral Tablet"),
    R("1119400", "everolimus 7.5 MG Oral Tablet"),
]
vs("vs-everolimus", "Everolimus", "ATC (current and pre-2021/2022 codes) and RxNorm tablet SCDs.", EVEROLIMUS)
SSA = [A("H01CB02", "octreotide"), A("H01CB03", "lanreotide"), A("H01CB05", "pasireotide")]
vs("vs-ssa", "Somatostatin analogues", "ATC H01CB02, H01CB03, H01CB05.", SSA)
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
    "ATC H01CB02 octreotide, H01CB05 pasireotide.",
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

from .atc_l01 import ALKYLATORS, IFN, L01_ALL, MTORI, RTKI, STEROIDS  # noqa: E402

vs(
    "vs-alkylator",
    "Alkylating agents",
    "ATC L01A (class code and every substance, ATC 2024) + temozolomide RxNorm SCDs.",
    [A("L01A", "ALKYLATING AGENTS"), *[A(c, d) for c, d in ALKYLATORS], *TMZ_RX],
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
    "ATC L01EX substances (ATC 2024) + sunitinib pre-2021 code L01XE04.",
    [
        A("L01EX", "Other protein kinase inhibitors"),
        *[A(c, d) for c, d in RTKI],
        A("L01XE04", "sunitinib (ATC before 2021)"),
    ],
)
vs(
    "vs-ifn",
    "Interferons",
    "ATC L03AB interferon alfa substances.",
    [A("L03AB", "Interferons"), *[A(c, d) for c, d in IFN]],
)
CHEMO_PROC = S("367336001", "Chemotherapy (procedure)")
vs(
    "vs-chemo",
    "Antineoplastic agents (ATC L01, all)",
    "ATC L01 class code and every L01 substance of ATC 2024, pre-2021 codes L01XE04/L01XE10, plus RxNorm "
    "temozolomide and everolimus SCDs, and SNOMED 367336001 Chemotherapy (procedure) for chemotherapy recorded "
    "as a Procedure (mCODE).",
    [
        CHEMO_PROC,
        A("L01", "ANTINEOPLASTIC AGENTS"),
        *[A(c, d) for c, d in L01_ALL],
        A("L01XE04", "sunitinib (ATC before 2021)"),
        A("L01XE10", "everolimus (ATC before 2021)"),
        *TMZ_RX,
        *EVEROLIMUS[4:],
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
        *TMZ_RX,
        *EVEROLIMUS,
        A("L03AB", "Interferons"),
        *[A(c, d) for c, d in IFN],
        *LU177,
        *PRRT_PROC,
    ],
)
vs(
    "vs-steroid",
    "Systemic glucocorticoids",
    "ATC H02AB class code and substances (ATC 2024 list).",
    [A("H02AB", "Glucocorticoids"), *[A(c, d) for c, d in STEROIDS]],
)
EBRT = [
    S("33195004", "Teleradiotherapy procedure (procedure)"),
    S("108290001", "Radiation oncology AND/OR radiotherapy (procedure)"),
    S("1156506007", "External beam radiation therapy using photons (procedure)"),
    S("53438000", "Radiation therapy procedure or service (procedure)"),
]
vs(
    "vs-ebrt",
    "External beam radiotherapy",
    "SNOMED 33195004, 1156506007 and the radiotherapy groupers 108290001 and 53438000 (mCODE's radiation "
    "procedure code): a record coded only with a grouper counts, as the criteria that read it review the extent.",
    EBRT,
    is_a=[S("33195004", "Teleradiotherapy procedure (procedure)")],
)
RESECTION = [
    S("107963000", "Excision of liver (procedure)"),
    S("307616002", "Excision of liver metastasis (procedure)"),
    S("85946004", "Lobectomy of liver (procedure)"),
]
vs(
    "vs-liver-resection",
    "Hepatic resection",
    "SNOMED 107963000, 307616002, 85946004.",
    RESECTION,
    is_a=[S("107963000", "Excision of liver (procedure)")],
)
vs(
    "vs-embolization",
    "Liver-directed embolisation (TACE)",
    "SNOMED 314617008 (bland embolisation/SIRT: no verified code).",
    [S("314617008", "Chemoembolization of liver metastases (procedure)")],
    is_a=[S("314617008", "Chemoembolization of liver metastases (procedure)")],
)
vs(
    "vs-liver-directed",
    "Liver-directed therapy (resection, TACE)",
    "Union of vs-liver-resection and vs-embolization.",
    [*RESECTION, S("314617008", "Chemoembolization of liver metastases (procedure)")],
)
NONSURGICAL_ANTICANCER = [
    CHEMO_PROC,
    A("L01", "ANTINEOPLASTIC AGENTS"),
    *[A(c, d) for c, d in L01_ALL],
    A("L01XE04", "sunitinib (ATC before 2021)"),
    *TMZ_RX,
    # everolimus under every code a site uses: an mTOR inhibitor whatever its ATC class (L04: the
    # immunosuppressant codes, under which pharmacies also file Afinitor)
    *EVEROLIMUS[1:],
    A("L03AB", "Interferons"),
    *[A(c, d) for c, d in IFN],
    *LU177,
    *PRRT_PROC,
    *EBRT,
]
EMBOLIZATION = S("314617008", "Chemoembolization of liver metastases (procedure)")
vs(
    "vs-anticancer-treatment",
    "Any anticancer treatment (chemotherapy, radiotherapy, liver-directed therapy, PRRT, targeted therapy, interferon)",
    "Union used for wash-out windows: vs-chemo, vs-ifn, vs-lu177, vs-ebrt, vs-liver-resection, vs-embolization.",
    [*NONSURGICAL_ANTICANCER, *RESECTION, EMBOLIZATION],
)
vs(
    "vs-anticancer-nonsurgical",
    "Anticancer treatment other than surgery (chemotherapy, radiotherapy, embolisation, PRRT, targeted therapy, "
    "interferon)",
    "vs-anticancer-treatment without the hepatic resections: for washouts whose protocol lists therapies, not "
    "surgery (E-E3; surgery has its own window, E-E2).",
    [*NONSURGICAL_ANTICANCER, EMBOLIZATION],
)
vs(
    "vs-major-surgery",
    "Known major surgical procedures",
    "Hepatic resections (the only major procedures with verified codes); other surgery is reviewed by hand.",
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
    "Substance codes of vs-ssa and vs-lu177-drug used as AllergyIntolerance.code.",
    [*SSA, *LU177],
)
vs(
    "vs-ssa-allergy",
    "Allergy to somatostatin analogues",
    "ATC H01CB02, H01CB03, H01CB05 as AllergyIntolerance.code.",
    SSA,
)
