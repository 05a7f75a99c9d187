"""Data-driven cases: each characteristic form of docs/encoding.md on data that decides it each way."""

from __future__ import annotations

import pytest

from tests.cases.builders import ICD, LOINC, SCT, Json, condition, has, lab, med_admin, obs, patient, q, run, window
from tests.cases.characteristics import ALT_EXCL, ECOG_0_2, HB_GE_8

HB_GT_8 = {
    "linkId": "hb",
    "definitionByTypeAndValue": lab(["718-7", "59260-0"], valueQuantity=q(8, "g/dL", ">")),
    "timeFromEvent": window(-28),
}
RANGE_ULN = [{"high": q(40, "U/L")}]


def ecog(code: str) -> Json:
    return obs("89247-1", "2026-05-20", None, valueCodeableConcept={"coding": [{"system": LOINC, "code": code}]})


CASES: list[tuple[str, Json, list[Json], str]] = [
    # quantity + comparator + units
    ("hb at threshold inclusive", HB_GE_8, [obs("718-7", "2026-05-20", q(8.0, "g/dL"))], "pass"),
    ("hb just below", HB_GE_8, [obs("718-7", "2026-05-20", q(7.9, "g/dL"))], "fail"),
    ("hb strict at threshold fails", HB_GT_8, [obs("718-7", "2026-05-20", q(8.0, "g/dL"))], "fail"),
    ("hb in g/L", HB_GE_8, [obs("718-7", "2026-05-20", q(79, "g/L"))], "fail"),
    ("hb in mmol/L (molar factor)", HB_GE_8, [obs("59260-0", "2026-05-20", q(5.0, "mmol/L"))], "pass"),
    ("hb 4.9 mmol/L below 8 g/dL", HB_GE_8, [obs("59260-0", "2026-05-20", q(4.9, "mmol/L"))], "fail"),
    ("hb unit not convertible", HB_GE_8, [obs("718-7", "2026-05-20", q(8, "mL"))], "unknown"),
    ("hb unit text only", HB_GE_8, [obs("718-7", "2026-05-20", {"value": 9.1, "unit": "g/dl"})], "pass"),
    ("hb missing", HB_GE_8, [], "unknown"),
    ("hb stale", HB_GE_8, [obs("718-7", "2026-04-01", q(12, "g/dL"))], "unknown"),
    ("hb on window edge", HB_GE_8, [obs("718-7", "2026-05-04", q(12, "g/dL"))], "pass"),
    (
        "hb entered-in-error ignored",
        HB_GE_8,
        [
            obs("718-7", "2026-05-20", q(12, "g/dL")),
            obs("718-7", "2026-05-25", q(6, "g/dL"), status="entered-in-error"),
        ],
        "pass",
    ),
    (
        "most recent wins",
        HB_GE_8,
        [obs("718-7", "2026-05-10", q(6, "g/dL")), obs("718-7", "2026-05-25", q(10, "g/dL"))],
        "pass",
    ),
    (
        "tie takes least favourable",
        HB_GE_8,
        [obs("718-7", "2026-05-25", q(10, "g/dL"), rid="a"), obs("718-7", "2026-05-25", q(7, "g/dL"), rid="b")],
        "fail",
    ),
    ("value comparator below threshold decides", HB_GE_8, [obs("718-7", "2026-05-20", q(7, "g/dL", "<"))], "fail"),
    ("value comparator straddling is unknown", HB_GE_8, [obs("718-7", "2026-05-20", q(9, "g/dL", "<"))], "unknown"),
    # range with ordinal answers
    ("ecog LA code 2", ECOG_0_2, [ecog("LA9624-3")], "pass"),
    ("ecog LA code 3", ECOG_0_2, [ecog("LA9625-0")], "fail"),
    ("ecog integer 1", ECOG_0_2, [obs("89247-1", "2026-05-20", None, valueInteger=1)], "pass"),
    # offset x ULN, exclusion
    ("alt 2.25 x ULN", ALT_EXCL, [obs("1742-6", "2026-05-20", q(90, "U/L"), referenceRange=RANGE_ULN)], "pass"),
    ("alt 3 x ULN", ALT_EXCL, [obs("1742-6", "2026-05-20", q(120, "U/L"), referenceRange=RANGE_ULN)], "fail"),
    ("alt no reference range", ALT_EXCL, [obs("1742-6", "2026-05-20", q(120, "U/L"))], "unknown"),
    # coded value
    (
        "qualitative positive test excluded",
        {
            "linkId": "preg",
            "exclude": True,
            "definitionByTypeAndValue": lab(
                ["2106-3"], valueCodeableConcept={"coding": [{"system": SCT, "code": "10828004"}]}
            ),
            "timeFromEvent": window(-4),
        },
        [obs("2106-3", "2026-05-30", None, valueCodeableConcept={"coding": [{"system": SCT, "code": "260385009"}]})],
        "pass",
    ),
    # presence of records (closed world)
    (
        "condition present",
        {"linkId": "net", "definitionByTypeAndValue": has(["Condition"], [(ICD, "C7A.012")])},
        [condition(ICD, "C7A.012")],
        "pass",
    ),
    (
        "condition dotless code",
        {"linkId": "net", "definitionByTypeAndValue": has(["Condition"], [(ICD, "C7A.012")])},
        [condition(ICD, "C7A012")],
        "pass",
    ),
    (
        "condition absent is closed world",
        {"linkId": "net", "definitionByTypeAndValue": has(["Condition"], [(ICD, "C7A.012")])},
        [],
        "fail",
    ),
    (
        "refuted condition ignored",
        {"linkId": "mets", "exclude": True, "definitionByTypeAndValue": has(["Condition"], [(ICD, "C79.31")])},
        [condition(ICD, "C79.31", verification="refuted")],
        "pass",
    ),
    (
        "resolved condition not current",
        {"linkId": "mets", "exclude": True, "definitionByTypeAndValue": has(["Condition"], [(ICD, "C79.31")])},
        [condition(ICD, "C79.31", clinical="resolved")],
        "pass",
    ),
    (
        "resolved condition counts as history",
        {
            "linkId": "mets",
            "exclude": True,
            "definitionByTypeAndValue": {
                **has(["Condition"], [(ICD, "C79.31")]),
                "method": [
                    {
                        "coding": [
                            {"system": "http://fhir-eligibility.org/fhir/CodeSystem/eligibility", "code": "history"}
                        ]
                    }
                ],
            },
        },
        [condition(ICD, "C79.31", clinical="resolved")],
        "fail",
    ),
    (
        "unconfirmed condition unknown",
        {"linkId": "mets", "exclude": True, "definitionByTypeAndValue": has(["Condition"], [(ICD, "C79.31")])},
        [condition(ICD, "C79.31", verification="provisional")],
        "unknown",
    ),
    (
        "condition outside 12 months",
        {
            "linkId": "mi",
            "exclude": True,
            "definitionByTypeAndValue": has(["Condition"], [(ICD, "I21.9")]),
            "timeFromEvent": window(-12, 0, "mo"),
        },
        [condition(ICD, "I21.9", onset="2025-05-31")],
        "pass",
    ),
    (
        "condition inside 12 months",
        {
            "linkId": "mi",
            "exclude": True,
            "definitionByTypeAndValue": has(["Condition"], [(ICD, "I21.9")]),
            "timeFromEvent": window(-12, 0, "mo"),
        },
        [condition(ICD, "I21.9", onset="2025-06-01")],
        "fail",
    ),
    (
        "undated condition in a window is unknown",
        {
            "linkId": "mi",
            "exclude": True,
            "definitionByTypeAndValue": has(["Condition"], [(ICD, "I21.9")]),
            "timeFromEvent": window(-12, 0, "mo"),
        },
        [condition(ICD, "I21.9")],
        "unknown",
    ),
    (
        "definitionCodeableConcept presence",
        {"linkId": "dcc", "exclude": True, "definitionCodeableConcept": {"coding": [{"system": ICD, "code": "N04.9"}]}},
        [condition(ICD, "N04.9")],
        "fail",
    ),
    # instances, courses, duration
    (
        "four cycles",
        {
            "linkId": "cyc",
            "definitionByTypeAndValue": has(["MedicationAdministration"], [("http://www.whocc.no/atc", "V10XX04")]),
            "instancesQuantity": {"value": 4},
        },
        [med_admin("V10XX04", d) for d in ("2023-01-10", "2023-03-07", "2023-05-02", "2023-06-27")],
        "pass",
    ),
    (
        "first course of four, then a second course",
        {
            "linkId": "cyc",
            "definitionByTypeAndValue": {
                **has(["MedicationAdministration"], [("http://www.whocc.no/atc", "V10XX04")]),
                "method": [
                    {
                        "coding": [
                            {
                                "system": "http://fhir-eligibility.org/fhir/CodeSystem/eligibility",
                                "code": "first-course",
                            }
                        ]
                    }
                ],
            },
            "instancesQuantity": {"value": 4},
        },
        [
            med_admin("V10XX04", d)
            for d in ("2023-01-10", "2023-03-07", "2023-05-02", "2023-06-27", "2025-06-01", "2025-08-01")
        ],
        "pass",
    ),
    (
        "not-done administration ignored",
        {
            "linkId": "cyc",
            "definitionByTypeAndValue": has(["MedicationAdministration"], [("http://www.whocc.no/atc", "V10XX04")]),
            "instancesQuantity": {"value": 4},
        },
        [
            *(med_admin("V10XX04", d) for d in ("2023-01-10", "2023-03-07", "2023-05-02")),
            med_admin("V10XX04", "2023-06-27", status="not-done"),
        ],
        "fail",
    ),
    (
        "everolimus <= 31 days",
        {
            "linkId": "evero",
            "definitionByTypeAndValue": has(["MedicationAdministration"], [("http://www.whocc.no/atc", "L01EG02")]),
            "durationQuantity": {"value": 31, "comparator": "<=", "code": "d", "system": "http://unitsofmeasure.org"},
        },
        [
            {
                "resourceType": "MedicationStatement",
                "id": "ms1",
                "status": "completed",
                "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01EG02"}]},
                "subject": {"reference": "Patient/p"},
                "effectivePeriod": {"start": "2024-01-01", "end": "2024-02-15"},
            }
        ],
        "fail",
    ),
    # manual and unsupported
    ("description only is manual", {"linkId": "consent", "description": "Signed informed consent"}, [], "manual"),
    (
        "unsupported combination code",
        {"linkId": "bad", "definitionByCombination": {"code": "or", "characteristic": [{"description": "x"}]}},
        [],
        "unknown",
    ),
    # combinations and exclude at depth
    (
        "any-of with one true",
        {
            "linkId": "any",
            "definitionByCombination": {
                "code": "any-of",
                "characteristic": [
                    {"definitionByTypeAndValue": has(["Condition"], [(ICD, "C7A.012")])},
                    {"definitionByTypeAndValue": has(["Condition"], [(ICD, "C7A.020")])},
                ],
            },
        },
        [condition(ICD, "C7A.020")],
        "pass",
    ),
    (
        "at-least 2 of 3 with one unknown",
        {
            "linkId": "al",
            "definitionByCombination": {
                "code": "at-least",
                "threshold": 2,
                "characteristic": [
                    {"definitionByTypeAndValue": has(["Condition"], [(ICD, "C7A.012")])},
                    HB_GE_8,
                    {"definitionByTypeAndValue": has(["Condition"], [(ICD, "C78.7")])},
                ],
            },
        },
        [condition(ICD, "C7A.012")],
        "unknown",
    ),
    (
        "exclusion with an unless clause",
        {
            "linkId": "brain",
            "exclude": True,
            "definitionByCombination": {
                "code": "all-of",
                "characteristic": [
                    {"definitionByTypeAndValue": has(["Condition"], [(ICD, "C79.31")])},
                    {
                        "exclude": True,
                        "definitionByTypeAndValue": has(["Procedure"], [(SCT, "1156506007")]),
                        "timeFromEvent": window(None, -168),
                    },
                ],
            },
        },
        [
            condition(ICD, "C79.31"),
            {
                "resourceType": "Procedure",
                "id": "rt",
                "status": "completed",
                "subject": {"reference": "Patient/p"},
                "code": {"coding": [{"system": SCT, "code": "1156506007"}]},
                "performedDateTime": "2025-06-01",
            },
        ],
        "pass",
    ),
    # judgement
    (
        "judgement match is review",
        {
            "linkId": "hf",
            "exclude": True,
            "extension": [
                {"url": "http://fhir-eligibility.org/fhir/StructureDefinition/judgement", "valueBoolean": True}
            ],
            "definitionByTypeAndValue": has(["Condition"], [(ICD, "I50.9")]),
        },
        [condition(ICD, "I50.9")],
        "review",
    ),
    # FHIRPath with pinned clock
    (
        "fhirpath true",
        {
            "linkId": "fp",
            "definitionExpression": {"language": "text/fhirpath", "expression": "birthDate < today() - 18 years"},
        },
        [],
        "pass",
    ),
    (
        "fhirpath syntax error is unknown",
        {"linkId": "fp", "definitionExpression": {"language": "text/fhirpath", "expression": "birthDate <<< ("}},
        [],
        "unknown",
    ),
]


@pytest.mark.parametrize(("name", "characteristic", "resources", "expected"), CASES, ids=[c[0] for c in CASES])
def test_form(name: str, characteristic: Json, resources: list[Json], expected: str) -> None:
    result = run(characteristic, [patient(), *resources])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason
