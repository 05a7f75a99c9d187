"""Patients people can recognise: name, birth date and MRN next to the id (issue 14 item 6).

The pipeline puts a :class:`PatientLabel` on every result from the Patient resource; the edge then
applies an :class:`IdentityPolicy`: another MRN system (``--mrn-system``), or ``--deidentify`` (the
label dropped, so no report carries more than the id). Nothing here logs: names, birth dates and
MRNs never reach a log line. De-identified, the dates of evidence read from the Patient resource
(the birth date behind an age) go too; the age itself stays.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from fhir_eligibility.evaluation.results import CriterionResult, PatientLabel, Report, TrialResult
from fhir_eligibility.record import PatientData

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"  # identifier type MR = medical record number
_NAME_USE_ORDER = ("official", "usual")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _name(patient: dict[str, Any]) -> str | None:
    """The official (else usual, else first) current name, as its text or given names + family."""
    names = [n for n in _list(patient.get("name")) if isinstance(n, dict) and n.get("use") not in ("old", "anonymous")]
    names.sort(key=lambda n: _NAME_USE_ORDER.index(n["use"]) if n.get("use") in _NAME_USE_ORDER else 2)
    for n in names:
        text = n.get("text")
        if not (isinstance(text, str) and text.strip()):
            family = n.get("family")
            parts = [g for g in _list(n.get("given")) if isinstance(g, str)] + [
                family if isinstance(family, str) else ""
            ]
            text = " ".join(parts)
        if text.strip():
            return " ".join(text.split())
    return None


def _is_mr(ident: dict[str, Any]) -> bool:
    codings = (ident.get("type") or {}).get("coding") if isinstance(ident.get("type"), dict) else None
    return any(
        isinstance(c, dict) and c.get("system") == V2_0203 and c.get("code") == "MR"
        for c in (codings if isinstance(codings, list) else [])
    )


def label_of(patient: dict[str, Any]) -> PatientLabel | None:
    """The label of one Patient resource; None when it has nothing to show."""
    idents = [i for i in _list(patient.get("identifier")) if isinstance(i, dict) and isinstance(i.get("value"), str)]
    mrn = next((i["value"] for i in idents if _is_mr(i)), None)
    birth = patient.get("birthDate") if isinstance(patient.get("birthDate"), str) else None
    label = PatientLabel(
        name=_name(patient),
        birth_date=birth,
        mrn=mrn,
        identifiers=tuple(f"{i.get('system') or ''}|{i['value']}" for i in idents),
    )
    return label if label != PatientLabel() else None


def patient_label(data: PatientData) -> PatientLabel | None:
    patient = next(
        (r for r in data.resources if r.get("resourceType") == "Patient" and r.get("id") == data.patient_id), None
    )
    return label_of(patient) if patient is not None else None


def _undated(c: CriterionResult, patient: str) -> CriterionResult:
    """The criterion without the dates of evidence read from the Patient resource (birth, death)."""
    evidence = tuple(dataclasses.replace(e, date=None) if e.reference == patient and e.date else e for e in c.evidence)
    children = tuple(_undated(k, patient) for k in c.children)
    return dataclasses.replace(c, evidence=evidence, children=children)


@dataclass(frozen=True)
class IdentityPolicy:
    """How reports name patients: the MR-typed identifier, or the one of ``mrn_system``; or the id only."""

    mrn_system: str | None = None
    deidentify: bool = False

    def label(self, label: PatientLabel | None) -> PatientLabel | None:
        if self.deidentify or label is None:
            return None
        if self.mrn_system is None:
            return label
        prefix = self.mrn_system + "|"
        mrn = next((i[len(prefix) :] for i in label.identifiers if i.startswith(prefix)), None)
        return dataclasses.replace(label, mrn=mrn)

    def result(self, r: TrialResult) -> TrialResult:
        label = self.label(r.label)
        if self.deidentify:  # the birth date also rides on the age evidence read from the Patient
            criteria = tuple(_undated(c, r.patient) for c in r.criteria)
            return dataclasses.replace(r, label=None, criteria=criteria)
        return r if label is r.label else dataclasses.replace(r, label=label)

    def report(self, report: Report) -> Report:
        return dataclasses.replace(report, results=tuple(self.result(r) for r in report.results))


AS_RECORDED = IdentityPolicy()  # the MR-typed identifier as MRN, labels kept


def label_text(label: PatientLabel | None) -> str:
    """``Jane Doe, born 1963-09-14, MRN 12345`` (the parts there are); empty without a label."""
    if label is None:
        return ""
    parts = [
        label.name or "",
        f"born {label.birth_date}" if label.birth_date else "",
        f"MRN {label.mrn}" if label.mrn else "",
    ]
    return ", ".join(p for p in parts if p)


def label_json(label: PatientLabel | None) -> dict[str, str] | None:
    if label is None:
        return None
    out = {"name": label.name, "birthDate": label.birth_date, "mrn": label.mrn}
    return {k: v for k, v in out.items() if v is not None}


__all__ = ["AS_RECORDED", "V2_0203", "IdentityPolicy", "label_json", "label_of", "label_text", "patient_label"]
