"""The ``fhir-eligibility`` command: the only module that prints. Errors map to exit codes:
0 evaluation ran (whatever the verdicts), 1 validation problems, 2 unusable input, 3 not authorised.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import json
import os
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from fhir_eligibility.attest_command import register as register_attest
from fhir_eligibility.authoring.command import register as register_authoring
from fhir_eligibility.authoring.command import show_rules
from fhir_eligibility.cli_options import DAYS, as_of_date, build_server_options, capped_workers, server_options
from fhir_eligibility.criteria.load import load_trials, no_trials, read_definitions
from fhir_eligibility.criteria.model import Criterion, Trial
from fhir_eligibility.criteria.validate import validate, validate_terminology
from fhir_eligibility.errors import EligibilityError, RetrievalError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Report
from fhir_eligibility.identity import IdentityPolicy
from fhir_eligibility.output import ReaderGone, check_target, lines, write_output
from fhir_eligibility.pipeline import evaluate_files, evaluate_server
from fhir_eligibility.progress import Bar, wanted
from fhir_eligibility.report.fhir_bundle import report_bundle
from fhir_eligibility.report.html import render_report_html
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.report.json_text import dumps
from fhir_eligibility.report.table import checklist, collect_first_text, dates, explain, verdict_table
from fhir_eligibility.requirements.plan import plan as plan_requirements
from fhir_eligibility.retrieval.patients import resolve_patients
from fhir_eligibility.retrieval.server import plan as plan_requests
from fhir_eligibility.screening.command import PARTIAL_EXIT
from fhir_eligibility.screening.command import register as register_screening
from fhir_eligibility.service.command import register as register_serve
from fhir_eligibility.stream import stream_json
from fhir_eligibility.terminology.command import register as register_codes
from fhir_eligibility.terminology.command import terminology_option
from fhir_eligibility.workers import default_workers
from fhir_eligibility.writeback import check_write_back, from_result, run_write_back, write_back_options

F = TypeVar("F", bound=Callable[..., Any])


def _definitions_option(f: F) -> F:
    return click.option(
        "--definitions",
        "definitions",
        type=click.Path(path_type=Path),
        multiple=True,
        help="Definition folder(s) or files (default: the bundled definitions/).",
    )(f)


def _emit(text: str | Iterable[str], output: Path | None) -> None:
    write_output(lines(text) if isinstance(text, str) else text, output)
    if output is not None:
        click.echo(f"wrote {output}", err=True)


def _trials(
    definitions: tuple[Path, ...], only: tuple[str, ...] = (), site: tuple[Path, ...] = (), lookback: int | None = None
) -> list[Trial]:
    return load_trials(list(definitions) or None, list(only) or None, list(site) or None, lookback)


def render(report: Report, fmt: str, details: bool = False, trials: Iterable[Trial] = ()) -> str:
    if fmt == "json":
        return dumps(report_json(report))
    if fmt == "fhir":
        return json.dumps(report_bundle(report), indent=2, ensure_ascii=False, allow_nan=False)
    if fmt == "html":
        return render_report_html(report, trials)
    text = verdict_table(report)
    when = dates(report) if details else ""
    first = collect_first_text(report) if details else ""
    return text + "".join("\n\n" + part for part in (explain(report) if details else "", when, first) if part)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fhir-eligibility")
def cli() -> None:
    """Evaluate clinical-trial eligibility criteria (FHIR R5 EvidenceVariable) against FHIR patient data."""


@cli.command()
@_definitions_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def trials(definitions: tuple[Path, ...], fmt: str) -> None:
    """List the trials in the definitions."""
    ts = _trials(definitions)
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {"id": t.id, "title": t.title, "criteria": len(t.criteria), "computable": t.computable_count}
                    for t in ts
                ],
                indent=2,
            )
        )
        return
    for t in ts:
        click.echo(f"{t.id}  {len(t.criteria):>3} criteria  {t.computable_count:>3} computable  {t.title}")


def _criterion_json(c: Criterion, kind: str, top: bool) -> dict[str, Any]:
    from fhir_eligibility.criteria.model import Combination

    out: dict[str, Any] = {
        "id": c.id,
        "type": kind,
        "description": c.description,
        "mode": "computable" if c.computable else "manual",
    }
    if c.notes:
        out["notes"] = list(c.notes)
    if c.exclude and not top:
        out["negated"] = True
    if c.judgement:
        out["judgement"] = True
    if isinstance(c.definition, Combination):
        out["combination"] = c.definition.code
        out["criteria"] = [_criterion_json(k, kind, False) for k in c.definition.children]
    return out


@cli.command()
@click.argument("trial")
@_definitions_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text")
@click.option("--rules", is_flag=True, help="Each criterion's rule as evaluated (codes, thresholds, windows).")
def show(trial: str, definitions: tuple[Path, ...], fmt: str, rules: bool) -> None:
    """Show one trial's criteria as a checklist (--rules: as the engine applies them; html: printable)."""
    if rules or fmt == "html":
        if fmt == "json":
            raise click.UsageError("--rules prints text or html")
        return click.echo(show_rules(trial, definitions, fmt))
    t = _trials(definitions, (trial,))[0]
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "id": t.id,
                    "title": t.title,
                    "criteria": [
                        _criterion_json(c, "exclusion" if c.exclude else "inclusion", True) for c in t.criteria
                    ],
                },
                indent=2,
            )
        )
        return
    click.echo(checklist(t))


