"""One patient's resources -> :class:`PatientData`: the one assembler every data source ends in.

Files (Bundles, NDJSON), screening shards (and the Spark engine), the FHIR server and the CDS
prefetch each gather a patient's resources their own way (grouping, searching, reading keys) and
check what only they can see (a search answering about another patient, an error inside a 200,
an unreadable line): what they could not deliver arrives here as ``unavailable``. Why one
function: the four used to disagree (the server never resolved ``medicationReference``), and a
patient must get the same verdicts through every entry point.

What :func:`assemble` does, in one line each:

- A drug named by reference (R4/R4B ``medicationReference``, R5 ``medication.reference``) to a
  Medication of the same input (a Bundle entry by ``fullUrl`` or ``Medication/<id>``, an NDJSON
  line, a search's ``_include`` entry, a prefetched resource) gets that Medication's code copied in
  (R4 ``medicationCodeableConcept``, R5 ``medication.concept``). A ``#id`` reference names a
  ``contained`` Medication, read where the drug is read (evaluation/medication.py); a reference
  that resolves to nothing is left as is, so the evaluator reads it as unreadable (unknown).
- Medication resources themselves are about no patient: used for resolution, not kept.
- A record whose patient reference names a Patient while its ``type`` names another resource type
  (``{"reference": "Patient/123", "type": "Group"}``; FHIR requires them to agree) is not read as
  the patient's: which one it means is unknown, so its type is unknown for the patient, with a warning
  (read by the reference alone, a Group's record decided a criterion as the patient's own).
- Exact repeats of one record (same type, id and content: overlapping searches, a key prefetched
  twice, a file given twice) are kept once; different records sharing an id are all kept.
- Exactly one Patient, first (:func:`~fhir_eligibility.retrieval.reading.one_patient`: the latest
  ``meta.lastUpdated`` wins); none is a warning, unless the source already said the Patient is
  unavailable, and the records are a part of a record: absence decides nothing (:func:`filed_elsewhere`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from fhir_eligibility.record import PATIENT_KEYS, PatientData, Resource, patient_ref_id
from fhir_eligibility.requirements.model import CLOSED_WORLD_TYPES, Unavailable
from fhir_eligibility.retrieval.versions import LATEST_RULE, choose_patient, one_patient, updated

# How a Reference's ``type`` may say Patient: its name, or the URL of its StructureDefinition.
PATIENT_TYPES = frozenset({"Patient", "http://hl7.org/fhir/StructureDefinition/Patient"})

# The types whose drug may be a reference to a Medication.
DRUG_TYPES = frozenset({"MedicationAdministration", "MedicationDispense", "MedicationRequest", "MedicationStatement"})

Formulary = Mapping[str, dict[str, Any]]  # "Medication/<id>" or a Bundle fullUrl -> the Medication's code


def formulary_keys(medication: Resource, full_url: str | None = None) -> list[str]:
    """What a reference may name this Medication by: its Bundle ``fullUrl`` and ``Medication/<id>``."""
    rid = medication.get("id")
    keys = [f"Medication/{rid}"] if isinstance(rid, str) and rid else []
    return [full_url, *keys] if full_url else keys


def add_medication(
    formulary: dict[str, dict[str, Any]],
    medication: Resource,
    full_url: str | None = None,
    stamps: dict[str, str] | None = None,
) -> None:
    """Index a Medication by :func:`formulary_keys` when it has a code to give. ``stamps``: the
    version kept per key; of two versions of one Medication the latest ``meta.lastUpdated`` is kept
    (on a tie, the later one), as for every record, whatever the input order."""
    code = drug_concept(medication)
    if code is not None:
        stamp = version_stamp(medication)
        for key in formulary_keys(medication, full_url):
            if stamps is not None:
                if stamps.get(key, "") > stamp:
                    continue
                stamps[key] = stamp
            formulary[key] = code


def drug_concept(medication: Resource) -> dict[str, Any] | None:
    """What the Medication says the drug is: its ``code`` with its active ingredients' codings added
    (R4 ``itemCodeableConcept``, R5 ``item``; see evaluation.medication.ingredient_codes, which
    reads a contained Medication the same way). None when it says nothing."""
    code = medication.get("code")
    extra: list[Any] = []
    items = medication.get("ingredient")
    for ing in items if isinstance(items, list) else []:
        if isinstance(ing, dict) and ing.get("isActive") is not False:
            item = ing.get("itemCodeableConcept") or ing.get("item")
            item = item.get("concept", item) if isinstance(item, dict) else None  # R5: a CodeableReference
            codings = item.get("coding") if isinstance(item, dict) else None
            extra += [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []
    if not extra:
        return code if isinstance(code, dict) else None
    base: dict[str, Any] = code if isinstance(code, dict) else {}
    own = base.get("coding", [])
    if not isinstance(own, list):
        return base  # a malformed coding: left for the evaluator to report (unreadable)
    return {**base, "coding": [*own, *extra]}


def version_stamp(res: Resource) -> str:
    """``meta.lastUpdated`` as sortable UTC text; "" (oldest) when absent or unreadable."""
    when = updated(res)
    return when.astimezone(dt.UTC).isoformat() if when is not None else ""


def medication_reference(res: Resource) -> str | None:
    """The reference text naming the drug (R4 ``medicationReference``, R5 ``medication.reference``);
    None when the drug is a concept, is absent, or the reference is malformed."""
    ref = res.get("medicationReference")
    if ref is None:
        med = res.get("medication")
        ref = med.get("reference") if isinstance(med, dict) and "concept" not in med else None
    text = ref.get("reference") if isinstance(ref, dict) else None
    return text if isinstance(text, str) else None


def _lookup(formulary: Formulary, reference: str) -> dict[str, Any] | None:
    code = formulary.get(reference)
    if code is None:  # an absolute or versioned (``Medication/x/_history/3``) reference to the same record
        parts = reference.split("/_history/", 1)[0].split("/")
        if len(parts) >= 2 and parts[-2] == "Medication":
            code = formulary.get(f"Medication/{parts[-1]}")
    return code


def with_medication(res: Resource, formulary: Formulary) -> Resource:
    """The record with its referenced Medication's code copied in (unchanged when nothing resolves)."""
    if res.get("resourceType") not in DRUG_TYPES or "medicationCodeableConcept" in res:
        return res
    reference = medication_reference(res)
    if reference is None or reference.startswith("#"):
        return res
    code = _lookup(formulary, reference)
    if code is None:
        return res
    if "medicationReference" in res:
        return {**res, "medicationCodeableConcept": code}
    return {**res, "medication": {**res["medication"], "concept": code}}


