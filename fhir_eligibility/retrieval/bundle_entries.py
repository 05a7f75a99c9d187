"""A Bundle's records (:func:`bundle_items`, nested Bundles' too), and what its entries say besides
them: a batch-response entry whose request failed, a history Bundle's current version of each record
(or its deletion), a transaction's or batch's DELETE (a history's current deletion too: the record is
deleted from the whole input, :func:`deletions`), an outcome saying data were left out, a search of some
types (:mod:`~fhir_eligibility.retrieval.search_scope`).

Why apart from the file reader: these are the rules of a Bundle's entries (``request`` /
``response``, ``search``, ``issues``), which the reader applies to every Bundle it meets, nested
ones included; the file reader groups the records per patient.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fhir_eligibility.record import Resource, patient_reference
from fhir_eligibility.retrieval.reading import (
    ANY_TYPE,
    Drops,
    Position,
    WarningLog,
    problem_of,
    text_field,
    type_of_unreadable,
    unusable_reference,
    usable_id,
    with_id,
)
from fhir_eligibility.retrieval.resource_types import RESOURCE_TYPES
from fhir_eligibility.retrieval.search_scope import entry_urls, incomplete_search, search_scope
from fhir_eligibility.retrieval.transport import is_error_outcome, partial_issue
from fhir_eligibility.retrieval.versions import newest, updated, version_id

Item = tuple[Position, str | None, Resource]  # (where in the input, Bundle fullUrl, resource)


def failed_response(entry: object) -> str | None:
    """Why a Bundle entry's ``response`` says its request failed (a status other than 2xx)."""
    response = entry.get("response") if isinstance(entry, dict) else None
    if not isinstance(response, dict):
        return None
    status = response.get("status")
    code = status.strip()[:3] if isinstance(status, str) else ""
    if not code.isdigit():
        return "response status unreadable"
    return None if 200 <= int(code) < 300 else f"status {code}"


def _etag_version(entry: Resource) -> str | None:
    response = entry.get("response")
    etag = response.get("etag") if isinstance(response, dict) else None
    if not isinstance(etag, str):
        return None
    text = etag.removeprefix("W/").strip('"')
    return text or None


def _modified(entry: Resource) -> dt.datetime | None:
    response = entry.get("response")
    if not isinstance(response, dict):
        return None
    return updated({"meta": {"lastUpdated": response.get("lastModified")}})


def _deleted_key(entry: Resource) -> tuple[str, str] | None:
    """(type, id) a history entry deletes (``request.method`` DELETE, ``request.url`` Type/id)."""
    request = entry.get("request")
    if not isinstance(request, dict) or request.get("method") != "DELETE" or "resource" in entry:
        return None
    url = request.get("url")
    if not isinstance(url, str):
        return None
    parts = url.split("?", 1)[0].split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return (parts[-2], parts[-1]) if len(parts) >= 2 and parts[-2] and parts[-1] else None


def history_current(entries: list[Any]) -> tuple[set[int], set[tuple[str, str]]]:
    """The entries of a history Bundle to read: per record, its current version (the highest
    ``meta.versionId``, else the latest ``meta.lastUpdated``, else the first entry, since a history
    lists the newest first), none when that is a deletion; entries that are no version of a record
    are kept, for the usual checks. Also the records whose current version is a deletion: they are
    deleted from the whole input (:attr:`~.reading.Drops.deleted`)."""
    versions: dict[tuple[str, str], list[int]] = {}
    keep: set[int] = set()
    deleted: set[tuple[str, str]] = set()
    for i, e in enumerate(entries):
        res = e.get("resource") if isinstance(e, dict) else None
        key = _deleted_key(e) if isinstance(e, dict) else None
        if key is None and isinstance(res, dict):
            rtype, rid = res.get("resourceType"), res.get("id")
            if isinstance(rtype, str) and isinstance(rid, str) and rid and rtype != "Bundle":
                key = (rtype, rid)
        if key is None:
            keep.add(i)
        else:
            versions.setdefault(key, []).append(i)
    for key, indexes in versions.items():
        oldest_first = indexes[::-1]
        stamps = []
        for i in oldest_first:
            e, res = entries[i], entries[i].get("resource")
            if isinstance(res, dict):
                stamps.append((version_id(res) or _etag_version(e), updated(res) or _modified(e)))
            else:
                stamps.append((_etag_version(e), _modified(e)))
        chosen = oldest_first[newest(stamps)]
        if _deleted_key(entries[chosen]) is None:
            keep.add(chosen)
        else:
            deleted.add(key)
    return keep, deleted


