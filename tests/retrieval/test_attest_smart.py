"""``attest --server`` reaches the server as ``evaluate --server`` does (issue 14 item 4): SMART Backend Services
(a signed one-time client assertion for an access token, asking to create what attest writes), the same TLS and
timeout options; the access token goes to the configured FHIR base only, never to another host, never to a log."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import rsa

from fhir_eligibility.cli import cli
from tests.retrieval.fake_fhir import BASE
from tests.retrieval.test_smart_auth import TOKEN_URL, TokenServer, _pem

A = "NCT04954820"
EVIL = "https://evil.example.net/r4"


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[rsa.RSAPrivateKey, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("smart") / "key.pem"
    path.write_bytes(_pem(key))
    return key, path


def _transaction_reply(request: requests.PreparedRequest) -> Any:
    bundle = json.loads(request.body or b"{}")
    entries = [{"response": {"status": "201 Created"}} for _ in bundle["entry"]]
    return 200, {}, json.dumps({"resourceType": "Bundle", "type": "transaction-response", "entry": entries})


def _attest(key: Path, *extra: str) -> Any:
    args = ["attest", A, "--patient", "p1", "--item", "A-I14=yes", "--author", "Dr Who", "--server", BASE]
    smart = ["--smart-client-id", "elig-client", "--smart-key", str(key), "--smart-key-id", "k1"]
    return CliRunner().invoke(cli, [*args, *smart, *extra])


def test_attest_gets_a_smart_token_and_posts_with_it(
    rsps: responses.RequestsMock, key_file: tuple[rsa.RSAPrivateKey, Path], caplog: pytest.LogCaptureFixture
) -> None:
    key, path = key_file
    tokens = TokenServer(rsps, key.public_key(), "RS384")
    rsps.add_callback(responses.POST, BASE, _transaction_reply)
    with caplog.at_level(logging.DEBUG):
        r = _attest(path)
    assert r.exit_code == 0, r.output
    (header, claims) = tokens.assertions[0]  # verified with the public key by the fake token endpoint
    assert header["kid"] == "k1" and claims["iss"] == claims["sub"] == "elig-client" and claims["aud"] == TOKEN_URL
    assert tokens.forms[0]["scope"] == ["system/QuestionnaireResponse.c system/Provenance.c"]
    posts = [c.request for c in rsps.calls if c.request.method == "POST" and c.request.url == BASE]
    assert len(posts) == 1 and posts[0].headers["Authorization"] == "Bearer tok-1-SECRET"
    sent = json.loads(posts[0].body or b"{}")
    assert [e["resource"]["resourceType"] for e in sent["entry"]] == ["QuestionnaireResponse", "Provenance"]
    assert "SECRET" not in r.output and "SECRET" not in caplog.text


def test_the_token_never_goes_to_another_host(
    rsps: responses.RequestsMock, key_file: tuple[rsa.RSAPrivateKey, Path]
) -> None:
    key, path = key_file
    TokenServer(rsps, key.public_key(), "RS384")
    rsps.add(responses.POST, BASE, status=307, headers={"Location": EVIL})
    rsps.add_callback(responses.POST, EVIL, _transaction_reply)
    r = _attest(path)
    assert r.exit_code != 0  # not created: the redirect is not followed
    assert not [c for c in rsps.calls if c.request.url.startswith("https://evil.")]
    assert "SECRET" not in r.output


def test_a_smart_key_needs_its_client_and_key_ids(key_file: tuple[rsa.RSAPrivateKey, Path]) -> None:
    r = CliRunner().invoke(
        cli, ["attest", A, "--patient", "p1", "--item", "A-I14=yes", "--server", BASE, "--smart-key", str(key_file[1])]
    )
    assert r.exit_code == 2 and "--smart-client-id" in r.output
