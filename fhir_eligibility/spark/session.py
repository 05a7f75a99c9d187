"""Starting Spark and finding the input files: the driver's edges (pyspark is imported only here
and in the engine, and only when ``--engine spark`` is asked for).

Why list files on the driver: each file is read as its own RDD so that a warning can name the
file and line (``in/Encounter.ndjson: not valid JSON; line ignored (line 12)``) exactly as the
built-in engine's.
Local paths follow the built-in reader's rules (folders searched recursively, sorted); any other
URI (``hdfs://``, ``s3a://``, ``file:/``...) is listed through Hadoop's FileSystem, so whatever
connector the cluster has works here too, with the built-in rule for what a folder holds that is
not read (:func:`~fhir_eligibility.retrieval.inputs.unread_files`: a warning, its type unknown). A
saved export's ``manifest.json`` (:mod:`fhir_eligibility.retrieval.manifest`) is read from a local
path or a ``file:`` URI; on another scheme it is not read, and said (:func:`manifest_folders`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from fhir_eligibility.errors import InputError
from fhir_eligibility.retrieval.inputs import (
    _NOT_READ,
    DATA_SUFFIXES,
    MANIFEST,
    NDJSON_SUFFIXES,
    _skipped_data,
    _unread_text,
    input_files,
    unread_type,
)
from fhir_eligibility.retrieval.reading import WarningLog

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INSTALL_HINT = "the spark engine needs pyspark (and Java 17+): pip install 'fhir-eligibility[spark]'"
DEFAULT_MASTER = "local[*]"
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")
# Bulk exports are sometimes compressed; Hadoop decompresses by suffix.
SPARK_SUFFIXES = tuple(s + c for s in NDJSON_SUFFIXES for c in ("", ".gz", ".bz2"))
# Quiet, UI-less defaults for a run on this machine (a cluster keeps its own); --spark-conf overrides them.
LOCAL_CONF = {
    "spark.ui.showConsoleProgress": "false",
    "spark.ui.enabled": "false",
    "spark.app.name": "fhir-eligibility screen",
}


def require_pyspark() -> None:
    """One line saying what to install (exit 2) when pyspark is not there."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise InputError(INSTALL_HINT) from None


