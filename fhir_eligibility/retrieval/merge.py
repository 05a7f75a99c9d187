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

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.record import PatientData, Resource, about, patient_ref_id
from fhir_eligibility.requirements.model import Unavailable
from fhir_eligibility.requirements.search import PlannedSearch
from fhir_eligibility.retrieval.assembly import assemble, filed_elsewhere
from fhir_eligibility.retrieval.resource_types import RESOURCE_TYPES
from fhir_eligibility.retrieval.transport import link_relation

# What a merged-away Patient keeps (who it is, and where it went): not a fact to decide a trial on.
_IDENTITY = ("resourceType", "id", "meta", "identifier", "name", "active", "link")


# Orders and dispenses (evaluation.facts.ORDERS): the evaluator reads them only as an addition to the
# administrations and statements of a drug (forms.records), and asks whether those are unavailable
ORDERS = frozenset({"MedicationDispense", "MedicationRequest"})
_ORDERS_ADD_TO = ("MedicationAdministration", "MedicationStatement")


@dataclass
class SearchResult:
    search: PlannedSearch
    resources: list[Resource] = field(default_factory=list)
    cause: str | None = None
    status: int | None = None
    notes: list[str] = field(default_factory=list)  # what the server's informational outcomes said
    unsupported: bool = False  # ``cause`` says the server does not hold the type: no records, no fault


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


def declared_types(capabilities: dict[str, Any]) -> frozenset[str] | None:
    """The resource types the CapabilityStatement lists for the server; None when it lists none (then
    nothing can be told from it: every type is searched)."""
    rests = capabilities.get("rest")
    types: set[str] = set()
    for rest in rests if isinstance(rests, list) else []:
        if isinstance(rest, dict) and rest.get("mode", "server") == "server" and isinstance(rest.get("resource"), list):
            types.update(r["type"] for r in rest["resource"] if isinstance(r, dict) and isinstance(r.get("type"), str))
    return frozenset(types) or None


# The words a statement that a resource type is not supported is made of, besides resource type names:
# "Resource type 'X' is not supported", "This server does not support X", "Unknown resource type 'X' -
# Server knows how to handle: [...]". Anything else (``_include``, ``_count=200``, "page", "search",
# "patient", a number) is about this search, not the type.
_STATEMENT_WORDS = """
    a an are be by can cannot do does doesn endpoint fhir for handle here how is knows no not of on resource
    resources server such support supported supports t that the this to type types unknown unsupported
"""
_TYPE_STATEMENT = frozenset(_STATEMENT_WORDS.split())
_WORD_BREAKS = re.compile(r"[\s'\"`.,;:!()\[\]{}-]+")


def not_supported(status: int | None, outcome: object, resource_type: str) -> bool:
    """Whether a failed search answer says the server does not hold the resource type at all: a 404 (no
    such endpoint), or a 400 whose OperationOutcome clearly says so: each of its issues but information
    ones is ``not-supported`` and worded only as a statement about a resource type (:data:`_TYPE_STATEMENT`),
    and one names the searched type. Anything else is a fault: a 400 about ``_include``, ``_count``, paging
    or another parameter ("_include of MedicationRequest:medication is not supported" names the type too),
    a 5xx. Read as "no such records" it would let a drug exclusion pass on data never read, so a statement
    this cannot read is a fault (unknown), never "none held"."""
    if status == 404:
        return True
    issues = outcome.get("issue") if status == 400 and isinstance(outcome, dict) else None
    named = False
    for issue in issues if isinstance(issues, list) else []:
        if isinstance(issue, dict) and issue.get("severity") == "information":
            continue
        if not isinstance(issue, dict) or issue.get("code") != "not-supported":
            return False
        words = _issue_words(issue)
        if any(w not in RESOURCE_TYPES and w.lower() not in _TYPE_STATEMENT for w in words):
            return False
        named = named or resource_type in words
    return named


