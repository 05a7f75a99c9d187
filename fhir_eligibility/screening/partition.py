"""Stream FHIR files into per-patient groups with memory bounded independently of population size.

Why hash partitioning: Bulk Data NDJSON is one file per resource type, so one patient's data is
spread over every file and a streaming reader cannot group it without holding everything. Pass 1
reads each line once, finds its patient reference and appends the raw line (prefixed with the
patient id) to shard ``crc32(id) % n`` on disk; pass 2 (:mod:`~fhir_eligibility.screening.
shard_read`) takes one shard at a time, so a reader holds one shard's raw text plus one patient's
parsed resources. The shard count grows with the
input size (``bytes / shard_bytes``), which keeps a shard near ``shard_bytes`` whatever the
population. Shards are independent: workers take them in any order.

Pass 1 runs in parallel too: the input is cut into tasks of about equal bytes (an NDJSON file at
line boundaries, a Bundle file whole), each task writes its own part of every shard
(``shard-<k>.<task>.tsv``) and pass 2 reads shard ``k``'s parts in task order, so a patient's
resources keep their input order whatever ran first. Lines are parsed with orjson (about twice
as fast as the standard library on FHIR resources; it also rejects invalid UTF-8 and NaN).

Grouping follows :mod:`fhir_eligibility.retrieval.files` (the ``evaluate`` reader), and both read
lines and resources, count warnings and choose among duplicate Patients with the one policy of
:mod:`fhir_eligibility.retrieval.reading`, so screening and ``evaluate`` see the same patients; an
NDJSON line is routed by :func:`fhir_eligibility.screening.routing.route_line`, the rule the Spark
engine's executors apply too: ``Patient/<id>`` references (a ``urn:uuid`` one waits for the
identifier index), the subject/patient/beneficiary/individual keys, ``medicationReference``
resolved to the Medication's code. A Bundle file is read whole (one file at a time) through that
reader, which also resolves its local ``urn:uuid``/conditional references. Medication resources are
the one global index (a formulary: bounded by the number of products, not patients). Conditional
``Patient?identifier=`` references in NDJSON (Bulk exports write literal ones, other tools may not)
wait in files sharded by identifier, next to an identifier index sharded the same way; a short pass
over those shards alone resolves them once every Patient has been read.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fhir_eligibility.errors import InputError
from fhir_eligibility.pickling import picklable
from fhir_eligibility.record import PatientData, Resource, patient_id_of
from fhir_eligibility.retrieval.files import read_indexed
from fhir_eligibility.retrieval.inputs import check_readable, input_files, is_gzip, is_ndjson, named_files, ndjson_lines
from fhir_eligibility.retrieval.lines import read_line as read_bounded
from fhir_eligibility.retrieval.lines import skip_line
from fhir_eligibility.retrieval.manifest import folder_manifest
from fhir_eligibility.retrieval.reading import NOT_SEARCHED, UNAVAILABLE_MARK, Drops, WarningLog, warn_deleted
from fhir_eligibility.screening.parts import ShardParts
from fhir_eligibility.screening.routing import (
    DATA,
    DEFERRED,
    MEDICATION,
    PATIENT,
    Route,
    route_line,
    warn_ambiguous,
    warn_unresolved,
)
from fhir_eligibility.screening.shard_read import read_shard
from fhir_eligibility.screening.shard_writer import ShardWriter, shard_of

DEFAULT_SHARD_BYTES = 1024 * 1024  # raw input per shard: a worker holds about this much text (+ one patient)
MAX_SHARDS = 16384  # beyond 16 GiB of input, shards grow instead of multiplying (keeps the file count sane)
TASK_BYTES = 64 * 1024 * 1024  # pass-1 task size past the first 2 per worker (each task adds a part to every shard)

GZIP_RATIO = 8  # about how much NDJSON text a byte of .ndjson.gz holds (for the shard count only)

Progress = Callable[[int], None]  # bytes read so far


def shard_count(total_bytes: int, minimum: int = 1, shard_bytes: int = DEFAULT_SHARD_BYTES) -> int:
    """Enough shards that each holds about ``shard_bytes`` (at least ``minimum``, at most MAX_SHARDS)."""
    return max(minimum, min(MAX_SHARDS, -(-total_bytes // max(shard_bytes, 1))))


@dataclass
class Partitioned:
    """What pass 1 produced: each shard's part files, the Medication index, counts and warnings."""

    shards: Sequence[tuple[Path, ...]]  # each shard's part files in input order (pass 2 reads one at a time)
    medications: dict[str, dict[str, Any]] = field(default_factory=dict)  # "Medication/<id>" -> code
    stamps: dict[str, str] = field(default_factory=dict)  # "Medication/<id>" -> the version kept
    patient_resources: int = 0  # Patient resources seen (the progress bar's total)
    lines: int = 0
    log: WarningLog = field(default_factory=WarningLog)
    drops: Drops = field(default_factory=Drops)  # NDJSON records that could not be read or placed
    peak_buffered: int = 0
    used_files: set[int] = field(default_factory=set)  # input indexes of NDJSON files with a non-blank line

    @property
    def warnings(self) -> list[str]:
        return self.log.lines()

    def merge(self, other: Partitioned) -> None:
        """Add another task's counts, index and warnings (its shard parts are collected by the caller)."""
        for key, code in other.medications.items():  # the latest version (on a tie, the later task's)
            if other.stamps.get(key, "") >= self.stamps.get(key, ""):
                self.medications[key], self.stamps[key] = code, other.stamps.get(key, "")
        self.patient_resources += other.patient_resources
        self.lines += other.lines
        self.peak_buffered = max(self.peak_buffered, other.peak_buffered)
        self.log.merge(other.log)
        self.drops.merge(other.drops)
        self.used_files |= other.used_files


