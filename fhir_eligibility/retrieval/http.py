"""The only module that imports the HTTP library (``requests``, and ``urllib3`` beneath it).

Why one: what makes an outbound request safe is then written once, here, and every caller (the
request loop of :mod:`~.connection`, SMART token requests, the CDS service's JWK Set fetch, its
``fhirServer`` fallback) gets it without touching the library:

* :func:`send` checks the URL exactly as it will be sent (prepared: joined, quoted, auth applied)
  with the caller's policy, never follows a redirect (a 3xx is an :class:`HttpError`), and
  attaches credentials only through an :class:`AuthHook`;
* every library failure becomes an :class:`HttpError` with one wording ("connect timeout", "host not
  found", "connection refused", "could not connect", "connection failed", "timeout", else the library's
  error class name), never a URL or a body; the first four failed while connecting, so the request
  provably never left (``unsent``: even a write may be sent again), the others may have reached the server;
* sessions come from :func:`new_session` (pool size, cookies refused where a session serves many
  users); TLS verification (a CA bundle path or ``True``) is passed per request;
* :func:`socket_url` reads a URL with the parser that picks the socket (:mod:`~.urlpolicy` builds
  its allow-list check on it).

``tests/test_architecture.py`` checks that no other module of the package imports the library.
"""

from __future__ import annotations

import contextlib
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from http.cookiejar import DefaultCookiePolicy
from typing import Any, TypeAlias

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util import Url, parse_url

HttpSession: TypeAlias = requests.Session
Timeout: TypeAlias = float | tuple[float, float]  # one value, or (connect, read) seconds
# the outbound policy: called with the prepared URL and whether it carries credentials; raises to refuse
Allow: TypeAlias = Callable[[str, bool], None]


class HttpError(Exception):
    """No usable answer came. ``cause`` is the one wording (no URL, no data); ``retry_safe`` when the
    connection failed, so nothing was answered and a request that may be repeated may be sent again;
    ``unsent`` when it failed while connecting, so not a byte of the request left (any request may be
    sent again); ``status`` is set for a refused redirect."""

    def __init__(
        self, cause: str, *, retry_safe: bool = False, unsent: bool = False, status: int | None = None
    ) -> None:
        super().__init__(cause)
        self.cause = cause
        self.retry_safe = retry_safe or unsent
        self.unsent = unsent
        self.status = status


def _mapped(exc: requests.RequestException) -> HttpError:
    if isinstance(exc, requests.ConnectTimeout):
        return HttpError("connect timeout", unsent=True)
    if isinstance(exc, requests.ConnectionError):  # a reset, a read failing mid-body, or no connection made
        unsent = _not_connected(exc)
        return HttpError(unsent or "connection failed", retry_safe=True, unsent=unsent is not None)
    if isinstance(exc, requests.Timeout):
        return HttpError("timeout")
    return HttpError(type(exc).__name__)


def _not_connected(exc: requests.ConnectionError) -> str | None:
    """The wording when no connection was made (urllib3's NewConnectionError: refused, unreachable, or
    the name not resolved), else None. Only that proves nothing was sent: a reset, a TLS or proxy
    failure, or a stale pooled connection may come after the request left. A proxy's or TLS failure
    is left as "may have been sent" since urllib3 raises the same error before and after sending."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if type(exc) is not requests.ConnectionError or not isinstance(reason, NewConnectionError):
        return None
    if isinstance(reason, NameResolutionError):
        return "host not found"
    return "connection refused" if isinstance(reason.__cause__, ConnectionRefusedError) else "could not connect"


class AuthHook(AuthBase, ABC):
    """Credentials for a request, attached as it is prepared (so :func:`send` checks the URL knowing
    they are there). Subclasses give the header value; it never appears in a URL, a log or a repr."""

    @abstractmethod
    def authorization(self) -> str:
        """The ``Authorization`` header value."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = self.authorization()
        return r


def new_session(*, pool_maxsize: int | None = None, cookies: bool = True) -> HttpSession:
    """A session; ``pool_maxsize`` sizes its connection pool (concurrent requests to one host),
    ``cookies=False`` refuses every cookie (a session shared by many EHR users' calls)."""
    session = requests.Session()
    if pool_maxsize is not None:
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_maxsize)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    if not cookies:
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


class HttpResponse:
    """A response whose redirects were refused; reading it raises only :class:`HttpError`."""

    def __init__(self, response: requests.Response) -> None:
        self._response = response
        self.status: int = response.status_code
        self.headers: Mapping[str, str] = response.headers

    def chunks(self, size: int) -> Iterator[bytes]:
        """The body in pieces (a streamed response)."""
        try:
            yield from self._response.iter_content(size)
        except requests.RequestException as exc:
            raise _mapped(exc) from None

    @property
    def body(self) -> bytes:
        """The whole body (read when the request was sent without ``stream``)."""
        try:
            return self._response.content
        except requests.RequestException as exc:
            raise _mapped(exc) from None

    def close(self) -> None:
        self._response.close()

    def abort(self) -> None:
        """Best effort: shut the socket down so a thread still reading it ends soon."""
        sock = getattr(getattr(self._response.raw, "connection", None), "sock", None)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def send(
    session: HttpSession,
    method: str,
    url: str,
    *,
    allow: Allow,
    timeout: Timeout,
    verify: bool | str = True,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    form: Mapping[str, str] | None = None,
    auth: AuthHook | None = None,
    stream: bool = False,
    on_response: Callable[[HttpResponse], None] | None = None,
) -> HttpResponse:
    """The one way a request leaves the program: prepared, ``allow``-checked on its exact URL, sent
    without following redirects. ``on_response`` is handed the response as soon as it exists (so a
    waiting caller can abort it). Raises :class:`HttpError`, or what ``allow`` or ``auth`` raise."""
    request = requests.Request(method, url, headers=dict(headers or {}), json=json_body, data=form, auth=auth)
    try:
        prepared = session.prepare_request(request)
        allow(str(prepared.url), "Authorization" in prepared.headers)
        settings = session.merge_environment_settings(prepared.url, {}, stream, verify, None)
        response = HttpResponse(session.send(prepared, allow_redirects=False, timeout=timeout, **settings))
    except requests.RequestException as exc:
        raise _mapped(exc) from None
    if on_response is not None:
        on_response(response)
    if 300 <= response.status < 400:
        response.close()
        raise HttpError(f"redirect refused (HTTP {response.status})", status=response.status)
    return response


def socket_url(url: str) -> Url:
    """``url`` as the library reads it to pick the host and port it connects to; ValueError if it cannot."""
    return parse_url(url)


__all__ = [
    "Allow",
    "AuthHook",
    "HttpError",
    "HttpResponse",
    "HttpSession",
    "Timeout",
    "new_session",
    "send",
    "socket_url",
]