def _issue_words(issue: dict[str, Any]) -> list[str]:
    """The words of what an issue says: its diagnostics, details text, expression and location."""
    details = issue.get("details")
    texts = [issue.get("diagnostics"), details.get("text") if isinstance(details, dict) else None]
    for key in ("expression", "location"):
        paths = issue.get(key)
        texts.extend(paths if isinstance(paths, list) else [])
    return [w for t in texts if isinstance(t, str) for w in _WORD_BREAKS.split(t) if w]


def batch_entries(body: dict[str, Any] | None, expected: int) -> list[dict[str, Any]] | None:
    if body is None or body.get("resourceType") != "Bundle" or body.get("type") != "batch-response":
        return None
    entries = body.get("entry")
    if not isinstance(entries, list) or len(entries) != expected:
        return None
    return [e if isinstance(e, dict) else {} for e in entries]


# the search parameters by which a search names its patient (``_id`` on the Patient search itself)
_PATIENT_PARAMS = ("patient", "subject")


def answers_another_search(page: object, search: PlannedSearch) -> str | None:
    """Why a search's first page is the answer to another search, by the ``self`` link the server
    wrote into it; None when it is this search's, or cannot be told (no self link, or one that names
    no type or patient: a paging token).

    Why: a server that answers a batch's entries in the order they completed swaps them between
    patients; another patient's records are caught as such (:func:`merge_results`), but an empty
    searchset of one patient read as another's says "no diagnosis": a false "ineligible"."""
    return self_link_match(page, search)[0]


def self_link_match(page: object, search: PlannedSearch) -> tuple[str | None, bool]:
    """(why ``page`` answers another search, whether its ``self`` link shows it answers ``search``:
    a search of its type naming its patient). Neither when there is no self link, or one that names
    no type or patient: then only the page's position in a batch-response says whose it is
    (:func:`unmatched_in_batch`)."""
    links = page.get("link") if isinstance(page, dict) else None
    names = ("_id",) if search.resource_type == "Patient" else _PATIENT_PARAMS
    mine = dict(search.params).get(names[0])
    confirmed = False
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link_relation(link) != "self" or not isinstance(link.get("url"), str):
            continue
        try:
            parts = urlsplit(link["url"])
        except ValueError:
            continue
        kind = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if kind in RESOURCE_TYPES and kind != search.resource_type:
            return "the server's answer names another search (its self link is a search of another type)", False
        named = {
            patient_ref_id(v.strip()) or v.strip()
            for key, values in parse_qs(parts.query).items()
            if key.split(":")[0] in names
            for value in values
            for v in value.split(",")
        }
        if named and named != {mine}:
            return "the server's answer names another search (its self link names another patient)", False
        confirmed = confirmed or (kind == search.resource_type and bool(named))
    return None, confirmed


# why a batch-response entry is not used when the answer's order is shown wrong and nothing else says whose it is
OUT_OF_ORDER = (
    "the server's batch answers are out of order (a self link names another search) and this answer names "
    "no search: it cannot be matched to its request"
)


def unmatched_in_batch(pages: list[object], searches: list[PlannedSearch]) -> list[bool]:
    """Which batch-response entries cannot be matched to their requests. FHIR: a batch-response's entries
    are in the order of the request's (the caller checked their count); a server that answers in
    completion order breaks that. So position matches an entry to its request as long as no ``self``
    link contradicts it; once one does, the order is no evidence for any entry, and an entry whose
    own self link does not confirm its search (none, a paging token, an error OperationOutcome) is
    unmatched: a fault for its search (its data unknown, or, for a Patient, the patient not fetched),
    never "no records". An entry whose self link names another search is flagged by
    :func:`answers_another_search` itself."""
    checks = [self_link_match(page, search) for page, search in zip(pages, searches, strict=True)]
    disorder = any(why is not None for why, _ in checks)
    return [disorder and why is None and not confirmed for why, confirmed in checks]


