"""What a saved search result vouches for: the types a search of some types held, and whether a search
page is the whole answer.

Why apart from the file reader: these read what was searched (a searchset's self link, its
matches), not the records; the reader applies them to every searchset it meets, nested ones included.
"""

from __future__ import annotations

from urllib.parse import unquote

from fhir_eligibility.record import Resource
from fhir_eligibility.retrieval.resource_types import RESOURCE_TYPES
from fhir_eligibility.retrieval.transport import INCLUDED, Fault, read_page, short_count


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


def search_scope(bundle: Resource) -> frozenset[str] | None:
    """The types a searchset Bundle searched, when it is a search of some types (``Observation?patient=x``,
    its Patient an ``include``): it vouches for nothing else. None for a patient's whole record, a
    ``Patient/$everything`` answer (its self link names the operation, or its Patient is a match), and
    for a Bundle of another type. The self link says what was searched; without one, the matches do."""
    if bundle.get("type") != "searchset":
        return None
    links = bundle.get("link")
    for link in links if isinstance(links, list) else []:
        url = link.get("url") if isinstance(link, dict) and link.get("relation") == "self" else None
        if isinstance(url, str):
            path = unquote(url.split("?", 1)[0].split("#", 1)[0]).rstrip("/").split("/")
            if any(part.startswith("$everything") for part in path):
                return None
            last = path[-2] if path[-1] == "_search" and len(path) > 1 else path[-1]
            if last in RESOURCE_TYPES and last != "Patient":
                return frozenset({last})
            break
    matches: set[str] = set()
    entries = bundle.get("entry")
    for e in entries if isinstance(entries, list) else []:
        res = e.get("resource") if isinstance(e, dict) else None
        search = e.get("search") if isinstance(e, dict) else None
        mode = search.get("mode") if isinstance(search, dict) else None
        kind = res.get("resourceType") if isinstance(res, dict) else None
        if not isinstance(kind, str) or mode in ("include", "outcome") or kind == "Bundle" or kind in INCLUDED:
            continue
        if kind == "Patient":  # a Patient search's answer, or $everything's: the record
            return None
        matches.add(kind)
    return frozenset(matches)


__all__ = ["incomplete_search", "search_scope"]
