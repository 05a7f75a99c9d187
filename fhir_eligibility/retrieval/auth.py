"""Authorization for FHIR server calls: a fixed bearer token, or SMART Backend Services.

Both are :class:`~.http.AuthHook` objects the server module passes per request, so the token
is attached in exactly one place and never appears in a URL, a log line or a repr.

SMART Backend Services (SMART App Launch 2.2.0, client-confidential-asymmetric): the token
endpoint is discovered from ``[base]/.well-known/smart-configuration`` (unless configured),
each token request carries a fresh one-time client assertion JWT (iss = sub = client_id, aud =
token endpoint, exp <= 5 min, unique jti, header kid, RS384 or ES384), and the access token is
cached until ``renew_margin`` seconds before it expires. Servers issue no refresh token: a new
assertion is simply signed again.

The token endpoint, configured or discovered, must be ``https`` (SMART requires TLS for the token
request: the signed assertion goes out and the access token comes back in it). Plain ``http`` is
allowed only where the FHIR server itself is plain http on loopback and the endpoint is on loopback
too (local test servers), the same exception :class:`~.connection.Connection` makes for the FHIR base.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from fhir_eligibility.errors import AuthorizationError, InputError, RetrievalError
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.requirements.plan import PLANNED_TYPES
from fhir_eligibility.requirements.search import types_read
from fhir_eligibility.retrieval.http import AuthHook, HttpError, HttpSession, new_session
from fhir_eligibility.retrieval.transport import Answer, Fault, exchange
from fhir_eligibility.retrieval.urlpolicy import UnsafeUrl, no_credentials, target

log = logging.getLogger(__name__)

ENV_TOKEN = "FHIR_ELIGIBILITY_TOKEN"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 300  # seconds; SMART: exp no more than five minutes in the future
MAX_AUTH_BYTES = 1 << 20  # a SMART configuration or a token answer is a few kilobytes


def smart_scope(read: Iterable[str], write: Mapping[str, str] | None = None) -> str:
    """SMART v2 system scopes: ``system/<Type>.rs`` for each type read (read and search), plus the
    letters ``write`` gives a type written (``c`` create, ``u`` update), in SMART's ``cruds`` order.
    Why exact: a strict server answers 403 to a type the token does not name."""
    wanted: dict[str, set[str]] = {t: set("rs") for t in read}
    for t, letters in (write or {}).items():
        wanted.setdefault(t, set()).update(letters)
    return " ".join(f"system/{t}.{''.join(c for c in 'cruds' if c in p)}" for t, p in wanted.items())


# When nothing says what the work reads (a SmartBackendConfig used on its own): every type a plan may
# read (requirements.plan), with the Medications drug searches _include; the product's commands ask for
# what their plan reads instead (options.scoped)
DEFAULT_SCOPE = smart_scope(types_read(DataRequirement(t) for t in PLANNED_TYPES))

Algorithm = Literal["RS384", "ES384"]


def token_problem(token: str) -> str | None:
    """Why a token cannot go in an Authorization header (RFC 6750: visible ASCII only); a pasted
    ellipsis or a non-breaking space otherwise fails inside the HTTP client with a traceback."""
    if not token:
        return "is empty"
    if any(c in token for c in "\r\n"):
        return "contains a line break"
    if not all("!" <= c <= "~" for c in token):
        return "contains a space or a character that is not printable ASCII (a pasted ellipsis?)"
    return None


class BearerAuth(AuthHook):
    """A fixed bearer token (given on the command line or in ``FHIR_ELIGIBILITY_TOKEN``)."""

    def __init__(self, token: str) -> None:
        problem = token_problem(token)
        if problem is not None:
            raise InputError(f"the bearer token {problem}")
        self._token = token

    def authorization(self) -> str:
        return f"Bearer {self._token}"

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"


def bearer_token_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The token in ``FHIR_ELIGIBILITY_TOKEN`` (keeps it out of shell history and ``ps``), or None."""
    env = os.environ if environ is None else environ
    token = env.get(ENV_TOKEN, "").strip()
    return token or None


