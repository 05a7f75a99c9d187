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
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from fhir_eligibility.errors import AuthorizationError, InputError, RetrievalError
from fhir_eligibility.record import PatientData, Resource, about
from fhir_eligibility.requirements.model import DataRequirement, Unavailable
from fhir_eligibility.requirements.search import (
    DEFAULT_MAX_URL_LENGTH,
    DEFAULT_PAGE_SIZE,
    PlannedSearch,
    batch_bundle,
    search_plan,
)
from fhir_eligibility.retrieval.auth import (
    BearerAuth,
    SmartBackendAuth,
    SmartBackendConfig,
    bearer_token_from_env,
)

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
# A batch POST refused with one of these means "no batch here after all": fall back to GETs.
_BATCH_FALLBACK_STATUS = frozenset({400, 404, 405, 413, 415, 422, 500, 501})
_FHIR_JSON = "application/fhir+json"
_UNAVAILABLE = "data unavailable: "

BatchMode = Literal["auto", "always", "never"]

_sleep = time.sleep  # tests replace this to record waits instead of sleeping
_now = time.time  # for Retry-After given as an HTTP date


@dataclass(frozen=True)
class ServerOptions:
    """How to reach one FHIR server. Token and key never appear in the repr."""

    base_url: str
    bearer_token: str | None = field(default=None, repr=False)  # None: FHIR_ELIGIBILITY_TOKEN if set
    smart: SmartBackendConfig | None = None
    verify_tls: bool = True
    ca_bundle: str | None = None  # path to a PEM CA bundle; implies verification
    timeout: float = 30.0  # read timeout in seconds; connect timeout is min(10, timeout)
    retries: int = 3  # extra attempts on 429/502/503/504 and connection errors
    max_pages: int = 20  # pages per search; more -> that search's requirements are unavailable
    page_size: int = DEFAULT_PAGE_SIZE
    concurrency: int = 4  # parallel requests (GET mode, follow-up pages, entry retries)
    batch: BatchMode = "auto"  # auto: use batch if /metadata declares it
    patients_per_batch: int = 1
    max_url_length: int = DEFAULT_MAX_URL_LENGTH  # whole URL incl. base; searches are split below it
    backoff_base: float = 0.5  # seconds; doubles per retry
    max_wait: float = 60.0  # longest single wait honoured; a longer Retry-After gives up at once
    use_env_token: bool = True

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise InputError(f"FHIR base URL must be an http(s) URL without query: {self.base_url!r}")
        if self.bearer_token is not None and self.smart is not None:
            raise InputError("give either a bearer token or a SMART backend configuration, not both")
        for name in ("retries", "max_pages", "page_size", "concurrency", "patients_per_batch"):
            minimum = 0 if name == "retries" else 1
            if getattr(self, name) < minimum:
                raise InputError(f"server option {name} must be at least {minimum}")
        if self.timeout <= 0:
            raise InputError("server option timeout must be positive")

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def verify(self) -> bool | str:
        """What requests' ``verify`` gets: the CA bundle path if given, else the flag."""
        return self.ca_bundle if self.ca_bundle else self.verify_tls

    @property
    def timeouts(self) -> tuple[float, float]:
        return (min(10.0, self.timeout), self.timeout)


@dataclass
class _Reply:
    body: dict[str, Any] | None = None
    status: int | None = None
    cause: str | None = None  # set when the request finally failed

    @property
    def ok(self) -> bool:
        return self.cause is None


