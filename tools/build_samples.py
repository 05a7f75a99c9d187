#!/usr/bin/env python3
"""Write the synthetic sample patients: ``sample_bundles/NN-slug.json`` and ``sample_bundles/README.md``.

Every file is one FHIR R4 transaction Bundle shaped like Synthea's output (``fullUrl`` ``urn:uuid:...``,
``request: {method: POST, url: <type>}``, references by ``urn:uuid``), holding one patient whose
``Patient.id`` is ``sample-NN`` (the evaluator reports ``Patient/sample-NN``). All data are dated relative
to the screening date **2026-06-01**; the default lab date is 2026-05-20 (12 days before).

The patients are small variations of a few "near-eligible" base patients:

* ``prrt_patient``  - 62-year-old man, ileal G2 NET (Ki-67 8 %), liver metastases, 4 x 7.4 GBq Lutathera in
  2023, lanreotide until 2026-04-15, 68Ga-DOTATATE PET on 2026-04-10, complete recent labs. Eligible for
  A, B, C and E (manual items attested); ineligible for D (no liver resection, prior PRRT).
* ``resected_patient`` - 57-year-old man, pancreatic G1 NET, liver metastases resected R0 on 2026-03-16
  (metastases now ``resolved``), no systemic therapy. Eligible for D only.
* ``netter2_patient`` - 57-year-old man, pancreatic G3 NET (Ki-67 25 %) with liver metastases diagnosed on
  2026-03-02, untreated, 68Ga-DOTATATE PET 2026-04-20, Karnofsky 80. Eligible for NETTER-2 (F) only.

Each sample's ``Patient.text`` says what it exercises. The expected verdicts are worked out by hand in
``tests/expected_verdicts.json`` (rationale in ``tests/expected_verdicts.md``); the README table is rendered
from that file. Every Bundle is validated with the ``fhir.resources`` R4B models before it is written.

Run: ``.venv/bin/python tools/build_samples.py`` (deterministic: same output every run).
"""

from __future__ import annotations

import argparse
import html
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "sample_bundles"
EXPECTED = ROOT / "tests" / "expected_verdicts.json"

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

TRIALS = [
    ("A", "NCT04954820"),
    ("B", "NCT05773274"),
    ("C", "NCT04837885"),
    ("D", "NCT05987176"),
    ("E", "NCT01842165"),
    ("F", "NCT03972488"),
]

Json = dict[str, Any]
Coding = tuple[str, str, str]
Extra = Callable[["Sample"], object]


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


class Sample:
    """One synthetic patient and its transaction Bundle."""

    def __init__(self, num: int, slug: str, exercises: str, *, gender: str, birth: str, name: tuple[str, str]) -> None:
        self.num = num
        self.id = f"sample-{num:02d}"
        self.file = f"{num:02d}-{slug}.json"
        self.exercises = exercises
        self.entries: list[Json] = []
        self._count = 0
        self.patient_uuid = self._uuid("Patient")
        self.gender = gender
        self.birth = birth
        given, family = name
        patient: Json = {
            "resourceType": "Patient",
            "id": self.id,
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p><b>'
                + html.escape(self.id, quote=False)
                + "</b> (synthetic "
                "test patient, screening date "
                + AS_OF
                + ")</p><p>"
                + html.escape(exercises, quote=False)
                + "</p></div>",
            },
            "identifier": [{"system": SAMPLE_ID_SYSTEM, "value": self.id}],
            "name": [{"use": "official", "family": family, "given": [given]}],
            "gender": gender,
            "birthDate": birth,
        }
        self.entries.append(
            {
                "fullUrl": f"urn:uuid:{self.patient_uuid}",
                "resource": patient,
                "request": {"method": "POST", "url": "Patient"},
            }
        )

    # -- plumbing --------------------------------------------------------------------------------------
    def _uuid(self, key: str) -> str:
        return str(uuid.uuid5(NS, f"{self.id}/{key}"))

    @property
    def subject(self) -> Json:
        return {"reference": f"urn:uuid:{self.patient_uuid}"}

    def add(self, resource: Json) -> Json:
        self._count += 1
        rtype = resource["resourceType"]
        rid = self._uuid(f"{rtype}/{self._count}")
        body = {"resourceType": rtype, "id": rid, **{k: v for k, v in resource.items() if k != "resourceType"}}
        self.entries.append(
            {"fullUrl": f"urn:uuid:{rid}", "resource": body, "request": {"method": "POST", "url": rtype}}
        )
        return body

    def bundle(self) -> Json:
        return {"resourceType": "Bundle", "type": "transaction", "entry": self.entries}

    # -- resources ---------------------------------------------------------------------------------------
    def condition(
        self,
        codings: list[Coding],
        text: str,
        onset: str,
        *,
        clinical: str | None = "active",
        verification: str = "confirmed",
        abatement: str | None = None,
        category: str = "problem-list-item",
    ) -> Json:
        res: Json = {"resourceType": "Condition"}
        if clinical:
            res["clinicalStatus"] = cc([(CLINICAL, clinical, clinical.capitalize())])
        res["verificationStatus"] = cc([(VERIFICATION, verification, verification.capitalize())])
        res["category"] = [
            cc(
                [
                    (
                        COND_CATEGORY,
                        category,
                        "Problem List Item" if category == "problem-list-item" else "Encounter Diagnosis",
                    )
                ]
            )
        ]
        res["code"] = cc(codings, text)
        res["subject"] = self.subject
        res["onsetDateTime"] = dt(onset, "10:00:00")
        if abatement:
            res["abatementDateTime"] = dt(abatement, "10:00:00")
        res["recordedDate"] = dt(onset, "10:00:00")
        return self.add(res)

    def obs(
        self,
        key: str,
        value: float | None = None,
        *,
        date: str = LAB,
        unit: str | None = None,
        low: float | None = None,
        high: float | None = None,
        status: str = "final",
        comparator: str | None = None,
        concept: list[Coding] | None = None,
        code: Coding | None = None,
        category: str | None = None,
        note: str | None = None,
        issued_time: str = "12:00:00",
    ) -> Json:
        """An Observation from the catalogue (``key``) or an explicit ``code``."""
        if code is not None:
            system, c, display = code
            ucum, cat = unit or "", category or "laboratory"
        else:
            system, c, display, ucum, cat = CATALOGUE[key]
            ucum = unit or ucum
            cat = category or cat
        res: Json = {
            "resourceType": "Observation",
            "status": status,
            "category": [cc([(OBS_CATEGORY, cat, CATEGORY_DISPLAY[cat])])],
            "code": cc([(system, c, display)], display),
            "subject": self.subject,
            "effectiveDateTime": dt(date),
            "issued": f"{date}T{issued_time}.000+00:00",
        }
        if concept is not None:
            res["valueCodeableConcept"] = cc(concept, concept[0][2])
        elif value is not None:
            res["valueQuantity"] = qty(value, ucum, UNIT_TEXT.get(ucum, ucum), comparator)
        rr: Json = {}
        if low is not None:
            rr["low"] = qty(low, ucum, UNIT_TEXT.get(ucum, ucum))
        if high is not None:
            rr["high"] = qty(high, ucum, UNIT_TEXT.get(ucum, ucum))
        if rr:
            res["referenceRange"] = [rr]
        if note:
            res["note"] = [{"text": note}]
        return self.add(res)

    def ecog(self, score: int, *, date: str = LAB, as_integer: bool = False, status: str = "final") -> Json:
        code = (LOINC, "89247-1", "ECOG Performance Status score")
        res: Json = {
            "resourceType": "Observation",
            "status": status,
            "category": [cc([(OBS_CATEGORY, "survey", "Survey")])],
            "code": cc([code], "ECOG performance status"),
            "subject": self.subject,
            "effectiveDateTime": dt(date),
            "issued": f"{date}T12:00:00.000+00:00",
        }
        if as_integer:
            res["valueInteger"] = score
        else:
            la, display = ECOG_LA[score]
            res["valueCodeableConcept"] = cc([(LOINC, la, display)], f"ECOG {score}")
        return self.add(res)

    def blood_pressure(self, systolic: float, diastolic: float, *, date: str = LAB) -> Json:
        return self.add(
            {
                "resourceType": "Observation",
                "status": "final",
                "category": [cc([(OBS_CATEGORY, "vital-signs", "Vital Signs")])],
                "code": cc([(LOINC, "85354-9", "Blood pressure panel with all children optional")], "Blood pressure"),
                "subject": self.subject,
                "effectiveDateTime": dt(date),
                "issued": f"{date}T12:00:00.000+00:00",
                "component": [
                    {
                        "code": cc([(LOINC, "8480-6", "Systolic blood pressure")]),
                        "valueQuantity": qty(systolic, "mm[Hg]", "mm[Hg]"),
                    },
                    {
                        "code": cc([(LOINC, "8462-4", "Diastolic blood pressure")]),
                        "valueQuantity": qty(diastolic, "mm[Hg]", "mm[Hg]"),
                    },
                ],
            }
        )

    def pregnancy_test(self, positive: bool, *, date: str, serum: bool = True, status: str = "final") -> Json:
        code = (
            (LOINC, "2118-8", "Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma")
            if serum
            else (LOINC, "2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine")
        )
        return self.obs("", code=code, concept=HCG_POS if positive else HCG_NEG, date=date, status=status)

    def lutathera(
        self,
        day: str,
        value: float = 7400,
        unit: str = "MBq",
        *,
        codes: str = "both",
        status: str = "completed",
        reason: str | None = None,
    ) -> Json:
        codings = {"both": [LU_ATC, LU_RX], "atc": [LU_ATC], "rxnorm": [LU_RX]}[codes]
        res: Json = {
            "resourceType": "MedicationAdministration",
            "status": status,
            "medicationCodeableConcept": cc(codings, "Lutetium Lu 177 dotatate (Lutathera)"),
            "subject": self.subject,
            "effectiveDateTime": dt(day, "09:00:00"),
            "dosage": {
                "route": cc([(SNOMED, "47625008", "Intravenous route")]),
                "dose": {"value": value, "unit": unit, "system": UCUM, "code": unit},
            },
        }
        if reason:
            res["statusReason"] = [{"text": reason}]
        return self.add(res)

    def med_admin(self, codings: list[Coding], text: str, day: str, dose: Json | None = None) -> Json:
        res: Json = {
            "resourceType": "MedicationAdministration",
            "status": "completed",
            "medicationCodeableConcept": cc(codings, text),
            "subject": self.subject,
            "effectiveDateTime": dt(day, "09:00:00"),
        }
        if dose:
            res["dosage"] = {"route": cc([(SNOMED, "26643006", "Oral route")]), "dose": dose}
        return self.add(res)

    def med_statement(
        self,
        codings: list[Coding],
        text: str,
        start: str,
        end: str | None,
        *,
        status: str = "completed",
        dosage: str | None = None,
    ) -> Json:
        period: Json = {"start": start}
        if end:
            period["end"] = end
        res: Json = {
            "resourceType": "MedicationStatement",
            "status": status,
            "medicationCodeableConcept": cc(codings, text),
            "subject": self.subject,
            "effectivePeriod": period,
            "dateAsserted": dt(end or LAB, "10:00:00"),
        }
        if dosage:
            res["dosage"] = [{"text": dosage}]
        return self.add(res)

    def procedure(
        self, codings: list[Coding], text: str, day: str, *, body_site: str | None = None, status: str = "completed"
    ) -> Json:
        res: Json = {"resourceType": "Procedure", "status": status}
        res["code"] = cc(codings, text) if codings else {"text": text}
        res["subject"] = self.subject
        res["performedDateTime"] = dt(day, "11:00:00")
        if body_site:
            res["bodySite"] = [{"text": body_site}]
        return self.add(res)

    def sstr_pet(self, day: str) -> Json:
        return self.procedure(
            [
                (PROJECT_CS, "sstr-imaging", "Somatostatin receptor imaging exam"),
                (PROJECT_CS, "sstr-pet", "Somatostatin receptor PET/CT (68Ga/64Cu-DOTA-peptide)"),
                (HCPCS, "A9587", "Gallium Ga-68, dotatate, diagnostic, 0.1 millicurie"),
            ],
            "68Ga-DOTATATE PET/CT",
            day,
        )

    def liver_mri(self, day: str) -> Json:
        return self.procedure([(PROJECT_CS, "liver-mri", "MRI of the liver")], "MRI of the liver", day)

    def allergy(self, codings: list[Coding], text: str, onset: str) -> Json:
        return self.add(
            {
                "resourceType": "AllergyIntolerance",
                "clinicalStatus": cc([(ALLERGY_CLINICAL, "active", "Active")]),
                "verificationStatus": cc([(ALLERGY_VERIFICATION, "confirmed", "Confirmed")]),
                "type": "allergy",
                "category": ["medication"],
                "criticality": "high",
                "code": cc(codings, text),
                "patient": self.subject,
                "onsetDateTime": dt(onset, "10:00:00"),
                "reaction": [
                    {"manifestation": [cc([(SNOMED, "39579001", "Anaphylaxis (disorder)")])], "severity": "severe"}
                ],
            }
        )


