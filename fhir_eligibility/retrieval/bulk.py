"""The Bulk Data ``$export`` client (kick-off with ``Prefer: respond-async``, polling that honours
``Retry-After``, the manifest, NDJSON downloads), over :class:`.search_client.SearchClient`.

The bearer token goes only to the server's own origin, and there only when the manifest says
``requiresAccessToken``; files on another host are fetched without it. The export is read with the
parameters this client sent (never the manifest's ``request``, which names none after a POST); its
``deleted`` files are downloaded with the data, whose readers apply them. An interrupted export is
cancelled (DELETE on the status URL), best effort. The files may never fill the disk: a download
stops (an error, the export not used, its file removed) before the export and the shards screening
then writes of it (about its size again) would leave less than :data:`~fhir_eligibility.disk.
RESERVE_BYTES` free, or past the size the caller allows (``screen --export-max-gib``): a server
that sends without end, or far more than a screen needs, ends the run with one line instead of a
full disk at the hospital.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

import orjson

from fhir_eligibility import disk
from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.requirements.model import CLOSED_WORLD_TYPES, DataRequirement
from fhir_eligibility.retrieval.connection import RETRYABLE_STATUS, retry_after
from fhir_eligibility.retrieval.lines import MAX_LINE_BYTES, TOO_LONG, read_line
from fhir_eligibility.retrieval.resource_types import RESOURCE_TYPES
from fhir_eligibility.retrieval.search_client import SearchClient
from fhir_eligibility.retrieval.transport import Answer, Fault, Scope, json_object, outcome_codes, partial_issue

log = logging.getLogger(__name__)

NDJSON = "application/fhir+ndjson"
_sleep = time.sleep  # tests replace it
_now = time.monotonic


def export_endpoint(capabilities: dict[str, Any]) -> str | None:
    """``Patient/$export`` if declared on Patient, ``$export`` if declared system-wide, else None."""
    for rest in _list(capabilities.get("rest")):
        if not isinstance(rest, dict):
            continue
        for res in _list(rest.get("resource")):
            ops = res.get("operation") if isinstance(res, dict) and res.get("type") == "Patient" else None
            if any(isinstance(o, dict) and o.get("name") == "export" for o in _list(ops)):
                return "Patient/$export"
        if any(isinstance(o, dict) and o.get("name") == "export" for o in _list(rest.get("operation"))):
            return "$export"
    return None


def _list(value: object) -> list[Any]:
    """A CapabilityStatement's repeated element, or nothing when the server wrote something else."""
    return value if isinstance(value, list) else []


@dataclass
class ExportResult:
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # an error file holds an error (or cannot be read): the files may lack any patient's data
    failed: bool = False
    # the requested types whose absence from the files is "none" (screening reads the others as unknown)
    vouched: list[str] = field(default_factory=list)


# Types whose absence decides a criterion (no diagnosis, no prior treatment, no allergy: the closed-world
# types, clinical.md §0.7): a server may leave out a type it holds none of, or one a lenient export
# skipped (Bulk Data "Prefer: handling=lenient"); read as "none" these would decide for everyone
ABSENCE_DECIDES = CLOSED_WORLD_TYPES


@dataclass
class _Shown:
    """What the downloaded files show of each type: ``held``, the types a file of its own brought lines
    of (or, with ``count`` 0, said it has none), or a line of an untyped (``Resource``) file holds;
    ``empty``, the types of a file of their own that came empty without a ``count`` of 0."""

    held: set[str] = field(default_factory=set)
    empty: set[str] = field(default_factory=set)


def _vouch(types: Sequence[str], shown: _Shown, out: ExportResult) -> None:
    """Which requested types the export vouches for: what its files show. An empty file is no evidence
    of "no records" (a transfer, or a part of the export, that failed) unless the manifest's ``count``
    says 0. A type not shown is incomplete when its absence would decide, else read as none."""
    for kind in types:
        if kind in shown.held and kind not in shown.empty:
            out.vouched.append(kind)
            continue
        why = f"an empty {kind} file without a count" if kind in shown.empty else f"no {kind} file"
        if kind in ABSENCE_DECIDES:
            out.notes.append(f"$export returned {why}: the export is incomplete")
            out.failed = True
        else:
            out.notes.append(f"$export returned {why}: read as none on the server")
            out.vouched.append(kind)


