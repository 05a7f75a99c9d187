"""What write-back finds on the server before it writes, and whether a status there is the product's.

Why apart from :mod:`fhir_eligibility.writeback` (which builds and sends the transactions): the
reading and judging of existing resources is the part that protects staff's work, and it is where a
server's habits bite. Rule: an existing ``ResearchSubject.status`` is the product's (safe to
overwrite) only with proof:

* our ``meta.tag`` (:data:`WRITTEN_TAG`) saying that very status was the one written last; or
* when the server dropped the tag (Medplum drops ``meta.tag`` on write) or kept every one written
  (a server that merges tags on update: then they do not say which was last), the GuidanceResponse the
  product wrote in the same transaction (identifier ``RESULTS_SYSTEM|<NCT>/<patient>``) recording
  that very status as ``researchSubjectStatus``.

Anything else (no proof, a status staff changed, a subject staff created for the study without our
identifier) is staff's: left as it is, and the difference reported as a conflict. The results written
beside a kept subject record no status, so they never prove a status the product did not write.

Ours means carrying exactly our identifier: a server may match token values case-insensitively or ignore
the parameter, and a record it returns that is not exactly ours is another patient's (:func:`_ours`).
Exactly means the value; a system is compared as a URI is read (:func:`_system_key`): staff and other
tools write ``https://clinicaltrials.gov/``, ``http://`` or another case for the registry, and a study
missed that way got a second ResearchStudy and a subject beside staff's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fhir_eligibility.codes import norm_system
from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.retrieval.server import FhirServer
from fhir_eligibility.retrieval.transport import Page, short_count

SUBJECT_SYSTEM = "urn:fhir-eligibility:research-subject"
RESULTS_SYSTEM = "urn:fhir-eligibility:guidance-response"
NCT_SYSTEM = "https://clinicaltrials.gov"  # the form the product writes; others are read as it (_system_key)
WRITTEN_TAG = "urn:fhir-eligibility:written-status"  # meta.tag: the status the product wrote last
STATUS_WRITTEN = "researchSubjectStatus"  # the results' parameter: the subject status written with them


@dataclass(frozen=True)
class Settled:
    """One patient x study's transaction adapted to what the server holds."""

    bundle: dict[str, Any]
    kept: bool = False  # the subject's status is staff's: not written
    conflict: str | None = None  # staff's status differs from the outcome: what to tell the user
    unchanged: bool = False  # the product's status and results are already on the server: nothing written


def written_tag(status: str) -> dict[str, Any]:
    return {"tag": [{"system": WRITTEN_TAG, "code": status}]}


def _system_key(system: object) -> str | None:
    """An identifier system as compared: :func:`~fhir_eligibility.codes.norm_system` (whitespace, known
    aliases), then what makes two spellings of one web address the same registry: ``http`` or
    ``https``, the scheme's and host's case, a ``www.`` host, a trailing slash. None when not text."""
    if not isinstance(system, str):
        return None
    key = norm_system(system)
    scheme, sep, rest = key.partition("://")
    if sep and scheme.lower() in ("http", "https"):
        host, slash, path = rest.partition("/")
        key = f"http://{host.lower().removeprefix('www.')}{slash}{path}"
    return key.rstrip("/")


def _same_system(system: object, expected: str) -> bool:
    return _system_key(system) == _system_key(expected)


def _values(resource: dict[str, Any], system: str) -> list[str]:
    """The values of the resource's identifiers in ``system`` (any spelling of it: :func:`_system_key`)."""
    idents = resource.get("identifier")
    return [
        str(i["value"])
        for i in (idents if isinstance(idents, list) else [])
        if isinstance(i, dict) and _same_system(i.get("system"), system) and isinstance(i.get("value"), str)
    ]


def key_of(resource: dict[str, Any], system: str = SUBJECT_SYSTEM) -> str | None:
    """The ``<NCT>/<patient id>`` key of one of our records (its identifier in ``system``)."""
    return next(iter(_values(resource, system)), None)


def recorded_status(guidance: dict[str, Any]) -> str | None:
    """The subject status a GuidanceResponse of ours records having written (its results' parameter)."""
    contained = guidance.get("contained")
    for part in contained if isinstance(contained, list) else []:
        params = part.get("parameter") if isinstance(part, dict) else None
        for p in params if isinstance(params, list) else []:
            if isinstance(p, dict) and p.get("name") == STATUS_WRITTEN and isinstance(p.get("valueCode"), str):
                return str(p["valueCode"])
    return None


