"""Stream FHIR files into per-patient groups with memory bounded independently of population size.

Why hash partitioning: Bulk Data NDJSON is one file per resource type, so one patient's data is
spread over every file and a streaming reader cannot group it without holding everything. Pass 1
reads each line once, finds its patient reference and appends the raw line (prefixed with the
patient id) to shard ``crc32(id) % n`` on disk; pass 2 takes one shard at a time, so a reader
holds one shard's raw text plus one patient's parsed resources. The shard count grows with the
input size (``bytes / shard_bytes``), which keeps a shard near ``shard_bytes`` whatever the
population. Shards are independent: workers take them in any order.

Grouping follows :mod:`fhir_eligibility.retrieval.files` (the ``evaluate`` reader), so screening
and ``evaluate`` see the same patients: ``Patient/<id>`` and ``urn:uuid:<id>`` references, the
subject/patient/beneficiary/individual keys, ``medicationReference`` resolved to the Medication's
code. A Bundle file is read whole (one file at a time) through that reader, which also resolves
its local ``urn:uuid``/conditional references. Medication resources are the one global index
(a formulary: bounded by the number of products, not patients). Conditional
``Patient?identifier=`` references in NDJSON are not resolved (Bulk exports do not use them).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fhir_eligibility.errors import InputError
from fhir_eligibility.record import PatientData, Resource, patient_reference
from fhir_eligibility.retrieval.files import input_files, read_patients

NDJSON_SUFFIXES = (".ndjson", ".jsonl")
DEFAULT_SHARD_BYTES = 1024 * 1024  # raw input per shard: a worker holds about this much text (+ one patient)
MAX_SHARDS = 16384  # beyond 16 GiB of input, shards grow instead of multiplying (keeps the file count sane)
FLUSH_BYTES = 64 * 1024  # one shard's buffer is appended to its file past this
BUFFER_BUDGET = 8 * 1024 * 1024  # all buffers together; everything is flushed past this
MAX_WARNINGS = 200

Progress = Callable[[int], None]  # bytes read so far


def shard_count(total_bytes: int, minimum: int = 1, shard_bytes: int = DEFAULT_SHARD_BYTES) -> int:
    """Enough shards that each holds about ``shard_bytes`` (at least ``minimum``, at most MAX_SHARDS)."""
    return max(minimum, min(MAX_SHARDS, -(-total_bytes // max(shard_bytes, 1))))


def shard_of(patient_id: str, shards: int) -> int:
    """Stable across processes and runs (unlike ``hash``, which is salted per process)."""
    return zlib.crc32(patient_id.encode("utf-8")) % shards


def patient_id_of(reference: str) -> str | None:
    """Patient id from ``Patient/x``, ``urn:uuid:x`` or an absolute ``.../Patient/x`` reference."""
    if reference.startswith("Patient/"):
        pid = reference[8:]
    elif reference.startswith("urn:uuid:"):
        pid = reference[9:]
    elif "/Patient/" in reference and "?" not in reference:
        pid = reference.rsplit("/Patient/", 1)[1]
    else:
        return None
    pid = pid.split("/_history/", 1)[0]
    return pid if pid and not any(c in pid for c in "\t\n\r/?") else None


class ShardWriter:
    """Appends ``<patient id>\\t<json>`` lines to shard files, buffering within a fixed budget.

    No file stays open (thousands of shards would exceed the descriptor limit): a shard's
    buffer is appended and closed when it passes FLUSH_BYTES, and all buffers are flushed when
    together they pass BUFFER_BUDGET.
    """

    def __init__(self, directory: Path, shards: int) -> None:
        self.directory = directory
        self.shards = shards
        self._buffers: dict[int, list[str]] = {}
        self._sizes: dict[int, int] = {}
        self._buffered = 0
        self.written: set[int] = set()
        self.peak_buffered = 0

    def path(self, shard: int) -> Path:
        return self.directory / f"shard-{shard:05d}.tsv"

    def write(self, patient_id: str, line: str) -> None:
        k = shard_of(patient_id, self.shards)
        text = f"{patient_id}\t{line}\n"
        self._buffers.setdefault(k, []).append(text)
        size = self._sizes.get(k, 0) + len(text)
        self._sizes[k] = size
        self._buffered += len(text)
        self.peak_buffered = max(self.peak_buffered, self._buffered)
        if size >= FLUSH_BYTES:
            self._flush(k)
        elif self._buffered >= BUFFER_BUDGET:
            self.flush()

    def _flush(self, k: int) -> None:
        lines = self._buffers.pop(k, None)
        if not lines:
            return
        with self.path(k).open("a", encoding="utf-8", newline="\n") as fh:
            fh.writelines(lines)
        self._buffered -= self._sizes.pop(k, 0)
        self.written.add(k)

    def flush(self) -> None:
        for k in list(self._buffers):
            self._flush(k)

    def shard_files(self) -> list[Path]:
        self.flush()
        return [self.path(k) for k in sorted(self.written)]


@dataclass
class Partitioned:
    """What pass 1 produced: shard files, the Medication index, counts and warnings."""

    shards: list[Path]
    medications: dict[str, dict[str, Any]] = field(default_factory=dict)  # "Medication/<id>" -> code
    patient_resources: int = 0  # Patient resources seen (the progress bar's total)
    lines: int = 0
    warnings: list[str] = field(default_factory=list)
    peak_buffered: int = 0

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
        elif len(self.warnings) == MAX_WARNINGS:
            self.warnings.append("further input warnings not shown")


def _index_medication(res: Resource, full_url: str | None, out: Partitioned) -> None:
    code = res.get("code")
    if not isinstance(code, dict):
        return
    for key in (full_url, f"Medication/{res.get('id')}" if res.get("id") else None):
        if key:
            out.medications[key] = code


def _partition_ndjson(path: Path, writer: ShardWriter, out: Partitioned, progress: Progress | None, done: int) -> int:
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            done += len(raw)
            if progress is not None and n % 20000 == 0:
                progress(done)
            line = raw.strip()
            if not line:
                continue
            out.lines += 1
            try:
                text = line.decode("utf-8-sig")
                res = json.loads(text)
            except (UnicodeDecodeError, json.JSONDecodeError):
                out.warn(f"{path.name}:{n}: not JSON, line ignored")
                continue
            if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
                out.warn(f"{path.name}:{n}: not a FHIR resource, line ignored")
                continue
            rtype = res["resourceType"]
            if rtype == "Patient":
                pid = res.get("id")
                if not isinstance(pid, str) or not pid or any(c in pid for c in "\t\n\r"):
                    out.warn(f"{path.name}:{n}: Patient without a usable id, ignored")
                    continue
                out.patient_resources += 1
                writer.write(pid, text)
                continue
            if rtype == "Medication":
                _index_medication(res, None, out)
                continue
            ref = patient_reference(res)
            if ref is None:
                continue  # Practitioner, Organization...: not patient data
            found = patient_id_of(ref)
            if found is None:
                out.warn(f"{rtype}/{res.get('id', '?')}: patient reference {ref[:40]!r} not resolvable, ignored")
                continue
            writer.write(found, text)
    return done


def _partition_bundle(path: Path, writer: ShardWriter, out: Partitioned) -> None:
    """A Bundle (or single resource) file through the ``evaluate`` reader: local references resolved."""
    patients, file_warnings = read_patients([path])
    for w in file_warnings:
        out.warn(w)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for p in patients:
        if any(c in p.patient_id for c in "\t\n\r"):
            out.warn(f"{path.name}: patient id {p.patient_id[:40]!r} unusable, ignored")
            continue
        for res in p.resources:
            if res.get("resourceType") == "Patient":
                out.patient_resources += 1
            writer.write(p.patient_id, dumps(res))
            out.lines += 1


def partition(
    paths: Iterable[Path],
    directory: Path,
    *,
    min_shards: int = 1,
    shard_bytes: int = DEFAULT_SHARD_BYTES,
    progress: Progress | None = None,
) -> Partitioned:
    """Pass 1: every input file into shard files under ``directory`` (which the caller owns)."""
    files = input_files(paths)
    directory.mkdir(parents=True, exist_ok=True)
    total = sum(f.stat().st_size for f in files)
    writer = ShardWriter(directory, shard_count(total, min_shards, shard_bytes))
    out = Partitioned([])
    done = 0
    for f in files:
        if f.name.endswith(NDJSON_SUFFIXES):
            done = _partition_ndjson(f, writer, out, progress, done)
        else:
            _partition_bundle(f, writer, out)
            done += f.stat().st_size
        if progress is not None:
            progress(done)
    out.shards = writer.shard_files()
    out.peak_buffered = writer.peak_buffered
    return out


def _with_medication(res: Resource, medications: dict[str, dict[str, Any]]) -> Resource:
    if res.get("resourceType") in ("MedicationAdministration", "MedicationStatement") and "medicationReference" in res:
        med = medications.get(str((res.get("medicationReference") or {}).get("reference")))
        if med is not None:
            return {**res, "medicationCodeableConcept": med}
    return res


def read_shard(path: Path, medications: dict[str, dict[str, Any]]) -> Iterator[PatientData]:
    """Pass 2: the patients of one shard, one at a time (sorted by id: deterministic order)."""
    groups: dict[str, list[str]] = {}
    try:
        with path.open("r", encoding="utf-8") as fh:
            for line in fh:
                pid, _, text = line.partition("\t")
                groups.setdefault(pid, []).append(text)
    except OSError as e:
        raise InputError(f"{path}: cannot read shard ({e.__class__.__name__})") from None
    for pid in sorted(groups):
        resources = [_with_medication(json.loads(t), medications) for t in groups.pop(pid)]
        patients = [r for r in resources if r.get("resourceType") == "Patient"]
        others = [r for r in resources if r.get("resourceType") != "Patient"]
        data = PatientData(pid, patients + others)
        if not patients:
            data.warnings.append(f"Patient/{pid}: no Patient resource in the input (age and sex unknown)")
        yield data


__all__ = ["Partitioned", "ShardWriter", "partition", "patient_id_of", "read_shard", "shard_count", "shard_of"]