def type_disagrees(res: Resource) -> bool:
    """Whether a patient reference of the record names a Patient by its text and another type by its
    ``type`` (any form: ``Patient/1``, versioned, absolute); a ``type`` that is no string (a list, an
    object) says no type this reference can be sure of, so it disagrees too."""
    for key in PATIENT_KEYS:
        ref = res.get(key)
        if (
            isinstance(ref, dict)
            and "type" in ref
            and (not isinstance(ref["type"], str) or ref["type"] not in PATIENT_TYPES)
        ):
            text = ref.get("reference")
            if isinstance(text, str) and patient_ref_id(text) is not None:
                return True
    return False


def assemble(
    patient_id: str,
    resources: Iterable[Resource],
    *,
    formulary: Formulary | None = None,
    unavailable: Iterable[Unavailable] = (),
    warnings: Iterable[str] = (),
    held: bool = False,
) -> PatientData:
    """One patient's :class:`PatientData` from their resources, in input order (see the module doc).

    ``formulary``: Medications known beyond ``resources`` (screening's global index); Medications
    among ``resources`` are added to it. ``unavailable``/``warnings``: what the source found.
    ``held``: the caller holds the Patient (a CDS prefetch) and asked for the rest only; its absence
    here says nothing.
    """
    pool = list(resources)
    local: dict[str, dict[str, Any]] = {}
    stamps: dict[str, str] = {}
    for res in pool:
        if res.get("resourceType") == "Medication":
            add_medication(local, res, None, stamps)
    known: Formulary = {**formulary, **local} if formulary and local else local or formulary or {}
    notes = list(warnings)
    # one version per (type, id): the same record twice (a full export and a later _since one) counts
    # once, the latest version (versions.LATEST_RULE), as for the Patient
    versions: dict[tuple[str, str], list[Resource]] = {}
    order: list[tuple[str, str] | Resource] = []
    doubtful: dict[str, None] = {}  # the types of records whose reference and type disagree
    for res in pool:
        kind, rid = res.get("resourceType"), res.get("id")
        if kind == "Medication":
            continue
        if kind != "Patient" and type_disagrees(res):
            notes.append(
                f"{kind}/{rid if isinstance(rid, str) else '?'}: its reference names a Patient but its type is not "
                f"Patient; not read as this patient's ({kind} unknown)"
            )
            doubtful[str(kind)] = None
            continue
        if not isinstance(rid, str) or kind == "Patient":  # the Patient's own rule: one_patient
            order.append(res)
            continue
        key = (str(kind), rid)
        same = versions.get(key)
        if same is None:
            versions[key] = [res]
            order.append(key)
        elif res not in same:
            same.append(res)
    kept: list[Resource] = []
    for item in order:
        if isinstance(item, tuple):
            res, differed = choose_patient(versions[item])
            if differed:
                notes.append(f"{item[0]}/{item[1]}: different versions in the input; {LATEST_RULE}")
        else:
            res = item
        kept.append(with_medication(res, known) if known else res)
    reason = "a record whose patient reference and type disagree could not be read as this patient's"
    gaps = (*unavailable, *(Unavailable(t, frozenset(), reason) for t in doubtful))
    if not any(r.get("resourceType") == "Patient" for r in kept):
        if held or any(u.resource_type == "Patient" for u in gaps):
            return PatientData(patient_id, kept, gaps, notes)  # held, or the source said why: no second wording
        # records naming a patient the input has no Patient for (an incremental export, a lab feed):
        # a part of a record, whose absences say nothing
        gaps += filed_elsewhere("no Patient resource in the input: more of this patient's records may be missing")
    return PatientData(patient_id, one_patient(patient_id, kept, notes), gaps, notes)


def filed_elsewhere(reason: str) -> tuple[Unavailable, ...]:
    """The closed-world types and the measurements marked ``partial``: the records here are real (a
    diagnosis or a prior treatment found still decides), their absence decides nothing, and a result
    here may not be the most recent one (clinical.md §0.3): unknown, with ``reason``."""
    return tuple(Unavailable(t, frozenset(), reason, partial=True) for t in (*CLOSED_WORLD_TYPES, "Observation"))


__all__ = [
    "DRUG_TYPES",
    "PATIENT_TYPES",
    "Formulary",
    "add_medication",
    "assemble",
    "filed_elsewhere",
    "formulary_keys",
    "medication_reference",
    "type_disagrees",
    "with_medication",
]
