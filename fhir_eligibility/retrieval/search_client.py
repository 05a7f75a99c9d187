"""Searches and file downloads on one FHIR server, over its one request loop.

:meth:`FhirServer.request` (retries, Retry-After, deadlines, the URL policy, no redirects) with
failures raised as :class:`RetrievalError`, plus paging (``next`` links that must stay on the
server) and the checks that make a partial answer an error: population screening's candidate
searches and the Bulk Data client (:mod:`.bulk`) use it, so both follow the patient fetches' rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.retrieval.server import FhirServer
from fhir_eligibility.retrieval.transport import (
    Answer,
    Fault,
    Paging,
    Scope,
    Sink,
    json_object,
    outcome_codes,
    read_page,
)

FHIR_JSON = "application/fhir+json"
MAX_PAGES = 100_000  # of one search (50 M resources): only a looping server gets there


class SearchClient:
    """A server's searches and file downloads over its request loop (:meth:`FhirServer.request`, the same one
    patient fetches use: retries, Retry-After, deadlines, URL policy, no redirects) with failures
    raised as :class:`RetrievalError`, plus paging and link resolution. ``scope``: "base"
    (searches), "origin" (status and file URLs on the server's own host, with credentials) or
    "public" (Bulk files on another host: never with credentials).
    """

    def __init__(self, server: FhirServer) -> None:
        self.server = server
        self.options = server.options
        self.allowed = server.options.allowed

    def request(
        self,
        method: str,
        url: str,
        *,
        accept: str = FHIR_JSON,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        ok: Iterable[int] = (200,),
        scope: Scope = "base",
        sink: Sink | None = None,
        deadline: float | None = None,
        retry: bool = True,
    ) -> Answer:
        """The server's own request loop (:meth:`FhirServer.request`); any status not in ``ok`` is an error.
        ``retry`` False: a 429/5xx is answered at once, for a caller that waits on its own terms."""
        base = self.options.base
        try:
            r = self.server.request(
                method,
                url,
                what=_path(url),
                headers={"Accept": accept, **(headers or {})},
                scope=scope,
                auth=auth,
                sink=sink,
                deadline=deadline,
                retry=retry,
            )
        except Fault as f:
            raise RetrievalError(f"{base}: {f.cause} ({_path(url)})") from None
        if r.status not in set(ok):
            raise RetrievalError(f"{base}: HTTP {r.status} for {_path(url)}{_outcome(r.body)}")
        return r

    def get_json(self, url: str, *, accept: str = FHIR_JSON, ok: Iterable[int] = (200,)) -> dict[str, Any]:
        r = self.request("GET", url, accept=accept, ok=ok)
        try:
            return json_object(r.body)
        except Fault as f:
            raise RetrievalError(f"{self.options.base}: {_path(url)}: {f.cause}") from None

    def resolve(self, link: str, scope: Scope = "base") -> str:
        """A next link or status URL, refused when it leaves the server (the token must not follow)."""
        url = urljoin(self.options.base + "/", link)
        inside = self.allowed.contains(url) if scope == "base" else self.allowed.same_origin(url)
        if not inside:
            raise RetrievalError(f"{self.options.base}: link outside the server refused")
        return url

    def search(self, url: str, searched: str | None = None, notes: list[str] | None = None) -> Iterator[dict[str, Any]]:
        """Every resource of a search (of type ``searched``), following ``next`` links; a fault of any
        page is an error. What a warning OperationOutcome of a page said goes to ``notes``.

        A page holding an error OperationOutcome, a looping server (:class:`~.transport.Paging`), or a
        last page short of the ``total`` the server announced (repeats counted once), ends in
        :class:`RetrievalError`: an incomplete candidate list would leave out patients as if they had
        no diagnosis.
        """
        paging = Paging()
        next_url: str | None = url
        while next_url is not None:
            fault = paging.follow(next_url)
            if fault is None and len(paging.followed) > MAX_PAGES:
                fault = Fault(f"more than {MAX_PAGES} pages")
            if fault is not None:
                raise RetrievalError(f"{self.options.base}: {_path(url)}: {fault.cause}")
            try:
                page = read_page(self.get_json(next_url), searched)
            except Fault as f:
                raise RetrievalError(f"{self.options.base}: {_path(next_url)}: {f.cause}") from None
            if notes is not None:
                notes.extend(n for n in page.notes if n not in notes)
            fault = paging.add(page) or (paging.short() if page.next_link is None else None)
            if fault is not None:
                raise RetrievalError(f"{self.options.base}: {_path(url)}: {fault.cause}")
            yield from page.resources
            next_url = self.resolve(page.next_link) if page.next_link else None


def _path(url: str) -> str:
    """What errors may show of a URL: its path, never the query (it holds codes and ids)."""
    return urlsplit(url).path or "/"


def _outcome(raw: bytes) -> str:
    """The refusal's OperationOutcome as ``severity/code`` only: its diagnostics may quote the patient."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return ""
    said = outcome_codes(body)
    return f": {said}" if said else ""


__all__ = ["FHIR_JSON", "SearchClient"]
