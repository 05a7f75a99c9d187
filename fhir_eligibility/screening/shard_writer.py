"""Pass 1's writer: ``<patient id>\t<json>`` lines appended to shard part files, within a fixed
memory budget (split from :mod:`.partition`, which routes the lines here)."""

from __future__ import annotations

import zlib
from pathlib import Path

from fhir_eligibility.errors import OutputError
from fhir_eligibility.screening.parts import part_path

FLUSH_BYTES = 64 * 1024  # one shard's buffer is appended to its file past this
BUFFER_BUDGET = 8 * 1024 * 1024  # all buffers together; everything is flushed past this


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


__all__ = ["BUFFER_BUDGET", "FLUSH_BYTES", "ShardWriter", "shard_of"]
