"""Which files an input names, and how their lines are read: the folder walk and the suffixes.

Why apart from :mod:`.files` (which turns the files into patients): finding the data is its own job,
shared by every reader (``evaluate``, ``screen``'s partition, the Spark engine, ``codes``). Suffixes
match in any case (an export's ``Condition.NDJSON``); a file that looks like data but that no reader
reads (``.json.gz``) is a warning, never dropped in silence.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from fhir_eligibility.errors import InputError
from fhir_eligibility.retrieval.lines import lines as bounded_lines
from fhir_eligibility.retrieval.manifest import NAME as MANIFEST
from fhir_eligibility.retrieval.reading import WarningLog

NDJSON_SUFFIXES = (".ndjson", ".jsonl")
GZIP_SUFFIXES = (".ndjson.gz", ".jsonl.gz")  # Bulk servers may write compressed NDJSON: read streamed
DATA_SUFFIXES = (".json", *NDJSON_SUFFIXES, *GZIP_SUFFIXES)


def is_ndjson(path: Path) -> bool:
    """NDJSON, plain or gzip-compressed (``.ndjson.gz``); suffixes in any case (``Condition.NDJSON``)."""
    return path.name.lower().endswith(NDJSON_SUFFIXES + GZIP_SUFFIXES)


def is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(GZIP_SUFFIXES)


def _skipped_data(name: str) -> bool:
    """A file a folder walk does not read that looks like data (``.json.gz``, ``.ndjson.bz2``): said,
    never dropped in silence (a patient's Bundle, or a whole type, would vanish from the report)."""
    low = name.lower()
    return not low.endswith(DATA_SUFFIXES) and any(s in low for s in (".json", ".ndjson", ".jsonl"))


def ndjson_lines(path: Path) -> Iterator[bytes]:
    """The lines of an NDJSON file (a ``.gz`` one decompressed as it is read). An unreadable file
    or a corrupt compressed stream is :class:`InputError` (what it held is unknown)."""
    try:
        if is_gzip(path):
            with gzip.open(path, "rb") as fh:
                yield from bounded_lines(fh)
        else:
            with path.open("rb") as fh:
                yield from bounded_lines(fh)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise InputError(f"{path}: not a readable gzip file ({e.__class__.__name__})") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.__class__.__name__})") from None


def check_readable(path: Path) -> None:
    """:class:`InputError` (one line, exit 2) when the file cannot be opened (permissions)."""
    try:
        with path.open("rb"):
            pass
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.__class__.__name__})") from None


def named_files(paths: Iterable[Path]) -> frozenset[Path]:
    """The paths the user gave that are files (not folders): their problems are the user's to hear."""
    return frozenset(p for p in paths if not p.is_dir())


def input_files(paths: Iterable[Path], log: WarningLog | None = None) -> list[Path]:
    """Data files in input order: paths as given, folders walked in sorted path order.

    Only regular files are opened (a FIFO would block, a device never ends): anything else with
    a data suffix, and dangling links, are a warning. A folder's symlinked sub-folders are walked
    (an export's types split over linked folders: skipped, a Condition folder read as "no diagnoses"),
    each real folder once: a link back into what is being read (a loop) is a warning. A Bulk Data
    ``manifest.json`` at a folder's top is not data (:mod:`.manifest` reads it).
    """
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found: list[Path] = []
            seen = {os.path.realpath(p)}
            for root, dirs, names in os.walk(p, followlinks=True):
                walked = []
                for d in sorted(dirs):
                    real = os.path.realpath(os.path.join(root, d))
                    if real in seen:
                        if log is not None:
                            log.add(f"{Path(root, d)}: a folder already read (a link loop or a second link), skipped")
                        continue
                    seen.add(real)
                    walked.append(d)
                dirs[:] = walked
                # a saved export's manifest.json at the folder's top is no data: retrieval.manifest reads it
                top = root == os.fspath(p)  # os.walk's first root is the folder as given
                found.extend(
                    Path(root, n) for n in names if n.lower().endswith(DATA_SUFFIXES) and not (top and n == MANIFEST)
                )
                for n in sorted(names):
                    if _skipped_data(n) and log is not None:
                        log.add(f"{Path(root, n)}: not read (only *.json, *.ndjson, *.jsonl and *.ndjson.gz are)")
            for f in sorted(found):
                if f.is_file():
                    out.append(f)
                elif log is not None:
                    log.add(f"{f}: not a regular file (FIFO, device or dangling link), skipped")
        elif p.is_file():
            out.append(p)
        elif p.exists() or p.is_symlink():
            raise InputError(f"{p}: not a regular file (FIFO, device or dangling link)")
        else:
            raise InputError(f"{p}: no such file or directory")
    if not out:
        raise InputError("no FHIR data files (*.json, *.ndjson) found in " + ", ".join(str(p) for p in paths))
    return out


__all__ = [
    "DATA_SUFFIXES",
    "GZIP_SUFFIXES",
    "NDJSON_SUFFIXES",
    "check_readable",
    "input_files",
    "is_gzip",
    "is_ndjson",
    "named_files",
    "ndjson_lines",
]
