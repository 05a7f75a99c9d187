"""What runs on the Spark executors: plain functions of plain, picklable values (no pyspark import).

Why here and not in the driver module: Spark pickles these functions by reference, so an executor
imports this module and the screening core, never the driver's session code. Each function is
the Spark counterpart of one step of the built-in engine and calls the same code:

* :func:`count_lines`: each file split's line count, so that pass 1 knows every line's
  number in its file (warnings name it, an id-less record is named ``no-id-<file>-<line>`` by it).
* :func:`route_partition`: pass 1 (``partition._partition_ndjson``) through
  :func:`fhir_eligibility.screening.routing.route_line`, for one partition of one input file. It
  yields keyed patient lines, identifier-index entries and waiting conditional references, and
  last one :class:`PartitionSummary` (Patients, Medication index, warnings, records left out).
* :func:`resolve_identifiers`: ``partition.resolve_deferred`` for cogrouped identifiers.
* :func:`screen_partition`: pass 2 (``runner.screen_shard``): consecutive lines of one patient
  (sorted by patient, then input order) -> ``shard_read.patient_of`` -> ``core.screen_patient``
  -> one :class:`~fhir_eligibility.screening.core.Tally` per partition (``max_candidates`` best
  candidates per trial), all of them merged into one by :func:`merge_tallies` on one executor.

Ordering keys: ``(phase, file, line)``, phase 0 for the input, 1 for resolved conditional
references (the built-in engine appends them after every pass-1 part), so a patient's resources
reach the evaluator in the same order as in the built-in engine.
"""

from __future__ import annotations

import datetime as dt
import gc
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import Evaluator
from fhir_eligibility.retrieval.lines import MAX_LINE_BYTES, TOO_LONG
from fhir_eligibility.retrieval.reading import Drops, WarningLog
from fhir_eligibility.screening.core import Tally, screen_patient
from fhir_eligibility.screening.routing import (
    DATA,
    DEFERRED,
    MEDICATION,
    PATIENT,
    route_line,
    warn_ambiguous,
    warn_unresolved,
)
from fhir_eligibility.screening.shard_read import patient_of

Order = tuple[int, int, int]  # (phase, file, line number in the file)
# Record tags of the routed RDD
LINE, IDENTIFIER, WAITING, SUMMARY, LOG = "L", "I", "W", "S", "X"


@dataclass
class PartitionSummary:
    """What one input partition tells the driver; small whatever the partition's size (warnings
    are counted per kind, records left out are the input's faults)."""

    file: int
    first: int = -1  # the start offset of its first file split (orders partitions in their file)
    used: bool = False  # a non-blank line (a file with none is an "empty file")
    routed: int = 0  # lines kept as some patient's data (Patients included)
    patient_resources: int = 0
    waiting: int = 0  # conditional references waiting for the identifier index
    medications: dict[str, dict[str, Any]] = field(default_factory=dict)
    stamps: dict[str, str] = field(default_factory=dict)  # "Medication/<id>" -> the version kept (meta.lastUpdated)
    log: WarningLog = field(default_factory=WarningLog)
    drops: Drops = field(default_factory=Drops)


@dataclass(frozen=True)
class Job:
    """What every screening task needs (broadcast once): the built-in ``runner.Job`` plus the bound."""

    trials: tuple[Trial, ...]
    as_of: dt.date
    settings: Settings
    medications: dict[str, dict[str, Any]]
    drops: Drops
    max_candidates: int


def count_lines(file: int, rows: Iterable[tuple[int, bytes]]) -> Iterator[tuple[tuple[int, int], tuple[int, int]]]:
    """``((file, split start), (lines, bytes))`` for each file split of one partition (``rows``: split
    start and raw line, as ``engine._raw_lines`` reads them; bytes: the lines' with their ``\n``, a
    line cut as too long counted at the bound, which tell the lines skipped whole: ``engine.too_long``)."""
    counts: dict[int, tuple[int, int]] = {}
    for start, line in rows:
        n, size = counts.get(start, (0, 0))
        counts[start] = n + 1, size + (MAX_LINE_BYTES if line.startswith(TOO_LONG) else len(line)) + 1
    for start, counted in counts.items():
        yield (file, start), counted