# ----------------------------------------------------------------------------------------------------------
# base patients
# ----------------------------------------------------------------------------------------------------------

PRIMARY: dict[str, tuple[list[Coding], str]] = {
    "ileum": (
        [(ICD10CM, "C7A.012", "Malignant carcinoid tumor of the ileum")],
        "Well-differentiated neuroendocrine tumour of the ileum",
    ),
    "jejunum": (
        [(ICD10CM, "C7A.011", "Malignant carcinoid tumor of the jejunum")],
        "Well-differentiated neuroendocrine tumour of the jejunum",
    ),
    "duodenum": (
        [(ICD10CM, "C7A.010", "Malignant carcinoid tumor of the duodenum")],
        "Well-differentiated neuroendocrine tumour of the duodenum",
    ),
    "unknown": (
        [(ICD10CM, "C7A.00", "Malignant carcinoid tumor of unspecified site")],
        "Well-differentiated neuroendocrine tumour, primary site unknown",
    ),
    "pancreas": (
        [
            (ICD10CM, "C25.4", "Malignant neoplasm of endocrine pancreas"),
            (ICDO3, "8240/3", "Neuroendocrine tumor, NOS / grade 1"),
        ],
        "Well-differentiated neuroendocrine tumour of the pancreas",
    ),
    "ileum-icdo": (
        [(ICD10CM, "C17.2", "Malignant neoplasm of ileum"), (ICDO3, "8249/3", "Neuroendocrine tumor, grade 2")],
        "Neuroendocrine tumour of the ileum (site + ICD-O-3 morphology)",
    ),
}

METS: dict[str, tuple[list[Coding], str]] = {
    "liver": (
        [
            (ICD10CM, "C7B.02", "Secondary carcinoid tumors of liver"),
            (SNOMED, "94381002", "Secondary malignant neoplasm of liver (disorder)"),
        ],
        "Liver metastases",
    ),
    "liver-snomed": ([(SNOMED, "94381002", "Secondary malignant neoplasm of liver (disorder)")], "Liver metastases"),
    "nodes": (
        [(ICD10CM, "C7B.01", "Secondary carcinoid tumors of distant lymph nodes")],
        "Mesenteric and para-aortic lymph-node metastases",
    ),
}


def standard_labs(female: bool) -> dict[str, dict[str, Any] | None]:
    """The screening panel every base patient has (key -> keyword arguments of ``Sample.obs``)."""
    return {
        "hb": {"value": 12.8 if female else 13.2, "low": 12.0 if female else 13.0, "high": 15.5 if female else 17.0},
        "wbc": {"value": 5.8, "low": 4.0, "high": 10.0},
        "anc": {"value": 3.1, "low": 1.8, "high": 7.5},
        "plt": {"value": 210, "low": 150, "high": 400},
        "scr": {"value": 0.8 if female else 0.9, "low": 0.5 if female else 0.7, "high": 1.1 if female else 1.3},
        "weight": {"value": 65 if female else 78},
        "bili": {"value": 0.7, "low": 0.1, "high": 1.2},
        "alt": {"value": 28, "low": 7, "high": 40},
        "ast": {"value": 25, "low": 8, "high": 40},
        "alb": {"value": 4.1, "low": 3.5, "high": 5.0},
        "pt_pct": {"value": 95, "low": 70, "high": 130},
        "inr": {"value": 1.0, "low": 0.8, "high": 1.2},
        "fbg": {"value": 92, "low": 70, "high": 99},
        "mgfr": {"value": 82},
        "lvef": {"value": 60, "date": "2025-11-10", "low": 52},
    }


STANDARD_CYCLES = ["2023-01-16", "2023-03-13", "2023-05-08", "2023-07-03"]  # 8-weekly


def add_labs(s: Sample, labs: dict[str, dict[str, Any] | None], lab_date: str) -> None:
    for key, kw in labs.items():
        if kw is None:
            continue
        kw = dict(kw)
        kw.setdefault("date", lab_date)
        catalogue_key = kw.pop("key", key)
        s.obs(catalogue_key, **kw)


