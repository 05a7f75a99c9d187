"""Where pass 1's shard parts are, held as part numbers rather than paths.

Why: every pass-1 task writes its own part of (nearly) every shard, and both counts grow with the
input (shards with its bytes, tasks with its bytes too), so a list of ``Path`` objects per shard
grows with the square of the input: at 1,000,000 synthetic patients (4.3 GB, about 4,100 shards x
67 tasks) it held 275,000 paths, most of the screening parent's memory. A part's path follows from
its shard and part number, so each shard keeps an array of part numbers (4 bytes each) and builds
its paths only when a worker is about to read them.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import overload

from fhir_eligibility.errors import OutputError

FLUSH_BYTES = 64 * 1024  # one shard's buffer is appended to its file past this
BUFFER_BUDGET = 8 * 1024 * 1024  # all buffers together; everything is flushed past this


def part_path(directory: Path, prefix: str, shard: int, part: int) -> Path:
    """The one naming rule for shard part files (the writer's and the readers')."""
    return directory / f"{prefix}-{shard:05d}.{part:04d}.tsv"


class ShardParts(Sequence[tuple[Path, ...]]):
    """Each written shard's part files in part order, as :func:`part_path` names them."""

    def __init__(self, directory: Path, prefix: str = "shard") -> None:
        self.directory = directory
        self.prefix = prefix
        self._parts: dict[int, array[int]] = {}

    def add(self, shard: int, part: int) -> None:
        self._parts.setdefault(shard, array("I")).append(part)

    def of(self, shard: int) -> tuple[Path, ...]:
        """Shard ``shard``'s parts in part (task) order, which is input order; () if none was written."""
        return tuple(part_path(self.directory, self.prefix, shard, p) for p in sorted(self._parts.get(shard, ())))

    def shard_numbers(self) -> list[int]:
        return sorted(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    @overload
    def __getitem__(self, index: int) -> tuple[Path, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[Path, ...]]: ...

    def __getitem__(self, index: int | slice) -> tuple[Path, ...] | Sequence[tuple[Path, ...]]:
        numbers = self.shard_numbers()
        if isinstance(index, slice):
            return [self.of(k) for k in numbers[index]]
        return self.of(numbers[index])

    def __iter__(self) -> Iterator[tuple[Path, ...]]:
        for k in self.shard_numbers():
            yield self.of(k)


def shard_of(patient_id: str, shards: int) -> int:
    """Stable across processes and runs (unlike ``hash``, which is salted per process)."""
    return zlib.crc32(patient_id.encode("utf-8")) % shards


class ShardWriter:
    """Appends ``<patient id>\\t<json>`` lines to shard files, buffering within a fixed budget.

    No file stays open (thousands of shards would exceed the descriptor limit): a shard's
    buffer is appended and closed when it passes FLUSH_BYTES, and all buffers are flushed when
    together they pass BUFFER_BUDGET.
    """

    def __init__(self, directory: Path, shards: int, part: int = 0, prefix: str = "shard") -> None:
        self.directory = directory
        self.shards = shards
        self.part = part
        self.prefix = prefix
        self._buffers: dict[int, list[bytes]] = {}
        self._sizes: dict[int, int] = {}
        self._buffered = 0
        self.written: set[int] = set()
        self.peak_buffered = 0

    def path(self, shard: int) -> Path:
        return part_path(self.directory, self.prefix, shard, self.part)

    def write(self, key: str, line: bytes) -> None:
        """Append ``<key>\\t<line>`` to shard ``crc32(key) % shards`` (key: a patient id or an identifier)."""
        k = shard_of(key, self.shards)
        text = key.encode("utf-8") + b"\t" + line + b"\n"
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
        try:
            with self.path(k).open("ab") as fh:
                fh.write(b"".join(lines))
        except OSError as e:  # the disk filled up (compressed input grows), or the folder went
            why = e.strerror or e.__class__.__name__
            raise OutputError(
                f"cannot write screening's shards in {self.directory} ({why}): --temp-dir names another"
            ) from None
        self._buffered -= self._sizes.pop(k, 0)
        self.written.add(k)

    def flush(self) -> None:
        for k in list(self._buffers):
            self._flush(k)

    def shard_files(self) -> dict[int, Path]:
        self.flush()
        return {k: self.path(k) for k in sorted(self.written)}


__all__ = ["BUFFER_BUDGET", "FLUSH_BYTES", "ShardParts", "ShardWriter", "part_path", "shard_of"]
