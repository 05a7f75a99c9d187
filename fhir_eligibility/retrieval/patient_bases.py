"""Whose a record is when it names its patient by an absolute URL: this server's, or another's.

Why: ``https://other.example.org/fhir/Patient/123`` is patient 123 of another server, someone else
than this server's ``Patient/123``; read by its last two segments (``record.patient_ref_id``), a
search answer holding another hospital's record counted as this patient's. A search answer says
which server it speaks for by its entries' ``fullUrl``s (``<base>/<type>/<id>``, required in search
results); an absolute patient reference on another base, or one that no ``fullUrl`` lets us place,
is another patient's data: a fault of the answer (:func:`~.transport.read_page`), never a record of
this patient.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from fhir_eligibility.record import PATIENT_KEYS, Resource


def base_of(url: str, marker: str) -> str | None:
    """The server base of an absolute ``url`` ending in ``/<marker>/<id>[/_history/<v>]``, scheme and
    host lower-cased; None when it is not such a URL."""
    if "://" not in url:
        return None
    path = url.split("/_history/", 1)[0]
    base, found, rid = path.rpartition(f"/{marker}/")
    if not found or not rid or "/" in rid:
        return None
    parts = urlsplit(base)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def entry_bases(entries: Iterable[object]) -> set[str]:
    """The bases a Bundle's entries are filed under, read from their absolute ``fullUrl``s."""
    out: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        url, resource = entry.get("fullUrl"), entry.get("resource")
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        base = base_of(url, kind) if isinstance(url, str) and isinstance(kind, str) else None
        if base is not None:
            out.add(base)
    return out


def elsewhere(resource: Resource, bases: set[str]) -> bool:
    """Whether the record names its patient by an absolute URL on none of ``bases`` (another server's
    patient, or one these entries give no base to compare with)."""
    for key in PATIENT_KEYS:
        ref = resource.get(key)
        text = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(text, str) and "://" in text:
            base = base_of(text, "Patient")
            if base is not None and base not in bases:
                return True
    return False


__all__ = ["base_of", "elsewhere", "entry_bases"]
