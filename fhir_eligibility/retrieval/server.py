"""Fetch patients' data from an R4 FHIR server: the only module here that talks to one.

Flow per group of patients: read ``/metadata`` once; if the CapabilityStatement declares
``batch``, POST one batch Bundle holding every planned search (its answers matched to the requests
by position while no ``self`` link contradicts the order: :func:`~.merge.unmatched_in_batch`), else
run the searches as concurrent GETs; follow ``next`` links (at most ``max_pages`` pages per search, a looping server
stopped at once); de-duplicate by type/id; keep only resources about the requested patient.

Failure policy (missing must never look like absent): a search that finally fails (5xx, timeout,
an error inside a 200, a loop, a short last page, a 403 on a type the token does not cover) makes
exactly the requirements it served :class:`Unavailable` ("data unavailable: <cause>"; a batch entry's
``response.outcome`` is read as the page's own OperationOutcome would be: :func:`_entry_page`) and the
patient is still returned. A type the server does not hold (left out of its CapabilityStatement,
not searched; or a 404, or a 400 saying the type is not supported) is no fault: no such records,
and a warning. 401 (after one SMART token renewal, a batch entry's as a request's), and 403 on the
Patient, raise :class:`AuthorizationError`; an unknown patient raises :class:`RetrievalError`; an
unreachable server raises :class:`RetrievalError`.

Requests go through :class:`~fhir_eligibility.retrieval.connection.Connection` (session, auth,
retries, deadlines, URL policy); the search results become :class:`PatientData` through
:func:`~fhir_eligibility.retrieval.merge.merge_results` and the one assembler.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from fhir_eligibility.errors import AuthorizationError, RetrievalError
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.requirements.search import PlannedSearch, batch_bundle, search_plan, types_read
from fhir_eligibility.retrieval.auth import SmartBackendAuth
from fhir_eligibility.retrieval.connection import FHIR_JSON, RETRYABLE_STATUS, Connection, refused
from fhir_eligibility.retrieval.http import HttpSession
from fhir_eligibility.retrieval.merge import (
    OUT_OF_ORDER,
    SearchResult,
    answers_another_search,
    batch_entries,
    declared_types,
    declares_batch,
    entry_status,
    merge_results,
    not_supported,
    transaction_failure,
    unmatched_in_batch,
)
from fhir_eligibility.retrieval.options import BatchMode as BatchMode
from fhir_eligibility.retrieval.options import ServerOptions as ServerOptions
from fhir_eligibility.retrieval.options import scoped
from fhir_eligibility.retrieval.transport import Fault, Page, Paging, outcome_codes, read_page

log = logging.getLogger(__name__)

# A batch POST refused with one of these means "no batch here after all": fall back to GETs.
_BATCH_FALLBACK_STATUS = frozenset({400, 404, 405, 413, 415, 422, 500, 501})


class FhirServer(Connection):
    """A FHIR server: the cached CapabilityStatement, search plans, and fetching patients' data.

    Keep one for many calls (a service); :func:`fetch_patients` makes a throwaway one.
    """

    def __init__(self, options: ServerOptions, *, session: HttpSession | None = None) -> None:
        super().__init__(options, session=session)
        self._capabilities: dict[str, Any] | None = None
        self._pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        super().close()

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

    def searches(
        self, patient_id: str, requirements: Iterable[DataRequirement], patient: bool = True
    ) -> list[PlannedSearch]:
        # the limit applies to the whole URL: leave room for the base and the '/'
        limit = max(self.options.max_url_length - len(self.options.base) - 1, 200)
        size = self.options.page_size
        return search_plan(patient_id, requirements, page_size=size, max_url_length=limit, patient=patient)

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
        """POST a transaction Bundle, sent once (a create in it is not safe to resend:
        ``connection.replayable``); the transaction-response,
        every entry of it 2xx. Anything else (an error OperationOutcome with 200, a non-2xx entry, a
        response that does not match the request) is :class:`RetrievalError`: nothing was recorded. The
        error says the server's OperationOutcome issues by severity/code only (its diagnostics may
        quote the patient's data)."""
        reply = self._send("POST", self.options.base, json=bundle, what="transaction", content_type=FHIR_JSON)
        codes = _refusal_codes(reply.body)
        if not reply.ok or reply.body is None:
            if reply.unsent:  # every attempt failed while connecting: not a byte of it reached the server
                raise RetrievalError(
                    f"FHIR server {self.options.base} could not be reached ({reply.cause}): the transaction was"
                    " not sent, nothing was recorded"
                )
            if reply.status is None or 200 <= reply.status < 300:  # no answer, or one cut short
                raise RetrievalError(
                    f"FHIR server {self.options.base} gave no complete answer to the transaction ({reply.cause}):"
                    " whether it was recorded is unknown; the next run reads what the server holds and settles it"
                )
            raise RetrievalError(f"FHIR server {self.options.base} refused the transaction: {reply.cause}{codes}")
        entries = bundle.get("entry")
        failure = transaction_failure(reply.body, len(entries) if isinstance(entries, list) else 0)
        if failure is not None:
            raise RetrievalError(f"FHIR server {self.options.base} did not record the transaction: {failure}{codes}")
        return reply.body

    def search_page(self, query: str) -> Page:
        """The first page of one search (``Type?params``, relative to the base); RetrievalError if none came."""
        reply = self._send("GET", f"{self.options.base}/{query}", what=f"{query.split('?')[0]} search")
        try:
            page = read_page(reply.body, query.split("?")[0]) if reply.ok else None
        except Fault as f:
            reply.cause, page = f.cause, None
        if page is None:
            raise RetrievalError(f"{query.split('?')[0]} search on {self.options.base} failed: {reply.cause}")
        return page

    # -- fetching -----------------------------------------------------------------------------

    def fetch_patients(
        self, patient_ids: Iterable[str], requirements: Iterable[DataRequirement], patient: bool = True
    ) -> Iterator[PatientData]:
        """Yield one :class:`PatientData` per id, in order, as each group completes. ``patient``
        False: the caller holds the Patient (a CDS prefetch); it is neither fetched nor missed."""
        reqs = list(requirements)
        use_batch = self.supports_batch()
        group_size = self.options.patients_per_batch if use_batch else 1
        declared = declared_types(self._capabilities) if self._capabilities is not None else None
        for group in _groups(patient_ids, group_size):
            plans = {pid: self.searches(pid, reqs, patient) for pid in group}
            sent = {pid: [s for s in plan if _declared(s, declared)] for pid, plan in plans.items()}
            self._deadline = time.monotonic() + self.options.per_patient * len(group)
            try:
                results = self._run_batch(sent) if use_batch else self._run_gets(sent)
            finally:
                self._deadline = None
            for pid in group:
                got = iter(results[pid])  # in plan order, as sent
                results_ = [next(got) if _declared(s, declared) else _undeclared(s) for s in plans[pid]]
                data = merge_results(pid, results_, patient)
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

    def _run_batch(
        self, plans: dict[str, list[PlannedSearch]], *, renewed: bool = False
    ) -> dict[str, list[SearchResult]]:
        jobs = [(pid, s) for pid, searches in plans.items() for s in searches]
        bundle = batch_bundle(s.url for _, s in jobs)
        what = f"batch of {len(jobs)}"
        reply = self._send("POST", self.options.base, json=bundle, what=what, content_type=FHIR_JSON)
        entries = batch_entries(reply.body, len(jobs)) if reply.ok else None
        if entries is None:
            if reply.ok or reply.status in _BATCH_FALLBACK_STATUS:
                log.warning("batch not usable (%s); sending separate GETs", reply.cause or "not a batch-response")
                return self._run_gets(plans)
            return {
                pid: [SearchResult(s, cause=reply.cause, status=reply.status) for s in searches]
                for pid, searches in plans.items()
            }

        if not renewed and self._renewed_on_401(entries):
            return self._run_batch(plans, renewed=True)
        unmatched = unmatched_in_batch([e.get("resource") for e in entries], [s for _, s in jobs])

        def finish(job: tuple[tuple[str, PlannedSearch], dict[str, Any], bool]) -> SearchResult:
            (_, search), entry, lost = job
            if lost:  # the answers are out of order and nothing says this one is this search's
                return SearchResult(search, cause=OUT_OF_ORDER)
            status = entry_status(entry)
            resource = entry.get("resource")
            if status is not None and 200 <= status < 300:
                page, fault = _entry_page(entry)
                return SearchResult(search, cause=fault) if fault else self._run_search(search, page)
            if status == 401 or (status == 403 and search.resource_type == "Patient"):
                raise AuthorizationError(refused(self.options.base, status))
            if status in RETRYABLE_STATUS:
                return self._run_search(search, None)  # retried alone, with backoff
            response = entry.get("response")
            outcome = response.get("outcome") if isinstance(response, dict) else None
            cause = f"HTTP {status}" if status is not None else "batch entry without a status"
            return _failed(SearchResult(search), status, cause, resource if outcome is None else outcome)

        results = list(self._pool_().map(finish, zip(jobs, entries, unmatched, strict=True)))
        out: dict[str, list[SearchResult]] = {pid: [] for pid in plans}
        for (pid, _), result in zip(jobs, results, strict=True):
            out[pid].append(result)
        return out

    def _renewed_on_401(self, entries: list[dict[str, Any]]) -> bool:
        """Whether an entry refused the token (401) and a new SMART token was asked for: the batch is then
        sent once more, as :meth:`~.connection.Connection.request` renews once and resends on a request's
        own 401 (a token revoked or expired early). A static token cannot be renewed: the 401 stands."""
        if not isinstance(self.auth, SmartBackendAuth) or not any(entry_status(e) == 401 for e in entries):
            return False
        log.info("a batch entry answered HTTP 401: renewing the SMART token and sending the batch again")
        self.auth.invalidate()
        return True

    def _run_search(self, search: PlannedSearch, first_page: dict[str, Any] | None) -> SearchResult:
        """One search to its last page (or the page bound); a failure keeps what was read so far. A
        looping server or a last page short of the total makes the result incomplete (:class:`Paging`)."""
        result = SearchResult(search)
        body = first_page
        paging = Paging()
        # a type the token's scopes leave out (403) is that type unavailable; a refused Patient, the patient refused
        scoped = search.resource_type != "Patient"
        url = f"{self.options.base}/{search.url}"
        paging.follow(url)  # the first page: a next link back to it is a loop
        if body is None:
            reply = self._send("GET", url, what=search.resource_type, answer_403=scoped)
            if not reply.ok:
                return _failed(result, reply.status, reply.cause, reply.body)
            body = reply.body
        result.cause = answers_another_search(body, search)  # a batch's answers out of order: a fault, not data
        if result.cause is not None:
            return result
        pages = 0
        while True:
            pages += 1
            try:
                page = read_page(body, search.resource_type)
            except Fault as f:
                result.cause = f.cause
                return result
            result.resources.extend(page.resources)
            result.notes.extend(page.notes)
            fault = paging.add(page) or (paging.short() if page.next_link is None else None)
            if fault is not None or page.next_link is None:
                result.cause = fault.cause if fault else None
                return result
            if pages >= self.options.max_pages:
                result.cause = f"more than {self.options.max_pages} pages"
                return result
            next_url = self._resolve(page.next_link)
            if next_url is None:
                result.cause = "next link outside the server base URL"
                return result
            fault = paging.follow(next_url)
            if fault is not None:
                result.cause = fault.cause
                return result
            reply = self._send("GET", next_url, what=f"{search.resource_type} page {pages + 1}", answer_403=scoped)
            if not reply.ok:
                result.cause, result.status = reply.cause, reply.status
                return result
            body = reply.body


