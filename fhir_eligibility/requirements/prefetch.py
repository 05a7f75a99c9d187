"""Render data requirements as CDS Hooks prefetch templates (pure: no I/O, no clock).

Why reuse :func:`search_plan`: CDS Hooks says prefetched data MUST equal what the service would
get by querying the FHIR server itself, so the templates are the very searches the server
retrieval sends (same merging per resource type, token escaping, URL-length splitting), with the
patient id replaced by ``{{context.patientId}}``. Two differences, both forced by the template
language: no date bound (the server searches keep one, on MedicationAdministration; a template
cannot compute "28 days before today"; the evaluator applies every window itself, so fetching the
whole history only costs bytes), and the Patient is an instance read (``Patient/{{context.patientId}}``)
instead of ``Patient?_id=``.

Each template remembers the resource type and codes it covers, so a key the CDS client left out
can be fetched from ``fhirServer`` with exactly the same scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.requirements.search import DEFAULT_MAX_URL_LENGTH, DEFAULT_PAGE_SIZE, search_plan

PATIENT_TOKEN = "{{context.patientId}}"
PATIENT_KEY = "patient"
# A valid FHIR id that no code contains: search_plan checks ids, so it renders this one and the
# template token is substituted afterwards.
_PLACEHOLDER = "cdshooks-context-patientid-5e1f0c2a"


@dataclass(frozen=True)
class PrefetchTemplate:
    """One prefetch key: its query template and the data it covers."""

    key: str
    query: str
    resource_type: str
    codes: frozenset[tuple[str, str]]  # empty: every resource of the type

    def requirement(self) -> DataRequirement:
        """What to fetch from the FHIR server when the client did not prefetch this key."""
        return DataRequirement(self.resource_type, self.codes, None, frozenset({f"prefetch:{self.key}"}))


def prefetch_templates(
    requirements: Iterable[DataRequirement],
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_url_length: int = DEFAULT_MAX_URL_LENGTH,
) -> list[PrefetchTemplate]:
    """Templates for the requirements: ``patient`` first, then one key per search (``observation``,
    ``observation-2`` when a long code list is split)."""
    undated = [replace(r, date_from=None) for r in requirements]
    out: list[PrefetchTemplate] = [
        PrefetchTemplate(PATIENT_KEY, f"Patient/{PATIENT_TOKEN}", "Patient", frozenset()),
    ]
    seen: dict[str, int] = {}
    for search in search_plan(_PLACEHOLDER, undated, page_size=page_size, max_url_length=max_url_length, patient=False):
        url = search.url
        if url.count(_PLACEHOLDER) != 1:
            raise ValueError(f"cannot render a prefetch template for {search.resource_type}")  # pragma: no cover
        base = search.resource_type[0].lower() + search.resource_type[1:]
        seen[base] = seen.get(base, 0) + 1
        key = base if seen[base] == 1 else f"{base}-{seen[base]}"
        out.append(PrefetchTemplate(key, url.replace(_PLACEHOLDER, PATIENT_TOKEN), search.resource_type, search.codes))
    return out


def prefetch_descriptor(templates: Iterable[PrefetchTemplate]) -> dict[str, str]:
    """The ``prefetch`` object of a CDS service descriptor: key -> query template."""
    return {t.key: t.query for t in templates}


__all__ = ["PATIENT_KEY", "PATIENT_TOKEN", "PrefetchTemplate", "prefetch_descriptor", "prefetch_templates"]
