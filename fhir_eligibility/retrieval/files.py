"""Read exported FHIR data: Bundles (any type), folders of them, Bulk Data NDJSON; R4, R4B or R5.

Resources are grouped per patient by their subject/patient reference (``urn:uuid`` fullUrls and
conditional ``Patient?identifier=`` references resolved inside each Bundle). A file that is not
usable at all raises :class:`InputError` (exit 2); one malformed resource is a warning.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fhir_eligibility.errors import InputError
from fhir_eligibility.record import PatientData, Resource, identifier_keys, patient_id_of, patient_reference

DATA_SUFFIXES = (".json", ".ndjson", ".jsonl")


def input_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(DATA_SUFFIXES)))
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    if not out:
        raise InputError("no FHIR data files (*.json, *.ndjson) found in " + ", ".join(str(p) for p in paths))
    return out


def _bundle_entries(bundle: dict[str, Any], where: str, warnings: list[str]) -> list[tuple[str | None, Resource]]:
    out: list[tuple[str | None, Resource]] = []
    for i, e in enumerate(bundle.get("entry") or []):
        res = e.get("resource") if isinstance(e, dict) else None
        if isinstance(res, dict) and isinstance(res.get("resourceType"), str):
            if res["resourceType"] == "Bundle":
                out.extend(_bundle_entries(res, f"{where} entry {i}", warnings))
            else:
                out.append((e.get("fullUrl"), res))
        elif isinstance(e, dict) and "response" in e and "resource" not in e:
            continue  # batch-response entry without a body
        else:
            warnings.append(f"{where}: entry {i} is not a FHIR resource, ignored")
    return out


def read_file(path: Path, warnings: list[str]) -> list[tuple[str | None, Resource]]:
    """(fullUrl, resource) pairs of one file, with references inside a Bundle made local."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read ({e.__class__.__name__})") from None
    if path.name.endswith((".ndjson", ".jsonl")):
        out: list[tuple[str | None, Resource]] = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                res = json.loads(line)
            except json.JSONDecodeError:
                warnings.append(f"{path.name}:{n}: not JSON, line ignored")
                continue
            if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
                warnings.append(f"{path.name}:{n}: not a FHIR resource, line ignored")
                continue
            out.append((None, res))
        return out
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise InputError(f"{path}: not a FHIR resource (no resourceType)")
    if data["resourceType"] == "Bundle":
        return _bundle_entries(data, path.name, warnings)
    return [(None, data)]


class _Grouper:
    """Collects resources per patient across files, resolving each Bundle's local references."""

    def __init__(self) -> None:
        self.patients: dict[str, PatientData] = {}
        self.order: list[str] = []
        self.orphans: list[Resource] = []

    def _get(self, pid: str) -> PatientData:
        if pid not in self.patients:
            self.patients[pid] = PatientData(pid, [])
            self.order.append(pid)
        return self.patients[pid]

    def add(self, pairs: list[tuple[str | None, Resource]], warnings: list[str]) -> None:
        alias: dict[str, str] = {}
        meds: dict[str, Resource] = {}
        by_identifier: dict[str, str] = {}
        for full_url, res in pairs:
            rtype, rid = res.get("resourceType"), res.get("id")
            if rtype == "Patient":
                new_id = str(rid or (full_url or "").rsplit(":", 1)[-1] or f"anonymous-{len(self.order)}")
                if not rid:
                    res = {**res, "id": new_id}
                for key in (full_url, f"Patient/{new_id}"):
                    if key:
                        alias[key] = new_id
                for key in identifier_keys(res):
                    by_identifier[key] = new_id
            if rtype == "Medication":
                for key in (full_url, f"Medication/{rid}"):
                    if key:
                        meds[key] = res
        for full_url, res in pairs:
            rtype = res.get("resourceType")
            if rtype == "Patient":
                own = alias.get(full_url or "") or str(res.get("id"))
                self._get(own).resources.insert(0, res if res.get("id") else {**res, "id": own})
                continue
            if rtype == "Medication":
                continue
            ref = patient_reference(res)
            if ref is None:
                continue  # Practitioner, Organization, Encounter-less provenance: not patient data
            pid = alias.get(ref)
            if pid is None and ref.startswith("Patient?identifier="):
                pid = by_identifier.get(ref.split("=", 1)[1])
            if pid is None:
                pid = patient_id_of(ref)  # as screening's partitioning reads it
            if pid is None:
                warnings.append(f"{rtype}/{res.get('id', '?')}: patient reference {ref[:40]!r} not resolvable, ignored")
                continue
            if rtype in ("MedicationAdministration", "MedicationStatement") and "medicationReference" in res:
                med = meds.get(str((res.get("medicationReference") or {}).get("reference")))
                if med is not None and isinstance(med.get("code"), dict):
                    res = {**res, "medicationCodeableConcept": med["code"]}
            self._get(pid).resources.append(res)


def read_patients(paths: Iterable[Path]) -> tuple[list[PatientData], list[str]]:
    """Every patient found under the paths, with warnings for what could not be used."""
    warnings: list[str] = []
    grouper = _Grouper()
    ndjson: list[tuple[str | None, Resource]] = []
    for f in input_files(paths):
        pairs = read_file(f, warnings)
        if f.name.endswith((".ndjson", ".jsonl")):
            ndjson.extend(pairs)  # references span files: group once all are read
        else:
            grouper.add(pairs, warnings)
    if ndjson:
        grouper.add(ndjson, warnings)
    patients = [grouper.patients[p] for p in grouper.order]
    for p in patients:
        if not any(r.get("resourceType") == "Patient" for r in p.resources):
            p.warnings.append(f"Patient/{p.patient_id}: no Patient resource in the input (age and sex unknown)")
    return patients, warnings
