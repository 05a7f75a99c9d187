"""CDS Hooks probes over real HTTP: JWT attacks, fhirServer allow-list tricks, client mistakes, and
faults of the allow-listed FHIR server behind the fallback.

Counts: 22 JWT attacks (+1 valid control), 20 allow-list tricks, 8 client mistakes, 11 fallback
faults and 2 prefetch-about-another-patient probes: 63 probes. A trap listener on another
127.0.0.1 port stands in for every host nobody allowed (including a ``jku``); it must receive
nothing. Client mistakes are 4xx with an OperationOutcome and never an ERROR log record; a
fallback fault is 412 (no cards rather than cards on partial data) or the clean answer.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from tests.hardening.faultserver import Running
from tests.service.support import (
    MINI_PATIENT,
    ClientKeys,
    LiveServer,
    _manual,
    auth_config,
    card_verdicts,
    emulate_prefetch,
    hook_body,
    open_config,
    patients_of,
    post,
)

CLEAN = {"NCT00000001": "needs-review"}  # the mini patient, worked out in test_server_faults.test_clean_run


@pytest.fixture(scope="module")
def keys() -> ClientKeys:
    return ClientKeys()


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory, keys: ClientKeys) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("cds-auth")
    config = auth_config(keys, tmp, jku_allow=("https://keys.example.org/jwks.json",))
    with LiveServer(config) as server:
        yield server


@pytest.fixture(scope="module")
def open_live(tmp_path_factory: pytest.TempPathFactory, fhir: Running) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("cds-open")
    config = open_config(tmp, allow_fhir_servers=(fhir.base,), fhir_timeout_seconds=1.0, fhir_retries=1)
    with LiveServer(config) as server:
        yield server


@pytest.fixture(scope="module")
def templates(open_live: LiveServer) -> dict[str, str]:
    return dict(requests.get(open_live.base + "/cds-services", timeout=10).json()["services"][0]["prefetch"])


def outcome(r: requests.Response, statuses: set[int]) -> None:
    assert r.status_code in statuses, (r.status_code, r.text)
    assert r.json()["resourceType"] == "OperationOutcome"
    assert "Traceback" not in r.text


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


# -- JWT attacks -----------------------------------------------------------------------------------


def _forged(header: dict[str, Any], aud: str) -> str:
    now = int(time.time())
    claims = {"iss": "https://ehr.example.org", "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    return _manual(header, claims, lambda _m: b"not-a-signature")


def jwt_attacks(keys: ClientKeys, aud: str, trap: str) -> dict[str, str | None]:
    attacker = ClientKeys(es=ec.generate_private_key(ec.SECP384R1()))
    now = time.time()
    return {
        "no token": None,
        "garbage": "abc.def",
        "alg none": keys.token(aud, alg="none"),
        "HS256 with the public key as secret": keys.token(aud, alg="HS256"),
        "RS256": keys.token(aud, alg="RS256"),
        "crit extension": _forged({"alg": "ES384", "typ": "JWT", "kid": "es-1", "crit": ["exp"]}, aud),
        "crit not a list": _forged({"alg": "ES384", "typ": "JWT", "kid": "es-1", "crit": 5}, aud),
        "kid a number": _forged({"alg": "ES384", "typ": "JWT", "kid": 5}, aud),
        "kid a list": _forged({"alg": "ES384", "typ": "JWT", "kid": ["es-1"]}, aud),
        "kid missing": _forged({"alg": "ES384", "typ": "JWT"}, aud),
        "unknown kid": keys.token(aud, kid="nope"),
        "jku on the trap": keys.token(aud, extra_headers={"jku": f"{trap}/jwks.json"}),
        "jku an object": _forged({"alg": "ES384", "typ": "JWT", "kid": "es-1", "jku": {"url": trap}}, aud),
        "attacker key, victim kid": attacker.token(aud),
        "ES384 naming the RSA key": keys.token(aud, kid="rs-1"),
        "typ JWS": keys.token(aud, extra_headers={"typ": "JWS"}),
        "expired": keys.token(aud, iat=now - 7200),
        "issued in the future": keys.token(aud, iat=now + 3600),
        "wrong audience": keys.token(aud + "/other"),
        "issuer not allowed": keys.token(aud, iss="https://evil.example.org"),
        "lifetime too long": keys.token(aud, lifetime=7200),
        "alg a list": _forged({"alg": ["ES384"], "typ": "JWT", "kid": "es-1"}, aud),
    }


def test_jwt_attacks_are_401_and_fetch_nothing(
    secured: LiveServer, keys: ClientKeys, trap: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = hook_body("p1", {})
    attacks = jwt_attacks(keys, secured.service_url, trap.base)
    assert len(attacks) == 22
    for name, token in attacks.items():
        r = post(secured.service_url, body, token)
        assert r.status_code == 401, (name, r.status_code, r.text)
        outcome(r, {401})
    assert trap.state.seen == []
    no_errors_logged(caplog)
    # the control: a valid token is accepted; replaying it is refused
    good = keys.token(secured.service_url)
    assert post(secured.service_url, body, good).status_code != 401
    outcome(post(secured.service_url, body, good), {401})


# -- fhirServer allow-list tricks ------------------------------------------------------------------


def allow_list_tricks(good: Running, trap: Running) -> dict[str, tuple[object, set[int]]]:
    g, t = good.port, trap.port
    return {
        "backslash before @": (f"http://127.0.0.1:{t}\\@127.0.0.1:{g}/fhir", {400}),
        "backslash after host": (f"http://127.0.0.1:{g}\\@127.0.0.1:{t}/fhir", {400}),
        "userinfo naming the allowed host": (f"http://127.0.0.1:{g}@127.0.0.1:{t}/fhir", {400}),
        "userinfo on the allowed host": (f"http://user:pw@127.0.0.1:{g}/fhir", {400}),
        "port abc": ("http://127.0.0.1:abc/fhir", {400}),
        "port 99999": ("http://127.0.0.1:99999/fhir", {400}),
        "port 0": ("http://127.0.0.1:0/fhir", {400}),
        "fragment with @": (f"http://127.0.0.1:{g}/fhir#@127.0.0.1:{t}", {400}),
        "query with @": (f"http://127.0.0.1:{g}/fhir?@127.0.0.1:{t}", {400}),
        "space in host": (f"http://127.0.0.1 :{g}/fhir", {400}),
        "tab": (f"http://127.0.0.1:{g}/fhir\t", {400}),
        "CR LF": (f"http://127.0.0.1:{g}/fhir\r\nHost: 127.0.0.1:{t}", {400}),
        "non-ASCII dot": (f"http://127.0.0.1:{g}\u3002evil/fhir", {400}),
        "file scheme": ("file:///etc/passwd", {400}),
        "not a string": (5, {400}),
        "another port": (f"http://127.0.0.1:{t}/fhir", {412}),
        "dot segments out of the base": (f"http://127.0.0.1:{g}/fhir/../other", {412}),
        "base as prefix": (f"http://127.0.0.1:{g}/fhirx", {412}),
        "https instead of http": (f"https://127.0.0.1:{g}/fhir", {412}),
        "decimal IP of the trap": (f"http://2130706433:{t}/fhir", {412}),
    }


def test_allow_list_tricks_never_reach_another_host(
    open_live: LiveServer, fhir: Running, trap: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    tricks = allow_list_tricks(fhir, trap)
    assert len(tricks) == 20
    for name, (url, statuses) in tricks.items():
        body = hook_body("p1", {}, access_token="s3cret")
        body["fhirServer"] = url
        body.pop("prefetch")  # every key missing: the fallback would fetch them all
        r = post(open_live.service_url, body)
        assert r.status_code in statuses, (name, r.status_code, r.text)
        outcome(r, statuses)
    assert trap.state.seen == []
    assert fhir.state.seen == []  # refused before any connection, even to the allowed server
    no_errors_logged(caplog)


# -- client mistakes -------------------------------------------------------------------------------


def test_client_mistakes_are_4xx(open_live: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    url = open_live.service_url
    entry_int = hook_body("p1", {"condition": {"resourceType": "Bundle", "type": "searchset", "entry": 5}})
    link_int = hook_body("p1", {"condition": {"resourceType": "Bundle", "type": "searchset", "link": 5}})
    surrogate = (
        b'{"feedback": [{"card": "\\ud800", "outcome": "accepted", "outcomeTimestamp": "2026-06-01T10:00:00Z"}]}'
    )
    probes: list[tuple[str, bytes | dict[str, Any]]] = [
        (url, b"[" * 100_000 + b"]" * 100_000),
        (url, b'{"a":' * 200 + b"1" + b"}" * 200),
        (url + "/feedback", surrogate),
        (url + "/feedback", b'{"\\udfff": 1}'),
        (url, json.dumps(hook_body("p\ud800", {}), ensure_ascii=True).encode()),
        (url, b'{"hook": "patient-view", "n": ' + b"9" * 100_000 + b"}"),
    ]
    for target, body in probes:
        r = post(target, body)
        outcome(r, {400})
    # a prefetched search the service cannot read is not prefetched: without a fhirServer to fetch it
    # from, 412 saying why (with one, it is fetched: a faulty prefetch is never read as "no such data")
    for body in (entry_int, link_int):
        r = post(url, body)
        outcome(r, {412})
        assert "condition: malformed Bundle" in r.json()["issue"][0]["diagnostics"]
    no_errors_logged(caplog)


# -- faults of the allow-listed server behind the fallback -----------------------------------------


def fallback(open_live: LiveServer, fhir: Running, prefetch: dict[str, Any] | None = None) -> requests.Response:
    body = hook_body("p1", prefetch, fhir_server=fhir.base, access_token="s3cret")
    return post(open_live.service_url, body)


def test_fallback_clean(open_live: LiveServer, fhir: Running, trap: Running) -> None:
    r = fallback(open_live, fhir)
    assert r.status_code == 200, r.text
    assert card_verdicts(r.json()) == CLEAN
    assert all(s.headers.get("Authorization") == "Bearer s3cret" for s in fhir.state.seen)


@pytest.mark.parametrize(
    "fault",
    [
        "500",
        "trickle",
        "drop",
        "invalid-json",
        "outcome-in-bundle",
        "wrong-patient",
        "total-mismatch",
        "redirect-307",
        "foreign-next",
        "backslash-next",
        "entry-int",
    ],
)
def test_fallback_fault(
    fault: str, open_live: LiveServer, fhir: Running, trap: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fhir.state.fault, fhir.state.target = fault, "Condition"
    started = time.monotonic()
    r = fallback(open_live, fhir)
    assert time.monotonic() - started < 8  # 1 s FHIR timeout: 2 s per request, 3 s per hook call
    if r.status_code == 200:
        assert card_verdicts(r.json()) == CLEAN
    else:
        outcome(r, {412})
    assert trap.state.seen == []
    no_errors_logged(caplog)


def test_prefetch_about_another_patient_is_not_complete(
    open_live: LiveServer, fhir: Running, templates: dict[str, str]
) -> None:
    (data,) = patients_of(MINI_PATIENT)
    prefetch = emulate_prefetch(templates, data)
    key = next(k for k, q in templates.items() if q.startswith("Condition"))
    other = json.loads(json.dumps(prefetch[key]).replace("Patient/p1", "Patient/p2"))
    prefetch[key] = other
    # without a fhirServer the key cannot be had: 412, not "no diagnosis" (which would be ineligible)
    outcome(post(open_live.service_url, hook_body("p1", prefetch)), {412})
    # with one, it is fetched there and the answer is the clean one
    r = fallback(open_live, fhir, prefetch)
    assert r.status_code == 200 and card_verdicts(r.json()) == CLEAN
    assert any(s.path.startswith("/fhir/Condition") for s in fhir.state.seen)
