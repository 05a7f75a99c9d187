"""One connection to one FHIR server: session, credentials and the one request loop of the product.

Why apart from :mod:`~fhir_eligibility.retrieval.server` (which plans and runs a patient's searches):
every request of the product (retrieval, screening, Bulk ``$export``, the CDS fallback, write-back)
goes through :meth:`Connection.request`, so retries, Retry-After, token renewal, TLS options,
deadlines and the next-link/redirect policy are written once.

Retries: only what may be sent again unchanged in effect (:func:`replayable`: reads, and writes by id
without a precondition). Any other write that may have reached the server (write-back's transactions)
is never sent a second time: its creates would be saved twice, its ``ifMatch`` updates refused with 412
although saved.

Transport is ``requests`` (one Session, pooled), reached only through :mod:`~.http`, not fhirpy's
``SyncFHIRClient``: fhirpy 2.3 sends every call through module-level ``requests.request`` (no
Session, so no pooling and no adapter to count or mount), turns 429/503 into a generic
``OperationOutcome`` exception without the status or ``Retry-After``, puts response bodies
(patient data) into exception messages, and takes a fixed Authorization string (no token
renewal). Retries, Retry-After, per-entry batch statuses and next-link checks need that control.

Logging: counts, resource types and statuses only. Never tokens, never URLs with query strings
(they hold patient ids), never resource content.
"""

from __future__ import annotations

import email.utils
import logging
import time
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

from fhir_eligibility.errors import AuthorizationError
from fhir_eligibility.retrieval import urlpolicy
from fhir_eligibility.retrieval.auth import BearerAuth, SmartBackendAuth, bearer_token_from_env, is_loopback
from fhir_eligibility.retrieval.http import AuthHook, HttpError, HttpSession, new_session
from fhir_eligibility.retrieval.options import ServerOptions
from fhir_eligibility.retrieval.transport import Answer, Fault, Scope, Sink, exchange, json_object

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
# a write's answer that says it was refused unprocessed (rate limited), so sending it again is safe;
# a 502/503/504 may come from a gateway while the server behind it carries the request out
_UNPROCESSED_STATUS = frozenset({429})
_READS = frozenset({"GET", "HEAD"})
_IDEMPOTENT = _READS | {"DELETE"}  # a second DELETE finds nothing (a Bulk status URL: 404 is accepted)
FHIR_JSON = "application/fhir+json"

_sleep = time.sleep  # tests replace this to record waits instead of sleeping
_now = time.time  # for Retry-After given as an HTTP date


@dataclass
class _Reply:
    body: dict[str, Any] | None = None  # on a failure, the JSON the server answered with (an OperationOutcome)
    status: int | None = None
    cause: str | None = None  # set when the request finally failed
    unsent: bool = False  # it failed without ever leaving (transport.Fault.unsent): nothing reached the server

    @property
    def ok(self) -> bool:
        return self.cause is None


class Connection:
    """A connection to one server: session, auth and the request loop. Keep one for many calls."""

    def __init__(self, options: ServerOptions, *, session: HttpSession | None = None) -> None:
        self.options = options
        self._own_session = session is None
        self.session = session or new_session(pool_maxsize=max(options.concurrency, 2))
        self.session.headers.setdefault("User-Agent", "fhir-eligibility")
        self.auth = _make_auth(options, self.session)
        self._allowed = options.allowed
        self._deadline: float | None = None  # of the patient group being fetched (time.monotonic)
        if self.auth is not None and urlsplit(options.base).scheme == "http" and not is_loopback(options.base):
            log.warning("sending credentials to a FHIR server over plain http")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_session:
            self.session.close()

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
        answer_403: bool = False,
    ) -> _Reply:
        """A FHIR JSON request; raises only for 401 and 403 (unless ``answer_403``: a search the token's
        scopes do not cover is one type unavailable, not a refused run), else returns the body or a
        failure cause (with the body the server gave, if JSON)."""
        headers = {"Accept": FHIR_JSON}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            r = self.request(method, url, what=what, headers=headers, json_body=json, answer_403=answer_403)
        except Fault as f:
            return _Reply(status=f.status, cause=f.cause, unsent=f.unsent)
        try:
            body: dict[str, Any] | None = json_object(r.body)
            problem = None
        except Fault as f:
            body, problem = None, f.cause
        if not 200 <= r.status < 300:
            log.debug("%s: HTTP %d", what, r.status)
            cause = f"HTTP {r.status}" + (
                " (not permitted: the token's scopes may not cover it)" if r.status == 403 else ""
            )
            return _Reply(body=body, status=r.status, cause=cause)
        return _Reply(body=body, status=r.status, cause=problem)

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
        sink: Sink | None = None,
        deadline: float | None = None,
        answer_403: bool = False,
        retry: bool = True,
    ) -> Answer:
        """The one request loop of the product (retrieval, screening, ``$export``, the CDS fallback).

        Bounded retries on 429/502/503/504 (Retry-After honoured up to ``max_wait``) and on connection
        errors, never past the patient deadline; one SMART token renewal on 401. Returns the answer of
        any other status; raises :class:`AuthorizationError` for 401 and 403 (a 403 is returned when
        ``answer_403``; a storage host's, ``scope="public"``, is a :class:`Fault` naming that host) and
        :class:`Fault` when no usable answer came (timeout, deadline, redirect, refused URL, retries
        exhausted). A download into ``sink`` is not retried (part of it may be written); with ``retry``
        False, a 429/5xx is returned at once (a Bulk status URL, whose waits are the export's).

        A request that is not :func:`replayable` (a transaction) is sent again only when it provably was
        not carried out (no connection made: refused, timed out or the host not found while connecting,
        :attr:`~.http.HttpError.unsent`; a 429); after a dropped connection or a 502/503/504 it is a
        :class:`Fault` without a status (no answer of the server's own): whether it was carried out is
        unknown, and the caller reads the server again rather than guess.
        """
        opts = self.options
        replay = replayable(method, json_body)
        attempt = 0
        renewed = False
        while True:
            if auth and isinstance(self.auth, SmartBackendAuth):
                # the token first, on its own time and errors: a slow token endpoint fetched inside the
                # request used up its deadline, and was reported as the FHIR server failing
                self.auth.access_token()
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
            except HttpError as e:
                if not e.retry_safe:  # a timeout (a slow search is slow again), a redirect: no retry
                    raise Fault(e.cause, e.status) from None
                if not replay and not e.unsent:  # it may have reached the server: never sent twice
                    raise Fault(_unanswered(e.cause)) from None
                wait = _backoff(opts, attempt)
                if sink is None and attempt < opts.retries and self._can_wait(wait):
                    attempt += 1
                    log.debug("%s: %s, retry %d/%d in %.1f s", what, e.cause, attempt, opts.retries, wait)
                    _sleep(wait)
                    continue
                raise Fault(_after(e.cause, attempt), unsent=e.unsent) from None
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
            if (status == 401 or status == 403) and scope == "public":
                # a Bulk file's storage host, sent no token: the token is not what it refused
                raise Fault(refused_elsewhere(url, status), status)
            if status == 401 or (status == 403 and not answer_403):
                raise AuthorizationError(refused(opts.base, status))
            if status in RETRYABLE_STATUS and not replay and status not in _UNPROCESSED_STATUS:
                raise Fault(_unanswered(f"HTTP {status}"))
            if status in RETRYABLE_STATUS and sink is None and retry:
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