@dataclass(frozen=True)
class Piece:
    """Bytes ``[start, end)`` of one file: the lines *starting* there (an NDJSON cut), or a whole Bundle file."""

    path: Path
    start: int
    end: int
    bundle: bool = False
    index: int = 0  # the file's place in input order (warnings name the first occurrence by it)
    named: bool = True  # given by the user, not found in a folder (retrieval.files.read_file)
    server: str | None = None  # an NDJSON file's export server (its manifest's request: files.read_line)


@dataclass(frozen=True)
class Task:
    """One pass-1 unit of work, picklable for a worker process."""

    index: int
    pieces: tuple[Piece, ...]
    directory: Path
    shards: int

    @property
    def size(self) -> int:
        return sum(p.end - p.start for p in self.pieces)


def _lines_before(path: Path, offset: int) -> int:
    """Newlines before ``offset`` (once per piece, and only when a warning needs a line number)."""
    count = 0
    with path.open("rb") as fh:
        while offset > 0:
            block = fh.read(min(offset, 1 << 20))
            if not block:
                break
            count += block.count(b"\n")
            offset -= len(block)
    return count


@dataclass
class _Writers:
    """One task's outputs: patient shards, and for conditional references the identifier index
    (``<identifier>\\t<patient id>``) and the lines waiting for it (``<identifier>\\t<json>``),
    both sharded by identifier so resolving them never needs the whole index in memory."""

    shards: ShardWriter
    identifiers: ShardWriter
    deferred: ShardWriter


