"""The client JWT check, one rule per test (no HTTP: the verifier is called directly)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from fhir_eligibility.errors import InputError
from fhir_eligibility.service.security import (
    AuthError,
    JkuCache,
    ReplayCache,
    TokenVerifier,
    load_jwks_file,
    parse_jwks,
)
from tests.service.support import ISSUER, ClientKeys

AUD = "http://127.0.0.1:8080/cds-services/trial-eligibility"
JKU = "https://ehr.example.org/.well-known/jwks.json"


@pytest.fixture(scope="module")
def keys() -> ClientKeys:
    return ClientKeys()


def verifier(keys: ClientKeys, **kw: object) -> TokenVerifier:
    return TokenVerifier(issuers=[ISSUER], keys=parse_jwks(keys.jwks(), "test"), **kw)  # type: ignore[arg-type]


def bearer(token: str) -> str:
    return f"Bearer {token}"


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_good_token(keys: ClientKeys, alg: str) -> None:
    claims = verifier(keys).verify(bearer(keys.token(AUD, alg=alg)), AUD)
    assert claims.issuer == ISSUER


def test_audience_may_be_a_list_containing_the_endpoint(keys: ClientKeys) -> None:
    import jwt

    now = int(time.time())
    tok = jwt.encode(
        {"iss": ISSUER, "aud": ["https://other", AUD], "iat": now, "exp": now + 60, "jti": "j1"},
        keys.es,
        algorithm="ES384",
        headers={"kid": "es-1", "typ": "JWT"},
    )
    verifier(keys).verify(bearer(tok), AUD)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda k: k.token(AUD, alg="HS256", kid="es-1"), "algorithm not allowed"),
        (lambda k: k.token(AUD, alg="none"), "algorithm not allowed"),
        (lambda k: k.token(AUD, alg="RS256"), "algorithm not allowed"),
        (lambda k: k.token(AUD + "/feedback"), "wrong audience"),
        (lambda k: k.token("http://127.0.0.1:8080/cds-services"), "wrong audience"),
        (lambda k: k.token(AUD, iat=time.time() - 3600, lifetime=300), "token expired"),
        (lambda k: k.token(AUD, iat=time.time() + 600), "issued in the future"),
        (lambda k: k.token(AUD, lifetime=86400), "lifetime too long"),
        # exp 10 s before iat (now): within the 30 s leeway of expiry, accepted before
        (lambda k: k.token(AUD, lifetime=-10), "expires before it was issued"),
        (lambda k: k.token(AUD, kid="nope"), "unknown key id"),
        (lambda k: k.token(AUD, iss="https://evil.example.org"), "issuer not allowed"),
        (lambda k: k.token(AUD, alg="ES384", kid="rs-1"), "key unusable"),
        (lambda k: k.token(AUD, extra_headers={"typ": "at+jwt"}), "typ must be JWT"),
        (lambda k: k.token(AUD, extra_headers={"jku": JKU}), "jku not allowed"),
        (lambda k: "not-a-jwt", "malformed token"),
    ],
)
def test_bad_tokens(keys: ClientKeys, make: object, reason: str) -> None:
    token = make(keys)  # type: ignore[operator]
    with pytest.raises(AuthError, match=reason):
        verifier(keys).verify(bearer(token), AUD)


def test_bad_signature(keys: ClientKeys) -> None:
    other = ClientKeys()
    with pytest.raises(AuthError, match="bad signature"):
        verifier(keys).verify(bearer(other.token(AUD)), AUD)


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "bearer"])
def test_missing_bearer(keys: ClientKeys, header: str | None) -> None:
    with pytest.raises(AuthError, match="bearer token required"):
        verifier(keys).verify(header, AUD)


def test_replayed_jti_is_refused_until_expiry(keys: ClientKeys) -> None:
    now = [time.time()]
    v = verifier(keys, replay=ReplayCache(clock=lambda: now[0]))
    tok = keys.token(AUD, jti="same", lifetime=60)
    v.verify(bearer(tok), AUD)
    with pytest.raises(AuthError, match="replayed"):
        v.verify(bearer(tok), AUD)
    # another token reusing the jti after the first expired is fine (entries expire with the token)
    now[0] += 200
    v.replay.check_and_add(ISSUER, "same", now[0] + 60)


def test_replay_cache_is_bounded() -> None:
    now = [1000.0]
    cache = ReplayCache(max_entries=2, clock=lambda: now[0])
    cache.check_and_add("i", "a", 1010)
    cache.check_and_add("i", "b", 1010)
    with pytest.raises(AuthError, match="too many"):
        cache.check_and_add("i", "c", 1010)
    now[0] = 1020  # a and b expired: pruned to make room
    cache.check_and_add("i", "c", 1030)
    assert len(cache) == 1


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_small_rsa_keys_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    jwk = {**json.loads(RSAAlgorithm.to_jwk(small.public_key())), "kid": "small"}
    import jwt

    now = int(time.time())
    tok = jwt.encode(
        {"iss": ISSUER, "aud": AUD, "iat": now, "exp": now + 60, "jti": "x"},
        small,
        algorithm="RS384",
        headers={"kid": "small", "typ": "JWT"},
    )
    v = TokenVerifier(issuers=[ISSUER], keys={"small": jwk})
    with pytest.raises(AuthError, match="key unusable"):
        v.verify(bearer(tok), AUD)


def test_wrong_curve_is_refused() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    jwk = {**json.loads(ECAlgorithm.to_jwk(p256.public_key())), "kid": "p256"}
    import jwt

    now = int(time.time())
    tok = jwt.encode(
        {"iss": ISSUER, "aud": AUD, "iat": now, "exp": now + 60, "jti": "x"},
        p256,
        algorithm="ES256",
        headers={"kid": "p256", "typ": "JWT"},
    )
    v = TokenVerifier(issuers=[ISSUER], keys={"p256": jwk})
    with pytest.raises(AuthError, match="algorithm not allowed"):
        v.verify(bearer(tok), AUD)


def test_jwks_files_must_hold_public_asymmetric_keys(tmp_path: Path, keys: ClientKeys) -> None:
    priv = json.loads(ECAlgorithm.to_jwk(keys.es))
    for bad, message in [
        ({"keys": [{**priv, "kid": "k"}]}, "private key material"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "k"}]}, "only RSA and EC"),
        ({"keys": [{"kty": "EC"}]}, "no kid"),
        ({"keys": keys.jwks()["keys"] * 2}, "duplicate kid"),
        ({"nokeys": []}, "not a JWK Set"),
    ]:
        f = tmp_path / "jwks.json"
        f.write_text(json.dumps(bad))
        with pytest.raises(InputError, match=message):
            load_jwks_file(f)


@responses.activate
def test_allow_listed_jku_is_fetched_once_and_cached(keys: ClientKeys) -> None:
    responses.get(JKU, json=keys.jwks())
    v = TokenVerifier(issuers=[ISSUER], jku=JkuCache([JKU], timeout=2))
    for _ in range(3):
        v.verify(bearer(keys.token(AUD, extra_headers={"jku": JKU})), AUD)
    assert len(responses.calls) == 1


@responses.activate
def test_jku_not_on_the_allow_list_is_never_fetched(keys: ClientKeys) -> None:
    other = "https://evil.example.org/jwks.json"
    responses.get(other, json=keys.jwks())
    v = TokenVerifier(issuers=[ISSUER], jku=JkuCache([JKU]))
    with pytest.raises(AuthError, match="jku not allowed"):
        v.verify(bearer(keys.token(AUD, extra_headers={"jku": other})), AUD)
    assert len(responses.calls) == 0


@responses.activate
def test_jku_failure_is_an_auth_error(keys: ClientKeys) -> None:
    responses.get(JKU, status=500)
    v = TokenVerifier(issuers=[ISSUER], jku=JkuCache([JKU]))
    with pytest.raises(AuthError, match="jku unavailable"):
        v.verify(bearer(keys.token(AUD, extra_headers={"jku": JKU})), AUD)


@responses.activate
def test_unknown_kid_refetches_a_stale_jku_at_most_every_30_seconds(keys: ClientKeys) -> None:
    responses.get(JKU, json={"keys": []})
    now = [0.0]
    cache = JkuCache([JKU], clock=lambda: now[0])
    assert cache.key(JKU, "es-1") is None
    assert cache.key(JKU, "es-1") is None
    assert len(responses.calls) == 1
    now[0] = 31.0
    responses.replace(responses.GET, JKU, json=keys.jwks())
    assert cache.key(JKU, "es-1") is not None
    assert len(responses.calls) == 2


@responses.activate
def test_jku_redirect_is_not_followed(keys: ClientKeys) -> None:
    responses.get(JKU, status=302, headers={"Location": "https://evil.example.org/jwks.json"})
    trap = responses.get("https://evil.example.org/jwks.json", json=keys.jwks())
    v = TokenVerifier(issuers=[ISSUER], jku=JkuCache([JKU]))
    with pytest.raises(AuthError, match="jku unavailable"):
        v.verify(bearer(keys.token(AUD, extra_headers={"jku": JKU})), AUD)
    assert trap.call_count == 0
