"""One reading policy for both file readers (``evaluate``'s :mod:`~fhir_eligibility.retrieval.files`
and screening's :mod:`~fhir_eligibility.screening.partition`): what a line or a resource must be
to be used, the warning it gets otherwise, and which Patient wins when several share an id.

Why one module: the two readers used to disagree on the same bad files (a BOM on each line, an
invalid-UTF-8 line, NaN, duplicate patients). Both now parse with :func:`parse_json`, judge with
:func:`problem_of`, log through :class:`WarningLog` and pick with
:func:`~fhir_eligibility.retrieval.versions.choose_patient`.

Policy, in one line each:

- JSON is parsed with orjson: invalid UTF-8, ``NaN``/``Infinity`` and nesting deeper than
  ``MAX_DEPTH`` make a line (NDJSON) or a file (Bundle) unusable; a leading BOM is ignored.
- A number beyond double range (``1e400``, a 100,000-digit integer) is kept as its text, so it is
  an invalid value to the evaluator (unknown), never a number, and the file says so.
- Something that is not an object with a known FHIR ``resourceType`` is a warning, never data;
  an NDJSON line holding a Bundle is one too (NDJSON holds one resource per line).
- Repeated warnings are one line with a count (``WarningLog``), never one line per occurrence.
- A record left out (unreadable line, malformed entry or reference) never reads as "no such
  record": its type (from the resource, the line's text, or a Bulk file name; every clinical type
  when unknown) is *unavailable* for its patient (when the text names one), for every patient of
  its Bundle, or for every patient of an NDJSON input, so criteria reading it are unknown (:class:`Drops`).
- Several different Patient resources with one id (or versions of any record): a warning, and
  the one with the highest ``meta.versionId`` is used when every one has one (as numbers when all
  are digits), else the latest ``meta.lastUpdated`` (missing or unparseable counts as oldest), else
  the latest ``issued``; on a tie the last one in input order (paths as given, folders in sorted
  path order, then line or entry order) (:func:`~fhir_eligibility.retrieval.versions.newest`; a
  history Bundle lists the newest first, and its reader says so).
- An unreadable line naming several patients is lost for each of them (:func:`patients_of_unreadable`).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from fhir_eligibility.record import PATIENT_KEYS, Resource, fhir_id, patient_id_of, patient_reference
from fhir_eligibility.requirements.model import Unavailable
from fhir_eligibility.retrieval.resource_types import RESOURCE_TYPES

BOM = b"\xef\xbb\xbf"
MAX_DEPTH = 100  # FHIR resources nest about 10 deep; this refuses stack-exhausting inputs
MAX_WARNING_LINES = 200  # distinct warnings rendered; the rest are counted in one line

# What criteria read (requirements/plan) and its neighbours: what an unplaceable record of unknown type may be.
CLINICAL_TYPES = (
    "AllergyIntolerance",
    "Condition",
    "DiagnosticReport",
    "ImagingStudy",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Procedure",
)
ANY_TYPE = "*"
UNAVAILABLE_MARK = "#unavailable"  # a shard line carrying a patient's unavailable types (never a FHIR type)
_TYPE_TEXT = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]+)"')
_PATIENT_TEXT = re.compile(rb'"(?:subject|patient|beneficiary|individual)"\s*:\s*\{\s*"reference"\s*:\s*"([^"\\]+)"')

Position = tuple[int, int]  # (file index in input order, line or entry number): orders "first"


class NotJSON(ValueError):
    """A line or file that is not usable JSON; the message is the short reason, ``where`` its place."""

    def __init__(self, reason: str, where: str = "") -> None:
        super().__init__(reason)
        self.where = where


def _number(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else f"(number out of range: {text[:20]})"  # never parses as one


def _integer(text: str) -> int | float | str:
    return int(text) if len(text) <= 18 else _number(text)


def _reject(text: str) -> Any:
    raise NotJSON(f"{text} is not a JSON number")


def parse_json(raw: bytes) -> tuple[Any, bool]:
    """(value, lenient): lenient when out-of-range numbers were kept as text. Raises NotJSON."""
    if raw.startswith(BOM):
        raw = raw[3:]
    lenient = False
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        message = str(e)
        if "UTF-8" in message:
            raise NotJSON("not valid UTF-8") from None
        if "infinity" not in message:
            raise NotJSON("not valid JSON", f"line {e.lineno}, column {e.colno}") from None
        try:  # only numbers beyond double range: the standard parser keeps them as text
            value = json.loads(raw.decode("utf-8"), parse_float=_number, parse_int=_integer, parse_constant=_reject)
        except (ValueError, RecursionError):
            raise NotJSON("not valid JSON") from None
        lenient = True
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and too_deep(value):
        raise NotJSON(f"nested deeper than {MAX_DEPTH} levels")
    return value, lenient


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays/objects nest deeper than ``limit`` (iterative: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))
    return False


def problem_of(value: Any, *, in_ndjson: bool = False) -> str | None:
    """Why a parsed value is not a usable resource (None when it is)."""
    if not isinstance(value, dict):
        return "not a FHIR resource"
    rtype = value.get("resourceType")
    if not isinstance(rtype, str):
        return "not a FHIR resource (no resourceType)"
    if rtype not in RESOURCE_TYPES:
        return "not a FHIR resource type (resourceType " + repr(rtype[:40]) + ")"
    if in_ndjson and rtype == "Bundle":
        return "a Bundle, but NDJSON holds one resource per line"
    return None


def not_fhir(value: Any) -> bool:
    """Valid JSON that is no FHIR resource at all (no or an unknown resourceType): it held no FHIR data."""
    return not isinstance(value, dict) or value.get("resourceType") not in RESOURCE_TYPES


# what the criteria read about a patient: one of these naming no patient is data nobody can be given
PATIENT_DATA = frozenset(
    {
        "Observation",
        "Condition",
        "MedicationAdministration",
        "MedicationStatement",
        "MedicationRequest",
        "Procedure",
        "AllergyIntolerance",
        "QuestionnaireResponse",
    }
)


_LOOSE_PATIENT = re.compile(r"(?i)^(?:.*/)?patient/([A-Za-z0-9\-.]{1,64})/?$")


def patients_record(reference: str) -> bool:
    """Whether a reference that does not resolve still names a patient ("patient/x", "Patient?x"):
    then the record is someone's, unknown rather than absent; a Group, Device or Location subject
    is no patient's record."""
    return "patient" in reference.lower()


