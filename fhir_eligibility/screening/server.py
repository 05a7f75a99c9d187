"""Screen the patients of a FHIR server: narrow with a diagnosis search, or Bulk ``$export``.

Why narrow first: a hospital server holds far more patients than any trial could take, and
fetching each one's data is the slow part. Every trial here requires a coded diagnosis, and
absent diagnoses are FALSE (closed world, clinical.md §0.7), so a patient without any of the
codes of the trial's anchoring criterion is ineligible without fetching anything. The anchor is
derived from the criteria tree (:func:`anchor_codes`), never hard-coded; a trial without one
falls back to every patient. The candidates' data then comes through
:meth:`~fhir_eligibility.retrieval.server.FhirServer.fetch_patients` (batch Bundles, retries,
unavailable-not-absent) and is evaluated on the worker pool.

Where the CapabilityStatement declares ``$export``, the whole population is exported instead
(Bulk Data: kick-off with ``Prefer: respond-async``, polling that honours ``Retry-After``, the
manifest, NDJSON downloads with the bearer token when ``requiresAccessToken``) into a temporary
directory and screened by the file path. ICD-10 codes are normalised without the dot inside the
engine; servers store them dotted, so searches send both spellings.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urljoin, urlsplit

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import AuthorizationError, RetrievalError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.record import PatientData, patient_id_of
from fhir_eligibility.report.screening import ScreeningReport
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.retrieval.connection import retry_after
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions
from fhir_eligibility.retrieval.transport import Answer, Fault, Scope, json_object, read_page, short_count
from fhir_eligibility.screening.anchor import (
    MAX_URL,
    PAGE_SIZE,
    Anchor,
    anchor_codes,
    condition_search_urls,
    necessary_condition_codes,
    search_tokens,
)
from fhir_eligibility.screening.core import SCREENING
from fhir_eligibility.screening.runner import Progress, screen_files, screen_stream

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"
MAX_PAGES = 100_000  # of one search (50 M resources): only a looping server gets there
_sleep = time.sleep  # tests replace it
_now = time.monotonic


# ---- HTTP --------------------------------------------------------------------------------------------


class Http:
    """Screening's view of one server: its request loop (:meth:`FhirServer.request`, the same one
    patient fetches use: retries, Retry-After, deadlines, URL policy, no redirects) with failures
    raised as :class:`RetrievalError`, plus paging and link resolution. ``scope``: "base"
    (searches), "origin" (status and file URLs on the server's own host, with credentials) or
    "public" (Bulk files on another host: never with credentials).
    """

    def __init__(self, server: FhirServer) -> None:
        self.server = server
        self.options = server.options
        self.allowed = server.options.allowed

    def request(
        self,
        method: str,
        url: str,
        *,
        accept: str = FHIR_JSON,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        ok: Iterable[int] = (200,),
        scope: Scope = "base",
        sink: IO[bytes] | None = None,
        deadline: float | None = None,
    ) -> Answer:
        """The server's own request loop (:meth:`FhirServer.request`); any status not in ``ok`` is an error."""
        base = self.options.base
        try:
            r = self.server.request(
                method,
                url,
                what=_path(url),
                headers={"Accept": accept, **(headers or {})},
                scope=scope,
                auth=auth,
                sink=sink,
                deadline=deadline,
            )
        except Fault as f:
            raise RetrievalError(f"{base}: {f.cause} ({_path(url)})") from None
        if r.status not in set(ok):
            raise RetrievalError(f"{base}: HTTP {r.status} for {_path(url)}{_outcome(r.body)}")
        return r

    def get_json(self, url: str, *, accept: str = FHIR_JSON, ok: Iterable[int] = (200,)) -> dict[str, Any]:
        r = self.request("GET", url, accept=accept, ok=ok)
        try:
            return json_object(r.body)
        except Fault as f:
            raise RetrievalError(f"{self.options.base}: {_path(url)}: {f.cause}") from None

    def resolve(self, link: str, scope: Scope = "base") -> str:
        """A next link or status URL, refused when it leaves the server (the token must not follow)."""
        url = urljoin(self.options.base + "/", link)
        inside = self.allowed.contains(url) if scope == "base" else self.allowed.same_origin(url)
        if not inside:
            raise RetrievalError(f"{self.options.base}: link outside the server refused")
        return url

    def search(self, url: str) -> Iterator[dict[str, Any]]:
        """Every resource of a search, following ``next`` links; a fault of any page is an error.

        A page holding an error OperationOutcome, or a last page short of the ``total`` the server
        announced, ends in :class:`RetrievalError`: an incomplete candidate list would leave out
        patients as if they had no diagnosis.
        """
        seen: set[str] = set()
        next_url: str | None = url
        matches = 0
        while next_url is not None:
            if next_url in seen or len(seen) >= MAX_PAGES:
                raise RetrievalError(f"{self.options.base}: search paging loops or exceeds {MAX_PAGES} pages")
            seen.add(next_url)
            try:
                page = read_page(self.get_json(next_url))
            except Fault as f:
                raise RetrievalError(f"{self.options.base}: {_path(next_url)}: {f.cause}") from None
            matches += page.matches
            yield from page.resources
            next_url = self.resolve(page.next_link) if page.next_link else None
            short = short_count(page.total, matches) if next_url is None else None
            if short is not None:
                raise RetrievalError(f"{self.options.base}: {_path(url)}: {short.cause}")


def _path(url: str) -> str:
    """What errors may show of a URL: its path, never the query (it holds codes and ids)."""
    return urlsplit(url).path or "/"


def _outcome(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return ""
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        texts = [
            str(i.get("diagnostics") or i.get("code") or "") for i in body.get("issue") or [] if isinstance(i, dict)
        ]
        return ": " + "; ".join(t for t in texts if t)[:300] if texts else ""
    return ""


# ---- narrowing by diagnosis -----------------------------------------------------------------------


def patients_with_conditions(
    http: Http, codes: Iterable[Code], answered: dict[str, set[str]] | None = None
) -> set[str]:
    """Patients with a Condition coded with any of ``codes``; ``answered``: the patients each search URL
    already found in this run, so trials that share a diagnosis value set never send a search twice."""
    ids: set[str] = set()
    for url in condition_search_urls(http.options.base, codes):
        if answered is not None and url in answered:
            ids |= answered[url]
            continue
        found: set[str] = set()
        for res in http.search(url):
            for key in ("subject", "patient"):
                ref = res.get(key)
                if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
                    pid = patient_id_of(ref["reference"])
                    if pid:
                        found.add(pid)
                    break
        if answered is not None:
            answered[url] = found
        ids |= found
    return ids


def all_patients(http: Http) -> set[str]:
    return {
        str(r["id"])
        for r in http.search(f"{http.options.base}/Patient?_count={PAGE_SIZE}")
        if r.get("resourceType") == "Patient" and r.get("id")
    }


def candidate_ids(http: Http, trials: Sequence[Trial]) -> tuple[list[str], list[str]]:
    """Patients to fetch (sorted) and notes saying how they were chosen."""
    anchors = [anchor_codes(t) for t in trials]
    if not trials or any(a is None for a in anchors):
        missing = [t.id for t, a in zip(trials, anchors, strict=True) if a is None]
        return sorted(all_patients(http)), [f"no anchoring diagnosis in {', '.join(missing)}: every patient screened"]
    ids: set[str] = set()
    notes = []
    answered: dict[str, set[str]] = {}
    for a in anchors:
        assert a is not None
        found = patients_with_conditions(http, a.codes, answered)
        notes.append(
            f"{a.trial}: server search on the diagnoses of {a.criterion} found {len(found)} patient(s); "
            "patients without them fail that criterion and are not counted"
        )
        ids |= found
    return sorted(ids), notes


def _batched(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def fetch_all(
    server: FhirServer,
    ids: Sequence[str],
    requirements: Sequence[DataRequirement],
    skipped: list[tuple[str, str]],
) -> Iterator[PatientData]:
    """``fetch_patients`` batch by batch; a patient that cannot be fetched goes to ``skipped``.

    A batch is collected before it is yielded, so retrying its patients one by one after a
    failure cannot yield anyone twice. Every candidate is either yielded or in ``skipped`` with a
    reason: the report lists them and the run is partial.
    """
    size = max(server.options.patients_per_batch, 1)
    for batch in _batched(ids, size):
        try:
            fetched = list(server.fetch_patients(batch, requirements))
        except AuthorizationError:
            raise
        except RetrievalError:
            fetched = []
            for pid in batch:  # isolate the failing patient(s)
                try:
                    fetched.extend(server.fetch_patients([pid], requirements))
                except AuthorizationError:
                    raise
                except RetrievalError as e:
                    skipped.append((pid, str(e)))
        yield from fetched


# ---- Bulk Data $export -----------------------------------------------------------------------------


def export_endpoint(capabilities: dict[str, Any]) -> str | None:
    """``Patient/$export`` if declared on Patient, ``$export`` if declared system-wide, else None."""
    for rest in capabilities.get("rest") or []:
        if not isinstance(rest, dict):
            continue
        for res in rest.get("resource") or []:
            ops = res.get("operation") if isinstance(res, dict) and res.get("type") == "Patient" else None
            if any(isinstance(o, dict) and o.get("name") == "export" for o in ops or []):
                return "Patient/$export"
        if any(isinstance(o, dict) and o.get("name") == "export" for o in rest.get("operation") or []):
            return "$export"
    return None


@dataclass
class ExportResult:
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def bulk_export(
    http: Http,
    endpoint: str,
    types: Sequence[str],
    directory: Path,
    *,
    progress: Progress | None = None,
    timeout: float = 3600.0,
) -> ExportResult:
    """Kick off, poll (``Retry-After`` honoured), read the manifest, download every NDJSON file."""
    base = http.options.base
    kick = http.request(
        "GET",
        f"{base}/{endpoint}?_type={','.join(types)}&_outputFormat={quote(NDJSON, safe='')}",
        headers={"Prefer": "respond-async"},
        ok=(202,),
    )
    location = kick.headers.get("Content-Location")
    if not location:
        raise RetrievalError(f"{base}: $export answered 202 without Content-Location")
    status_url = http.resolve(location, scope="origin")
    deadline = time.monotonic() + timeout
    out = ExportResult()
    finished = False
    try:
        manifest = _poll(http, status_url, progress, timeout)
        requires_token = bool(manifest.get("requiresAccessToken"))
        listed = manifest.get("output")
        outputs = (
            [o for o in listed if isinstance(o, dict) and isinstance(o.get("url"), str)]
            if isinstance(listed, list)
            else []
        )
        for i, o in enumerate(outputs):
            kind = str(o.get("type") or "Resource")
            target = directory / f"{kind}-{i:04d}.ndjson"
            _download(http, o["url"], target, requires_token, deadline)
            out.files.append(target)
            if progress is not None:
                progress("downloading", i + 1, len(outputs))
        errors = manifest.get("error")
        for e in errors if isinstance(errors, list) else []:
            if isinstance(e, dict) and isinstance(e.get("url"), str):
                out.notes.extend(_error_notes(http, e["url"], requires_token, deadline))
        finished = True
    finally:
        # Done (the server may delete the files) or interrupted (cancels the job): best effort.
        with contextlib.suppress(RetrievalError):
            http.request("DELETE", status_url, ok=(200, 202, 204, 404), scope="origin")
        if not finished:
            log.info("bulk export interrupted; cancellation requested")
    out.notes.insert(0, f"Bulk Data $export: {len(out.files)} file(s) downloaded")
    return out


def _poll(http: Http, status_url: str, progress: Progress | None, timeout: float) -> dict[str, Any]:
    deadline = _now() + timeout
    attempt = 0
    while True:
        r = http.request("GET", status_url, accept="application/json", ok=(200, 202), scope="origin")
        if r.status == 200:
            try:
                return json_object(r.body)
            except Fault as f:
                raise RetrievalError(f"{http.options.base}: $export manifest: {f.cause}") from None
        if progress is not None:
            progress("exporting", attempt, None)
        wait = retry_after(r.headers.get("Retry-After"))
        wait = min(2.0**attempt, 30.0) if wait is None else min(wait, http.options.max_wait)
        if _now() + wait > deadline:
            raise RetrievalError(f"{http.options.base}: $export not complete after {timeout:.0f} s")
        _sleep(wait)
        attempt += 1


def _file_scope(http: Http, url: str, requires_token: bool) -> tuple[Scope, bool]:
    """Credentials only to the server's own origin; files on another host are fetched without them."""
    if http.allowed.same_origin(url):
        return "origin", requires_token
    return "public", False


def _download(http: Http, url: str, target: Path, requires_token: bool, deadline: float) -> None:
    if urlsplit(url).scheme not in ("http", "https"):
        raise RetrievalError(f"{http.options.base}: manifest URL with unsupported scheme refused")
    scope, auth = _file_scope(http, url, requires_token)
    with target.open("wb") as fh:
        http.request("GET", url, accept=NDJSON, auth=auth, scope=scope, sink=fh, deadline=deadline)


def _error_notes(http: Http, url: str, requires_token: bool, deadline: float) -> list[str]:
    """The server's per-resource export errors (OperationOutcome NDJSON), as report notes."""
    scope, auth = _file_scope(http, url, requires_token)
    r = http.request("GET", url, accept=NDJSON, auth=auth, scope=scope, deadline=deadline)
    notes = []
    for line in r.body.decode("utf-8", "replace").splitlines()[:200]:
        with contextlib.suppress(ValueError, AttributeError, TypeError, RecursionError):
            for issue in json.loads(line).get("issue") or []:
                notes.append(f"$export error: {issue.get('diagnostics') or issue.get('code')}")
    return notes[:20]


def export_types(requirements: Iterable[DataRequirement]) -> list[str]:
    types = {r.resource_type for r in requirements} | {"Patient"}
    if types & {"MedicationAdministration", "MedicationStatement"}:
        types.add("Medication")  # medicationReference targets
    return sorted(types)


# ---- entry point ---------------------------------------------------------------------------------------


def screen_server(
    options: ServerOptions,
    trials: Sequence[Trial],
    as_of: dt.date,
    settings: Settings = SCREENING,
    *,
    workers: int | None = None,
    bulk: bool | None = None,
    progress: Progress | None = None,
    temp_dir: Path | None = None,
    export_timeout: float = 3600.0,
) -> ScreeningReport:
    """Bulk ``$export`` when declared (or forced), else diagnosis search + batched fetch."""
    requirements = plan(trials, as_of, settings.default_lookback_days)
    with FhirServer(options) as server:
        http = Http(server)
        endpoint = export_endpoint(server.capabilities())
        if bulk and endpoint is None:
            raise RetrievalError(f"{options.base} does not declare $export in its CapabilityStatement")
        if endpoint is not None and bulk is not False:
            with tempfile.TemporaryDirectory(prefix="fhir-export-", dir=temp_dir) as tmp:
                data = Path(tmp) / "ndjson"
                data.mkdir()
                result = bulk_export(
                    http, endpoint, export_types(requirements), data, progress=progress, timeout=export_timeout
                )
                if not result.files:
                    raise RetrievalError(f"{options.base}: $export produced no files")
                return screen_files(
                    [data],
                    trials,
                    as_of,
                    settings,
                    workers=workers,
                    progress=progress,
                    temp_dir=temp_dir,
                    source=f"{options.base} ($export)",
                    notes=result.notes,
                )
        if progress is not None:
            progress("searching", 0, None)
        ids, notes = candidate_ids(http, trials)
        skipped: list[tuple[str, str]] = []
        patients = fetch_all(server, ids, requirements, skipped)
        report = screen_stream(
            patients,
            trials,
            as_of,
            settings,
            workers=workers,
            total=len(ids),
            progress=progress,
            source=options.base,
            notes=notes,
        )
        if skipped:
            note = f"{len(skipped)} of {len(ids)} candidate(s) not screened (listed in the report); the run is partial"
            report = dataclasses.replace(report, warnings=(note, *report.warnings), not_screened=tuple(sorted(skipped)))
        return report


__all__ = [
    "MAX_URL",
    "Anchor",
    "anchor_codes",
    "bulk_export",
    "candidate_ids",
    "condition_search_urls",
    "export_endpoint",
    "necessary_condition_codes",
    "screen_server",
    "search_tokens",
]