def bulk_export(
    http: SearchClient,
    endpoint: str,
    types: Sequence[str],
    directory: Path,
    *,
    progress: Callable[[str, int, int | None], None] | None = None,
    timeout: float = 3600.0,
    max_bytes: int | None = None,
) -> ExportResult:
    """Kick off, poll (``Retry-After`` honoured), read the manifest, download every NDJSON file
    (together at most ``max_bytes``, and never into the disk's last :data:`RESERVE_BYTES`)."""
    base = http.options.base
    deadline = _now() + timeout  # of the whole export: kick-off, polling and downloads
    out = ExportResult()
    query = f"_type={','.join(types)}&_outputFormat={quote(NDJSON, safe='')}"
    kick = _kick_off(http, f"{base}/{endpoint}?{query}", deadline)
    if kick.status in _REFUSED:
        out.notes.append(
            f"$export kick-off refused (HTTP {kick.status}{_said(kick)}): the server cannot export what was asked"
        )
        out.failed = True
        return out
    if kick.status != 202:
        out.notes.append(f"$export kick-off failed (HTTP {kick.status}{_said(kick)})")
        out.failed = True
        return out
    location = kick.headers.get("Content-Location")
    if not location:
        raise RetrievalError(f"{base}: $export answered 202 without Content-Location")
    status_url = http.resolve(location, scope="origin")
    finished = False
    try:
        manifest = _poll(http, status_url, progress, deadline, timeout)
        if isinstance(manifest, Answer):  # the export failed on the server: nothing to download
            out.notes.append(f"$export failed (its status: HTTP {manifest.status}{_said(manifest)})")
            out.failed = finished = True
            return out
        requires_token = bool(manifest.get("requiresAccessToken"))
        listed = manifest.get("output")
        outputs = [o for o in listed if isinstance(o, dict)] if isinstance(listed, list) else []
        shown = _Shown()
        if listed is not None and (not isinstance(listed, list) or len(outputs) != len(listed)):
            out.notes.append("the $export manifest's output is not a list of files; the export is incomplete")
            out.failed = True
        for i, o in enumerate(outputs):
            kind = o.get("type") or "Resource"
            if not isinstance(kind, str) or (kind != "Resource" and kind not in RESOURCE_TYPES):  # names the file
                out.notes.append("the $export manifest lists a file whose type is not a FHIR resource type; refused")
                out.failed = True
                continue
            if not isinstance(o.get("url"), str):
                out.notes.append(f"the $export manifest lists a {kind} file without a url; the export is incomplete")
                out.failed = True
                continue
            target = directory / f"{kind}-{i:04d}.ndjson"
            limit, why = _room(directory, max_bytes, sum(f.stat().st_size for f in out.files))
            _download(http, o["url"], target, requires_token, deadline, _Capped(limit, why))
            problem = _file_problem(target, kind, o.get("count"), shown)
            if problem is not None:
                out.notes.append(f"$export {kind} file {i + 1}: {problem}; the export is incomplete")
                out.failed = True
            out.files.append(target)
            if progress is not None:
                progress("downloading", i + 1, len(outputs))
        _vouch(types, shown, out)
        _deletions(http, manifest.get("deleted"), directory, requires_token, deadline, max_bytes, out)
        errors = manifest.get("error")
        for e in errors if isinstance(errors, list) else []:
            if isinstance(e, dict) and isinstance(e.get("url"), str):
                notes, failed = _error_notes(http, e["url"], requires_token, deadline)
                out.notes.extend(notes)
                out.failed = out.failed or failed
        finished = True
    finally:
        # Done (the server may delete the files) or interrupted (cancels the job): best effort.
        with contextlib.suppress(RetrievalError):
            http.request("DELETE", status_url, ok=(200, 202, 204, 404), scope="origin")
        if not finished:
            log.info("bulk export interrupted; cancellation requested")
    out.notes.insert(0, f"Bulk Data $export: {len(out.files)} file(s) downloaded")
    return out