@dataclass
class _SearchResult:
    search: PlannedSearch
    resources: list[Resource] = field(default_factory=list)
    cause: str | None = None
    status: int | None = None


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
        return _declares_batch(self.capabilities())

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
            results = self._run_batch(plans) if use_batch else self._run_gets(plans)
            for pid in group:
                data = _assemble(pid, results[pid])
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

    def _run_gets(self, plans: dict[str, list[PlannedSearch]]) -> dict[str, list[_SearchResult]]:
        jobs = [(pid, s) for pid, searches in plans.items() for s in searches]
        results = list(self._pool_().map(lambda job: self._run_search(job[1], None), jobs))
        out: dict[str, list[_SearchResult]] = {pid: [] for pid in plans}
        for (pid, _), result in zip(jobs, results, strict=True):
            out[pid].append(result)
        return out

    def _run_batch(self, plans: dict[str, list[PlannedSearch]]) -> dict[str, list[_SearchResult]]:
        jobs = [(pid, s) for pid, searches in plans.items() for s in searches]
        bundle = batch_bundle(s.url for _, s in jobs)
        what = f"batch of {len(jobs)}"
        reply = self._send("POST", self.options.base, json=bundle, what=what, content_type=_FHIR_JSON)
        entries = _batch_entries(reply.body, len(jobs)) if reply.ok else None
        if entries is None:
            if reply.ok or reply.status in _BATCH_FALLBACK_STATUS:
                log.warning("batch not usable (%s); sending separate GETs", reply.cause or "not a batch-response")
                return self._run_gets(plans)
            return {
                pid: [_SearchResult(s, cause=reply.cause, status=reply.status) for s in searches]
                for pid, searches in plans.items()
            }

        def finish(job: tuple[tuple[str, PlannedSearch], dict[str, Any]]) -> _SearchResult:
            (_, search), entry = job
            status = _entry_status(entry)
            if status is not None and 200 <= status < 300:
                resource = entry.get("resource")
                return self._run_search(search, resource if isinstance(resource, dict) else {})
            if status in (401, 403):
                raise AuthorizationError(_refused(self.options.base, status))
            if status in RETRYABLE_STATUS:
                return self._run_search(search, None)  # retried alone, with backoff
            cause = f"HTTP {status}" if status is not None else "batch entry without a status"
            return _SearchResult(search, cause=cause, status=status)

        results = list(self._pool_().map(finish, zip(jobs, entries, strict=True)))
        out: dict[str, list[_SearchResult]] = {pid: [] for pid in plans}
        for (pid, _), result in zip(jobs, results, strict=True):
            out[pid].append(result)
        return out

    def _run_search(self, search: PlannedSearch, first_page: dict[str, Any] | None) -> _SearchResult:
        """One search to its last page (or the page bound); a failure keeps what was read so far."""
        result = _SearchResult(search)
        page = first_page
        if page is None:
            reply = self._send("GET", f"{self.options.base}/{search.url}", what=search.resource_type)
            if not reply.ok:
                result.cause, result.status = reply.cause, reply.status
                return result
            page = reply.body
        pages = 0
        while True:
            pages += 1
            if not isinstance(page, dict) or page.get("resourceType") != "Bundle":
                result.cause = "unexpected response (not a Bundle)"
                return result
            for entry in page.get("entry") or []:
                resource = entry.get("resource") if isinstance(entry, dict) else None
                if not isinstance(resource, dict) or resource.get("resourceType") == "OperationOutcome":
                    continue
                result.resources.append(resource)
            next_link = _next_link(page)
            if next_link is None:
                return result
            if pages >= self.options.max_pages:
                result.cause = f"more than {self.options.max_pages} pages"
                return result
            url = self._resolve(next_link)
            if url is None:
                result.cause = "next link outside the server base URL"
                return result
            reply = self._send("GET", url, what=f"{search.resource_type} page {pages + 1}")
            if not reply.ok:
                result.cause, result.status = reply.cause, reply.status
                return result
            page = reply.body

    def _resolve(self, link: str) -> str | None:
        """Absolute next-link URL, or None when it leaves the base (the token must not follow)."""
        base = self.options.base + "/"
        url = urljoin(base, link)
        return url if url.startswith(base) else None

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
        """One request with bounded retries; raises only for 401/403, else returns a failure cause."""
        opts = self.options
        headers = {"Accept": _FHIR_JSON}
        if content_type:
            headers["Content-Type"] = content_type
        attempt = 0
        renewed = False
        while True:
            try:
                r = self.session.request(
                    method,
                    url,
                    json=json,
                    headers=headers,
                    auth=self.auth,
                    timeout=opts.timeouts,
                    verify=opts.verify,
                )
            except requests.ConnectionError as exc:
                cause = "connect timeout" if isinstance(exc, requests.ConnectTimeout) else "connection failed"
                wait = _backoff(opts, attempt)
                if attempt < opts.retries:
                    attempt += 1
                    log.debug("%s: %s, retry %d/%d in %.1f s", what, cause, attempt, opts.retries, wait)
                    _sleep(wait)
                    continue
                return _Reply(cause=_after(cause, attempt))
            except requests.Timeout:
                return _Reply(cause="timeout")  # a slow search is slow again: no retry
            except requests.RequestException as exc:
                return _Reply(cause=type(exc).__name__)

            status = r.status_code
            if status == 401 and not renewed and isinstance(self.auth, SmartBackendAuth):
                renewed = True
                self.auth.invalidate()
                continue
            if status in (401, 403):
                raise AuthorizationError(_refused(opts.base, status))
            if status in RETRYABLE_STATUS:
                after = retry_after(r.headers.get("Retry-After"))
                wait = _backoff(opts, attempt) if after is None else after
                if attempt < opts.retries and wait <= opts.max_wait:
                    attempt += 1
                    log.debug("%s: HTTP %d, retry %d/%d in %.1f s", what, status, attempt, opts.retries, wait)
                    _sleep(wait)
                    continue
                return _Reply(status=status, cause=_after(f"HTTP {status}", attempt))
            if not 200 <= status < 300:
                log.debug("%s: HTTP %d", what, status)
                return _Reply(status=status, cause=f"HTTP {status}")
            try:
                body = r.json()
            except ValueError:
                return _Reply(status=status, cause="response is not JSON")
            if not isinstance(body, dict):
                return _Reply(status=status, cause="response is not a JSON object")
            return _Reply(body=body, status=status)


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
    """The planned requests (``METHOD URL`` lines) without sending anything: for ``--print-plan``."""
    with FhirServer(options) as server:
        return server.plan(patient_ids, requirements)


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


