"""The one outbound-URL policy: which URLs a request (and a credential) may go to.

Every outbound request of the product (``evaluate --server``, ``screen --server`` and its Bulk
``$export``, the CDS Hooks ``fhirServer`` fallback) is checked here, on the URL exactly as the
HTTP client will use it. Why so strict: two URL parsers that disagree are an allow-list bypass
(``http://127.0.0.1:8912\\@127.0.0.1:8911/fhir`` is port 8911 to ``urllib.parse`` but 8912 to
urllib3, which requests connects with). So URLs are parsed once, with urllib3's ``parse_url`` (the
parser that picks the socket, reached through :func:`~.http.socket_url`), and anything another
parser could read differently is refused before parsing: userinfo, backslashes, whitespace,
control or non-ASCII characters, an authority that is not plain ``host[:port]``, ports that are
not 1-65535.

A :class:`Base` is an allowed server: scheme, host, port (default filled in) and path prefix. A URL
is *under* a base when scheme, host and port are equal and its path is the base path or below it;
it is *same-origin* when only scheme, host and port are equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fhir_eligibility.errors import InputError
from fhir_eligibility.retrieval.http import socket_url

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_CHARS = 16_384
# host[:port]: a DNS name or IPv4 address, or a bracketed IPv6 address; nothing else
_AUTHORITY = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?")
_SCHEME = re.compile(r"(?i)(https?)://")


class UnsafeUrl(InputError):
    """A URL the policy refuses; the message never holds the URL's query (it may hold patient ids)."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int


@dataclass(frozen=True)
class Target:
    """A checked URL: where the client connects (origin) and the path it asks for."""

    origin: Origin
    path: str
    url: str


@dataclass(frozen=True)
class Base:
    """An allowed server base URL."""

    origin: Origin
    path: str  # no trailing slash; "" for the root

    @property
    def url(self) -> str:
        o = self.origin
        port = "" if DEFAULT_PORTS[o.scheme] == o.port else f":{o.port}"
        return f"{o.scheme}://{o.host}{port}{self.path}"

    def contains(self, url: str) -> bool:
        """Whether ``url`` is on this server's origin and at or below its path."""
        try:
            t = target(url)
        except UnsafeUrl:
            return False
        return t.origin == self.origin and (t.path == self.path or t.path.startswith(self.path + "/"))

    def same_origin(self, url: str) -> bool:
        try:
            return target(url).origin == self.origin
        except UnsafeUrl:
            return False


def _where(url: str) -> str:
    """What a refusal may show of a URL: no query, no fragment, no user information (a password), printable,
    short. Everything up to the last ``@`` goes with the user information: a password may hold ``/``."""
    head = url.split("?", 1)[0].split("#", 1)[0]
    if "@" in head:
        m = _SCHEME.match(head)
        head = (m.group(0) if m else "") + head.rsplit("@", 1)[1]
    shown = "".join(c if c.isprintable() and c.isascii() else "?" for c in head)
    return shown[:120]


def target(url: str) -> Target:
    """Parse ``url`` strictly (see the module docstring); :class:`UnsafeUrl` when refused."""
    if not isinstance(url, str) or not url:
        raise UnsafeUrl("URL missing or not a string")
    if len(url) > MAX_URL_CHARS:
        raise UnsafeUrl("URL too long")
    if any(c == "\\" or c.isspace() or not c.isprintable() or not c.isascii() for c in url):
        raise UnsafeUrl(f"URL with a backslash, whitespace, control or non-ASCII character refused: {_where(url)!r}")
    m = _SCHEME.match(url)
    if m is None:
        raise UnsafeUrl(f"only absolute http(s) URLs are allowed: {_where(url)!r}")
    rest = url[m.end() :]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        raise UnsafeUrl(f"URL with user information refused: {_where(url)!r}")
    a = _AUTHORITY.fullmatch(authority)
    if a is None:
        raise UnsafeUrl(f"URL host is not a plain host[:port]: {_where(url)!r}")
    if a.group(1) is not None and not 1 <= int(a.group(1)) <= 65535:
        raise UnsafeUrl(f"URL port out of range: {_where(url)!r}")
    try:
        parsed = socket_url(url)
    except ValueError:
        raise UnsafeUrl(f"URL cannot be parsed: {_where(url)!r}") from None
    scheme = (parsed.scheme or "").lower()
    if scheme not in DEFAULT_PORTS or not parsed.host or parsed.auth is not None:
        raise UnsafeUrl(f"URL refused: {_where(url)!r}")
    port = parsed.port if parsed.port is not None else DEFAULT_PORTS[scheme]
    if (parsed.port is None) != (a.group(1) is None):
        raise UnsafeUrl(f"URL is ambiguous: {_where(url)!r}")  # the two readings must agree
    return Target(Origin(scheme, parsed.host.lower(), port), parsed.path or "/", url)


def base(url: str) -> Base:
    """An allowed base from configuration or a request: a strict URL without query or fragment."""
    t = target(url)
    if "?" in url or "#" in url:
        raise UnsafeUrl(f"a FHIR base URL has no query or fragment: {_where(url)!r}")
    return Base(t.origin, t.path.rstrip("/"))


def no_credentials(url: str, credentials: bool) -> None:
    """The policy for endpoints fixed by configuration or discovery (SMART configuration and token
    endpoint, JWK Sets): a strict URL, and never an ``Authorization`` header."""
    target(url)
    if credentials:
        raise UnsafeUrl(f"credentials are never sent to {_where(url)!r}")


__all__ = ["Base", "Origin", "Target", "UnsafeUrl", "base", "no_credentials", "target"]
