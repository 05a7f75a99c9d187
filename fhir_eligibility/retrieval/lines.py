"""NDJSON lines read with a bound on their length, so one huge line cannot take all the memory.

Why: a file with no newline (a 2 GB sparse file, a Bundle saved with a ``.ndjson`` name, a broken
export) was read as one line: 4 GB of memory, or a MemoryError traceback under a limit. A line
longer than :data:`MAX_LINE_BYTES` (no FHIR record a criterion reads comes near it) is skipped as it
is read and stands in the stream as :data:`TOO_LONG` followed by its first bytes, from which the
reader tells what was lost (its type and patient, when its text names them): a warning, and that
type unknown for them, never a silent gap.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

MAX_LINE_BYTES = 64 * 2**20
TOO_LONG = b"\x00line too long\x00"  # no JSON text holds a NUL byte
_CHUNK = 2**20
_KEPT = 2**16  # the bytes of a skipped line kept to tell its type and patient


class Readable(Protocol):
    """A binary file, plain or compressed (gzip, bzip2)."""

    def readline(self, size: int = -1, /) -> bytes: ...


def read_line(fh: Readable) -> tuple[bytes, int]:
    """(the next line, or :data:`TOO_LONG` + its first bytes; its length in the file); ``(b"", 0)`` at the end."""
    line = fh.readline(MAX_LINE_BYTES + 1)
    if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
        return line, len(line)
    return TOO_LONG + line[:_KEPT], len(line) + skip_line(fh)


def skip_line(fh: Readable) -> int:
    """Read past the rest of the current line in bounded chunks; how many bytes that was."""
    skipped = 0
    while rest := fh.readline(_CHUNK):
        skipped += len(rest)
        if rest.endswith(b"\n"):
            break
    return skipped


def lines(fh: Readable) -> Iterator[bytes]:
    """Every line of ``fh`` as :func:`read_line` reads it."""
    while True:
        line, size = read_line(fh)
        if not size:
            return
        yield line


__all__ = ["MAX_LINE_BYTES", "TOO_LONG", "lines", "read_line", "skip_line"]
