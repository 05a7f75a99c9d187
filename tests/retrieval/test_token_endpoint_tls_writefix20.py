"""The SMART client assertion is never POSTed, nor the token received, over plain http.

Adversarial review 20: an https FHIR server's ``.well-known/smart-configuration`` named a token endpoint
``http://...``; the signed client assertion went out in cleartext and the access token came back so.
SMART Backend Services requires TLS for the token request. Expected: one line, nothing sent to the
endpoint, the exit of any other unusable SMART configuration (2). Plain http stays allowed where the
FHIR server itself is plain http on loopback (the repository's own test servers), for an endpoint on
loopback too; a configured endpoint is held to the same rule as a discovered one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import rsa

from fhir_eligibility.cli import main
from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.retrieval.auth import SmartBackendAuth
from tests.retrieval.test_smart_auth import Clock, _pem, config

HTTPS_BASE = "https://fhir.example.org/r4"
LOOPBACK_BASE = "http://127.0.0.1:18080/fhir"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _discovered(rsps: responses.RequestsMock, base: str, endpoint: str) -> Any:
    rsps.add(responses.GET, base + "/.well-known/smart-configuration", json={"token_endpoint": endpoint})
    token = {"access_token": "tok-SECRET", "token_type": "bearer", "expires_in": 300}
    return rsps.add(responses.POST, endpoint, json=token)


REFUSED = [
    (HTTPS_BASE, "http://0.0.0.0:18081/token"),
    (HTTPS_BASE, "http://auth.example.org/token"),
    (HTTPS_BASE, "http://127.0.0.1:18081/token"),  # loopback, but the FHIR server is https
    (LOOPBACK_BASE, "http://auth.example.org/token"),  # a loopback server naming a remote endpoint
    ("http://fhir.example.org/r4", "http://auth.example.org/token"),  # plain http off loopback
]


@pytest.mark.parametrize("configured", [False, True], ids=["discovered", "configured"])
@pytest.mark.parametrize(("base", "endpoint"), REFUSED)
def test_a_plain_http_token_endpoint_is_refused(
    rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey, base: str, endpoint: str, configured: bool
) -> None:
    trap = _discovered(rsps, base, endpoint)
    conf = config(rsa_key, token_endpoint=endpoint) if configured else config(rsa_key)
    auth = SmartBackendAuth(conf, base, clock=Clock())
    with pytest.raises(RetrievalError, match=r"token endpoint .* refused: not https") as e:
        auth.access_token()
    assert "\n" not in str(e.value)
    assert trap.call_count == 0


ALLOWED = [
    (HTTPS_BASE, "https://auth.example.org/token"),
    (LOOPBACK_BASE, "http://127.0.0.1:18081/token"),
    (LOOPBACK_BASE, "http://localhost:18081/token"),
    ("http://localhost:8080/fhir", "https://auth.example.org/token"),
]


@pytest.mark.parametrize(("base", "endpoint"), ALLOWED)
def test_https_or_loopback_to_loopback_is_used(
    rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey, base: str, endpoint: str
) -> None:
    trap = _discovered(rsps, base, endpoint)
    assert SmartBackendAuth(config(rsa_key), base, clock=Clock()).access_token() == "tok-SECRET"
    assert trap.call_count == 1


def test_the_command_says_it_in_one_line_exit_2(
    rsps: responses.RequestsMock,
    sleeps: list[float],
    rsa_key: rsa.RSAPrivateKey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    trap = _discovered(rsps, HTTPS_BASE, "http://0.0.0.0:18081/token")
    key = tmp_path / "smart.pem"
    key.write_bytes(_pem(rsa_key))
    args = ["evaluate", "--server", HTTPS_BASE, "--patient", "sample-01", "--as-of", "2026-06-01"]
    args += ["--trial", "NCT01842165", "--smart-client-id", "cid", "--smart-key", str(key), "--smart-key-id", "k1"]
    monkeypatch.setattr(sys, "argv", ["fhir-eligibility", *args])
    with pytest.raises(SystemExit) as e:
        main()
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    assert err.count("\n") == 1 and "not https" in err and "0.0.0.0:18081" in err, err
    assert trap.call_count == 0
