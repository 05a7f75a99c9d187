"""Render data requirements as FHIR R4 searches for one patient (pure: no I/O, no clock).

Why this shape: a hospital server is slow and rate limited, so the plan asks for each resource
type once (codes OR-ed with commas, the earliest date bound) instead of once per criterion, and
every search remembers which requirements it serves, so a failed search makes exactly those
requirements unavailable. (The one-search-per-criterion plan it is measured against lives in
benchmarks/naive_plan.py.)

Server-side date bounds are only used where a resource without the date cannot matter:
Condition and AllergyIntolerance get none (onset is often absent; the evaluator applies
windows), MedicationRequest none (an old prescription may still be active). Where R4 has no
search parameter for the code the evaluator reads (ImagingStudy.procedureCode), the search
asks for every resource of the type and the evaluator matches codes itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from fhir_eligibility.errors import InputError
from fhir_eligibility.requirements.model import DataRequirement, Unavailable

DEFAULT_PAGE_SIZE = 200
DEFAULT_MAX_URL_LENGTH = 1800

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


@dataclass(frozen=True)
class _TypeSearch:
    code_param: str | None  # None: no server-side code search; codes are matched client side
    date_param: str | None
    include: str | None = None  # an _include the evaluator needs (a drug's Medication)


# R4 search parameters per resource type: (token parameter for codes, date parameter or None).
_TYPE_SEARCH: dict[str, _TypeSearch] = {
    # combo-code matches Observation.code or component.code: blood pressure lives in components of a panel.
    "Observation": _TypeSearch("combo-code", "date"),
    "Condition": _TypeSearch("code", None),
    "Procedure": _TypeSearch("code", "date"),
    # the drug may be a reference: every record of the type, with the Medications it names
    "MedicationAdministration": _TypeSearch(None, "effective-time", "MedicationAdministration:medication"),
    "MedicationStatement": _TypeSearch(None, "effective", "MedicationStatement:medication"),
    # orders and dispenses: no date bound either (an old prescription may still be active)
    "MedicationRequest": _TypeSearch(None, None, "MedicationRequest:medication"),
    "MedicationDispense": _TypeSearch(None, None, "MedicationDispense:medication"),
    "DiagnosticReport": _TypeSearch("code", "date"),
    "AllergyIntolerance": _TypeSearch("code", None),
    "Immunization": _TypeSearch("vaccine-code", "date"),
    "Encounter": _TypeSearch("type", "date"),
    # R4 cannot search ImagingStudy.procedureCode (the evaluator's code): fetch by patient and date.
    "ImagingStudy": _TypeSearch(None, "started"),
    # attestations: every response of the patient (the evaluator picks the trial's questionnaire and the validity)
    "QuestionnaireResponse": _TypeSearch(None, None),
}
_DEFAULT_TYPE_SEARCH = _TypeSearch("code", None)


@dataclass(frozen=True)
class PlannedSearch:
    """One GET search and the requirements it serves (to report them unavailable if it fails)."""

    resource_type: str
    params: tuple[tuple[str, str], ...]
    codes: frozenset[tuple[str, str]]  # the codes asked for; empty = every resource of the type
    serves: tuple[DataRequirement, ...]

    @property
    def url(self) -> str:
        """Relative search URL, e.g. ``Observation?patient=p1&code=http://loinc.org|718-7``."""
        query = "&".join(f"{name}={_quote(value)}" for name, value in self.params)
        return f"{self.resource_type}?{query}"

    def unavailable(self, reason: str) -> tuple[Unavailable, ...]:
        """What becomes unavailable when this search fails: each served requirement's share."""
        out: list[Unavailable] = []
        for req in self.serves:
            codes = req.codes & self.codes if self.codes else req.codes
            item = Unavailable(self.resource_type, codes, reason)
            if item not in out:
                out.append(item)
        if not out:
            out.append(Unavailable(self.resource_type, self.codes, reason))
        return tuple(out)


def escape_token_part(value: str) -> str:
    """Escape the FHIR search special characters ``\\ , | $`` in a token's system or code."""
    for ch in ("\\", ",", "|", "$"):
        value = value.replace(ch, "\\" + ch)
    return value


def render_token(system: str, code: str) -> str:
    """``system|code``; an empty system renders the bare code (matches the code in any system)."""
    if not system:
        return escape_token_part(code)
    return f"{escape_token_part(system)}|{escape_token_part(code)}"


def _quote(value: str) -> str:
    # ':' '/' '|' ',' stay readable (they are legal in a query); '\\' '$' '&' '=' '+' '#' are encoded.
    return quote(value, safe=":/|,")


def check_patient_id(patient_id: str) -> str:
    """Refuse ids that are not FHIR ids: a comma would OR in other patients' data."""
    if not _FHIR_ID.fullmatch(patient_id):
        raise InputError(f"patient id {patient_id[:70]!r} is not a valid FHIR id ([A-Za-z0-9-.]{{1,64}})")
    return patient_id


