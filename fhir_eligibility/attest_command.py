"""The ``questionnaire`` and ``attest`` commands: a trial's attestation checklist, and a coordinator's
answers to it as patient data (a ``QuestionnaireResponse`` + ``Provenance``) that every source reads.

Kept out of cli.py (which adds them with one call to :func:`register`); this is an I/O edge, so the
clock (default ``authored``) and the random response ids are read here.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from fhir_eligibility.cli_options import build_server_options, connection_options
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import InputError
from fhir_eligibility.evaluation.attestation_authors import not_staff
from fhir_eligibility.output import check_target, lines, write_output
from fhir_eligibility.report.questionnaire import (
    attestation_bundle,
    parse_answer,
    provenance,
    questionnaire,
    questionnaire_response,
)
from fhir_eligibility.requirements.search import check_patient_id
from fhir_eligibility.retrieval.server import FhirServer

T = TypeVar("T")
WRITE_SCOPE = "system/QuestionnaireResponse.c system/Provenance.c"  # SMART v2: what attest creates, nothing else
_BARE_DATE = re.compile(r"\d{4}-\d\d-\d\d")


def _trial(trial: str, definitions: tuple[Path, ...]) -> Trial:
    return load_trials(list(definitions) or None, [trial])[0]


def _check(output: Path | None) -> None:
    """``-o`` checked before anything else is done: an unusable path is one line and exit 2 (OutputError), never a
    traceback after the response was already created on ``--server`` (a retry would create it twice)."""
    if output is not None:
        check_target(output)


def _write(doc: dict[str, object], output: Path | None) -> None:
    """To standard output, or to ``-o`` atomically (a failure leaves the previous file as it was)."""
    write_output(lines(json.dumps(doc, indent=2, ensure_ascii=False)), output)
    if output is not None:
        click.echo(f"wrote {output}", err=True)


def _pairs(values: tuple[str, ...], what: str, read: Callable[[str], T]) -> dict[str, T]:
    """ID=VALUE options by id, each value as ``read`` takes it; one id given twice must mean the same value
    (``yes`` and ``Yes`` do: compared once read)."""
    out: dict[str, T] = {}
    for v in values:
        key, sep, text = v.partition("=")
        key = key.strip()
        if not sep or not key:
            raise click.BadParameter(f"{v!r}: expected ID=VALUE", param_hint=what)
        value = read(text)
        if key in out and out[key] != value:  # a typo here would record a refusal
            raise click.BadParameter(f"{key!r} given twice with different values", param_hint=what)
        out[key] = value
    return out


_definitions = click.option(
    "--definitions",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Definition folder(s) or files (default: the bundled definitions/).",
)
_output = click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout.")


@click.command(name="questionnaire")
@click.argument("trial")
@_definitions
@_output
def questionnaire_cmd(trial: str, definitions: tuple[Path, ...], output: Path | None) -> None:
    """The trial's attestation checklist as an R4 Questionnaire (manual and judgement items)."""
    _check(output)
    _write(questionnaire(_trial(trial, definitions)), output)


@click.command()
@click.argument("trial")
@click.option("--patient", "patient_id", required=True, help="Patient id the answers are about.")
@click.option("--item", "item_values", multiple=True, help="ID=yes|no (repeatable): the answer to one item.")
@click.option("--comment", "comment_values", multiple=True, help="ID=TEXT (repeatable): a comment on one item.")
@click.option("--author", help="Who attests: a name, or Practitioner/<id> (default: the OS user name).")
@click.option("--authored", help="When, ISO date-time or date (a date is written as given; default: now).")
@click.option("--no-provenance", is_flag=True, help="Write the QuestionnaireResponse without its Provenance.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["bundle", "json"]),
    default="bundle",
    show_default=True,
    help="bundle: a transaction Bundle (response + Provenance); json: the QuestionnaireResponse alone.",
)
@click.option("--server", help="Also create them on this FHIR server (R4), as one transaction.")
@connection_options
@_definitions
@_output
def attest(
    trial: str,
    patient_id: str,
    item_values: tuple[str, ...],
    comment_values: tuple[str, ...],
    author: str | None,
    authored: str | None,
    no_provenance: bool,
    fmt: str,
    server: str | None,
    definitions: tuple[Path, ...],
    output: Path | None,
    **connection: Any,
) -> None:
    """Record a coordinator's answers for one patient: add the output to the patient's data (file or server)."""
    _check(output)
    if not item_values:
        raise click.UsageError("give at least one --item ID=yes|no")
    check_patient_id(patient_id)
    # written in the local time zone, with its offset: the evaluation compares the answer's date with
    # the as-of date, a local calendar date (in UTC an evening answer west of Greenwich is "tomorrow");
    # to the microsecond: the most recent answer wins, and a consent withdrawn within the second must be later
    now = dt.datetime.now().astimezone()
    recorded = now.isoformat(timespec="microseconds")  # Provenance.recorded: when this record is written
    if authored is None:
        authored = recorded
    elif _BARE_DATE.fullmatch(authored.strip()):
        # a date alone is written as given (FHIR dateTime allows it): read as midnight UTC it came before every
        # answer given later that day (a withdrawal lost to that morning's consent); as a bare date it is
        # after every earlier day and, against a time on its day, a tie the refusal wins (attestation._settled)
        try:
            day = dt.date.fromisoformat(authored.strip())
        except ValueError:
            raise InputError(f"--authored {authored!r} is not an ISO date-time") from None
        if day > now.date():
            raise click.UsageError(f"--authored {authored} is in the future: an attestation records what was answered")
        authored = day.isoformat()
    else:  # a time without zone is local time
        try:
            when = dt.datetime.fromisoformat(authored)
        except ValueError:
            raise InputError(f"--authored {authored!r} is not an ISO date-time") from None
        when = when if when.tzinfo else when.astimezone()
        if when > now + dt.timedelta(minutes=5):
            raise click.UsageError(f"--authored {authored} is in the future: an attestation records what was answered")
        authored = recorded = when.isoformat()
    if author is not None and not author.strip():
        raise click.UsageError("--author is blank: name who attests (an attestation without one does not count)")
    if author is not None and not_staff({"reference": author}):  # it would be recorded, and never count
        raise click.UsageError(
            f"--author {author.strip()}: eligibility is attested by study staff (a name, Practitioner/<id> or"
            " PractitionerRole/<id>), not the patient, a relative, a device or an organisation"
        )
    answers = _pairs(item_values, "--item", parse_answer)
    response = questionnaire_response(
        _trial(trial, definitions),
        patient_id,
        answers,
        author=(author or getpass.getuser()).strip(),
        authored=authored,
        response_id=str(uuid.uuid4()),
        comments=_pairs(comment_values, "--comment", str),
    )
    prov = None if no_provenance else provenance(response, str(uuid.uuid4()), recorded=recorded)
    bundle = attestation_bundle(response, prov)
    if server:
        # as evaluate --server reaches a server (token or SMART, TLS, timeout); SMART asks to create, not to read
        options = build_server_options(
            {**connection, "server": server, "smart_scope": connection.get("smart_scope") or WRITE_SCOPE}
        )
        with FhirServer(options) as fhir:
            fhir.transaction(bundle)
        click.echo(f"created QuestionnaireResponse/{response['id']} on {options.base}", err=True)
        if output is None:
            return
    _write(response if fmt == "json" else bundle, output)


def register(group: click.Group) -> None:
    group.add_command(questionnaire_cmd)
    group.add_command(attest)


__all__ = ["register"]
