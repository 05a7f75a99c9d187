"""A loopback HTTP server answering 200 and then one byte every 0.2 s for a minute: the slow host the
deadline tests need (a token endpoint, a key set). Counts the requests it received."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Drip(BaseHTTPRequestHandler):
    calls = 0

    def _drip(self) -> None:
        type(self).calls += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        try:
            for _ in range(300):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client gave up, as it should

    do_GET = do_POST = _drip

    def log_message(self, *_args: object) -> None:
        pass


@contextmanager
def dripping(path: str) -> Iterator[str]:
    """The URL of ``path`` on a fresh dripping server (its request count reset)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Drip.calls = 0
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
