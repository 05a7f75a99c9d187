"""Laboratory and clinical observation codes (LOINC), result qualifiers, and their value sets."""

from __future__ import annotations

from .vs_concepts import Concept, L, P, S
from .vs_registry import vs

# ---- laboratory / clinical observations (LOINC; Observation leaves list these as type.coding) ----

LAB: dict[str, tuple[str, list[Concept]]] = {
    "vs-hb": (
        "Haemoglobin",
        [L("718-7", "Hemoglobin [Mass/volume] in Blood"), L("59260-0", "Hemoglobin [Moles/volume] in Blood")],
    ),
    "vs-plt": (
        "Platelets",
        [
            L("777-3", "Platelets [#/volume] in Blood by Automated count"),
            L("26515-7", "Platelets [#/volume] in Blood"),
            L("778-1", "Platelets [#/volume] in Blood by Manual count"),
        ],
    ),
    "vs-anc": (
        "Absolute neutrophil count",
        [
            L("751-8", "Neutrophils [#/volume] in Blood by Automated count"),
            L("26499-4", "Neutrophils [#/volume] in Blood"),
            L("753-4", "Neutrophils [#/volume] in Blood by Manual count"),
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


# Manual counts (not verified in clinical.md §2.1, where 753-4 is UNVERIFIED): code and meaning checked in
# public artefacts; the estimate 49497-1 is deliberately left out (PLT_NOTE)
LOINC_SOURCES = {
    "778-1": "VSAC 'Platelet Count Lab Test' 2.16.840.1.113762.1.4.1045.127 (eCQM update 2025-05-08, in "
    "canvas-medical/canvas-plugins, 'Platelets [#/volume] in Blood by Manual count'); the CIBMTR reporting IG "
    "value sets (nmdp-ig/cibmtr-reporting-ig, same long name); a GECCO (German Corona Consensus) code binding",
    "753-4": "the CIBMTR reporting IG value sets (nmdp-ig/cibmtr-reporting-ig, 'Neutrophils [#/volume] in Blood "
    "by Manual count'); a GECCO (German Corona Consensus) code binding (same long name, 10*3/uL)",
}
PLT_NOTE = (
    "Platelets: LOINC 777-3 (automated), 26515-7 (method not given) and 778-1 (manual count, e.g. a smear "
    "count when the analyser flags clumping; LOINC_SOURCES): the most recent of any of them decides "
    "(clinical.md §0.3), so a newer manual count is no longer ignored while an older automated count passes. "
    "49497-1 'Platelets [#/volume] in Blood by Estimate' is left out: a smear estimate is semi-quantitative "
    "(often reported as adequate/decreased, or in wide steps), not a count to hold against a threshold, and "
    "the VSAC platelet-count value set leaves it out too; a site that reports its counts under it maps it."
)
ANC_CODES_NOTE = (
    "ANC codes: 751-8, 26499-4 and 753-4 (manual count, LOINC_SOURCES) in vs-anc. The derived ANC reads its "
    "absolute counts from the engine's own list (fhir_eligibility.measures.concepts.NEUTROPHILS), which must "
    "hold 753-4 too for a newer manual count to decide."
)

LAB_DESCRIPTION = {
    "vs-plt": PLT_NOTE,
    "vs-anc": "Absolute neutrophil count: LOINC 751-8, 26499-4 (clinical.md §2.1) and 753-4 'Neutrophils "
    "[#/volume] in Blood by Manual count' (UNVERIFIED in clinical.md; code and name checked in two public "
    "artefacts, LOINC_SOURCES). " + ANC_CODES_NOTE,
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
