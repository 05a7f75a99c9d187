"""A SMART token endpoint that drips its answer costs one request deadline, not the run's patience.

Found by an adversarial review on a real loopback server: a token endpoint answering one byte at a
time kept ``evaluate --server --timeout 2`` busy for 400 s (ten token requests of 40 s: each read
met its per-read timeout, nothing bounded the whole), past the README's 3 x ``--timeout`` per request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.retrieval.auth import SmartBackendAuth, SmartBackendConfig
from tests.support.drip import Drip, dripping


@pytest.fixture()
def token_url() -> Iterator[str]:
    with dripping("/token") as url:
        yield url


def test_a_dripping_token_endpoint_fails_within_the_request_deadline_and_once(token_url: str) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    config = SmartBackendConfig("c1", pem, "k1", "ES384", token_endpoint=token_url)
    auth = SmartBackendAuth(config, "http://127.0.0.1:1/fhir", timeout=0.5)
    start = time.monotonic()
    with pytest.raises(RetrievalError, match="no usable answer"):
        auth.access_token()
    assert time.monotonic() - start < 3 * 0.5 + 1.0  # the per-request deadline, with slack
    start = time.monotonic()
    with pytest.raises(RetrievalError):  # every search of the run asks: answered at once, not re-sent
        auth.access_token()
    assert time.monotonic() - start < 0.5 and Drip.calls == 1
