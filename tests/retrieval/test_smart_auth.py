"""SMART Backend Services: discovery, the client assertion (checked with the public key), reuse, renewal."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from fhir_eligibility.errors import AuthorizationError, InputError, RetrievalError
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.retrieval.auth import (
    ASSERTION_TYPE,
    Algorithm,
    BearerAuth,
    SmartBackendAuth,
    SmartBackendConfig,
    bearer_token_from_env,
)
from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients
from tests.retrieval.fake_fhir import BASE, FakeFhir, patient

TOKEN_URL = "https://auth.example.org/token"
REQS = [DataRequirement("Condition", criteria=frozenset({"x"}))]


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


class TokenServer:
    """Discovery document + token endpoint that verifies each assertion like a real server would."""

    def __init__(self, rsps: responses.RequestsMock, public_key: Any, alg: str, *, expires_in: int = 300) -> None:
        self.public_key = public_key
        self.alg = alg
        self.expires_in = expires_in
        self.assertions: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (header, claims)
        self.forms: list[dict[str, list[str]]] = []
        self.discoveries = 0
        self.refuse = False
        self.leeway = 0.0  # seconds of clock difference tolerated (tests that move a fake clock)
        self.delay = 0.0  # seconds the token endpoint takes to answer
        rsps.add_callback(responses.GET, BASE + "/.well-known/smart-configuration", self._discovery)
        rsps.add_callback(responses.POST, TOKEN_URL, self._token)

    def _discovery(self, request: requests.PreparedRequest) -> Any:
        self.discoveries += 1
        conf = {
            "token_endpoint": TOKEN_URL,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        }
        return 200, {}, json.dumps(conf)

    def _token(self, request: requests.PreparedRequest) -> Any:
        time.sleep(self.delay)
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        form = parse_qs(str(request.body))
        self.forms.append(form)
        assertion = form["client_assertion"][0]
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(
            assertion,
            self.public_key,
            algorithms=[self.alg],
            audience=TOKEN_URL,
            leeway=self.leeway,
            options={"require": ["iss", "sub", "aud", "exp", "jti"]},
        )
        self.assertions.append((header, claims))
        if self.refuse:
            return 400, {}, '{"error": "invalid_client"}'
        n = len(self.assertions)
        token = {"access_token": f"tok-{n}-SECRET", "token_type": "bearer", "expires_in": self.expires_in}
        return 200, {}, json.dumps(token)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()  # the server side checks exp/iat against the real clock

    def __call__(self) -> float:
        return self.now


def config(key: Any, alg: Algorithm = "RS384", **kw: Any) -> SmartBackendConfig:
    return SmartBackendConfig(client_id="elig-client", private_key_pem=_pem(key), key_id="k1", algorithm=alg, **kw)


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_token_fetch_with_a_verified_client_assertion(
    rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey, alg: Algorithm
) -> None:
    key = rsa_key if alg == "RS384" else ec_key
    server = TokenServer(rsps, key.public_key(), alg)
    clock = Clock()
    auth = SmartBackendAuth(config(key, alg, jku="https://us.example.org/jwks.json"), BASE, clock=clock)
    assert auth.access_token() == "tok-1-SECRET"

    (header, claims) = server.assertions[0]
    assert header == {"alg": alg, "kid": "k1", "typ": "JWT", "jku": "https://us.example.org/jwks.json"}
    assert claims["iss"] == claims["sub"] == "elig-client"
    assert claims["aud"] == TOKEN_URL
    assert 0 < claims["exp"] - clock.now <= 300
    form = server.forms[0]
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_assertion_type"] == [ASSERTION_TYPE]
    assert "system/Observation.rs" in form["scope"][0]
    assert server.discoveries == 1


def test_assertions_are_one_time(rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey) -> None:
    server = TokenServer(rsps, rsa_key.public_key(), "RS384")
    auth = SmartBackendAuth(config(rsa_key, token_endpoint=TOKEN_URL), BASE, clock=Clock())
    for _ in range(3):
        auth.invalidate()
        auth.access_token()
    assert len({claims["jti"] for _, claims in server.assertions}) == 3
    assert server.discoveries == 0  # configured endpoint: no discovery


def test_token_is_reused_then_renewed_before_expiry(rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey) -> None:
    server = TokenServer(rsps, rsa_key.public_key(), "RS384", expires_in=300)
    server.leeway = 600
    clock = Clock()
    auth = SmartBackendAuth(config(rsa_key), BASE, clock=clock)
    assert auth.access_token() == "tok-1-SECRET"
    clock.now += 269  # 31 s left: still good
    assert auth.access_token() == "tok-1-SECRET"
    clock.now += 2  # 29 s left: inside the 30 s margin
    assert auth.access_token() == "tok-2-SECRET"
    assert len(server.assertions) == 2 and server.discoveries == 1


def test_fhir_requests_share_one_token(rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey) -> None:
    server = TokenServer(rsps, rsa_key.public_key(), "RS384")
    FakeFhir([patient("p1")], batch=False).install(rsps)
    options = ServerOptions(BASE, smart=config(rsa_key))
    list(fetch_patients(options, ["p1"], REQS))
    urls = [str(c.request.url) for c in rsps.calls]
    fhir_calls = [
        c for c, u in zip(rsps.calls, urls, strict=True) if u.startswith(BASE + "/") and "well-known" not in u
    ]
    assert len(fhir_calls) == 3  # metadata, Patient, Condition
    assert {c.request.headers["Authorization"] for c in fhir_calls} == {"Bearer tok-1-SECRET"}
    assert len(server.assertions) == 1
    token_call = next(c for c in rsps.calls if c.request.url == TOKEN_URL)
    assert "Authorization" not in token_call.request.headers


def test_401_renews_the_token_once(rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey) -> None:
    server = TokenServer(rsps, rsa_key.public_key(), "RS384")
    fake = FakeFhir([patient("p1")], batch=False)
    fake.install(rsps)
    fake.faults["Condition"] = [401]
    options = ServerOptions(BASE, smart=config(rsa_key))
    (data,) = list(fetch_patients(options, ["p1"], REQS))
    assert data.unavailable == ()
    assert len(server.assertions) == 2

    fake.faults["Condition"] = [401, 401]
    with pytest.raises(AuthorizationError, match="HTTP 401"):
        list(fetch_patients(options, ["p1"], REQS))


def test_refused_client_is_an_authorization_error(rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey) -> None:
    server = TokenServer(rsps, rsa_key.public_key(), "RS384")
    server.refuse = True
    auth = SmartBackendAuth(config(rsa_key), BASE, clock=Clock())
    with pytest.raises(AuthorizationError, match="invalid_client") as info:
        auth.access_token()
    assert "\n" not in str(info.value) and "eyJ" not in str(info.value)


def test_missing_smart_configuration_is_a_retrieval_error(
    rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey
) -> None:
    rsps.add(responses.GET, BASE + "/.well-known/smart-configuration", status=404)
    auth = SmartBackendAuth(config(rsa_key), BASE, clock=Clock())
    with pytest.raises(RetrievalError, match="token endpoint"):
        auth.access_token()


def test_key_must_fit_the_algorithm(rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> None:
    with pytest.raises(InputError):
        config(rsa_key, "ES384").signing_key()
    with pytest.raises(InputError):
        config(ec_key, "RS384").signing_key()
    with pytest.raises(InputError):
        SmartBackendConfig(client_id="c", private_key_pem=b"not a key", key_id="k").signing_key()
    with pytest.raises(InputError):
        config(rsa_key, assertion_lifetime=600)


def test_secrets_stay_out_of_reprs_and_logs(
    rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    TokenServer(rsps, rsa_key.public_key(), "RS384")
    FakeFhir([patient("p1")]).install(rsps)
    cfg = config(rsa_key)
    list(fetch_patients(ServerOptions(BASE, smart=cfg), ["p1"], REQS))
    assert "PRIVATE KEY" not in repr(cfg)
    assert "SECRET" not in repr(BearerAuth("tok-SECRET"))
    assert "SECRET" not in caplog.text and "eyJ" not in caplog.text


def test_bearer_token_from_env() -> None:
    assert bearer_token_from_env({"FHIR_ELIGIBILITY_TOKEN": " t1 "}) == "t1"
    assert bearer_token_from_env({"FHIR_ELIGIBILITY_TOKEN": ""}) is None
    assert bearer_token_from_env({}) is None
    with pytest.raises(InputError):
        BearerAuth("a\nb")


def test_token_and_smart_together_are_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(InputError):
        ServerOptions(BASE, bearer_token="t", smart=config(rsa_key))


def test_token_requests_use_the_tls_settings(rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey) -> None:
    TokenServer(rsps, rsa_key.public_key(), "RS384")
    FakeFhir([patient("p1")]).install(rsps)
    list(fetch_patients(ServerOptions(BASE, smart=config(rsa_key), ca_bundle="/ca.pem"), ["p1"], REQS))
    assert {c.request.req_kwargs["verify"] for c in rsps.calls} == {"/ca.pem"}  # type: ignore[attr-defined]


def test_token_endpoint_redirect_is_not_followed(rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey) -> None:
    # issue 12: a 307 would re-POST the signed client assertion to wherever it points
    rsps.add(responses.POST, TOKEN_URL, status=307, headers={"Location": "https://evil.example.org/token"})
    trap = rsps.add(responses.POST, "https://evil.example.org/token", json={"access_token": "x"})
    auth = SmartBackendAuth(config(rsa_key, token_endpoint=TOKEN_URL), BASE, clock=Clock())
    with pytest.raises(RetrievalError, match="redirect"):
        auth.access_token()
    assert trap.call_count == 0


def test_ambiguous_discovered_token_endpoint_is_refused(
    rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey
) -> None:
    evil = "https://auth.example.org\\@evil.example.org/token"
    rsps.add(responses.GET, BASE + "/.well-known/smart-configuration", json={"token_endpoint": evil})
    auth = SmartBackendAuth(config(rsa_key), BASE, clock=Clock())
    with pytest.raises(RetrievalError, match="token_endpoint refused"):
        auth.access_token()
    assert all("evil" not in (c.request.url or "") for c in rsps.calls)


def test_configured_token_endpoint_gets_the_url_policy(
    rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey
) -> None:
    # issue 11: the token request goes through the one send(), whose URL check refuses user information
    trap = rsps.add(responses.POST, "https://auth.example.org/token", json={"access_token": "x"})
    auth = SmartBackendAuth(config(rsa_key, token_endpoint="https://me@auth.example.org/token"), BASE, clock=Clock())
    with pytest.raises(RetrievalError, match=r"token endpoint refused .*user information"):
        auth.access_token()
    assert trap.call_count == 0


def test_smart_configuration_redirect_is_not_followed(rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey) -> None:
    url = BASE + "/.well-known/smart-configuration"
    rsps.add(responses.GET, url, status=302, headers={"Location": "https://evil.example.org/conf"})
    trap = rsps.add(responses.GET, "https://evil.example.org/conf", json={"token_endpoint": TOKEN_URL})
    auth = SmartBackendAuth(config(rsa_key), BASE, clock=Clock())
    with pytest.raises(RetrievalError, match="HTTP 302"):
        auth.access_token()
    assert trap.call_count == 0


@pytest.mark.parametrize("expires_in", [10**400, float("inf"), float("nan"), True, -5])
def test_an_absurd_token_lifetime_is_bounded_not_a_traceback(
    rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey, expires_in: Any
) -> None:
    """A token endpoint answering ``expires_in`` 10**400 overflowed float() (a traceback); inf, NaN, a
    boolean or a negative number are no lifetime either. The token is used, and renewed within a day."""
    server = TokenServer(rsps, rsa_key.public_key(), "RS384")
    server.expires_in = expires_in
    server.leeway = 10**6
    clock = Clock()
    auth = SmartBackendAuth(config(rsa_key), BASE, clock=clock)
    assert auth.access_token() == "tok-1-SECRET"
    clock.now += 86_400  # a day later: renewed whatever it said
    assert auth.access_token() == "tok-2-SECRET"


def test_a_slow_token_endpoint_does_not_use_up_the_fhir_request_deadline(
    rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey
) -> None:
    """The token was fetched inside the first FHIR request, on its deadline: a slow token endpoint
    made that request fail as if the FHIR server had not answered in time."""
    server = TokenServer(rsps, rsa_key.public_key(), "RS384")
    server.delay = 1.5  # longer than a FHIR request may take, well within the token request's timeout
    FakeFhir([patient("p1")], batch=False).install(rsps)
    options = ServerOptions(BASE, smart=config(rsa_key), timeout=5, request_deadline=1.0)
    (data,) = list(fetch_patients(options, ["p1"], REQS))
    assert data.unavailable == ()  # every search answered; none failed on the token's time
    assert len(server.assertions) == 1
