"""The ``screen`` and ``synth`` commands, added to the CLI group by ``register(cli)``.

Kept beside the screening package (not in cli.py) so the population entry point can grow
without touching the per-patient CLI. Like cli.py, this is an edge: it prints, draws the
progress bar (only on a terminal) and turns Ctrl-C into exit status 130 after the runner has
stopped its workers and removed its temporary files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from fhir_eligibility.cli_options import DAYS, as_of_date, build_server_options, server_options
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.identity import IdentityPolicy
from fhir_eligibility.output import check_target, lines, write_output
from fhir_eligibility.report.format import printable
from fhir_eligibility.report.screening import ScreeningReport, identified, render
from fhir_eligibility.screening.core import MAX_CANDIDATES
from fhir_eligibility.screening.pages import write_pages
from fhir_eligibility.screening.runner import Progress, default_workers, screen_files
from fhir_eligibility.terminology.command import terminology_option
from fhir_eligibility.writeback import check_write_back, write_back_options

PARTIAL_EXIT = 4  # the report was written, but some candidates could not be screened

STAGE_TEXT = {
    "reading": "reading input",
    "screening": "screening patients",
    "searching": "searching the server",
    "fetching": "fetching patient data",
    "exporting": "waiting for $export",
    "downloading": "downloading NDJSON",
}


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | None]:
    """A rich progress bar on stderr when it is a terminal; ``None`` (no output) otherwise."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[amount]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if stage == "reading":
            amount = f"{done / 1e6:.0f}/{(total or 0) / 1e6:.0f} MB"
        else:
            amount = f"{done}/{total}" if total is not None else str(done)
        if stage not in tasks:
            tasks[stage] = int(bar.add_task(STAGE_TEXT.get(stage, stage), total=total, amount=amount))
        bar.update(tasks[stage], completed=done, total=total, amount=amount)  # type: ignore[arg-type]

    with bar:
        yield update


def _emit(text: str, output: Path | None) -> None:
    write_output(lines(text), output)  # atomic with -o: a failed run leaves the previous report as it was
    if output is not None:
        click.echo(f"wrote {output}", err=True)


