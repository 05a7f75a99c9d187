"""A slow key-set host on the ``jku`` allow-list costs one bounded fetch, not every caller's minute.

Found by an adversarial review on a loopback host dripping 45 bytes at one a second: with
``jwks_timeout_seconds = 5`` two concurrent hook calls got their 401 after 44 and 88 s (the timeout
bounded each read, not the fetch; the cache's lock was held throughout; a failure was not
remembered, so every call fetched again). The fetch happens before any signature is checked:
anyone who can reach the service could stall it by naming the allowed ``jku``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fhir_eligibility.service.security import AuthError, JkuCache


class _Drip(BaseHTTPRequestHandler):
    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        try:
            for _ in range(300):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture()
def jku() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Drip.calls = 0
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


def test_a_dripping_key_host_fails_within_the_timeout_and_is_not_asked_again_at_once(jku: str) -> None:
    cache = JkuCache([jku], timeout=0.5)
    start = time.monotonic()
    with pytest.raises(AuthError, match="unavailable"):
        cache.key(jku, "k1")
    assert time.monotonic() - start < 1.5
    start = time.monotonic()
    with pytest.raises(AuthError, match="unavailable"):
        cache.key(jku, "k1")
    assert time.monotonic() - start < 0.2 and _Drip.calls == 1
