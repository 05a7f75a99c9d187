"""What runs on the Spark executors: plain functions of plain, picklable values (no pyspark import).

Why here and not in the driver module: Spark pickles these functions by reference, so an executor
imports this module and the screening core, never the driver's session code. Each function is
the Spark counterpart of one step of the built-in engine and calls the same code:

* :func:`route_partition`: pass 1 (``partition._partition_ndjson``) through
  :func:`fhir_eligibility.screening.routing.route_line`, for one partition of one input file. It
  yields keyed patient lines, identifier-index entries and waiting conditional references, and
  last one :class:`PartitionSummary` (lines, Patients, Medication index, warnings by position).
* :func:`resolve_identifier`: ``partition.resolve_deferred`` for one identifier (cogrouped).
* :func:`screen_partition`: pass 2 (``runner.screen_shard``): consecutive lines of one patient
  (sorted by patient, then input order) -> ``routing.patient_data`` -> ``core.screen_patient``
  -> one :class:`~fhir_eligibility.screening.core.Tally` per partition.

Ordering keys: ``(phase, file, partition, line in partition)``, phase 0 for the input, 1 for
resolved conditional references (the built-in engine appends them after every pass-1 part), so
a patient's resources reach the evaluator in the same order as in the built-in engine.
"""

from __future__ import annotations

import datetime as dt
import gc
import heapq
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.report.screening import rank_key
from fhir_eligibility.screening.core import Tally, screen_patient
from fhir_eligibility.screening.routing import (
    BAD_LINE,
    DATA,
    DEFERRED,
    MEDICATION,
    PATIENT,
    UNRESOLVABLE,
    patient_data,
    route_line,
    unresolvable_message,
)

Order = tuple[int, int, int, int]  # (phase, file, partition, line within the partition)
# Record tags of the routed RDD
LINE, IDENTIFIER, WAITING, SUMMARY, WARNING = "L", "I", "W", "S", "X"
MAX_PARTITION_WARNINGS = 201  # the built-in reader keeps 200 input warnings, then one "further ... not shown"


@dataclass
class PartitionSummary:
    """What one input partition tells the driver; small whatever the partition's size."""

    file: int
    partition: int
    lines: int = 0  # physical lines, blank ones included (to number the next partition's lines)
    patient_resources: int = 0
    waiting: int = 0  # conditional references waiting for the identifier index
    medications: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (line within the partition, message, whether "<file>:<line>: " goes before it), input order
    warnings: list[tuple[int, str, bool]] = field(default_factory=list)
    more_warnings: int = 0


@dataclass(frozen=True)
class Job:
    """What every screening task needs (broadcast once): the built-in ``runner.Job`` plus the bound."""

    trials: tuple[Trial, ...]
    as_of: dt.date
    settings: Settings
    medications: dict[str, dict[str, Any]]
    max_candidates: int


def route_partition(file: int, partition: int, lines: Iterable[bytes]) -> Iterator[tuple[str, Any, Any]]:
    """Pass 1 over one partition of input file ``file``: ``(tag, key, value)`` records, summary last."""
    s = PartitionSummary(file, partition)

    def warn(k: int, message: str, located: bool) -> None:
        if len(s.warnings) < MAX_PARTITION_WARNINGS:
            s.warnings.append((k, message, located))
        else:
            s.more_warnings += 1

    for raw in lines:
        s.lines += 1
        route, line = route_line(raw)
        order: Order = (0, file, partition, s.lines)
        if route.kind == DATA:
            yield LINE, (route.key, order), line
        elif route.kind == PATIENT:
            s.patient_resources += 1
            yield LINE, (route.key, order), line
            for key in route.identifiers:
                yield IDENTIFIER, key, (order, route.key)
        elif route.kind == MEDICATION and route.code is not None:
            s.medications[route.key] = route.code
        elif route.kind == DEFERRED:
            s.waiting += 1
            yield WAITING, route.key, (order, line)
        elif route.kind == BAD_LINE:
            warn(s.lines, route.message, True)
        elif route.kind == UNRESOLVABLE:
            warn(s.lines, route.message, False)
    yield SUMMARY, (file, partition), s


def resolve_identifier(
    group: tuple[str, tuple[Iterable[tuple[Order, bytes]], Iterable[tuple[Order, str]]]],
) -> Iterator[tuple[str, Any, Any]]:
    """One identifier's waiting lines to the patient it names (the last Patient in input order wins,
    as in ``partition.resolve_deferred``), or a warning per line when no Patient carries it."""
    _key, (waiting, patients) = group
    named = max(patients, default=None)
    for order, line in waiting:
        if named is None:
            yield WARNING, order, unresolvable_message(line)
        else:
            yield LINE, (named[1], (1, *order[1:])), line


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


def bound_candidates(tally: Tally, limit: int) -> Tally:
    """Keep each trial's ``limit`` best-ranked candidates (the report lists them in that order)."""
    for t in tally.trials.values():
        if len(t.candidates) > limit:
            t.candidates = heapq.nsmallest(limit, t.candidates, key=rank_key)
    return tally


def merge_tallies(a: Tally, b: Tally, limit: int) -> Tally:
    return bound_candidates(a.merge(b), limit)


def screen_partition(job: Job, records: Iterable[tuple[tuple[str, Order], bytes]]) -> Iterator[Tally]:
    """Pass 2 over one shuffle partition, sorted by (patient, input order): one Tally, always."""
    # As the built-in workers do: evaluation allocates millions of short-lived acyclic objects,
    # and default GC thresholds rescan them constantly (measured: half the evaluation time).
    gc.set_threshold(200_000, 50, 100)
    tally = Tally.for_trials(job.trials)
    pid: str | None = None
    lines: list[bytes] = []

    def screen(patient: str) -> None:
        data = patient_data(patient, lines, job.medications)
        tally.add(screen_patient(data, job.trials, job.as_of, job.settings), data.warnings)
        if tally.patients % 1000 == 0:  # the partition's candidates stay within twice the bound
            bound_candidates(tally, 2 * job.max_candidates)

    for (key, _order), line in records:
        if key != pid:
            if pid is not None:
                screen(pid)
            pid, lines = key, []
        lines.append(line)
    if pid is not None:
        screen(pid)
    yield bound_candidates(tally, job.max_candidates)


__all__ = [
    "Job",
    "PartitionSummary",
    "Shared",
    "bound_candidates",
    "has_tag",
    "key_value",
    "merge_tallies",
    "patient_partition",
    "resolve_identifier",
    "route_partition",
    "screen_partition",
    "screen_shared",
    "value",
]