def _whole(page: Page, what: str) -> None:
    """A page that says it holds fewer matches than the server counted lacks a subject that may be
    staff's: nothing is decided on it (read as "none yet", ours would replace or sit beside theirs)."""
    if page.next_link is not None:
        raise RetrievalError(f"{what} answered more than one page")
    short = short_count(page.total, page.matches)
    if short is not None:
        raise RetrievalError(f"{what}: {short.cause}")


def _ours(server: FhirServer, resource_type: str, system: str, key: str) -> tuple[list[dict[str, Any]], bool]:
    """The resources carrying exactly ``system|key``, and whether the search returned any other.

    A server may match token values case-insensitively (Medplum does: ``.../SAMPLE-01`` finds
    ``.../sample-01``) or ignore the parameter: what it returned beside an exact match is another
    patient's record, which a conditional write by the same search would land on."""
    query = f"{resource_type}?identifier={quote(f'{system}|{key}', safe='')}&_count=3"
    page = server.search_page(query)
    _whole(page, f"{resource_type} search")
    found = [r for r in page.resources if r.get("resourceType") == resource_type]
    exact = [r for r in found if key in _values(r, system)]
    if len(exact) > 1:
        raise RetrievalError(f"two {resource_type}s carry the identifier {key}: not written")
    return exact, len(found) > len(exact)


def _proven(subject: dict[str, Any], guidance: list[dict[str, Any]]) -> bool:
    """Whether the subject's status is provably the one the product wrote last (see the module doc);
    ``guidance``: our GuidanceResponse for the same key, if any."""
    status = subject.get("status")
    meta = subject.get("meta")
    tags = meta.get("tag") if isinstance(meta, dict) else None
    tagged = [
        t.get("code")
        for t in (tags if isinstance(tags, list) else [])
        if isinstance(t, dict) and t.get("system") == WRITTEN_TAG
    ]
    if len(set(tagged)) == 1:
        return status == tagged[0]
    # several of our tags: the server kept the old ones on update (FHIR leaves removing a tag to
    # $meta-delete), so which status was written last is not in the tags; the results written with it say
    if not isinstance(status, str):
        return False
    return len(guidance) == 1 and recorded_status(guidance[0]) == status


def _local(ref: object, base: str) -> list[str] | None:
    """A reference to a resource on this server as ``[type, id]`` (relative, absolute under its base, with
    a version); None for another server's or an unreadable one."""
    if not isinstance(ref, str):
        return None
    ref = ref.strip()
    if "://" in ref:
        prefix = base.rstrip("/") + "/"
        if ref[: len(prefix)].lower() != prefix.lower():
            return None  # a resource on another server
        ref = ref[len(prefix) :]
    parts = ref.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return parts if len(parts) == 2 else None


def _names(subject: dict[str, Any], patient: str, base: str) -> bool:
    """Whether a ResearchSubject's ``individual`` is this very patient (``Patient/<id>``) on this server."""
    individual = subject.get("individual")
    return isinstance(individual, dict) and _local(individual.get("reference"), base) == patient.split("/")


def _nct(resource: dict[str, Any], trial: str) -> bool:
    """Whether a ResearchStudy carries the NCT number, under any spelling of the registry's system
    (staff and other tools write ``http://clinicaltrials.gov``, ``https://clinicaltrials.gov/``...)."""
    return trial in _values(resource, NCT_SYSTEM)


def _product_form(resource: dict[str, Any], trial: str) -> bool:
    """Whether the NCT number is spelled exactly as the product writes it (that study is named first)."""
    idents = resource.get("identifier")
    return any(
        isinstance(i, dict) and i.get("system") == NCT_SYSTEM and i.get("value") == trial
        for i in (idents if isinstance(idents, list) else [])
    )