def parse_conf(items: Iterable[str]) -> dict[str, str]:
    """``K=V`` pairs from ``--spark-conf``."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--spark-conf {item!r}: expected KEY=VALUE")
        out[key.strip()] = value
    return out


def start_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """A session on ``master``: by default spark-submit's when it launched us, else ``local[*]``.
    On a local master the executors run this very Python (and so this package)."""
    require_pyspark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if master is None and "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit
        master = DEFAULT_MASTER
    local = (master or "").startswith("local")
    settings = {**(LOCAL_CONF if local else {}), **(conf or {})}
    if master is not None:
        builder = builder.master(master)
    if local and "spark.pyspark.python" not in settings:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # what pyspark launches its workers with
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as e:  # no Java, a bad master URL...: pyspark raises plain runtime errors here
        raise InputError(f"cannot start Spark on {master or 'the spark-submit master'}: {first_line(e)}") from None
    session.sparkContext.setLogLevel("OFF")  # a failed job is reported in one line by the engine
    return session


def first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:300] if text else e.__class__.__name__


def spark_inputs(
    session: SparkSession, paths: Sequence[str], log: WarningLog | None = None, unread: set[str] | None = None
) -> list[tuple[str, str, int]]:
    """``(URI or local path, name in warnings, bytes)`` of every NDJSON input file, in the built-in
    order; a local file is named as the built-in reader names it, a URI by itself. ``unread``: the
    types of the files a URI's folder holds that are not read (a local folder's: ``folder_manifest``)."""
    out: list[tuple[str, str, int]] = []
    for p in paths:
        if URI.match(p):
            out.extend((uri, uri, size) for uri, size in _hadoop_files(session, p, log, unread))
            continue
        for f in input_files([Path(p)], log):
            if not f.name.lower().endswith(SPARK_SUFFIXES):
                raise InputError(f"{f}: the spark engine reads Bulk NDJSON (*.ndjson, *.jsonl), not Bundles")
            out.append((str(f.resolve()), str(f), f.stat().st_size))
    return out


def local_path(uri: str) -> Path | None:
    """The local path a ``file:`` URI names (``file:///tmp/x``, ``file:/tmp/x``), else None."""
    parts = urlsplit(uri)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    return Path(unquote(parts.path))


def manifest_folders(session: SparkSession, paths: Sequence[str], log: WarningLog) -> tuple[list[Path], bool]:
    """The local folders whose ``manifest.json`` the built-in reader reads (a ``file:`` URI's as its
    path), and whether a folder on another scheme holds one that is not read: said in ``log``, and
    then every type is unknown (its ``error`` or ``deleted`` files, its ``_since``, would be lost)."""
    folders: list[Path] = []
    unread = False
    for p in paths:
        local = local_path(p) if URI.match(p) else Path(p)
        if local is not None:
            folders.append(local)
            continue
        sc = session.sparkContext
        jvm: Any = sc._jvm
        try:
            where = jvm.org.apache.hadoop.fs.Path(p.rstrip("/") + "/" + MANIFEST)
            found = bool(where.getFileSystem(sc._jsc.hadoopConfiguration()).exists(where))
        except Exception:  # a glob, a scheme that cannot tell: its files were listed, nothing said of a manifest
            found = False
        if found:
            unread = True
            log.add(f"{p}/{MANIFEST}: not read (only on a local path or a file: URI); every type unknown")
    return folders, unread


def _hadoop_files(
    session: SparkSession, uri: str, log: WarningLog | None = None, unread: set[str] | None = None
) -> list[tuple[str, int]]:
    """Files under a URI (a file, a folder searched recursively, or a glob) via Hadoop's FileSystem;
    in a folder, what the built-in reader would not read either is said and its type put in ``unread``
    (a ``Condition.001.ndjson.zst`` skipped in silence read as "no diagnosis"), its top ``manifest.json``
    left to :func:`manifest_folders`, a Bundle (``.json``) refused as a local one is."""
    sc = session.sparkContext
    jvm: Any = sc._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(uri)
    try:
        fs = hadoop_path.getFileSystem(sc._jsc.hadoopConfiguration())
        statuses = fs.globStatus(hadoop_path) or []
        found: list[tuple[str, int]] = []
        for status in statuses:
            if not status.isDirectory():
                found.append((str(status.getPath().toString()), int(status.getLen())))
                continue
            top = str(status.getPath().toString()).rstrip("/") + "/" + MANIFEST
            it = fs.listFiles(status.getPath(), True)
            while it.hasNext():
                file = it.next()
                name = str(file.getPath().toString())
                base = name.rsplit("/", 1)[-1]
                if name.endswith(SPARK_SUFFIXES):
                    found.append((name, int(file.getLen())))
                elif base.lower().endswith(DATA_SUFFIXES) and name != top:
                    raise InputError(f"{name}: the spark engine reads Bulk NDJSON (*.ndjson, *.jsonl), not Bundles")
                elif _skipped_data(base):
                    if log is not None:
                        log.add(f"{name}: {_NOT_READ}; {_unread_text(Path(base))}")
                    if unread is not None:
                        unread.add(unread_type(Path(base)))
    except InputError:
        raise
    except Exception as e:  # py4j carries the Java exception (no such scheme, access denied...)
        raise InputError(f"{uri}: cannot list ({first_line(e)})") from None
    if not found:
        raise InputError(f"{uri}: no NDJSON files (*.ndjson, *.jsonl) found")
    return sorted(found)


__all__ = [
    "DEFAULT_MASTER",
    "INSTALL_HINT",
    "local_path",
    "manifest_folders",
    "parse_conf",
    "require_pyspark",
    "spark_inputs",
    "start_session",
]