def _partition_ndjson(piece: Piece, out_files: _Writers, out: Partitioned) -> None:
    path = piece.path
    source = str(path)
    base: int | None = None  # line number of the piece's first line, counted when first needed
    k = 0

    def number() -> int:
        nonlocal base
        if base is None:
            base = _lines_before(path, first)
        return base + k

    def take(raw: bytes) -> None:
        nonlocal k
        k += 1
        line = raw.strip()
        if line:
            out.used_files.add(piece.index)
            out.lines += 1
            route = route_line(line, source, piece.index, number, out.log, out.drops, piece.server)
            _route(route, piece, out_files, out, number)

    first = 0
    if is_gzip(path):  # a compressed file is one piece, decompressed as it is read
        for raw in ndjson_lines(path):
            take(raw)
        return
    try:
        fh = path.open("rb")
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.__class__.__name__})") from None
    with fh:
        pos = piece.start
        if pos > 0:
            fh.seek(pos - 1)
            if fh.read(1) != b"\n":
                pos += skip_line(fh)  # the rest of a line that started in the previous piece
        first = pos
        while pos < piece.end:
            raw, size = read_bounded(fh)  # one huge line cannot take the memory (retrieval.lines)
            if not size:
                break
            pos += size
            take(raw)


def _route(
    route: Route, piece: Piece, out_files: _Writers, out: Partitioned, number: Callable[[], int] = lambda: 0
) -> None:
    """One routed resource to its patient's shard, the medication index, or the deferred references."""
    if route.kind == PATIENT:
        out.patient_resources += 1
        out_files.shards.write(route.key, route.line)
        for key in route.identifiers:
            out_files.identifiers.write(key, route.key.encode("utf-8"))
    elif route.kind == DATA:
        out_files.shards.write(route.key, route.line)
    elif route.kind == MEDICATION and route.code is not None and route.stamp >= out.stamps.get(route.key, ""):
        out.medications[route.key], out.stamps[route.key] = route.code, route.stamp
    elif route.kind == DEFERRED:
        # resolved once every Patient is read; where it was travels with it, for a warning
        where = f"{piece.index}:{number()}".encode()
        out_files.deferred.write(route.key, where + b"\t" + route.line)


def _partition_bundle(piece: Piece, out_files: _Writers, out: Partitioned) -> None:
    """A Bundle file through the ``evaluate`` reader (local references resolved); a file holding one
    resource is routed as an NDJSON line is (its drug or patient may be in another file)."""

    def single(res: Resource) -> None:
        out.used_files.add(piece.index)
        out.lines += 1
        line = orjson.dumps(res)
        mine = Drops()  # read as a line is, but a file of one resource is no Bulk export (reading.not_held)
        route = route_line(line, str(piece.path), piece.index, lambda: 0, out.log, mine)
        mine.export = False
        out.drops.merge(mine)
        _route(route, piece, out_files, out)

    writer = out_files.shards
    # what a loose record of this file lost (an unknown type naming a patient) is its patient's, anywhere
    named = None if piece.named else ()
    # records as read, assembled once per patient in pass 2 (from every file), as ``evaluate`` does:
    # the choice among versions and its warnings are made there
    for p in read_indexed([(piece.index, piece.path)], out.log, out.drops, named=named, single=single, assembled=False):
        writer.write(p.patient_id, lost_mark(p))  # what its Bundle lost travels with the patient
        for res in p.resources:
            line = orjson.dumps(res)  # cannot fail: parse_json refused what orjson cannot write (depth, NaN)
            if res.get("resourceType") == "Patient":
                out.patient_resources += 1
            writer.write(p.patient_id, line)
            out.lines += 1


def lost_mark(p: PatientData) -> bytes:
    """What a patient's Bundle lost, as the marked line that carries it to pass 2 (``shard_read.patient_of``),
    which also says whether the Bundle holds the patient's Patient: a record, not an export's records
    (reading.not_held). A type held in part (a saved search's unsearched types: ``reading.NOT_SEARCHED``)
    stays in part: written as a plain type it became a plain unknown, and a record of it found, which
    decides in ``evaluate``, no longer did."""
    types = {NOT_SEARCHED + u.resource_type if u.partial else u.resource_type for u in p.unavailable}
    mark: dict[str, object] = {"resourceType": UNAVAILABLE_MARK, "types": sorted(types)}
    if any(r.get("resourceType") == "Patient" for r in p.resources):  # the Bundle holds the patient's record
        mark["bundle"] = 1
    return orjson.dumps(mark)


