"""Fetch patients' data from an R4 FHIR server: the only module here that talks to one.

Flow per group of patients: read ``/metadata`` once; if the CapabilityStatement declares
``batch``, POST one batch Bundle holding every planned search, else run the searches as
concurrent GETs; follow ``next`` links (at most ``max_pages`` pages per search); de-duplicate by
type/id; keep only resources about the requested patient.

Failure policy (missing must never look like absent): a search that finally fails makes exactly
the requirements it served :class:`Unavailable` ("data unavailable: <cause>") and the patient is
still returned; 401/403 raise :class:`AuthorizationError`; an unknown patient raises
:class:`RetrievalError`; an unreachable server raises :class:`RetrievalError`.

Transport is ``requests`` (one Session, pooled), not fhirpy's ``SyncFHIRClient``: fhirpy 2.3
sends every call through module-level ``requests.request`` (no Session, so no pooling and no
adapter to count or mount), turns 429/503 into a generic ``OperationOutcome`` exception without
the status or ``Retry-After``, puts response bodies (patient data) into exception messages, and
takes a fixed Authorization string (no token renewal). Retries, Retry-After, per-entry batch
statuses and next-link checks need that control.

Logging: counts, resource types and statuses only. Never tokens, never URLs with query strings
(they hold patient ids), never resource content.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC
from typing import IO, Any
from urllib.parse import quote, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from fhir_eligibility.errors import AuthorizationError, RetrievalError
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.requirements.search import (
    PlannedSearch,
    batch_bundle,
    search_plan,
)
from fhir_eligibility.retrieval import urlpolicy
from fhir_eligibility.retrieval.auth import (
    BearerAuth,
    SmartBackendAuth,
    bearer_token_from_env,
)
from fhir_eligibility.retrieval.merge import SearchResult, batch_entries, declares_batch, entry_status, merge_results
from fhir_eligibility.retrieval.options import BatchMode as BatchMode
from fhir_eligibility.retrieval.options import ServerOptions as ServerOptions
from fhir_eligibility.retrieval.transport import (
    Answer,
    Fault,
    Page,
    Scope,
    exchange,
    json_object,
    read_page,
    short_count,
)

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
# A batch POST refused with one of these means "no batch here after all": fall back to GETs.
_BATCH_FALLBACK_STATUS = frozenset({400, 404, 405, 413, 415, 422, 500, 501})
_FHIR_JSON = "application/fhir+json"

_sleep = time.sleep  # tests replace this to record waits instead of sleeping
_now = time.time  # for Retry-After given as an HTTP date


@dataclass
class _Reply:
    body: dict[str, Any] | None = None
    status: int | None = None
    cause: str | None = None  # set when the request finally failed

    @property
    def ok(self) -> bool:
        return self.cause is None


class FhirServer:
    """A connection to one server: session, auth and the cached CapabilityStatement.

    Keep one for many calls (a service); :func:`fetch_patients` makes a throwaway one.
    """

    def __init__(self, options: ServerOptions, *, session: requests.Session | None = None) -> None:
        self.options = options
        self._own_session = session is None
        self.session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(options.concurrency, 2))
        if self._own_session:
            self.session.mount("https://", adapter)
            self.session.mount("http://", adapter)
        self.session.headers.setdefault("User-Agent", "fhir-eligibility")
        self.auth = _make_auth(options, self.session)
        self._capabilities: dict[str, Any] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._allowed = options.allowed
        self._deadline: float | None = None  # of the patient group being fetched (time.monotonic)
        if self.auth is not None and urlsplit(options.base).scheme == "http" and not _is_loopback(options.base):
            log.warning("sending credentials to a FHIR server over plain http")

    def __enter__(self) -> FhirServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._own_session:
            self.session.close()

    # -- capabilities -------------------------------------------------------------------------

    def capabilities(self) -> dict[str, Any]:
        """The CapabilityStatement, read once; ``{}`` if the server has none to give."""
        if self._capabilities is None:
            reply = self._send("GET", self.options.base + "/metadata", what="metadata")
            if reply.ok and reply.body is not None:
                self._capabilities = reply.body
            elif reply.status is None:
                raise RetrievalError(f"cannot reach FHIR server {self.options.base}: {reply.cause}")
            else:
                log.warning("no CapabilityStatement (%s); assuming no batch support", reply.cause)
                self._capabilities = {}
            version = self._capabilities.get("fhirVersion")
            if isinstance(version, str) and not version.startswith("4."):
                log.warning("server declares FHIR %s; searches are written for R4", version)
        return self._capabilities

    def supports_batch(self) -> bool:
        if self.options.batch != "auto":
            return self.options.batch == "always"
        return declares_batch(self.capabilities())

    # -- planning -----------------------------------------------------------------------------

    def searches(self, patient_id: str, requirements: Iterable[DataRequirement]) -> list[PlannedSearch]:
        # the limit applies to the whole URL: leave room for the base and the '/'
        limit = max(self.options.max_url_length - len(self.options.base) - 1, 200)
        return search_plan(patient_id, requirements, page_size=self.options.page_size, max_url_length=limit)

    def plan(self, patient_ids: Sequence[str], requirements: Iterable[DataRequirement]) -> list[str]:
        """The requests :meth:`fetch_patients` would send, as ``METHOD URL`` lines; sends nothing."""
        reqs = list(requirements)
        opts = self.options
        lines = self._auth_plan()
        known = self._capabilities is not None or opts.batch != "auto"
        if not known:
            lines.append(f"GET {opts.base}/metadata")
        if known and not self.supports_batch():
            for pid in patient_ids:
                lines.extend(f"GET {opts.base}/{s.url}" for s in self.searches(pid, reqs))
            return lines
        note = "" if known else " (if /metadata declares batch; else each entry as a GET)"
        for group in _groups(patient_ids, opts.patients_per_batch):
            lines.append(f"POST {opts.base}  batch{note}")
            lines.extend(f"  GET {s.url}" for pid in group for s in self.searches(pid, reqs))
        return lines

    def _auth_plan(self) -> list[str]:
        smart = self.options.smart
        if smart is None:
            return []
        lines = []
        endpoint = smart.token_endpoint
        if endpoint is None:
            lines.append(f"GET {self.options.base}/.well-known/smart-configuration")
            endpoint = "<token_endpoint>"
        lines.append(f"POST {endpoint}  (SMART backend token, reused until {smart.renew_margin} s before expiry)")
        return lines

    def transaction(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """POST a transaction Bundle (the writer's PUTs make a retry harmless); the transaction-response."""
        reply = self._send("POST", self.options.base, json=bundle, what="transaction", content_type=_FHIR_JSON)
        if not reply.ok or reply.body is None:
            raise RetrievalError(f"FHIR server {self.options.base} refused the transaction: {reply.cause}")
        return reply.body

    def search_page(self, query: str) -> Page:
        """The first page of one search (``Type?params``, relative to the base); RetrievalError if none came."""
        reply = self._send("GET", f"{self.options.base}/{query}", what=f"{query.split('?')[0]} search")
        try:
            page = read_page(reply.body) if reply.ok else None
        except Fault as f:
            reply.cause, page = f.cause, None
        if page is None:
            raise RetrievalError(f"{query.split('?')[0]} search on {self.options.base} failed: {reply.cause}")
        return page

    # -- fetching -----------------------------------------------------------------------------

    def fetch_patients(
        self, patient_ids: Iterable[str], requirements: Iterable[DataRequirement]
    ) -> Iterator[PatientData]:
        """Yield one :class:`PatientData` per id, in order, as each group completes."""
        reqs = list(requirements)
        use_batch = self.supports_batch()
        group_size = self.options.patients_per_batch if use_batch else 1
        for group in _groups(patient_ids, group_size):
            plans = {pid: self.searches(pid, reqs) for pid in group}
            self._deadline = time.monotonic() + self.options.per_patient * len(group)
            try:
                results = self._run_batch(plans) if use_batch else self._run_gets(plans)
            finally:
                self._deadline = None
            for pid in group:
                data = merge_results(pid, results[pid])
                log.info(
                    "patient data fetched: %d resources, %d unavailable",
                    len(data.resources),
                    len(data.unavailable),
                )
                yield data

    def _pool_(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.options.concurrency, thread_name_prefix="fhir-fetch")
        return self._pool

    def _run_gets(self, plans: dict[str, list[PlannedSearch]]) -> dict[str, list[SearchResult]]:
        jobs = [(pid, s) for pid, searches in plans.items() for s in searches]
        results = list(self._pool_().map(lambda job: self._run_search(job[1], None), jobs))
        out: dict[str, list[SearchResult]] = {pid: [] for pid in plans}
        for (pid, _), result in zip(jobs, results, strict=True):
            out[pid].append(result)
        return out

    def _run_batch(self, plans: dict[str, list[PlannedSearch]]) -> dict[str, list[SearchResult]]:
        jobs = [(pid, s) for pid, searches in plans.items() for s in searches]
        bundle = batch_bundle(s.url for _, s in jobs)
        what = f"batch of {len(jobs)}"
        reply = self._send("POST", self.options.base, json=bundle, what=what, content_type=_FHIR_JSON)
        entries = batch_entries(reply.body, len(jobs)) if reply.ok else None
        if entries is None:
            if reply.ok or reply.status in _BATCH_FALLBACK_STATUS:
                log.warning("batch not usable (%s); sending separate GETs", reply.cause or "not a batch-response")
                return self._run_gets(plans)
            return {
                pid: [SearchResult(s, cause=reply.cause, status=reply.status) for s in searches]
                for pid, searches in plans.items()
            }

        def finish(job: tuple[tuple[str, PlannedSearch], dict[str, Any]]) -> SearchResult:
            (_, search), entry = job
            status = entry_status(entry)
            if status is not None and 200 <= status < 300:
                resource = entry.get("resource")
                return self._run_search(search, resource if isinstance(resource, dict) else {})
            if status in (401, 403):
                raise AuthorizationError(_refused(self.options.base, status))
            if status in RETRYABLE_STATUS:
                return self._run_search(search, None)  # retried alone, with backoff
            cause = f"HTTP {status}" if status is not None else "batch entry without a status"
            return SearchResult(search, cause=cause, status=status)

        results = list(self._pool_().map(finish, zip(jobs, entries, strict=True)))
        out: dict[str, list[SearchResult]] = {pid: [] for pid in plans}
        for (pid, _), result in zip(jobs, results, strict=True):
            out[pid].append(result)
        return out

    def _run_search(self, search: PlannedSearch, first_page: dict[str, Any] | None) -> SearchResult:
        """One search to its last page (or the page bound); a failure keeps what was read so far."""
        result = SearchResult(search)
        body = first_page
        if body is None:
            reply = self._send("GET", f"{self.options.base}/{search.url}", what=search.resource_type)
            if not reply.ok:
                result.cause, result.status = reply.cause, reply.status
                return result
            body = reply.body
        pages = 0
        matches = 0
        while True:
            pages += 1
            try:
                page = read_page(body)
            except Fault as f:
                result.cause = f.cause
                return result
            result.resources.extend(page.resources)
            matches += page.matches
            if page.next_link is None:
                fault = short_count(page.total, matches)
                result.cause = fault.cause if fault else None
                return result
            if pages >= self.options.max_pages:
                result.cause = f"more than {self.options.max_pages} pages"
                return result
            url = self._resolve(page.next_link)
            if url is None:
                result.cause = "next link outside the server base URL"
                return result
            reply = self._send("GET", url, what=f"{search.resource_type} page {pages + 1}")
            if not reply.ok:
                result.cause, result.status = reply.cause, reply.status
                return result
            body = reply.body

    def _resolve(self, link: str) -> str | None:
        """Absolute next-link URL, or None when it leaves the base (the token must not follow)."""
        try:
            url = urljoin(self.options.base + "/", link)
        except ValueError:
            return None
        return url if self._allowed.contains(url) else None

    # -- one request with retries -------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json: dict[str, Any] | None = None,
        content_type: str | None = None,
    ) -> _Reply:
        """A FHIR JSON request; raises only for 401/403, else returns the body or a failure cause."""
        headers = {"Accept": _FHIR_JSON}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            r = self.request(method, url, what=what, headers=headers, json_body=json)
        except Fault as f:
            return _Reply(status=f.status, cause=f.cause)
        if not 200 <= r.status < 300:
            log.debug("%s: HTTP %d", what, r.status)
            return _Reply(status=r.status, cause=f"HTTP {r.status}")
        try:
            body = json_object(r.body)
        except Fault as f:
            return _Reply(status=r.status, cause=f.cause)
        return _Reply(body=body, status=r.status)

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        headers: dict[str, str],
        json_body: dict[str, Any] | None = None,
        scope: Scope = "base",
        auth: bool = True,
        sink: IO[bytes] | None = None,
        deadline: float | None = None,
    ) -> Answer:
        """The one request loop of the product (retrieval, screening, ``$export``, the CDS fallback).

        Bounded retries on 429/502/503/504 (Retry-After honoured up to ``max_wait``) and on connection
        errors, never past the patient deadline; one SMART token renewal on 401. Returns the answer of
        any other status; raises :class:`AuthorizationError` for 401/403 and :class:`Fault` when no
        usable answer came (timeout, deadline, redirect, refused URL, retries exhausted). A download
        into ``sink`` is not retried (part of it may be written).
        """
        opts = self.options
        attempt = 0
        renewed = False
        while True:
            end = deadline if deadline is not None else time.monotonic() + opts.per_request
            if self._deadline is not None:
                end = min(end, self._deadline)
            try:
                r = exchange(
                    self.session,
                    method,
                    url,
                    base=self._allowed,
                    scope=scope,
                    deadline=end,
                    headers=headers,
                    json_body=json_body,
                    auth=self.auth if auth else None,
                    timeouts=opts.timeouts,
                    verify=opts.verify,
                    sink=sink,
                )
            except requests.ConnectionError as exc:
                cause = "connect timeout" if isinstance(exc, requests.ConnectTimeout) else "connection failed"
                wait = _backoff(opts, attempt)
                if sink is None and attempt < opts.retries and self._can_wait(wait):
                    attempt += 1
                    log.debug("%s: %s, retry %d/%d in %.1f s", what, cause, attempt, opts.retries, wait)
                    _sleep(wait)
                    continue
                raise Fault(_after(cause, attempt)) from None
            except requests.Timeout:
                raise Fault("timeout") from None  # a slow search is slow again: no retry
            except requests.RequestException as exc:
                raise Fault(type(exc).__name__) from None
            except urlpolicy.UnsafeUrl:
                raise Fault("URL refused by the outbound policy") from None
            except Fault as f:
                if f.cause.startswith("no complete answer"):
                    f.cause = f"{f.cause} ({opts.per_request:g} s per request, {opts.per_patient:g} s per patient)"
                raise

            status = r.status
            if status == 401 and auth and not renewed and isinstance(self.auth, SmartBackendAuth):
                renewed = True
                self.auth.invalidate()
                continue
            if status in (401, 403):
                raise AuthorizationError(_refused(opts.base, status))
            if status in RETRYABLE_STATUS and sink is None:
                after = retry_after(r.headers.get("Retry-After"))
                wait = _backoff(opts, attempt) if after is None else after
                if attempt < opts.retries and wait <= opts.max_wait and self._can_wait(wait):
                    attempt += 1
                    log.debug("%s: HTTP %d, retry %d/%d in %.1f s", what, status, attempt, opts.retries, wait)
                    _sleep(wait)
                    continue
                raise Fault(_after(f"HTTP {status}", attempt), status)
            return r

    def _can_wait(self, seconds: float) -> bool:
        """Whether a retry wait still ends before the patient deadline."""
        return self._deadline is None or time.monotonic() + seconds < self._deadline


