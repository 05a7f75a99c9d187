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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.retrieval.server import FhirServer
from fhir_eligibility.retrieval.transport import Page, short_count

SUBJECT_SYSTEM = "urn:fhir-eligibility:research-subject"
RESULTS_SYSTEM = "urn:fhir-eligibility:guidance-response"
NCT_SYSTEM = "https://clinicaltrials.gov"
WRITTEN_TAG = "urn:fhir-eligibility:written-status"  # meta.tag: the status the product wrote last
STATUS_WRITTEN = "researchSubjectStatus"  # the results' parameter: the subject status written with them


@dataclass(frozen=True)
class Settled:
    """One patient x study's transaction adapted to what the server holds."""

    bundle: dict[str, Any]
    kept: bool = False  # the subject's status is staff's: not written
    conflict: str | None = None  # staff's status differs from the outcome: what to tell the user


def written_tag(status: str) -> dict[str, Any]:
    return {"tag": [{"system": WRITTEN_TAG, "code": status}]}


def _values(resource: dict[str, Any], system: str) -> list[str]:
    """The values of the resource's identifiers in ``system``."""
    idents = resource.get("identifier")
    return [
        str(i["value"])
        for i in (idents if isinstance(idents, list) else [])
        if isinstance(i, dict) and i.get("system") == system and isinstance(i.get("value"), str)
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


def _proven(server: FhirServer, subject: dict[str, Any], key: str) -> bool:
    """Whether the subject's status is provably the one the product wrote last (see the module doc)."""
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
    page = server.search_page(f"GuidanceResponse?identifier={quote(f'{RESULTS_SYSTEM}|{key}', safe='')}&_count=2")
    mine = [
        r for r in page.resources if r.get("resourceType") == "GuidanceResponse" and key_of(r, RESULTS_SYSTEM) == key
    ]
    return len(mine) == 1 and recorded_status(mine[0]) == status


def _staff_subject(server: FhirServer, subject: dict[str, Any]) -> dict[str, Any] | None:
    """A ResearchSubject staff created for this patient and study (without our identifier): ours would be
    a duplicate beside it. The study is told by the server's ResearchStudies carrying the NCT number,
    searched on their own: a server that ignores ``_include`` (many ignore what they do not support)
    still answers it, and staff may name the study by an absolute URL, a version or an identifier."""
    trial = subject["study"].get("display") or ""
    patient = subject["individual"]["reference"]
    page = server.search_page(
        f"ResearchSubject?individual={quote(patient, safe='/')}&_include=ResearchSubject:study&_count=100"
    )
    _whole(page, "the patient's ResearchSubjects")
    theirs = [r for r in page.resources if r.get("resourceType") == "ResearchSubject" and key_of(r) is None]
    if not theirs:
        return None
    studies = server.search_page(f"ResearchStudy?identifier={quote(f'{NCT_SYSTEM}|{trial}', safe='')}&_count=100")
    _whole(studies, "ResearchStudy search")
    ids = {  # a server that ignored the parameter returns others too: only those carrying the number count
        str(r["id"])
        for r in [*studies.resources, *page.resources]
        if r.get("resourceType") == "ResearchStudy" and isinstance(r.get("id"), str) and trial in _values(r, NCT_SYSTEM)
    }
    return next((r for r in theirs if _names_study(r.get("study"), ids, server.options.base, trial)), None)


def _names_study(study: object, ids: set[str], base: str, trial: str) -> bool:
    """Whether a ResearchSubject's ``study`` names one of these ResearchStudy ids on this server (relative,
    absolute under its base, with a version) or the trial by its NCT identifier."""
    if not isinstance(study, dict):
        return False
    ident = study.get("identifier")
    if isinstance(ident, dict) and ident.get("system") == NCT_SYSTEM and ident.get("value") == trial:
        return True
    ref = study.get("reference")
    if not isinstance(ref, str):
        return False
    ref = ref.strip()
    if "://" in ref:
        prefix = base.rstrip("/") + "/"
        if ref[: len(prefix)].lower() != prefix.lower():
            return False  # a study on another server
        ref = ref[len(prefix) :]
    parts = ref.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return len(parts) == 2 and parts[0] == "ResearchStudy" and parts[1] in ids


def _keep(bundle: dict[str, Any], trial: str, theirs: object, ours: str, whose: str) -> Settled:
    """The transaction without the subject, its results recording no status; a conflict when they differ."""
    entries = []
    for e in bundle["entry"]:
        res = e["resource"]
        if res["resourceType"] == "ResearchSubject":
            continue
        if res["resourceType"] == "GuidanceResponse":
            results = [
                {**c, "parameter": [p for p in c["parameter"] if p.get("name") != STATUS_WRITTEN]}
                for c in res["contained"]
            ]
            e = {**e, "resource": {**res, "contained": results}}
        entries.append(e)
    conflict = None
    if theirs != ours:
        conflict = (
            f"{trial}: the ResearchSubject status {theirs!r} is {whose}: left as it is; this evaluation says {ours!r}"
        )
    return Settled({**bundle, "entry": entries}, kept=True, conflict=conflict)


def settle(server: FhirServer, bundle: dict[str, Any]) -> Settled:
    """Read what the server holds for this patient x study and adapt the transaction to it.

    No subject yet: sent as planned (conditional create), unless staff created one for the study
    without our identifier (kept). A subject of ours whose status is provably the product's
    (:func:`_proven`): updated in place (its other elements, e.g. a consent, kept; ``ifMatch`` on its
    version so a concurrent edit fails instead of being lost). Any other status is staff's: kept.
    """
    subject = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ResearchSubject")
    key, ours, trial = key_of(subject) or "", subject["status"], subject["study"].get("display") or ""
    page = server.search_page(f"ResearchSubject?identifier={quote(f'{SUBJECT_SYSTEM}|{key}', safe='')}&_count=3")
    _whole(page, "ResearchSubject search")
    existing = [r for r in page.resources if r.get("resourceType") == "ResearchSubject" and key_of(r) == key]
    if len(existing) > 1:
        raise RetrievalError(f"two ResearchSubjects carry the identifier {key}: not written")
    if not existing:
        staff = _staff_subject(server, subject)
        if staff is None:
            return Settled(bundle)
        return _keep(bundle, trial, staff.get("status"), ours, "staff's own subject for this study")
    old = existing[0]
    if not _proven(server, old, key):
        whose = "not one this product provably wrote (no tag or results of ours record it)"
        return _keep(bundle, trial, old.get("status"), ours, whose)
    merged = {k: v for k, v in old.items() if k != "meta"} | {"status": ours, "meta": written_tag(ours)}
    request: dict[str, Any] = {"method": "PUT", "url": f"ResearchSubject/{old.get('id')}"}
    version = (old.get("meta") or {}).get("versionId")
    if isinstance(version, str):
        request["ifMatch"] = f'W/"{version}"'
    entries = [{"resource": merged, "request": request} if e["resource"] is subject else e for e in bundle["entry"]]
    return Settled({**bundle, "entry": entries})


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