def merged(base: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    """Overrides: ``None`` removes a lab, a dict updates it (``replace=True`` replaces it wholesale)."""
    out = dict(base)
    for k, v in (changes or {}).items():
        if v is None:
            out[k] = None
        elif v.get("replace"):
            out[k] = {kk: vv for kk, vv in v.items() if kk != "replace"}
        else:
            out[k] = {**(out.get(k) or {}), **v}
    return out


def prrt_patient(
    num: int,
    slug: str,
    exercises: str,
    *,
    gender: str = "male",
    birth: str = "1963-09-14",
    name: tuple[str, str] = ("Henri", "Lambert"),
    primary: str = "ileum",
    mets: str | None = "liver",
    ki67: float | None = 8,
    labs: dict[str, Any] | None = None,
    lab_date: str = LAB,
    ecog: tuple[int, bool] | None = (1, False),
    ecog_date: str | None = None,
    cycles: list[tuple[str, float, str]] | None = None,
    lu_codes: str = "both",
    ssa: tuple[str, str | None, str] | None = ("2021-03-01", "2026-04-15", "completed"),
    pet: list[str] | None = None,
    bp: tuple[float, float] | None = (128, 78),
    extra: Extra | None = None,
) -> Sample:
    """Base A/B/C/E candidate: ileal G2 NET with liver metastases after 4 x 7.4 GBq Lutathera (2023)."""
    s = Sample(num, slug, exercises, gender=gender, birth=birth, name=name)
    codings, text = PRIMARY[primary]
    s.condition(codings, text, "2021-02-15")
    if mets:
        mcod, mtext = METS[mets]
        s.condition(mcod, mtext, "2021-02-15")
    if ki67 is not None:
        s.obs("ki67", ki67, date="2021-02-20", note="Biopsy of liver metastasis: well-differentiated NET")
    if ssa:
        start, end, status = ssa
        s.med_statement(
            LANREOTIDE,
            "Lanreotide 120 mg (Somatuline Autogel)",
            start,
            end,
            status=status,
            dosage="120 mg deep subcutaneous injection every 28 days",
        )
    for day, value, unit in cycles if cycles is not None else [(d, 7400, "MBq") for d in STANDARD_CYCLES]:
        s.lutathera(day, value, unit, codes=lu_codes)
    for day in pet if pet is not None else ["2026-04-10"]:
        s.sstr_pet(day)
    if ecog is not None:
        s.ecog(ecog[0], as_integer=ecog[1], date=ecog_date or lab_date)
    add_labs(s, merged(standard_labs(gender == "female"), labs), lab_date)
    if bp:
        s.blood_pressure(*bp, date=lab_date)
    if extra:
        extra(s)
    return s


def resected_patient(
    num: int,
    slug: str,
    exercises: str,
    *,
    gender: str = "male",
    birth: str = "1968-11-02",
    name: tuple[str, str] = ("Pieter", "Janssens"),
    primary: str = "pancreas",
    ki67: float = 5,
    surgery: str = "2026-03-16",
    mri: str = "2026-02-20",
    pet: str = "2026-02-10",
    labs: dict[str, Any] | None = None,
    ecog: tuple[int, bool] = (0, False),
    extra: Extra | None = None,
) -> Sample:
    """Base D candidate: G1 NET, liver metastases resected (R0) with the primary; no systemic therapy."""
    s = Sample(num, slug, exercises, gender=gender, birth=birth, name=name)
    codings, text = PRIMARY[primary]
    s.condition(codings, text, "2026-01-10")  # the NET stays an active problem during adjuvant care
    mcod, mtext = METS["liver"]
    s.condition(mcod, mtext + " (resected)", "2026-01-10", clinical="resolved", abatement=surgery)
    s.sstr_pet(pet)
    s.liver_mri(mri)
    s.procedure(
        [(SNOMED, "107963000", "Excision of liver (procedure)")],
        "Resection of liver metastases (segments 6/7), R0",
        surgery,
    )
    s.procedure([], "Synchronous resection of the primary tumour", surgery)
    s.obs("ki67", ki67, date=surgery, note="Resection specimen: well-differentiated NET, margins clear (R0)")
    s.ecog(ecog[0], as_integer=ecog[1])
    female = gender == "female"
    base = merged(standard_labs(female), {"weight": {"value": 82 if not female else 66}, "mgfr": {"value": 88}})
    add_labs(s, merged(base, labs), LAB)
    s.blood_pressure(124, 80)
    if extra:
        extra(s)
    return s


# ----------------------------------------------------------------------------------------------------------
# shared extras
# ----------------------------------------------------------------------------------------------------------


def cond(codings: list[Coding], text: str, onset: str, **kw: Any) -> Extra:
    return lambda s: s.condition(codings, text, onset, **kw)


def chain(*fns: Extra) -> Extra:
    def run(s: Sample) -> None:
        for f in fns:
            f(s)

    return run


EVEROLIMUS = [(ATC, "L01EG02", "everolimus"), (RXNORM, "845507", "everolimus 10 MG Oral Tablet")]
TEMOZOLOMIDE = [(ATC, "L01AX03", "temozolomide"), (RXNORM, "317160", "temozolomide 100 MG Oral Capsule")]
DEXAMETHASONE = [(ATC, "H02AB02", "dexamethasone")]
AMLODIPINE = [(ATC, "C08CA01", "amlodipine")]
OCTREOTIDE = [(ATC, "H01CB02", "octreotide")]
EBRT = [(SNOMED, "33195004", "Teleradiotherapy procedure (procedure)")]
TACE = [(SNOMED, "314617008", "Chemoembolization of liver metastases (procedure)")]
HYSTERECTOMY = [(SNOMED, "236886002", "Hysterectomy (procedure)")]
LIVER_METASTASECTOMY = [(SNOMED, "307616002", "Excision of liver metastasis (procedure)")]


# ----------------------------------------------------------------------------------------------------------
# the samples
# ----------------------------------------------------------------------------------------------------------


def samples() -> list[Sample]:
    out: list[Sample] = []
    add = out.append
    F = "female"

    # ---- A/B/C/E base and its variations -------------------------------------------------------------
    add(
        prrt_patient(
            1,
            "prrt-ileal-net-baseline",
            "Base patient: 62-year-old man, ileal G2 NET (Ki-67 8 %), liver metastases, 4 x 7400 MBq "
            "Lutathera in 2023 (ATC + RxNorm), lanreotide stopped 2026-04-15, 68Ga-DOTATATE PET 2026-04-10, "
            "complete labs 12 days before screening. Eligible for A, B, C, E; not D (no resection, prior PRRT).",
        )
    )
    add(
        prrt_patient(
            2,
            "second-prrt-course-mci",
            "Base + second PRRT course (2 x 200 mCi, RxNorm-coded, 2025-11 and 2026-01); first course given in "
            "GBq. Exercises course splitting (gap > 182 d), activity in mCi and GBq: A counts 4 first-course "
            "cycles; B fails (intervening therapy after initial PRRT); C fails (6 administrations, not 4).",
            cycles=[(d, 7.4, "GBq") for d in STANDARD_CYCLES],
            extra=lambda s: [s.lutathera(d, 200, "mCi", codes="rxnorm") for d in ("2025-11-10", "2026-01-05")],
        )
    )
    add(
        prrt_patient(
            3,
            "alt-3x-uln-liver-mets",
            "Base + ALT 120 U/L (ULN 40: 3.0 x ULN) with liver metastases: A needs review (2.5-5 x ULN may be "
            "due to the malignancy); C fails (ALT > 2.5 x ULN); E passes (<= 5 x ULN).",
            labs={"alt": {"value": 120}},
        )
    )
    add(
        prrt_patient(
            4,
            "alt-3x-uln-nodal-mets-only",
            "Base with lymph-node (C7B.01) instead of liver metastases and ALT 3.0 x ULN: A fails (no liver "
            "metastases to explain it); C fails (no liver metastases; ALT > 2.5 x ULN); B and E pass.",
            mets="nodes",
            labs={"alt": {"value": 120}},
        )
    )
    add(
        prrt_patient(
            5,
            "ast-5x-uln-snomed-liver-mets",
            "Base with liver metastases coded in SNOMED only (94381002) and AST 200 U/L = exactly 5.0 x ULN: "
            "A needs review (not > 5), E passes on its threshold (<= 5 x ULN), C fails (> 2.5 x ULN).",
            mets="liver-snomed",
            labs={"ast": {"value": 200}},
        )
    )
    add(
        prrt_patient(
            6,
            "alt-over-5x-uln",
            "Base + ALT 210 U/L (5.25 x ULN), just past the 5 x ULN limit: A, C and E fail.",
            labs={"alt": {"value": 210}},
        )
    )
    add(
        prrt_patient(
            7,
            "thresholds-at-window-edge",
            "Every value on its threshold and dated exactly 28 days before screening (2026-05-04): Hb 9.0 g/dL, "
            "ANC 1.5 x10^9/L, platelets 100 x10^3/uL, ALT 2.5 x ULN, fasting glucose 2.0 x ULN (with type 2 "
            "diabetes), measured GFR 50; PET exactly 4 months before (2026-02-01); lanreotide last given "
            "2026-05-04 (exactly 4 weeks). All pass: eligible for A, B, C, E.",
            lab_date="2026-05-04",
            pet=["2026-02-01"],
            ssa=("2021-03-01", "2026-05-04", "completed"),
            labs={
                "hb": {"value": 9.0},
                "anc": {"value": 1.5},
                "plt": {"value": 100, "unit": "10*3/uL"},
                "alt": {"value": 100},
                "fbg": {"value": 198},
                "mgfr": {"value": 50},
                "lvef": {"date": "2025-11-10"},
            },
            extra=cond(
                [(ICD10CM, "E11.9", "Type 2 diabetes mellitus without complications")],
                "Type 2 diabetes mellitus",
                "2018-04-02",
            ),
        )
    )
    add(
        prrt_patient(
            8,
            "hb-outside-28-day-window",
            "Base but the only haemoglobin is dated 2026-05-03 (29 days before screening): Hb is unknown for "
            "A, B, C and E (results outside the window are never carried forward).",
            labs={"hb": {"date": "2026-05-03"}},
        )
    )
    add(
        prrt_patient(
            9,
            "sstr-pet-over-4-months",
            "Base but the last SSTR PET is 2026-01-31, one day outside A's 4-month window (B's 36 months is "
            "fine): A fails A-I9.",
            pet=["2026-01-31"],
        )
    )
    add(
        prrt_patient(
            10,
            "hb-80-g-per-l-albumin-30-g-per-l",
            "Base + Hb 80 g/L (= 8.0 g/dL: fails A's strict > 8, passes B's >= 80 g/L and C's >= 8) and "
            "albumin 30 g/L (not < 3.0 g/dL for A/C, but E needs > 3 g/dL); old stroke 13 months ago "
            "(outside A/C's 12-month window). E fails on Hb < 9 and albumin.",
            labs={
                "hb": {"value": 80, "unit": "g/L", "low": 130, "high": 170},
                "alb": {"value": 30, "unit": "g/L", "low": 35, "high": 50},
            },
            extra=cond(
                [(ICD10CM, "I63.9", "Cerebral infarction, unspecified")],
                "Ischaemic stroke",
                "2025-05-01",
                clinical="resolved",
                abatement="2025-05-20",
            ),
        )
    )
    add(
        prrt_patient(
            11,
            "hb-mmol-platelets-per-mm3-prrt-procedures",
            "Base with Hb 5.6 mmol/L (= 9.02 g/dL), platelets 100000 /mm3 and ANC 1500 /mm3 (all on or just "
            "above C/E thresholds), WBC in /mm3; Lutathera coded by ATC only plus a radionuclide-therapy "
            "Procedure on each treatment day (must be de-duplicated: still 4 cycles). Eligible A, B, C, E.",
            lu_codes="atc",
            labs={
                "hb": {"replace": True, "key": "hb_molar", "value": 5.6, "low": 8.1, "high": 10.6},
                "plt": {"value": 100000, "unit": "/mm3", "low": 150000, "high": 400000},
                "anc": {"value": 1500, "unit": "/mm3", "low": 1800, "high": 7500},
                "wbc": {"value": 4200, "unit": "/mm3", "low": 4000, "high": 10000},
            },
            extra=lambda s: [
                s.procedure(
                    [(SNOMED, "427541000119103", "Intravenous radionuclide therapy (procedure)")],
                    "177Lu-DOTATATE PRRT cycle",
                    d,
                )
                for d in STANDARD_CYCLES
            ],
        )
    )
    add(
        prrt_patient(
            12,
            "anc-1-4-platelets-99-mgfr-49",
            "Base + ANC 1.4 x10^9/L, platelets 99 x10^3/uL and measured GFR 49: just below A/C/E limits "
            "(A ANC >= 1.5; C/E platelets >= 100, E GFR >= 50) but above B's (ANC >= 1.0, platelets >= 80).",
            labs={"anc": {"value": 1.4}, "plt": {"value": 99, "unit": "10*3/uL"}, "mgfr": {"value": 49}},
        )
    )
    add(
        prrt_patient(
            13,
            "platelets-79-anc-900-per-mm3",
            "Base + platelets 79 x10^9/L and ANC 900 /mm3 (WBC 3.0): below every trial's limit except D's "
            "platelets >= 75. Fails A, B, C, E.",
            labs={
                "plt": {"value": 79},
                "anc": {"value": 900, "unit": "/mm3", "low": 1800, "high": 7500},
                "wbc": {"value": 3.0},
            },
        )
    )
    add(
        prrt_patient(
            14,
            "entered-in-error-hb-ecog-refuted-brain-mets",
            "Base + a more recent Hb 7.0 g/dL and ECOG 3 both marked entered-in-error, and brain metastases "
            "with verificationStatus refuted: all must be ignored. Eligible A, B, C, E.",
            extra=lambda s: (
                s.obs("hb", 7.0, date="2026-05-28", status="entered-in-error", low=13.0, high=17.0),
                s.ecog(3, date="2026-05-29", status="entered-in-error"),
                s.condition(
                    [
                        (ICD10CM, "C79.31", "Secondary malignant neoplasm of brain"),
                        (SNOMED, "94225005", "Secondary malignant neoplasm of brain"),
                    ],
                    "Brain metastasis (suspected on CT, refuted on MRI)",
                    "2026-04-02",
                    verification="refuted",
                ),
            ),
        )
    )
    add(
        prrt_patient(
            15,
            "ecog-2-value-integer",
            "Base + ECOG 2 as valueInteger: passes A/B/C (0-2), fails D (0-1) and E (<= 1).",
            ecog=(2, True),
        )
    )
    add(
        prrt_patient(
            16,
            "ecog-outside-window",
            "Base but the only ECOG (1) is dated 2026-04-20, 42 days before screening: unknown for A, B, C, E.",
            ecog_date="2026-04-20",
        )
    )
    add(
        prrt_patient(
            17,
            "ki67-missing",
            "Base without any Ki-67: grade unknown, so A-I2 and B-I2a are unknown; C and E accept any "
            "grade of well-differentiated NET.",
            ki67=None,
        )
    )
    add(
        prrt_patient(
            18,
            "ki67-21-percent-g3",
            "Base + Ki-67 21 % (G3 NET): fails A/B (G1/G2) and D (< 20 %, not high grade); C and E allow a "
            "well-differentiated G3 NET.",
            ki67=21,
        )
    )
    add(
        prrt_patient(
            19,
            "pancreatic-net",
            "Base with a pancreatic NET (C25.4 + ICD-O-3 8240/3): A fails (not intestinal; pancreatic NET "
            "excluded), B fails (not midgut), C and E eligible.",
            primary="pancreas",
            name=("Marc", "Dubois"),
        )
    )
    add(
        prrt_patient(
            20,
            "pancreatic-reduced-dose-carcinoid-heart",
            "Pancreatic NET whose 3rd Lutathera dose was reduced to 100 mCi, with carcinoid heart disease "
            "(E34.01) and LVEF 38 %: C fails on LVEF < 40 %; the reduced dose (reason not recorded) is a C-E12 "
            "review item.",
            primary="pancreas",
            name=("Marc", "Dubois"),
            cycles=[
                ("2023-01-16", 7400, "MBq"),
                ("2023-03-13", 7400, "MBq"),
                ("2023-05-08", 100, "mCi"),
                ("2023-07-03", 7400, "MBq"),
            ],
            labs={"lvef": {"value": 38, "date": "2026-03-02"}},
            extra=cond([(ICD10CM, "E34.01", "Carcinoid heart syndrome")], "Carcinoid heart disease", "2025-09-15"),
        )
    )
    add(
        prrt_patient(
            21,
            "carcinoid-heart-lvef-55",
            "Base + carcinoid heart disease (E34.01) with preserved LVEF 55 %: C needs review (C-E3).",
            labs={"lvef": {"value": 55, "date": "2026-03-02"}},
            extra=cond([(ICD10CM, "E34.01", "Carcinoid heart syndrome")], "Carcinoid heart disease", "2025-09-15"),
        )
    )
    add(
        prrt_patient(
            22,
            "duodenal-net",
            "Base with a duodenal NET (C7A.010): intestinal for A, but foregut (not midgut) for B.",
            primary="duodenum",
        )
    )
    add(
        prrt_patient(
            23,
            "unknown-primary-net",
            "Base with NET of unknown primary (C7A.00): A and B need review (an unknown primary may be intestinal "
            "or midgut); not a proven GEP NET for C, D, E.",
            primary="unknown",
        )
    )
    add(
        prrt_patient(
            24,
            "gilbert-bilirubin-2x-umol",
            "Base + Gilbert syndrome (E80.4) and bilirubin 40 umol/L (ULN 20: 2.0 x ULN): B needs review "
            "(Gilbert clause); A (<= 2.5) and E (<= 2 x ULN, on threshold) pass.",
            labs={"bili": {"replace": True, "key": "bili_molar", "value": 40, "low": 3, "high": 20}},
            extra=cond([(ICD10CM, "E80.4", "Gilbert syndrome")], "Gilbert syndrome", "2004-06-01"),
        )
    )
    add(
        prrt_patient(
            25,
            "bilirubin-1-5x-umol",
            "Base + bilirubin 30 umol/L (ULN 20: exactly 1.5 x ULN) without Gilbert: B fails (< 1.5 required).",
            labs={"bili": {"replace": True, "key": "bili_molar", "value": 30, "low": 3, "high": 20}},
        )
    )
    add(
        prrt_patient(
            26,
            "bilirubin-2-6x",
            "Base + bilirubin 2.6 mg/dL (ULN 1.0): A fails (> 2.5 x ULN), B fails, E fails (> 2 x ULN).",
            labs={"bili": {"value": 2.6, "high": 1.0}},
        )
    )
    add(
        prrt_patient(
            27,
            "cockcroft-gault-female-70",
            "Woman, 70, 60 kg, creatinine 88.4 umol/L (= 1.0 mg/dL): Cockcroft-Gault 49.6 mL/min (x 0.85) - "
            "fails B (> 50) and C (>= 50). Twin of sample-28.",
            gender=F,
            birth="1955-08-20",
            name=("Colette", "Marchand"),
            labs={
                "scr": {"replace": True, "key": "scr_molar", "value": 88.4, "low": 45, "high": 90},
                "weight": {"value": 60},
                "mgfr": {"value": 62},
            },
        )
    )
    add(
        prrt_patient(
            28,
            "cockcroft-gault-male-70",
            "Man, 70, 60 kg, creatinine 88.4 umol/L: Cockcroft-Gault 58.3 mL/min - passes B and C. Twin of sample-27.",
            birth="1955-08-20",
            name=("Claude", "Marchand"),
            labs={
                "scr": {"replace": True, "key": "scr_molar", "value": 88.4, "low": 60, "high": 110},
                "weight": {"value": 60},
                "mgfr": {"value": 64},
            },
        )
    )
    add(
        prrt_patient(
            29,
            "cockcroft-gault-exactly-50",
            "Man, 65, 60 kg, creatinine 1.25 mg/dL: Cockcroft-Gault exactly 50.0 mL/min - fails B (strict "
            "> 50), passes C (>= 50).",
            birth="1961-01-15",
            name=("Alain", "Perrin"),
            labs={"scr": {"value": 1.25}, "weight": {"value": 60}, "mgfr": {"value": 60}},
        )
    )
    add(
        prrt_patient(
            30,
            "measured-creatinine-clearance-governs",
            "Man, 75, 55 kg, creatinine 1.4 mg/dL (Cockcroft-Gault 35.5) but a measured 24-h creatinine "
            "clearance of 56 mL/min: the measured value governs, B and C pass.",
            birth="1951-03-03",
            name=("Jacques", "Roux"),
            labs={
                "scr": {"value": 1.4},
                "weight": {"value": 55},
                "mgfr": {"value": 55},
                "crcl_24h": {"value": 56, "low": 75, "high": 125},
            },
        )
    )
    add(
        prrt_patient(
            31,
            "mdrd-reported-38",
            "Base + lab-reported MDRD eGFR 38 mL/min/1.73m2 with creatinine 1.82 mg/dL and measured GFR 41: "
            "A fails (MDRD < 40), B/C fail (Cockcroft-Gault 46), D fails (creatinine > 1.7 mg/dL), E fails "
            "(measured GFR < 50).",
            labs={"scr": {"value": 1.82}, "mgfr": {"value": 41}, "egfr_mdrd": {"value": 38, "low": 60}},
        )
    )
    add(
        prrt_patient(
            32,
            "mdrd-computed-race-unknown",
            "Base + creatinine 1.90 mg/dL, no reported eGFR, race not recorded: computed MDRD is 36.1 "
            "(non-Black) or 43.8 (Black) - the two disagree around 40, so A is undetermined; B/C fail "
            "(Cockcroft-Gault 44.5); E passes on measured GFR 52.",
            labs={"scr": {"value": 1.9}, "mgfr": {"value": 52}},
        )
    )
    add(
        prrt_patient(
            33,
            "creatinine-outside-window",
            "Base but serum creatinine last measured 2026-04-01 (61 days): MDRD and Cockcroft-Gault cannot be "
            "computed - A, B, C undetermined; E decides on measured GFR.",
            labs={"scr": {"date": "2026-04-01"}},
        )
    )
    add(
        prrt_patient(
            34,
            "liver-panel-missing",
            "Base without ALT, AST or bilirubin: A-E7b, B-I11, C-I6 and E-I8 unknown.",
            labs={"alt": None, "ast": None, "bili": None},
        )
    )
    add(
        prrt_patient(
            35,
            "egfr-only-no-measured-gfr",
            "Base with a CKD-EPI eGFR (88) but no 51Cr-EDTA measured GFR: E undetermined (estimated GFR is "
            "not acceptable for E-I6); the other trials are unaffected.",
            labs={"mgfr": None, "egfr_ckdepi": {"value": 88, "low": 60}},
        )
    )

    # ---- women of childbearing potential -------------------------------------------------------------
    add(
        prrt_patient(
            36,
            "wocbp-negative-serum-hcg-2-days",
            "Woman, 45 (childbearing potential by the < 55 heuristic), negative serum hCG 2 days before "
            "screening: satisfies A (<= 4 days), B and E (serum, <= 4 weeks). Eligible A, B, C, E.",
            gender=F,
            birth="1980-11-05",
            name=("Sophie", "Girard"),
            extra=lambda s: s.pregnancy_test(False, date="2026-05-30"),
        )
    )
    add(
        prrt_patient(
            37,
            "wocbp-no-pregnancy-test",
            "Woman, 54, no pregnancy test: A, B and E undetermined (test required for WOCBP); C has no test "
            "requirement.",
            gender=F,
            birth="1971-10-12",
            name=("Nathalie", "Fournier"),
        )
    )
    add(
        prrt_patient(
            38,
            "wocbp-serum-hcg-12-days",
            "Woman, 45, negative serum hCG 12 days before screening: too old for A (<= 4 days), fine for B "
            "and E (4 weeks).",
            gender=F,
            birth="1980-11-05",
            name=("Claire", "Bonnet"),
            extra=lambda s: s.pregnancy_test(False, date="2026-05-20"),
        )
    )
    add(
        prrt_patient(
            39,
            "wocbp-urine-hcg-only",
            "Woman, 30, negative urine hCG the day before screening: fine for A and B, but E requires a serum "
            "test (undetermined).",
            gender=F,
            birth="1995-07-22",
            name=("Julie", "Mercier"),
            extra=lambda s: s.pregnancy_test(False, date="2026-05-31", serum=False),
        )
    )
    add(
        prrt_patient(
            40,
            "pregnant",
            "Woman, 33, pregnant (Z33.1) with a positive serum hCG: ineligible for every trial.",
            gender=F,
            birth="1993-04-18",
            name=("Emma", "Lefevre"),
            extra=lambda s: (
                s.condition([(ICD10CM, "Z33.1", "Pregnant state, incidental")], "Pregnant state", "2026-04-20"),
                s.pregnancy_test(True, date="2026-05-29"),
            ),
        )
    )
    add(
        prrt_patient(
            41,
            "hysterectomy-no-pregnancy-test",
            "Woman, 48, hysterectomy in 2016 (Procedure 236886002), no pregnancy test: not of childbearing "
            "potential, eligible A, B, C, E.",
            gender=F,
            birth="1978-01-30",
            name=("Isabelle", "Morel"),
            extra=lambda s: s.procedure(HYSTERECTOMY, "Total abdominal hysterectomy", "2016-09-12"),
        )
    )
    add(
        prrt_patient(
            42,
            "hcg-positive-entered-in-error",
            "Woman, 41: a positive serum hCG on 2026-05-30 marked entered-in-error and a negative serum hCG "
            "on 2026-05-29: the error is ignored, eligible A, B, C, E.",
            gender=F,
            birth="1985-03-09",
            name=("Camille", "Laurent"),
            extra=lambda s: (
                s.pregnancy_test(True, date="2026-05-30", status="entered-in-error"),
                s.pregnancy_test(False, date="2026-05-29"),
            ),
        )
    )

    # ---- age ---------------------------------------------------------------------------------------------
    add(
        prrt_patient(
            43,
            "child-age-12",
            "Boy, 12 (born 2014-02-10), otherwise like the base patient: fails every age criterion.",
            birth="2014-02-10",
            name=("Lucas", "Garnier"),
            labs={
                "scr": {"value": 0.5, "low": 0.3, "high": 0.7},
                "weight": {"value": 40},
                "hb": {"value": 13.0, "low": 11.5, "high": 15.5},
            },
        )
    )
    add(
        prrt_patient(
            44,
            "age-18-today",
            "Man born 2008-06-01: 18 exactly on the screening date - passes every age criterion.",
            birth="2008-06-01",
            name=("Hugo", "Faure"),
            labs={"scr": {"value": 0.8}, "weight": {"value": 70}},
        )
    )
    add(
        prrt_patient(
            45,
            "age-17-one-day-short",
            "Man born 2008-06-02: 17 on the screening date (18 the next day) - fails every age criterion.",
            birth="2008-06-02",
            name=("Louis", "Chevalier"),
            labs={"scr": {"value": 0.8}, "weight": {"value": 70}},
        )
    )
    add(
        prrt_patient(
            46,
            "birthdate-year-only-2008",
            "Man with birthDate '2008' only: 17 or 18 on 2026-06-01, so age is undetermined for A, B, C, E.",
            birth="2008",
            name=("Theo", "Robin"),
            labs={"scr": {"value": 0.8}, "weight": {"value": 70}},
        )
    )
    add(
        prrt_patient(
            47,
            "birthdate-year-month-2008-05",
            "Man with birthDate '2008-05': at least 18 years and 0 days on 2026-06-01 whatever the day - age "
            "passes; eligible A, B, C, E.",
            birth="2008-05",
            name=("Nathan", "Clement"),
            labs={"scr": {"value": 0.8}, "weight": {"value": 70}},
        )
    )

    # ---- B-specific ----------------------------------------------------------------------------------------
    hiv = [(ICD10CM, "B20", "Human immunodeficiency virus [HIV] disease")]
    add(
        prrt_patient(
            48,
            "hiv-viral-load-11-months-old",
            "Base + HIV (B20) whose last viral load (< 20 copies/mL) is 11 months old: B-I20 needs an "
            "undetectable load within 6 months - B undetermined.",
            extra=lambda s: (
                s.condition(hiv, "HIV disease on antiretroviral therapy", "2012-05-10"),
                s.obs("hiv_vl", 20, comparator="<", date="2025-06-15"),
            ),
        )
    )
    add(
        prrt_patient(
            49,
            "hiv-undetectable-recent",
            "Base + HIV (B20) with viral load < 20 copies/mL on 2026-03-10 (within 6 months): B passes.",
            extra=lambda s: (
                s.condition(hiv, "HIV disease on antiretroviral therapy", "2012-05-10"),
                s.obs("hiv_vl", 20, comparator="<", date="2026-03-10"),
            ),
        )
    )
    add(
        prrt_patient(
            50,
            "temozolomide-and-icdo-coded-primary",
            "Primary coded as C17.2 (ileum) + ICD-O-3 8249/3 with Ki-67 12 % (intestinal G2 for A), and a "
            "5-day temozolomide course in 2022 before PRRT: B fails (prior alkylator).",
            primary="ileum-icdo",
            ki67=12,
            extra=lambda s: [
                s.med_admin(TEMOZOLOMIDE, "Temozolomide 100 mg capsule", d, qty(300, "mg"))
                for d in ("2022-05-02", "2022-05-03", "2022-05-04", "2022-05-05", "2022-05-06")
            ],
        )
    )
    add(
        prrt_patient(
            51,
            "everolimus-31-days",
            "Base + everolimus 2022-06-01 to 2022-07-01 (31 days, before PRRT): on B's 1-month limit - passes.",
            extra=lambda s: s.med_statement(
                EVEROLIMUS, "Everolimus 10 mg daily", "2022-06-01", "2022-07-01", dosage="10 mg orally once daily"
            ),
        )
    )
    add(
        prrt_patient(
            52,
            "everolimus-3-months",
            "Base + everolimus 2022-06-01 to 2022-08-31 (92 days, before PRRT): B fails (> 1 month).",
            extra=lambda s: s.med_statement(
                EVEROLIMUS, "Everolimus 10 mg daily", "2022-06-01", "2022-08-31", dosage="10 mg orally once daily"
            ),
        )
    )
    add(
        prrt_patient(
            53,
            "tace-after-prrt-recent",
            "Base + TACE (314617008) on 2026-03-20: intervening therapy after PRRT fails B; embolisation "
            "within 12 weeks fails E.",
            extra=lambda s: s.procedure(TACE, "Transarterial chemoembolisation of liver metastases", "2026-03-20"),
        )
    )
    add(
        prrt_patient(
            54,
            "ebrt-before-prrt",
            "Base + external beam radiotherapy (33195004) in 2022, before PRRT: A and E need review (extent "
            "of marrow irradiated unknown); B passes (not after PRRT).",
            extra=lambda s: s.procedure(
                EBRT, "Palliative radiotherapy, 20 Gy in 5 fractions", "2022-09-01", body_site="Lumbar spine"
            ),
        )
    )
    add(
        prrt_patient(
            55,
            "brain-metastasis-untreated",
            "Base + untreated brain metastasis (C79.31, 2026-03): A fails; B, C and E need review.",
            extra=cond(
                [
                    (ICD10CM, "C79.31", "Secondary malignant neoplasm of brain"),
                    (SNOMED, "94225005", "Secondary malignant neoplasm of brain"),
                ],
                "Brain metastasis",
                "2026-03-01",
            ),
        )
    )
    add(
        prrt_patient(
            56,
            "brain-metastasis-on-dexamethasone",
            "Base + brain metastasis with ongoing dexamethasone (H02AB02) since 2026-02: B fails (steroids "
            "within 4 weeks), A fails, C and E need review.",
            extra=lambda s: (
                s.condition(
                    [(ICD10CM, "C79.31", "Secondary malignant neoplasm of brain")], "Brain metastasis", "2026-02-01"
                ),
                s.med_statement(
                    DEXAMETHASONE,
                    "Dexamethasone 4 mg daily",
                    "2026-02-01",
                    None,
                    status="active",
                    dosage="4 mg orally once daily",
                ),
            ),
        )
    )
    add(
        prrt_patient(
            57,
            "bone-marrow-infiltration",
            "Base + bone-marrow infiltration (C79.52): E fails (E-E4), C needs review (extrahepatic disease).",
            extra=cond(
                [(ICD10CM, "C79.52", "Secondary malignant neoplasm of bone marrow")],
                "Diffuse bone-marrow infiltration on 68Ga-DOTATATE PET, confirmed by MRI",
                "2025-12-01",
            ),
        )
    )
    add(
        prrt_patient(
            58,
            "portal-vein-thrombosis",
            "Base + portal vein thrombosis (I81): C fails (contra-indication to intra-arterial infusion).",
            extra=cond([(ICD10CM, "I81", "Portal vein thrombosis")], "Portal vein thrombosis", "2025-12-15"),
        )
    )
    add(
        prrt_patient(
            59,
            "cirrhosis-child-pugh-review",
            "Base + cirrhosis (K74.60) with bilirubin 0.7 mg/dL, albumin 4.1 g/dL, INR 1.1: the lab part of "
            "Child-Pugh is 3 points, ascites/encephalopathy unknown (total 5-9) - C needs review.",
            labs={"inr": {"value": 1.1}},
            extra=cond([(ICD10CM, "K74.60", "Unspecified cirrhosis of liver")], "Cirrhosis of liver", "2019-10-01"),
        )
    )
    add(
        prrt_patient(
            60,
            "albumin-28-g-per-l-pt-low",
            "Base + albumin 28 g/L with prothrombin 60 % (below range) and INR 1.4: A and C fail (albumin low "
            "and PT abnormal), E fails (albumin <= 3 g/dL and PT <= 70 %).",
            labs={
                "alb": {"value": 28, "unit": "g/L", "low": 35, "high": 50},
                "pt_pct": {"value": 60},
                "inr": {"value": 1.4},
            },
        )
    )
    add(
        prrt_patient(
            61,
            "albumin-2-9-pt-missing",
            "Base + albumin 2.9 g/dL and no prothrombin time or INR: A and C undetermined (the 'unless PT "
            "normal' clause cannot be checked); E fails on albumin alone.",
            labs={"alb": {"value": 2.9}, "pt_pct": None, "inr": None},
        )
    )
    add(
        prrt_patient(
            62,
            "albumin-2-8-pt-normal",
            "Base + albumin 2.8 g/dL with normal prothrombin time: A and C pass (PT within range); E fails "
            "(albumin > 3 g/dL required).",
            labs={"alb": {"value": 2.8}},
        )
    )
    add(
        prrt_patient(
            63,
            "fasting-glucose-mmol-over-2x",
            "Base + type 2 diabetes and fasting glucose 11.2 mmol/L (ULN 5.5: 2.04 x ULN): A fails.",
            labs={"fbg": {"replace": True, "key": "fbg_molar", "value": 11.2, "low": 3.9, "high": 5.5}},
            extra=cond(
                [(ICD10CM, "E11.9", "Type 2 diabetes mellitus without complications")],
                "Type 2 diabetes mellitus",
                "2017-03-01",
            ),
        )
    )
    add(
        prrt_patient(
            64,
            "myocardial-infarction-9-months-ecog-2",
            "Base + NSTEMI (I21.4) 9 months ago and ECOG 2: A and C fail (MI within 12 months); D and E fail "
            "on ECOG; B passes.",
            ecog=(2, False),
            extra=cond(
                [(ICD10CM, "I21.4", "Non-ST elevation (NSTEMI) myocardial infarction")],
                "NSTEMI",
                "2025-09-01",
                clinical="resolved",
                abatement="2025-09-20",
            ),
        )
    )
    add(
        prrt_patient(
            65,
            "arrhythmia-and-uncontrolled-hypertension",
            "Base + cardiac arrhythmia (I49.9, 2026-01) and treated hypertension (I10, amlodipine) with BP "
            "164/96: A and C need review (arrhythmia 'uncontrolled'? BP >= 160/95 despite 'optimal' therapy?).",
            bp=(164, 96),
            extra=lambda s: (
                s.condition(
                    [(ICD10CM, "I49.9", "Cardiac arrhythmia, unspecified")],
                    "Paroxysmal cardiac arrhythmia",
                    "2026-01-10",
                ),
                s.condition(
                    [(ICD10CM, "I10", "Essential (primary) hypertension")], "Essential hypertension", "2015-02-01"
                ),
                s.med_statement(
                    AMLODIPINE,
                    "Amlodipine 10 mg daily",
                    "2015-02-01",
                    None,
                    status="active",
                    dosage="10 mg orally once daily",
                ),
            ),
        )
    )
    add(
        prrt_patient(
            66,
            "prostate-cancer-and-nephrotic-syndrome",
            "Base + prostate cancer (C61) diagnosed 2023 and nephrotic syndrome (N04.9): A fails twice "
            "(other solid tumour within 5 years; nephrotic syndrome); B, C, E unaffected.",
            extra=chain(
                cond([(ICD10CM, "C61", "Malignant neoplasm of prostate")], "Prostate adenocarcinoma", "2023-04-10"),
                cond(
                    [(ICD10CM, "N04.9", "Nephrotic syndrome with unspecified morphologic changes")],
                    "Nephrotic syndrome",
                    "2025-11-01",
                ),
            ),
        )
    )
    add(
        prrt_patient(
            67,
            "other-cancers-excepted-or-old",
            "Woman, 61: basal cell carcinoma (C44.91, 2024) and cervical carcinoma in situ (D06.9, 2022) are "
            "excepted, breast cancer (C50.911) was diagnosed 2019 (> 5 years): A passes; eligible A, B, C, E.",
            gender=F,
            birth="1964-12-01",
            name=("Martine", "Lemoine"),
            extra=chain(
                cond(
                    [(ICD10CM, "C44.91", "Basal cell carcinoma of skin, unspecified")],
                    "Basal cell carcinoma of the nose, excised",
                    "2024-03-05",
                    clinical="resolved",
                    abatement="2024-04-01",
                ),
                cond(
                    [(ICD10CM, "D06.9", "Carcinoma in situ of cervix, unspecified")],
                    "Cervical carcinoma in situ, conisation",
                    "2022-05-10",
                    clinical="resolved",
                    abatement="2022-06-15",
                ),
                cond(
                    [(ICD10CM, "C50.911", "Malignant neoplasm of unspecified site of right female breast")],
                    "Breast cancer, treated",
                    "2019-02-14",
                    clinical="remission",
                    abatement="2019-09-30",
                ),
            ),
        )
    )
    add(
        prrt_patient(
            68,
            "lanreotide-ongoing",
            "Base but lanreotide is still active (no end date): E fails (long-acting SSA must stop >= 4 weeks "
            "before D0); A, B, C allow SSA.",
            ssa=("2021-03-01", None, "active"),
        )
    )
    add(
        prrt_patient(
            69,
            "pancreatic-fourth-cycle-after-labs",
            "Pancreatic NET treated 2025-11 to 2026-05-18 (4th cycle 14 days ago); labs drawn 2026-05-10, "
            "before the 4th cycle: C undetermined (blood counts must follow the 4th cycle); E fails (PRRT "
            "within 12 weeks); D fails (treatment within 4 weeks).",
            primary="pancreas",
            name=("Marc", "Dubois"),
            lab_date="2026-05-10",
            cycles=[(d, 7400, "MBq") for d in ("2025-11-24", "2026-01-19", "2026-03-16", "2026-05-18")],
        )
    )
    add(
        prrt_patient(
            70,
            "three-prrt-cycles-fourth-not-done",
            "Base with 3 completed cycles and a 4th MedicationAdministration 'not-done' (thrombocytopenia): "
            "A fails (first course not 4), B passes (3 cycles), C fails (not 4).",
            cycles=[(d, 7400, "MBq") for d in STANDARD_CYCLES[:3]],
            lu_codes="atc",
            extra=lambda s: s.lutathera(
                "2023-07-03", codes="atc", status="not-done", reason="Cycle cancelled: grade 3 thrombocytopenia"
            ),
        )
    )
    add(
        prrt_patient(
            71,
            "five-reduced-cycles-cumulative-activity",
            "Base with 5 cycles of 150 mCi (5550 MBq; 27.75 GBq within 32 weeks): B passes on cumulative "
            "activity 22.2-29.6 GBq in 52 weeks; A and C fail (not 4 cycles); the reduced doses are a C-E12 review "
            "item (reason not recorded).",
            cycles=[(d, 150, "mCi") for d in (*STANDARD_CYCLES, "2023-08-28")],
        )
    )
    add(
        prrt_patient(
            72,
            "two-prrt-cycles",
            "Base with only 2 cycles (14.8 GBq): fails A, B (neither 3-4 cycles nor 22.2-29.6 GBq) and C.",
            cycles=[(d, 7400, "MBq") for d in STANDARD_CYCLES[:2]],
        )
    )
    add(
        prrt_patient(
            73,
            "dotatate-pet-over-36-months",
            "Base whose only SSTR PET is 2023-05-31 (36 months + 1 day): A and B fail their imaging windows.",
            pet=["2023-05-31"],
        )
    )
    add(
        prrt_patient(
            74,
            "liver-resection-3-weeks-after-prrt",
            "Base + resection of a liver metastasis (307616002) on 2026-05-10: major surgery within 6 weeks "
            "(B, E) and intervening therapy after PRRT (B); D fails (< 4 weeks post-surgery, prior PRRT).",
            extra=lambda s: s.procedure(LIVER_METASTASECTOMY, "Wedge resection of liver metastasis", "2026-05-10"),
        )
    )

    # ---- D base and variations -------------------------------------------------------------------------
    add(
        resected_patient(
            75,
            "d-pancreatic-resected-eligible",
            "D base: man, 57, pancreatic G1 NET (Ki-67 5 %), liver metastases resected R0 on 2026-03-16 "
            "with the primary (metastases now resolved), PET 34 days and MRI 24 days before surgery, no "
            "systemic therapy, ECOG 0. Eligible for D only.",
        )
    )
    add(
        resected_patient(
            76,
            "d-ileal-resected-thresholds",
            "Woman, 63, ileal G1 NET resected 2026-05-04 (exactly 4 weeks) after pre-operative "
            "lanreotide; every D lab on its threshold: Hb 8.0 g/dL, WBC 2.0, platelets 75, bilirubin "
            "3.0 x ULN, albumin 3.0 g/dL, creatinine 1.70 mg/dL (150.3 umol/L), fasting glucose 2.0 x ULN. "
            "Eligible for D; fails A, B, C, E on several counts.",
            gender="female",
            birth="1962-10-25",
            name=("Annick", "Peeters"),
            primary="ileum",
            ki67=4,
            surgery="2026-05-04",
            mri="2026-04-06",
            pet="2026-03-02",
            ecog=(1, True),
            labs={
                "hb": {"value": 8.0},
                "wbc": {"value": 2.0},
                "anc": {"value": 1.2},
                "plt": {"value": 75},
                "bili": {"value": 3.0, "high": 1.0},
                "alb": {"value": 3.0},
                "scr": {"value": 1.70},
                "fbg": {"value": 198},
                "mgfr": {"value": 35},
                "weight": {"value": 65},
            },
            extra=lambda s: (
                s.med_statement(
                    LANREOTIDE,
                    "Lanreotide 120 mg (Somatuline Autogel)",
                    "2025-11-01",
                    "2026-03-01",
                    dosage="120 mg deep subcutaneous injection every 28 days",
                ),
                s.condition(
                    [(ICD10CM, "E11.9", "Type 2 diabetes mellitus without complications")],
                    "Type 2 diabetes mellitus",
                    "2016-01-20",
                ),
            ),
        )
    )
    add(
        resected_patient(
            77,
            "d-resection-27-days",
            "D base but resected 2026-05-05 (27 days before screening): D fails (< 4 weeks post-surgery).",
            surgery="2026-05-05",
            mri="2026-04-06",
            pet="2026-03-02",
        )
    )
    add(
        resected_patient(
            78,
            "d-ki67-20-percent",
            "D base with Ki-67 exactly 20 %: D requires < 20 % - fails D-I4 (not high grade either).",
            ki67=20,
        )
    )
    add(
        resected_patient(
            79, "d-wbc-missing", "D base without a white-cell count: D undetermined (D-E9).", labs={"wbc": None}
        )
    )
    add(
        resected_patient(
            80,
            "d-prior-ebrt",
            "D base + pelvic external beam radiotherapy in 2014: D needs review (> 25 % of marrow?).",
            extra=lambda s: s.procedure(EBRT, "Pelvic radiotherapy", "2014-06-10", body_site="Pelvis"),
        )
    )
    add(
        resected_patient(
            81,
            "d-heart-failure-nyha-2",
            "D base + heart failure (I50.9, 2020) with NYHA class II and LVEF 45 %: D needs review "
            "('uncontrolled' CHF NYHA II).",
            labs={"lvef": {"value": 45, "date": "2026-04-15"}},
            extra=lambda s: (
                s.condition([(ICD10CM, "I50.9", "Heart failure, unspecified")], "Chronic heart failure", "2020-05-01"),
                s.obs(
                    "",
                    code=(LOINC, "88020-3", "Functional capacity NYHA"),
                    concept=[(SNOMED, "421704003", "New York Heart Association Classification - Class II")],
                    category="exam",
                ),
            ),
        )
    )
    add(
        resected_patient(
            82,
            "d-hb-4-98-mmol",
            "D base + Hb 4.98 mmol/L: below D's 5.0 mmol/L in its native unit (= 8.02 g/dL, which would "
            "pass the g/dL form) - D fails; passes A's > 8 g/dL.",
            labs={"hb": {"replace": True, "key": "hb_molar", "value": 4.98, "low": 8.1, "high": 10.6}},
        )
    )
    add(
        resected_patient(
            83,
            "d-creatinine-151-umol",
            "D base + creatinine 151 umol/L (> 150 umol/L): D fails (D-E16).",
            labs={
                "scr": {"replace": True, "key": "scr_molar", "value": 151, "low": 60, "high": 110},
                "mgfr": {"value": 58},
            },
        )
    )
    add(
        resected_patient(
            84,
            "d-prior-everolimus",
            "D base + everolimus June-September 2025 (prior systemic therapy): D fails (D-E7).",
            extra=lambda s: s.med_statement(
                EVEROLIMUS, "Everolimus 10 mg daily", "2025-06-01", "2025-09-30", dosage="10 mg orally once daily"
            ),
        )
    )
    add(
        resected_patient(
            85,
            "d-pet-13-weeks-before-surgery",
            "D base but the 68Ga-DOTATATE PET was 2025-12-15, 91 days before surgery (> 12 weeks): D fails "
            "(D-I8); also outside A's 4-month window.",
            pet="2025-12-15",
        )
    )
    add(
        resected_patient(
            86,
            "d-wocbp-breastfeeding",
            "Woman, 36, jejunal G1 NET, resected like the D base, breast-feeding (Z39.1), negative serum "
            "hCG 3 days before screening: eligible for D (breast-feeding is not a D exclusion); "
            "breast-feeding excludes her from A, B, C and E.",
            gender="female",
            birth="1989-09-09",
            name=("Lotte", "Maes"),
            primary="jejunum",
            ki67=6,
            extra=lambda s: (
                s.condition(
                    [(ICD10CM, "Z39.1", "Encounter for care and examination of lactating mother")],
                    "Breast-feeding",
                    "2025-12-01",
                ),
                s.pregnancy_test(False, date="2026-05-29"),
            ),
        )
    )
    add(
        resected_patient(
            87,
            "d-somatostatin-analogue-allergy",
            "D base + documented anaphylaxis to octreotide (AllergyIntolerance, ATC H01CB02): D fails "
            "(D-E17); A would fail too (A-E15).",
            extra=lambda s: s.allergy(OCTREOTIDE, "Octreotide", "2026-01-20"),
        )
    )
    add(
        resected_patient(
            88,
            "d-labs-just-past",
            "D base + WBC 1.9, platelets 74 x10^9/L (ANC 1.1) and bilirubin 3.1 x ULN: D fails three "
            "times (D-E9, D-E10, D-E11).",
            labs={
                "wbc": {"value": 1.9},
                "anc": {"value": 1.1},
                "plt": {"value": 74},
                "bili": {"value": 3.1, "high": 1.0},
            },
        )
    )
    out.extend(real_export_samples())
    add(attested_by_coordinator())
    out.extend(netter2_samples())
    add(
        prrt_patient(
            110,
            "snomed-only-diagnoses",
            "Sample 66 coded the way US Core, Synthea and European exports code it: every diagnosis in SNOMED "
            "CT only (ileal primary 93832004 with the mCODE morphology 1286768001, liver metastases 94381002, "
            "prostate cancer 399068003 in 2023, nephrotic syndrome 52254009): the same verdicts as 66.",
            extra=snomed_only,
        )
    )
    return out


# ----------------------------------------------------------------------------------------------------------
# shapes real exports carry (issue 13): death, SSA formulation, R5 status, mCODE morphology, contained drug
# ----------------------------------------------------------------------------------------------------------

MCODE_MORPHOLOGY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
SNOMED_ROUTE = {"IM": "78421000", "SC": "34206005"}
ROUTE_DISPLAY = {"IM": "Intramuscular route", "SC": "Subcutaneous route"}


def octreotide_admin(day: str, route: str, text: str, dose: Json) -> Extra:
    """Octreotide coded by ATC only (H01CB02 does not tell LAR from short-acting): the route must decide."""

    def add(s: Sample) -> None:
        s.add(
            {
                "resourceType": "MedicationAdministration",
                "status": "completed",
                "medicationCodeableConcept": cc(OCTREOTIDE, text),
                "subject": s.subject,
                "effectiveDateTime": dt(day, "09:00:00"),
                "dosage": {"route": cc([(SNOMED, SNOMED_ROUTE[route], ROUTE_DISPLAY[route])]), "dose": dose},
            }
        )

    return add


def recorded_statement(s: Sample) -> None:
    """An R5-style statement: status ``recorded`` (R5's normal status), short-acting octreotide yesterday."""
    s.add(
        {
            "resourceType": "MedicationStatement",
            "status": "recorded",
            "medicationCodeableConcept": cc(OCTREOTIDE, "Octreotide 100 micrograms s.c. three times daily"),
            "subject": s.subject,
            "effectiveDateTime": dt("2026-05-31", "20:00:00"),
            "dosage": [{"route": cc([(SNOMED, SNOMED_ROUTE["SC"], ROUTE_DISPLAY["SC"])])}],
        }
    )


def contained_cycles(s: Sample) -> None:
    """The four 2023 Lutathera cycles, each naming its drug as a contained Medication (``#lu177``)."""
    for day in STANDARD_CYCLES:
        s.add(
            {
                "resourceType": "MedicationAdministration",
                "contained": [{"resourceType": "Medication", "id": "lu177", "code": cc([LU_ATC, LU_RX], "Lutathera")}],
                "status": "completed",
                "medicationReference": {"reference": "#lu177"},
                "subject": s.subject,
                "effectiveDateTime": dt(day, "09:00:00"),
                "dosage": {
                    "route": cc([(SNOMED, "47625008", "Intravenous route")]),
                    "dose": {"value": 7400, "unit": "MBq", "system": UCUM, "code": "MBq"},
                },
            }
        )


def mcode_primary(s: Sample) -> None:
    """Recode the primary as mCODE does: a site code (C25.2, tail of pancreas) plus the morphology extension."""
    primary = s.entries[1]["resource"]
    primary["code"] = cc([(ICD10CM, "C25.2", "Malignant neoplasm of tail of pancreas")], "Tumour of pancreatic tail")
    primary["extension"] = [
        {"url": MCODE_MORPHOLOGY, "valueCodeableConcept": cc([(ICDO3, "8240/3", "Neuroendocrine tumor, NOS")])}
    ]


def valueless_newer_hb(s: Sample) -> None:
    """A final Hb 4 days before screening with no value (dataAbsentReason): the older valid Hb still counts."""
    res = s.obs("hb", None, date="2026-05-28")
    res["dataAbsentReason"] = cc(
        [("http://terminology.hl7.org/CodeSystem/data-absent-reason", "error", "Error")], "Sample haemolysed"
    )


def snomed_only(s: Sample) -> None:
    """Every diagnosis in SNOMED CT, as US Core / Synthea / European exports code them: the ileal
    primary as a site (93832004) with the mCODE morphology extension (1286768001, well-differentiated
    NET), liver metastases 94381002, and sample 66's prostate cancer and nephrotic syndrome."""
    primary, mets = s.entries[1]["resource"], s.entries[2]["resource"]
    primary["code"] = cc([(SNOMED, "93832004", "Primary malignant neoplasm of ileum (disorder)")], "Ileal tumour")
    primary["extension"] = [
        {
            "url": MCODE_MORPHOLOGY,
            "valueCodeableConcept": cc(
                [(SNOMED, "1286768001", "Well-differentiated neuroendocrine tumor (morphologic abnormality)")]
            ),
        }
    ]
    mets["code"] = cc([(SNOMED, "94381002", "Secondary malignant neoplasm of liver (disorder)")], "Liver metastases")
    chain(
        cond(
            [(SNOMED, "399068003", "Malignant tumor of prostate (disorder)")], "Prostate adenocarcinoma", "2023-04-10"
        ),
        cond([(SNOMED, "52254009", "Nephrotic syndrome (disorder)")], "Nephrotic syndrome", "2025-11-01"),
    )(s)


def real_export_samples() -> list[Sample]:
    deceased = prrt_patient(
        90,
        "deceased-before-screening",
        "Base patient who died on 2026-05-25 (Patient.deceasedDateTime), a week before screening: not a "
        "candidate for any trial - ineligible for all five with the single reason 'deceased'.",
    )
    deceased.entries[0]["resource"]["deceasedDateTime"] = dt("2026-05-25", "14:00:00")
    return [
        deceased,
        prrt_patient(
            91,
            "octreotide-lar-intramuscular-atc-only",
            "Base + octreotide coded by ATC only (H01CB02), given intramuscularly on 2026-05-14 (18 days before "
            "D0): intramuscular octreotide is the LAR depot, so E fails (long-acting SSA within 4 weeks, E-I5); "
            "A, B, C unchanged (eligible).",
            extra=octreotide_admin("2026-05-14", "IM", "Octreotide 30 mg", qty(30, "mg")),
        ),
        prrt_patient(
            92,
            "octreotide-subcutaneous-10-days",
            "Base + octreotide (ATC only) given subcutaneously on 2026-05-22, 10 days before D0: short-acting and "
            "stopped more than 48 h before, so E passes E-I5 (a decision, not a review); eligible for A, B, C, E.",
            extra=octreotide_admin("2026-05-22", "SC", "Octreotide 100 micrograms", qty(100, "ug", "microgram")),
        ),
        prrt_patient(
            93,
            "r5-recorded-statement-octreotide-yesterday",
            "Base + a MedicationStatement with the R5 status 'recorded': short-acting s.c. octreotide on "
            "2026-05-31, the day before D0: E fails (any SSA within 48 h, E-I5); A, B, C unchanged.",
            extra=recorded_statement,
        ),
        resected_patient(
            94,
            "mcode-morphology-pancreatic-net",
            "D base whose primary is coded the mCODE way: C25.2 (tail of pancreas) with the ICD-O-3 morphology "
            "8240/3 in the histology-morphology-behavior extension. Read as a pancreatic NET: eligible for D, "
            "and A excludes it as a pancreatic NET (A-E4), exactly like sample 75.",
            extra=mcode_primary,
        ),
        prrt_patient(
            95,
            "contained-medication-lutathera",
            "Base whose four 2023 Lutathera cycles name the drug as a contained Medication "
            "(medicationReference '#lu177'): they count as the first course, so the verdicts are the base's "
            "(eligible for A, B, C, E; D ineligible).",
            cycles=[],
            extra=contained_cycles,
        ),
        prrt_patient(
            96,
            "valueless-newer-hemoglobin",
            "Base + a final Hb on 2026-05-28 with no value (dataAbsentReason 'error'): not a valid value, so the "
            "Hb 13.2 g/dL of 2026-05-20 stays the most recent (clinical.md §0.3); eligible for A, B, C, E.",
            extra=valueless_newer_hb,
        ),
    ]


# ----------------------------------------------------------------------------------------------------------
# NETTER-2 (NCT03972488, trial F): newly diagnosed grade 2-3 GEP-NET, no prior therapy (issue 18)
# ----------------------------------------------------------------------------------------------------------


def netter2_patient(
    num: int,
    slug: str,
    exercises: str,
    *,
    birth: str = "1969-04-22",
    name: tuple[str, str] = ("Tomas", "Berger"),
    diagnosed: str = "2026-03-02",
    ki67: float = 25,
    kps: int | None = 80,
    weight: float = 72,
    potassium: float = 4.3,
    extra: Extra | None = None,
) -> Sample:
    """Base F candidate: pancreatic G3 NET (Ki-67 25 %) with liver metastases, diagnosed 3 months before
    screening, never treated; SSTR PET 6 weeks before screening; Karnofsky 80 (mCODE valueInteger); serum
    potassium with the screening labs (F-E7; no other trial reads it)."""
    s = Sample(num, slug, exercises, gender="male", birth=birth, name=name)
    codings, text = PRIMARY["pancreas"]
    s.condition(codings, text, diagnosed)
    mcod, mtext = METS["liver"]
    s.condition(mcod, mtext, diagnosed)
    s.obs("ki67", ki67, date=diagnosed, note="Liver biopsy: well-differentiated NET, grade by Ki-67")
    s.sstr_pet("2026-04-20")
    s.ecog(1)
    if kps is not None:
        s.add(
            {
                "resourceType": "Observation",
                "status": "final",
                "category": [cc([(OBS_CATEGORY, "survey", "Survey")])],
                "code": cc([(LOINC, "89243-0", "Karnofsky Performance Status score")], "Karnofsky score"),
                "subject": s.subject,
                "effectiveDateTime": dt(LAB),
                "issued": f"{LAB}T12:00:00.000+00:00",
                "valueInteger": kps,
            }
        )
    add_labs(s, merged(standard_labs(False), {"weight": {"value": weight}}), LAB)
    s.obs("potassium", potassium, low=3.5, high=5.1)
    s.blood_pressure(126, 79)
    if extra:
        extra(s)
    return s


def netter2_samples() -> list[Sample]:
    lar = chain(
        octreotide_admin("2026-04-20", "IM", "Octreotide LAR 30 mg", qty(30, "mg")),
        octreotide_admin("2026-05-18", "IM", "Octreotide LAR 30 mg", qty(30, "mg")),
    )
    return [
        netter2_patient(
            111,
            "netter2-g3-pancreatic-untreated",
            "NETTER-2 base: pancreatic NET Ki-67 25 % with liver metastases diagnosed 2026-03-02, untreated, "
            "PET 2026-04-20, KPS 80, 72 kg: eligible for F once its manual lines are attested; A-E fail it "
            "(no prior PRRT, no resection, G3).",
        ),
        netter2_patient(
            112,
            "netter2-ki67-60-percent",
            "NETTER-2 base with Ki-67 60 % and serum potassium 6.4 mmol/L: above the 55 % bound (I2) and "
            "hyperkalaemia > 6.0 not corrected by screening (E7), ineligible for F on both.",
            ki67=60,
            potassium=6.4,
        ),
        netter2_patient(
            113,
            "netter2-age-16-weight-39-5-kg",
            "NETTER-2 base aged 16 weighing 39.5 kg: old enough for F (>= 15) but not > 40 kg, so ineligible for "
            "F (I3); under 18 for A-E.",
            birth="2010-02-11",
            name=("Luca", "Berger"),
            weight=39.5,
        ),
        netter2_patient(
            114,
            "netter2-karnofsky-missing",
            "NETTER-2 base with no Karnofsky score (ECOG only): F undetermined (I6, a score to collect).",
            kps=None,
        ),
        netter2_patient(
            115,
            "netter2-octreotide-lar-two-doses",
            "NETTER-2 base given octreotide LAR 30 mg i.m. on 2026-04-20 and 2026-05-18: somatostatin analogue "
            "pretreatment is a judgement for F (E4 review: needs-review).",
            extra=lar,
        ),
        netter2_patient(
            116,
            "netter2-diagnosed-over-6-months",
            "NETTER-2 base diagnosed on 2025-11-20, 8 months before screening (F's window starts 2025-12-01): "
            "not newly diagnosed, ineligible for F (I1).",
            diagnosed="2025-11-20",
        ),
        netter2_patient(
            117,
            "netter2-weight-exactly-40-kg",
            "NETTER-2 base weighing exactly 40 kg: 'weight > 40 kg' is strict, ineligible for F (I3); its "
            "potassium of exactly 6.0 mmol/L is not '> 6.0', so E7 passes.",
            weight=40,
            potassium=6.0,
        ),
    ]


# ----------------------------------------------------------------------------------------------------------
# output
# ----------------------------------------------------------------------------------------------------------


def validate(bundle: Json, where: str) -> None:
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)
    ids = [e["fullUrl"] for e in bundle["entry"]]
    assert len(ids) == len(set(ids)), f"{where}: duplicate fullUrl"
    targets = set(ids)
    for e in bundle["entry"]:
        r = e["resource"]
        for key in ("subject", "patient"):
            ref = r.get(key, {}).get("reference") if isinstance(r.get(key), dict) else None
            if ref:
                assert ref in targets, f"{where}: dangling reference {ref}"


