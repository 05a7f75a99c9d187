"""Service configuration: one typed object, read from a TOML or JSON file, then command-line overrides.

Why a file as well as options: a deployment has many settings (issuers, keys, allow-lists, CORS,
limits) that belong in version control next to the deployment, not in a shell history. Every key
is documented in docs/cds-hooks.md. Unknown keys are errors (a typo must not silently switch a
security check to its default). Relative paths are resolved against the config file's folder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fhir_eligibility.errors import InputError
from fhir_eligibility.retrieval import urlpolicy

DEFAULT_MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class ServiceConfig:
    """Everything ``serve`` can be told. Defaults are the safe choice (loopback, auth on, CORS off)."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str | None = None  # what clients call (behind a proxy); default http://host:port
    definitions: tuple[Path, ...] = ()  # default: the bundled definitions/
    terminology: tuple[Path, ...] = ()  # site ConceptMaps / ValueSet additions (as --terminology)
    trials: tuple[str, ...] = ()  # NCT numbers to offer (default: all in the definitions)
    as_of: dt.date | None = None  # fixed screening date (tests); default: today, per request
    lookback_days: int = 28
    assume_attested: bool = False
    include_ineligible: bool = False
    source_label: str = "Clinical-trial eligibility"
    # client authentication (CDS Hooks JWT)
    insecure_no_auth: bool = False
    jwks: Path | None = None  # JWK Set file with the CDS clients' public keys
    issuers: tuple[str, ...] = ()
    jku_allow: tuple[str, ...] = ()  # JWK Set URLs a token's jku header may name
    jwt_leeway_seconds: int = 30
    max_token_lifetime_seconds: int = 3600
    jwks_timeout_seconds: float = 5.0
    jwks_cache_seconds: int = 300
    # FHIR server fallback for keys not prefetched
    allow_fhir_servers: tuple[str, ...] = ()
    fhir_timeout_seconds: float = 10.0
    fhir_retries: int = 1
    fhir_batch: str = "auto"
    fhir_ca_bundle: Path | None = None
    attest_fhir_server: str | None = None  # where the report page's form writes answers (on the allow-list)
    # HTTP
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY
    data_dir: Path = Path("cds-data")
    report_ttl_seconds: int = 3600
    report_cache_size: int = 1000
    report_cache_mib: int = 256  # approximate memory the report links' stored data may take
    log_level: str = "info"

    def __post_init__(self) -> None:
        _check(self)

    @property
    def base_url(self) -> str:
        """The public base URL, without trailing slash: audience checks and report links use it."""
        if self.public_base_url:  # as browsers write an origin: https://x:443/ is https://x (Origin, links, aud)
            return urlpolicy.base(self.public_base_url).url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


_PATHS = {"definitions", "terminology", "jwks", "fhir_ca_bundle", "data_dir"}
_LISTS = {"definitions", "terminology", "trials", "issuers", "jku_allow", "allow_fhir_servers", "cors_origins"}
FIELDS = {f.name for f in dataclasses.fields(ServiceConfig)}


def _check(c: ServiceConfig) -> None:
    if not 0 < c.port < 65536:
        raise InputError(f"port must be 1-65535, got {c.port}")
    if c.max_body_bytes < 1024:
        raise InputError("max_body_bytes must be at least 1024")
    if c.fhir_batch not in ("auto", "always", "never"):
        raise InputError("fhir_batch must be auto, always or never")
    if c.log_level.lower() not in ("critical", "error", "warning", "info", "debug"):
        raise InputError(f"log_level {c.log_level!r} is not a logging level")
    for name in ("jwt_leeway_seconds", "max_token_lifetime_seconds", "jwks_cache_seconds", "fhir_retries"):
        if getattr(c, name) < 0:
            raise InputError(f"{name} must not be negative")
    for name in ("report_ttl_seconds", "report_cache_size", "report_cache_mib", "lookback_days"):
        if getattr(c, name) < 1:
            raise InputError(f"{name} must be at least 1")
    if c.jwks_timeout_seconds <= 0 or c.fhir_timeout_seconds <= 0:
        raise InputError("timeouts must be positive")
    urls = [*c.jku_allow, *c.allow_fhir_servers] + [u for u in (c.public_base_url, c.attest_fhir_server) if u]
    for url in urls:
        try:
            urlpolicy.base(url)  # the same strict parse every outbound request gets
        except urlpolicy.UnsafeUrl as e:
            raise InputError(f"not a plain http(s) URL without query: {e}") from None
    if c.public_base_url and urlsplit(c.public_base_url).path not in ("", "/"):
        # the CDS service paths are fixed (/cds-services/...); a path prefix needs a proxy that strips it
        raise InputError("public_base_url must not have a path")


def load_file(path: Path) -> dict[str, Any]:
    """Raw settings from a TOML (``.toml``) or JSON file; relative paths made absolute."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read config ({e.__class__.__name__})") from None
    try:
        raw: Any = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'}: {e}") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path}: the config must be a table/object of settings")
    out = {k.replace("-", "_"): v for k, v in raw.items()}
    base = path.resolve().parent
    for key in _PATHS & out.keys():
        value = out[key]
        if isinstance(value, list):
            out[key] = [_resolve(base, v, key) for v in value]
        elif value is not None:
            out[key] = _resolve(base, value, key)
    return out


def _resolve(base: Path, value: object, key: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"config key {key}: expected a path string")
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else base / p)


def build(settings: Mapping[str, Any]) -> ServiceConfig:
    """A validated config from plain settings (file content merged with options)."""
    unknown = sorted(set(settings) - FIELDS)
    if unknown:
        raise InputError(f"unknown config key(s): {', '.join(unknown)} (see docs/cds-hooks.md)")
    kw: dict[str, Any] = {}
    types = {f.name: f for f in dataclasses.fields(ServiceConfig)}
    for key, value in settings.items():
        if value is None:
            continue
        kw[key] = _coerce(key, value, types[key].default)
    return ServiceConfig(**kw)


def _coerce(key: str, value: Any, default: Any) -> Any:
    if key in _LISTS:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(v, str | Path) for v in items):
            raise InputError(f"config key {key}: expected a list of strings")
        return tuple(Path(v) for v in items) if key in _PATHS else tuple(str(v) for v in items)
    if key in _PATHS:
        if not isinstance(value, str | Path):
            raise InputError(f"config key {key}: expected a path")
        return Path(value)
    if key == "as_of":
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise InputError("config key as_of: expected YYYY-MM-DD") from None
    if key in ("public_base_url", "attest_fhir_server"):
        if not isinstance(value, str):
            raise InputError(f"config key {key}: expected a URL string")
        return value
    expected = type(default)
    if expected is bool:
        if not isinstance(value, bool):
            raise InputError(f"config key {key}: expected true or false")
        return value
    if expected is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if expected is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if expected is str and isinstance(value, str):
        return value
    raise InputError(f"config key {key}: expected {expected.__name__}, got {type(value).__name__}")


def load(config_file: Path | None, overrides: Mapping[str, Any] | None = None) -> ServiceConfig:
    """File settings, then every override that is not None (command-line options win)."""
    settings: dict[str, Any] = load_file(config_file) if config_file is not None else {}
    for key, value in dict(overrides or {}).items():
        if value is None or (isinstance(value, tuple | list) and not value):
            continue
        settings[key] = value
    return build(settings)


__all__ = ["DEFAULT_MAX_BODY", "FIELDS", "ServiceConfig", "build", "load", "load_file"]
