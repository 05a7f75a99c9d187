"""Helpers of the CDS Hooks integration tests (test_cds_hooks*.py): a trap socket for a FHIR server that
must never be contacted, an authenticated hook call and its OperationOutcome, the mini patient (also as
a server's patient), and the verdicts ``fhir-eligibility evaluate`` gives, from a separate process, for
the cards to agree with.
"""

from __future__ import annotations

import copy
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests

from fhir_eligibility.service.app import SERVICE_PATH
from tests.service.support import AS_OF, MINI_PATIENT, ROOT, ClientKeys, LiveServer, patients_of, post


class Trap:
    """A TCP listener that counts connections: stands in for a FHIR server that must never be contacted."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir"

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def call(cds: LiveServer, keys: ClientKeys, body: object, path: str = SERVICE_PATH) -> requests.Response:
    url = cds.base + path
    return post(url, body, keys.token(url))


def outcome(r: requests.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["resourceType"] == "OperationOutcome", body
    assert "Traceback" not in r.text
    return str(body["issue"][0]["diagnostics"])


def mini_data() -> Any:
    (data,) = patients_of(MINI_PATIENT)
    return data


def as_server_patient(data: Any, server_id: str) -> Any:
    d = copy.deepcopy(data)
    d.patient_id = server_id
    d.resources = [({**r, "id": server_id} if r["resourceType"] == "Patient" else r) for r in d.resources]
    return d


def cli_verdicts(paths: list[Path], definitions: Path | None) -> dict[str, dict[str, str]]:
    """patient -> trial -> verdict from ``fhir-eligibility evaluate --format json`` (a separate process)."""
    args = [
        sys.executable,
        "-m",
        "fhir_eligibility",
        "evaluate",
        *map(str, paths),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]
    if definitions is not None:
        args += ["--definitions", str(definitions)]
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    verdicts: dict[str, dict[str, str]] = {}
    for r in json.loads(out.stdout)["results"]:
        trials = verdicts.setdefault(r["patient"].removeprefix("Patient/"), {})
        assert r["trial"] not in trials, f"patient id {r['patient']} is not unique across the files"
        trials[r["trial"]] = r["verdict"]
    return verdicts
