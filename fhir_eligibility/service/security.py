"""Authenticate CDS clients: the CDS Hooks 2.0 bearer JWT, checked as the spec and RFC 7515/7519 ask.

Checks, in order (cheap and unauthenticated ones first, so a bad token costs nothing):

1. ``Authorization: Bearer <JWT>`` present; header ``typ`` JWT, ``kid`` present, ``alg`` RS384 or
   ES384 only (never ``none``, never HMAC: a shared secret would let any client forge another's
   tokens; never RS256: the spec names the 384-bit algorithms).
2. Key by ``kid``: from the token's ``jku`` only if that URL is allow-listed (fetched with a timeout,
   cached, refetched at most every 30 s for an unknown kid), else from the configured JWKS file.
   The key type must fit the algorithm (RSA >= 2048 bits for RS384, EC P-384 for ES384).
3. Signature, then claims: ``iss`` in the allow-list, ``aud`` equal to the exact URL called (its
   default port written out or not), ``exp`` and ``iat`` with a small leeway, a bounded lifetime
   (``exp`` not before ``iat``: the leeway is for clocks, not for a token expired when issued),
   ``jti`` present; ``exp``, ``iat`` and ``nbf`` JSON numbers a float holds (``10**400`` or ``"123"``
   is an invalid token, not a 500).
4. ``jti`` not seen before from that issuer (in-memory cache; entries expire with their token).

Nothing here logs or returns the token; :class:`AuthError` reasons are short fixed phrases.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from fhir_eligibility.errors import InputError
from fhir_eligibility.retrieval.http import HttpError, HttpSession, new_session
from fhir_eligibility.retrieval.transport import Fault, exchange
from fhir_eligibility.retrieval.urlpolicy import DEFAULT_PORTS, UnsafeUrl, no_credentials, target

log = logging.getLogger(__name__)

ALGORITHMS = ("RS384", "ES384")
MIN_RSA_BITS = 2048
MIN_REFETCH_SECONDS = 30.0
MAX_JWKS_BYTES = 1 << 20  # a key set is a few kilobytes
MAX_REPLAY_ENTRIES = 100_000

Jwk = dict[str, Any]


class AuthError(Exception):
    """The request is not authenticated; ``reason`` is safe to return to the client and to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claims:
    issuer: str
    jti: str
    expires: float
    tenant: str | None = None


def parse_jwks(data: object, where: str) -> dict[str, Jwk]:
    """kid -> public JWK. Private or symmetric keys and duplicate kids are refused (a config error)."""
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list):
        raise InputError(f"{where}: not a JWK Set (no 'keys' array)")
    out: dict[str, Jwk] = {}
    for i, k in enumerate(keys):
        if not isinstance(k, dict) or not isinstance(k.get("kid"), str) or not k["kid"]:
            raise InputError(f"{where}: key {i} has no kid")
        if k.get("kty") not in ("RSA", "EC"):
            raise InputError(f"{where}: key {k['kid']!r}: only RSA and EC public keys are accepted")
        if "d" in k:
            raise InputError(f"{where}: key {k['kid']!r} holds private key material; publish public keys only")
        if k["kid"] in out:
            raise InputError(f"{where}: duplicate kid {k['kid']!r}")
        out[k["kid"]] = k
    return out


def load_jwks_file(path: Path) -> dict[str, Jwk]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: cannot read JWK Set ({e.__class__.__name__})") from None
    return parse_jwks(data, str(path))


