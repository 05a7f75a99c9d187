"""What single elements of a Condition say: its statuses, mCODE histology, a site-qualified secondary
neoplasm, ICD-10-GM certainty, an abatement. Split from :mod:`.facts`, which turns whole resources into
facts with these (the element rules one by one, each with why, apart from the per-type assembly).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from fhir_eligibility.codes import ICD10, ICD10CM, SNOMED, Code, codings
from fhir_eligibility.evaluation.dates import last_day, parse_date
from fhir_eligibility.record import Resource

# Condition.clinicalStatus / verificationStatus codes (R4 and R5); a status coded otherwise (a site's
# own code) is read as unknown, not as one of these
_CONDITION_STATUSES = frozenset(
    {"active", "recurrence", "relapse", "inactive", "remission", "resolved", "unknown"}
    | {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error", "presumed"}
)


def status_code(concept: object) -> str | None:
    """The status a concept codes: the standard code among its codings, else "unknown" when it is
    coded otherwise (a site's own code, unreadable), None when absent."""
    if concept is None:
        return None
    if isinstance(concept, str):  # an R2/STU3-style plain code
        return concept if concept in _CONDITION_STATUSES else "unknown"
    known = sorted(c for _s, c in codings(concept) if c in _CONDITION_STATUSES)
    if known:
        return known[0]
    text = concept.get("text") if isinstance(concept, dict) and not codings(concept) else None
    word = text.strip().lower() if isinstance(text, str) else ""  # text only: "Active", "resolved"
    return word if word in _CONDITION_STATUSES else "unknown"


# Fact.verification of an AllergyIntolerance whose type is intolerance (:func:`intolerance`): uncertain
INTOLERANCE = "intolerance"


def intolerance(res: Resource) -> bool:
    """Whether an AllergyIntolerance says it is an intolerance (R4 code ``type``, R5 CodeableConcept of
    allergy-intolerance-type), a reaction judged not immune-mediated (a somatostatin analogue's
    diarrhoea) that a protocol's "known hypersensitivity" may or may not mean, and nothing on it says
    more: ``criticality`` high, a reaction of severity severe or an anaphylaxis is a hypersensitivity
    whatever the type (FHIR calls ``type`` unreliable)."""
    kind = res.get("type")
    said = kind == "intolerance" if isinstance(kind, str) else any(c == "intolerance" for _s, c in codings(kind))
    return said and res.get("criticality") != "high" and not any(map(_severe, _list(res.get("reaction"))))


ANAPHYLAXIS = "39579001"  # SNOMED CT Anaphylaxis (disorder)


def _severe(reaction: object) -> bool:
    if not isinstance(reaction, dict):
        return False
    manifested = _list(reaction.get("manifestation"))  # R4 CodeableConcept, R5 CodeableReference: codings reads both
    return reaction.get("severity") == "severe" or any(
        code == (SNOMED, ANAPHYLAXIS) for m in manifested for code in codings(m)
    )


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


MCODE_MORPHOLOGY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"


def morphology(res: Resource) -> frozenset[Code]:
    """Histology carried the mCODE way (an extension on the Condition), read as one of its codes."""
    out: frozenset[Code] = frozenset()
    for ext in res.get("extension") or [] if isinstance(res.get("extension"), list) else []:
        if isinstance(ext, dict) and ext.get("url") == MCODE_MORPHOLOGY:
            out |= codings(ext.get("valueCodeableConcept"))
    return out


# A metastasis coded as a generic secondary neoplasm (SNOMED CT 128462008, ICD-10 C79.9) with its site in
# bodySite (post-coordinated): a liver site (SNOMED CT 10200004 Liver structure) is a liver metastasis
_SECONDARY = frozenset({(SNOMED, "128462008"), (ICD10, "C799"), (ICD10CM, "C799")})
_SITED = {(SNOMED, "10200004"): (SNOMED, "94381002")}  # liver -> secondary malignant neoplasm of liver


def sited(codes: frozenset[Code], sites: list[Any]) -> frozenset[Code]:
    """The pre-coordinated code a generic secondary neoplasm with a known body site stands for."""
    if not sites or codes.isdisjoint(_SECONDARY):
        return frozenset()
    return frozenset(_SITED[c] for site in sites for c in codings(site) if c in _SITED)


# ICD-10-GM's diagnostic certainty (German core profiles), on the coding: A ruled out (ausgeschlossen),
# V suspected (Verdacht), Z status post (Zustand nach), G confirmed (gesichert)
GM_CERTAINTY = "http://fhir.de/StructureDefinition/icd-10-gm-diagnosesicherheit"


def gm_certainty(res: Resource) -> str | None:
    """The ICD-10-GM certainty letter of a Condition's code, when a coding carries one."""
    code = res.get("code")
    codings_ = code.get("coding") if isinstance(code, dict) else None
    for coding in codings_ if isinstance(codings_, list) else []:
        extensions = coding.get("extension") if isinstance(coding, dict) else None
        for ext in extensions if isinstance(extensions, list) else []:
            value = ext.get("valueCoding") if isinstance(ext, dict) and ext.get("url") == GM_CERTAINTY else None
            letter = value.get("code") if isinstance(value, dict) else None
            if letter in ("A", "V", "Z", "G"):
                return str(letter)
    return None


def abated(res: Resource) -> bool:
    """Whether a Condition records its end (``abatement[x]``: a date, an age, a period, a range, a text;
    STU3's ``abatementBoolean`` true): without a clinicalStatus it is resolved, not active."""
    if res.get("abatementBoolean") is True:
        return True
    return any(
        res.get(k) not in (None, "", {}, [])
        for k in ("abatementDateTime", "abatementAge", "abatementPeriod", "abatementRange", "abatementString")
    )


def abatement_days(res: Resource) -> tuple[_dt.date, _dt.date] | None:
    """The first and last day a Condition's dated abatement may mean ("2026-08": any day of August;
    a period: from its start), None when it is not dated (an age, a range, a text, a boolean). A
    condition that ends after the as-of date was still going on then (a retrospective screening)."""
    text = res.get("abatementDateTime")
    if text is None:
        p = res.get("abatementPeriod")
        text = p.get("start") if isinstance(p, dict) else None
    first = parse_date(text)
    if first is None or not isinstance(text, str):
        return None
    return first, last_day(text) or first


__all__ = [
    "GM_CERTAINTY",
    "MCODE_MORPHOLOGY",
    "abated",
    "abatement_days",
    "gm_certainty",
    "morphology",
    "sited",
    "status_code",
]
