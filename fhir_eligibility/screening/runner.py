"""Run a screening on local worker processes (:mod:`fhir_eligibility.workers`): files (partition,
then shards) or a stream of patients.

Each worker receives the compiled trials once (the pool's setup, never per patient) and returns one
partial :class:`~fhir_eligibility.screening.core.Tally` per task; the parent only merges counts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fhir_eligibility import disk
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import OutputError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.measures import units
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.screening import ScreeningReport
from fhir_eligibility.retrieval.files import nothing_usable
from fhir_eligibility.retrieval.reading import Drops
from fhir_eligibility.screening.core import MAX_CANDIDATES, SCREENING, Tally
from fhir_eligibility.screening.fast import Screener
from fhir_eligibility.screening.partition import DEFAULT_SHARD_BYTES, partition, read_shard
from fhir_eligibility.workers import PATIENTS_PER_TASK, Executor, batched, default_workers, worker_count

READ_BYTES_PER_WORKER = 1 << 20  # pass 1 of a smaller input is read by fewer processes (one per MiB)
Progress = Callable[[str, int, int | None], None]  # (stage, done, total or None)


@dataclass(frozen=True)
class Job:
    """What every screening worker needs, sent once per worker."""

    trials: tuple[Trial, ...]
    as_of: dt.date
    settings: Settings
    medications: dict[str, dict[str, Any]]
    drops: Drops | None = None  # NDJSON records pass 1 could not read or place


_JOB: Job | None = None
_SCREENER: Screener | None = None  # the job's trials compiled, in this worker


def _start(job: Job | None) -> None:
    """A worker's setup (:class:`~fhir_eligibility.workers.Executor`): its job; ``None`` forgets it."""
    global _JOB, _SCREENER
    _JOB = job
    _SCREENER = None


def _job() -> Job:
    if _JOB is None:  # pragma: no cover - a worker always runs the initializer first
        raise RuntimeError("screening worker used before initialisation")
    return _JOB


def _screener(job: Job) -> Screener:
    """Compiled on the worker's first task (closures do not pickle; compiling takes milliseconds)."""
    global _SCREENER
    if _SCREENER is None:
        _SCREENER = Screener(job.trials, job.as_of, job.settings)
    return _SCREENER


def screen_shard(parts: tuple[Path, ...]) -> Tally:
    """Worker task: every patient of one shard (its part files)."""
    job = _job()
    tally = Tally.for_trials(job.trials, assume_attested=job.settings.assume_attested)
    screener = _screener(job)
    for data in read_shard(parts, job.medications, job.drops):
        tally.add(screener.screen(data), data.warnings)
    return tally


def screen_batch(patients: list[PatientData]) -> Tally:
    """Worker task: a batch of already fetched patients (server path)."""
    job = _job()
    tally = Tally.for_trials(job.trials, assume_attested=job.settings.assume_attested)
    screener = _screener(job)
    for data in patients:
        tally.add(screener.screen(data), data.warnings)
    return tally


def _numbered(task: tuple[int, Any]) -> tuple[int, Tally]:
    """Worker task: a shard (a tuple of part files) or a batch of patients, with its number."""
    number, work = task
    return number, screen_batch(work) if isinstance(work, list) else screen_shard(work)


def _in_order(numbered: Iterable[tuple[int, Tally]]) -> Iterator[Tally]:
    """Partial tallies in task order, whatever order the workers finished in: the report's warnings (the
    first ``MAX_WARNINGS`` kept, in order) are then the same for any number of workers and any timing.
    Holds only the tallies that finished ahead of an earlier one (small: counts and a few candidates)."""
    waiting: dict[int, Tally] = {}
    following = 0
    for number, partial in numbered:
        waiting[number] = partial
        while following in waiting:
            yield waiting.pop(following)
            following += 1