class JkuCache:
    """JWK Sets fetched from allow-listed ``jku`` URLs, cached for ``ttl`` seconds."""

    def __init__(
        self,
        allowed: Iterable[str],
        *,
        timeout: float = 5.0,
        ttl: float = 300.0,
        session: HttpSession | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allowed = frozenset(allowed)
        self.timeout = timeout
        self.ttl = ttl
        self.session = session or new_session()
        self.clock = clock
        self._cache: dict[str, tuple[float, dict[str, Jwk]]] = {}
        # url -> when its last fetch failed: anyone may name an allowed jku before any signature is
        # checked, so a dead or slow key host costs one fetch per MIN_REFETCH_SECONDS, not one per call
        self._failed: dict[str, float] = {}
        self._lock = threading.Lock()

    def key(self, url: str, kid: str) -> Jwk | None:
        if url not in self.allowed:
            raise AuthError("jku not allowed")
        with self._lock:
            now = self.clock()
            failed = self._failed.get(url)
            if failed is not None and now - failed < MIN_REFETCH_SECONDS:
                raise AuthError("jku unavailable")
            cached = self._cache.get(url)
            stale = cached is None or now - cached[0] > self.ttl
            unknown = cached is not None and kid not in cached[1] and now - cached[0] > MIN_REFETCH_SECONDS
            if stale or unknown:
                try:
                    keys = self._fetch(url)
                except AuthError:
                    self._failed[url] = now
                    raise
                self._failed.pop(url, None)
                self._cache[url] = (now, keys)
                cached = (now, keys)
            assert cached is not None
            return cached[1].get(kid)

    def _fetch(self, url: str) -> dict[str, Jwk]:
        """The key set, whole within ``timeout`` seconds (a host that drips it is a failure) and at
        most MAX_JWKS_BYTES."""
        accept = {"Accept": "application/json"}
        try:
            r = exchange(
                self.session,
                "GET",
                url,
                allow=no_credentials,
                deadline=time.monotonic() + self.timeout,
                timeouts=(self.timeout, self.timeout),
                headers=accept,
                max_bytes=MAX_JWKS_BYTES,
            )
        except (HttpError, UnsafeUrl, Fault) as e:
            log.warning("JWK Set fetch failed: %s", "URL refused" if isinstance(e, UnsafeUrl) else e.cause)
            raise AuthError("jku unavailable") from None
        if r.status != 200:
            log.warning("JWK Set fetch failed: HTTP %d", r.status)
            raise AuthError("jku unavailable")
        try:
            return parse_jwks(json.loads(r.body), "jku")
        except (ValueError, InputError) as e:
            log.warning("JWK Set from jku unusable: %s", type(e).__name__)
            raise AuthError("jku unusable") from None


class ReplayCache:
    """(iss, jti) pairs seen, each kept until its token expires; bounded so it cannot eat memory."""

    def __init__(self, max_entries: int = MAX_REPLAY_ENTRIES, clock: Callable[[], float] = time.time) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def check_and_add(self, issuer: str, jti: str, expires: float) -> None:
        with self._lock:
            now = self.clock()
            key = (issuer, jti)
            if key in self._seen and self._seen[key] >= now:
                raise AuthError("token replayed (jti already used)")
            if len(self._seen) >= self.max_entries:
                self._seen = {k: exp for k, exp in self._seen.items() if exp >= now}
                if len(self._seen) >= self.max_entries:
                    raise AuthError("too many live tokens")
            self._seen[key] = expires

    def __len__(self) -> int:
        return len(self._seen)


def _public_key(jwk_data: Jwk, alg: str) -> Any:
    if jwk_data.get("alg") not in (None, alg):
        raise AuthError("key not for this algorithm")
    if jwk_data.get("use") not in (None, "sig"):
        raise AuthError("key not for signatures")
    try:
        key = jwt.PyJWK(jwk_data, algorithm=alg).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
        raise AuthError("key unusable for this algorithm") from None
    if alg == "RS384":
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_RSA_BITS:
            raise AuthError("key unusable for this algorithm")
    elif not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP384R1):
        raise AuthError("key unusable for this algorithm")
    return key


