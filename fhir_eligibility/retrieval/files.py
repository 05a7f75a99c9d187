"""Read exported FHIR data: Bundles (any type), folders of them, Bulk Data NDJSON; R4, R4B or R5.

Resources are grouped per patient by their subject/patient reference (``urn:uuid`` fullUrls and
conditional ``Patient?identifier=`` references resolved inside each Bundle, or among the loose
records; a logical ``identifier`` reference reads as the conditional one, and a ``urn:uuid`` no
fullUrl carries names only a Patient whose id or identifier it is, else an unknown patient:
:func:`index_key`). A file that is not
usable at all raises :class:`InputError` (exit 2); one malformed line or resource is a warning,
counted with its kind (:mod:`~fhir_eligibility.retrieval.reading` holds the policy, shared with
screening's partition reader). Each patient's resources end in the one assembler
(:func:`~fhir_eligibility.retrieval.assembly.assemble`); a drug reference is resolved within its
own Bundle (or the NDJSON input) before, since a ``fullUrl`` means something only there; a
``Medication/<id>`` left unresolved resolves against every Medication of the input, by its id
(NDJSON lines, files of one, any Bundle's: as screening's global index does).

What a file may hold beyond records, each read alike by every entry point: ``.ndjson.gz`` files
(decompressed as read); a Bulk export's ``OperationOutcome`` (an error: every patient's data
unknown); a batch-response entry that failed, an error OperationOutcome entry or R5 ``Bundle.issues``
(every type unknown), or a search page (also one nested in a batch) that is not the whole answer (a
further page, a short ``total``, an error or "incomplete" outcome, R4 entry or R5 ``issues`` alike:
what it searched unknown; for ``Patient/$everything``, every type); a history Bundle (each record's
current version); a DELETE in a transaction, batch or history Bundle, or on an NDJSON line (the Bulk
``deleted`` file), removes the record it names from the whole input (``Drops.deleted``, applied once
every file is read, by screening's pass 2 too), and a deleted Patient the patient (none of their
records read, one warning: ``reading.warn_deleted``); a conditional reference two patients match (neither's,
unknown for both). A saved search of some types or records (``Observation?patient=x``, the Patient an
``include``; a filter such as ``code=``; a batch-response's ``GET Patient/x`` beside searches:
:mod:`~fhir_eligibility.retrieval.search_scope`) is no patient's whole record: unless a whole one is in
the input, the types it did not search unfiltered are in part (found records decide, absence does not:
``reading.Drops``), and a summary (``_elements``) leaves the types it searched unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fhir_eligibility.errors import InputError
from fhir_eligibility.evaluation.attestation_authors import typed_by_bundle
from fhir_eligibility.record import (
    PatientData,
    Resource,
    identifier_keys,
    patient_id_of,
    patient_ref_id,
    patient_reference,
)
from fhir_eligibility.retrieval.assembly import add_medication, assemble, with_medication
from fhir_eligibility.retrieval.bundle_entries import Item, bundle_items, deletions
from fhir_eligibility.retrieval.inputs import input_files, is_ndjson, named_files, ndjson_lines
from fhir_eligibility.retrieval.lines import MAX_LINE_BYTES, TOO_LONG
from fhir_eligibility.retrieval.manifest import folder_manifest
from fhir_eligibility.retrieval.patient_bases import elsewhere
from fhir_eligibility.retrieval.reading import (
    ANY_TYPE,
    CLINICAL_TYPES,
    NO_PATIENT_ID,
    Drops,
    NotJSON,
    Position,
    WarningLog,
    guessed_patient,
    lost_record,
    not_fhir,
    not_held,
    parse_json,
    patients_of_unreadable,
    patients_record,
    problem_of,
    unavailable,
    unplaced,
    usable_id,
    warn_deleted,
    warn_resource,
    with_id,
)
from fhir_eligibility.retrieval.reference_kind import warn_elsewhere, warn_reference
from fhir_eligibility.retrieval.transport import (
    is_error_outcome,
    partial_issue,
)

# the warning for a urn:uuid naming no Patient of its Bundle (or, outside one, of the input)
UNRESOLVED_UUID = "patient reference not resolvable (a urn:uuid names an entry of its own Bundle only)"

# a JSON file (a Bundle) is read whole: a bound on it is a bound on memory; NDJSON is read by line
MAX_DOCUMENT_BYTES = 2**30


def outcome_in_data(res: Resource, source: str, detail: str, at: Position, log: WarningLog, lost: Drops) -> None:
    """An OperationOutcome among the data (a saved Bulk export's error file, an NDJSON line of one):
    severity error or fatal (or no issue), or an issue saying data were left out whatever its severity
    (``suppressed``, ``incomplete``...), means the export is incomplete, so every patient in scope
    loses every type (unknown, not absent), as ``screen --server`` treats an ``$export`` with
    errors; another warning or information one is a warning only. Never patient data."""
    withheld = partial_issue(res)
    if is_error_outcome(res) or withheld:
        said = f"data were left out ({withheld})" if withheld else "an error"
        log.add(
            f"{source}: the export reported {said} (OperationOutcome); every patient's data may be incomplete",
            detail,
            at,
        )
        lost.add(ANY_TYPE)
    else:
        log.add(f"{source}: the export reported a warning (OperationOutcome); its records were read", detail, at)


def read_line(
    line: bytes,
    source: str,
    index: int,
    number: Callable[[], int],
    log: WarningLog,
    drops: Drops,
    base: str | None = None,
) -> tuple[Resource | None, bool]:
    """One NDJSON line (already stripped) as (resource, lenient), or (None, False) with a counted
    warning and its type made unavailable (for the patient its text names, else for everyone).
    ``base``: the server the export came from (its manifest's ``request``): a record naming its patient
    by an absolute URL on another server is another patient's, left out with a warning and its type
    unknown for the local patient of that id (wrong-patient data is a fault). Without a base (no
    manifest) an absolute reference is read by its last two segments (``record.patient_ref_id``).

    ``number()`` gives the line number, asked only for a warning (screening counts it lazily).
    """
    if line.startswith(TOO_LONG):  # skipped as read (retrieval.lines): what it was about is unknown
        n = number()
        log.add(f"{source}: a line longer than {MAX_LINE_BYTES >> 20} MiB; line ignored", f"line {n}", (index, n))
        drops.add_for(*lost_record(None, line[len(TOO_LONG) :], source))
        return None, False
    try:
        value, lenient = parse_json(line)
    except NotJSON as e:
        n = number()
        log.add(f"{source}: {e}; line ignored", f"line {n}", (index, n))
        drops.add_for(*lost_record(None, line, source))
        return None, False
    deleted = deletions(value)
    if deleted is not None:  # the Bulk Data ``deleted`` file: a Bundle of DELETEs per line
        drops.deleted |= deleted
        return None, False
    problem = problem_of(value, in_ndjson=True)
    if problem is not None:
        n = number()
        log.add(f"{source}: {problem}; line ignored", f"line {n}", (index, n))
        drops.add_for(*lost_record(value, line, source))
        return None, False
    if value["resourceType"] == "OperationOutcome":
        n = number()
        outcome_in_data(value, source, f"line {n}", (index, n), log, drops)
        return None, False
    if lenient:
        n = number()
        log.add(f"{source}: numbers beyond range kept as text (those values are unusable)", f"line {n}", (index, n))
    result: Resource = value
    if base is not None and elsewhere(result, {base}):
        warn_elsewhere(log, source, result, (index, number()))
        ref = patient_reference(result) or ""
        drops.add(result["resourceType"], patient_ref_id(ref))
        return None, False
    drops.hold(result["resourceType"], ndjson=True)
    return result, lenient


def read_file(
    path: Path,
    index: int,
    log: WarningLog,
    lost: Drops,
    named: bool = True,
    searches: dict[Position, frozenset[str]] | None = None,
    base: str | None = None,
) -> list[Item]:
    """The resources of one file with where they were; references inside a Bundle made local;
    ``searches``: the records of a saved search of some types or records (or a batch-response's reads), with
    the types it holds whole (:func:`~.search_scope.search_scope`); ``base``: an NDJSON file's export
    server (:func:`read_line`).

    What could not be read goes to ``lost``: for an NDJSON file, per patient or for everyone;
    for a Bundle, per patient or (``everyone``) for the Bundle's own patients. A JSON file found
    in a folder (not ``named`` by the user) that is valid JSON but no FHIR resource (a Bulk
    ``manifest.json``, a CDS Hooks request, a config file) held no FHIR data: a warning, skipped.
    A corrupt one still stops the run, since what it held is unknown.
    """
    source = str(path)
    if is_ndjson(path):
        out: list[Item] = []
        blank = True
        for n, line in enumerate(ndjson_lines(path), 1):
            line = line.strip()
            if line:
                blank = False
                res, _lenient = read_line(line, source, index, lambda n=n: n, log, lost, base)  # type: ignore[misc]
                if res is not None:
                    out.append(((index, n), None, with_id(res, (index, n))))
        if blank:
            log.add(f"{source}: empty file", "", (index, 0))
        return out
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:  # read whole and parsed at once: 4 GB of memory for a 2 GB file
            raise InputError(f"{path}: {size >> 20} MiB is too large for one JSON document; export it as NDJSON")
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.__class__.__name__})") from None
    try:
        data, lenient = parse_json(raw)
    except NotJSON as e:
        raise InputError(f"{path}: {e}" + (f" ({e.where})" if e.where else "")) from None
    problem = problem_of(data)
    if (
        problem is not None
        and not named
        and isinstance(data, dict)
        and isinstance(data.get("resourceType"), str)
        and (patient_reference(data) is not None or patients_of_unreadable(data, raw))
    ):
        # a record of an unknown type naming a patient (an R6 type, a typo): as the same line in NDJSON,
        # it is left out and its patient's data may be missing (unknown), not skipped as a stray file
        log.add(f"{source}: {problem}; ignored", "", (index, 0))
        lost.add_for(*lost_record(data, raw, source))
        return []
    if problem is not None and not named and not_fhir(data):
        log.add(f"{source}: {problem}; file skipped", "", (index, 0))
        return []
    if problem is not None:
        raise InputError(f"{path}: {problem}")
    if lenient:
        log.add(f"{source}: numbers beyond range kept as text (those values are unusable)", "", (index, 0))
    if data["resourceType"] == "Bundle":  # a saved search page's missing pages: see bundle_items
        return bundle_items(data, source, index, log, [0], lost, {} if searches is None else searches)
    if data["resourceType"] == "OperationOutcome":  # a saved export's error, one resource per file
        outcome_in_data(data, source, "", (index, 0), log, lost)
        return []
    return [((index, 0), None, data)]


class _Grouper:
    """Collects resources per patient across files, resolving each Bundle's local references."""

    def __init__(self, sources: dict[int, str], log: WarningLog, lost: Drops) -> None:
        self.patients: dict[str, list[tuple[Position, Resource]]] = {}
        self.sources = sources
        self.log = log
        self.lost = lost  # NDJSON: per patient, or for every patient of the input
        self.scoped: dict[str, set[str]] = {}  # Bundles: what each patient's own Bundle lost
        # patients whose Patient a Bundle holds: that Bundle is their record (closed world), not a
        # fragment beside an export (a Bundle of one Observation said nothing of their other types)
        self.whole: set[str] = set()
        self._touched: set[str] = set()  # patients of the current add()
        self._held: set[str] = set()  # patients whose Patient the current add() holds
        # the Medications of the input (NDJSON lines, one-resource files, every Bundle's by its id): as
        # screening's global index, they resolve a Medication/<id> reference its own Bundle leaves unresolved
        self.formulary: dict[str, dict[str, Any]] = {}
        self.stamps: dict[str, str] = {}  # the version of each kept there (the latest meta.lastUpdated)

    def _put(self, pid: str, at: Position, res: Resource) -> None:
        self.patients.setdefault(pid, []).append((at, res))
        self._touched.add(pid)
        if res.get("resourceType") == "Patient":
            self._held.add(pid)

    def _warn(self, at: Position, what: str, res: Resource, ref: str = "") -> None:
        """A resource left out, named; its patient reference by its kind only (it may hold an MRN)."""
        if ref:
            warn_reference(self.log, self.sources[at[0]], what, res, at, ref)
        else:
            warn_resource(self.log, self.sources[at[0]], what, res, at)

    def _patient_id(self, at: Position, full_url: str | None, rid: object) -> str | None:
        """Its id; a Bundle's Patient may go without one (named by its fullUrl), an NDJSON one or one
        alone in its file may not (as screening routes those: one rule, whatever the entry point)."""
        if rid is not None:
            return usable_id(rid)
        if full_url is not None:
            return patient_id_of(full_url)
        loose = at[1] == 0 or is_ndjson(Path(self.sources[at[0]]))  # entries count from 1
        return None if loose else f"anonymous-{at[0]}-{at[1]}"

    def add(
        self, items: list[Item], bundle_lost: Drops | None = None, searches: Mapping[Position, frozenset[str]] = {}
    ) -> list[Item]:
        """One Bundle's items (``bundle_lost``: what it lost, and what its searches of a patient vouch for;
        ``searches``: its records of a search of some types or records, with the types it holds whole), or
        every NDJSON item at once (None). Returns the Bundle's roster: its Patients of whom it holds no
        clinical record (:func:`roster`), for the caller to read as loose records."""
        self._touched, self._held = set(), set()
        alias: dict[str, str] = {}
        meds: dict[str, dict[str, Any]] = {}  # this Bundle's (or the NDJSON input's) Medications
        stamps: dict[str, str] = {}  # the version of each kept (the latest meta.lastUpdated)
        by_identifier: dict[str, set[str]] = {}  # what conditional references may name: whom
        found: list[tuple[str, Position, Resource]] = []  # the Patients, placed once their records are
        recorded: set[str] = set()  # patients of whom this Bundle holds a clinical record
        for at, full_url, res in items:
            rtype, rid = res["resourceType"], res.get("id")
            if rtype == "Patient":
                pid = self._patient_id(at, full_url, rid)
                if pid is None:
                    self._warn(at, NO_PATIENT_ID, res)
                    by_url = patient_id_of(full_url) if full_url and full_url.startswith("urn:uuid:") else None
                    if by_url is not None:  # its records still name it, by its fullUrl (the Patient is refused)
                        alias[str(full_url)] = by_url
                    continue
                if rid != pid:
                    res = {**res, "id": pid}
                for key in (full_url, f"Patient/{pid}"):
                    if key:
                        alias[key] = pid
                for key in (*identifier_keys(res), uuid_key(pid)):
                    by_identifier.setdefault(key, set()).add(pid)
                found.append((pid, at, res))
            elif rtype == "Medication":
                add_medication(meds, res, full_url, stamps)
                # about no patient: a Bundle's (a formulary's) resolves Medication/<id> anywhere, as an
                # NDJSON line's does (its fullUrl means something only in its Bundle)
                add_medication(self.formulary, res, None, self.stamps)
        # a response's author named by the fullUrl of a Practitioner entry: only its own Bundle can tell
        entry_types = {u: r["resourceType"] for _a, u, r in items if u} if bundle_lost is not None else {}
        for at, _full_url, res in items:
            rtype = res["resourceType"]
            if rtype in ("Patient", "Medication"):
                continue
            ref = patient_reference(res)
            if ref is None:
                why = unplaced(res)
                if why is not None:  # someone's record, placed with no one: unknown for them, not absent
                    self._warn(at, why, res)
                    self._lose(rtype, patients_of_unreadable(res, b""), bundle_lost)
                continue  # Practitioner, Organization, Encounter-less provenance: not patient data
            pid = alias.get(ref)
            key = index_key(ref)
            if pid is None and key is not None:
                named = by_identifier.get(key, set())
                if len(named) > 1:  # two patients carry it: the record is neither's, and unknown for both
                    self._warn(at, "patient reference ambiguous (several patients have this identifier)", res, ref)
                    self._lose(rtype, sorted(named), bundle_lost)
                    continue
                pid = next(iter(named), None)
            elif pid is None and not _elsewhere(ref, alias):
                pid = patient_id_of(ref)  # as screening's partitioning reads it
            if pid is None:  # a record of someone: unknown for them (else the Bundle's, else everyone), not absent
                if ref.startswith("urn:uuid:"):  # about a patient nobody can tell: anyone's (the Bundle's)
                    self._warn(at, UNRESOLVED_UUID, res, ref)
                    self._lose(rtype, (), bundle_lost)
                    continue
                self._warn(at, "patient reference not resolvable", res, ref)
                if patients_record(ref):
                    guessed = guessed_patient(ref)
                    self._lose(rtype, () if guessed is None else (guessed,), bundle_lost)
                continue
            if rtype == "QuestionnaireResponse" and entry_types:
                res = typed_by_bundle(res, entry_types)
            # a fullUrl is local to its Bundle; a loose record's drug may be any file's (all read by now)
            self._put(pid, at, with_medication(res, meds if bundle_lost is not None else self.formulary))
            if rtype in CLINICAL_TYPES:
                recorded.add(pid)
            if at in searches:  # the types a search of them held (Drops.of)
                self.lost.searched.setdefault(pid, set()).update(searches[at])
        loose = roster(found, recorded, searches) if bundle_lost is not None else []
        read_loose = {at for at, _u, _r in loose}
        for pid, at, res in found:
            if at in read_loose:
                continue
            self._put(pid, at, res)
            if bundle_lost is not None:  # a record of theirs, or (a search of some types) a fragment
                (self.lost.whole if at not in searches else self.lost.fragments).add(pid)
            if at in searches:  # a search that holds their Patient holds all they have of its types
                self.lost.searched.setdefault(pid, set()).update(searches[at])
        if bundle_lost is not None:
            for pid, types in bundle_lost.searched.items():  # searches of a patient that found nothing
                self.lost.searched.setdefault(pid, set()).update(types)
            for pid in self._touched:
                self.scoped.setdefault(pid, set()).update(bundle_lost.of(pid))
            for pid, types in bundle_lost.patients.items():  # named: theirs wherever they are
                self.lost.patients.setdefault(pid, set()).update(types)
            if not self._touched:  # a Bundle of no one's records (a problem list beside an export): everyone's
                self.lost.everyone |= bundle_lost.everyone
            self.lost.deleted |= bundle_lost.deleted
            self.whole |= self._held
        return loose

    def _lose(self, rtype: str, patients: Iterable[str], bundle_lost: Drops | None) -> None:
        """A record left out, for NDJSON lines and Bundle entries alike: unknown for the patients it seems
        to name (wherever their records are), else for its Bundle's patients (or, a Bundle of no one's,
        everyone: :meth:`add`), else for every patient of the input."""
        named = tuple(patients)
        if named:
            self.lost.add_for(rtype, named)
        else:
            (self.lost if bundle_lost is None else bundle_lost).add(rtype)

    def result(self, assembled: bool = True) -> list[PatientData]:
        """Patients in order of their first record; resources in input order, one Patient first
        (``assembled``; else every record as read, for a reader that assembles later)."""
        out: list[PatientData] = []
        for pid, entries in sorted(self.patients.items(), key=lambda kv: min(at for at, _r in kv[1])):
            if self.lost.gone(pid):  # a deleted patient is no patient of the input (reading.warn_deleted)
                continue
            entries.sort(key=lambda e: e[0])
            kept = self.lost.current([r for _at, r in entries])  # deletions: known once every file is read
            # what searches of some types did not hold is known once every file is read: here (assembled),
            # else in screening's pass 2, which reads the same Drops (shard_read)
            lost = unavailable(self.scoped.get(pid, set()) | self.lost.of(pid, searches=assembled))
            if assembled:
                if pid not in self.whole:  # a Bundle holding the Patient is a record; else an export's records
                    lost += not_held(self.lost)
                out.append(assemble(pid, kept, formulary=self.formulary, unavailable=lost))
            else:
                out.append(PatientData(pid, kept, lost))
        return out


def roster(
    found: list[tuple[str, Position, Resource]], recorded: set[str], searches: Container[Position]
) -> list[Item]:
    """The Patients a Bundle holds but no clinical record of (a list of several, or one alone): a roster
    or demographics, not their record. Read as loose records (as NDJSON Patient lines: their records are
    the rest of the input's, and an export's missing types say nothing, ``reading.not_held``), never as
    a whole record whose missing Conditions read "none recorded". A search's Patients are its own
    (:mod:`.search_scope`)."""
    return [(at, None, res) for pid, at, res in found if pid not in recorded and at not in searches]


def uuid_key(patient_id: str) -> str:
    """The key a Patient is indexed by, beside its identifiers, for a ``urn:uuid`` (:func:`index_key`;
    an identifier ``urn:uuid:...`` is one of its values already)."""
    return f"urn:uuid:{patient_id}"


def index_key(ref: str) -> str | None:
    """What a reference that needs the Patients' identifier index (:func:`~fhir_eligibility.record.
    identifier_keys`, :func:`uuid_key`) looks up: a conditional ``Patient?identifier=`` one's identifier, or a
    ``urn:uuid`` no fullUrl of its Bundle carries (only a Bundle's fullUrl resolves one, FHIR
    bundle.html: it names a Patient of its Bundle, or of the loose records, whose id or identifier is
    that uuid, as Synthea's flattened Bundles do; else nobody, never a made-up patient). A conditional
    reference is a URL query: percent-encoded (``urn%3Aoid%3A...%7CMRN1``) it names the same identifier."""
    if ref.startswith("Patient?identifier="):
        return unquote(ref.split("=", 1)[1])
    return ref if ref.startswith("urn:uuid:") else None


def _elsewhere(ref: str, alias: dict[str, str]) -> bool:
    """An absolute reference to a Patient on another server than the Bundle's own Patients (named by
    absolute fullUrls): another hospital's patient 123, not this Bundle's Patient 123."""
    if "://" not in ref:
        return False
    bases = {url.rsplit("/Patient/", 1)[0] for url in alias if "://" in url and "/Patient/" in url}
    return bool(bases) and ref.rsplit("/Patient/", 1)[0] not in bases


def read_indexed(
    files: Iterable[tuple[int, Path]],
    log: WarningLog,
    lost: Drops | None = None,
    named: Container[Path] | None = None,
    single: Callable[[Resource], None] | None = None,
    assembled: bool = True,
    bases: Callable[[Path], str | None] | None = None,
) -> list[PatientData]:
    """Patients of these (input index, file) pairs; warnings go to ``log``, NDJSON records that
    could not be read or placed to ``lost`` (each patient's ``unavailable`` includes them).
    ``named``: the files the user gave by name (None: all of them); see :func:`read_file`.
    ``single``: takes the resource of a file holding one (not a Bundle) instead of grouping it
    (screening routes it as an NDJSON line; the file is parsed once either way), and each
    Medication of a Bundle too (about no patient: it goes to screening's Medication index). ``assembled``
    False: each patient's records as read, not yet assembled (screening assembles a
    patient once, from every file, so its choice among versions and its warnings are the ones
    ``evaluate`` makes). ``bases``: an NDJSON file's export server (``FolderManifest.base_for``)."""
    sources: dict[int, str] = {}
    grouper = _Grouper(sources, log, Drops() if lost is None else lost)
    ndjson: list[Item] = []
    for index, f in files:
        sources[index] = str(f)
        if is_ndjson(f):
            base = bases(f) if bases is not None else None  # references span files: group once all are read
            ndjson.extend(read_file(f, index, log, grouper.lost, base=base))
            continue
        mine = Drops()
        searches: dict[Position, frozenset[str]] = {}
        items = read_file(f, index, log, mine, named is None or f in named, searches)
        if items and items[0][0] == (index, 0):  # a file of one resource: a loose record, as an NDJSON line
            # (a Bundle's are its patients', not the export's): a folder of them is an export, whose
            # missing types say nothing (reading.not_held)
            grouper.lost.hold(items[0][2]["resourceType"], ndjson=True)
        if items and items[0][0] == (index, 0) and single is not None:
            single(items[0][2])
            grouper.lost.merge(mine)
        elif not items or items[0][0] == (index, 0):
            # one resource per file (a folder of them, as some exports write): loose records like NDJSON
            # lines, grouped once all are read (a drug or a patient named by another file resolves)
            ndjson.extend(items)
            grouper.lost.merge(mine)
        else:
            for item in grouper.add(items, mine, searches):  # a roster's Patients: loose, as NDJSON lines
                grouper.lost.hold("Patient", ndjson=True)
                if single is not None:
                    single(item[2])
                else:
                    ndjson.append(item)
            for _at, _url, res in items:
                if single is not None and res["resourceType"] == "Medication":  # about no patient: to
                    single(res)  # screening's global index
    if ndjson:
        grouper.add(ndjson)
    return grouper.result(assembled)


def read_patients(paths: Iterable[Path]) -> tuple[list[PatientData], list[str]]:
    """Every patient found under the paths, with warnings for what could not be used (and what a saved
    export's manifest says: :mod:`.manifest`)."""
    log = WarningLog()
    paths = list(paths)
    files = input_files(paths, log)
    manifest, lost = folder_manifest(paths), Drops()
    manifest.apply(lost)
    for line in manifest.lines():  # as screening's partition logs them
        log.add(line)
    patients = read_indexed(enumerate(files), log, lost, named=named_files(paths), bases=manifest.base_for)
    warn_deleted(log, lost)
    return patients, log.lines()


def nothing_usable(paths: Iterable[str | Path], warnings: list[str]) -> InputError:
    """The exit-2 error for input that yielded no patient at all (saying why, when a warning knows)."""
    why = ""
    if warnings:
        why = f": {warnings[0]}" + (f" (and {len(warnings) - 1} more warning(s))" if len(warnings) > 1 else "")
    return InputError("no patient data found in " + ", ".join(str(p) for p in paths) + why)