@dataclass
class TaskResult:
    index: int
    shards: dict[int, Path]
    identifiers: dict[int, Path]
    deferred: dict[int, Path]
    found: Partitioned


def partition_task(task: Task) -> TaskResult:
    """Pass 1 for one task (runs in a worker): its part of each shard, and what it found."""
    files = _Writers(
        ShardWriter(task.directory, task.shards, task.index),
        ShardWriter(task.directory, task.shards, task.index, "identifiers"),
        ShardWriter(task.directory, task.shards, task.index, "deferred"),
    )
    out = Partitioned([])
    for piece in task.pieces:
        if piece.bundle:
            _partition_bundle(piece, files, out)
        else:
            _partition_ndjson(piece, files, out)
    out.peak_buffered = files.shards.peak_buffered
    return TaskResult(
        task.index, files.shards.shard_files(), files.identifiers.shard_files(), files.deferred.shard_files(), out
    )


@dataclass(frozen=True)
class Resolution:
    """Conditional references of one identifier shard: its index parts and waiting lines, in task order."""

    identifiers: tuple[Path, ...]
    deferred: tuple[Path, ...]
    directory: Path
    shards: int
    part: int  # the part number its resolved lines are written under (after every pass-1 task's)
    sources: tuple[str, ...] = ()  # input files by index, to name where an unresolvable line was


# they travel to pass-1 workers, also when mypyc compiles this module (see fhir_eligibility.pickling)
picklable(Piece, Task, Resolution)


def resolve_deferred(job: Resolution) -> TaskResult:
    """``Patient?identifier=`` references to patient shards, as the ``evaluate`` reader resolves them
    (``system|value`` or ``value``); an identifier two patients carry names neither (a warning, and
    the record's type unknown for both)."""
    index: dict[str, set[str]] = {}
    for path in job.identifiers:
        with path.open("rb") as fh:
            for line in fh:
                key, _, value = line.rstrip(b"\n").partition(b"\t")
                index.setdefault(key.decode("utf-8"), set()).add(value.decode("utf-8"))
    writer = ShardWriter(job.directory, job.shards, job.part)
    out = Partitioned([])
    for path in job.deferred:
        with path.open("rb") as fh:
            for line in fh:
                key, where, text = line.rstrip(b"\n").split(b"\t", 2)
                found = index.get(key.decode("utf-8"), set())
                if len(found) == 1:
                    writer.write(next(iter(found)), text)
                    continue
                file_index, number = (int(n) for n in where.split(b":"))
                if found:
                    warn_ambiguous(out.log, out.drops, job.sources[file_index], text, (file_index, number), found)
                else:
                    warn_unresolved(out.log, out.drops, job.sources[file_index], text, (file_index, number))
    return TaskResult(job.part, writer.shard_files(), {}, {}, out)


