"""Who may attest and what an answer says: the author allow-list and the yes/no reading of a response.

Why its own module: :mod:`.attestation` decides which answer counts; who wrote it (an allow-list of study
staff in every form a Reference takes, docs/attestations.md "Who attests") and whether it is a yes or a no
(valueBoolean, or a coded yes/no as EHR forms write it) are read the same by ``attest`` and the CDS
service, which refuse an author that would never count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fhir_eligibility.codes import LOINC, SNOMED, codings
from fhir_eligibility.plain_text import cleaned

V2_YES_NO = "http://terminology.hl7.org/CodeSystem/v2-0136"
_CODED_YES_NO = {
    (V2_YES_NO, "Y"): True,
    (V2_YES_NO, "N"): False,
    (SNOMED, "373066001"): True,  # Yes (qualifier value)
    (SNOMED, "373067005"): False,  # No (qualifier value)
    (LOINC, "LA33-6"): True,
    (LOINC, "LA32-8"): False,
}


def author_text(res: dict[str, Any]) -> str | None:
    """Who answered: the name, the reference, or both (the CDS service writes the EHR user's reference
    with the name they typed: "Dr Ada (Practitioner/123)")."""
    a = res.get("author")
    if not isinstance(a, dict):
        return None
    display, reference = a.get("display"), a.get("reference")
    name = cleaned(display.strip()) if isinstance(display, str) else ""  # "   " names nobody
    ref = cleaned(reference.strip()) if isinstance(reference, str) else ""
    if name and ref:
        return f"{name} ({ref})"
    return name or ref or None


STAFF = frozenset({"Practitioner", "PractitionerRole"})  # who may attest (docs/attestations.md, "Who attests")
# a reference's resource type: ``[base/]Type/id[/_history/v][/]`` or a conditional ``Type?search`` (a trailing
# slash, as some EHRs write ``Practitioner/p1/``, counted before the allow-list and again now)
_TYPED = re.compile(r"(?:^|/)([A-Z][A-Za-z]*)(?:/[^/?#]+(?:/_history/[^/?#]*)?/?|\?.*)$", re.DOTALL)


def _kinds(who: dict[str, Any], contained: object) -> tuple[set[str], bool]:
    """The resource types a Reference names (its ``type``, its ``reference`` in any form: relative, absolute,
    versioned, conditional, or ``#id`` of a contained resource), and whether a reference was given whose type
    cannot be read (an unresolved ``urn:uuid:``, ``#id`` or free text)."""
    kinds: set[str] = set()
    unread = False
    stated = who.get("type")
    if isinstance(stated, str) and stated.strip():
        kinds.add(stated.strip().rsplit("/", 1)[-1])  # R4: a type name, or its StructureDefinition url
    elif stated is not None:
        unread = True
    ref = who.get("reference")
    ref = ref.strip() if isinstance(ref, str) else ""
    if ref.startswith("#"):
        inner = [r for r in contained if isinstance(r, dict)] if isinstance(contained, list) else []
        found = [r.get("resourceType") for r in inner if r.get("id") == ref[1:]]
        if ref == "#":  # the container itself
            found = ["QuestionnaireResponse"]
        kinds.update(str(k) for k in found)
        unread = unread or not found
    elif ref:
        m = _TYPED.search(ref)
        if m is None:
            unread = True
        else:
            kinds.add(m.group(1))
    return kinds, unread


def typed_by_bundle(res: dict[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    """The response with the ``type`` of the Bundle entry its ``author`` / ``source`` reference names by its
    ``fullUrl`` (``types``: that Bundle's fullUrl -> resourceType), so that :func:`not_by_staff` reads it.

    Why: EHRs write a transaction or collection Bundle whose response names its author ``urn:uuid:...``, the
    fullUrl of a Practitioner entry; only that Bundle resolves it (FHIR bundle.html), and the reader keeps the
    resources, not the Bundle, so the reference read as naming nobody and the answer did not count. A reader
    calls this per Bundle, as it resolves a ``medicationReference`` there. A reference no entry carries is left
    as written (it names nobody, as before); when a stated ``type`` disagrees with the entry, the one that is
    not staff is kept: such an answer never counts."""
    out = res
    for role in ("author", "source"):
        who = res.get(role)
        ref = who.get("reference") if isinstance(who, dict) else None
        kind = types.get(ref.strip()) if isinstance(ref, str) else None
        if kind is None or not isinstance(who, dict):
            continue
        stated = who.get("type")
        typed = kind if kind not in STAFF or not isinstance(stated, str) or not stated.strip() else stated
        if typed != stated:
            out = {**out, role: {**who, "type": typed}}
    return out


def not_staff(author: object) -> bool:
    """An author (or source) Reference naming anyone but a Practitioner or PractitionerRole, in any form the
    reference takes: the patient or a relative (CDS Hooks allows either as the user of a patient-facing app),
    a Device, an Organization. ``attest`` and the served form refuse such an author: it would never count.
    A name alone, or a reference whose type cannot be read, names no kind here (:func:`not_by_staff`)."""
    return isinstance(author, dict) and bool(_kinds(author, None)[0] - STAFF)


def not_by_staff(res: dict[str, Any]) -> str | None:
    """Why the response is not a staff member's attestation (None: it is): an allow-list, since a deny-list
    of the reference's text let ``Patient/1/_history/2``, a contained Patient, ``{"type": "Patient"}`` or a
    Device answering for the patient through. The author must be a Practitioner or PractitionerRole, or a
    name alone (``attest --author "Dr X"`` and the static page write a coordinator's name so); the
    ``source`` (R4: the person who answered), when given, must be one too."""
    contained = res.get("contained")
    for role in ("author", "source"):
        who = res.get(role)
        if not isinstance(who, dict):
            continue
        kinds, unread = _kinds(who, contained)
        other = sorted(kinds - STAFF)
        if other:
            what = " or ".join(other)
            if kinds & {"Patient", "RelatedPerson"}:
                return f"its {role} is a {what}: the patient or a relative"
            return f"its {role} is a {what}, not a person of the study staff"
        if unread and not kinds:
            return f"its {role}'s reference names no Practitioner or PractitionerRole"
    return None


def yes_no(a: dict[str, Any]) -> bool | str:
    """The answer as yes/no, or why it is not one (an answer in another shape)."""
    value = a.get("valueBoolean")
    if isinstance(value, bool):
        return value
    if "valueCoding" in a:
        said = {_CODED_YES_NO.get(c) for c in codings({"coding": [a["valueCoding"]]})} - {None}
        if len(said) == 1:
            return bool(said.pop())
    kinds = sorted(k for k in a if k.startswith("value")) or ["no value"]
    return f"its answer ({', '.join(kinds)}) is not a yes/no answer"


__all__ = ["STAFF", "author_text", "not_by_staff", "not_staff", "typed_by_bundle", "yes_no"]