def route_partition(
    sources: Sequence[str],
    before: Mapping[tuple[int, int], int],
    file: int,
    rows: Iterable[tuple[int, bytes]],
    bases: Sequence[str | None] = (),
) -> Iterator[tuple[str, Any, Any]]:
    """Pass 1 over one partition of input file ``file`` (named ``sources[file]``; ``before``: the
    lines of the file's splits before each split; ``bases``: each file's export server, if known):
    ``(tag, key, value)`` records, summary last."""
    base = bases[file] if file < len(bases) else None
    s = PartitionSummary(file)
    source = sources[file]
    split, n = -1, 0

    def number() -> int:
        return n

    for start, raw in rows:
        if start != split:
            split, n = start, before.get((file, start), 0)
            s.first = start if s.first < 0 else s.first
        n += 1
        line = bytes(raw).strip()
        if not line:
            continue
        s.used = True
        route = route_line(line, source, file, number, s.log, s.drops, base)
        order: Order = (0, file, n)
        if route.kind == DATA:
            s.routed += 1
            yield LINE, (route.key, order), route.line
        elif route.kind == PATIENT:
            s.routed += 1
            s.patient_resources += 1
            yield LINE, (route.key, order), route.line
            for key in route.identifiers:
                yield IDENTIFIER, key, (order, route.key)
        elif route.kind == MEDICATION and route.code is not None and route.stamp >= s.stamps.get(route.key, ""):
            s.medications[route.key], s.stamps[route.key] = route.code, route.stamp  # the latest, as partition._route
        elif route.kind == DEFERRED:
            s.waiting += 1
            yield WAITING, route.key, (order, route.line)
    yield SUMMARY, (file, s.first), s


def resolve_identifiers(
    sources: Sequence[str],
    groups: Iterable[tuple[str, tuple[Iterable[tuple[Order, bytes]], Iterable[tuple[Order, str]]]]],
) -> Iterator[tuple[str, Any, Any]]:
    """Each identifier's waiting lines to the patient it names, as ``partition.resolve_deferred``
    does: the lines no Patient claims warned about, and those several patients' identifiers match
    given to none (their type unknown for each); the warnings and what was left out last, as one
    (:class:`WarningLog`, :class:`Drops`)."""
    log, drops = WarningLog(), Drops()
    for _key, (waiting, patients) in groups:
        named = {pid for _order, pid in patients}
        for (_phase, file, n), line in waiting:
            if len(named) == 1:
                yield LINE, (next(iter(named)), (1, file, n)), line
            elif named:
                warn_ambiguous(log, drops, sources[file], line, (file, n), named)
            else:
                warn_unresolved(log, drops, sources[file], line, (file, n))
    yield LOG, None, (log, drops)


def has_tag(tag: str, record: tuple[str, Any, Any]) -> bool:
    return record[0] == tag


def key_value(record: tuple[str, Any, Any]) -> tuple[Any, Any]:
    return record[1], record[2]


def value(record: tuple[str, Any, Any]) -> Any:
    return record[2]


class Shared(Protocol):
    """A broadcast variable (pyspark's ``Broadcast``), read on the executor."""

    @property
    def value(self) -> Job: ...


def screen_shared(shared: Shared, records: Iterable[tuple[tuple[str, Order], bytes]]) -> Iterator[Tally]:
    return screen_partition(shared.value, records)


def patient_partition(key: tuple[str, Order]) -> int:
    """Shuffle partition of a patient's line: by patient id only, stable across processes
    (``hash`` of a str is salted per Python process)."""
    return zlib.crc32(key[0].encode("utf-8"))


def keyed(tally: Tally) -> tuple[int, Tally]:
    """Every partition's tally under one key, for the one reduce task that merges them."""
    return 0, tally


def merge_tallies(a: Tally, b: Tally) -> Tally:
    """Both bounded alike (``Tally.for_trials(..., limit)``): the merge keeps the bound."""
    return a.merge(b)


def screen_partition(job: Job, records: Iterable[tuple[tuple[str, Order], bytes]]) -> Iterator[Tally]:
    """Pass 2 over one shuffle partition, sorted by (patient, input order): one Tally, always."""
    # As the built-in workers do: evaluation allocates millions of short-lived acyclic objects,
    # and default GC thresholds rescan them constantly (measured: half the evaluation time).
    gc.set_threshold(200_000, 50, 100)
    tally = Tally.for_trials(job.trials, job.max_candidates, job.settings.assume_attested)
    evaluator = Evaluator(job.trials, job.settings)
    pid: str | None = None
    lines: list[bytes] = []

    def screen(patient: str) -> None:
        if job.drops.gone(patient):  # a deleted patient is no patient of the input (as shard_read)
            return
        data = patient_of(patient, lines, job.medications, job.drops)
        tally.add(screen_patient(data, evaluator, job.as_of), data.warnings)

    for (key, _order), line in records:
        if key != pid:
            if pid is not None:
                screen(pid)
            pid, lines = key, []
        lines.append(line)
    if pid is not None:
        screen(pid)
    for t in tally.trials.values():  # shipped at the bound, not up to twice it
        if len(t.candidates) > t.limit:
            t.prune()
    yield tally


__all__ = [
    "Job",
    "PartitionSummary",
    "Shared",
    "count_lines",
    "has_tag",
    "key_value",
    "keyed",
    "merge_tallies",
    "patient_partition",
    "resolve_identifiers",
    "route_partition",
    "screen_partition",
    "screen_shared",
    "value",
]