def _studies(server: FhirServer, trial: str) -> list[str]:
    """The ids of the server's ResearchStudies carrying the NCT number, the product's form first. Searched
    by the number alone (any system: one search finds both forms); a server that ignored the parameter
    returns others too: only those carrying the number count."""
    page = server.search_page(f"ResearchStudy?identifier={quote(trial, safe='')}&_count=100")
    _whole(page, "ResearchStudy search")
    found = [
        r
        for r in page.resources
        if r.get("resourceType") == "ResearchStudy" and isinstance(r.get("id"), str) and _nct(r, trial)
    ]
    found.sort(key=lambda r: (not _product_form(r, trial), str(r["id"])))
    return [str(r["id"]) for r in found]


def _other_subject(server: FhirServer, subject: dict[str, Any], studies: list[str]) -> dict[str, Any] | None:
    """Another ResearchSubject of this patient for this study: one staff created (without our identifier)
    or one a patient merge moved here (our identifier, another patient's key): ours would be a duplicate
    beside it. Searched by the patient with ``_include`` of the study, the studies searched on their own
    too (a server that ignores ``_include`` still answers it); staff may name the study by an absolute
    URL, a version or an identifier. Only subjects that name this very patient count: a server that
    ignored the parameter returns other patients' too."""
    trial = subject["study"].get("display") or ""
    patient = subject["individual"]["reference"]
    base = server.options.base
    page = server.search_page(
        f"ResearchSubject?individual={quote(patient, safe='/')}&_include=ResearchSubject:study&_count=100"
    )
    _whole(page, "the patient's ResearchSubjects")
    # every one counts, ours too: it is asked only when the search by our identifier found none, so one
    # carrying our key here (our system spelled another way, a server not matching it) was missed there
    others = [r for r in page.resources if r.get("resourceType") == "ResearchSubject" and _names(r, patient, base)]
    included = [
        str(r["id"])
        for r in page.resources
        if r.get("resourceType") == "ResearchStudy" and isinstance(r.get("id"), str) and _nct(r, trial)
    ]
    ids = {*studies, *included}
    return next((r for r in others if _names_study(r.get("study"), ids, base, trial)), None)


def _names_study(study: object, ids: set[str], base: str, trial: str) -> bool:
    """Whether a ResearchSubject's ``study`` names one of these ResearchStudy ids on this server (relative,
    absolute under its base, with a version) or the trial by its NCT identifier."""
    if not isinstance(study, dict):
        return False
    ident = study.get("identifier")
    if isinstance(ident, dict) and _same_system(ident.get("system"), NCT_SYSTEM) and ident.get("value") == trial:
        return True
    parts = _local(study.get("reference"), base)
    return parts is not None and parts[0] == "ResearchStudy" and parts[1] in ids


def _without_status(guidance: dict[str, Any]) -> dict[str, Any]:
    """The results recording no subject status (written beside a status that is not the product's)."""
    results = [
        {**c, "parameter": [p for p in c["parameter"] if p.get("name") != STATUS_WRITTEN]}
        for c in guidance["contained"]
    ]
    return {**guidance, "contained": results}


_VOLATILE = ("id", "meta", "occurrenceDateTime", "text")  # not what was decided: when and how it was stored


def _same(planned: dict[str, Any], held: dict[str, Any]) -> bool:
    """Whether the server already holds what would be written (when it was written aside)."""
    return {k: v for k, v in planned.items() if k not in _VOLATILE} == {
        k: v for k, v in held.items() if k not in _VOLATILE
    }


def _by_id(resource: dict[str, Any], held: dict[str, Any]) -> dict[str, Any]:
    """An update of exactly the record found (``ifMatch`` on its version: a concurrent edit fails instead of
    being lost), never a conditional one a server might resolve to another patient's."""
    request: dict[str, Any] = {"method": "PUT", "url": f"{held['resourceType']}/{held.get('id')}"}
    version = (held.get("meta") or {}).get("versionId")
    if isinstance(version, str):
        request["ifMatch"] = f'W/"{version}"'
    return {"resource": {**resource, "id": held.get("id")}, "request": request}


def _place(entry: dict[str, Any], held: list[dict[str, Any]], foreign: bool) -> dict[str, Any]:
    """Where a subject or its results go: by id onto our exact record; a plain create (``POST``) when the
    search returned only other records (a conditional write would land on one of them); else as planned
    (the conditional ``PUT``: nothing matched even loosely, and a retry or a concurrent run updates)."""
    if held:
        return _by_id(entry["resource"], held[0])
    if foreign:
        return {**entry, "request": {"method": "POST", "url": entry["resource"]["resourceType"]}}
    return entry


