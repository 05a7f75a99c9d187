"""Tiny builders for characteristics and patient resources used by the data-driven cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.criteria.parse import Parser, resolve_definition_ids
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.results import TrialResult
from fhir_eligibility.record import PatientData

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
ATC = "http://www.whocc.no/atc"
AS_OF = dt.date(2026, 6, 1)
Json = dict[str, Any]


def q(value: float, code: str, comparator: str | None = None) -> Json:
    out: Json = {"value": value, "system": UCUM, "code": code, "unit": code}
    if comparator:
        out["comparator"] = comparator
    return out


def window(low_days: float | None, high_days: float | None = 0, unit: str = "d") -> list[Json]:
    r: Json = {}
    if low_days is not None:
        r["low"] = q(low_days, unit)
    if high_days is not None:
        r["high"] = q(high_days, unit)
    return [
        {
            "eventCodeableConcept": {
                "coding": [{"system": "http://hl7.org/fhir/evidence-variable-event", "code": "study-start"}]
            },
            "range": r,
        }
    ]


def lab(codes: list[str], **value: Any) -> Json:
    return {"type": {"coding": [{"system": LOINC, "code": c} for c in codes]}, **value}


def has(types: list[str], codes: list[tuple[str, str]]) -> Json:
    return {
        "type": {"coding": [{"system": "http://hl7.org/fhir/fhir-types", "code": t} for t in types]},
        "valueCodeableConcept": {"coding": [{"system": s, "code": c} for s, c in codes]},
    }


def obs(
    code: str, date: str, value: Json | None = None, status: str = "final", rid: str | None = None, **extra: Any
) -> Json:
    o: Json = {
        "resourceType": "Observation",
        "id": rid or f"o-{code}-{date}",
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": date,
        "subject": {"reference": "Patient/p"},
    }
    if value is not None:
        o["valueQuantity"] = value
    o.update(extra)
    return o


def condition(
    system: str,
    code: str,
    onset: str | None = None,
    clinical: str = "active",
    verification: str | None = None,
    rid: str | None = None,
) -> Json:
    c: Json = {
        "resourceType": "Condition",
        "id": rid or f"c-{code}",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": system, "code": code}]},
        "clinicalStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": clinical}]
        },
    }
    if onset:
        c["onsetDateTime"] = onset
    if verification:
        c["verificationStatus"] = {"coding": [{"code": verification}]}
    return c


def med_admin(code: str, date: str, dose: Json | None = None, status: str = "completed", system: str = ATC) -> Json:
    m: Json = {
        "resourceType": "MedicationAdministration",
        "id": f"ma-{code}-{date}",
        "status": status,
        "medicationCodeableConcept": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": date,
    }
    if dose:
        m["dosage"] = {"dose": dose}
    return m


def patient(birth: str | None = "1960-01-01", gender: str = "female") -> Json:
    p: Json = {"resourceType": "Patient", "id": "p", "gender": gender}
    if birth:
        p["birthDate"] = birth
    return p


def run(
    characteristic: Json,
    resources: list[Json],
    as_of: dt.date = AS_OF,
    extra: dict[str, Json] | None = None,
    settings: Settings = Settings(),
    others: list[Json] | None = None,
) -> TrialResult:
    """Evaluate one characteristic (plus optional sibling characteristics) against the resources."""
    extra = extra or {}
    parser = Parser(lambda ref: extra.get(ref))
    raw = [characteristic, *(others or [])]
    crits = resolve_definition_ids(tuple(parser.characteristic(c, f"c{i}") for i, c in enumerate(raw)), raw)
    trial = Trial("NCT0", "t", crits)
    data = PatientData("p", resources)
    return evaluate_trial(trial, build_record(data), as_of, settings)