def guessed_patient(reference: str) -> str | None:
    """Whom a reference that does not resolve seems to name ("patient/x", " Patient/x/"): its data
    are not given to them, but become unknown for them rather than for everyone."""
    found = _LOOSE_PATIENT.match(reference.strip())
    return found.group(1) if found else None


def unplaced(res: Resource) -> str | None:
    """Why a record without a usable patient reference is left out, worth a warning; None for
    resources that are no one's data (Practitioner, Organization...)."""
    if unusable_reference(res):
        return "patient reference malformed"
    if res.get("resourceType") in PATIENT_DATA:
        return "no patient reference (subject)"
    return None


def unusable_reference(res: Resource) -> bool:
    """A patient key (subject, patient...) is present but holds no reference text: data we cannot place."""
    for key in PATIENT_KEYS:
        if key in res:
            return patient_reference({key: res[key]}) is None
    return False


def text_field(res: Resource, key: str) -> str | None:
    """A string field, or None when absent or of another type (``fullUrl`` as a list...)."""
    value = res.get(key)
    return value if isinstance(value, str) else None


NO_PATIENT_ID = "Patient without a usable id (a FHIR id: 1-64 of A-Z a-z 0-9 - .)"  # the readers' warning


def usable_id(value: Any) -> str | None:
    """A patient id usable as a key and in every output: a FHIR id (:func:`~fhir_eligibility.record.fhir_id`;
    shard files are tab-separated lines, ids name files and go into references and reports)."""
    return fhir_id(value)


def with_id(res: Resource, at: Position) -> Resource:
    """A record without a usable id gets one from where it was read (``no-id-<file>-<line>``):
    records are told apart by type/id, and ten id-less doses must not count as one."""
    rid = res.get("id")
    if res.get("resourceType") == "Patient" or (isinstance(rid, str) and rid):
        return res
    return {**res, "id": f"no-id-{at[0]}-{at[1]}"}


