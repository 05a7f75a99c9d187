"""Patient data normalised once into version-agnostic facts, indexed by kind and code.

R4, R4B and R5 spell dates and medications differently (``effective[x]`` vs ``occurence[x]``,
``medicationCodeableConcept`` vs ``medication.concept``); facts hide that from the evaluator.
Unusable statuses (entered-in-error, cancelled, not-done...) are dropped here, once.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from fhir_eligibility.codes import Code, codings
from fhir_eligibility.evaluation import units
from fhir_eligibility.record import PatientData, Resource
from fhir_eligibility.requirements.model import Unavailable

OBS_VALID = {"final", "amended", "corrected"}
OBS_PRELIMINARY = {"preliminary"}
MA_VALID = {"completed"}
MS_VALID = {"active", "completed"}
PROC_VALID = {"completed", "in-progress"}
REPORT_DROP = {"entered-in-error", "cancelled", "registered", "partial"}


class Quantity(NamedTuple):
    value: float
    unit: str | None  # UCUM code, None when unparseable
    comparator: str | None = None
    original_unit: str | None = None


class Fact(NamedTuple):
    """One usable record, reduced to what criteria read. ``ref`` is ``Type/id``.

    Tuples, not frozen dataclasses: a screening builds millions, and a 19-field frozen dataclass
    costs a Python-level ``__setattr__`` per field.
    """

    kind: str
    ref: str
    codes: frozenset[Code]
    start: _dt.date | None
    end: _dt.date | None
    instant: str  # full timestamp text for deterministic ordering
    issued: str = ""
    status: str | None = None
    quantity: Quantity | None = None
    value_codes: frozenset[Code] = frozenset()
    value_int: int | None = None
    value_bool: bool | None = None
    ref_low: Quantity | None = None
    ref_high: Quantity | None = None
    clinical_status: str | None = None
    verification: str | None = None
    body_site: frozenset[Code] = frozenset()
    ongoing: bool = False  # an active statement with no end date: still taken on the screening date

    @property
    def date(self) -> _dt.date | None:
        return self.end or self.start


def parse_date(text: object) -> _dt.date | None:
    """Calendar date of a FHIR date/dateTime/instant; a partial date maps to its first day."""
    if not isinstance(text, str) or len(text) < 4:
        return None
    try:
        if len(text) == 4:
            return _dt.date(int(text), 1, 1)
        if len(text) == 7:
            return _dt.date(int(text[:4]), int(text[5:7]), 1)
        return _dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _quantity(q: object) -> Quantity | None:
    if not isinstance(q, dict) or q.get("value") is None:
        return None
    try:
        value = float(q["value"])
    except (TypeError, ValueError):
        return None
    code = q.get("code") if q.get("system") in (None, "http://unitsofmeasure.org") else None
    ucum = units.ucum_code(code, q.get("unit"))
    return Quantity(value, ucum, q.get("comparator"), q.get("unit") or q.get("code"))


def _status_code(concept: object) -> str | None:
    for _s, c in codings(concept):
        return c
    if isinstance(concept, str):
        return concept
    return None


def _period(res: Resource, *names: str) -> tuple[_dt.date | None, _dt.date | None, str]:
    """First present of ``<name>DateTime`` / ``<name>Period`` / ``<name>Instant`` / ``<name>String``."""
    for n in names:
        if f"{n}DateTime" in res:
            d = parse_date(res[f"{n}DateTime"])
            return d, None, str(res[f"{n}DateTime"])
        if f"{n}Instant" in res:
            d = parse_date(res[f"{n}Instant"])
            return d, None, str(res[f"{n}Instant"])
        if isinstance(res.get(f"{n}Period"), dict):
            p = res[f"{n}Period"]
            s, e = parse_date(p.get("start")), parse_date(p.get("end"))
            return s, e, str(p.get("end") or p.get("start") or "")
    return None, None, ""


def _obs_value_fields(src: Resource) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "valueQuantity" in src:
        out["quantity"] = _quantity(src["valueQuantity"])
    if "valueCodeableConcept" in src:
        out["value_codes"] = codings(src["valueCodeableConcept"])
    if isinstance(src.get("valueInteger"), int) and not isinstance(src.get("valueInteger"), bool):
        out["value_int"] = src["valueInteger"]
    if isinstance(src.get("valueBoolean"), bool):
        out["value_bool"] = src["valueBoolean"]
    return out


def _reference_range(src: Resource) -> tuple[Quantity | None, Quantity | None]:
    for rr in src.get("referenceRange") or []:
        types = codings(rr.get("type")) if rr.get("type") else frozenset()
        if types and not any(c == "normal" for _s, c in types):
            continue
        return _quantity(rr.get("low")), _quantity(rr.get("high"))
    return None, None


def facts_of(res: Resource, include_preliminary: bool = False) -> list[Fact]:
    """Normalise one resource into facts; unusable statuses yield nothing."""
    kind = res.get("resourceType")
    ref = f"{kind}/{res.get('id', '?')}"
    status = res.get("status") if isinstance(res.get("status"), str) else None
    if kind == "Observation":
        allowed = OBS_VALID | (OBS_PRELIMINARY if include_preliminary else set())
        if status not in allowed:
            return []
        start, end, instant = _period(res, "effective", "occurrence")
        issued = str(res.get("issued") or "")
        if start is None and end is None and issued:
            start, instant = parse_date(issued), issued
        low, high = _reference_range(res)
        base = Fact(
            kind,
            ref,
            codings(res.get("code")),
            start,
            end,
            instant,
            issued,
            status,
            ref_low=low,
            ref_high=high,
            **_obs_value_fields(res),
        )
        out = [base]
        for i, comp in enumerate(res.get("component") or []):
            if not isinstance(comp, dict):
                continue
            c_low, c_high = _reference_range(comp)
            out.append(
                Fact(
                    kind,
                    f"{ref}#component{i}",
                    codings(comp.get("code")),
                    start,
                    end,
                    instant,
                    issued,
                    status,
                    ref_low=c_low,
                    ref_high=c_high,
                    **_obs_value_fields(comp),
                )
            )
        return out
    if kind == "Condition":
        clinical = _status_code(res.get("clinicalStatus"))
        verification = _status_code(res.get("verificationStatus"))
        if verification in ("entered-in-error", "refuted"):
            return []
        start, end, instant = _period(res, "onset")
        if start is None:
            start = parse_date(res.get("recordedDate"))
            instant = str(res.get("recordedDate") or "")
        body = (
            frozenset().union(*(codings(b) for b in res.get("bodySite") or [])) if res.get("bodySite") else frozenset()
        )
        return [
            Fact(
                kind,
                ref,
                codings(res.get("code")),
                start,
                None,
                instant,
                status=None,
                clinical_status=clinical,
                verification=verification,
                body_site=body,
            )
        ]
    if kind in ("MedicationAdministration", "MedicationStatement"):
        valid = MA_VALID if kind == "MedicationAdministration" else MS_VALID
        if status not in valid:
            return []
        med = res.get("medicationCodeableConcept") or res.get("medication") or {}
        start, end, instant = _period(res, "effective", "occurence", "occurrence")
        dose = None
        dosage = res.get("dosage")
        if isinstance(dosage, dict):
            dose = _quantity(dosage.get("dose"))
        elif isinstance(dosage, list) and dosage and isinstance(dosage[0], dict):
            dr = dosage[0].get("doseAndRate") or []
            if dr and isinstance(dr[0], dict):
                dose = _quantity(dr[0].get("doseQuantity"))
        ongoing = kind == "MedicationStatement" and status == "active" and end is None and start is not None
        return [Fact(kind, ref, codings(med), start, end, instant, status=status, quantity=dose, ongoing=ongoing)]
    if kind == "Procedure":
        if status not in PROC_VALID:
            return []
        start, end, instant = _period(res, "performed", "occurrence")
        body = (
            frozenset().union(*(codings(b) for b in res.get("bodySite") or [])) if res.get("bodySite") else frozenset()
        )
        return [Fact(kind, ref, codings(res.get("code")), start, end, instant, status=status, body_site=body)]
    if kind == "AllergyIntolerance":
        verification = _status_code(res.get("verificationStatus"))
        if verification in ("entered-in-error", "refuted"):
            return []
        start, end, instant = _period(res, "onset")
        return [
            Fact(
                kind,
                ref,
                codings(res.get("code")),
                start or parse_date(res.get("recordedDate")),
                None,
                instant,
                clinical_status=_status_code(res.get("clinicalStatus")),
                verification=verification,
            )
        ]
    if kind == "DiagnosticReport":
        if status in REPORT_DROP:
            return []
        start, end, instant = _period(res, "effective")
        if start is None:
            start, instant = parse_date(res.get("issued")), str(res.get("issued") or "")
        return [Fact(kind, ref, codings(res.get("code")), start, end, instant, status=status)]
    if kind == "ImagingStudy":
        if status in ("entered-in-error", "cancelled"):
            return []
        codes = (
            frozenset().union(*(codings(p) for p in res.get("procedureCode") or []))
            if res.get("procedureCode")
            else frozenset()
        )
        started = res.get("started")
        return [Fact(kind, ref, codes, parse_date(started), None, str(started or ""), status=status)]
    return []


@dataclass(frozen=True)
class PatientRecord:
    """Immutable, indexed view of one patient: what the evaluation core reads."""

    patient_id: str
    birth_date: str | None
    gender: str | None
    by_code: dict[tuple[str, Code], tuple[Fact, ...]]
    by_kind: dict[str, tuple[Fact, ...]]
    unavailable: tuple[Unavailable, ...]
    warnings: tuple[str, ...]
    # (kind, code) of every coded fact and (kind, None) of every kind present: see evaluation.footprint
    present: frozenset[tuple[str, Code | None]]
    patient: Resource | None = None
    raw: tuple[Resource, ...] = ()

    def facts(self, kinds: tuple[str, ...] | list[str], codes: frozenset[Code]) -> list[Fact]:
        """Facts of these kinds having any of the codes (all facts of the kinds when codes is empty)."""
        seen: set[str] = set()
        out: list[Fact] = []
        for kind in kinds:
            of_kind = self.by_kind.get(kind, ())
            if not codes:
                candidates: list[Fact] | tuple[Fact, ...] = of_kind
            elif len(codes) > len(of_kind):  # big value set, few records: scan the records
                candidates = [f for f in of_kind if not f.codes.isdisjoint(codes)]
            else:
                candidates = [f for c in codes for f in self.by_code.get((kind, c), ())]
            for f in candidates:
                if f.ref not in seen:
                    seen.add(f.ref)
                    out.append(f)
        return out

    def unavailable_for(self, kinds: tuple[str, ...] | list[str], codes: frozenset[Code]) -> Unavailable | None:
        for u in self.unavailable:
            if u.resource_type in kinds and (not u.codes or not codes or u.codes & codes):
                return u
        return None


def build_record(data: PatientData, include_preliminary: bool = False) -> PatientRecord:
    """Normalise once; a resource that cannot be read is a warning, never an abort."""
    by_code: dict[tuple[str, Code], list[Fact]] = {}
    by_kind: dict[str, list[Fact]] = {}
    warnings = list(data.warnings)
    birth, gender, patient = None, None, None
    for res in data.resources:
        kind = res.get("resourceType")
        if kind == "Patient":
            patient = res
            birth = res.get("birthDate") if isinstance(res.get("birthDate"), str) else None
            gender = res.get("gender") if isinstance(res.get("gender"), str) else None
            continue
        try:
            facts = facts_of(res, include_preliminary)
        except (TypeError, ValueError, AttributeError, KeyError) as e:
            warnings.append(f"{kind}/{res.get('id', '?')}: unreadable ({e.__class__.__name__}), ignored")
            continue
        for f in facts:
            by_kind.setdefault(f.kind, []).append(f)
            for c in f.codes:
                by_code.setdefault((f.kind, c), []).append(f)
    return PatientRecord(
        patient_id=data.patient_id,
        birth_date=birth,
        gender=gender,
        by_code={k: tuple(v) for k, v in by_code.items()},
        by_kind={k: tuple(v) for k, v in by_kind.items()},
        unavailable=data.unavailable,
        warnings=tuple(warnings),
        present=frozenset([*((k, None) for k in by_kind), *by_code]),
        patient=patient,
        raw=tuple(data.resources),
    )
