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
manifest, NDJSON downloads with the bearer token when ``requiresAccessToken``:
:mod:`fhir_eligibility.retrieval.bulk`) into a temporary directory and screened by the file path.
ICD-10 codes are normalised without the dot inside the engine; servers store them dotted, so
searches send both spellings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import InputError, RetrievalError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.record import PatientData, patient_id_of
from fhir_eligibility.report.screening import ScreeningReport
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.requirements.search import check_patient_id, types_read
from fhir_eligibility.retrieval.bulk import bulk_export, export_endpoint, export_types
from fhir_eligibility.retrieval.options import scoped
from fhir_eligibility.retrieval.reading import guessed_patient, patients_record
from fhir_eligibility.retrieval.search_client import SearchClient
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions, fetch_isolated
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

# ---- narrowing by diagnosis -----------------------------------------------------------------------


UNSEARCHABLE = (
    "the server's Condition names this candidate by no Patient id (an identifier, a conditional reference): "
    "their data cannot be searched by patient; resolve the Condition's subject on the server"
)
MISREFERENCED = (
    'the server\'s Condition names this candidate by a malformed Patient reference (not "Patient/<id>"): '
    "whose diagnosis it is cannot be told for sure; correct the Condition's subject on the server"
)


class Unsearchable(str):
    """A candidate the server names by no Patient id: a matching Condition whose ``subject`` is an
    identifier only (``{"identifier": {...}}``) or a conditional ``Patient?identifier=`` reference.

    Their data cannot be fetched as a candidate's is (``?patient=<id>`` finds nothing stored under an
    identifier, so even a patient found by an identifier search would miss this very diagnosis and read
    as ineligible): they are listed as not screened (:func:`fetch_all`) with ``reason``, never dropped.
    The text is the Condition that named them (``Condition/<id>``), never the identifier: an MRN stays
    out of the report.
    """

    __slots__ = ()
    reason = UNSEARCHABLE


class Misreferenced(Unsearchable):
    """A candidate a matching Condition names by a Patient reference that does not parse
    (``Patient/p2/``, ``patient/p2``, `` Patient/p2``). Dropped, their diagnosis was lost without a
    word; given to the patient it seems to name, a record of unsure owner would decide (the file
    readers do neither: such a record is a warning, its type unknown for that patient). Listed as
    not screened, as a subject named by identifier is."""

    __slots__ = ()
    reason = MISREFERENCED


def _subject_key(res: dict[str, Any]) -> tuple[str | None, tuple[type[Unsearchable], str] | None]:
    """(patient id, None) for a Condition about a Patient named by id; (None, (kind, key)) when it names
    a Patient some other way (identifier, conditional or malformed reference: ``key`` tells such subjects
    apart, ``kind`` says how they are listed); (None, None) when it is about no patient (a Group) or
    names none."""
    subject = next((res[k] for k in ("subject", "patient") if isinstance(res.get(k), dict)), None)
    if subject is None:
        return None, None
    ref = subject.get("reference")
    if isinstance(ref, str):
        pid = patient_id_of(ref)
        if pid:
            return pid, None
        path, query, _ = ref.partition("?")
        if query and path.rstrip("/").split("/")[-1] == "Patient":  # "Patient?identifier=…"
            return None, (Unsearchable, f"reference {ref}")
        if patients_record(ref):  # someone's record, as the file readers read it ("Patient/p2/", "patient/p2")
            return None, (Misreferenced, f"malformed {guessed_patient(ref) or ref}")
        return None, None
    if subject.get("type") not in (None, "Patient"):
        return None, None
    ident = subject.get("identifier")
    if isinstance(ident, dict) and (ident.get("value") or ident.get("system")):
        return None, (Unsearchable, f"identifier {ident.get('system')}|{ident.get('value')}")
    return None, None


def patients_with_conditions(
    http: SearchClient,
    codes: Iterable[Code],
    answered: dict[str, set[str]] | None = None,
    notes: list[str] | None = None,
    unsearchable: dict[str, Unsearchable] | None = None,
) -> set[str]:
    """Patients with a Condition coded with any of ``codes``; ``answered``: the patients each search URL
    already found in this run, so trials that share a diagnosis value set never send a search twice;
    ``notes``: what the server noted in its pages (a warning OperationOutcome). A patient named by no
    id is in the set as an :class:`Unsearchable` (one per subject: ``unsearchable`` holds them for the run)."""
    ids: set[str] = set()
    named = unsearchable if unsearchable is not None else {}
    for url in condition_search_urls(http.options.base, codes):
        if answered is not None and url in answered:
            ids |= answered[url]
            continue
        found: set[str] = set()
        for res in http.search(url, "Condition", notes):
            pid, other = _subject_key(res)
            if pid:
                found.add(pid)
            elif other is not None:
                kind, key = other
                if key not in named:
                    cid = res.get("id")
                    where = f"Condition/{cid[:64]}" if isinstance(cid, str) and cid else f"Condition #{len(named) + 1}"
                    named[key] = kind(f"subject of {where}")
                found.add(named[key])
        if answered is not None:
            answered[url] = found
        ids |= found
    return ids


