"""Real exports spell one code system, and one ICD-O-3 morphology code, several ways: each spelling
matches the definitions' own (adversarial review: each of these read as "none recorded")."""

from __future__ import annotations

import pytest

from fhir_eligibility.codes import ICDO3, LOINC, SNOMED, norm_code
from tests.cases.builders import condition, has, patient, run


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        ("http://snomed.info/sct/900000000000207008/version/20240301", "253000007", (SNOMED, "253000007")),
        ("http://snomed.info/sct/900000000000207008", "253000007", (SNOMED, "253000007")),
        ("https://snomed.info/sct", "253000007", (SNOMED, "253000007")),
        ("https://loinc.org", "718-7", (LOINC, "718-7")),
        (ICDO3, "M8246/3", (ICDO3, "8246/3")),
        (ICDO3, "82463", (ICDO3, "8246/3")),
        (ICDO3, "8246-3", (ICDO3, "8246/3")),
        ("urn:oid:2.16.840.1.113883.6.43.1", "8246/3", (ICDO3, "8246/3")),
        ("https://hospital.example/codes", "NEC", ("https://hospital.example/codes", "NEC")),  # a local system
        ("http://snomed.info/sctx", "1", ("http://snomed.info/sctx", "1")),  # not SNOMED CT
        # whitespace around the system; a SNOMED CT concept written as an expression with its term
        ("http://snomed.info/sct ", "94225005", (SNOMED, "94225005")),
        ("\thttps://loinc.org\n", "718-7", (LOINC, "718-7")),
        (SNOMED, "94225005 |Secondary malignant neoplasm of brain|", (SNOMED, "94225005")),
        (SNOMED, " 94225005|Secondary malignant neoplasm of brain| ", (SNOMED, "94225005")),
    ],
)
def test_a_spelling_of_a_known_system_is_that_system(system: str, code: str, expected: tuple[str, str]) -> None:
    assert norm_code(system, code) == expected


@pytest.mark.parametrize(
    ("system", "code"),
    [
        ("http://snomed.info/sct/900000000000207008/version/20240301", "253000007"),
        ("https://snomed.info/sct", "253000007"),
        (ICDO3, "82463"),
        (ICDO3, "M8246/3"),
    ],
)
def test_a_carcinoma_spelled_otherwise_still_excludes(system: str, code: str) -> None:
    """A neuroendocrine carcinoma (SNOMED CT 253000007, ICD-O-3 8246/3, as vs-nec lists them) coded
    under a version URI or with https, or its morphology written 82463 / M8246/3, was no carcinoma:
    the exclusion passed."""
    nec = {
        "linkId": "nec",
        "definitionByTypeAndValue": has(["Condition"], [(SNOMED, "253000007"), (ICDO3, "8246/3")]),
    }
    result = run(nec, [patient(), condition(system, code)])
    assert result.criteria[0].result.value == "pass", result.criteria[0].reason
