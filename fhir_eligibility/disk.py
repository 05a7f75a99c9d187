"""Room on the disk for what a run writes (Bulk Data downloads, screening's shards), so a run that
would fill it stops first with one line: a full disk on a hospital machine stops its other
programs too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

RESERVE_BYTES = 2**30  # always left free
SHARD_BYTES_PER_INPUT_BYTE = 1.05  # screening's shards hold the input's lines again (measured on NDJSON)
GIB = 2**30
_usage = shutil.disk_usage  # tests replace it


def room(path: Path) -> int:
    """Bytes that may still be written on the disk of ``path``, the reserve kept free."""
    return _usage(path).free - RESERVE_BYTES


def gib(n: float) -> str:
    return f"{n / GIB:.1f} GiB"
