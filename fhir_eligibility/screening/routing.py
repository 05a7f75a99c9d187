"""Where one Bulk NDJSON line goes, and how one patient's lines become a ``PatientData``.

Why a separate, pure module: a distributed reader (the Spark engine) routes lines one at a time
on executors, with no shard files and no shared state, so it needs the routing rule of
:mod:`fhir_eligibility.screening.partition` as a function of one line. The rules are the same
(and reuse its helpers and :mod:`fhir_eligibility.record`): ``Patient/<id>``, ``urn:uuid:<id>``
and absolute references under the subject/patient/beneficiary/individual keys; a Patient is
keyed by its id and indexed by its identifiers; a Medication goes to the (global) Medication
index; a conditional ``Patient?identifier=`` reference waits for the identifier index;
anything else naming a patient is warned about; everything else is not patient data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from fhir_eligibility.record import PatientData, Resource, identifier_keys, patient_id_of, patient_reference
from fhir_eligibility.screening.partition import BOM, _unresolvable, _usable_key, _with_medication

# What route() decides for a line.
PATIENT = "patient"  # key: the patient id; identifiers: what conditional references may name it by
DATA = "data"  # key: the patient id the resource is about
MEDICATION = "medication"  # key: "Medication/<id>"; code: its CodeableConcept
DEFERRED = "deferred"  # key: the identifier a conditional reference names
NOT_PATIENT_DATA = "not-patient-data"  # Practitioner, Organization, a Medication without code...
BAD_LINE = "bad-line"  # message: to be prefixed with "<file>:<line>: "
UNRESOLVABLE = "unresolvable"  # message: complete


@dataclass(frozen=True)
class Route:
    kind: str
    key: str = ""
    message: str = ""
    identifiers: tuple[str, ...] = ()
    code: dict[str, Any] | None = None


BLANK = Route(NOT_PATIENT_DATA)


def route_line(raw: bytes) -> tuple[Route, bytes]:
    """The route of one raw NDJSON line (``BLANK`` for an empty one), with the line as a patient's
    data keeps it (stripped, without a byte-order mark)."""
    line = raw.strip()
    if not line:
        return BLANK, line
    if line.startswith(BOM):
        line = line[3:]
    try:
        res = orjson.loads(line)
    except orjson.JSONDecodeError:
        return Route(BAD_LINE, message="not JSON, line ignored"), line
    if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
        return Route(BAD_LINE, message="not a FHIR resource, line ignored"), line
    return route_resource(res), line


def route_resource(res: Resource) -> Route:
    """The route of one parsed resource (the rule of ``partition._partition_ndjson``)."""
    rtype = res["resourceType"]
    if rtype == "Patient":
        pid = res.get("id")
        if not isinstance(pid, str) or not pid or any(c in pid for c in "\t\n\r"):
            return Route(BAD_LINE, message="Patient without a usable id, ignored")
        return Route(PATIENT, pid, identifiers=tuple(k for k in identifier_keys(res) if _usable_key(k)))
    if rtype == "Medication":
        code = res.get("code")
        if not isinstance(code, dict) or not res.get("id"):
            return Route(NOT_PATIENT_DATA)
        return Route(MEDICATION, f"Medication/{res.get('id')}", code=code)
    ref = patient_reference(res)
    if ref is None:
        return Route(NOT_PATIENT_DATA)
    found = patient_id_of(ref)
    if found is not None:
        return Route(DATA, found)
    if ref.startswith("Patient?identifier=") and _usable_key(ref.split("=", 1)[1]):
        return Route(DEFERRED, ref.split("=", 1)[1])
    return Route(UNRESOLVABLE, message=_unresolvable(res, ref))


def unresolvable_message(line: bytes) -> str:
    """The warning for a conditional reference whose identifier no Patient carries."""
    res = orjson.loads(line)
    return _unresolvable(res, patient_reference(res) or "")


def patient_data(pid: str, lines: Iterable[bytes], medications: dict[str, dict[str, Any]]) -> PatientData:
    """One patient from their raw lines in input order, as ``partition.read_shard`` builds it:
    Medication references resolved, the Patient first, a warning when there is none."""
    resources = [_with_medication(orjson.loads(t), medications) for t in lines]
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    others = [r for r in resources if r.get("resourceType") != "Patient"]
    data = PatientData(pid, patients + others)
    if not patients:
        data.warnings.append(f"Patient/{pid}: no Patient resource in the input (age and sex unknown)")
    return data


__all__ = [
    "BAD_LINE",
    "BLANK",
    "DATA",
    "DEFERRED",
    "MEDICATION",
    "NOT_PATIENT_DATA",
    "PATIENT",
    "UNRESOLVABLE",
    "Route",
    "patient_data",
    "route_line",
    "route_resource",
    "unresolvable_message",
]
