"""The CDS Hooks service as a process: feedback kept across a restart (same data_dir), and the ``serve``
command started from a config file, its ``--insecure-no-auth`` overriding the file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from fhir_eligibility.service.app import SERVICE_PATH
from tests.integration.cds_hooks_support import call
from tests.service.support import AS_OF, MINI, ROOT, ClientKeys, LiveServer, auth_config, free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def keys() -> ClientKeys:
    return ClientKeys()


def test_feedback_is_kept_across_a_restart(keys: ClientKeys, tmp_path: Path) -> None:
    def send(server: LiveServer, card: str) -> None:
        fb = {
            "feedback": [
                {
                    "card": card,
                    "outcome": "overridden",
                    "overrideReason": {"userComment": "declined"},
                    "outcomeTimestamp": "2026-06-01T10:00:00Z",
                }
            ]
        }
        r = call(server, keys, fb, SERVICE_PATH + "/feedback")
        assert r.status_code == 200, r.text

    first, second = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    with LiveServer(auth_config(keys, tmp_path)) as a:
        send(a, first)
    with LiveServer(auth_config(keys, tmp_path)) as b:  # a new process state, same data_dir
        send(b, second)
    rows = [json.loads(line) for line in (tmp_path / "data" / "feedback.jsonl").read_text().splitlines()]
    assert [r["card"] for r in rows] == [first, second]
    assert rows[0]["overrideReason"] == {"userComment": "declined"}


def test_serve_command_with_a_config_file(keys: ClientKeys, tmp_path: Path) -> None:
    port = free_port()
    keys.write_jwks(tmp_path / "jwks.json")
    (tmp_path / "service.toml").write_text(
        f"""
port = {port}
jwks = "jwks.json"
issuers = ["https://ehr.example.org"]
definitions = ["{MINI}"]
as_of = "{AS_OF}"
data_dir = "data"
"""
    )
    code = "import click; from fhir_eligibility.service.command import register; g = click.Group(); register(g); g()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--config", str(tmp_path / "service.toml"), "--insecure-no-auth"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        url = f"http://127.0.0.1:{port}/cds-services"
        deadline = time.monotonic() + 60
        while True:
            try:
                r = requests.get(url, timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert r.status_code == 200  # --insecure-no-auth on the command line overrides the file
        assert r.json()["services"][0]["id"] == "trial-eligibility"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0].decode()
    assert "WARNING" in output and "authentication is OFF" in output
    assert (tmp_path / "data").is_dir()
