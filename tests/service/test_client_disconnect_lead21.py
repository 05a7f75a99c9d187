"""A client that hangs up mid-body is its own doing: 400 and no ERROR log (review 21, CDS, finding 2).

Before: an EHR declaring ``Content-Length: 100`` that sent 10 bytes and closed made ``read_json`` raise
Starlette's ``ClientDisconnect`` through the guard's last line of defence: a 500 and an ERROR log line
("internal error while serving ..."), which pages whoever watches the service each time an EHR times
out. The docs promise 4xx for a client's mistakes and no ERROR for them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.service.app import SERVICE_PATH, Service
from fhir_eligibility.service.responses import HttpError, guarded
from tests.service.support import open_config


def _cut_short() -> Request:
    """A POST whose body stops after 10 of its declared 100 bytes, then the client disconnects."""
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b'{"hook": "', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    scope = {
        "type": "http",
        "method": "POST",
        "path": SERVICE_PATH,
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
        "query_string": b"",
    }
    return Request(scope, receive)


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run`` in a thread of its own: another test may leave an event loop running in this one."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = asyncio.run(coroutine)
        except BaseException as e:  # raised again in the caller's thread
            out["error"] = e

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")


def test_a_body_cut_short_is_a_client_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    service = Service(open_config(tmp_path, definitions=()), trials=load_trials())
    with pytest.raises(HttpError) as info:
        _run(service.read_json(_cut_short()))
    assert info.value.status == 400 and "closed the connection" in info.value.message

    async def handler(request: Request) -> Any:
        return await service.read_json(request)

    with caplog.at_level(logging.INFO):
        response = _run(guarded(handler)(_cut_short()))
    assert response.status_code == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