def plan_tasks(
    files: Sequence[Path],
    directory: Path,
    shards: int,
    tasks: int,
    named: Container[Path] | None = None,
    bases: Callable[[Path], str | None] | None = None,
) -> list[Task]:
    """Cut the input into about ``tasks`` tasks of equal bytes, keeping file order (``bases``: an
    NDJSON file's export server, ``FolderManifest.base_for``)."""
    sizes = [(f, f.stat().st_size) for f in files]
    target = max(1, -(-sum(size for _f, size in sizes) // max(tasks, 1)))
    out: list[Task] = []
    pieces: list[Piece] = []
    filled = 0

    def close() -> None:
        nonlocal pieces, filled
        if pieces:
            out.append(Task(len(out), tuple(pieces), directory, shards))
        pieces, filled = [], 0

    for index, (f, size) in enumerate(sizes):
        server = bases(f) if bases is not None else None
        if is_gzip(f):  # no cutting a compressed stream: one piece
            pieces.append(Piece(f, 0, size, index=index, server=server))
            filled += size
            if filled >= target:
                close()
            continue
        if not is_ndjson(f):
            pieces.append(Piece(f, 0, size, bundle=True, index=index, named=named is None or f in named))
            filled += size
            if filled >= target:
                close()
            continue
        start = 0
        while start < size:  # an empty file has no lines: no piece
            take = min(size - start, target - filled)
            pieces.append(Piece(f, start, start + take, index=index, server=server))
            filled += take
            start += take
            if filled >= target:
                close()
    close()
    return out


MapTasks = Callable[[Callable[[Any], TaskResult], list[Any]], Iterable[TaskResult]]


def partition(
    paths: Iterable[Path],
    directory: Path,
    *,
    min_shards: int = 1,
    shard_bytes: int = DEFAULT_SHARD_BYTES,
    progress: Progress | None = None,
    workers: int = 1,
    map_tasks: MapTasks | None = None,
) -> Partitioned:
    """Pass 1: every input file into shard parts under ``directory`` (which the caller owns).

    ``map_tasks(fn, tasks)`` runs the tasks (in any order, e.g. a process pool's unordered map);
    without it they run here, one after the other.
    """
    paths = list(paths)
    log = WarningLog()
    files = input_files(paths, log)
    for f in files:  # one line and exit 2 before any work, not a worker's traceback
        check_readable(f)
    directory.mkdir(parents=True, exist_ok=True)
    total = sum(f.stat().st_size for f in files)
    # a compressed file holds several times its size in text: a shard stays near shard_bytes of text
    text = total + sum((GZIP_RATIO - 1) * f.stat().st_size for f in files if is_gzip(f))
    shards = shard_count(text, min_shards, shard_bytes)
    manifest = folder_manifest(paths)  # a saved export's word on the types it has none of (as read_patients)
    budget = max(2 * workers, -(-total // TASK_BYTES))
    tasks = plan_tasks(files, directory, shards, budget, named_files(paths), manifest.base_for)
    run = map_tasks or (lambda fn, items: map(fn, items))
    out = Partitioned([], log=log)
    manifest.apply(out.drops)
    for line in manifest.lines():
        log.add(line)
    # part numbers, not paths (screening.parts): tasks x shards grows with the square of the input
    parts = ShardParts(directory)
    identifiers = ShardParts(directory, "identifiers")
    deferred = ShardParts(directory, "deferred")

    def collect(result: TaskResult) -> None:
        out.merge(result.found)
        for mine, theirs in ((parts, result.shards), (identifiers, result.identifiers), (deferred, result.deferred)):
            for k in theirs:
                mine.add(k, result.index)

    done = 0
    for result in run(partition_task, tasks):
        collect(result)
        done += tasks[result.index].size
        if progress is not None:
            progress(done)
    if deferred:  # conditional references (rare in Bulk exports): a short pass over their shards only
        jobs = [
            Resolution(
                identifiers.of(k),
                deferred.of(k),
                directory,
                shards,
                len(tasks) + i,
                tuple(str(f) for f in files),
            )
            for i, k in enumerate(deferred.shard_numbers())
        ]
        for result in run(resolve_deferred, jobs):
            collect(result)
    for index, f in enumerate(files):
        if is_ndjson(f) and index not in out.used_files:
            out.log.add(f"{f}: empty file", "", (index, 0))
    warn_deleted(out.log, out.drops)  # known once every file is read: pass 2 skips them (shard_read)
    out.shards = parts
    return out


__all__ = [
    "Partitioned",
    "Piece",
    "ShardWriter",
    "Task",
    "lost_mark",
    "partition",
    "partition_task",
    "patient_id_of",
    "plan_tasks",
    "read_shard",
    "resolve_deferred",
    "shard_count",
    "shard_of",
]
