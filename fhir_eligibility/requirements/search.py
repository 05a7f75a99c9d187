"""Render data requirements as FHIR R4 searches for one patient (pure: no I/O, no clock).

Why this shape: a hospital server is slow and rate limited, so the plan asks for each resource
type once (codes OR-ed with commas) instead of once per criterion, and every search remembers
which requirements it serves, so a failed search makes exactly those requirements unavailable.
(The one-search-per-criterion plan it is measured against lives in benchmarks/naive_plan.py.)

No server-side date bound, but one: a ``date=ge`` search drops what the evaluator counts (an
Observation dated only by ``issued``, which ``date`` does not search; an undated Procedure; a record
of the window's first day in a time zone east of the server's), and the evaluator applies every
window itself. MedicationAdministration keeps one (``effective-time`` is required there, and a
patient's infusions are many), made one day wider than the window for the time zones. Where R4
has no search parameter for the code the evaluator reads (ImagingStudy.procedureCode), the search
asks for every resource of the type and the evaluator matches codes itself. So it does for
DiagnosticReport wherever results are read: a report may contain them, and a server matches only the
report's own code (``requirements.plan.REPORTED_IN``).

A code is asked for as the definitions write it and bare (any system): a site that sends
``urn:oid:2.16.840.1.113883.6.1`` for LOINC, or a SNOMED CT edition URI, would otherwise get nothing
back, read as absent (:func:`code_tokens`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fhir_eligibility.codes import ICD10, ICD10CM
from fhir_eligibility.errors import InputError
from fhir_eligibility.requirements.model import DataRequirement, Unavailable

DEFAULT_PAGE_SIZE = 200
DEFAULT_MAX_URL_LENGTH = 1800

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


@dataclass(frozen=True)
class _TypeSearch:
    code_param: str | None  # None: no server-side code search; codes are matched client side
    date_param: str | None = None  # only MedicationAdministration's (see the module docstring)
    include: str | None = None  # an _include the evaluator needs (a drug's Medication)


# R4 search parameters per resource type: the token parameter for codes, the date lower bound if any.
_TYPE_SEARCH: dict[str, _TypeSearch] = {
    # combo-code matches Observation.code or component.code: blood pressure lives in components of a panel.
    "Observation": _TypeSearch("combo-code"),
    "Condition": _TypeSearch("code"),
    "Procedure": _TypeSearch("code"),
    # the drug may be a reference: every record of the type, with the Medications it names
    "MedicationAdministration": _TypeSearch(None, "effective-time", "MedicationAdministration:medication"),
    "MedicationStatement": _TypeSearch(None, None, "MedicationStatement:medication"),
    "MedicationRequest": _TypeSearch(None, None, "MedicationRequest:medication"),
    "MedicationDispense": _TypeSearch(None, None, "MedicationDispense:medication"),
    "DiagnosticReport": _TypeSearch("code"),
    "AllergyIntolerance": _TypeSearch("code"),
    "Immunization": _TypeSearch("vaccine-code"),
    "Encounter": _TypeSearch("type"),
    # R4 cannot search ImagingStudy.procedureCode (the evaluator's code): fetch every study of the patient.
    "ImagingStudy": _TypeSearch(None),
    # attestations: every response of the patient (the evaluator picks the trial's questionnaire and the validity)
    "QuestionnaireResponse": _TypeSearch(None),
}
_DEFAULT_TYPE_SEARCH = _TypeSearch("code")


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

    def unavailable(self, reason: str, unsupported: bool = False) -> tuple[Unavailable, ...]:
        """What becomes unavailable when this search fails: each served requirement's share
        (``unsupported``: the server does not hold the type, see :class:`Unavailable`)."""
        out: list[Unavailable] = []
        for req in self.serves:
            codes = req.codes & self.codes if self.codes else req.codes
            item = Unavailable(self.resource_type, codes, reason, unsupported)
            if item not in out:
                out.append(item)
        if not out:
            out.append(Unavailable(self.resource_type, self.codes, reason, unsupported))
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
    patient: bool = True,
) -> list[PlannedSearch]:
    """The merged plan: ``Patient?_id=`` first (unless ``patient`` is False: the caller holds the
    Patient already), then one search per type (split if the URL is long)."""
    check_patient_id(patient_id)
    reqs = list(requirements)
    out = [_patient_search(patient_id, [r for r in reqs if r.resource_type == "Patient"])] if patient else []
    others = [r for r in reqs if r.resource_type != "Patient"]
    for merged in merge_requirements(others):
        served = [r for r in others if r.resource_type == merged.resource_type]
        out.extend(_render(patient_id, merged, served, page_size, max_url_length))
    return out


def types_read(requirements: Iterable[DataRequirement]) -> list[str]:
    """Every resource type the searches of these requirements read: the Patient, each type, and the
    Medications a drug search ``_include``s (what a SMART token must name, ``auth.smart_scope``)."""
    out = ["Patient"]
    for req in requirements:
        spec = _TYPE_SEARCH.get(req.resource_type, _DEFAULT_TYPE_SEARCH)
        out += [req.resource_type, *(["Medication"] if spec.include is not None else [])]
    return list(dict.fromkeys(out))


def batch_bundle(urls: Iterable[str]) -> dict[str, Any]:
    """A batch Bundle of GET entries (independent; the server answers each with a searchset)."""
    return {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"request": {"method": "GET", "url": url}} for url in urls],
    }


def _patient_search(patient_id: str, served: Sequence[DataRequirement]) -> PlannedSearch:
    return PlannedSearch("Patient", (("_id", patient_id),), frozenset(), tuple(served))


_ICD10 = (ICD10CM, ICD10)


def code_tokens(system: str, code: str) -> list[str]:
    """Search tokens for one code: as the definitions write it, then bare (``|code`` left out: any
    system). The bare token is what reaches every other spelling of the system the evaluator reads as
    it (:func:`~fhir_eligibility.codes.norm_system`: OIDs, ``https://``, a trailing slash, a SNOMED CT
    edition URI), which no list could hold; what it also brings of other systems, the evaluator drops.
    ICD-10 codes dotted (C7A.012, as servers store them) and undotted (C7A012, as the engine reads them)."""
    codes = [f"{code[:3]}.{code[3:]}", code] if system in _ICD10 and len(code) > 3 and "." not in code else [code]
    return [render_token(s, c) for s in (system, "") for c in codes]


def _code_value(codes: Iterable[tuple[str, str]]) -> str:
    """One search value for the codes: their written spellings first, then the others."""
    tokens = [code_tokens(s, c) for s, c in codes]
    return ",".join([t[0] for t in tokens] + [x for t in tokens for x in t[1:]])


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
    if spec.date_param is not None and req.date_from is not None:  # a day wider: a local date east of UTC
        tail.append((spec.date_param, "ge" + (req.date_from - timedelta(days=1)).isoformat()))
    if spec.include is not None:
        tail.append(("_include", spec.include))
    tail.append(("_count", str(page_size)))
    if not req.codes or spec.code_param is None:
        return [PlannedSearch(req.resource_type, (*head, *tail), frozenset(), tuple(served))]

    out: list[PlannedSearch] = []
    code_param = spec.code_param
    for chunk in _chunks(req, code_param, head, tail, max_url_length):
        value = _code_value(chunk)
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
        token_len = len(_quote(",".join(code_tokens(system, code))))
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