def warn_resource(log: WarningLog, source: str, what: str, res: Resource, at: Position, ref: str = "") -> None:
    """Count a resource left out (``<source>: <what>; resource ignored``), naming the first one."""
    detail = f"{res.get('resourceType')}/{str(res.get('id', '?'))[:40]}" + (f" {ref[:40]!r}" if ref else "")
    log.add(f"{source}: {what}; resource ignored", detail, at)


@dataclass
class WarningLog:
    """Warnings keyed by what went wrong and where (a file), counted: 10^6 bad lines are one line.

    ``add(key, detail, at)`` counts ``key`` and keeps the detail of its first occurrence in input
    order (``at``); ``merge`` is associative and commutative, so parallel readers agree with the
    sequential one.
    """

    entries: dict[str, tuple[int, Position, str]] = field(default_factory=dict)

    def add(self, key: str, detail: str = "", at: Position = (0, 0)) -> None:
        count, first, text = self.entries.get(key, (0, at, detail))
        if at < first:
            first, text = at, detail
        self.entries[key] = (count + 1, first, text)

    def merge(self, other: WarningLog) -> None:
        for key, (count, at, detail) in other.entries.items():
            mine = self.entries.get(key)
            if mine is None:
                self.entries[key] = (count, at, detail)
            else:
                first = min((mine[1], mine[2]), (at, detail))
                self.entries[key] = (mine[0] + count, first[0], first[1])

    def __len__(self) -> int:
        return len(self.entries)

    def lines(self) -> list[str]:
        """Rendered in input order of first occurrence: ``key (detail)`` or ``key (n times; first: detail)``."""
        out: list[str] = []
        ordered = sorted(self.entries.items(), key=lambda kv: (kv[1][1], kv[0]))
        for key, (count, _at, detail) in ordered[:MAX_WARNING_LINES]:
            if count == 1:
                out.append(f"{key} ({detail})" if detail else key)
            else:
                out.append(f"{key} ({count} times; first: {detail})" if detail else f"{key} ({count} times)")
        if len(ordered) > MAX_WARNING_LINES:
            out.append(f"{len(ordered) - MAX_WARNING_LINES} more kinds of input warning not shown")
        return out


def type_of_unreadable(value: Any, raw: bytes, source: str) -> str | None:
    """What an unreadable record was: its resourceType, else the one its text names, else the Bulk
    file name's (``Condition.ndjson``, ``Condition-2.ndjson``); ``*`` when nothing says; None when
    it names a type that is not FHIR (``Foo``: not data we would have read)."""
    rtype = value.get("resourceType") if isinstance(value, dict) else None
    if not isinstance(rtype, str):
        found = _TYPE_TEXT.search(raw)
        rtype = found.group(1).decode() if found else None
    if rtype is None:
        stem = source.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0].split("-", 1)[0]
        rtype = stem if stem in RESOURCE_TYPES else ANY_TYPE
    if rtype == "Bundle":
        return ANY_TYPE
    return rtype if rtype == ANY_TYPE or rtype in RESOURCE_TYPES else None


def lost_record(value: Any, raw: bytes, source: str) -> tuple[str | None, tuple[str, ...]]:
    """(type, patients) of a record left out (no patient: everyone's); a non-FHIR type that names
    a patient may be anything. Give it to :meth:`Drops.add_for`."""
    rtype, patients = type_of_unreadable(value, raw, source), patients_of_unreadable(value, raw)
    return (ANY_TYPE if rtype is None and patients else rtype), patients


def patients_of_unreadable(value: Any, raw: bytes) -> tuple[str, ...]:
    """Every patient an unreadable record names, when its text says (string subjects, or raw text);
    () when it names none, or names one that cannot be told (then it may be anyone's)."""
    refs: list[str] = []
    if isinstance(value, dict):
        refs = [ref for key in PATIENT_KEYS if isinstance(ref := value.get(key), str)]
    if not refs:
        refs = [m.group(1).decode("utf-8", "replace") for m in _PATIENT_TEXT.finditer(raw)]
    # a urn:uuid means something only in its Bundle (its patient may be anyone: files.index_key)
    ids = [None if ref.startswith("urn:uuid:") else patient_id_of(ref) for ref in refs]
    if not ids or any(pid is None for pid in ids):
        return ()
    return tuple(dict.fromkeys(pid for pid in ids if pid is not None))


