"""The CDS Hooks service: an ASGI app answering ``patient-view`` with one card per trial the patient may enter.

Routes::

    GET  /cds-services                             discovery: service ``trial-eligibility`` + prefetch templates
    POST /cds-services/trial-eligibility           prefetch (+ allow-listed fhirServer) -> evaluate -> cards
    POST /cds-services/trial-eligibility/feedback  append-only JSONL store under ``data_dir``
    GET  /reports/{patientId}?trial=NCT…&ref=…     the HTML report behind a card's link
    POST /reports/{patientId}/attest?ref=…         its attestation form (:mod:`.attest`), when configured

Why Starlette and not FastAPI: the service has four routes whose bodies are validated by hand
against the CDS Hooks rules (400 with an OperationOutcome, 412, 413), which FastAPI's pydantic
validation would answer with its own 422 shape that then has to be overridden; FastAPI would add
pydantic-model plumbing and OpenAPI pages we do not serve. Starlette is the part we use, with
fewer dependencies. Evaluation and FHIR retrieval are blocking, so they run in the thread pool.

Evaluation is :func:`fhir_eligibility.pipeline.evaluate_patient` (through a
:class:`~fhir_eligibility.pipeline.Evaluator` that compiles the trials once), the same single path as the CLI:
once per hook call for what the cards say, and again, whole, when someone opens a card's page.

Security: every CDS call carries a client JWT checked by :mod:`.security` (unless started with
``insecure_no_auth``, which logs a warning). The report page cannot carry a JWT (a browser opens
it), so its link holds an unguessable ``ref`` that expires after ``report_ttl_seconds``; without a
live ``ref`` the page is 404. Logs never hold patient ids, prefetch content or tokens: the access
log is our own (method, route template, status, time) and uvicorn's is off.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any, cast
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import InputError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Report, TrialResult
from fhir_eligibility.pipeline import Evaluator
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.cards import cards as render_cards
from fhir_eligibility.report.cards import shown
from fhir_eligibility.report.html import CSP, render_report_html
from fhir_eligibility.report.html.form import SERVED_CSP, Submit
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.requirements.prefetch import PrefetchTemplate, prefetch_descriptor, prefetch_templates
from fhir_eligibility.retrieval.merge import merged_into
from fhir_eligibility.retrieval.server import BatchMode
from fhir_eligibility.service.attest import WriteTarget, check_origin, parse_submission, record, with_responses
from fhir_eligibility.service.bodies import json_problem
from fhir_eligibility.service.config import ServiceConfig
from fhir_eligibility.service.feedback import FeedbackError, FeedbackLimit, FeedbackStore, feedback_client
from fhir_eligibility.service.feedback import validate as validate_feedback
from fhir_eligibility.service.prefetch import Fallback, parse_request, patient_data
from fhir_eligibility.service.responses import (
    DISCOVERY_PATH,
    FEEDBACK_PATH,
    HOOK,
    REPORT_PATH,
    SERVICE_ID,
    SERVICE_PATH,
    AccessLog,
    HttpError,
    guarded,
    http_error,
)
from fhir_eligibility.service.security import AuthError, JkuCache, TokenVerifier, load_jwks_file
from fhir_eligibility.service.stores import MIB, CardIndex, ReportCache, StoredReport

log = logging.getLogger(__name__)

JSON_TYPES = ("application/json", "application/fhir+json")
DRAIN_FACTOR = 8  # an oversized body is read (and dropped) up to this many limits, so the client sees the 413


def _is_wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::", "")


class Service:
    """The loaded state: trials, templates, verifier, stores. One per app."""

    def __init__(self, config: ServiceConfig, trials: list[Trial] | None = None) -> None:
        self.config = config
        self.trials = (
            trials
            if trials is not None
            else load_trials(
                list(config.definitions) or None,
                list(config.trials) or None,
                list(config.terminology),
                config.lookback_days,
            )
        )
        # cards, at every chart opening: today's reasons and the dates the verdict changes (evaluate's horizon),
        # no plots, no reasons for a refused trial whose card is not shown. The page, opened by a click,
        # evaluates the stored data again with all of them and the whole timeline.
        self.settings = Settings(
            default_lookback_days=config.lookback_days,
            assume_attested=config.assume_attested,
            horizon_days=365,
            full_timeline=False,
            explain_refused=config.include_ineligible,
        )
        self.evaluator = Evaluator(self.trials, self.settings)  # compiled once; keeps one as-of date's batch
        page = replace(self.settings, collect_series=True, full_timeline=True, explain_refused=True)
        self.page_evaluator = Evaluator(self.trials, page)
        self.templates: list[PrefetchTemplate] = prefetch_templates(plan(self.trials, None, config.lookback_days))
        self.verifier = self._verifier(config)
        self.fallback = Fallback(
            allowed=config.allow_fhir_servers,
            timeout=config.fhir_timeout_seconds,
            retries=config.fhir_retries,
            batch=cast(BatchMode, config.fhir_batch),
            ca_bundle=str(config.fhir_ca_bundle) if config.fhir_ca_bundle else None,
        )
        self.feedback = FeedbackStore(config.data_dir / "feedback.jsonl")
        self.reports = ReportCache(config.report_ttl_seconds, config.report_cache_size, config.report_cache_mib * MIB)
        self.card_index = CardIndex()
        self.write_target = self._write_target(config)
        self.now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    def _write_target(self, config: ServiceConfig) -> WriteTarget | None:
        if config.attest_fhir_server is None:
            return None
        base = self.fallback.allowed_base(config.attest_fhir_server)
        if base is None:
            raise InputError("attest_fhir_server must be on allow_fhir_servers")
        ca = str(config.fhir_ca_bundle) if config.fhir_ca_bundle else None
        return WriteTarget.from_env(base, config.fhir_timeout_seconds, config.fhir_retries, ca)

    @staticmethod
    def _verifier(config: ServiceConfig) -> TokenVerifier | None:
        if config.insecure_no_auth:
            log.warning(
                "client authentication is OFF (insecure_no_auth): any caller that reaches %s can use this "
                "service; never use this with real patient data",
                config.base_url,
            )
            return None
        if not config.issuers:
            raise InputError("authentication needs at least one allowed issuer (--issuer or 'issuers')")
        if config.jwks is None and not config.jku_allow:
            raise InputError("authentication needs client keys: --jwks FILE or 'jku_allow' URLs")
        if _is_wildcard(config.host) and not config.public_base_url:
            raise InputError("listening on all interfaces: set public_base_url, the URL clients call (the JWT aud)")
        keys = load_jwks_file(config.jwks) if config.jwks is not None else {}
        jku = JkuCache(config.jku_allow, timeout=config.jwks_timeout_seconds, ttl=config.jwks_cache_seconds)
        return TokenVerifier(
            issuers=config.issuers,
            keys=keys,
            jku=jku if config.jku_allow else None,
            leeway=config.jwt_leeway_seconds,
            max_lifetime=config.max_token_lifetime_seconds,
        )

    # -- descriptor ------------------------------------------------------------------------------

    def descriptor(self) -> dict[str, Any]:
        ids = ", ".join(t.id for t in self.trials) or "none loaded"
        types = sorted({t.resource_type for t in self.templates})
        return {
            "hook": HOOK,
            "id": SERVICE_ID,
            "title": "Clinical-trial eligibility",
            "description": (
                f"Screens the patient against the eligibility criteria of {len(self.trials)} clinical trial(s) "
                f"({ids}) and shows a card for each trial the patient may enter, with the criteria that failed, "
                "are unknown or need a manual check, and the data to collect."
            ),
            "prefetch": prefetch_descriptor(self.templates),
            "usageRequirements": (
                f"Prefetch every key, or grant read access to {', '.join(types)} on a fhirServer that is on "
                "this service's allow-list."
            ),
        }

    # -- helpers ---------------------------------------------------------------------------------

    async def authenticate(self, request: Request) -> None:
        if self.verifier is None:
            return
        audience = self.config.base_url + request.url.path
        try:
            await run_in_threadpool(self.verifier.verify, request.headers.get("authorization"), audience)
        except AuthError as e:
            log.info("client authentication failed: %s", e.reason)
            raise HttpError(
                401,
                f"authentication failed: {e.reason}",
                "security",
                {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{e.reason}"'},
            ) from None

    async def read_json(self, request: Request) -> object:
        """The JSON body, refusing non-JSON media types (415) and bodies over the limit (413)."""
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in JSON_TYPES:
            raise HttpError(415, "Content-Type must be application/json", "not-supported")
        limit = self.config.max_body_bytes
        too_large = HttpError(413, f"request body larger than {limit} bytes", "too-costly", {"Connection": "close"})
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise HttpError(400, "invalid Content-Length", "invalid")
            if int(declared) > limit * DRAIN_FACTOR:
                raise too_large
        body = bytearray()
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size <= limit:
                    body += chunk
                elif size > limit * DRAIN_FACTOR:
                    raise too_large
        except ClientDisconnect:  # the client hung up mid-body (or stalled past the server's timeout): its doing
            raise HttpError(400, "request body incomplete: the client closed the connection", "incomplete") from None
        if size > limit:
            raise too_large
        try:
            value = json.loads(bytes(body), parse_constant=_not_json)  # NaN, Infinity: Python's, not JSON
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise HttpError(400, "request body is not valid JSON", "invalid") from None
        problem = json_problem(value)
        if problem:
            raise HttpError(400, f"request body refused: {problem}", "invalid")
        return value

    def report_link(self, patient_id: str, ref: str) -> Callable[[TrialResult], str]:
        base = f"{self.config.base_url}{REPORT_PATH}/{quote(patient_id, safe='')}"
        return lambda r: f"{base}?{urlencode({'trial': r.trial, 'ref': ref})}"

    # -- endpoints -------------------------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        await self.authenticate(request)
        return JSONResponse({"services": [self.descriptor()]})

    def evaluate(self, data: PatientData, as_of: dt.date) -> list[TrialResult]:
        """What the cards say: the one evaluation path, the trials compiled once (:class:`Evaluator`)."""
        return self.evaluator(data, as_of)

    def page_results(self, stored: StoredReport) -> tuple[TrialResult, ...]:
        """What the page shows: the stored data evaluated again with plots and the whole timeline
        (same data, date and trials, so the same verdicts and reasons as its card), plus every response
        recorded through the pages of its hook call since (a card link opened again shows them answered)."""
        if stored.data is None:
            return stored.results
        responses = self.reports.responses(stored)
        data = with_responses(stored.data, responses)
        return tuple(self.page_evaluator(data, self.answered_as_of(stored.as_of, responses)))

    def answered_as_of(self, as_of: dt.date, responses: tuple[dict[str, Any], ...]) -> dt.date:
        """A page opened before midnight and answered after it is evaluated on the answer's day, or the
        answer would be "in the future" and not count (a fixed ``as_of`` stays fixed). The service wrote
        each ``authored`` itself, so it is an ISO date-time."""
        if self.config.as_of is not None:
            return self.config.as_of
        return max([as_of, *(dt.date.fromisoformat(str(r["authored"])[:10]) for r in responses)])

    async def hook(self, request: Request) -> Response:
        started = time.perf_counter()
        await self.authenticate(request)
        body = await self.read_json(request)
        req = parse_request(body, HOOK)
        as_of = self.config.as_of or dt.date.today()
        data, fetched = await run_in_threadpool(patient_data, req, self.templates, self.fallback)
        results = await run_in_threadpool(self.evaluate, data, as_of)
        # stored only when a card links to it: a call without cards must not push live links out; in the thread
        # pool, as its size is measured on the data (a megabyte of prefetch takes about 15 ms)
        ref = None
        if shown(results, self.config.include_ineligible):
            ref = await run_in_threadpool(
                self.reports.put, req.patient_id, as_of, results, data.warnings, data, req.user_id
            )
        cards = render_cards(
            results,
            as_of=as_of,
            hook_instance=req.hook_instance,
            source_label=self.config.source_label,
            include_ineligible=self.config.include_ineligible,
            report_link=self.report_link(req.patient_id, ref) if ref is not None else None,
        )
        for c, r in zip(cards, shown(results, self.config.include_ineligible), strict=True):
            self.card_index.add(c["uuid"], r.trial)
        log.info(
            "%s: %d trial(s), %d card(s), %d prefetch key(s) fetched from fhirServer, %.0f ms",
            HOOK,
            len(results),
            len(cards),
            fetched,
            (time.perf_counter() - started) * 1000,
        )
        return JSONResponse({"cards": cards})

    async def feedback_endpoint(self, request: Request) -> Response:
        await self.authenticate(request)
        body = await self.read_json(request)
        try:
            items = validate_feedback(body)
        except FeedbackError as e:
            raise HttpError(400, str(e), "invalid") from None
        try:
            n = await run_in_threadpool(
                self.feedback.append, SERVICE_ID, items, self.card_index.trial, feedback_client(request)
            )
        except FeedbackLimit as e:
            retry = {"Retry-After": str(e.retry_after)} if e.retry_after else None
            raise HttpError(e.status, e.message, "throttled" if e.status == 429 else "too-costly", retry) from None
        log.info("feedback: %d new item(s) stored", n)
        return JSONResponse({}, status_code=200)

    async def report_page(self, request: Request) -> Response:
        patient_id = request.path_params["patient_id"]
        stored = self.reports.get(request.query_params.get("ref", ""), patient_id)
        if stored is None:
            return HTMLResponse(_NOT_FOUND_PAGE, status_code=404, headers=_PAGE_HEADERS)
        trial = request.query_params.get("trial")
        shown_now = await run_in_threadpool(self.page_results, stored)
        results = tuple(r for r in shown_now if trial is None or r.trial == trial)
        if not results:
            return HTMLResponse(_NOT_FOUND_PAGE, status_code=404, headers=_PAGE_HEADERS)
        submit = None
        if self.write_target is not None and stored.data is not None and merged_into(stored.data) is None:
            ref = request.query_params["ref"]
            url = f"{REPORT_PATH}/{quote(patient_id, safe='')}/attest?{urlencode({'ref': ref})}"
            # this page's own, for the trials it shows: its one submission spends it
            submit = Submit(url, self.reports.nonce(ref, (r.trial for r in results)))
        page = render_report_html(Report(stored.as_of, results, stored.warnings), self.trials, submit)
        headers = {**_PAGE_HEADERS, "Content-Security-Policy": SERVED_CSP} if submit else _PAGE_HEADERS
        return HTMLResponse(page, headers=headers)

    async def attest_endpoint(self, request: Request) -> Response:
        """The served form's answers: written to the FHIR server, the patient re-evaluated, the new page's link."""
        patient_id = request.path_params["patient_id"]
        ref = request.query_params.get("ref", "")
        stored = self.reports.get(ref, patient_id)
        if stored is None:
            raise HttpError(404, "this page has expired or is not valid: open the patient's chart again", "not-found")
        if self.write_target is None or stored.data is None:
            raise HttpError(409, "this service is not configured to record attestations", "not-supported")
        if merged_into(stored.data) is not None:  # answers belong on the surviving record, not on this one
            raise HttpError(409, "this patient record was merged into another: attest on that record", "conflict")
        check_origin(request.headers, self.config.base_url)
        body = await self.read_json(request)
        sub = parse_submission(body, lambda nonce: self.reports.has_nonce(ref, nonce))
        trial = next((t for t in self.trials if t.id == sub.trial), None)
        if trial is None or not self.reports.shows(ref, sub.nonce, sub.trial):  # the page of this nonce's trials
            raise HttpError(400, f"trial {sub.trial!r} is not on this page", "invalid")
        # local time with its offset: the as-of date is a local calendar date (see attest_command); to the
        # microsecond, so a change of answer within the second is the later one (the most recent answer wins)
        authored = self.now().astimezone().isoformat(timespec="microseconds")
        fixed = self.config.as_of
        if fixed is not None and authored[:10] > fixed.isoformat():
            # the service screens as of a fixed date: an answer given after it would be written and then
            # never count (a response authored after the as-of date has not happened yet on that date)
            raise HttpError(
                409,
                f"this service screens as of a fixed date ({fixed.isoformat()}): an attestation made on "
                f"{authored[:10]} would not count, so it was not recorded",
                "conflict",
            )
        shown = self.reports.spend(ref, sub.nonce)
        if shown is None:  # spent by a submission since: one answer per page
            raise HttpError(403, "the page's nonce is missing, wrong or used already: reload the page", "forbidden")
        try:
            response = await run_in_threadpool(
                record, self.write_target, trial, patient_id, sub, authored, stored.user_id
            )
        except BaseException:
            self.reports.give_back(ref, sub.nonce, shown)  # nothing written: the page can be sent again
            raise
        # with every response recorded through this hook call's pages (another tab's refusal included),
        # not only this one: the new page must never show a better verdict than the recorded answers allow
        responses = self.reports.record(stored, response)
        as_of = self.answered_as_of(stored.as_of, responses)
        results = await run_in_threadpool(self.evaluate, with_responses(stored.data, responses), as_of)
        new_ref = await run_in_threadpool(
            self.reports.put, patient_id, as_of, results, stored.warnings, stored.data, stored.user_id, stored.recorded
        )
        # not kept (the memory budget): this page's own ref shows the same, it evaluates the recorded responses
        link = self.report_link(patient_id, new_ref or ref)
        location = next(link(r) for r in results if r.trial == sub.trial)
        log.info("attestation recorded: %d answer(s)", len(sub.answers))
        return JSONResponse(
            {"location": location, "questionnaireResponse": f"QuestionnaireResponse/{response['id']}"},
            status_code=201,
            headers={"Location": location, "Cache-Control": "no-store"},
        )


def _not_json(constant: str) -> object:
    """``NaN``/``Infinity``/``-Infinity`` are no JSON (RFC 8259), though Python's parser takes them."""
    raise ValueError(f"{constant} is not JSON")


_PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
_NOT_FOUND_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Report not available</title></head>'
    "<body><h1>Report not available</h1><p>This link has expired or is not valid. Open the patient's chart "
    "again to get a fresh eligibility card.</p></body></html>"
)


def create_app(config: ServiceConfig, trials: list[Trial] | None = None) -> Starlette:
    """Build the app; raises :class:`InputError`/``DefinitionError`` for a config that cannot work."""
    service = Service(config, trials)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        log.info(
            "CDS Hooks service %s for %d trial(s) at %s%s (auth %s)",
            SERVICE_ID,
            len(service.trials),
            config.base_url,
            DISCOVERY_PATH,
            "off" if service.verifier is None else "on",
        )
        try:
            yield
        finally:
            service.fallback.close()

    middleware = [Middleware(AccessLog)]
    if config.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
                allow_credentials=False,
                max_age=600,
            )
        )
    routes = [
        Route(DISCOVERY_PATH, guarded(service.discovery), methods=["GET"]),
        Route(SERVICE_PATH, guarded(service.hook), methods=["POST"]),
        Route(FEEDBACK_PATH, guarded(service.feedback_endpoint), methods=["POST"]),
        Route(REPORT_PATH + "/{patient_id}", guarded(service.report_page), methods=["GET"]),
        Route(REPORT_PATH + "/{patient_id}/attest", guarded(service.attest_endpoint), methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.service = service
    return app


__all__ = ["FEEDBACK_PATH", "HOOK", "SERVICE_ID", "SERVICE_PATH", "Service", "create_app"]