@dataclass(frozen=True)
class SmartBackendConfig:
    """A registered backend client: its id, the private key whose public half the server holds."""

    client_id: str
    private_key_pem: bytes = field(repr=False)
    key_id: str
    algorithm: Algorithm = "RS384"
    scope: str | None = None  # None: what the work at hand reads (options.scoped), else DEFAULT_SCOPE
    token_endpoint: str | None = None  # None: discover from .well-known/smart-configuration
    jku: str | None = None  # registered JWKS URL, sent in the assertion header when set
    private_key_password: bytes | None = field(default=None, repr=False)
    assertion_lifetime: int = 240  # seconds; below the 5-minute maximum to absorb clock skew
    renew_margin: int = 30  # renew the access token this many seconds before it expires

    def __post_init__(self) -> None:
        if self.algorithm not in ("RS384", "ES384"):
            raise InputError(f"SMART backend algorithm must be RS384 or ES384, not {self.algorithm!r}")
        if not 0 < self.assertion_lifetime <= MAX_ASSERTION_LIFETIME:
            raise InputError("SMART client assertion lifetime must be between 1 and 300 seconds")
        if not self.client_id or not self.key_id:
            raise InputError("SMART backend client_id and key_id are required")

    @classmethod
    def from_key_file(cls, path: str | Path, **kwargs: Any) -> SmartBackendConfig:
        """Read the PEM private key from a file (kept out of argv and environment)."""
        try:
            pem = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read SMART private key file {path}: {exc.strerror}") from exc
        return cls(private_key_pem=pem, **kwargs)

    def signing_key(self) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
        """Load the key and check it fits the algorithm (RSA for RS384, EC P-384 for ES384)."""
        try:
            key = serialization.load_pem_private_key(self.private_key_pem, self.private_key_password)
        except (ValueError, TypeError) as exc:
            raise InputError("the SMART private key is not a readable PEM private key") from exc
        if self.algorithm == "RS384" and isinstance(key, rsa.RSAPrivateKey):
            return key
        if (
            self.algorithm == "ES384"
            and isinstance(key, ec.EllipticCurvePrivateKey)
            and isinstance(key.curve, ec.SECP384R1)
        ):
            return key
        raise InputError(f"the SMART private key does not fit {self.algorithm} (RSA or EC P-384 expected)")


def client_assertion(
    config: SmartBackendConfig,
    token_endpoint: str,
    *,
    now: float,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
) -> str:
    """A signed one-time client assertion JWT for the token request (RFC 7523, SMART 2.2.0)."""
    issued = int(now)
    claims = {
        "iss": config.client_id,
        "sub": config.client_id,
        "aud": token_endpoint,
        "iat": issued,
        "exp": issued + config.assertion_lifetime,
        "jti": uuid.uuid4().hex,
    }
    headers: dict[str, Any] = {"kid": config.key_id, "typ": "JWT"}
    if config.jku:
        headers["jku"] = config.jku
    return jwt.encode(claims, key or config.signing_key(), algorithm=config.algorithm, headers=headers)