# Statuses the kick-off and the status URL may answer with that are no final "no": throttled, or a
# server error (on the status URL the export failed, unless its OperationOutcome says ``transient``)
_BUSY = (429, *range(500, 600))
# Kick-off answers that refuse what was asked, not who asks (Bulk Data: "4xx + OperationOutcome"): a
# ``_type`` or ``_typeFilter`` the server cannot export (400, 422), no such operation here (404, 405).
# Search may still read what the export cannot: the caller screens by search, as after a 5xx. A 401/403
# (after one token renewal) raises AuthorizationError in the request loop: search would be refused too.
_REFUSED = (400, 404, 405, 422)
# http://hl7.org/fhir/issue-type: "transient" and the codes under it. Bulk Data: a polling failure
# that does not end the export "SHOULD use a transient code", and the client retries later.
_TRANSIENT = frozenset({"transient", "lock-error", "no-store", "exception", "timeout", "throttled"})


def _kick_off(http: SearchClient, url: str, deadline: float) -> Answer:
    """The kick-off's answer: 202, a refusal of what was asked (:data:`_REFUSED`), or a 429/5xx the
    server kept giving (the caller screens by search instead, as after an export whose manifest reports
    errors). 429/502/503/504 are asked again
    (at most ``retries`` times) after the wait the server names, within the export's deadline."""
    attempt = 0
    while True:
        r = http.request("GET", url, headers={"Prefer": "respond-async"}, ok=(202, *_REFUSED, *_BUSY), retry=False)
        if r.status == 202 or r.status not in RETRYABLE_STATUS or attempt >= http.options.retries:
            return r
        if not _wait(r, attempt, deadline):
            return r
        attempt += 1


def _poll(
    http: SearchClient,
    status_url: str,
    progress: Callable[[str, int, int | None], None] | None,
    deadline: float,
    timeout: float,
) -> dict[str, Any] | Answer:
    """The manifest, or the error the status URL answered (the export failed). ``Retry-After`` is
    honoured however long, up to the export's deadline (a poll "too early" is what a 429 says), not
    only up to the request loop's ``max_wait``; a transient error (502/503/504, a 500 whose
    OperationOutcome says ``transient``) is asked again, at most ``retries`` times in a row."""
    attempt = errors = 0
    while True:
        r = http.request(
            "GET", status_url, accept="application/json", ok=(200, 202, *_BUSY), scope="origin", retry=False
        )
        if r.status == 200:
            try:
                return json_object(r.body)
            except Fault as f:
                raise RetrievalError(f"{http.options.base}: $export manifest: {f.cause}") from None
        errors = errors + 1 if r.status >= 500 else 0
        if r.status >= 500 and (errors > http.options.retries or not _transient(r)):
            return r
        if progress is not None and r.status == 202:
            progress("exporting", attempt, None)
        if not _wait(r, attempt, deadline):
            raise RetrievalError(f"{http.options.base}: $export not complete after {timeout:.0f} s")
        attempt += 1


def _wait(r: Answer, attempt: int, deadline: float) -> bool:
    """Sleep as long as the answer asks (``Retry-After``; else a backoff), or False when that would
    pass ``deadline``."""
    after = retry_after(r.headers.get("Retry-After"))
    wait = min(2.0**attempt, 30.0) if after is None else after
    if _now() + wait > deadline:
        return False
    _sleep(wait)
    return True


def _transient(r: Answer) -> bool:
    """A 502/503/504, or an error whose OperationOutcome has an issue of a transient type."""
    if r.status in RETRYABLE_STATUS:
        return True
    try:
        outcome = json.loads(r.body)
    except (ValueError, RecursionError):
        return False
    issues = outcome.get("issue") if isinstance(outcome, dict) else None
    return any(
        isinstance(i, dict) and i.get("code") in _TRANSIENT for i in (issues if isinstance(issues, list) else [])
    )


