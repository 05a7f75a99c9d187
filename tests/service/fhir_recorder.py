"""A FHIR server stand-in on loopback that records what it is sent: transaction Bundles (POST to the base)
and every request's method and path. Enough for the attestation endpoint, which only writes."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RecordingFhir:
    def __init__(self) -> None:
        self.transactions: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # quiet
                pass

            def _send(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                recorder.requests.append(("GET", self.path))
                if self.path.split("?")[0].endswith("/metadata"):
                    self._send(200, {"resourceType": "CapabilityStatement", "status": "active", "kind": "instance"})
                    return
                self._send(200, {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []})

            def do_POST(self) -> None:
                recorder.requests.append(("POST", self.path))
                n = int(self.headers.get("Content-Length", "0"))
                bundle = json.loads(self.rfile.read(n))
                recorder.transactions.append(bundle)
                entries = [{"response": {"status": "201 Created"}} for _ in bundle.get("entry", [])]
                self._send(200, {"resourceType": "Bundle", "type": "transaction-response", "entry": entries})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="fhir-recorder", daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/fhir"

    def written(self, resource_type: str) -> list[dict[str, Any]]:
        return [
            e["resource"]
            for b in self.transactions
            for e in b.get("entry", [])
            if e["resource"]["resourceType"] == resource_type
        ]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> RecordingFhir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
