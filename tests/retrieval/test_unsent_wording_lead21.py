"""A write-back transaction that never left says it was not recorded (review of helper 21's change).

Before: after every attempt was refused while connecting (nothing sent: ``HttpError.unsent``), the
transaction failed with "whether it was recorded is unknown; the next run ... settles it", the wording
for a request cut short after it went out. Worked by hand: nothing listens on the port, ``retries=1``,
no wait: two refused connections, no byte sent, so the server holds nothing of it.
"""

from __future__ import annotations

import socket

import pytest

from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.retrieval import connection
from fhir_eligibility.retrieval.options import ServerOptions
from fhir_eligibility.retrieval.server import FhirServer
from tests.retrieval.test_unsent_http21 import TRANSACTION


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_transaction_that_never_left_was_not_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/fhir"
    monkeypatch.setattr(connection, "_sleep", lambda _s: None)
    options = ServerOptions(base, use_env_token=False, retries=1, backoff_base=0, timeout=5)
    with FhirServer(options) as server, pytest.raises(RetrievalError) as info:
        server.transaction(TRANSACTION)
    text = str(info.value)
    assert "not sent, nothing was recorded" in text and "unknown" not in text, text
