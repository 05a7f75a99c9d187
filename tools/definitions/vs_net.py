"""NET diagnoses: ICD-O-3 morphology, ICD-10 and SNOMED CT primary sites, and their value sets."""

from __future__ import annotations

from .vs_concepts import ICDO, S, cm, cm_codes, cm_pick, who, who_pick
from .vs_registry import vs

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
    "intestine, rectum), C7A.09 (other sites, midgut NOS included) and C7A (all malignant NETs), and C7A.8 "
    "(other malignant NETs, no site), which hold midgut and non-midgut sites alike: a person reads the site. No verified SNOMED CT concept for these (clinical.md §2.2).",
    cm_codes("net-c7a", "C7A.023", "C7A.029", "C7A.00", "C7A.0", "C7A.01", "C7A.02", "C7A.09", "C7A", "C7A.8"),
)
vs(
    "vs-midgut-review-site",
    "Primary sites that may or may not be midgut (review with a NET morphology)",
    "Used with a NET morphology for trial B: ICD-10-CM/WHO C17 (small intestine header, duodenum included), "
    "C17.3 (Meckel's diverticulum, ileal), C17.8 (overlapping small intestine), C18 (colon header), C18.3 "
    "(hepatic flexure), C18.4 (transverse colon: its proximal part is midgut, clinical.md B-I2a), C18.8 "
    "(overlapping colon), C18.9 (colon unspecified); SNOMED CT Meckel's diverticulum 93890009, hepatic flexure "
    "93826009, large intestine 93854002, colon 363406005 / 93761005 / 109838007. Each covers midgut and "
    "foregut or hindgut parts alike (or, for Meckel's, is ileal but named apart from clinical.md's midgut "
    "list): a person reads the site, as C7A.023/C7A.029 (vs-net-midgut-review).",
    [
        *cm_pick("site-small-intestine", "C17", "C17.3", "C17.8"),
        *cm_pick("site-colon-rectum", "C18", "C18.3", "C18.4", "C18.8", "C18.9"),
        *who_pick("site-small-intestine", "C17", "C17.3", "C17.8"),
        *who_pick("site-colon-rectum", "C18", "C18.3", "C18.4", "C18.8", "C18.9"),
        SN_MECKEL,
        SN_LARGE_BOWEL[0],
        SN_LARGE_BOWEL[3],
        SN_COLON,
        *SN_COLON_MORE,
    ],
)
vs(
    "vs-net-unsited",
    "NET coded without its primary site (a NET morphology, or a C7A code naming no site)",
    "The well-differentiated NET morphologies of vs-net-morphology (ICD-O-3, SNOMED CT 1286768001; as a "
    "Condition or in the mCODE histology extension) and the ICD-10-CM codes C7A (malignant neuroendocrine "
    "tumors), C7A.0 (malignant carcinoid tumors), C7A.00 (of unspecified site), C7A.09 (of other sites: lung, "
    "thymus, stomach, kidney, foregut/midgut/hindgut NOS alike) and C7A.8 (other malignant neuroendocrine "
    "tumors, no site). Beside a primary-site code such a NET is read as that site's (net_site: site + this); "
    "beside none it is reviewed (UNSITED_NOTE). C7A.1 (poorly differentiated: NEC) is vs-nec's.",
    [*NET_MORPH, *cm_codes("net-c7a", "C7A", "C7A.0", "C7A.00", "C7A.09", "C7A.8")],
)
vs(
    "vs-net-intestinal-review",
    "NET possibly of intestinal origin (needs review)",
    "C7A.00 unknown primary (clinical.md reviews it for the midgut; it may as well be intestinal) and the "
    "non-billable headers C7A, C7A.0 and C7A.09 (other sites: midgut and hindgut NOS beside stomach, lung, "
    "thymus) and C7A.8 (other malignant NETs), which name no site: a person reads the site. No verified SNOMED CT concept for these (clinical.md §2.2).",
    cm_codes("net-c7a", "C7A.00", "C7A.0", "C7A.09", "C7A", "C7A.8"),
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
