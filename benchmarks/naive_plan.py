"""The unmerged search plan (one search per criterion): the baseline bench_server.py measures the
merged plan of :mod:`fhir_eligibility.requirements.search` against. Not used by the package."""

from __future__ import annotations

from collections.abc import Iterable

from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.requirements.search import (
    DEFAULT_MAX_URL_LENGTH,
    DEFAULT_PAGE_SIZE,
    PlannedSearch,
    _patient_search,
    _render,
    check_patient_id,
)


def naive_search_plan(
    patient_id: str,
    requirements: Iterable[DataRequirement],
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_url_length: int = DEFAULT_MAX_URL_LENGTH,
) -> list[PlannedSearch]:
    """The unmerged plan, one search (per code group) for every criterion: the benchmark baseline."""
    check_patient_id(patient_id)
    reqs = list(requirements)
    out = [_patient_search(patient_id, [r for r in reqs if r.resource_type == "Patient"])]
    for req in reqs:
        if req.resource_type == "Patient":
            continue
        per_criterion = [frozenset({c}) for c in sorted(req.criteria)] or [frozenset[str]()]
        for criteria in per_criterion:
            one = DataRequirement(req.resource_type, req.codes, req.date_from, criteria)
            out.extend(_render(patient_id, one, [one], page_size, max_url_length))
    return out