# the Bundles whose DELETE entries delete a record (a batch's or transaction's request, a history's version)
DELETING = frozenset({"transaction", "batch", "history"})


def _version_only(entry: Resource) -> bool:
    """A DELETE naming one version (``Patient/x/_history/1``: R5 delete-history-version) outside a history
    Bundle: it removes that old version, not the record (in a history Bundle the entry is the record's
    deletion, however its url is written)."""
    url = entry["request"].get("url")
    return isinstance(url, str) and "_history" in url.split("?", 1)[0].split("/")


def _is_delete(entry: object) -> bool:
    """A ``request.method`` DELETE entry (no resource: the record is gone)."""
    if not isinstance(entry, dict) or "resource" in entry:
        return False
    request = entry.get("request")
    return isinstance(request, dict) and request.get("method") == "DELETE"


def deletions(value: object) -> set[tuple[str, str]] | None:
    """The records a Bundle of deletions only deletes (the Bulk Data ``deleted`` file's transaction
    Bundle, one per NDJSON line), or None when it is no such Bundle (or one deletion names no record)."""
    if not isinstance(value, dict) or value.get("resourceType") != "Bundle" or value.get("type") not in DELETING:
        return None
    entries = value.get("entry")
    if not isinstance(entries, list) or not entries or not all(map(_is_delete, entries)):
        return None
    keys = [_deleted_key(e) for e in entries if not _version_only(e)]
    return {k for k in keys if k is not None} if all(keys) else None


def _deleted_type(entry: Resource) -> str:
    """The type a deletion naming no record deletes (``Observation?code=...``), else any."""
    url = entry["request"].get("url")
    kind = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] if isinstance(url, str) else ""
    return kind if kind in RESOURCE_TYPES and kind != "Bundle" else ANY_TYPE


def bundle_items(
    bundle: Resource,
    source: str,
    index: int,
    log: WarningLog,
    counter: list[int],
    lost: Drops,
    searches: dict[Position, frozenset[str]],
    urls: tuple[str, ...] = (),
) -> list[Item]:
    """The Bundle's records (nested Bundles' too); what it lost to ``lost``; each record of a search
    of some types or records (not a patient's whole record) to ``searches``, with the types it holds
    whole, as each read of a batch-response (``GET Patient/x`` holds that Patient only); what a search
    of a patient that found nothing vouches for to ``lost.searched``. ``urls``: what the batch entry
    holding this Bundle says it answered (:func:`~.search_scope.entry_urls`)."""
    entries = bundle.get("entry")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        log.add(f"{source}: Bundle.entry is not a list; ignored", "", (index, counter[0]))
        return []
    searchset = bundle.get("type") == "searchset"
    issues = bundle.get("issues")  # R5: the Bundle's OperationOutcome, read as an outcome entry (a searchset's: below)
    if issues is not None and not searchset:
        outcome = isinstance(issues, dict) and issues.get("resourceType") == "OperationOutcome"
        if not outcome or is_error_outcome(issues) or partial_issue(issues):
            log.add(
                f"{source}: the Bundle's issues are an error (OperationOutcome), say data were left out, or "
                "cannot be read; its records may be incomplete",
                "",
                (index, counter[0]),
            )
            lost.add(ANY_TYPE)
    current: set[int] | None = None
    if bundle.get("type") == "history":
        current, deleted = history_current(entries)
        lost.deleted |= deleted
    deleting = bundle.get("type") in DELETING
    batch = bundle.get("type") in ("batch-response", "transaction-response")
    reads: list[Position] = []  # a batch-response's own records: each holds itself only
    out: list[Item] = []
    for i, e in enumerate(entries):
        counter[0] += 1
        at = (index, counter[0])
        if current is not None and i not in current:
            continue  # an older version, or a deleted record, in a history Bundle
        failed = failed_response(e)
        if failed is not None:  # what the request would have answered is missing, not absent
            log.add(f"{source}: a Bundle entry failed ({failed}); what it answered is missing", f"entry {i}", at)
            lost.add(ANY_TYPE)
            continue
        if deleting and _is_delete(e):  # a record deleted: from the whole input, read in any order
            if current is None and _version_only(e):
                continue  # an old version purged: the record itself stays
            key = _deleted_key(e)
            if key is not None:
                lost.deleted.add(key)
            else:  # conditional (Type?identifier=...): the record it deleted may be here
                log.add(f"{source}: a deletion that names no record by its id; its type is unknown", f"entry {i}", at)
                lost.add(_deleted_type(e))
            continue
        if isinstance(e, dict) and "response" in e and "resource" not in e:
            continue  # batch-response entry without a body, a deletion in a history
        res = e.get("resource") if isinstance(e, dict) else None
        problem = problem_of(res)
        if problem is not None:
            log.add(f"{source}: Bundle entry {problem}; ignored", f"entry {i}", at)
            if isinstance(res, dict) and res:  # a record was there: the Bundle's patients miss it
                rtype = type_of_unreadable(res, b"", "")
                names_patient = patient_reference(res) is not None or unusable_reference(res)
                lost.add(rtype or (ANY_TYPE if names_patient else None))
            continue
        assert isinstance(e, dict) and isinstance(res, dict)
        if res["resourceType"] == "Bundle":
            out.extend(bundle_items(res, source, index, log, counter, lost, searches, entry_urls(e) if batch else ()))
            continue
        if res["resourceType"] == "OperationOutcome" and not searchset:  # a searchset's: read_page below
            if is_error_outcome(res) or partial_issue(res):
                log.add(
                    f"{source}: a Bundle entry is an error (OperationOutcome) or says data were left out; "
                    "what it answered is missing",
                    f"entry {i}",
                    at,
                )
                lost.add(ANY_TYPE)
            continue
        full_url = text_field(e, "fullUrl")
        if full_url is None and "fullUrl" in e:
            log.add(f"{source}: Bundle entry fullUrl is not a string; fullUrl ignored", f"entry {i}", at)
            if res["resourceType"] == "Patient" and usable_id(res.get("id")):  # references to it are lost
                lost.add(ANY_TYPE, str(res["id"]))
        out.append((at, full_url, with_id(res, at)))
        if batch:
            reads.append(at)
    _vouch(bundle, urls, out, reads, source, index, log, lost, searches)
    return out