def fetch_patients(
    options: ServerOptions,
    patient_ids: Iterable[str],
    requirements: Iterable[DataRequirement],
    *,
    session: requests.Session | None = None,
) -> Iterator[PatientData]:
    """Fetch each patient's data for the requirements; see the module docstring for failures."""
    with FhirServer(options, session=session) as server:
        yield from server.fetch_patients(patient_ids, requirements)


def plan(options: ServerOptions, patient_ids: Sequence[str], requirements: Iterable[DataRequirement]) -> list[str]:
    """The planned requests (``METHOD URL`` lines) without sending anything: for ``--print-plan``.
    A ``system|value`` patient shows its identifier search (its data searches are an id's)."""
    lookups = [f"GET {options.base}/Patient?identifier={quote(p, safe='')}&_count=2" for p in patient_ids if "|" in p]
    with FhirServer(options) as server:
        return lookups + server.plan([p for p in patient_ids if "|" not in p], requirements)


# -- helpers (pure) ---------------------------------------------------------------------------


def _make_auth(options: ServerOptions, session: requests.Session) -> AuthBase | None:
    if options.smart is not None:
        return SmartBackendAuth(
            options.smart, options.base, session=session, timeout=options.timeout, verify=options.verify
        )
    token = options.bearer_token
    if token is None and options.use_env_token:
        token = bearer_token_from_env()
    return BearerAuth(token) if token is not None else None


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def _groups(items: Iterable[str], size: int) -> Iterator[list[str]]:
    group: list[str] = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


def _backoff(options: ServerOptions, attempt: int) -> float:
    return float(min(options.backoff_base * (2**attempt), options.max_wait))


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - _now())


def _after(cause: str, retries: int) -> str:
    return f"{cause} after {retries} retries" if retries else cause


def _refused(base: str, status: int) -> str:
    what = "not authenticated" if status == 401 else "not permitted"
    return (
        f"FHIR server {base} refused the request (HTTP {status}, {what}): "
        "check the bearer token or SMART client registration and scopes"
    )
