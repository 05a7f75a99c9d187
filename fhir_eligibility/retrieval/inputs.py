"""Which files an input names, and how their lines are read: the folder walk and the suffixes.

Why apart from :mod:`.files` (which turns the files into patients): finding the data is its own job,
shared by every reader (``evaluate``, ``screen``'s partition, the Spark engine, ``codes``). Suffixes
match in any case (an export's ``Condition.NDJSON``); a file that looks like data but that no reader
reads (``.json.gz``, ``Condition-2`` without a suffix, a dangling link) is a warning, never dropped in
silence, and what it held is unknown (:func:`unread_files`: its type, from its name, else every type).
"""

from __future__ import annotations

import bz2
import gzip
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from fhir_eligibility.errors import InputError
from fhir_eligibility.retrieval.lines import lines as bounded_lines
from fhir_eligibility.retrieval.reading import ANY_TYPE, WarningLog, type_of_unreadable

MANIFEST = "manifest.json"  # a saved Bulk export's manifest at a folder's top: no data (retrieval.manifest)
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
GZIP_SUFFIXES = (".ndjson.gz", ".jsonl.gz")  # Bulk servers may write compressed NDJSON: read streamed
# bzip2 too (the stdlib's bz2; Spark's Hadoop decompresses it by suffix): both engines read the same files
BZIP2_SUFFIXES = (".ndjson.bz2", ".jsonl.bz2")
COMPRESSED_SUFFIXES = (*GZIP_SUFFIXES, *BZIP2_SUFFIXES)
DATA_SUFFIXES = (".json", *NDJSON_SUFFIXES, *COMPRESSED_SUFFIXES)


def is_ndjson(path: Path) -> bool:
    """NDJSON, plain or compressed (``.ndjson.gz``, ``.ndjson.bz2``); suffixes in any case (``Condition.NDJSON``)."""
    return path.name.lower().endswith(NDJSON_SUFFIXES + COMPRESSED_SUFFIXES)


def is_gzip(path: Path) -> bool:
    """Compressed NDJSON (gzip or bzip2; the name is the readers'): one stream, never cut into pieces,
    decompressed as :func:`ndjson_lines` reads it."""
    return path.name.lower().endswith(COMPRESSED_SUFFIXES)


def _skipped_data(name: str) -> bool:
    """A file a folder walk does not read that looks like data (``.json.gz``, a ``.ndjson.zst``, or
    a name that states a FHIR type: ``Condition-2`` with no suffix): said, never dropped in silence
    (a patient's Bundle, or a whole type, would vanish from the report)."""
    low = name.lower()
    if low.endswith(DATA_SUFFIXES):
        return False
    return any(s in low for s in (".json", ".ndjson", ".jsonl")) or type_of_unreadable(None, b"", name) != ANY_TYPE


def unread_type(path: Path) -> str:
    """The type a data file that is not read held, by its name (``Condition-2.ndjson.bz2``), else
    ``*``: every type (its records, of any patient, are unknown)."""
    return type_of_unreadable(None, b"", path.name) or ANY_TYPE


def _unread_text(path: Path) -> str:
    kind = unread_type(path)
    return "its records (of any type) are unknown" if kind == ANY_TYPE else f"its {kind} records are unknown"


def ndjson_lines(path: Path) -> Iterator[bytes]:
    """The lines of an NDJSON file (a ``.gz`` or ``.bz2`` one decompressed as it is read). An
    unreadable file or a corrupt compressed stream is :class:`InputError` (what it held is unknown)."""
    low = path.name.lower()
    try:
        if low.endswith(GZIP_SUFFIXES):
            with gzip.open(path, "rb") as fh:
                yield from bounded_lines(fh)
        elif low.endswith(BZIP2_SUFFIXES):
            with bz2.open(path, "rb") as bh:
                yield from bounded_lines(bh)
        else:
            with path.open("rb") as fh:
                yield from bounded_lines(fh)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise InputError(f"{path}: not a readable {_codec(low)} file ({e.__class__.__name__})") from None
    except OSError as e:  # bz2 says a corrupt stream with an OSError of no errno
        if e.errno is None and low.endswith(COMPRESSED_SUFFIXES):
            raise InputError(f"{path}: not a readable {_codec(low)} file ({e})") from None
        raise InputError(f"{path}: cannot read ({e.__class__.__name__})") from None


def _codec(low: str) -> str:
    return "bzip2" if low.endswith(BZIP2_SUFFIXES) else "gzip"


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
    ``manifest.json`` at a folder's top is not data (:mod:`.manifest` reads it). What a folder holds
    that is not read is said here and made unknown by :func:`unread_files` (every reader applies it).
    """
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found, unread = _walk(p, log)
            out.extend(found)
            if log is not None:
                for f, regular in unread:
                    why = "not a regular file (FIFO, device or dangling link), skipped" if not regular else _NOT_READ
                    log.add(f"{f}: {why}; {_unread_text(f)}")
        elif p.is_file():
            out.append(p)
        elif p.exists() or p.is_symlink():
            raise InputError(f"{p}: not a regular file (FIFO, device or dangling link)")
        else:
            raise InputError(f"{p}: no such file or directory")
    if not out:
        raise InputError("no FHIR data files (*.json, *.ndjson) found in " + ", ".join(str(p) for p in paths))
    return out


_NOT_READ = "not read (only *.json, *.ndjson, *.jsonl and *.ndjson.gz or .bz2 are)"


def unread_files(folders: Iterable[Path]) -> list[Path]:
    """The files under these folders that look like data but are not read (a ``.json.gz``, a
    ``Condition-2`` without a suffix, a dangling link, a FIFO): what they held is unknown, so their
    type (:func:`unread_type`) is lost for everyone (an export's ``Condition-2.ndjson.bz2`` skipped
    read as "no diagnosis": ineligible on the closed-world rule)."""
    return [f for p in folders if p.is_dir() for f, _regular in _walk(p, None)[1]]


def _walk(folder: Path, log: WarningLog | None) -> tuple[list[Path], list[tuple[Path, bool]]]:
    """(the regular data files under ``folder``, sorted; the data-looking files not read, each with
    whether it is a regular file)."""
    found: list[Path] = []
    skipped: list[tuple[Path, bool]] = []
    for root, names in tree(folder, log):
        # a saved export's manifest.json at the folder's top is no data: retrieval.manifest reads it
        top = root == os.fspath(folder)  # os.walk's first root is the folder as given
        found.extend(Path(root, n) for n in names if n.lower().endswith(DATA_SUFFIXES) and not (top and n == MANIFEST))
        skipped.extend((Path(root, n), True) for n in sorted(names) if _skipped_data(n))
    regular = []
    for f in sorted(found):
        if f.is_file():
            regular.append(f)
        else:
            skipped.append((f, False))
    return regular, skipped


def tree(folder: Path, log: WarningLog | None = None) -> Iterator[tuple[str, list[str]]]:
    """(each folder under ``folder``, the names of what it holds that is no folder), symlinked
    sub-folders followed, each real folder once: a link to a folder already read is a warning in ``log``."""
    seen = {os.path.realpath(folder)}
    for root, dirs, names in os.walk(folder, followlinks=True):
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
        yield root, names


__all__ = [
    "BZIP2_SUFFIXES",
    "COMPRESSED_SUFFIXES",
    "DATA_SUFFIXES",
    "GZIP_SUFFIXES",
    "MANIFEST",
    "NDJSON_SUFFIXES",
    "check_readable",
    "input_files",
    "is_gzip",
    "is_ndjson",
    "named_files",
    "ndjson_lines",
    "tree",
    "unread_files",
    "unread_type",
]