def all_patients(http: SearchClient, notes: list[str] | None = None) -> set[str]:
    return {
        str(r["id"])
        for r in http.search(f"{http.options.base}/Patient?_count={PAGE_SIZE}", "Patient", notes)
        if r.get("resourceType") == "Patient" and r.get("id")
    }


def candidate_ids(http: SearchClient, trials: Sequence[Trial]) -> tuple[list[str], list[str]]:
    """Patients to fetch (sorted) and notes saying how they were chosen."""
    anchors = [anchor_codes(t) for t in trials]
    if not trials or any(a is None for a in anchors):
        missing = [t.id for t, a in zip(trials, anchors, strict=True) if a is None]
        noted: list[str] = []
        everyone = sorted(all_patients(http, noted))
        return everyone, [f"no anchoring diagnosis in {', '.join(missing)}: every patient screened", *_noted(noted)]
    ids: set[str] = set()
    notes = []
    answered: dict[str, set[str]] = {}
    noted = []
    unsearchable: dict[str, Unsearchable] = {}
    for a in anchors:
        assert a is not None
        found = patients_with_conditions(http, a.codes, answered, noted, unsearchable)
        notes.append(
            f"{a.trial}: server search on the diagnoses of {a.criterion} found {len(found)} patient(s); "
            "patients without them fail that criterion and are not counted"
        )
        ids |= found
    malformed = sum(isinstance(u, Misreferenced) for u in unsearchable.values())
    if malformed:  # a warning of its own: the server's data need correcting, not just a rerun
        notes.append(
            f"the candidate search: {malformed} patient(s) named by a malformed Patient reference in a "
            "Condition's subject; listed as not screened"
        )
    return sorted(ids), notes + _noted(noted)


def _noted(noted: list[str]) -> list[str]:
    """What the server noted in its candidate search pages, in the report's notes (not judged)."""
    return [f"the candidate search: the server noted: {n}" for n in noted]


def fetch_all(
    server: FhirServer,
    ids: Sequence[str],
    requirements: Sequence[DataRequirement],
    skipped: list[tuple[str, str]],
) -> Iterator[PatientData]:
    """The candidates fetched (:func:`~fhir_eligibility.retrieval.server.fetch_isolated`); a patient that
    cannot be fetched goes to ``skipped``. Every candidate is either yielded or in ``skipped`` with a
    reason: the report lists them and the run is partial. So is a candidate named by no id
    (:class:`Unsearchable`). A Patient merged into another (``Patient.link`` ``replaced-by``) was
    fetched: it is screened as files screen it (every criterion unknown, a warning naming the
    surviving record, nothing written back: :func:`~fhir_eligibility.retrieval.merge.withhold_merged`),
    not listed as a fetch that failed (exit 4 would tell automation to retry for ever).
    """
    valid = []
    for pid in ids:  # named by the server's own data: one malformed id must not stop the others
        if isinstance(pid, Unsearchable):
            skipped.append((str(pid), pid.reason))
            continue
        try:
            valid.append(check_patient_id(pid))
        except InputError:
            skipped.append((pid[:70], "the server names this patient by an id that is not a valid FHIR id"))
    yield from fetch_isolated(server, valid, requirements, skipped)


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
    export_max_bytes: int | None = None,
) -> ScreeningReport:
    """Bulk ``$export`` when declared (or forced), else diagnosis search + batched fetch."""
    requirements = plan(trials, as_of, settings.default_lookback_days)
    # a SMART token names what is read: the candidate search's Conditions, the export's or searches' types
    with FhirServer(scoped(options, [*types_read(requirements), "Condition"])) as server:
        http = SearchClient(server)
        endpoint = export_endpoint(server.capabilities())
        exported: list[str] = []
        if bulk and endpoint is None:
            raise RetrievalError(f"{options.base} does not declare $export in its CapabilityStatement")
        if endpoint is not None and bulk is not False:
            with tempfile.TemporaryDirectory(prefix="fhir-export-", dir=temp_dir) as tmp:
                data = Path(tmp) / "ndjson"
                data.mkdir()
                types = export_types(requirements)
                result = bulk_export(
                    http,
                    endpoint,
                    types,
                    data,
                    progress=progress,
                    timeout=export_timeout,
                    max_bytes=export_max_bytes,
                )
                if not result.files and not result.failed:
                    raise RetrievalError(f"{options.base}: $export produced no files")
                if not result.failed:
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
                        exported=result.vouched,  # the types whose absence from its files is "none" (bulk._vouch)
                    )
            # no export, or files that may lack any patient's data: a missing diagnosis would read as absent
            exported = [*result.notes, "$export failed or is incomplete (see above): screened by search instead"]
        if progress is not None:
            progress("searching", 0, None)
        ids, notes = candidate_ids(http, trials)
        notes = [*exported, *notes]
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
    "candidate_ids",
    "condition_search_urls",
    "necessary_condition_codes",
    "screen_server",
    "search_tokens",
]
