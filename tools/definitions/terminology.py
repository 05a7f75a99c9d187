"""Every code the definitions use, grouped into the value sets of clinical.md §2.5.

Only codes clinical.md marks verified (V / V(code)) are used, plus the ICD expansions generated
from the same offline sources into ``icd_codes.json`` (see gen_icd_data.py), the ATC substances of
the MII systemic-therapy value set (validated against ATC 2024) for the class value sets, four
qualifier/answer codes for test results (noted in ``EXTRA_CODES``), and the SNOMED CT / CPT codes of
``SNOMED_SOURCES`` (issue 13: codes that Synthea and mCODE data actually emit, each checked against
public artefacts). Local concepts live in the project CodeSystem (``codesystem.py``).

Hierarchies ("any malignant neoplasm except ...") are written as SNOMED CT ``is-a`` filters in the
ValueSet compose (``HIERARCHY``), and the shipped expansion is the explicit reviewed list: no
terminology server is reachable from the product's tests, so nothing is expanded at run time.

The codes and value sets live by domain in the ``vs_*`` modules; this one imports them all, so that
``VALUESETS`` is complete whenever it is read, and keeps the provenance of the issue-13 SNOMED CT codes.
"""

from __future__ import annotations

from . import vs_diagnoses, vs_drugs, vs_labs, vs_net, vs_procedures
from .vs_labs import EXTRA_CODES
from .vs_registry import HIERARCHY, PARTS, VALUESETS

__all__ = ["DOMAINS", "EXTRA_CODES", "HIERARCHY", "PARTS", "SNOMED_SOURCES", "VALUESETS"]

# every module that registers value sets (importing it registers them)
DOMAINS = (vs_labs, vs_net, vs_diagnoses, vs_drugs, vs_procedures)

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
    "1217123003": "data (mCODE IG FSH examples: RadiotherapyCourseSummary code, 'Radiotherapy course of treatment "
    "(regime/therapy)'; the HL7 CodeX radiation-therapy IG's course summaries carry the same)",
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
    **dict.fromkeys(
        ("17369002", "57797005", "34801009", "417044008"),
        "public (eHDSI 'Outcome of Pregnancy' value set 1.3.6.1.4.1.12559.11.10.1.3.1.42.62 in "
        "hl7-eu/EHDSI-Terminology-package: Miscarriage, Termination of pregnancy, Ectopic pregnancy, Hydatidiform "
        "mole benign; the first three also in a US vital-records pregnancy-outcome value set, and 17369002 -> "
        "O03.9, 34801009 -> O00.90 in a SNOMED CT to ICD-10-CM code map)",
    ),
    "94243009": "public (VSAC 'Cancer' value set 2.16.840.1.113883.3.526.3.1010, 'Secondary malignant neoplasm "
    "of central nervous system (disorder)', in canvas-medical/canvas-plugins canvas_sdk/value_set/v2022)",
    "198609003": "public (an OMOP vocabulary export, SNOMED 'Complication of pregnancy, childbirth and/or the "
    "puerperium', Condition domain; SNOMED International's 2026 release notes on remodelling the hierarchy "
    "198609003 |Complication of pregnancy, childbirth and/or puerperium (disorder)|)",
    "372130007": "public (a FHIR condition-code list, 'Malignant neoplasm of skin (disorder)'; an ICD-10-CM to "
    "SNOMED CT map, C44.90 -> 372130007; a health-survey code map, 'Skin Cancer')",
    "372003004": "public (an mCODE-style FSH list of primary cancer disorders, 'Primary malignant neoplasm of "
    "pancreas (disorder)'; an oncology code map, 'Primary malignant neoplasm of pancreas'); under 363418001",
    "372014001": "public (the same FSH list, 'Primary malignant neoplasm of stomach (disorder)'; a German "
    "cancer-code mapping, 'Magenkrebs'); under 363349007",
    **dict.fromkeys(
        (
            "363518003",
            "93849006",
            "702391001",
            "254915003",
            "399326009",
            "93689003",
            "255108000",
            "255109008",
            "363478007",
            "94098005",
            "255029007",
            "255028004",
            "255032005",
            "255031003",
            "254838004",
            "93796005",
            "278054005",
            "93974005",
            "254900004",
            "399490008",
            "93880001",
            "254626006",
            "254634000",
            "363493006",
            "363402007",
            "371984007",
            "372138000",
            "276803003",
            "276804009",
            "95214007",
            "109841003",
            "187769009",
            "93934004",
            "363354003",
            "372024009",
            "423973006",
            "254886006",
            "254878006",
            "371971003",
            "93781006",
            "93655004",
            "363429002",
            "276975007",
            "363375006",
            "363392002",
            "423464009",
            "93727008",
            "393563007",
            "276828006",
            "363449006",
            "363353009",
        ),
        "public (VSAC 'Cancer' value set 2.16.840.1.113883.3.526.3.1010, eCQM update 2021-05-06, SNOMED CT "
        "expansion with fully specified names, in canvas-medical/canvas-plugins canvas_sdk/value_set/v2022/"
        "condition.py; the FSN is the display used here)",
    ),
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
