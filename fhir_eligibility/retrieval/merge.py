"""Merging one patient's search results, and reading batch answers: pure, no network.

Why a fault per search and not per resource: a search whose answer holds another patient's data
(a server bug, or a proxy that mixed up answers) cannot be trusted for this patient either; its
requirements become unavailable ("data unavailable: ..."), so the criteria they serve are
``unknown``, exactly as after a 500. Dropping the foreign resources and reading the rest as
complete would let a fault look like absent data. A Medication (``_include``d for a drug named by
reference) is about no one, so it never counts as another patient's. What passes these checks goes
to the one assembler (:mod:`~fhir_eligibility.retrieval.assembly`), as every other source's does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.record import PatientData, Resource, about
from fhir_eligibility.requirements.model import Unavailable
from fhir_eligibility.requirements.search import PlannedSearch
from fhir_eligibility.retrieval.assembly import assemble


@dataclass
class SearchResult:
    search: PlannedSearch
    resources: list[Resource] = field(default_factory=list)
    cause: str | None = None
    status: int | None = None
    notes: list[str] = field(default_factory=list)  # what the server's informational outcomes said


def declares_batch(capabilities: dict[str, Any]) -> bool:
    rests = capabilities.get("rest")
    for rest in rests if isinstance(rests, list) else []:
        if not isinstance(rest, dict) or rest.get("mode", "server") != "server":
            continue
        interactions = rest.get("interaction")
        for interaction in interactions if isinstance(interactions, list) else []:
            if isinstance(interaction, dict) and interaction.get("code") == "batch":
                return True
    return False


def batch_entries(body: dict[str, Any] | None, expected: int) -> list[dict[str, Any]] | None:
    if body is None or body.get("resourceType") != "Bundle" or body.get("type") != "batch-response":
        return None
    entries = body.get("entry")
    if not isinstance(entries, list) or len(entries) != expected:
        return None
    return [e if isinstance(e, dict) else {} for e in entries]


def entry_status(entry: dict[str, Any]) -> int | None:
    response = entry.get("response")
    status = response.get("status") if isinstance(response, dict) else None
    if not isinstance(status, str):
        return None
    head = status.strip().split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def merge_results(patient_id: str, results: list[SearchResult]) -> PatientData:
    """Merge one patient's search results: the in-band fault checks (see the module docstring) here,
    the rest (de-duplication, Medication references, the one Patient) by the one assembler."""
    resources: list[Resource] = []
    unavailable: list[Unavailable] = []
    warnings: list[str] = []
    for result in results:
        warnings.extend(
            f"{result.search.resource_type} search: the server noted: {n}" for n in dict.fromkeys(result.notes)
        )
        # a Medication (``_include``d for a drug reference) is about no one: never "another patient"
        foreign = sum(1 for r in result.resources if not about(r, patient_id) and not _medication(r))
        if foreign and result.cause is None:
            result.cause = "the server returned data about another patient"
            warnings.append(
                f"{result.search.resource_type}: {foreign} resource(s) returned were about another patient; "
                "that search's data is not used"
            )
        if result.search.resource_type == "Patient":
            if result.status in (404, 410):
                raise RetrievalError(f"patient {patient_id!r} not found on the FHIR server")
            if result.cause is None and not result.resources:
                raise RetrievalError(f"patient {patient_id!r} not found on the FHIR server")
            if result.cause is not None and not foreign:
                # not even the Patient could be read (a 500, a timeout): the patient is not screened,
                # and nothing is written back for them (docs/write-back.md), rather than "undetermined"
                raise RetrievalError(f"patient {patient_id!r} could not be fetched: {result.cause}")
        if result.cause is not None:
            for item in result.search.unavailable(result.cause):
                if item not in unavailable:
                    unavailable.append(item)
            if foreign:
                continue
        resources.extend(r for r in result.resources if _medication(r) or about(r, patient_id))
    if not any(r.get("resourceType") == "Patient" for r in resources) and not any(
        u.resource_type == "Patient" for u in unavailable
    ):
        unavailable.append(Unavailable("Patient", frozenset(), "Patient resource missing"))
    return assemble(patient_id, resources, unavailable=unavailable, warnings=warnings)


def _medication(resource: Resource) -> bool:
    return resource.get("resourceType") == "Medication"
