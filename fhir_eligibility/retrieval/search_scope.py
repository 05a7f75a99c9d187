"""What a saved search result vouches for: the types it holds every record of, and the ones it holds
only some of, read from what was searched.

Why: a file holding a search's answer (a ``searchset``, or the searches of a batch-response /
transaction-response) is not the patient's whole record, and closed-world criteria read absence as
"none" only where the whole record is there (clinical.md §0). So:

- The type searched is named by the Bundle's self link, else by its batch entry's ``request.url``,
  ``response.location`` or ``fullUrl`` (:func:`entry_urls`), else by its matches' types. Absolute or
  relative, ``Type/_search``, ``Patient/x/Type`` and a system search's ``_type`` alike; parameters are
  URL-decoded.
- ``Patient/x/$everything`` is the whole record (another resource's, ``Encounter/e/$everything``, is
  not), unless ``_type`` (only those types), ``_since``,
  ``start``, ``end`` or another parameter narrows it. A Patient search holds the Patient and the
  types it ``_revinclude``-s by their patient or subject (``*`` vouches for none).
- Any parameter narrows the result (its type is then held in part: a record found is real, an
  absence decides nothing) except the patient reference (``patient``, ``subject``, with ``:Patient``
  or chained), paging (``_count``, an ``_offset`` of 0, a server's page id), ``_include`` /
  ``_revinclude``, ``_sort``, ``_total``, ``_format``, ``_pretty``. Unknown parameters narrow: a
  server ignores what it does not support, and its self link then leaves it out.
- ``_elements`` and ``_summary`` (but ``false``, and ``count``, which returns no record) drop
  elements: FHIR tags such records SUBSETTED and they must not be read as whole. A refuted status, an
  onset or a dose may be what was dropped, so the type searched is unreadable (unknown), not in part.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from fhir_eligibility.record import Resource, patient_id_of
from fhir_eligibility.retrieval.reading import ANY_TYPE
from fhir_eligibility.retrieval.resource_types import RESOURCE_TYPES
from fhir_eligibility.retrieval.transport import INCLUDED, Fault, link_relation, read_page, short_count

# parameters that shape or page the answer, never leave a matching record out
_NARROWS_NOTHING = frozenset(
    {"_count", "_sort", "_include", "_revinclude", "_total", "_format", "_pretty", "_bundletype", "_getpages"}
)
_OFFSETS = frozenset({"_offset", "_getpagesoffset"})  # a later page: the earlier ones are not here
_SUBSETTING = frozenset({"_elements", "_summary"})
_PATIENT_PARAMS = frozenset({"patient", "subject"})
_PATIENT_SELECTION = frozenset({"_id", "identifier"})  # a Patient search's: which patient, not which records


@dataclass(frozen=True)
class Search:
    """What one search URL asked: its type (None when the URL does not say), whether it is
    ``$everything``, its ``_type`` list ($everything's or a system search's; None: every type), the
    parameters that narrow it, the ones that drop elements, the types a Patient search revincludes, and
    the patient it names."""

    type: str | None
    everything: bool = False
    types: frozenset[str] | None = None
    narrowing: tuple[str, ...] = ()
    subsetting: tuple[str, ...] = ()
    revincluded: frozenset[str] = frozenset()
    patient: str | None = None


def _patient_named(value: str) -> str | None:
    """The patient id a ``patient=``/``subject=`` value names (``123``, ``Patient/123``, an absolute URL)."""
    if "," in value:
        return None
    return patient_id_of(value if "/" in value else f"Patient/{value}")


def read_search(url: str) -> Search | None:
    """What ``url`` searched, or None when it is no search (a read ``Patient/123``, a ``urn:uuid``)."""
    base, _, query = url.split("#", 1)[0].partition("?")
    path = [unquote(p) for p in base.rstrip("/").split("/")]
    params = parse_qsl(query, keep_blank_values=True)
    everything = next((i for i, p in enumerate(path) if p.startswith("$everything")), None)
    patient: str | None = None
    narrowing: list[str] = []
    if everything is not None:
        rtype: str | None = "Patient"
        # whose everything: ``Patient/$everything`` (the type's), ``Patient/123/$everything``, or another
        # resource's (``Encounter/e1/$everything``: that encounter's records, not the patient's whole record)
        before = path[everything - 1] if everything >= 1 else ""
        owner = before if before in RESOURCE_TYPES else path[everything - 2] if everything >= 2 else None
        if owner == "Patient" and before != "Patient":
            patient = _patient_named(before)
        elif owner is not None and owner != "Patient" and owner in RESOURCE_TYPES:
            narrowing.append(f"{owner}/$everything")
    else:
        last = path[-2] if path[-1] == "_search" and len(path) > 1 else path[-1]
        rtype = last if last in RESOURCE_TYPES else None
        if rtype is None and not query:
            return None
        if rtype is not None and len(path) >= 3 and path[-3] == "Patient":  # a compartment search
            patient = _patient_named(path[-2])
    subsetting: list[str] = []
    types: set[str] | None = None
    revincluded: set[str] = set()
    for name, value in params:
        key, _, modifier = name.partition(":")
        key, modifier = key.split(".", 1)[0], modifier.split(".", 1)[0]
        if key == "_type" and (everything is not None or rtype is None):  # $everything's, a system search's
            types = (types or set()) | {t.strip() for t in value.split(",") if t.strip() in RESOURCE_TYPES}
        elif key in _PATIENT_PARAMS and modifier in ("", "Patient"):
            patient = patient or (_patient_named(value) if "." not in name else None)
        elif rtype == "Patient" and everything is None and key in _PATIENT_SELECTION and not modifier:
            patient = patient or (_patient_named(value) if key == "_id" else None)
        elif key == "_revinclude" and not modifier:
            kind, _, via = value.partition(":")
            if kind in RESOURCE_TYPES and via.split(":", 1)[0] in _PATIENT_PARAMS:
                revincluded.add(kind)
        elif key in _SUBSETTING:
            if not (key == "_summary" and value in ("false", "count")):
                subsetting.append(name)
        elif key in _OFFSETS:
            if value.strip() not in ("", "0"):
                narrowing.append(name)
        elif key not in _NARROWS_NOTHING and not (rtype == "Patient" and everything is None):
            narrowing.append(name)  # a Patient search's other parameters choose patients, not records
    return Search(
        rtype,
        everything is not None,
        None if types is None else frozenset(types),
        tuple(narrowing),
        tuple(subsetting),
        frozenset(revincluded),
        patient,
    )


@dataclass(frozen=True)
class Scope:
    """What a search of some types vouches for: the types it ``searched``, those it holds ``whole``
    (searched, not narrowed), those whose records lack elements (``subsetted``: unreadable; ``*`` for a
    summarised ``$everything``), the patient its URL names (its answer is theirs even when empty) and
    what narrowed it."""

    searched: frozenset[str]
    whole: frozenset[str]
    subsetted: frozenset[str] = frozenset()
    patient: str | None = None
    narrowing: tuple[str, ...] = ()


def entry_urls(entry: Resource) -> tuple[str, ...]:
    """What a batch-response entry says it answered: its ``request.url``, ``response.location``, ``fullUrl``."""
    request, response = entry.get("request"), entry.get("response")
    found = (
        request.get("url") if isinstance(request, dict) else None,
        response.get("location") if isinstance(response, dict) else None,
        entry.get("fullUrl"),
    )
    return tuple(u for u in found if isinstance(u, str))


def _self_links(bundle: Resource) -> list[str]:
    links = bundle.get("link")
    return [
        link["url"]
        for link in (links if isinstance(links, list) else [])
        if isinstance(link, dict) and link_relation(link) == "self" and isinstance(link.get("url"), str)
    ]


def _match_types(bundle: Resource) -> frozenset[str] | None:
    """The types of a searchset's matches; None when a Patient is one (a Patient search's answer, or
    ``$everything``'s, when nothing says which)."""
    matches: set[str] = set()
    entries = bundle.get("entry")
    for e in entries if isinstance(entries, list) else []:
        res = e.get("resource") if isinstance(e, dict) else None
        search = e.get("search") if isinstance(e, dict) else None
        mode = search.get("mode") if isinstance(search, dict) else None
        kind = res.get("resourceType") if isinstance(res, dict) else None
        if not isinstance(kind, str) or mode in ("include", "outcome") or kind == "Bundle" or kind in INCLUDED:
            continue
        if kind == "Patient":
            return None
        matches.add(kind)
    return frozenset(matches)