def _said(r: Answer) -> str:
    """``: severity/code`` of an error answer's OperationOutcome (never its diagnostics), or ""."""
    try:
        said = outcome_codes(json.loads(r.body))
    except (ValueError, RecursionError):
        return ""
    return f": {said}" if said else ""


def _file_scope(http: SearchClient, url: str, requires_token: bool) -> tuple[Scope, bool]:
    """Credentials only to the server's own origin; files on another host are fetched without them."""
    if http.allowed.same_origin(url):
        return "origin", requires_token
    return "public", False


def _room(directory: Path, max_bytes: int | None, used: int) -> tuple[int, str]:
    """How many bytes the next file may have (``used``: the export's files so far), and what to say
    when it has more. The export and its shards must fit together."""
    share = int((disk.room(directory) + used) / (1 + disk.SHARD_BYTES_PER_INPUT_BYTE)) - used
    if max_bytes is not None and max_bytes - used <= share:
        return (
            max_bytes - used,
            f"the export's files exceed the {max_bytes / disk.GIB:g} GiB allowed (--export-max-gib)",
        )
    return share, (
        f"the export's files and the shards screening makes of them would leave less than "
        f"{disk.gib(disk.RESERVE_BYTES)} free on the disk of {directory} (--temp-dir names another)"
    )


class _Capped:
    """A download's file that refuses to grow past ``limit`` bytes (the transport ends the download
    with the :class:`Fault`; nothing more is written)."""

    def __init__(self, limit: int, why: str) -> None:
        self.limit, self.why = limit, why
        self.fh: BinaryIO | None = None
        self.written = 0

    def write(self, data: bytes, /) -> int:
        self.written += len(data)
        if self.written > self.limit:
            raise Fault(self.why)
        assert self.fh is not None
        return self.fh.write(data)


def _download(http: SearchClient, url: str, target: Path, requires_token: bool, deadline: float, sink: _Capped) -> None:
    """The file at ``url`` into ``target``. A 500 is asked again as the request loop asks a 502/503/504
    (at most ``retries`` times, after the wait the server names, within the export's deadline): a file
    server's passing error, which ended the whole run before."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise RetrievalError(f"{http.options.base}: manifest URL with unsupported scheme refused")
    scope, auth = _file_scope(http, url, requires_token)
    attempt = 0
    try:
        while True:
            with target.open("wb") as fh:
                sink.fh, sink.written = fh, 0
                r = http.request(
                    "GET", url, accept=NDJSON, auth=auth, scope=scope, sink=sink, deadline=deadline, ok=(200, 500)
                )
            if r.status == 200:
                return
            if attempt >= http.options.retries or not _wait(r, attempt, deadline):
                raise RetrievalError(f"{http.options.base}: HTTP 500 for a $export file{_said(r)}")
            attempt += 1
    except BaseException:
        target.unlink(missing_ok=True)  # a part of a file is no file to read
        raise


def _file_problem(path: Path, kind: str, count: object, shown: _Shown) -> str | None:
    """Why a downloaded file is not the output the manifest announced: its first line is not a
    ``kind`` resource (an error OperationOutcome served with 200, an HTML page), or it holds fewer
    or more resources than the manifest's ``count`` (a transfer cut short). What it shows of its
    types goes to ``shown``: each line's type for a ``Resource`` file, which may hold any."""
    lines, first, kinds = 0, b"", set[str | None]()
    with path.open("rb") as fh:  # lines read with a bound: a file with no newline is not read whole
        while (read := read_line(fh))[1]:
            if read[0].strip():
                lines += 1
                if lines == 1:
                    first = read[0]
                if kind == "Resource":
                    kinds.add(_line_type(read[0]))
    if first.startswith(TOO_LONG):
        return f"its first line is longer than {MAX_LINE_BYTES // 2**20} MiB (no resource: a page, a dump?)"
    if lines:
        try:
            head = json.loads(first)
        except (ValueError, RecursionError):
            return "its first line is not JSON"
        found = head.get("resourceType") if isinstance(head, dict) else None
        if kind != "Resource" and found != kind:
            return f"it holds {found or 'something other than a resource'!s}, not {kind}"
    counted = isinstance(count, int) and not isinstance(count, bool)
    if counted and count != lines:
        return f"it holds {lines} resource(s), the manifest announced {count}"
    if kind == "Resource":
        shown.held.update(k for k in kinds if k is not None)
    elif lines or counted:  # lines, or the manifest's word that there are none
        shown.held.add(kind)
    else:
        shown.empty.add(kind)
    return None


