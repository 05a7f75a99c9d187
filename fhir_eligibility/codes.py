"""Code-system URIs and code normalisation, applied identically to definitions and patient data."""

from __future__ import annotations

import re
from functools import lru_cache

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CPT = "http://www.ama-assn.org/go/cpt"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
FHIR_TYPES = "http://hl7.org/fhir/fhir-types"
GENDER = "http://hl7.org/fhir/administrative-gender"
EV_EVENT = "http://hl7.org/fhir/evidence-variable-event"
OFFSET = "http://hl7.org/fhir/characteristic-offset"
PROJECT = "http://fhir-eligibility.org/fhir"
PROJECT_CS = f"{PROJECT}/CodeSystem/eligibility"
EXT_JUDGEMENT = f"{PROJECT}/StructureDefinition/judgement"
EXT_INPUT_VS = f"{PROJECT}/StructureDefinition/input-valueset"
EXT_ALT_THRESHOLD = f"{PROJECT}/StructureDefinition/alternate-threshold"
# on a timeFromEvent: the protocol gives no window; its low bound is the configured default look-back
EXT_DEFAULT_LOOKBACK = f"{PROJECT}/StructureDefinition/default-lookback"
# on a definitionByCombination (all-of of record leaves): one record must meet every leaf
EXT_SAME_RECORD = f"{PROJECT}/StructureDefinition/same-record"
# on a record's CodeableConcept (terminology.evidence marks it): its codings name different tests, why
EXT_CONTRADICTORY = f"{PROJECT}/StructureDefinition/contradictory-coding"

# Spellings seen in real exports for the same system.
_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "http://loinc.org/": LOINC,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "http://snomed.info/sct/": SNOMED,
    "urn:oid:2.16.840.1.113883.6.90": ICD10CM,
    "http://hl7.org/fhir/sid/icd-10-cm/": ICD10CM,
    "http://www.cdc.gov/nchs/icd/icd10cm": ICD10CM,  # the publisher's page, written as the system
    "urn:oid:2.16.840.1.113883.6.3": ICD10,
    "http://hl7.org/fhir/sid/icd-10/": ICD10,
    "http://www.who.int/classifications/icd10": ICD10,
    # ICD-10-GM (Germany's modification of the WHO ICD-10: the WHO codes, some subdivided), as the
    # German core profiles name it (BfArM, formerly DIMDI)
    "http://fhir.de/CodeSystem/bfarm/icd-10-gm": ICD10,
    "http://fhir.de/CodeSystem/dimdi/icd-10-gm": ICD10,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "http://www.nlm.nih.gov/research/umls/rxnorm/": RXNORM,
    "urn:oid:2.16.840.1.113883.6.73": ATC,
    "http://www.whocc.no/atc/": ATC,
    "urn:oid:2.16.840.1.113883.6.43.1": ICDO3,  # ICD-O-3 morphology
}
_ICD_SYSTEMS = {ICD10CM, ICD10}

Code = tuple[str, str]


_KNOWN = frozenset({LOINC, SNOMED, ICD10CM, ICD10, ATC, RXNORM, UCUM, ICDO3})
_ICDO3_MORPHOLOGY = re.compile(r"M?-?(\d{4})[/-]?(\d)")  # M8246/3, 8246/3, 82463, 8246-3
_SCT_WITH_TERM = re.compile(r"(\d+)\s*\|[^|]*\|")  # 94225005 |Secondary malignant neoplasm of brain|


def norm_system(system: str | None) -> str:
    """A code system's URI as the definitions spell it. Besides the OIDs and trailing slashes of
    real exports: ``https`` for ``http``, and a SNOMED CT edition or version URI written as the
    system (``http://snomed.info/sct/900000000000207008/version/20240301``; FHIR puts it in
    ``Coding.version``), which is still SNOMED CT; and with surrounding whitespace stripped."""
    system = system.strip() if system else ""  # "http://snomed.info/sct " is SNOMED CT, not a system of its own
    if not system:
        return ""
    known = _ALIASES.get(system)
    if known is not None:
        return known
    return _variant(system) if system.startswith(("https://", SNOMED + "/")) else system


def _spelled(system: str) -> str:
    plain = "http://" + system[len("https://") :] if system.startswith("https://") else system
    plain = _ALIASES.get(plain, plain).rstrip("/")
    if plain.startswith(SNOMED + "/"):
        return SNOMED
    return plain if plain in _KNOWN else system