def patient_of_unreadable(value: Any, raw: bytes) -> str | None:
    """The patient an unreadable record names when it names exactly one (else None: see
    :func:`patients_of_unreadable`)."""
    patients = patients_of_unreadable(value, raw)
    return patients[0] if len(patients) == 1 else None


@dataclass
class Drops:
    """Types of records left out, per patient and for everyone in scope, and the types the input
    holds (:func:`not_held`); mergeable like WarningLog.

    Also what saved search results vouch for (``searched``, ``fragments``, ``whole``): a patient whose
    Patient only a search of some types or records holds (``Observation?patient=x&_include=...``, a
    ``code=`` filter, a batch-response's ``GET Patient/x``: :mod:`.search_scope`), and no whole record
    of theirs (a Bundle holding their Patient otherwise, a ``$everything`` answer), has only the types
    searched unfiltered: the others are in part (:func:`unavailable`). Known once every file is read, so
    :meth:`of` says it, for screening's pass 2 as for ``evaluate``; so are the records deleted
    (``deleted``, :meth:`current`)."""

    patients: dict[str, set[str]] = field(default_factory=dict)
    everyone: set[str] = field(default_factory=set)
    held: set[str] = field(default_factory=set)  # resource types of the records read (or vouched for)
    # the input holds a Bulk export: NDJSON lines (or files of one resource) of Patients or clinical records
    export: bool = False
    searched: dict[str, set[str]] = field(default_factory=dict)  # per patient, the types searches of them held whole
    fragments: set[str] = field(default_factory=set)  # patients whose Patient a search of some types holds
    whole: set[str] = field(default_factory=set)  # patients whose Patient a Bundle holds as their record
    # records a transaction, batch or history Bundle deletes (``DELETE Type/id``: a ``_since`` export's
    # deletions): removed wherever they are in the input, read in any order (:meth:`current`)
    deleted: set[tuple[str, str]] = field(default_factory=set)

    def hold(self, rtype: str, ndjson: bool = False) -> None:
        """A record of ``rtype`` was read (``ndjson``: loose, from an NDJSON line or a file of one resource)."""
        self.held.add(rtype)
        if ndjson and not self.export:
            self.export = rtype == "Patient" or rtype in CLINICAL_TYPES

    def add(self, rtype: str | None, patient: str | None = None) -> None:
        if rtype is None:
            return
        if patient is None:
            self.everyone.add(rtype)
        else:
            self.patients.setdefault(patient, set()).add(rtype)

    def add_for(self, rtype: str | None, patients: Iterable[str]) -> None:
        """Lost for each of these patients; for everyone when there is none."""
        named = list(patients)
        if not named:
            self.add(rtype)
        for pid in named:
            self.add(rtype, pid)

    def merge(self, other: Drops) -> None:
        self.everyone |= other.everyone
        self.held |= other.held
        self.export = self.export or other.export
        for pid, types in other.patients.items():
            self.patients.setdefault(pid, set()).update(types)
        for pid, types in other.searched.items():
            self.searched.setdefault(pid, set()).update(types)
        self.fragments |= other.fragments
        self.whole |= other.whole
        self.deleted |= other.deleted

    def gone(self, patient: str) -> bool:
        """Whether the input deletes the patient's Patient: no patient of it any more, so none of their
        records is read (it removed the Patient alone, and the rest was screened as someone's)."""
        return ("Patient", patient) in self.deleted

    def current(self, resources: list[Resource]) -> list[Resource]:
        """The records no deletion in the input names (every reader, once every file is read)."""
        if not self.deleted:
            return resources
        return [r for r in resources if (r.get("resourceType"), r.get("id")) not in self.deleted]

    def of(self, patient: str, searches: bool = True) -> set[str]:
        """What the patient's input lost, and (``searches``, once every file is read) the types no
        search of theirs held when only searches hold them (``NOT_SEARCHED`` + type)."""
        lost = self.everyone | self.patients.get(patient, set())
        if searches and patient in self.fragments and patient not in self.whole:
            held = self.searched.get(patient, set())
            lost |= {NOT_SEARCHED + t for t in EXPORTED_TYPES if t not in held}
        return lost