def _line_type(line: bytes) -> str | None:
    """The ``resourceType`` of one NDJSON line (None when it is unreadable: its reader warns)."""
    if line.startswith(TOO_LONG):
        return None
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    kind = value.get("resourceType") if isinstance(value, dict) else None
    return kind if isinstance(kind, str) else None


def _deletions(
    http: SearchClient,
    listed: object,
    directory: Path,
    requires_token: bool,
    deadline: float,
    max_bytes: int | None,
    out: ExportResult,
) -> None:
    """The manifest's ``deleted`` files (Bulk Data: Bundles of DELETEs, for a ``_since`` export; we ask
    none, yet a server may send them): downloaded beside the data, whose readers apply them
    (``Drops.deleted``). Dropped, a record the server deleted would still decide; one that cannot be
    read leaves the export incomplete."""
    if listed is None or listed == []:
        return
    files = listed if isinstance(listed, list) else [None]
    for i, d in enumerate(files):
        url = d.get("url") if isinstance(d, dict) else None
        if not isinstance(url, str):
            out.notes.append("the $export manifest lists deletions without a url; the export is incomplete")
            out.failed = True
            continue
        target = directory / f"Bundle-deleted-{i:04d}.ndjson"
        limit, why = _room(directory, max_bytes, sum(f.stat().st_size for f in out.files))
        _download(http, url, target, requires_token, deadline, _Capped(limit, why))
        problem = _file_problem(target, "Bundle", d.get("count"), _Shown())
        if problem is not None:
            out.notes.append(f"$export deleted file {i + 1}: {problem}; the export is incomplete")
            out.failed = True
        out.files.append(target)
    out.notes.append(f"$export listed {len(files)} file(s) of deletions: read with the data")


def _error_notes(http: SearchClient, url: str, requires_token: bool, deadline: float) -> tuple[list[str], bool]:
    """The server's export messages (OperationOutcome NDJSON) as report notes, and whether any is an
    error. The manifest's ``error`` files also carry warnings and information (Bulk Data v2); an
    error, an issue saying data were left out (``suppressed``...) whatever its severity, or a file
    that cannot be read, means some data was not exported."""
    scope, auth = _file_scope(http, url, requires_token)
    try:
        r = http.request("GET", url, accept=NDJSON, auth=auth, scope=scope, deadline=deadline)
    except RetrievalError:
        return ["$export error file could not be downloaded"], True
    notes, failed = [], False
    for line in r.body.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            outcome = json.loads(line)
            failed = failed or partial_issue(outcome) is not None
            for issue in outcome.get("issue"):
                severity = issue.get("severity")
                failed = failed or severity not in ("warning", "information")
                # severity/code only: an error file's diagnostics may quote a patient's record
                notes.append(f"$export {severity or 'error'}: {issue.get('code') or 'unknown'}")
        except (ValueError, AttributeError, TypeError, RecursionError):
            notes.append("$export error file holds an unreadable line")
            failed = True
    return notes[:20], failed


def export_types(requirements: Iterable[DataRequirement]) -> list[str]:
    types = {r.resource_type for r in requirements} | {"Patient"}
    if types & {"MedicationAdministration", "MedicationStatement"}:
        types.add("Medication")  # medicationReference targets
    return sorted(types)


__all__ = [
    "ABSENCE_DECIDES",
    "ExportResult",
    "bulk_export",
    "export_endpoint",
    "export_types",
]