_variant = lru_cache(maxsize=256)(_spelled)  # a population spells a few systems, each read once


def norm_code(system: str | None, code: str | None) -> Code | None:
    """(system, code) as matched everywhere: ICD-10 codes upper-cased without the dot, ATC codes
    upper-cased, a SNOMED CT concept id followed by its ``|term|`` as the id; None for a
    coding that names no code or whose system is not text (a malformed coding matches nothing)."""
    if (
        code is None
        or isinstance(code, (bool, float, list, dict))  # not a code: shown as text it would be a false one
        or not str(code).strip()
        or not isinstance(system, (str, type(None)))
    ):
        return None
    sys = norm_system(system)
    c = str(code).strip()
    if sys in _ICD_SYSTEMS:
        c = c.upper().replace(".", "")
    elif sys == ATC:  # ATC codes are upper case (V10XX04); a site's lower case is the same code
        c = c.upper()
    elif sys == SNOMED and "|" in c:
        # a concept written as a SNOMED CT expression with its term is that concept; any other
        # expression (refinements after ":", a "<<" constraint) is not one concept and stays as written
        m = _SCT_WITH_TERM.fullmatch(c)
        c = m[1] if m else c
    elif sys == ICDO3:
        m = _ICDO3_MORPHOLOGY.fullmatch(c.upper())
        c = f"{m[1]}/{m[2]}" if m else c
    return (sys, c)


def codings(concept: object) -> frozenset[Code]:
    """All normalised codings of a CodeableConcept-shaped dict (or an R5 CodeableReference)."""
    if not isinstance(concept, dict):
        return frozenset()
    if "concept" in concept and isinstance(concept["concept"], dict):
        concept = concept["concept"]
        assert isinstance(concept, dict)
    out = set()
    coding = concept.get("coding")
    for c in coding if isinstance(coding, list) else ():  # a malformed coding (validity.py says so) has none
        if isinstance(c, dict):
            n = norm_code(c.get("system"), c.get("code"))
            if n:
                out.add(n)
    return frozenset(out)


_SCT_FOCUS = re.compile(r"\s*(\d{6,18})\s*(?:\|[^|]*\|)?\s*")  # one focus concept, its term optional


def expression_foci(codes: frozenset[Code]) -> frozenset[Code]:
    """The focus concepts of the SNOMED CT post-coordinated expressions among the codes
    (``94225005:{363698007=12738006}``: 94225005; ``a+b:...``: a and b); a constraint (``<<``) has none.

    Why: an expression is not one concept, and a refinement can change the meaning (a finding context "known
    absent"), so it never proves its focus; but a record about brain metastases must not read as none:
    the record is uncertain for the value sets holding its focus (evaluation.facts)."""
    out: set[Code] = set()
    for system, code in codes:
        if system != SNOMED or ":" not in code or code.lstrip().startswith(("<", ">", "^")):
            continue
        foci = [_SCT_FOCUS.fullmatch(part) for part in code.split(":", 1)[0].lstrip("=").split("+")]
        out |= {(SNOMED, m[1]) for m in foci if m}
    return frozenset(out)


def beyond_who(codes: frozenset[Code]) -> frozenset[Code]:
    """The ICD-10-CM reading of codes written under WHO ICD-10 that WHO's four characters cannot hold
    (C79.31 is ICD-10-CM's; WHO stops at C79.3): a site that named the wrong system, or a national
    modification's code. Which it is cannot be told, so the record is uncertain for them (evaluation.facts)."""
    return frozenset((ICD10CM, c) for s, c in codes if s == ICD10 and len(c) > 4) - codes


def with_atc_groups(codes: frozenset[Code]) -> frozenset[Code]:
    """The codes and, for an ATC code, the groups it belongs to (L01XE26: L01XE, L01X, L01, L).

    Why: ATC is a hierarchy spelled in its codes, and value sets name groups ("L01: all antineoplastic
    agents"); a drug coded under a retired or newer code of the group (cabozantinib L01XE26 before
    2021, L01EX07 since) is still in it."""
    groups = {(ATC, c[:n]) for s, c in codes if s == ATC for n in (1, 3, 4, 5) if len(c) > n}
    return codes | groups if groups else codes


def display(code: Code) -> str:
    return f"{code[0]}|{code[1]}" if code[0] else code[1]