DELETED_PATIENT = "a Patient the input deletes (a DELETE entry): no patient of this input, none of their records read"


def warn_deleted(log: WarningLog, drops: Drops) -> None:
    """One counted warning for the Patients the input deletes (:meth:`Drops.gone`), by the id the input
    names, nothing else of theirs; every reader, once every file is read (the first id in sorted order)."""
    for pid in sorted(rid for rtype, rid in drops.deleted if rtype == "Patient"):
        log.add(DELETED_PATIENT, f"Patient/{pid}")


# marks a type a patient's saved searches did not search (Drops.of): in part, not lost (unavailable)
NOT_SEARCHED = "~"


def unavailable(types: Iterable[str]) -> tuple[Unavailable, ...]:
    """What a patient's left-out records make unknown (``*``: every clinical type), and the types
    their searches did not search (``~Condition``): what is there is real, an absence decides nothing
    (``partial``, as a record without its Patient: :func:`~.assembly.filed_elsewhere`)."""
    names: set[str] = set()
    unsearched: set[str] = set()
    for t in types:
        if t.startswith(NOT_SEARCHED):
            unsearched.add(t[len(NOT_SEARCHED) :])
        else:
            names.update(CLINICAL_TYPES if t == ANY_TYPE else (t,))
    lost = tuple(
        Unavailable(t, frozenset(), f"a {t} record in the input could not be read (see warnings)")
        for t in sorted(names)
    )
    why = (
        "the input holds only some of this patient's records (searches of other types or of some records, "
        "or an export of what changed or matched): {} records may be missing"
    )
    return lost + tuple(Unavailable(t, frozenset(), why.format(t), partial=True) for t in sorted(unsearched))


# The types a criterion reads as "none" when absent (closed world, clinical.md §0 items 7, 8, 14) or as
# unknown, which an export may leave out whole. Orders and dispenses only add to administrations and
# statements (merge.ORDERS); a missing QuestionnaireResponse is an attestation not yet given.
EXPORTED_TYPES = tuple(t for t in CLINICAL_TYPES if t not in ("MedicationDispense", "MedicationRequest"))


def not_held(drops: Drops) -> tuple[Unavailable, ...]:
    """The types an input holding a Bulk export (NDJSON: one file per type) holds no record of: the
    export left them out, or the site keeps them elsewhere. Such a type says nothing, as a server
    that does not support it (``unsupported``; how a criterion reads that: ``unavailable_for`` in
    :mod:`fhir_eligibility.evaluation.patient_record`). A patient with a Bundle (and files of one
    resource: a coordinator's QuestionnaireResponse beside them) has a record: there, absence is what
    it says."""
    return _not_held(frozenset(drops.held)) if drops.export else ()


@functools.lru_cache(maxsize=16)
def _not_held(held: frozenset[str]) -> tuple[Unavailable, ...]:
    """One tuple per input (every patient of it carries the same)."""
    return tuple(
        Unavailable(t, frozenset(), f"the input holds no {t} records (an export without them)", unsupported=True)
        for t in EXPORTED_TYPES
        if t not in held
    )


__all__ = [
    "ANY_TYPE",
    "BOM",
    "CLINICAL_TYPES",
    "DELETED_PATIENT",
    "EXPORTED_TYPES",
    "MAX_DEPTH",
    "NOT_SEARCHED",
    "NO_PATIENT_ID",
    "UNAVAILABLE_MARK",
    "Drops",
    "NotJSON",
    "Position",
    "WarningLog",
    "guessed_patient",
    "lost_record",
    "not_held",
    "parse_json",
    "patient_of_unreadable",
    "patients_of_unreadable",
    "patients_record",
    "problem_of",
    "text_field",
    "too_deep",
    "type_of_unreadable",
    "unavailable",
    "unplaced",
    "unusable_reference",
    "usable_id",
    "warn_deleted",
    "warn_resource",
    "with_id",
]