class TokenVerifier:
    """Validates one request's bearer JWT for one endpoint URL (see the module docstring)."""

    def __init__(
        self,
        *,
        issuers: Iterable[str],
        keys: Mapping[str, Jwk] | None = None,
        jku: JkuCache | None = None,
        leeway: float = 30.0,
        max_lifetime: float = 3600.0,
        replay: ReplayCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuers = frozenset(issuers)
        self.keys = dict(keys or {})
        self.jku = jku
        self.leeway = leeway
        self.max_lifetime = max_lifetime
        self.clock = clock
        self.replay = replay if replay is not None else ReplayCache(clock=clock)

    def verify(self, authorization: str | None, audience: str) -> Claims:
        """Claims of a valid token for ``audience`` (the exact URL called), else :class:`AuthError`."""
        token = _bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:  # also a non-string kid or an unsupported crit: the client's mistake
            raise AuthError("malformed token") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise AuthError("algorithm not allowed (RS384 or ES384 only)")
        if str(header.get("typ", "")).upper() != "JWT":
            raise AuthError("typ must be JWT")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("kid missing")
        if "crit" in header:
            raise AuthError("critical header extensions are not supported")
        jku = header.get("jku")
        if jku is not None:
            if not isinstance(jku, str) or self.jku is None:
                raise AuthError("jku not allowed")
            jwk_data = self.jku.key(jku, kid)
        else:
            jwk_data = self.keys.get(kid)
        if jwk_data is None:
            raise AuthError("unknown key id")
        key = _public_key(jwk_data, alg)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=spellings(audience),
                issuer=self.issuers,
                leeway=self.leeway,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("token issued in the future") from None
        except jwt.InvalidAudienceError:
            raise AuthError("wrong audience") from None
        except jwt.InvalidIssuerError:
            raise AuthError("issuer not allowed") from None
        except jwt.MissingRequiredClaimError as e:
            raise AuthError(f"claim {e.claim} missing") from None
        except jwt.InvalidSignatureError:
            raise AuthError("bad signature") from None
        except jwt.InvalidTokenError:
            raise AuthError("invalid token") from None
        exp, iat, jti = _numeric_date(claims["exp"]), _numeric_date(claims["iat"]), claims["jti"]
        if "nbf" in claims:
            _numeric_date(claims["nbf"])
        if not isinstance(jti, str) or not jti:
            raise AuthError("claim jti missing")
        if exp < iat:  # a negative lifetime is no token an honest client signs, leeway or not
            raise AuthError("token expires before it was issued")
        if exp - iat > self.max_lifetime:
            raise AuthError("token lifetime too long")
        tenant = claims.get("tenant")
        self.replay.check_and_add(str(claims["iss"]), jti, exp + self.leeway)
        return Claims(str(claims["iss"]), jti, exp, tenant if isinstance(tenant, str) else None)


def spellings(url: str) -> list[str]:
    """``url`` and the same URL with its default port written out (``https://x:443/p`` is ``https://x/p``):
    a client configured with either spelling signs ``aud`` with it, and both name the same endpoint."""
    try:
        t = target(url)
    except UnsafeUrl:
        return [url]
    o = t.origin
    explicit = f"{o.scheme}://{o.host}:{o.port}{t.path}"
    return [f"{o.scheme}://{o.host}{t.path}", explicit] if DEFAULT_PORTS[o.scheme] == o.port else [explicit]


def _numeric_date(value: object) -> float:
    """A NumericDate claim (RFC 7519 section 2: a JSON number of seconds) as a finite float.

    PyJWT checks only that ``int(value)`` works, so a numeric string, ``true`` or an integer too large
    for a float (``10**400``, which JSON allows) reach here: each is the client's malformed token.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AuthError("invalid token")
    try:
        seconds = float(value)
    except OverflowError:
        raise AuthError("invalid token") from None
    if not math.isfinite(seconds):
        raise AuthError("invalid token")
    return seconds


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("bearer token required")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("bearer token required")
    return token.strip()


__all__ = ["ALGORITHMS", "AuthError", "Claims", "JkuCache", "ReplayCache", "TokenVerifier", "load_jwks_file"]
