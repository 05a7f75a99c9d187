"""The CDS service's answers outside a route's own: its paths, errors as OperationOutcomes, the
access log. Why apart from :mod:`.app`: every route and the middleware share them, and none of it
reads the service's state."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fhir_eligibility.service.prefetch import RequestError

log = logging.getLogger("fhir_eligibility.service.app")  # one logger name for the service, as before

SERVICE_ID = "trial-eligibility"
HOOK = "patient-view"
DISCOVERY_PATH = "/cds-services"
SERVICE_PATH = f"{DISCOVERY_PATH}/{SERVICE_ID}"
FEEDBACK_PATH = f"{SERVICE_PATH}/feedback"
REPORT_PATH = "/reports"


class HttpError(Exception):
    """An error answer with an OperationOutcome body."""

    def __init__(self, status: int, message: str, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


def operation_outcome(message: str, code: str = "invalid", severity: str = "error") -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": message}]}


def outcome_response(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(operation_outcome(message, code), status_code=status, headers=headers)


Handler = Callable[[Request], Awaitable[Response]]


def guarded(handler: Handler) -> Handler:
    """Turn every failure into an OperationOutcome answer; never a stack trace, never data in the log."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except HttpError as e:
            return outcome_response(e.status, e.message, e.code, e.headers)
        except RequestError as e:
            if e.status == 412:
                log.info("%s: 412, data cannot be had (%s)", HOOK, e.code)
            return outcome_response(e.status, e.message, e.code)
        except Exception as e:  # the last line of defence: the client gets a generic 500
            log.error("internal error while serving %s: %s", route_label(request.url.path), type(e).__name__)
            log.debug("internal error detail", exc_info=True)
            return outcome_response(500, "internal error", "exception")

    return run


def route_label(path: str) -> str:
    """A loggable label for a path: report paths hold a patient id, so only the template is logged."""
    if path.startswith(REPORT_PATH + "/"):
        return REPORT_PATH + "/{patientId}"
    if path in (DISCOVERY_PATH, SERVICE_PATH, FEEDBACK_PATH):
        return path
    return "<other>"


class AccessLog:
    """Method, route template, status and time of each request; nothing from the URL's query or body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            log.info(
                "%s %s %d %.0f ms",
                scope.get("method", "?"),
                route_label(str(scope.get("path", ""))),
                status,
                (time.perf_counter() - started) * 1000,
            )


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "no such endpoint", 405: "method not allowed"}
    return outcome_response(
        exc.status_code,
        messages.get(exc.status_code, "request refused"),
        "not-found" if exc.status_code == 404 else "not-supported",
        dict(exc.headers or {}),
    )


__all__ = [
    "DISCOVERY_PATH",
    "FEEDBACK_PATH",
    "HOOK",
    "REPORT_PATH",
    "SERVICE_ID",
    "SERVICE_PATH",
    "AccessLog",
    "HttpError",
    "guarded",
    "http_error",
    "outcome_response",
]
