"""Where one NDJSON line goes: the one routing rule of both file engines.

Why a separate, pure module: the built-in engine's pass 1 (:mod:`~fhir_eligibility.screening.
partition`) writes a routed line to a shard file, the Spark engine's executors emit it as a keyed
record; both call :func:`route_line`, so they read, warn, rename and drop exactly alike. The
line is judged by :mod:`fhir_eligibility.retrieval.reading`'s policy (through
:func:`~fhir_eligibility.retrieval.files.read_line`, as ``evaluate`` reads NDJSON): warnings go
to a :class:`~fhir_eligibility.retrieval.reading.WarningLog`, records left out to a
:class:`~fhir_eligibility.retrieval.reading.Drops`, both mergeable whatever ran first.

References follow :mod:`fhir_eligibility.record`: ``Patient/<id>`` and absolute references under the
subject/patient/beneficiary/individual keys; a Patient is keyed by its id and indexed by its
identifiers and ``urn:uuid:<id>``; a Medication goes to the (global) Medication index; a conditional
``Patient?identifier=`` reference, and a ``urn:uuid`` one (only a Bundle's fullUrl resolves it: here,
a Patient whose id or identifier it is, else nobody's), wait for the identifier index
(:func:`~fhir_eligibility.retrieval.files.index_key`); an unresolved one is anyone's (its type unknown
for everyone); anything else naming a patient is warned about; everything else is not patient data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import orjson

from fhir_eligibility.record import identifier_keys, patient_id_of, patient_reference
from fhir_eligibility.retrieval.assembly import version_stamp
from fhir_eligibility.retrieval.files import UNRESOLVED_UUID, index_key, read_line, uuid_key
from fhir_eligibility.retrieval.reading import (
    BOM,
    NO_PATIENT_ID,
    Drops,
    Position,
    WarningLog,
    guessed_patient,
    patients_of_unreadable,
    patients_record,
    unplaced,
    usable_id,
    warn_resource,
    with_id,
)
from fhir_eligibility.retrieval.reference_kind import warn_reference

# What route_line() decides for a line.
PATIENT = "patient"  # key: the patient id; identifiers: what conditional references may name it by
DATA = "data"  # key: the patient id the resource is about
MEDICATION = "medication"  # key: "Medication/<id>"; code: its CodeableConcept
DEFERRED = "deferred"  # key: the identifier a conditional reference names
NOTHING = "nothing"  # not patient data, or left out (already warned about and dropped)


class Route(NamedTuple):
    """Where one line goes (a tuple: one per line of the export, and a frozen dataclass's
    ``__init__`` stays interpreted Python in the compiled build)."""

    kind: str
    key: str = ""
    line: bytes = b""  # the line as a patient's data keeps it (normalised: pass 2 parses it strictly)
    identifiers: tuple[str, ...] = ()
    code: dict[str, Any] | None = None
    stamp: str = ""  # a Medication's version (assembly.version_stamp): the latest is kept


SKIP = Route(NOTHING)


def usable_key(key: str) -> bool:
    """An identifier usable as a shard key (shard lines are tab-separated)."""
    return bool(key) and not any(c in key for c in "\t\n\r")


def route_line(
    line: bytes,
    source: str,
    index: int,
    number: Callable[[], int],
    log: WarningLog,
    drops: Drops,
    base: str | None = None,
) -> Route:
    """The route of one stripped, non-blank line of input file ``index`` (named ``source``);
    ``number()`` gives its line number, asked only when a warning or a ``no-id-`` name needs it;
    ``base``: the file's export server, when its manifest names it (``files.read_line``: a record of
    another server's patient is left out)."""
    res, lenient = read_line(line, source, index, number, log, drops, base)
    if res is None:
        return SKIP
    rtype = res["resourceType"]
    named = rtype == "Patient" or (isinstance(res.get("id"), str) and bool(res["id"]))
    if not named:
        res = with_id(res, (index, number()))
    if lenient or not named:
        line = orjson.dumps(res)
    elif line.startswith(BOM):
        line = line[3:]
    if rtype == "Patient":
        pid = usable_id(res.get("id"))
        if pid is None:
            warn_resource(log, source, NO_PATIENT_ID, res, (index, number()))
            return SKIP
        return Route(PATIENT, pid, line, tuple(k for k in (*identifier_keys(res), uuid_key(pid)) if usable_key(k)))
    if rtype == "Medication":
        code = res.get("code")
        if not isinstance(code, dict):
            return SKIP
        return Route(MEDICATION, f"Medication/{res['id']}", code=code, stamp=version_stamp(res))
    ref = patient_reference(res)
    if ref is None:
        why = unplaced(res)
        if why is not None:  # someone's record, placed with no one: unknown (for everyone), not absent
            warn_resource(log, source, why, res, (index, number()))
            drops.add_for(rtype, patients_of_unreadable(res, b""))
        return SKIP  # Practitioner, Organization...: not patient data
    identifier = index_key(ref)  # a conditional reference or a urn:uuid: the Patients' index decides
    if identifier is None:
        found = patient_id_of(ref)
        if found is not None:
            return Route(DATA, found, line)
    elif usable_key(identifier):
        return Route(DEFERRED, identifier, line)
    warn_reference(log, source, "patient reference not resolvable", res, (index, number()), ref)
    if patients_record(ref):  # someone's record: unknown for them (else everyone), not absent
        drops.add(rtype, guessed_patient(ref))
    return SKIP


def warn_unresolved(log: WarningLog, drops: Drops, source: str, line: bytes, at: Position) -> None:
    """A ``DEFERRED`` line whose identifier (or urn:uuid) no Patient carries: about a patient nobody
    can tell, so its type is unknown for everyone (as the ``evaluate`` reader does)."""
    res = orjson.loads(line)
    ref = patient_reference(res) or ""
    what = UNRESOLVED_UUID if ref.startswith("urn:uuid:") else "patient reference not resolvable"
    warn_reference(log, source, what, res, at, ref)
    drops.add(str(res.get("resourceType")))


def warn_ambiguous(
    log: WarningLog, drops: Drops, source: str, line: bytes, at: Position, patients: Iterable[str]
) -> None:
    """A conditional reference (a ``DEFERRED`` line) whose identifier several Patients carry: given to
    none of them, and its type unknown for each (as the ``evaluate`` reader does)."""
    res = orjson.loads(line)
    what = "patient reference ambiguous (several patients have this identifier)"
    warn_reference(log, source, what, res, at, patient_reference(res) or "")
    drops.add_for(str(res.get("resourceType")), sorted(patients))


__all__ = [
    "DATA",
    "DEFERRED",
    "MEDICATION",
    "NOTHING",
    "PATIENT",
    "SKIP",
    "Route",
    "route_line",
    "usable_key",
    "warn_ambiguous",
    "warn_unresolved",
]