def settle(server: FhirServer, bundle: dict[str, Any]) -> Settled:
    """Read what the server holds for this patient x study and adapt the transaction to it.

    No subject yet: created (conditionally, or by ``POST`` beside another patient's record the search
    returned), unless another subject of this patient names the study (staff's, or one a merge moved
    here: kept). A subject of ours whose status is provably the product's (:func:`_proven`): updated in
    place by id (its other elements, e.g. a consent, kept); left untouched when neither its status nor
    the results change. Any other status is staff's: kept. The study is created only when the server
    holds none carrying the NCT number (either form of the registry's system).
    """
    entries = {e["resource"]["resourceType"]: e for e in bundle["entry"]}
    subject, guidance = entries["ResearchSubject"]["resource"], entries["GuidanceResponse"]["resource"]
    key, ours, trial = key_of(subject) or "", subject["status"], subject["study"].get("display") or ""
    held, foreign = _ours(server, "ResearchSubject", SUBJECT_SYSTEM, key)
    results, foreign_results = _ours(server, "GuidanceResponse", RESULTS_SYSTEM, key)
    studies = _studies(server, trial)
    kept, conflict, unchanged = False, None, False
    new_subject: dict[str, Any] | None
    if not held:
        other = _other_subject(server, subject, studies)
        if other is None:
            new_subject = _place(entries["ResearchSubject"], [], foreign)
        else:
            new_subject = None
            whose = "another ResearchSubject of this patient for this study (staff's, or one a merge moved here)"
            kept, conflict = True, _conflict(trial, other.get("status"), ours, whose)
    elif not _names(held[0], subject["individual"]["reference"], server.options.base):
        new_subject = None  # our key, but a merge (or a person) moved it to another patient: theirs now
        whose = "on a ResearchSubject now naming another patient"
        kept, conflict = True, _conflict(trial, held[0].get("status"), ours, whose)
    elif not _proven(held[0], results):
        new_subject = None
        whose = "not one this product provably wrote (no tag or results of ours record it)"
        kept, conflict = True, _conflict(trial, held[0].get("status"), ours, whose)
    else:
        old = held[0]
        merged = {k: v for k, v in old.items() if k != "meta"} | {"status": ours, "meta": written_tag(ours)}
        new_subject = _by_id(merged, old)
        unchanged = old.get("status") == ours
    if kept:
        guidance = _without_status(guidance)
    new_results: dict[str, Any] | None = _place(
        {**entries["GuidanceResponse"], "resource": guidance}, results, foreign_results
    )
    if results and _same(guidance, results[0]) and (kept or unchanged):
        new_results = None  # already recorded: a new version would say nothing new
        if unchanged:
            new_subject = None
    else:
        unchanged = False
    study_entry: dict[str, Any] | None = entries["ResearchStudy"]
    if studies:  # the server's study, whichever form of the NCT system it carries: no second one
        planned_ref = entries["ResearchStudy"]["fullUrl"]
        if new_subject is not None and new_subject["resource"]["study"].get("reference") == planned_ref:
            named = {**new_subject["resource"]["study"], "reference": f"ResearchStudy/{studies[0]}"}
            new_subject = {**new_subject, "resource": {**new_subject["resource"], "study": named}}
        study_entry = None
    kept_entries = [e for e in (study_entry, new_subject, new_results) if e is not None]
    return Settled({**bundle, "entry": kept_entries}, kept=kept, conflict=conflict, unchanged=unchanged)


def _conflict(trial: str, theirs: object, ours: str, whose: str) -> str | None:
    """What to tell the user when staff's status differs from the outcome (nothing when they agree)."""
    if theirs == ours:
        return None
    return f"{trial}: the ResearchSubject status {theirs!r} is {whose}: left as it is; this evaluation says {ours!r}"


__all__ = [
    "NCT_SYSTEM",
    "RESULTS_SYSTEM",
    "STATUS_WRITTEN",
    "SUBJECT_SYSTEM",
    "WRITTEN_TAG",
    "Settled",
    "key_of",
    "recorded_status",
    "settle",
    "written_tag",
]