def fetch_patients(
    options: ServerOptions,
    patient_ids: Iterable[str],
    requirements: Iterable[DataRequirement],
    *,
    session: HttpSession | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> Iterator[PatientData]:
    """Fetch each patient's data for the requirements; see the module docstring for failures. A SMART
    token asks for what the requirements read (:func:`~.options.scoped`). ``skipped``: a patient who
    cannot be fetched goes there with why (:func:`fetch_isolated`) instead of ending the run."""
    reqs = list(requirements)
    with FhirServer(scoped(options, types_read(reqs)), session=session) as server:
        if skipped is None:
            yield from server.fetch_patients(patient_ids, reqs)
        else:
            yield from fetch_isolated(server, list(patient_ids), reqs, skipped)


def fetch_isolated(
    server: FhirServer,
    ids: Sequence[str],
    requirements: Sequence[DataRequirement],
    skipped: list[tuple[str, str]],
) -> Iterator[PatientData]:
    """``fetch_patients`` batch by batch; a patient that cannot be fetched goes to ``skipped`` with why.
    Why: a batch fails whole when one patient's Patient read fails (a 500, a record restricted by
    consent); ``screen --server`` and ``evaluate --server`` retry it patient by patient, one loop.

    A batch is collected before it is yielded, so retrying its patients one by one after a failure
    cannot yield anyone twice. A refusal (401/403) for every patient of the first batch read is the
    credentials, not one patient's record: raised.
    """
    size = max(server.options.patients_per_batch, 1)
    anyone = False  # a patient was read: a later 403 is about that patient, not the credentials
    for start in range(0, len(ids), size):
        batch = list(ids[start : start + size])
        try:
            fetched = list(server.fetch_patients(batch, requirements))
        except (AuthorizationError, RetrievalError):
            fetched, refused = [], []
            for pid in batch:  # isolate the failing patient(s)
                try:
                    fetched.extend(server.fetch_patients([pid], requirements))
                except AuthorizationError as e:  # one patient's record restricted (consent, VIP)
                    refused.append(e)
                    skipped.append((pid, str(e)))
                except RetrievalError as e:
                    skipped.append((pid, str(e)))
            if refused and not fetched and not anyone and len(refused) == len(batch):
                raise refused[0] from None  # nobody could be read: the credentials, not a patient's record
        anyone = anyone or bool(fetched)
        yield from fetched


def plan(options: ServerOptions, patient_ids: Sequence[str], requirements: Iterable[DataRequirement]) -> list[str]:
    """The planned requests (``METHOD URL`` lines) without sending anything: for ``--print-plan``.
    A ``system|value`` patient shows its identifier search (its data searches are an id's)."""
    lookups = [f"GET {options.base}/Patient?identifier={quote(p, safe='')}&_count=2" for p in patient_ids if "|" in p]
    with FhirServer(options) as server:
        return lookups + server.plan([p for p in patient_ids if "|" not in p], requirements)


def _refusal_codes(body: dict[str, Any] | None) -> str:
    """`` (error/processing)``: the issues of the OperationOutcome answered, or of the refused entries'
    outcomes; "" when there is none."""
    said = [outcome_codes(body)]
    entries = body.get("entry") if body is not None and body.get("resourceType") == "Bundle" else None
    for entry in entries if isinstance(entries, list) else []:
        response = entry.get("response") if isinstance(entry, dict) else None
        if isinstance(response, dict):
            said.append(outcome_codes(response.get("outcome")))
    codes = ", ".join(dict.fromkeys(c for c in said if c))
    return f" ({codes})" if codes else ""


def _entry_page(entry: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A 2xx batch entry's first page, its ``response.outcome`` carried into it as R4 carries a page's own
    OperationOutcome (an entry with ``search.mode`` outcome), so :func:`~.transport.read_page` judges both
    by one rule: an issue of severity error/fatal, or one saying matches were left out (``incomplete``,
    ``too-costly``, ``throttled``..., whatever the severity), makes the search unavailable; another warning
    is noted by its codes and the answer read; ``information`` is ignored. Why: read alone, the entry's
    empty searchset beside "incomplete" was "no diagnosis recorded": a false ineligible, written back.
    An outcome that is no OperationOutcome says nothing readable: a fault (the cause, second)."""
    resource = entry.get("resource")
    page = resource if isinstance(resource, dict) else {}
    response = entry.get("response")
    outcome = response.get("outcome") if isinstance(response, dict) else None
    if outcome is None:
        return page, None
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return page, "malformed batch entry (its response.outcome is not an OperationOutcome)"
    entries = page.get("entry")
    entries = [] if entries is None else entries
    if page.get("resourceType") != "Bundle" or not isinstance(entries, list):
        return page, None  # read_page refuses it as it is
    return {**page, "entry": [*entries, {"resource": outcome, "search": {"mode": "outcome"}}]}, None


def _failed(result: SearchResult, status: int | None, cause: str | None, outcome: object) -> SearchResult:
    """A search that got no usable first page: a fault, or (404, a 400 saying so) a type the server does
    not hold (:func:`~.merge.not_supported`), which is no fault. Never for the Patient: not found."""
    rtype = result.search.resource_type
    result.status = status
    result.unsupported = rtype != "Patient" and not_supported(status, outcome, rtype)
    codes = outcome_codes(outcome)
    result.cause = (cause or "no usable answer") + (f" ({codes})" if codes else "")
    return result


def _declared(search: PlannedSearch, declared: frozenset[str] | None) -> bool:
    return declared is None or search.resource_type in declared or search.resource_type == "Patient"


def _undeclared(search: PlannedSearch) -> SearchResult:
    """A search not sent: its type is not in the server's CapabilityStatement (no such records there)."""
    return SearchResult(search, cause="not in its CapabilityStatement", unsupported=True)


def _groups(items: Iterable[str], size: int) -> Iterator[list[str]]:
    group: list[str] = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group
