"""A patient's data as every source delivers it, and the indexed record the evaluator reads.

Sources (bundle/NDJSON files, FHIR server, CDS prefetch) produce :class:`PatientData`: the raw
FHIR JSON of one patient, in whatever version (R4, R4B, R5) it came, plus what could not be
fetched. :func:`build_record` normalises it once into an immutable :class:`PatientRecord`.
"""

from __future__ import annotations

import re
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
    """The reference text naming the resource's patient (first of PATIENT_KEYS present). A logical
    reference (``identifier`` only, FHIR references.html) reads as the conditional reference
    ``Patient?identifier=system|value`` it means, which the readers resolve against the Patients'
    identifiers (:func:`identifier_keys`)."""
    for key in PATIENT_KEYS:
        ref = resource.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return str(ref["reference"])
        logical = _logical(ref) if isinstance(ref, dict) and "reference" not in ref else None
        if logical is not None:
            return logical
    return None


def _logical(ref: dict[str, Any]) -> str | None:
    """``Patient?identifier=system|value`` for a Reference by ``identifier`` to a Patient (a ``type``
    other than Patient names no patient); ``value`` alone when it gives no system."""
    ident, rtype = ref.get("identifier"), ref.get("type", "Patient")
    if not isinstance(ident, dict) or rtype not in ("Patient", "http://hl7.org/fhir/StructureDefinition/Patient"):
        return None
    system, value = ident.get("system"), ident.get("value")
    if not isinstance(value, str) or not value or not isinstance(system, (str, type(None))):
        return None
    return "Patient?identifier=" + (f"{system}|{value}" if system else value)


def patient_ref_id(reference: str) -> str | None:
    """``Patient/123``, ``http://x/fhir/Patient/123`` or ``Patient/123/_history/2`` -> ``123``."""
    parts = reference.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2] == "Patient":
        return parts[-1]
    return None


# FHIR's id: what a report, a FHIR output and a server reference may carry. Anything else (a space, "<",
# a NUL, a right-to-left override that shows the id as another, a 300-character key) is no patient id
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def fhir_id(value: object) -> str | None:
    """``value`` when it is a FHIR id, else None (every reader's one rule for a patient's id)."""
    return value if isinstance(value, str) and FHIR_ID.fullmatch(value) else None


def patient_id_of(reference: str) -> str | None:
    """Patient id from ``Patient/x``, ``urn:uuid:x`` or an absolute ``.../Patient/x`` reference; None otherwise
    (conditional ``Patient?identifier=`` references need the identifier index: :func:`identifier_keys`)."""
    if "?" in reference:
        return None
    pid = reference[9:] if reference.startswith("urn:uuid:") else patient_ref_id(reference)
    return fhir_id(pid)


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