def readme(all_samples: list[Sample]) -> str:
    expected: dict[str, Any] = {}
    if EXPECTED.exists():
        expected = json.loads(EXPECTED.read_text(encoding="utf-8")).get("expected", {})
    short = {
        "eligible": "eligible",
        "ineligible": "ineligible",
        "undetermined": "undetermined",
        "needs-review": "needs-review",
    }
    lines = [
        "# Sample patients",
        "",
        "Synthetic FHIR R4 transaction Bundles (one patient each, Synthea-shaped: `urn:uuid` fullUrls and references, "
        "`request: POST <type>`), written by `tools/build_samples.py` - edit the script, not the files. "
        "`Patient.id` is `sample-NN`; `Patient.text` says what each patient exercises.",
        "",
        "Screening date for every sample: **2026-06-01** (`--as-of 2026-06-01`). Default lab date 2026-05-20.",
        "Expected verdicts assume every manual (category c) criterion is attested (`--assume-attested`); they were "
        "worked out by hand from the protocols and `clinical.md` - see `tests/expected_verdicts.json` (machine "
        "readable, with the deciding criterion ids) and `tests/expected_verdicts.md` (rationale). In brackets: the "
        "criteria that decide a non-eligible verdict.",
        "",
        "Trials: **A** NCT04954820 (Lutathera retreatment, France) - **B** NCT05773274 (NET RETREAT) - "
        "**C** NCT04837885 (intra-arterial hepatic PRRT) - **D** NCT05987176 (adjuvant after liver resection) - "
        "**E** NCT01842165 (Belgian lesion-based PRRT) - **F** NCT03972488 (NETTER-2, first-line Lutathera in "
        "grade 2-3 GEP-NET; criterion ids are its imported linkIds).",
        "",
        "| file | exercises | A | B | C | D | E | F |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in all_samples:
        cells = []
        for _, nct in TRIALS:
            e = expected.get(s.id, {}).get(nct)
            if not e:
                cells.append("?")
                continue
            v = short[e["verdict"]]
            cells.append(v + (" [" + ", ".join(e["deciding"]) + "]" if e["deciding"] else ""))
        lines.append(f"| `{s.file}` | {s.exercises.replace('|', '/')} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args()
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    all_samples = samples()
    assert len({s.id for s in all_samples}) == len(all_samples)
    for old in out_dir.glob("[0-9][0-9]-*.json"):
        old.unlink()
    for s in all_samples:
        b = s.bundle()
        validate(b, s.file)
        (out_dir / s.file).write_text(json.dumps(b, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / "README.md").write_text(readme(all_samples), encoding="utf-8")
    print(f"wrote {len(all_samples)} bundles and README.md to {out_dir}")


# A's manual items as a research coordinator answers them for the PRRT base patient (yes = the statement holds
# as written; for an exclusion: the excluding condition is present).
A_ANSWERS = {
    "characteristic[3].1": True,  # progression >= 12 months after the last 2023 cycle
    "A-I5": True,  # progression after the first PRRT
    "A-I6": True,  # tumour board decision
    "A-I8": True,  # life expectancy >= 6 months
    "characteristic[8].1": True,  # >= 90 % of lesions with uptake >= liver on the 2026-04-10 PET
    "A-I10": True,  # measurable per RECIST 1.1
    "A-I13": True,  # contraception agreed
    "A-I14": True,  # signed consent
    "A-I15": True,  # willing and able to comply
    "A-I16": True,  # French social security
    "A-E1": False,  # responded to the first PRRT
    "A-E2": False,
    "characteristic[20].1": False,  # no grade 4 toxicity in the first PRRT
    "A-E14": False,
    "characteristic[33].1": False,  # no other hypersensitivity
    "A-E16": False,
    "A-E18": False,
}


def attested_by_coordinator() -> Sample:
    """The PRRT base patient with A's manual items answered in a QuestionnaireResponse (+ Provenance), so A is
    eligible without --assume-attested (issue 14). Built with the project's own Questionnaire renderer, so the
    canonical and linkIds are the ones the evaluator reads."""
    import sys

    sys.path.insert(0, str(ROOT))
    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.report.questionnaire import provenance, questionnaire_response

    s = prrt_patient(
        97,
        "attested-by-coordinator",
        "PRRT base patient (as sample-01) whose research coordinator answered every manual item of A in a "
        "completed QuestionnaireResponse (2026-05-25, inclusions yes, exclusions no): A is eligible without "
        "--assume-attested; B, C and E await attestations (needs-review), D ineligible as base.",
        name=("Marc", "Durand"),
    )
    trial = load_trials(None, ["NCT04954820"])[0]
    response = questionnaire_response(
        trial,
        s.id,
        A_ANSWERS,
        author="Claire Martin (research coordinator)",
        authored="2026-05-25T14:30:00+02:00",
        response_id="unused",
        comments={"A-I6": "RENATEN tumour board of 2026-05-21 validated the second PRRT"},
    )
    body = s.add({k: v for k, v in response.items() if k != "id"} | {"subject": s.subject})
    prov = provenance({**body, "id": "unused"}, "unused")
    prov["target"] = [{"reference": f"urn:uuid:{body['id']}"}]
    s.add({k: v for k, v in prov.items() if k != "id"})
    return s


if __name__ == "__main__":
    main()
