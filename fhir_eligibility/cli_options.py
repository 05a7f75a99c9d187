"""Click option callbacks shared by the commands (cli.py and the screening command register on one group)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from fhir_eligibility.retrieval.auth import SmartBackendConfig
from fhir_eligibility.retrieval.server import ServerOptions
from fhir_eligibility.workers import lowered, worker_count

F = TypeVar("F", bound=Callable[..., Any])
EARLIEST_YEAR = 1900  # an as-of date earlier than this is a typo; later ones before a birth date warn per patient


def _finite(_ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """NaN passes a range check (every comparison is false): refused here."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of seconds", param=param)
    return value


LATEST_YEAR = 9000  # an as-of date after this leaves no room for a horizon or a window's end
# a number of days (horizon, look-back, course gap): 100 years at most, so as-of + days stays in the calendar
DAYS = click.IntRange(0, 36_500)


def as_of_date(_ctx: click.Context, _p: click.Parameter, value: str | None) -> dt.date:
    """``--as-of YYYY-MM-DD``; today when absent (the clock is read here, at the edge, never in the core)."""
    if value is None:
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD") from None
    if day.year < EARLIEST_YEAR:
        raise click.BadParameter(f"{value} is before {EARLIEST_YEAR}: no patient record is that old")
    if day.year >= LATEST_YEAR:  # windows and horizons would run past the calendar's end (year 9999)
        raise click.BadParameter(f"{value} is after {LATEST_YEAR - 1}: not a screening date")
    return day


def capped_workers(_ctx: click.Context, _p: click.Parameter, value: int | None) -> int | None:
    """``--workers N``: at most the usable CPUs, said in one line on standard error when lowered (each job
    then starts no more workers than it has tasks: :func:`~fhir_eligibility.workers.worker_count`)."""
    said = lowered(value)
    if said is None:
        return value
    click.echo(said, err=True)
    return worker_count(value or 1)


def server_options(f: F) -> F:
    """Options shared by every command that reads a FHIR server (evaluate, screen)."""
    f = click.option(
        "--batch",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="Send each patient's searches as one batch Bundle.",
    )(f)
    f = connection_options(f)
    return click.option("--server", help="FHIR server base URL (R4); evaluates server data instead of PATHs.")(f)


def connection_options(f: F) -> F:
    """How to reach and authenticate to a server (bearer token or SMART Backend Services, TLS, timeout): every
    command that talks to one (evaluate, screen, attest) takes the same ones, read by ``build_server_options``."""
    opts = [
        click.option("--token", envvar="FHIR_ELIGIBILITY_TOKEN", show_envvar=True, help="Bearer token (never logged)."),
        click.option("--smart-client-id", help="SMART Backend Services client_id."),
        click.option(
            "--smart-key",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="PEM private key registered with the server (RS384 or ES384).",
        ),
        click.option("--smart-key-id", help="kid of the registered public key."),
        click.option("--smart-alg", type=click.Choice(["RS384", "ES384"]), default="RS384", show_default=True),
        click.option("--smart-scope", help="Scopes to request (default: system/*.rs for the types read)."),
        click.option("--smart-token-endpoint", help="Token endpoint (default: .well-known/smart-configuration)."),
        click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False), help="PEM CA bundle for TLS."),
        click.option("--no-verify-tls", is_flag=True, help="Disable TLS verification (testing only)."),
        click.option(
            "--timeout",
            # finite and positive: 0 read as "the default", inf or 1e308 overflowed the deadline (a traceback)
            type=click.FloatRange(min=0.001, max=86_400.0),
            callback=_finite,
            default=30.0,
            show_default=True,
            help="Read timeout, seconds.",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def build_server_options(kw: dict[str, Any]) -> ServerOptions:
    smart = None
    if kw.get("smart_client_id") or kw.get("smart_key"):
        if not (kw.get("smart_client_id") and kw.get("smart_key") and kw.get("smart_key_id")):
            raise click.UsageError("SMART Backend Services needs --smart-client-id, --smart-key and --smart-key-id")
        extra: dict[str, Any] = {"algorithm": kw["smart_alg"], "token_endpoint": kw.get("smart_token_endpoint")}
        if kw.get("smart_scope"):
            extra["scope"] = kw["smart_scope"]
        smart = SmartBackendConfig.from_key_file(
            kw["smart_key"], client_id=kw["smart_client_id"], key_id=kw["smart_key_id"], **extra
        )
    return ServerOptions(
        base_url=kw["server"],
        bearer_token=None if smart else kw.get("token"),
        smart=smart,
        verify_tls=not kw.get("no_verify_tls"),
        ca_bundle=kw.get("ca_bundle"),
        timeout=kw.get("timeout") or 30.0,
        batch=kw.get("batch") or "auto",
        use_env_token=smart is None,
    )
