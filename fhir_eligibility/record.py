"""A patient's data as every source delivers it, and the indexed record the evaluator reads.

Sources (bundle/NDJSON files, FHIR server, CDS prefetch) produce :class:`PatientData`: the raw
FHIR JSON of one patient, in whatever version (R4, R4B, R5) it came, plus what could not be
fetched. :func:`build_record` normalises it once into an immutable :class:`PatientRecord`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fhir_eligibility.requirements.model import Unavailable

Resource = dict[str, Any]


@dataclass
class PatientData:
    patient_id: str
    resources: list[Resource]  # the Patient and everything about them, raw JSON
    unavailable: tuple[Unavailable, ...] = ()
    warnings: list[str] = field(default_factory=list)


# Where a resource names its patient (Observation.subject, AllergyIntolerance.patient, Coverage.beneficiary...).
PATIENT_KEYS = ("subject", "patient", "beneficiary", "individual")


def patient_reference(resource: Resource) -> str | None:
    """The reference text naming the resource's patient (first of PATIENT_KEYS present)."""
    for key in PATIENT_KEYS:
        ref = resource.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return str(ref["reference"])
    return None


def patient_ref_id(reference: str) -> str | None:
    """``Patient/123``, ``http://x/fhir/Patient/123`` or ``Patient/123/_history/2`` -> ``123``."""
    parts = reference.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2] == "Patient":
        return parts[-1]
    return None


def patient_id_of(reference: str) -> str | None:
    """Patient id from ``Patient/x``, ``urn:uuid:x`` or an absolute ``.../Patient/x`` reference; None otherwise
    (conditional ``Patient?identifier=`` references need the identifier index: :func:`identifier_keys`)."""
    if "?" in reference:
        return None
    pid = reference[9:] if reference.startswith("urn:uuid:") else patient_ref_id(reference)
    return pid if pid and not any(c in pid for c in "\t\n\r/") else None


def identifier_keys(patient: Resource) -> list[str]:
    """What ``Patient?identifier=`` may name this patient by: ``system|value``, and ``value`` alone."""
    keys: list[str] = []
    idents = patient.get("identifier")
    for ident in idents if isinstance(idents, list) else []:
        if isinstance(ident, dict):
            keys += [f"{ident.get('system', '')}|{ident.get('value', '')}", str(ident.get("value", ""))]
    return keys


def about(resource: Resource, patient_id: str) -> bool:
    """Whether a resource is the patient, or refers to them as its subject/patient and to no other
    patient (a Condition whose ``subject`` is someone else is theirs, whatever its ``patient`` says)."""
    if resource.get("resourceType") == "Patient":
        return resource.get("id") == patient_id
    named = False
    for key in PATIENT_KEYS:
        ref = resource.get(key)
        reference = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(reference, str):
            pid = patient_ref_id(reference)
            if pid == patient_id:
                named = True
            elif pid is not None:
                return False
    return named