def replayable(method: str, json_body: dict[str, Any] | None) -> bool:
    """Whether sending the request a second time changes nothing the first did not: a read, a DELETE, or
    a batch or transaction each entry of which is (:func:`_replayable_entry`)."""
    if method.upper() in _IDEMPOTENT:
        return True
    if method.upper() != "POST" or not isinstance(json_body, dict):
        return False
    entries = json_body.get("entry")
    return (
        json_body.get("type") in ("batch", "transaction")
        and isinstance(entries, list)
        and all(_replayable_entry(e) for e in entries)
    )


def _replayable_entry(entry: object) -> bool:
    """A read, or a PUT/DELETE of ``Type/id`` without a precondition (an attestation's resources, ids the
    client chose). Not a create (saved twice), nor a conditional create or update: resolved by the
    server's search, which may match loosely or ignore the parameter (:mod:`~fhir_eligibility.writeback_existing`);
    nor an ``ifMatch`` update, which is refused (412) once saved."""
    request = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(request, dict):
        return False
    method, url = str(request.get("method", "")).upper(), request.get("url")
    if method in _READS:
        return True
    by_id = isinstance(url, str) and "?" not in url and url.count("/") == 1
    preconditions = ("ifMatch", "ifNoneMatch", "ifNoneExist", "ifModifiedSince")
    return method in ("PUT", "DELETE") and by_id and not any(k in request for k in preconditions)


def _unanswered(cause: str) -> str:
    return f"{cause}: the request may have been carried out, so it was not sent again"


def _make_auth(options: ServerOptions, session: HttpSession) -> AuthHook | None:
    if options.smart is not None:
        return SmartBackendAuth(
            options.smart, options.base, session=session, timeout=options.timeout, verify=options.verify
        )
    token = options.bearer_token
    if token is None and options.use_env_token:
        token = bearer_token_from_env()
    return BearerAuth(token) if token is not None else None


def _backoff(options: ServerOptions, attempt: int) -> float:
    return float(min(options.backoff_base * (2**attempt), options.max_wait))


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() alone accepts '²' and other digits float() refuses
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - _now())
    except (TypeError, ValueError, OverflowError):  # not a date, or a year past the calendar
        return None


def _after(cause: str, retries: int) -> str:
    return f"{cause} after {retries} retries" if retries else cause


def refused_elsewhere(url: str, status: int) -> str:
    """A refusal by a host off the FHIR server's origin (a Bulk file's storage), which got no token."""
    host = urlsplit(url).netloc.rpartition("@")[2] or "?"  # the policy refuses userinfo anyway
    return (
        f"the storage host {host} refused the download (HTTP {status}); no token was sent there "
        "(credentials go only to the FHIR server's origin): the file's URL may have expired"
    )


def refused(base: str, status: int) -> str:
    what = "not authenticated" if status == 401 else "not permitted"
    return (
        f"FHIR server {base} refused the request (HTTP {status}, {what}): "
        "check the bearer token or SMART client registration and scopes"
    )
