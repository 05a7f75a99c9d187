"""Code systems, coded drugs and procedures, the lab catalogue and the datatype builders every sample shares."""

from __future__ import annotations

import uuid
from typing import Any

AS_OF = "2026-06-01"
LAB = "2026-05-20"  # default date of the screening labs (T0 - 12 d)
NS = uuid.UUID("6f1d2a9e-3c55-4d8e-9a64-2b7f0c1e5a10")  # namespace for deterministic uuid5 ids

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
PROJECT_CS = "http://fhir-eligibility.org/fhir/CodeSystem/eligibility"
SAMPLE_ID_SYSTEM = "http://fhir-eligibility.org/fhir/sample-patients"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
COND_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"

Json = dict[str, Any]
Coding = tuple[str, str, str]


# ----------------------------------------------------------------------------------------------------------
# small FHIR builders
# ----------------------------------------------------------------------------------------------------------


def cc(codings: list[Coding], text: str | None = None) -> Json:
    out: Json = {"coding": [{"system": s, "code": c, "display": d} for s, c, d in codings]}
    if text:
        out["text"] = text
    return out


def qty(value: float, code: str, unit: str | None = None, comparator: str | None = None) -> Json:
    out: Json = {"value": value}
    if comparator:
        out["comparator"] = comparator
    out.update({"unit": unit or code, "system": UCUM, "code": code})
    return out


def dt(day: str, time: str = "08:30:00") -> str:
    return f"{day}T{time}+00:00"


ECOG_LA = {
    0: ("LA9622-7", "Fully active, able to carry on all pre-disease performance without restriction"),
    1: (
        "LA9623-5",
        "Restricted in physically strenuous activity but ambulatory and able to carry out work of a "
        "light or sedentary nature, e.g., light house work, office work",
    ),
    2: (
        "LA9624-3",
        "Ambulatory and capable of all selfcare but unable to carry out any work activities. Up and "
        "about more than 50% of waking hours",
    ),
    3: ("LA9625-0", "Capable of only limited selfcare, confined to bed or chair more than 50% of waking hours"),
}

# Laboratory catalogue: key -> (system, code, display, UCUM unit, category)
CATALOGUE: dict[str, tuple[str, str, str, str, str]] = {
    "hb": (LOINC, "718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", "laboratory"),
    "hb_molar": (LOINC, "59260-0", "Hemoglobin [Moles/volume] in Blood", "mmol/L", "laboratory"),
    "wbc": (LOINC, "6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*9/L", "laboratory"),
    "anc": (LOINC, "751-8", "Neutrophils [#/volume] in Blood by Automated count", "10*9/L", "laboratory"),
    "plt": (LOINC, "777-3", "Platelets [#/volume] in Blood by Automated count", "10*9/L", "laboratory"),
    "scr": (LOINC, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", "laboratory"),
    "scr_molar": (LOINC, "14682-9", "Creatinine [Moles/volume] in Serum or Plasma", "umol/L", "laboratory"),
    "crcl_24h": (
        LOINC,
        "2164-2",
        "Creatinine renal clearance in 24 hour Urine and Serum or Plasma",
        "mL/min",
        "laboratory",
    ),
    "egfr_mdrd": (
        LOINC,
        "33914-3",
        "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or "
        "Plasma by Creatinine-based formula (MDRD)",
        "mL/min/{1.73_m2}",
        "laboratory",
    ),
    "egfr_ckdepi": (
        LOINC,
        "98979-8",
        "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, "
        "Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)",
        "mL/min/{1.73_m2}",
        "laboratory",
    ),
    "mgfr": (PROJECT_CS, "mgfr-51cr-edta", "GFR by 51Cr-EDTA plasma clearance", "mL/min/{1.73_m2}", "laboratory"),
    "weight": (LOINC, "29463-7", "Body weight", "kg", "vital-signs"),
    "bili": (LOINC, "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", "laboratory"),
    "bili_molar": (LOINC, "14631-6", "Bilirubin.total [Moles/volume] in Serum or Plasma", "umol/L", "laboratory"),
    "alt": (
        LOINC,
        "1742-6",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        "U/L",
        "laboratory",
    ),
    "ast": (
        LOINC,
        "1920-8",
        "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        "U/L",
        "laboratory",
    ),
    "alb": (LOINC, "1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", "laboratory"),
    "pt_pct": (LOINC, "5894-1", "Prothrombin time (PT) actual/Normal", "%", "laboratory"),
    "inr": (LOINC, "6301-6", "INR in Platelet poor plasma by Coagulation assay", "{INR}", "laboratory"),
    "fbg": (LOINC, "1558-6", "Fasting glucose [Mass/volume] in Serum or Plasma", "mg/dL", "laboratory"),
    "fbg_molar": (LOINC, "14771-0", "Fasting glucose [Moles/volume] in Serum or Plasma", "mmol/L", "laboratory"),
    "potassium": (LOINC, "2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", "laboratory"),
    "ki67": (LOINC, "29593-1", "Cells.Ki-67 nuclear Ag/cells in Tissue by Immune stain", "%", "laboratory"),
    "lvef": (LOINC, "10230-1", "Left ventricular Ejection fraction", "%", "imaging"),
    "hiv_vl": (
        LOINC,
        "20447-9",
        "HIV 1 RNA [#/volume] (viral load) in Serum or Plasma by NAA with probe detection",
        "{copies}/mL",
        "laboratory",
    ),
}

UNIT_TEXT = {
    "10*9/L": "10*9/L",
    "10*3/uL": "10*3/uL",
    "/mm3": "/mm3",
    "{INR}": "INR",
    "{copies}/mL": "copies/mL",
    "mL/min/{1.73_m2}": "mL/min/1.73m2",
}

CATEGORY_DISPLAY = {
    "laboratory": "Laboratory",
    "vital-signs": "Vital Signs",
    "imaging": "Imaging",
    "survey": "Survey",
    "exam": "Exam",
}

HCG_NEG = [(SNOMED, "260385009", "Negative"), (LOINC, "LA6577-6", "Negative")]
HCG_POS = [(SNOMED, "10828004", "Positive"), (LOINC, "LA6576-8", "Positive")]

LU_ATC = (ATC, "V10XX04", "lutetium (177Lu) oxodotreotide")
LU_RX = (RXNORM, "1999682", "Lutathera (lutetium Lu 177 dotatate) 370 MBq/mL injection")
LANREOTIDE = [(ATC, "H01CB03", "lanreotide")]


EVEROLIMUS = [(ATC, "L01EG02", "everolimus"), (RXNORM, "845507", "everolimus 10 MG Oral Tablet")]
TEMOZOLOMIDE = [(ATC, "L01AX03", "temozolomide"), (RXNORM, "317160", "temozolomide 100 MG Oral Capsule")]
DEXAMETHASONE = [(ATC, "H02AB02", "dexamethasone")]
AMLODIPINE = [(ATC, "C08CA01", "amlodipine")]
OCTREOTIDE = [(ATC, "H01CB02", "octreotide")]
EBRT = [(SNOMED, "33195004", "Teleradiotherapy procedure (procedure)")]
TACE = [(SNOMED, "314617008", "Chemoembolization of liver metastases (procedure)")]
HYSTERECTOMY = [(SNOMED, "236886002", "Hysterectomy (procedure)")]
LIVER_METASTASECTOMY = [(SNOMED, "307616002", "Excision of liver metastasis (procedure)")]