# what validate checks: a trial, or an eligibility definition being authored (an R6 Group converted alone)
_DEFINITIONS = frozenset({"ResearchStudy", "EvidenceVariable", "Group"})


@cli.command(name="validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@terminology_option
def validate_cmd(paths: tuple[Path, ...], terminology: tuple[Path, ...]) -> None:
    """Validate definitions (and site terminology); list every problem with its location (exit 1 if any)."""
    ds = read_definitions(list(paths) or None)
    warnings: list[str] = []  # site terminology that does nothing or less than it seems: never exit 1
    problems = validate(ds) + validate_terminology(list(terminology), ds, warnings.append)
    for w in warnings:
        click.echo(w, err=True)
    for p in problems:
        click.echo(str(p))
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    if not any(r.get("resourceType") in _DEFINITIONS for _f, r in ds.resources):  # a wrong path, not "valid"
        raise no_trials(list(paths) or None)
    click.echo("definitions valid")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--patient", "patient_ids", multiple=True, help="Patient id, or system|value identifier, on --server.")
@click.option("--print-plan", is_flag=True, help="With --server: print the planned requests, send nothing.")
@server_options
@click.option("--trial", "trial_ids", multiple=True, help="NCT number (repeatable; default all).")
@click.option("--as-of", callback=as_of_date, help="Screening date YYYY-MM-DD (default today).")
@click.option("--assume-attested", is_flag=True, help="What-if: treat every unanswered manual criterion as attested.")
@click.option(
    "--attestation-validity-days",
    type=click.IntRange(1, 3650),
    default=30,
    show_default=True,
    help="An attestation or review decision older than this is stale and does not count.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "fhir", "html"]), default="table")
@click.option("--details", is_flag=True, help="With the table: why each criterion did not pass.")
@click.option(
    "--horizon",
    type=DAYS,
    default=365,
    show_default=True,
    help="Days ahead to look for the dates the verdict changes (eligibleFrom/eligibleUntil); 0: off.",
)
@click.option(
    "--lookback-days",
    type=DAYS,
    default=28,
    show_default=True,
    help="Days back a measurement counts where the protocol gives no window (clinical.md §0.2).",
)
@click.option(
    "--course-gap-days",
    type=DAYS,
    default=182,
    show_default=True,
    help="A gap longer than this between treatment cycles starts a new course.",
)
@click.option("--include-preliminary", is_flag=True, help="Also use preliminary Observations.")
@click.option("--mrn-system", help="Identifier system of the MRN shown by the id (default: the type MR one).")
@click.option("--deidentify", is_flag=True, help="Name patients by id only: no name, birth date or MRN.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    callback=capped_workers,
    help="Worker processes for PATHs (default and at most: one per usable CPU); the same report for any number.",
)
@_definitions_option
@terminology_option
@write_back_options
def evaluate(
    paths: tuple[Path, ...],
    patient_ids: tuple[str, ...],
    print_plan: bool,
    trial_ids: tuple[str, ...],
    as_of: dt.date,
    assume_attested: bool,
    attestation_validity_days: int,
    fmt: str,
    details: bool,
    horizon: int,
    lookback_days: int,
    course_gap_days: int,
    include_preliminary: bool,
    mrn_system: str | None,
    deidentify: bool,
    output: Path | None,
    workers: int | None,
    definitions: tuple[Path, ...],
    terminology: tuple[Path, ...],
    write_back: bool,
    dry_run: bool,
    **server_kw: Any,
) -> None:
    """Evaluate patients in FHIR Bundles, folders of them, NDJSON files, or on a FHIR server."""
    check_write_back(write_back, dry_run, server_kw.get("server"), assume_attested)
    if output is not None:
        check_target(output, paths)  # before any patient is read: a typo in -o must not cost the whole run
    identity = IdentityPolicy(mrn_system, deidentify)
    ts = _trials(definitions, trial_ids, terminology, lookback_days)
    settings = Settings(
        default_lookback_days=lookback_days,
        assume_attested=assume_attested,
        course_gap_days=course_gap_days,
        include_preliminary=include_preliminary,
        collect_series=fmt == "html",  # lab values over time, only the page plots them
        attestation_validity_days=attestation_validity_days,
        horizon_days=horizon,
    )
    if server_kw.get("server"):
        if paths:
            raise click.UsageError("give either PATHs or --server, not both")
        if not patient_ids:
            raise click.UsageError("--server needs at least one --patient ID")
        options = build_server_options(server_kw)
        if print_plan:
            requirements = plan_requirements(ts, as_of, lookback_days)
            click.echo("\n".join(plan_requests(options, list(patient_ids), requirements)))
            return
        incomplete: set[str] = set()
        skipped: list[tuple[str, str]] = []  # a patient who cannot be fetched costs no other patient
        with Bar(wanted(streams_to_stdout=False)) as bar:
            ids = resolve_patients(options, patient_ids)
            report = evaluate_server(options, ids, ts, as_of, settings, bar, incomplete, skipped)
        if skipped and not report.results:  # nobody could be fetched: the one error, as before
            raise RetrievalError(skipped[0][1])
        notes = tuple(f"Patient/{pid}: not evaluated: {why}" for pid, why in skipped)
        report = dataclasses.replace(report, warnings=(*notes, *report.warnings))
        _emit(render(identity.report(report), fmt, details, ts), output)
        for note in notes:
            click.echo(f"warning: {note}", err=True)
        status = 0
        if write_back:  # after the report: a write-back failure never changes or withholds it
            written = [from_result(r, r.patient.removeprefix("Patient/") in incomplete) for r in report.results]
            status = run_write_back(options, written, ts, as_of, dry_run)
        if status == 0 and skipped:
            status = PARTIAL_EXIT  # the report holds the others: a partial run, as screen's
        if status:
            sys.exit(status)
        return
    else:
        if not paths:
            raise click.UsageError("give at least one PATH (or --server URL --patient ID)")
        if patient_ids:  # a report meant for one patient must not hold everyone in the files
            raise click.UsageError("--patient selects patients on --server; for PATHs, give the patient's own files")
        n = workers or default_workers()
        if fmt == "json":  # streamed: memory flat in the number of patients
            with Bar(wanted(streams_to_stdout=output is None)) as bar:
                _emit(stream_json(list(paths), ts, as_of, settings, identity=identity, bar=bar, workers=n), output)
            return
        with Bar(wanted(streams_to_stdout=False)) as bar:
            report = evaluate_files(list(paths), ts, as_of, settings, bar, workers=n)
    _emit(render(identity.report(report), fmt, details, ts), output)


register_serve(cli)
register_screening(cli)
# screen's --workers (screening/command.py) takes evaluate's bound on the usable CPUs and its one line
next(p for p in cli.commands["screen"].params if p.name == "workers").callback = capped_workers
register_codes(cli)
register_attest(cli)
register_authoring(cli)


class Terminated(BaseException):
    """SIGTERM, raised where the process is: the clean-up of Ctrl-C runs (workers stopped, temporary
    files removed, ``-o`` target untouched); a BaseException so no ``except Exception`` swallows it."""


def _terminate(_signum: int, _frame: object) -> None:
    raise Terminated


def main() -> None:
    """Entry point: run the group, turning our errors into one-line messages and exit codes."""
    # A run keeps thousands of small immutable result objects alive; the default GC thresholds
    # rescan them constantly (measured: half the evaluation time); collections still run, less often.
    gc.set_threshold(200_000, 50, 100)
    signal.signal(signal.SIGTERM, _terminate)
    if sys.stderr is None:  # started with standard error closed (a cron job's `2>&-`): messages go nowhere
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the life of the process
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except EligibilityError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(e.exit_code)
    except ReaderGone:  # the reader went away (`| head -1`): it chose to stop, nothing to say
        sys.exit(0)
    except Terminated:
        click.echo("terminated", err=True)
        sys.exit(143)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
