"""The ``serve`` command: run the CDS Hooks service under uvicorn.

Kept here rather than in cli.py so the CLI does not import Starlette and uvicorn for every
command; cli.py adds it with one call to :func:`register`. Options override the config file;
every option has a config key of the same name (docs/cds-hooks.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import click

from fhir_eligibility.service.config import load


def _date(_ctx: click.Context, _p: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD") from None


@click.command()
@click.option("--host", help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port (default 8080).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML or JSON config file.",
)
@click.option(
    "--jwks",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JWK Set file with the CDS clients' public keys.",
)
@click.option("--issuer", "issuers", multiple=True, help="Allowed JWT issuer (repeatable).")
@click.option("--jku", "jku_allow", multiple=True, help="Allowed JWK Set URL a token's jku may name (repeatable).")
@click.option(
    "--allow-fhir-server",
    "allow_fhir_servers",
    multiple=True,
    help="fhirServer base URL the service may query (repeatable).",
)
@click.option("--public-base-url", help="Base URL clients call, if not http://HOST:PORT (behind a proxy).")
@click.option(
    "--insecure-no-auth",
    is_flag=True,
    default=None,
    help="Accept calls without a client JWT (testing only; logs a warning).",
)
@click.option("--definitions", type=click.Path(path_type=Path), multiple=True, help="Definition folder(s) or files.")
@click.option("--trial", "trials", multiple=True, help="Offer only these NCT numbers (repeatable).")
@click.option("--as-of", callback=_date, help="Fixed screening date YYYY-MM-DD (tests; default today).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where feedback is stored (default ./cds-data).",
)
@click.option(
    "--cors-origin", "cors_origins", multiple=True, help="Browser origin allowed by CORS (repeatable; default none)."
)
@click.option("--include-ineligible", is_flag=True, default=None, help="Also show cards for ineligible trials.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), help="Default info.")
def serve(config_file: Path | None, **options: Any) -> None:
    """Run the CDS Hooks service (patient-view -> trial eligibility cards)."""
    import uvicorn

    from fhir_eligibility.service.app import create_app

    config = load(config_file, options)
    level = getattr(logging, config.log_level.upper())
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("fhir_eligibility").setLevel(level)
    logging.getLogger("urllib3").setLevel(max(level, logging.INFO))  # its DEBUG lines hold URLs with patient ids
    app = create_app(config)
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        access_log=False,  # it logs the URL: report paths hold a patient id; ours logs the route template
        log_level=config.log_level,
        server_header=False,
        proxy_headers=False,
    )


def register(cli_group: click.Group) -> None:
    """Add ``serve`` to the ``fhir-eligibility`` command group."""
    cli_group.add_command(serve)


__all__ = ["register", "serve"]