def _fetch(
    session: HttpSession,
    method: str,
    url: str,
    *,
    timeout: float,
    verify: bool | str,
    form: Mapping[str, str] | None = None,
) -> Answer:
    """One authorization request, never redirected, whole within 3 x ``timeout`` (the per-request
    deadline of every FHIR call) and at most ``MAX_AUTH_BYTES``: a token endpoint that drips its
    answer must not hold a run past its deadlines, nor send a body without end."""
    return exchange(
        session,
        method,
        url,
        allow=no_credentials,
        deadline=time.monotonic() + 3 * timeout,
        headers={"Accept": "application/json"},
        form=form,
        timeouts=(min(10.0, timeout), timeout),
        verify=verify,
        max_bytes=MAX_AUTH_BYTES,
    )


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (where plain http crosses no network)."""
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def check_token_endpoint(endpoint: str, fhir_base_url: str) -> None:
    """Refuse (:class:`RetrievalError`, one line) a token endpoint the client assertion may not go to:
    a URL the outbound policy refuses, or one without TLS (see the module doc for the loopback case)."""
    try:
        origin = target(endpoint).origin
    except UnsafeUrl as e:
        raise RetrievalError(f"SMART token endpoint refused ({e})") from None
    if origin.scheme == "https":
        return
    local = urlsplit(fhir_base_url).scheme.lower() == "http" and is_loopback(fhir_base_url) and is_loopback(endpoint)
    if not local:
        where = f"http://{urlsplit(endpoint).netloc}"
        raise RetrievalError(
            f"SMART token endpoint {where} refused: not https (SMART requires TLS for the token request; "
            "the signed client assertion and the access token would cross the network in cleartext)"
        )


def discover_token_endpoint(session: HttpSession, fhir_base_url: str, *, timeout: float, verify: bool | str) -> str:
    """Read ``token_endpoint`` from the server's ``.well-known/smart-configuration``."""
    url = fhir_base_url.rstrip("/") + "/.well-known/smart-configuration"
    unusable = f"cannot read SMART configuration at {url}"
    try:
        r = _fetch(session, "GET", url, timeout=timeout, verify=verify)
    except HttpError as e:
        status = "" if e.status is None else f"HTTP {e.status} (set the token endpoint instead)"  # a redirect
        raise RetrievalError(f"{unusable}: {status or e.cause}") from None
    except Fault as f:
        raise RetrievalError(f"{unusable}: {f.cause}") from None
    if r.status != 200:
        raise RetrievalError(f"{unusable}: HTTP {r.status} (set the token endpoint instead)")
    try:
        conf = json.loads(r.body)
    except (ValueError, RecursionError):
        raise RetrievalError(f"SMART configuration at {url} is not JSON") from None
    endpoint = conf.get("token_endpoint") if isinstance(conf, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        raise RetrievalError(f"SMART configuration at {url} has no token_endpoint")
    try:
        target(endpoint)  # the outbound-URL policy: the client assertion goes nowhere ambiguous
    except UnsafeUrl as e:
        raise RetrievalError(f"SMART configuration at {url}: token_endpoint refused ({e})") from None
    methods = conf.get("token_endpoint_auth_methods_supported")
    if isinstance(methods, list) and "private_key_jwt" not in methods:
        log.warning("SMART configuration does not list private_key_jwt among token endpoint auth methods")
    return endpoint


class SmartBackendAuth(AuthHook):
    """Attaches a cached SMART backend access token; fetches a new one when it nears expiry."""

    def __init__(
        self,
        config: SmartBackendConfig,
        fhir_base_url: str,
        *,
        session: HttpSession | None = None,
        timeout: float = 30.0,
        verify: bool | str = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._base = fhir_base_url
        self._session = session or new_session()
        self._timeout = timeout
        self._verify = verify
        self._clock = clock
        self._key = config.signing_key()  # fail early on a bad key, before any request
        self._lock = threading.Lock()
        self._endpoint: str | None = None  # checked when first needed (check_token_endpoint)
        self._token: str | None = None
        self._expires_at = 0.0
        # a token request that failed, and until when (time.monotonic) that answer stands: one slow or
        # broken endpoint costs one request deadline, not one per search of every patient
        self._failure: tuple[RetrievalError, float] | None = None

    def __repr__(self) -> str:
        return f"SmartBackendAuth(client_id={self._config.client_id!r})"

    @property
    def token_endpoint(self) -> str:
        with self._lock:
            return self._discover()

    def _discover(self) -> str:
        if self._endpoint is None:
            endpoint = self._config.token_endpoint or discover_token_endpoint(
                self._session, self._base, timeout=self._timeout, verify=self._verify
            )
            check_token_endpoint(endpoint, self._base)
            self._endpoint = endpoint
        return self._endpoint

    def access_token(self) -> str:
        """The cached token while it has more than the margin left, else a freshly requested one."""
        with self._lock:
            if self._token is not None and self._clock() < self._expires_at:
                return self._token
            if self._failure is not None and time.monotonic() < self._failure[1]:
                raise RetrievalError(str(self._failure[0]))
            try:
                return self._request_token()
            except RetrievalError as e:
                self._failure = (e, time.monotonic() + 3 * self._timeout)
                raise

    def invalidate(self) -> None:
        """Forget the cached token (the server answered 401: revoked or expired early)."""
        with self._lock:
            self._token = None
            self._expires_at = 0.0

    def authorization(self) -> str:
        return f"Bearer {self.access_token()}"

    def _request_token(self) -> str:
        endpoint = self._discover()
        now = self._clock()
        form = {
            "grant_type": "client_credentials",
            "scope": self._config.scope or DEFAULT_SCOPE,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(self._config, endpoint, now=now, key=self._key),
        }
        try:  # never redirected: a 307 would re-send the client assertion wherever it points
            r = _fetch(self._session, "POST", endpoint, form=form, timeout=self._timeout, verify=self._verify)
        except Fault as f:
            raise RetrievalError(f"the SMART token endpoint gave no usable answer: {f.cause}") from None
        except HttpError as e:
            if e.status is not None:
                raise RetrievalError(
                    f"SMART token endpoint redirected (HTTP {e.status}); redirects are not followed"
                ) from None
            raise RetrievalError(f"cannot reach the SMART token endpoint: {e.cause}") from None
        except UnsafeUrl as e:
            raise RetrievalError(f"SMART token endpoint refused ({e})") from None
        body = _json_object(r)
        if r.status in (400, 401, 403):
            error = body.get("error") if isinstance(body.get("error"), str) else None
            detail = f" {error}" if error else ""
            client = self._config.client_id
            raise AuthorizationError(f"SMART token endpoint refused client {client!r} (HTTP {r.status}{detail})")
        if r.status != 200:
            raise RetrievalError(f"SMART token endpoint failed (HTTP {r.status})")
        token = body.get("access_token")
        token_type = body.get("token_type")
        if not isinstance(token, str) or not token:
            raise AuthorizationError("SMART token endpoint answered without an access_token")
        if token_problem(token) is not None:
            raise AuthorizationError(f"SMART token endpoint issued an access_token that {token_problem(token)}")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise AuthorizationError("SMART token endpoint issued a token that is not a bearer token")
        expires_in = body.get("expires_in")
        # a day at most: a huge integer overflowed float() (a traceback), and a token is refreshed anyway
        lifetime = 300.0
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0:
            lifetime = float(min(expires_in, 86_400))
        margin = min(float(self._config.renew_margin), lifetime / 2)
        self._token = token
        self._expires_at = now + lifetime - margin
        log.debug("SMART access token obtained, valid for %.0f s", lifetime)
        return token


def _json_object(r: Answer) -> dict[str, Any]:
    try:
        body = json.loads(r.body)
    except (ValueError, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}
