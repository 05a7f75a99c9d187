"""``screen --server ... --write-back``: every screened patient x study recorded, ineligible ones too.

Why a pass of its own: the screening's tally keeps counts and candidates, not per-criterion results, so it
cannot say why a patient is ineligible; here each patient the server search selects is fetched once,
evaluated once through :func:`~fhir_eligibility.pipeline.evaluate_patient` (the one evaluation path), added
to the same :class:`~fhir_eligibility.screening.core.Tally` the report comes from (so the report is the
screening's, and what is written is what it says), and its transactions (``ResearchSubject`` +
``GuidanceResponse``, one per study: :mod:`fhir_eligibility.writeback`) are sent before the next patient
is fetched: memory holds one patient and the tally, whatever the population.

A fault never writes ``ineligible``: data a server could not deliver is unavailable, which the engine reads
as ``unknown`` (a ``candidate`` at most), and a patient who could not be fetched at all is not screened and
gets nothing written. Patients the diagnosis search rules out without fetching (no anchoring diagnosis) are
not screened either (the report's notes say so) and get no ResearchSubject.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence

import click

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.screening import ScreeningReport
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.requirements.search import types_read
from fhir_eligibility.retrieval.merge import withhold_merged
from fhir_eligibility.retrieval.options import scoped
from fhir_eligibility.retrieval.search_client import SearchClient
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions
from fhir_eligibility.screening.core import Tally, outcome_of
from fhir_eligibility.screening.runner import Progress
from fhir_eligibility.screening.server import candidate_ids, fetch_all
from fhir_eligibility.writeback import (
    READS,
    WITHHELD,
    WRITE_BACK_FAILED_EXIT,
    WRITES,
    dry_run_text,
    from_result,
    send,
    summary,
    transactions,
)

Bundle = tuple[str, dict[str, object]]


def screened(
    patients: Iterable[PatientData],
    trials: Sequence[Trial],
    as_of: dt.date,
    settings: Settings,
    tally: Tally,
    occurred: str,
    progress: Callable[[int], None] | None = None,
    withheld: list[int] | None = None,
) -> Iterator[Bundle]:
    """Per patient: evaluate, add to ``tally``, and yield (patient id, a write-back transaction) per study;
    ``withheld`` counts the outcomes not written (undetermined on data the server did not deliver)."""
    for data in map(withhold_merged, patients):  # a merged-away record: nothing decided, nothing written
        results = evaluate_patient(data, trials, as_of, settings)
        tally.add([outcome_of(r) for r in results], data.warnings)
        if progress is not None:
            progress(tally.patients)
        written = [from_result(r, bool(data.unavailable)) for r in results]
        if withheld is not None:
            withheld[0] += sum(not w.recordable for w in written)
        yield from transactions(written, trials, occurred, as_of)


def screen_and_write(
    options: ServerOptions,
    trials: Sequence[Trial],
    as_of: dt.date,
    settings: Settings,
    dry_run: bool,
    progress: Progress | None = None,
) -> tuple[ScreeningReport, int]:
    """The screening report and the exit status of the write-back (0, or 5 when a patient's write failed)."""
    occurred = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()  # the clock, read at the edge
    requirements = plan(trials, as_of, settings.default_lookback_days)
    tally = Tally.for_trials(trials)
    skipped: list[tuple[str, str]] = []
    # the write-back details each criterion as evaluate's does: reasons, evidence, attestations
    full = dataclasses.replace(settings, explain=True)
    # one token for the whole pass: the candidate search, the patients' data, and what write-back reads and writes
    reads = [*types_read(requirements), "Condition", *READS]
    with FhirServer(scoped(options, reads, WRITES)) as server:
        if progress is not None:
            progress("searching", 0, None)
        ids, notes = candidate_ids(SearchClient(server), trials)

        def tick(done: int) -> None:
            if progress is not None:
                progress("screening", done, len(ids))

        withheld = [0]
        bundles = screened(
            fetch_all(server, ids, requirements, skipped), trials, as_of, full, tally, occurred, tick, withheld
        )
        if dry_run:
            sent = 0
            for bundle in bundles:
                click.echo(dry_run_text(options.base, [bundle]), err=True)
                sent += 1
            click.echo(f"dry run: {sent} transaction(s) not sent", err=True)
            failed = 0
        else:
            out = send(server, bundles)
            for line in summary(out, options.base):
                click.echo(line, err=True)
            failed = len(out.failed)
        if withheld[0]:
            click.echo(f"write-back: {withheld[0]} {WITHHELD}", err=True)
    report = tally.report(as_of, options.base, notes)
    if skipped:
        note = f"{len(skipped)} of {len(ids)} candidate(s) not screened (listed in the report); the run is partial"
        report = dataclasses.replace(report, warnings=(note, *report.warnings), not_screened=tuple(sorted(skipped)))
    return report, WRITE_BACK_FAILED_EXIT if failed else 0


__all__ = ["screen_and_write", "screened"]
