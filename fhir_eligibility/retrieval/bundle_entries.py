"""What a Bundle's entries say besides their resources: a batch-response entry whose request failed,
and a history Bundle's current version of each record (or its deletion).

Why apart from the file reader: these are the rules of the entry's ``request`` / ``response``
elements, which the reader applies to every Bundle it meets, nested ones included.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fhir_eligibility.record import Resource
from fhir_eligibility.retrieval.versions import newest, updated, version_id


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


def history_current(entries: list[Any]) -> set[int]:
    """The entries of a history Bundle to read: per record, its current version (the highest
    ``meta.versionId``, else the latest ``meta.lastUpdated``, else the first entry, since a history
    lists the newest first), none when that is a deletion; entries that are no version of a record
    are kept, for the usual checks."""
    versions: dict[tuple[str, str], list[int]] = {}
    keep: set[int] = set()
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
    for indexes in versions.values():
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
    return keep


__all__ = ["failed_response", "history_current"]