def _declares_batch(capabilities: dict[str, Any]) -> bool:
    for rest in capabilities.get("rest") or []:
        if not isinstance(rest, dict) or rest.get("mode", "server") != "server":
            continue
        for interaction in rest.get("interaction") or []:
            if isinstance(interaction, dict) and interaction.get("code") == "batch":
                return True
    return False


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


def _batch_entries(body: dict[str, Any] | None, expected: int) -> list[dict[str, Any]] | None:
    if body is None or body.get("resourceType") != "Bundle" or body.get("type") != "batch-response":
        return None
    entries = body.get("entry")
    if not isinstance(entries, list) or len(entries) != expected:
        return None
    return [e if isinstance(e, dict) else {} for e in entries]


def _entry_status(entry: dict[str, Any]) -> int | None:
    response = entry.get("response")
    status = response.get("status") if isinstance(response, dict) else None
    if not isinstance(status, str):
        return None
    head = status.strip().split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def _next_link(page: dict[str, Any]) -> str | None:
    for link in page.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def _assemble(patient_id: str, results: list[_SearchResult]) -> PatientData:
    """Merge one patient's search results: dedup by type/id, drop others' data, collect gaps."""
    resources: list[Resource] = []
    seen: set[tuple[str, str]] = set()
    unavailable: list[Unavailable] = []
    warnings: list[str] = []
    dropped = 0
    patient_found = False
    for result in results:
        if result.search.resource_type == "Patient":
            if result.status in (404, 410):
                raise RetrievalError(f"patient {patient_id!r} not found on the FHIR server")
            if result.cause is None and not any(about(r, patient_id) for r in result.resources):
                raise RetrievalError(f"patient {patient_id!r} not found on the FHIR server")
        if result.cause is not None:
            for item in result.search.unavailable(_UNAVAILABLE + result.cause):
                if item not in unavailable:
                    unavailable.append(item)
        for resource in result.resources:
            if not about(resource, patient_id):
                dropped += 1
                continue
            key = (str(resource.get("resourceType")), str(resource.get("id")))
            if resource.get("id") is not None and key in seen:
                continue
            seen.add(key)
            if resource.get("resourceType") == "Patient":
                patient_found = True
            resources.append(resource)
    if dropped:
        warnings.append(f"{dropped} resource(s) returned by the server were not about this patient; ignored")
    if not patient_found and not any(u.resource_type == "Patient" for u in unavailable):
        unavailable.append(Unavailable("Patient", frozenset(), _UNAVAILABLE + "Patient resource missing"))
    return PatientData(patient_id, resources, tuple(unavailable), warnings)