@click.command()
@click.argument("paths", nargs=-1)
@server_options
@click.option("--trial", "trial_ids", multiple=True, help="NCT number (repeatable; default all).")
@click.option("--as-of", callback=as_of_date, help="Screening date YYYY-MM-DD (default today).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "html"]), default="table")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout.")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
@click.option(
    "--definitions",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Definition folder(s) or files (default: the bundled definitions/).",
)
@terminology_option
@click.option("--assume-attested", is_flag=True, help="Treat every manual criterion as attested.")
@click.option(
    "--lookback-days",
    type=DAYS,
    default=28,
    show_default=True,
    help="Days back a measurement counts where the protocol gives no window.",
)
@click.option(
    "--bulk/--no-bulk",
    default=None,
    help="Server: use Bulk Data $export (default: when the CapabilityStatement declares it).",
)
@click.option(
    "--export-max-gib",
    type=click.FloatRange(min=0, min_open=True, max=2**20),
    help="Server, Bulk Data: stop the download past this many GiB (default: while it and its shards leave 1 GiB free).",
)
@click.option(
    "--horizon",
    type=DAYS,
    default=30,
    show_default=True,
    help="Count patients who become eligible, or whose eligibility lapses, within DAYS; 0: off.",
)
@click.option("--temp-dir", type=click.Path(path_type=Path, file_okay=False), help="Where shard files go.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.option(
    "--pages",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write one eligibility page per candidate into DIR; the HTML dashboard links to them.",
)
@click.option("--mrn-system", help="Identifier system of the MRN shown by the id (default: the type MR one).")
@click.option("--deidentify", is_flag=True, help="Name candidates by id only: no name, birth date or MRN.")
@write_back_options
@click.option(
    "--engine",
    type=click.Choice(["builtin", "spark"]),
    default="builtin",
    show_default=True,
    help="spark: Bulk NDJSON (local paths or URIs) on Apache Spark (pip install 'fhir-eligibility[spark]').",
)
@click.option("--master", help="Spark master URL (--engine spark; default local[*], or spark-submit's).")
@click.option("--spark-conf", multiple=True, metavar="KEY=VALUE", help="Spark setting (repeatable; --engine spark).")
@click.option(
    "--max-candidates",
    type=click.IntRange(min=1),
    default=MAX_CANDIDATES,
    show_default=True,
    help="Candidates listed per trial, best ranked first; the report counts the rest (PATH... input).",
)
def screen(
    paths: tuple[str, ...],
    trial_ids: tuple[str, ...],
    as_of: dt.date,
    fmt: str,
    output: Path | None,
    workers: int | None,
    definitions: tuple[Path, ...],
    terminology: tuple[Path, ...],
    assume_attested: bool,
    lookback_days: int,
    bulk: bool | None,
    export_max_gib: float | None,
    horizon: int,
    temp_dir: Path | None,
    progress: bool | None,
    pages: Path | None,
    mrn_system: str | None,
    deidentify: bool,
    write_back: bool,
    dry_run: bool,
    engine: str,
    master: str | None,
    spark_conf: tuple[str, ...],
    max_candidates: int,
    **server_kw: Any,
) -> None:
    """Screen a population (Bulk NDJSON, folders of Bundles, or a FHIR server) for trial candidates.

    Prints, per trial, the verdict counts, the funnel (pass/fail/unknown/manual/review per
    criterion) and the ranked candidates with what is missing for each. With --server, candidates
    the server could not deliver are listed as not screened and the exit status is 4 (partial).
    """
    server = server_kw.get("server")
    if bool(paths) == bool(server):
        raise click.UsageError("give either PATH... or --server URL")
    if pages and server:
        raise click.UsageError("--pages works with PATH... input")
    check_write_back(write_back, dry_run, server, assume_attested)
    if output is not None:
        check_target(output, [Path(p) for p in paths])  # before screening, and before any page is written
    if engine == "spark" and server:
        raise click.UsageError("--engine spark screens files (PATH...), not --server")
    conf: dict[str, str] = {}
    if engine == "spark":
        from fhir_eligibility.spark.session import parse_conf, require_pyspark

        require_pyspark()  # before loading the trials: the missing extra is the one thing to say
        conf = parse_conf(spark_conf)
    trials = load_trials(list(definitions) or None, list(trial_ids) or None, list(terminology) or None, lookback_days)
    # explain=False: the funnel and candidates read top-level results only, not nested explanations
    settings = Settings(
        default_lookback_days=lookback_days, assume_attested=assume_attested, explain=False, horizon_days=horizon
    )
    n = workers or default_workers()
    show = sys.stderr.isatty() if progress is None else progress
    report: ScreeningReport
    written = 0  # the write-back's exit status (5: some patient's outcome could not be recorded)
    with progress_bar(show and engine == "builtin") as bar:
        if engine == "spark":
            from fhir_eligibility.spark.engine import screen_spark

            report = screen_spark(
                paths, trials, as_of, settings, master=master, conf=conf, max_candidates=max_candidates
            )
        elif server and write_back:  # one pass that records every patient x study as it screens them
            from fhir_eligibility.screening.write_back import screen_and_write

            options = dataclasses.replace(build_server_options(server_kw), patients_per_batch=10)
            report, written = screen_and_write(options, trials, as_of, settings, dry_run, bar)
        elif server:
            from fhir_eligibility.screening.server import screen_server

            report = screen_server(
                dataclasses.replace(build_server_options(server_kw), patients_per_batch=10),
                trials,
                as_of,
                settings,
                workers=n,
                bulk=bulk,
                progress=bar,
                temp_dir=temp_dir,
                export_max_bytes=None if export_max_gib is None else int(export_max_gib * 2**30),
            )
        else:
            report = screen_files(
                [Path(p) for p in paths],
                trials,
                as_of,
                settings,
                workers=n,
                progress=bar,
                temp_dir=temp_dir,
                max_candidates=max_candidates,
            )
    identity = IdentityPolicy(mrn_system, deidentify)
    report = identified(report, identity)
    links = (
        write_pages(report, [Path(p) for p in paths], trials, as_of, settings, pages, identity, temp_dir)
        if pages
        else {}
    )
    if links:
        base = (output or Path("dashboard.html")).resolve().parent
        links = {p: os.path.relpath(Path(f).resolve(), base) for p, f in links.items()}
        click.echo(f"wrote {len(links)} candidate page(s) to {pages}", err=True)
    report = dataclasses.replace(report, horizon=horizon)
    _emit(render(report, fmt, links), output)
    if fmt == "csv":  # a CSV holds candidate rows only: its warnings (a bad record, a cut list) go to stderr
        for w in report.warnings:
            click.echo(printable(f"warning: {w}"), err=True)
    if report.not_screened:
        click.echo(f"partial: {len(report.not_screened)} candidate(s) not screened (see the report)", err=True)
        sys.exit(PARTIAL_EXIT)
    if written:
        sys.exit(written)


@click.command()
@click.option("--patients", type=click.IntRange(min=1), required=True, help="How many patients to generate.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--as-of", "as_of", default="2026-06-01", show_default=True, help="Dates are relative to this day.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True)
def synth(patients: int, seed: int, as_of: str, out_dir: Path) -> None:
    """Write a deterministic synthetic population as Bulk-style NDJSON (one file per resource type)."""
    from fhir_eligibility.synth import write_population

    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD", param_hint="--as-of") from None
    counts = write_population(out_dir, patients, seed, day)
    click.echo(
        f"wrote {sum(counts.values())} resources for {patients} patients to {out_dir} "
        + "("
        + ", ".join(f"{t} {n}" for t, n in counts.items() if n)
        + ")",
        err=True,
    )


def register(group: click.Group) -> None:
    """Add ``screen`` and ``synth`` to the CLI group (one line in cli.py)."""
    group.add_command(screen)
    group.add_command(synth)


__all__ = ["register", "screen", "synth"]