def entry_status(entry: dict[str, Any]) -> int | None:
    response = entry.get("response")
    status = response.get("status") if isinstance(response, dict) else None
    if not isinstance(status, str):
        return None
    head = status.strip().split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def transaction_failure(body: dict[str, Any] | None, expected: int) -> str | None:
    """Why a transaction's 2xx answer does not show its ``expected`` entries recorded; None when it does.

    The one reader of a transaction-response (write-back and both attestation writers go through
    :meth:`~fhir_eligibility.retrieval.server.FhirServer.transaction`). A 2xx status proves nothing
    alone: a server or a proxy may answer 200 with an error OperationOutcome (the transaction rolled
    back), or a transaction-response whose entries are not all 2xx; nothing of it is then reported as
    recorded. The server's diagnostics are not quoted: they may name the patient.
    """
    kind = body.get("resourceType") if body is not None else None
    if kind == "OperationOutcome":
        return "the server answered with an OperationOutcome, not a transaction-response"
    if body is None or kind != "Bundle" or body.get("type") != "transaction-response":
        return "the answer is not a transaction-response"
    entries = body.get("entry")
    if not isinstance(entries, list) or len(entries) != expected:
        return "transaction-response does not match the request"
    for i, entry in enumerate(entries, 1):
        status = entry_status(entry) if isinstance(entry, dict) else None
        if status is None:
            return f"entry {i} of the transaction-response has no status"
        if not 200 <= status < 300:
            return f"entry {i} of the transaction-response is HTTP {status}"
    return None


_UNREADABLE_LINK = "another record, perhaps (Patient.link is unreadable)"


def merge_text(patient_id: str, survivor: str) -> tuple[str, str]:
    """What a merged-away record is (``why``) and which record to use instead, in words: an unreadable
    link names no survivor, so it says "may have been" and does not offer a record to evaluate."""
    if survivor == _UNREADABLE_LINK:
        return f"Patient/{patient_id} may have been merged into another record (Patient.link is unreadable)", (
            "find the surviving record and evaluate it instead"
        )
    return f"Patient/{patient_id} was merged into {survivor} (Patient.link replaced-by)", f"evaluate {survivor} instead"


def replaced_by(patient: Resource) -> str | None:
    """Where a merged-away Patient went: the reference of its ``link`` of type ``replaced-by`` (R4, R5);
    None when it has none (a ``replaces``, ``refer`` or ``seealso`` link leaves this record in use).
    A link that cannot be read (not a list, an entry with no type) may be the merge: read as one."""
    links = patient.get("link")
    if links is not None and not isinstance(links, list):
        return _UNREADABLE_LINK
    for link in links or []:
        if not isinstance(link, dict) or not isinstance(link.get("type"), str):
            return _UNREADABLE_LINK
        if link.get("type") == "replaced-by":
            other = link.get("other")
            ref = other.get("reference") if isinstance(other, dict) else None
            text = " ".join(ref.split())[:100] if isinstance(ref, str) else ""
            return text or "another record (the link names none)"
    return None


def replaces(patient: Resource) -> list[str]:
    """The records a surviving Patient says were merged into it (``link`` of type ``replaces``)."""
    links = patient.get("link")
    out: list[str] = []
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("type") != "replaces":
            continue
        other = link.get("other")
        ref = other.get("reference") if isinstance(other, dict) else None
        out.append(" ".join(ref.split())[:100] if isinstance(ref, str) and ref.strip() else "another record")
    return out


def merged_into(data: PatientData) -> str | None:
    """:func:`replaced_by` of the patient's (first, the assembler's chosen) Patient resource."""
    patient = next((r for r in data.resources if r.get("resourceType") == "Patient"), None)
    return replaced_by(patient) if patient is not None else None