def screen_files(
    paths: Sequence[Path],
    trials: Sequence[Trial],
    as_of: dt.date,
    settings: Settings = SCREENING,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    temp_dir: Path | None = None,
    shard_bytes: int = DEFAULT_SHARD_BYTES,
    source: str = "",
    notes: Iterable[str] = (),
    max_candidates: int = MAX_CANDIDATES,
    exported: Iterable[str] = (),
) -> ScreeningReport:
    """Screen every patient in Bulk NDJSON files, Bundles or folders of them. ``exported``: types
    the source vouches for even where the files hold none (a Bulk export leaves out a type it has no
    record of); any other type the input's NDJSON holds no record of is unknown, not absent
    (:func:`~fhir_eligibility.retrieval.reading.not_held`)."""
    n = worker_count(workers or default_workers())
    total_bytes = sum(_size(p) for p in paths)
    readers = worker_count(n, -(-total_bytes // READ_BYTES_PER_WORKER))  # a small input: read here, no fork

    def read_progress(done: int) -> None:
        if progress is not None:
            progress("reading", done, total_bytes)

    with tempfile.TemporaryDirectory(prefix="fhir-screen-", dir=temp_dir) as tmp:
        need = int(total_bytes * disk.SHARD_BYTES_PER_INPUT_BYTE)  # compressed input needs more: a shard writer says so
        if need > disk.room(Path(tmp)):
            raise OutputError(
                f"screening writes about {disk.gib(need)} of shards to {Path(tmp).parent}, which would leave less "
                f"than {disk.gib(disk.RESERVE_BYTES)} free on its disk: --temp-dir names another"
            )
        with Executor(readers) as reader:  # pass 1 on every core; the screening pool forks after it (medications)
            # meanwhile this (otherwise waiting) process builds the unit engine its screening workers inherit,
            # instead of each of them building it (~0.4 s, a tenth of a 10,000-patient run)
            warming = threading.Thread(target=units.warm_up, name="units-warm-up", daemon=True)
            warming.start()
            parts = partition(
                paths,
                Path(tmp),
                min_shards=4 * n,
                shard_bytes=shard_bytes,
                progress=read_progress,
                workers=n,
                map_tasks=lambda fn, tasks: reader.map_unordered(fn, tasks, in_flight=len(tasks)),
            )
            warming.join()  # before forking again: no thread may hold the engine's lock in a child
        if not parts.shards:
            raise nothing_usable(paths, parts.warnings)
        parts.drops.held.update(exported)
        job = Job(tuple(trials), as_of, settings, parts.medications, parts.drops)
        tally = Tally.for_trials(trials, max_candidates, settings.assume_attested)
        tally.warn(parts.warnings)
        with Executor(worker_count(n, len(parts.shards)), _start, job) as ex:
            total = parts.patient_resources
            if progress is not None:
                progress("screening", 0, total)
            # a few shards queued per worker, not all of them: their paths are built as they are queued
            numbered = ex.map_unordered(_numbered, enumerate(parts.shards), in_flight=4 * n)
            for partial in _in_order(numbered):
                tally.merge(partial)
                if progress is not None:
                    progress("screening", tally.patients, max(total, tally.patients))
    return tally.report(as_of, source or ", ".join(str(p) for p in paths), notes)


def _size(p: Path) -> int:
    with contextlib.suppress(OSError):
        if p.is_dir():
            return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        return p.stat().st_size
    return 0


def screen_stream(
    patients: Iterable[PatientData],
    trials: Sequence[Trial],
    as_of: dt.date,
    settings: Settings = SCREENING,
    *,
    workers: int | None = None,
    total: int | None = None,
    progress: Progress | None = None,
    source: str = "",
    notes: Iterable[str] = (),
    max_candidates: int = MAX_CANDIDATES,
) -> ScreeningReport:
    """Screen patients as a source yields them (a FHIR server); at most a few batches in memory."""
    n = worker_count(workers or default_workers())
    job = Job(tuple(trials), as_of, settings, {})
    tally = Tally.for_trials(trials, max_candidates, settings.assume_attested)
    with Executor(n, _start, job) as ex:
        if progress is not None:
            progress("screening", 0, total)
        for partial in _in_order(ex.map_unordered(_numbered, enumerate(batched(patients, PATIENTS_PER_TASK)))):
            tally.merge(partial)
            if progress is not None:
                progress("screening", tally.patients, total)
    return tally.report(as_of, source, notes)


__all__ = ["Job", "default_workers", "screen_batch", "screen_files", "screen_shard", "screen_stream"]