def merge_requirements(requirements: Iterable[DataRequirement]) -> list[DataRequirement]:
    """One requirement per resource type: union of codes (empty = all wins), earliest date (None wins)."""
    by_type: dict[str, list[DataRequirement]] = {}
    for req in requirements:
        by_type.setdefault(req.resource_type, []).append(req)
    merged: list[DataRequirement] = []
    for rtype in _ordered_types(by_type):
        group = by_type[rtype]
        all_codes = any(not r.codes for r in group)
        codes = frozenset() if all_codes else frozenset().union(*(r.codes for r in group))
        dates = [r.date_from for r in group]
        date_from = None if any(d is None for d in dates) else min(d for d in dates if d is not None)
        criteria = frozenset().union(*(r.criteria for r in group))
        merged.append(DataRequirement(rtype, codes, date_from, criteria))
    return merged


def _ordered_types(types: Iterable[str]) -> list[str]:
    return sorted(types, key=lambda t: (t != "Patient", t))


def search_plan(
    patient_id: str,
    requirements: Iterable[DataRequirement],
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_url_length: int = DEFAULT_MAX_URL_LENGTH,
) -> list[PlannedSearch]:
    """The merged plan: ``Patient?_id=`` first, then one search per type (split if the URL is long)."""
    check_patient_id(patient_id)
    reqs = list(requirements)
    out = [_patient_search(patient_id, [r for r in reqs if r.resource_type == "Patient"])]
    others = [r for r in reqs if r.resource_type != "Patient"]
    for merged in merge_requirements(others):
        served = [r for r in others if r.resource_type == merged.resource_type]
        out.extend(_render(patient_id, merged, served, page_size, max_url_length))
    return out


def batch_bundle(urls: Iterable[str]) -> dict[str, Any]:
    """A batch Bundle of GET entries (independent; the server answers each with a searchset)."""
    return {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"request": {"method": "GET", "url": url}} for url in urls],
    }


def _patient_search(patient_id: str, served: Sequence[DataRequirement]) -> PlannedSearch:
    return PlannedSearch("Patient", (("_id", patient_id),), frozenset(), tuple(served))


_ICD10 = ("http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10")


def _tokens(system: str, code: str) -> str:
    """Search tokens for one code. ICD-10 codes are matched without their dot inside the engine, but
    servers match the stored text: ask for the dotted spelling (C7A.012) and the bare one (C7A012)."""
    if system in _ICD10 and len(code) > 3 and "." not in code:
        return f"{render_token(system, code[:3] + '.' + code[3:])},{render_token(system, code)}"
    return render_token(system, code)


def _render(
    patient_id: str,
    req: DataRequirement,
    served: Sequence[DataRequirement],
    page_size: int,
    max_url_length: int,
) -> list[PlannedSearch]:
    spec = _TYPE_SEARCH.get(req.resource_type, _DEFAULT_TYPE_SEARCH)
    head: list[tuple[str, str]] = [("patient", patient_id)]
    tail: list[tuple[str, str]] = []
    if spec.date_param is not None and req.date_from is not None:
        tail.append((spec.date_param, "ge" + _iso(req.date_from)))
    if spec.include is not None:
        tail.append(("_include", spec.include))
    tail.append(("_count", str(page_size)))
    if not req.codes or spec.code_param is None:
        return [PlannedSearch(req.resource_type, (*head, *tail), frozenset(), tuple(served))]

    out: list[PlannedSearch] = []
    code_param = spec.code_param
    for chunk in _chunks(req, code_param, head, tail, max_url_length):
        value = ",".join(_tokens(s, c) for s, c in chunk)
        codes = frozenset(chunk)
        chunk_served = tuple(r for r in served if not r.codes or r.codes & codes)
        params = (*head, (code_param, value), *tail)
        out.append(PlannedSearch(req.resource_type, params, codes, chunk_served))
    return out


def _chunks(
    req: DataRequirement,
    code_param: str,
    head: list[tuple[str, str]],
    tail: list[tuple[str, str]],
    max_url_length: int,
) -> list[list[tuple[str, str]]]:
    """Greedy packing of sorted codes so each URL stays under the limit (a lone long code still goes)."""
    fixed = len(PlannedSearch(req.resource_type, (*head, (code_param, ""), *tail), frozenset(), ()).url)
    chunks: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    length = fixed
    for system, code in sorted(req.codes):
        token_len = len(_quote(_tokens(system, code)))
        extra = token_len + (1 if current else 0)
        if current and length + extra > max_url_length:
            chunks.append(current)
            current, length = [], fixed
            extra = token_len
        current.append((system, code))
        length += extra
    if current:
        chunks.append(current)
    return chunks


def _iso(d: date) -> str:
    return d.isoformat()
