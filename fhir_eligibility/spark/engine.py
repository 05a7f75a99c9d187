"""Screening on Apache Spark: the built-in engine's two passes as Spark jobs, the same report.

Why this shape: the built-in engine partitions lines to patients on disk (pass 1), then screens
one shard at a time (pass 2). Here pass 1 is one ``mapPartitions`` over every input file (each
line routed by :func:`fhir_eligibility.screening.routing.route_line`, the built-in engine's own
rule, persisted), whose small per-partition summaries (Medication index, counts, counted warnings,
records left out) are the only thing collected (a cheaper job before it counts each partition's
lines, so that warnings and ``no-id-<file>-<line>`` names carry the built-in engine's line
numbers: one more read of the input, no parsing); conditional ``Patient?identifier=``
references, when there are any, are resolved by a ``cogroup`` with the identifier index; pass 2
is a shuffle by patient (``repartitionAndSortWithinPartitions``: one patient's lines together,
in input order) and a ``mapPartitions`` that screens each patient with
:func:`fhir_eligibility.screening.core.screen_patient`, the product's one evaluation path, into
one :class:`~fhir_eligibility.screening.core.Tally` per partition, all merged into one by one
reduce task on an executor (``reduceByKey`` to one partition).

What reaches the driver: per-input-partition summaries (small whatever the partition's size), then
one tally: counts, funnels, counted warnings and each trial's ``max_candidates`` best-ranked
candidates, flat in the population size. Not ``treeReduce``: its last level is collected to the
driver at once, about sqrt(partitions) tallies of up to ``max_candidates`` candidates per trial
each (at 1,000,000 patients that was every candidate). Past the bound the report says how many
candidates there were and lists the best ones, as the built-in engine's (the same ``Tally``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import InputError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.report.screening import ScreeningReport
from fhir_eligibility.retrieval.files import nothing_usable, read_line
from fhir_eligibility.retrieval.inputs import input_files, ndjson_lines, unread_type
from fhir_eligibility.retrieval.lines import MAX_LINE_BYTES, TOO_LONG
from fhir_eligibility.retrieval.manifest import folder_manifest
from fhir_eligibility.retrieval.reading import ANY_TYPE, WarningLog, warn_deleted
from fhir_eligibility.screening.core import MAX_CANDIDATES, SCREENING, Tally
from fhir_eligibility.screening.partition import Partitioned
from fhir_eligibility.spark import tasks
from fhir_eligibility.spark.session import URI, first_line, local_path, manifest_folders, spark_inputs, start_session

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import SparkSession

# Hadoop's LineRecordReader does not keep a line longer than this (it cuts or skips it)
MAX_LENGTH = "mapreduce.input.linerecordreader.line.maxlength"
Split = tuple[tuple[int, int], tuple[int, int]]  # ((file, split start), (lines, bytes)): tasks.count_lines
KEPT_BYTES = 2**16  # of a line cut as too long, what tells its type and patient (as retrieval.lines keeps)
PARTITION_BYTES = 32 * 1024 * 1024  # input per screening partition (a partition's patients are held one at a time)


def screen_spark(
    paths: Sequence[str],
    trials: Sequence[Trial],
    as_of: dt.date,
    settings: Settings = SCREENING,
    *,
    master: str | None = None,
    conf: Mapping[str, str] | None = None,
    session: SparkSession | None = None,
    max_candidates: int = MAX_CANDIDATES,
    source: str = "",
) -> ScreeningReport:
    """Screen Bulk NDJSON files (local paths or URIs) on Spark (``master``: see ``start_session``);
    ``session``: use this one and leave it running (tests, notebooks)."""
    spark = session or start_session(master, conf)
    try:
        return _screen(spark, paths, trials, as_of, settings, max_candidates, source or ", ".join(paths))
    except InputError:
        raise
    except Exception as e:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        if isinstance(e, Py4JError | PySparkException):  # a failed job: one line, not a JVM stack trace
            _compressed_fault(paths)
            raise InputError(f"spark job failed: {_python_error(e)}") from None
        raise
    finally:
        if session is None:
            spark.stop()


def _local(uri: str, name: str) -> Path:
    """An input file as the manifests' folders are named: a local one as given, a ``file:`` URI's as its path."""
    return (local_path(uri) or Path(uri)) if URI.match(uri) else Path(name)


def _compressed_fault(paths: Sequence[str]) -> None:
    """After a failed job: a local compressed input that cannot be read to its end (a truncated
    ``.gz``, whose Hadoop error names no file) is the built-in reader's one line naming it."""
    local = [q for q in (local_path(p) if URI.match(p) else Path(p) for p in paths) if q is not None and q.exists()]
    for f in input_files(local) if local else []:
        if f.name.lower().endswith((".gz", ".bz2")):
            for _line in ndjson_lines(f):  # InputError: "<file>: not a readable gzip file (EOFError)"
                pass