def withhold_merged(data: PatientData) -> PatientData:
    """A Patient merged into another (``Patient.link`` ``replaced-by``, usually ``active: false``) is not
    a record to decide trials on: the merge moved (some of) its data to the surviving record, so what is
    left here would read as absent (a diagnosis "none recorded": ineligible). Its data is withheld:
    every resource type unavailable (so every data criterion is ``unknown``, naming the surviving
    record), only who it is kept (no birth date, sex or vital status to decide on), and a warning says
    which record to evaluate instead. ``unknown`` on unavailable data is an undetermined verdict that
    write-back does not record. A record that replaces another: :func:`_survivor`. Unchanged data
    for any other patient.
    """
    survivor = merged_into(data)
    if survivor is None:
        return _survivor(data)
    why, instead = merge_text(data.patient_id, survivor)
    warning = f"{why}: nothing is decided on this record; {instead}"
    if any(u.reason.startswith(why) for u in data.unavailable):  # withheld already
        return data
    if warning not in data.warnings:  # the caller's list: every report of the patient says it
        data.warnings.append(warning)
    patient = next(r for r in data.resources if r.get("resourceType") == "Patient")
    stub = {k: v for k, v in patient.items() if k in _IDENTITY}
    gone = tuple(Unavailable(t, frozenset(), f"{why}: its data may be on that record") for t in sorted(RESOURCE_TYPES))
    return PatientData(data.patient_id, [stub], (*data.unavailable, *gone), data.warnings)


def _survivor(data: PatientData) -> PatientData:
    """A Patient that replaces another (``link`` ``replaces``): FHIR says the replaced record "should be
    consulted to retrieve additional referenced information", and no source here reads it with this
    one (a server search by this id, an export's records under the old id). What absence decides
    (a diagnosis "none recorded": ineligible) is unknown, naming the other record (``partial``); what
    is recorded here still decides: a diagnosis or a prior treatment found, a measurement."""
    patient = next((r for r in data.resources if r.get("resourceType") == "Patient"), None)
    olds = replaces(patient) if patient is not None else []
    if not olds:
        return data
    why = f"Patient/{data.patient_id} replaces {', '.join(olds)} (Patient.link replaces)"
    if any(u.reason.startswith(why) for u in data.unavailable):  # read already
        return data
    warning = f"{why}: records still filed there are not read; what their absence would decide is unknown"
    if warning not in data.warnings:
        data.warnings.append(warning)
    elsewhere = filed_elsewhere(f"{why}: its records may be filed there")
    return PatientData(data.patient_id, data.resources, (*data.unavailable, *elsewhere), data.warnings)


def merge_results(patient_id: str, results: list[SearchResult], patient: bool = True) -> PatientData:
    """Merge one patient's search results: the in-band fault checks (see the module docstring) here,
    the rest (de-duplication, Medication references, the one Patient) by the one assembler.
    ``patient`` False: the Patient was not searched for (the caller holds it), so none is missing."""
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
            items = result.search.unavailable(result.cause, result.unsupported)
            for item in (*items, *_orders_read_through(items)):
                # only an addition may be missing from a server: a server without Condition (or
                # Procedure...) has not told us there are none, and closed-world criteria read them
                if item.unsupported and item.resource_type in ORDERS:
                    note = f"{item.resource_type}: the server does not support this type ({item.reason}); read as none"
                    if note not in warnings:
                        warnings.append(note)
                elif item not in unavailable:
                    unavailable.append(item)
            if foreign:
                continue
        resources.extend(r for r in result.resources if _medication(r) or about(r, patient_id))
    if (
        patient
        and not any(r.get("resourceType") == "Patient" for r in resources)
        and not any(u.resource_type == "Patient" for u in unavailable)
    ):
        unavailable.append(Unavailable("Patient", frozenset(), "Patient resource missing"))
    return assemble(patient_id, resources, unavailable=unavailable, warnings=warnings, held=not patient)


def _orders_read_through(items: Iterable[Unavailable]) -> list[Unavailable]:
    """A failed order or dispense search, said of the administrations and statements too: the evaluator
    reads orders only as an addition to those (:data:`ORDERS`), so the drug criterion is unknown rather
    than decided on the rest. A type the server does not hold is no fault and is not passed on."""
    return [
        Unavailable(kind, u.codes, f"the {u.resource_type} search failed: {u.reason}")
        for u in items
        if u.resource_type in ORDERS and not u.unsupported
        for kind in _ORDERS_ADD_TO
    ]


def _medication(resource: Resource) -> bool:
    return resource.get("resourceType") == "Medication"