def search_scope(bundle: Resource, urls: Iterable[str] = ()) -> Scope | None:
    """What a searchset Bundle vouches for, when it is a search of some types (``Observation?patient=x``,
    its Patient an ``include``), or of some records (a filter); ``urls``: what its batch entry says it
    answered (:func:`entry_urls`), read after its self link. None for a patient's whole record (a
    ``Patient/$everything`` answer: its URL names the operation, or its Patient is a match when no URL
    names a type) and for a Bundle of another type."""
    if bundle.get("type") != "searchset":
        return None
    told = [s for s in map(read_search, (*_self_links(bundle), *urls)) if s is not None]
    narrowing = tuple(dict.fromkeys(n for s in told for n in s.narrowing))
    subsetting = any(s.subsetting for s in told)
    patient = next((s.patient for s in told if s.patient is not None), None)
    typed = next((s for s in told if s.type is not None), None)
    if typed is not None and typed.everything:
        if typed.types is None and not narrowing and not subsetting:
            return None
        searched = typed.types if typed.types is not None else frozenset()
    elif typed is not None and typed.type == "Patient":  # a Patient search: the Patient, and what it revincludes
        searched = frozenset().union(*(s.revincluded for s in told))
        return Scope(
            searched,
            frozenset() if subsetting else searched,
            searched if subsetting else frozenset(),
            patient,
        )
    elif typed is not None and typed.type is not None:
        searched = frozenset({typed.type})
    elif any(s.types is not None for s in told):  # a system search (``?_type=Condition&patient=x``)
        searched = frozenset().union(*(s.types for s in told if s.types is not None))
    else:
        matched = _match_types(bundle)
        if matched is None and not narrowing and not subsetting:
            return None
        searched = matched or frozenset()
    whole = frozenset() if narrowing or subsetting else searched
    subsetted = (searched or frozenset({ANY_TYPE})) if subsetting else frozenset()  # $everything's: any type
    return Scope(searched, whole, subsetted, patient, narrowing)


def incomplete_search(bundle: Resource) -> str | None:
    """Why a searchset Bundle is not the whole answer (a further page, an error, a short count): the
    one reader of search pages, :func:`~fhir_eligibility.retrieval.transport.read_page`, decides."""
    if bundle.get("type") != "searchset":
        return None
    try:
        page = read_page(bundle)
    except Fault as f:
        return f"a search result page that cannot be used ({f.cause})"
    if page.next_link is not None:
        return "one page of a search result (it has a next link)"
    short = short_count(page.total, page.matches)
    return f"a search result page ({short.cause})" if short is not None else None


__all__ = ["Scope", "Search", "entry_urls", "incomplete_search", "read_search", "search_scope"]
