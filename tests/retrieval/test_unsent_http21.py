"""A request that never left is sent again; one that may have reached the server is not (helper 21).

Before: ``http.py`` worded a refused connection (nothing sent: the port closed, the host unknown) as it
worded a connection reset after the request went out ("connection failed"), and the request loop took
both as "may have been carried out": a write-back transaction was never retried after a refused
connection, although the server provably never saw it. Only a connect timeout counted as not sent.

Worked by hand, with a real loopback socket (``retries=2``, no wait between attempts):

* a transaction whose first connection is refused, the server then up: attempt 1 refused (nothing
  sent), attempt 2 answered 200: one wait, two attempts, and the server received the transaction once;
* refused on every attempt: 1 + 2 retries, then "connection refused after 2 retries", never "may have
  been carried out" (nothing was);
* the server reads the whole transaction, then resets the connection: it may have saved it, so it is
  sent once, no wait, "...may have been carried out, so it was not sent again";
* the same reset for a GET (replayable) is still retried: the server receives it twice.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from fhir_eligibility.retrieval import connection
from fhir_eligibility.retrieval.connection import Connection
from fhir_eligibility.retrieval.http import HttpError, new_session, send
from fhir_eligibility.retrieval.options import ServerOptions
from fhir_eligibility.retrieval.transport import Fault

CREATE = {"resource": {"resourceType": "ResearchSubject"}, "request": {"method": "POST", "url": "ResearchSubject"}}
TRANSACTION = {"resourceType": "Bundle", "type": "transaction", "entry": [CREATE]}
ANSWER = json.dumps({"resourceType": "Bundle", "type": "transaction-response", "entry": []}).encode()


def _free_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Loopback:
    """A listener on ``port`` that reads each whole request, counts it, then answers 200 (``reset``
    False) or resets the connection (RST) without a byte of answer."""

    def __init__(self, port: int, reset: bool) -> None:
        self.reset, self.received = reset, 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                with conn:
                    self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        sizes = [h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")]
        length = int(sizes[0]) if sizes else 0
        while len(body) < length:
            body += conn.recv(65536)
        self.received += 1
        if self.reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nConnection: close\r\n"
            + f"Content-Length: {len(ANSWER)}\r\n\r\n".encode()
            + ANSWER
        )

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def port() -> int:
    return _free_port()


@pytest.fixture
def servers() -> Iterator[list[Loopback]]:
    started: list[Loopback] = []
    yield started
    for s in started:
        s.close()


def _request(port: int, method: str, waits: Callable[[float], None]) -> None:
    base = f"http://127.0.0.1:{port}/fhir"
    body = TRANSACTION if method == "POST" else None
    options = ServerOptions(base, use_env_token=False, retries=2, backoff_base=0, timeout=5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(connection, "_sleep", waits)
        with Connection(options) as c:
            c.request(method, base if method == "POST" else f"{base}/Patient", what="t", headers={}, json_body=body)


def test_a_transaction_refused_while_connecting_is_sent_again(port: int, servers: list[Loopback]) -> None:
    waits: list[float] = []

    def up(seconds: float) -> None:  # the server comes up during the first wait
        waits.append(seconds)
        if not servers:
            servers.append(Loopback(port, reset=False))

    _request(port, "POST", up)
    assert len(waits) == 1 and servers[0].received == 1


def test_a_transaction_refused_every_time_says_so(port: int) -> None:
    waits: list[float] = []
    with pytest.raises(Fault) as info:
        _request(port, "POST", waits.append)
    assert info.value.cause == "connection refused after 2 retries" and info.value.status is None
    assert len(waits) == 2


def test_a_transaction_whose_connection_was_reset_is_not_sent_again(port: int, servers: list[Loopback]) -> None:
    servers.append(Loopback(port, reset=True))
    waits: list[float] = []
    with pytest.raises(Fault) as info:
        _request(port, "POST", waits.append)
    assert info.value.cause == "connection failed: the request may have been carried out, so it was not sent again"
    assert servers[0].received == 1 and waits == []


def test_a_read_whose_connection_was_reset_is_sent_again(port: int, servers: list[Loopback]) -> None:
    servers.append(Loopback(port, reset=True))
    waits: list[float] = []
    with pytest.raises(Fault, match="connection failed after 2 retries"):
        _request(port, "GET", waits.append)
    assert servers[0].received == 3 and len(waits) == 2


URL = "https://fhir.example.org/r4/Patient"


def _refused(reason: Exception) -> requests.ConnectionError:
    """What ``requests`` raises when urllib3 could not connect (its adapter wraps the MaxRetryError)."""
    return requests.ConnectionError(MaxRetryError(None, URL, reason))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raised", "cause", "unsent"),
    [
        (_refused(NewConnectionError(None, "refused")), "could not connect", True),  # type: ignore[arg-type]
        (_refused(NameResolutionError("fhir.example.org", None, socket.gaierror())), "host not found", True),  # type: ignore[arg-type]
        (requests.ConnectTimeout("slow"), "connect timeout", True),
        (requests.ConnectionError("reset"), "connection failed", False),  # no reason: it may have gone out
        (requests.ConnectionError(ConnectionResetError()), "connection failed", False),
        (requests.ReadTimeout("read"), "timeout", False),
    ],
)
def test_what_never_left_is_told_apart(
    rsps: responses.RequestsMock, raised: Exception, cause: str, unsent: bool
) -> None:
    rsps.add(responses.POST, URL, body=raised)
    with pytest.raises(HttpError) as info:
        send(new_session(), "POST", URL, allow=lambda _u, _c: None, timeout=5, json_body=TRANSACTION)
    assert (info.value.cause, info.value.unsent) == (cause, unsent)
    assert "example.org" not in str(info.value)