def _python_error(e: BaseException) -> str:
    """The Python exception an executor raised, when there is one, else the first line."""
    lines = [ln.strip() for ln in str(e).splitlines()]
    raised = [ln for ln in lines if ln and ":" in ln and ln.split(":", 1)[0].endswith(("Error", "Exception"))]
    return raised[-1][:300] if raised else first_line(e)


def _screen(
    spark: SparkSession,
    paths: Sequence[str],
    trials: Sequence[Trial],
    as_of: dt.date,
    settings: Settings,
    max_candidates: int,
    source: str,
) -> ScreeningReport:
    from pyspark import StorageLevel

    sc = spark.sparkContext
    log = WarningLog()
    unread: set[str] = set()  # the types of the files a URI's folder holds that are not read
    files = spark_inputs(spark, paths, log, unread)
    sources = tuple(name for _uri, name, _size in files)
    inputs = [_raw_lines(spark, uri) for uri, _name, _size in files]
    counts = sc.union([rdd.mapPartitions(partial(tasks.count_lines, i)) for i, rdd in enumerate(inputs)]).collect()
    before = _lines_before(counts)
    folders, unread_manifest = manifest_folders(spark, paths, log)
    manifest = folder_manifest(folders)  # as the built-in readers (a file: URI's folder as its path)
    bases = tuple(
        manifest.base_for(local_path(uri) or Path(uri) if URI.match(uri) else Path(name)) for uri, name, _ in files
    )
    route = partial(tasks.route_partition, sources, before)
    routed = sc.union([rdd.mapPartitions(partial(route, i, bases=bases)) for i, rdd in enumerate(inputs)]).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    cached = [routed]
    try:
        summaries = routed.filter(partial(tasks.has_tag, tasks.SUMMARY)).map(tasks.value).collect()
        found, medications = _input_findings(summaries, sources, log)
        too_long(files, counts, found)
        manifest.partial.extend(sorted(unread | ({ANY_TYPE} if unread_manifest else set())))
        manifest.apply(found.drops)
        for line in manifest.lines():
            found.log.add(line)
        warn_deleted(found.log, found.drops)  # as the built-in partition: screen_partition skips them
        if not any(s.routed for s in summaries):  # as the built-in engine: no patient at all is a bad input
            raise nothing_usable(paths, found.warnings)
        lines = routed.filter(partial(tasks.has_tag, tasks.LINE)).map(tasks.key_value)
        if any(s.waiting for s in summaries):
            resolved = _resolve_conditional(routed, sources, found)
            cached.append(resolved)
            lines = lines.union(resolved.filter(partial(tasks.has_tag, tasks.LINE)).map(tasks.key_value))
        job = tasks.Job(tuple(trials), as_of, settings, medications, found.drops, max_candidates)
        shared = sc.broadcast(job)
        by_patient = lines.repartitionAndSortWithinPartitions(
            max(sc.defaultParallelism, -(-sum(size for *_, size in files) // PARTITION_BYTES)),
            partitionFunc=tasks.patient_partition,
        )
        (merged,) = (
            by_patient.mapPartitions(partial(tasks.screen_shared, shared))
            .map(tasks.keyed)
            .reduceByKey(tasks.merge_tallies, numPartitions=1)
            .values()
            .collect()
        )
        shared.destroy()
    finally:
        for rdd in cached:
            rdd.unpersist()
    tally = Tally.for_trials(trials, max_candidates, settings.assume_attested)
    tally.warn(found.warnings)  # input warnings first, then the patients', as in the built-in engine
    return tally.merge(merged).report(as_of, source)


def _raw_lines(spark: SparkSession, uri: str) -> RDD[Any]:
    """``(split start, line bytes)`` rows of one file. Why not ``textFile``: it decodes lines to
    strings on the JVM, replacing invalid UTF-8 (which the reading policy refuses) unseen; the text
    source keeps a line's bytes, and a split's start offset orders splits whatever their partition.
    Lines end at ``\n`` only, as the built-in reader's (a lone ``\r`` is JSON whitespace). A line
    longer than the built-in bound (``retrieval.lines``; a 70 MiB line took the JVM down) is cut there
    by Hadoop's reader and reaches Python as the built-in reader's too-long line (``TOO_LONG`` and its
    first bytes: ``files.read_line`` says it, its type unknown for the patient it names), or is
    skipped whole (said by :func:`too_long`)."""
    from pyspark.sql import functions

    frame = spark.read.option("lineSep", "\n").option(MAX_LENGTH, str(MAX_LINE_BYTES + 1)).text(uri)
    raw = frame.value.cast("binary")
    cut = functions.concat(functions.lit(bytearray(TOO_LONG)), functions.substring(raw, 1, KEPT_BYTES))
    line = functions.when(functions.octet_length(raw) > MAX_LINE_BYTES, cut).otherwise(raw)
    return frame.select(functions.input_file_block_start(), line).rdd


def too_long(files: Sequence[tuple[str, str, int]], counts: Iterable[Split], found: Partitioned) -> None:
    """The lines Hadoop's reader skipped as longer than ``MAX_LINE_BYTES`` (a file whose lines hold far
    fewer bytes than it does), said and made unknown as the built-in engine does: a local file (a path,
    a ``file:`` URI) is read again on the driver for them (``files.read_line``: the line's number, its
    type and patient from its first bytes); elsewhere, its type by the file's name (else every type)
    for everyone. The line numbers of the file's later warnings are one less than the built-in
    engine's; a compressed file's size is not its text's: not checked (limits)."""
    read: dict[int, int] = {}
    for (file, _start), (_n, size) in counts:
        read[file] = read.get(file, 0) + size
    for index, (uri, name, size) in enumerate(files):
        if name.lower().endswith((".gz", ".bz2")) or size - read.get(index, 0) <= MAX_LINE_BYTES:
            continue
        local = local_path(uri) if URI.match(uri) else Path(uri)
        if local is None:
            found.log.add(f"{name}: a line longer than {MAX_LINE_BYTES >> 20} MiB; line ignored", "", (index, 0))
            found.drops.add(unread_type(Path(name)))
            continue
        for n, line in enumerate(ndjson_lines(local), 1):
            if line.startswith(TOO_LONG):
                read_line(line, name, index, partial(int, n), found.log, found.drops)


def _lines_before(counts: Iterable[Split]) -> dict[tuple[int, int], int]:
    """Each file split's first line number less one: the lines of its file's earlier splits."""
    out: dict[tuple[int, int], int] = {}
    total: dict[int, int] = {}
    for (file, start), (n, _size) in sorted(counts):
        out[(file, start)] = total.get(file, 0)
        total[file] = total.get(file, 0) + n
    return out


def _input_findings(
    summaries: Iterable[tasks.PartitionSummary], sources: Sequence[str], log: WarningLog
) -> tuple[Partitioned, dict[str, dict[str, Any]]]:
    """The partitions' warnings and records left out merged (as the built-in reader's tasks are),
    empty files named; the Medication index (``Partitioned.merge``: the latest ``meta.lastUpdated`` of a
    Medication, on a tie the later in input order, as the built-in engine keeps)."""
    found = Partitioned([], log=log)
    used: set[int] = set()
    for s in sorted(summaries, key=lambda s: (s.file, s.first)):
        found.merge(Partitioned([], medications=s.medications, stamps=s.stamps, log=s.log, drops=s.drops))
        found.patient_resources += s.patient_resources
        if s.used:
            used.add(s.file)
    for index, name in enumerate(sources):
        if index not in used:
            found.log.add(f"{name}: empty file", "", (index, 0))
    return found, found.medications


def _resolve_conditional(routed: RDD[Any], sources: Sequence[str], found: Partitioned) -> RDD[Any]:
    """``Patient?identifier=`` lines tagged with the patient they name (persisted); warnings into ``found``."""
    from pyspark import StorageLevel

    waiting = routed.filter(partial(tasks.has_tag, tasks.WAITING)).map(tasks.key_value)
    index = routed.filter(partial(tasks.has_tag, tasks.IDENTIFIER)).map(tasks.key_value)
    resolved = (
        waiting.cogroup(index)
        .mapPartitions(partial(tasks.resolve_identifiers, sources))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    for log, drops in resolved.filter(partial(tasks.has_tag, tasks.LOG)).map(tasks.value).collect():
        found.log.merge(log)
        found.drops.merge(drops)
    return resolved


__all__ = ["screen_spark"]