# Bundle types that hold a document's or a message's records: found ones decide, absence does not
PART_OF_A_RECORD = frozenset({"document", "message"})


def _vouch(
    bundle: Resource,
    urls: tuple[str, ...],
    out: list[Item],
    reads: list[Position],
    source: str,
    index: int,
    log: WarningLog,
    lost: Drops,
    searches: dict[Position, frozenset[str]],
) -> None:
    """What a Bundle's records vouch for (:func:`bundle_items`): a search page cut short loses what it
    searched, a summary (``_elements``) the types it subsetted; a search of some types or records, or a
    batch-response's reads, hold only what they hold."""
    scope = search_scope(bundle, urls)
    why = incomplete_search(bundle)
    if why is not None:  # a saved search page (or one nested in a batch): what it left out is missing
        log.add(f"{source}: {why}; its records may be incomplete", "", (index, 0))
        # a search of some types lost those (and what it holds); a whole record's ($everything), any type
        held = {r["resourceType"] for _at, _u, r in out} - {"Patient", "Medication"}
        for kind in {ANY_TYPE} if scope is None else scope.searched | held or {ANY_TYPE}:
            lost.add(kind)
    if scope is not None and scope.subsetted:  # elements were dropped: what the records say is unknown
        log.add(
            f"{source}: a search result of {', '.join(sorted(scope.subsetted))} with _elements or _summary "
            "(its records lack elements); those types are unknown",
            "",
            (index, 0),
        )
        for kind in scope.subsetted:
            lost.add(kind)
    if scope is not None and scope.patient is not None and why is None:  # theirs, even when it found none
        lost.searched.setdefault(scope.patient, set()).update(scope.whole)
    if scope is not None:
        if any(r["resourceType"] == "Patient" for _at, _u, r in out):
            searched = ", ".join(sorted(scope.searched)) or "no type it names"
            some = f" (some records only: {', '.join(scope.narrowing)[:80]})" if scope.narrowing else ""
            log.add(
                f"{source}: a search result of {searched}{some}, not a patient's whole record; "
                "it says nothing of their other records",
                "",
                (index, 0),
            )
        for at, _u, _r in out:
            searches.setdefault(at, scope.whole)
    if bundle.get("type") in PART_OF_A_RECORD and out:  # a lab report, a discharge letter, a message
        log.add(
            f"{source}: a {bundle.get('type')} Bundle holds what it covers, not a patient's whole record; "
            "it says nothing of their other records",
            "",
            (index, 0),
        )
        for at, _u, _r in out:
            searches.setdefault(at, frozenset())
    read = set(reads)
    if read and any(at in read and r["resourceType"] == "Patient" for at, _u, r in out):
        log.add(
            f"{source}: a {bundle.get('type')} of reads and searches, not a patient's whole record; "
            "it holds only what was read or searched",
            "",
            (index, 0),
        )
    for at in reads:
        searches.setdefault(at, frozenset())


__all__ = ["DELETING", "Item", "bundle_items", "deletions", "failed_response", "history_current"]
