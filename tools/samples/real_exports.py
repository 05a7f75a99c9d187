"""Shapes real exports carry (issue 13): death, SSA routes, R5 status, mCODE morphology, SNOMED-only codes."""

from __future__ import annotations

from .base import STANDARD_CYCLES, chain, cond, prrt_patient, resected_patient
from .codes import ICD10CM, ICDO3, LU_ATC, LU_RX, OCTREOTIDE, SNOMED, UCUM, Json, cc, dt, qty
from .sample import Extra, Sample

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


def snomed_only_sample() -> Sample:
    """Sample 66's diagnoses coded in SNOMED CT only."""
    return prrt_patient(
        110,
        "snomed-only-diagnoses",
        "Sample 66 coded the way US Core, Synthea and European exports code it: every diagnosis in SNOMED "
        "CT only (ileal primary 93832004 with the mCODE morphology 1286768001, liver metastases 94381002, "
        "prostate cancer 399068003 in 2023, nephrotic syndrome 52254009): the same verdicts as 66.",
        extra=snomed_only,
    )
