"""Coded answers to qualitative questions: which codes say the same thing, and which say the opposite.

Why: a laboratory answers "is hCG present?" as Positive, Detected, Present or Reactive, in SNOMED
CT, LOINC answer codes or HL7 v3 interpretation codes. A criterion written with one of them must
accept the others (a "Detected" pregnancy test is a positive one), and a value coded in none of the
answers it knows is not evidence of the opposite answer: it is ``unknown`` (clinical.md §0.14,
§0.16), never a silent "does not match" that passes a pregnancy exclusion.

Each question is a tuple of mutually exclusive answer classes; each class lists equivalent codes.
An "Unknown" answer (LOINC LA4489-6, SNOMED CT 261665006) is in no class, so it stays unknown.
Sources: SNOMED CT qualifier values; LOINC answer codes (the pregnancy status answers of 82810-3
as the WHO SMART immunization IG's ``pregnancystatus-values`` lists them); HL7 v3
ObservationInterpretation.
"""

from __future__ import annotations

from fhir_eligibility.codes import LOINC, SNOMED, Code

V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

_POSITIVE = frozenset(
    {
        (SNOMED, "10828004"),  # Positive
        (SNOMED, "260373001"),  # Detected
        (SNOMED, "52101004"),  # Present
        (SNOMED, "11214006"),  # Reactive
        (LOINC, "LA6576-8"),  # Positive
        (LOINC, "LA11882-0"),  # Detected
        (LOINC, "LA9633-4"),  # Present
        (V3_INTERPRETATION, "POS"),
        (V3_INTERPRETATION, "DET"),
    }
)
_NEGATIVE = frozenset(
    {
        (SNOMED, "260385009"),  # Negative
        (SNOMED, "260415000"),  # Not detected
        (SNOMED, "2667000"),  # Absent
        (SNOMED, "131194007"),  # Non-reactive
        (LOINC, "LA6577-6"),  # Negative
        (LOINC, "LA11883-8"),  # Not detected
        (LOINC, "LA9634-2"),  # Absent
        (V3_INTERPRETATION, "NEG"),
        (V3_INTERPRETATION, "ND"),
    }
)
_PREGNANT = frozenset({(SNOMED, "77386006"), (LOINC, "LA15173-0")})
_NOT_PREGNANT = frozenset({(SNOMED, "60001007"), (LOINC, "LA26683-5")})

# A qualitative result written as text (HL7 v2 feeds converted to FHIR: ``valueString`` "Negative"),
# read only when the whole text is one of these words; anything else stays text (unknown)
_WORDS = {
    **dict.fromkeys(("positive", "pos", "detected", "present", "reactive"), (SNOMED, "10828004")),
    **dict.fromkeys(
        # "target not detected" (TND) is how viral-load assays word a result below their detection limit
        (
            "negative",
            "neg",
            "not detected",
            "none detected",
            "undetected",
            "undetectable",
            "not detectable",
            "target not detected",
            "tnd",
            "absent",
            "non-reactive",
            "nonreactive",
        ),
        (SNOMED, "260385009"),
    ),
}


def text_answer(text: str) -> frozenset[Code]:
    """The coded answer a whole-word qualitative result stands for ("Negative", "not detected"), else none."""
    code = _WORDS.get(" ".join(text.lower().split()).rstrip("."))
    return frozenset({code}) if code is not None else frozenset()


QUESTIONS: tuple[tuple[frozenset[Code], ...], ...] = (
    (_POSITIVE, _NEGATIVE),
    (_PREGNANT, _NOT_PREGNANT),
)


def answers(codes: frozenset[Code]) -> tuple[frozenset[Code], frozenset[Code]]:
    """The codes a coded test accepts (``codes`` and their equivalents) and the codes known to be
    another answer to the same question (a value coded with one of these fails the test; a value
    coded in neither is unknown). A test whose codes belong to no known question knows no other
    answers: there, as before, only its own codes match."""
    accepted = set(codes)
    others: set[Code] = set()
    for classes in QUESTIONS:
        hit = [c for c in classes if c & codes]
        if not hit:
            continue
        for c in hit:
            accepted |= c
        for c in classes:
            if c not in hit:
                others |= c
    return frozenset(accepted), frozenset(others - accepted)


def exclusive(codes: frozenset[Code]) -> tuple[Code, Code] | None:
    """Two of the codes that answer one question in ways that exclude each other (Positive and
    Negative), if any: a site code mapped to both would make one result both (terminology.site)."""
    for classes in QUESTIONS:
        hit = [sorted(c & codes) for c in classes if c & codes]
        if len(hit) > 1:
            return hit[0][0], hit[1][0]
    return None
