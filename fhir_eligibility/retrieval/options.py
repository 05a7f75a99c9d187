"""How to reach one FHIR server: base URL, credentials, TLS, timeouts and deadlines, batching.

Kept apart from :mod:`.server` (which re-exports it) so the options can be read without the
request machinery. The base URL is checked with the outbound-URL policy at construction, so an
ambiguous base never gets as far as a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from fhir_eligibility.errors import InputError
from fhir_eligibility.requirements.search import DEFAULT_MAX_URL_LENGTH, DEFAULT_PAGE_SIZE
from fhir_eligibility.retrieval import urlpolicy
from fhir_eligibility.retrieval.auth import SmartBackendConfig, smart_scope

BatchMode = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class ServerOptions:
    """How to reach one FHIR server. Token and key never appear in the repr."""

    base_url: str
    bearer_token: str | None = field(default=None, repr=False)  # None: FHIR_ELIGIBILITY_TOKEN if set
    smart: SmartBackendConfig | None = None
    verify_tls: bool = True
    ca_bundle: str | None = None  # path to a PEM CA bundle; implies verification
    timeout: float = 30.0  # read timeout in seconds; connect timeout is min(10, timeout)
    retries: int = 3  # extra attempts on 429/502/503/504 and connection errors (a write only if it never arrived)
    max_pages: int = 20  # pages per search; more -> that search's requirements are unavailable
    page_size: int = DEFAULT_PAGE_SIZE
    concurrency: int = 4  # parallel requests (GET mode, follow-up pages, entry retries)
    batch: BatchMode = "auto"  # auto: use batch if /metadata declares it
    patients_per_batch: int = 1
    max_url_length: int = DEFAULT_MAX_URL_LENGTH  # whole URL incl. base; searches are split below it
    backoff_base: float = 0.5  # seconds; doubles per retry
    max_wait: float = 60.0  # longest single wait honoured; a longer Retry-After gives up at once
    use_env_token: bool = True
    request_deadline: float | None = None  # whole answer of one request, seconds; None: 3 x timeout
    patient_deadline: float | None = None  # all requests for one patient, seconds; None: 10 x timeout

    def __post_init__(self) -> None:
        try:
            urlpolicy.base(self.base_url)
        except urlpolicy.UnsafeUrl as e:
            raise InputError(f"FHIR base URL must be a plain http(s) URL without query: {e}") from None
        if self.bearer_token is not None and self.smart is not None:
            raise InputError("give either a bearer token or a SMART backend configuration, not both")
        for name in ("retries", "max_pages", "page_size", "concurrency", "patients_per_batch"):
            minimum = 0 if name == "retries" else 1
            if getattr(self, name) < minimum:
                raise InputError(f"server option {name} must be at least {minimum}")
        if self.timeout <= 0:
            raise InputError("server option timeout must be positive")
        for name in ("request_deadline", "patient_deadline"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise InputError(f"server option {name} must be positive")

    @property
    def allowed(self) -> urlpolicy.Base:
        """The base every request (and the credential) is confined to."""
        return urlpolicy.base(self.base_url)

    @property
    def per_request(self) -> float:
        return self.request_deadline or 3 * self.timeout

    @property
    def per_patient(self) -> float:
        return self.patient_deadline or 10 * self.timeout

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def verify(self) -> bool | str:
        """What requests' ``verify`` gets: the CA bundle path if given, else the flag."""
        return self.ca_bundle if self.ca_bundle else self.verify_tls

    @property
    def timeouts(self) -> tuple[float, float]:
        return (min(10.0, self.timeout), self.timeout)


def scoped(options: ServerOptions, read: Iterable[str], write: Mapping[str, str] | None = None) -> ServerOptions:
    """The options with the SMART scope of the work at hand (the types it reads, what it writes), unless
    the user gave one (``--smart-scope``): a strict server refuses (403) a type the token does not name,
    and a token should not name more than the work needs."""
    smart = options.smart
    if smart is None or smart.scope is not None:
        return options
    return replace(options, smart=replace(smart, scope=smart_scope(read, write)))


__all__ = ["BatchMode", "ServerOptions", "scoped"]
