"""Data-driven cases: each characteristic form of docs/encoding.md on data that decides it each way."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_eligibility.evaluation.engine import Settings
from tests.cases.builders import (
    ATC,
    ICD,
    LOINC,
    SCT,
    condition,
    has,
    lab,
    med_admin,
    obs,
    patient,
    q,
    run,
    window,
)

Json = dict[str, Any]
OFFSET_UNL = {"coding": [{"system": "http://hl7.org/fhir/characteristic-offset", "code": "UNL"}]}
HB_GE_8 = {
    "linkId": "hb",
    "definitionByTypeAndValue": lab(["718-7", "59260-0"], valueQuantity=q(8, "g/dL", ">=")),
    "timeFromEvent": window(-28),
}
HB_GT_8 = {
    "linkId": "hb",
    "definitionByTypeAndValue": lab(["718-7", "59260-0"], valueQuantity=q(8, "g/dL", ">")),
    "timeFromEvent": window(-28),
}
ECOG_0_2 = {
    "linkId": "ecog",
    "definitionByTypeAndValue": lab(["89247-1"], valueRange={"low": q(0, "{score}"), "high": q(2, "{score}")}),
}
ALT_EXCL = {
    "linkId": "alt",
    "exclude": True,
    "definitionByTypeAndValue": lab(["1742-6"], valueQuantity=q(2.5, "1", ">"), offset=OFFSET_UNL),
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


def test_fhirpath_clock_is_the_as_of_date() -> None:
    import datetime as dt

    c = {
        "linkId": "fp",
        "definitionExpression": {"language": "text/fhirpath", "expression": "birthDate <= today() - 18 years"},
    }
    born = [patient("2008-06-01")]
    assert run(c, born, as_of=dt.date(2026, 6, 1)).criteria[0].result.value == "pass"
    assert run(c, born, as_of=dt.date(2026, 5, 31)).criteria[0].result.value == "fail"


def test_age_boundaries_and_partial_birth_date() -> None:
    import datetime as dt

    age = {
        "linkId": "age",
        "definitionByTypeAndValue": {
            "type": {"coding": [{"system": SCT, "code": "397669002"}]},
            "valueQuantity": q(18, "a", ">="),
        },
    }
    on = dt.date(2025, 3, 1)
    assert run(age, [patient("2007-03-01")], as_of=on).criteria[0].result.value == "pass"
    assert run(age, [patient("2007-03-02")], as_of=on).criteria[0].result.value == "fail"
    assert run(age, [patient("2007")], as_of=on).criteria[0].result.value == "unknown"
    assert run(age, [patient("2006")], as_of=on).criteria[0].result.value == "pass"
    assert run(age, [patient(None)], as_of=on).criteria[0].result.value == "unknown"


def test_assume_attested_satisfies_inclusions_and_exclusions() -> None:
    s = Settings(assume_attested=True)
    inc = run({"linkId": "consent", "description": "Signed consent"}, [patient()], settings=s).criteria[0]
    exc = run({"linkId": "abuse", "exclude": True, "description": "Substance abuse"}, [patient()], settings=s).criteria[
        0
    ]
    nested = run(
        {
            "linkId": "sstr",
            "definitionByCombination": {
                "code": "all-of",
                "characteristic": [{"description": "read positive"}, {"exclude": True, "description": "not evaluable"}],
            },
        },
        [patient()],
        settings=s,
    ).criteria[0]
    assert (inc.result.value, exc.result.value, nested.result.value) == ("pass", "pass", "pass")
    assert inc.attested and exc.attested


def test_missing_data_says_what_to_collect() -> None:
    r = run(HB_GE_8, [patient(), obs("718-7", "2026-03-01", q(12, "g/dL"))])
    assert r.verdict.value == "undetermined"
    (m,) = r.missing_data
    assert m.criterion == "hb"
    assert "http://loinc.org|718-7" in m.codes and "http://loinc.org|59260-0" in m.codes
    assert m.window == "2026-05-04..2026-06-01"
    assert "outside the window" in r.criteria[0].reason


def test_default_lookback_applies_without_window() -> None:
    hb = {"linkId": "hb", "definitionByTypeAndValue": lab(["718-7"], valueQuantity=q(8, "g/dL", ">="))}
    data = [patient(), obs("718-7", "2026-04-20", q(12, "g/dL"))]
    assert run(hb, data).criteria[0].result.value == "unknown"
    assert run(hb, data, settings=Settings(default_lookback_days=60)).criteria[0].result.value == "pass"


def test_event_anchored_window() -> None:
    lu = {
        "linkId": "lu",
        "definitionByTypeAndValue": has(["MedicationAdministration"], [("http://www.whocc.no/atc", "V10XX04")]),
    }
    plt_after = {
        "linkId": "plt",
        "definitionByTypeAndValue": lab(["777-3"], valueQuantity=q(100, "10*9/L", ">=")),
        "timeFromEvent": [*window(-28), {"eventId": "lu", "range": {"low": q(0, "d")}}],
    }
    data = [patient(), med_admin("V10XX04", "2026-05-15"), obs("777-3", "2026-05-10", q(150, "10*9/L"))]
    r = run(plt_after, data, others=[lu])
    assert r.criteria[0].result.value == "unknown"  # the only count predates the administration
    data.append(obs("777-3", "2026-05-20", q(150, "10*3/uL")))
    assert run(plt_after, data, others=[lu]).criteria[0].result.value == "pass"


CRCL_OVER_50: dict[str, Any] = {
    "linkId": "crcl",
    "definitionByTypeAndValue": {
        "type": {
            "coding": [
                {"system": "http://fhir-eligibility.org/fhir/CodeSystem/eligibility", "code": "creatinine-clearance"}
            ]
        },
        "valueQuantity": q(50, "mL/min", ">"),
    },
}


def test_cumulative_activity_in_mci_and_cockcroft_gault() -> None:
    cum = {
        "linkId": "act",
        "definitionByTypeAndValue": {
            "type": {
                "coding": [
                    {"system": "http://fhir-eligibility.org/fhir/CodeSystem/eligibility", "code": "cumulative-activity"}
                ]
            },
            "valueRange": {"low": q(22200, "MBq"), "high": q(29600, "MBq")},
            "extension": [
                {
                    "url": "http://fhir-eligibility.org/fhir/StructureDefinition/input-valueset",
                    "valueReference": {"reference": "ValueSet/lu"},
                }
            ],
        },
    }
    vs = {
        "resourceType": "ValueSet",
        "id": "lu",
        "status": "active",
        "compose": {"include": [{"system": "http://www.whocc.no/atc", "concept": [{"code": "V10XX04"}]}]},
    }
    doses = [med_admin("V10XX04", d, q(200, "mCi")) for d in ("2023-01-10", "2023-03-07", "2023-05-02")]
    r = run(cum, [patient(), *doses], extra={"ValueSet/lu": vs})
    assert r.criteria[0].result.value == "pass"  # 3 x 7400 MBq = 22200
    crcl = CRCL_OVER_50
    # 60-year-old man, 70 kg, SCr 1.2 mg/dL (106.08 umol/L): (140-60)*70/(72*1.2) = 64.8 mL/min
    labs = [obs("14682-9", "2026-05-20", q(106.08, "umol/L")), obs("29463-7", "2026-05-20", q(70, "kg"))]
    man = run(crcl, [patient("1966-01-01", "male"), *labs])
    assert man.criteria[0].result.value == "pass"
    assert any(
        e.note == "derived creatinine-clearance" and abs(float(e.value) - 64.81) < 0.05  # type: ignore[arg-type]
        for e in man.criteria[0].evidence
    )
    heavy_scr = [obs("2160-0", "2026-05-20", q(2.0, "mg/dL")), obs("29463-7", "2026-05-20", q(70, "kg"))]
    assert run(crcl, [patient("1966-01-01", "female"), *heavy_scr]).criteria[0].result.value == "fail"
    assert run(crcl, [patient("1966-01-01", "unknown"), *heavy_scr]).criteria[0].result.value == "unknown"


@pytest.mark.parametrize(
    ("low_id", "high_id"), [("a", "z"), ("z", "a")], ids=["low-creatinine-first", "high-creatinine-first"]
)
def test_tied_creatinines_are_read_as_their_range_whatever_their_ids(low_id: str, high_id: str) -> None:
    """Two serum creatinines drawn together, 0.9 and 1.9 mg/dL; a 60-year-old man of 70 kg:
    (140-60)*70/(72*0.9) = 86.4 and (140-60)*70/(72*1.9) = 40.9 mL/min, either side of > 50. Before,
    the one with the larger id was read: eligible or not by the order of the ids. Now: unknown."""
    labs = [
        obs("2160-0", "2026-05-20T08:00:00Z", q(0.9, "mg/dL"), rid=low_id),
        obs("2160-0", "2026-05-20T08:00:00Z", q(1.9, "mg/dL"), rid=high_id),
        obs("29463-7", "2026-05-20", q(70, "kg")),
    ]
    result = run(CRCL_OVER_50, [patient("1966-01-01", "male"), *labs])
    assert result.criteria[0].result.value == "unknown", result.criteria[0].reason
    assert "40.9" in result.criteria[0].reason and "86.4" in result.criteria[0].reason
    agreeing = [*labs[:1], obs("2160-0", "2026-05-20T08:00:00Z", q(1.0, "mg/dL"), rid=high_id), labs[2]]
    assert (
        run(CRCL_OVER_50, [patient("1966-01-01", "male"), *agreeing]).criteria[0].result.value == "pass"
    )  # 77.8, 86.4


def test_a_computed_value_the_laboratory_reported_yields_to_a_newer_creatinine() -> None:
    """§0.3: the most recent input decides. A Cockcroft-Gault the lab reported on 05-05 (60 mL/min)
    and a serum creatinine of 2.0 mg/dL on 05-20: for a 60-year-old man of 70 kg,
    (140-60)*70/(72*2.0) = 38.9 mL/min, not > 50 (before: the older 60 passed). Reported with the
    same draw, or measured (24-h urine, which governs), the laboratory's value decides."""
    man = patient("1966-01-01", "male")
    weight = obs("29463-7", "2026-05-20", q(70, "kg"))
    newer_scr = obs("2160-0", "2026-05-20", q(2.0, "mg/dL"))
    reported_cg = obs("35591-7", "2026-05-05", q(60, "mL/min"))
    result = run(CRCL_OVER_50, [man, weight, newer_scr, reported_cg])
    assert result.criteria[0].result.value == "fail", result.criteria[0].reason
    same_draw = obs("35591-7", "2026-05-20", q(60, "mL/min"))
    assert run(CRCL_OVER_50, [man, weight, newer_scr, same_draw]).criteria[0].result.value == "pass"
    measured = obs("2164-2", "2026-05-05", q(60, "mL/min"))
    assert run(CRCL_OVER_50, [man, weight, newer_scr, measured]).criteria[0].result.value == "pass"


def test_native_unit_rule_notes_disagreement() -> None:
    alt = q(8.0, "g/dL")
    hb = {
        "linkId": "hb",
        "exclude": True,
        "definitionByTypeAndValue": lab(
            ["718-7", "59260-0"],
            valueQuantity={
                **q(5.0, "mmol/L", "<"),
                "extension": [
                    {
                        "url": "http://fhir-eligibility.org/fhir/StructureDefinition/alternate-threshold",
                        "valueQuantity": alt,
                    }
                ],
            },
        ),
    }
    # 8.05 g/dL: not < 8.0 g/dL (native rule) although 8.05 g/dL = 4.996 mmol/L < 5.0
    r = run(hb, [patient(), obs("718-7", "2026-05-20", q(8.05, "g/dL"))])
    assert r.criteria[0].result.value == "pass"
    assert "opposite" in r.criteria[0].reason
    r2 = run(hb, [patient(), obs("59260-0", "2026-05-20", q(4.99, "mmol/L"))])
    assert r2.criteria[0].result.value == "fail"


def test_negated_parts_are_marked() -> None:
    c = {
        "linkId": "brain",
        "exclude": True,
        "definitionByCombination": {
            "code": "all-of",
            "characteristic": [
                {"linkId": "mets", "definitionByTypeAndValue": has(["Condition"], [(ICD, "C79.31")])},
                {
                    "linkId": "treated",
                    "exclude": True,
                    "definitionByTypeAndValue": has(["Procedure"], [(SCT, "1156506007")]),
                },
            ],
        },
    }
    top = run(c, [patient()]).criteria[0]
    assert not top.negated  # a top-level exclusion is typed "exclusion", not negated
    assert [k.negated for k in top.children] == [False, True]


def test_a_failed_search_is_never_a_fail() -> None:
    """Closed-world diagnoses would read a missing Condition as absent; when the Condition search failed
    (timeout, 5xx) the criterion must be unknown instead, and the patient never ineligible because of it."""
    from fhir_eligibility.criteria.model import Trial
    from fhir_eligibility.criteria.parse import Parser
    from fhir_eligibility.evaluation.engine import evaluate_trial
    from fhir_eligibility.evaluation.patient_record import build_record
    from fhir_eligibility.record import PatientData
    from fhir_eligibility.requirements.model import Unavailable
    from tests.cases.builders import AS_OF

    parser = Parser(lambda ref: None)
    net = parser.characteristic(
        {"linkId": "net", "definitionByTypeAndValue": has(["Condition"], [(ICD, "C7A.012")])}, "c0"
    )
    mets = parser.characteristic(
        {"linkId": "brain", "exclude": True, "definitionByTypeAndValue": has(["Condition"], [(ICD, "C79.31")])}, "c1"
    )
    hb = parser.characteristic(HB_GE_8, "c2")
    trial = Trial("NCT0", "t", (net, mets, hb))
    down = (
        Unavailable("Condition", frozenset(), "data unavailable: HTTP 503 after 3 retries"),
        Unavailable("Observation", frozenset(), "data unavailable: timeout"),
    )
    result = evaluate_trial(trial, build_record(PatientData("p", [patient()], down)), AS_OF)
    assert [c.result.value for c in result.criteria] == ["unknown", "unknown", "unknown"]
    assert result.verdict.value == "undetermined"
    assert all("data unavailable" in c.reason for c in result.criteria)


def _sex(code: str) -> Json:
    return {"coding": [{"system": "http://hl7.org/fhir/administrative-gender", "code": code}]}


# ALT 100 U/L against two normal ranges listed female first: 100 / 35 = 2.86 x ULN for a woman (over
# the exclusion's 2.5), 100 / 40 = 2.5 x ULN for a man (not over it): clinical.md §0.6, the range
# matching appliesTo sex / age
BY_SEX = [{"high": q(35, "U/L"), "appliesTo": [_sex("female")]}, {"high": q(40, "U/L"), "appliesTo": [_sex("male")]}]
BY_AGE = [
    {"high": q(30, "U/L"), "age": {"low": q(0, "a"), "high": q(17, "a")}},  # a child's, listed first
    {"high": q(40, "U/L")},
]


@pytest.mark.parametrize(
    ("sex", "ranges", "expected"),
    [
        ("male", BY_SEX, "pass"),
        ("female", BY_SEX, "fail"),
        ("unknown", BY_SEX, "unknown"),  # neither range is knowably hers or his: no ULN
        ("female", BY_AGE, "pass"),  # 66 years old: the range for everyone, 40
        ("male", [{"high": q(40, "U/L"), "appliesTo": [{"text": "pregnant"}]}], "unknown"),  # another population
    ],
)
def test_the_reference_range_is_the_patients_own(sex: str, ranges: list[Json], expected: str) -> None:
    alt = obs("1742-6", "2026-05-20", q(100, "U/L"), referenceRange=ranges)
    result = run(ALT_EXCL, [patient(gender=sex), alt])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def test_the_most_recent_result_is_by_the_moment_not_by_its_text() -> None:
    """08:00 at UTC-5 (13:00 UTC) is after 08:30 UTC, though its text sorts first: Hb 7.0 is the latest."""
    older = obs("718-7", "2026-05-20T08:30:00+00:00", q(13.2, "g/dL"), rid="a")
    later = obs("718-7", "2026-05-20T08:00:00-05:00", q(7.0, "g/dL"), rid="b")
    for order in ([older, later], [later, older]):
        result = run(HB_GE_8, [patient(), *order])
        assert result.criteria[0].result.value == "fail", result.criteria[0].reason
        assert "7 g/dL" in result.criteria[0].reason


def test_an_unreadable_result_leaves_the_older_ones_undecided() -> None:
    """A Hb result that cannot be read may be the most recent: the older 7.5 in the window cannot make
    the patient fail (README: an unreadable record makes criteria reading it unknown, never fail)."""
    unreadable = obs("718-7", "2026-05-25", q(12.9, "g/dL"), rid="bad")
    unreadable["code"]["coding"].append(5)  # a coding that is not an object: the resource cannot be read
    result = run(HB_GE_8, [patient(), obs("718-7", "2026-05-10", q(7.5, "g/dL")), unreadable])
    assert result.criteria[0].result.value == "unknown", result.criteria[0].reason
    assert "could not be read" in result.criteria[0].reason


TMZ_EXCL = {
    "linkId": "tmz",
    "exclude": True,
    "definitionByTypeAndValue": has(["MedicationStatement", "MedicationAdministration"], [(ATC, "L01AX03")]),
}


def _statement(status: str) -> Json:
    return {
        "resourceType": "MedicationStatement",
        "id": f"ms-{status}",
        "status": status,
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01AX03"}]},
        "subject": {"reference": "Patient/p"},
        "effectivePeriod": {"start": "2022-01-10", "end": "2022-03-20"},
    }


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (_statement("stopped"), "fail"),  # taken, then stopped (for progression): prior temozolomide
        (_statement("on-hold"), "fail"),  # taken, paused
        (_statement("completed"), "fail"),
        (_statement("intended"), "pass"),  # never taken
        (_statement("not-taken"), "pass"),
        (med_admin("L01AX03", "2022-02-01", q(150, "mg"), status="stopped"), "fail"),  # §0.8: stopped, with a dose
        (med_admin("L01AX03", "2022-02-01", None, status="stopped"), "pass"),  # §0.8: stopped without a dose
    ],
    ids=["ms-stopped", "ms-on-hold", "ms-completed", "ms-intended", "ms-not-taken", "ma-stopped-dose", "ma-stopped"],
)
def test_medication_statuses_that_mean_the_drug_was_taken(resource: Json, expected: str) -> None:
    result = run(TMZ_EXCL, [patient(), resource])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


TMZ_LAST_12_WEEKS = {**TMZ_EXCL, "timeFromEvent": window(-84)}
EVERO_OVER_31_DAYS = {
    "linkId": "evero",
    "exclude": True,
    "definitionByTypeAndValue": has(["MedicationStatement"], [(ATC, "L01EG02")]),
    "durationQuantity": {"value": 31, "comparator": ">", "code": "d", "system": "http://unitsofmeasure.org"},
}


def _unended(code: str, start: str, status: str = "completed", asserted: str | None = None) -> Json:
    """A statement taken from ``start`` and since stopped, on a day it does not say."""
    out: Json = {
        "resourceType": "MedicationStatement",
        "id": f"ms-{code}",
        "status": status,
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
        "subject": {"reference": "Patient/p"},
        "effectivePeriod": {"start": start},
    }
    if asserted:
        out["dateAsserted"] = asserted
    return out


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # started 2026-01-10, before the window 2026-03-09..2026-06-01; its stop may fall inside it
        (_unended("L01AX03", "2026-01-10"), "unknown"),
        (_unended("L01AX03", "2026-01-10", "stopped"), "unknown"),
        # said to have been stopped by 2026-02-01 (asserted then): it ended before the window
        (_unended("L01AX03", "2026-01-10", asserted="2026-02-01"), "pass"),
        # asserted inside the window: it may have been taken there
        (_unended("L01AX03", "2026-01-10", asserted="2026-04-01"), "unknown"),
        # started inside the window: taken there, whenever it stopped
        (_unended("L01AX03", "2026-04-02"), "fail"),
    ],
    ids=["completed", "stopped", "asserted-before", "asserted-inside", "started-inside"],
)
def test_a_stopped_statement_without_a_stop_date_is_not_stopped_at_its_start(statement: Json, expected: str) -> None:
    """clinical.md §0.8/§0.14: a completed statement with only a start ended on a day not recorded;
    before, it was read as taken on its start day alone and passed the 12-week washout."""
    result = run(TMZ_LAST_12_WEEKS, [patient(), statement])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (_unended("L01EG02", "2026-02-01"), "unknown"),  # 1 day at least, up to 121: "> 31 days" undecided
        (_unended("L01EG02", "2026-02-01", asserted="2026-02-20"), "pass"),  # at most 20 days
        (_unended("L01EG02", "2026-02-01", asserted="2026-05-01"), "unknown"),  # 1 to 90 days
    ],
    ids=["no-stop", "asserted-within-20-days", "asserted-90-days-on"],
)
def test_an_unended_statement_makes_a_duration_uncertain(statement: Json, expected: str) -> None:
    """B-I3b's shape (everolimus > 31 days excludes): a stop date not recorded cannot count as one day."""
    result = run(EVERO_OVER_31_DAYS, [patient(), statement])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


HCG_POSITIVE_EXCL = {
    "linkId": "preg",
    "exclude": True,
    "definitionByTypeAndValue": lab(["2106-3"], valueCodeableConcept={"coding": [{"system": SCT, "code": "10828004"}]}),
    "timeFromEvent": window(-4),
}
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        (SCT, "260373001", "fail"),  # Detected: a positive test, whatever word the laboratory uses
        (SCT, "52101004", "fail"),  # Present
        (LOINC, "LA6576-8", "fail"),  # Positive, as a LOINC answer
        (V3, "POS", "fail"),
        (LOINC, "LA6577-6", "pass"),  # Negative
        (SCT, "260415000", "pass"),  # Not detected
        (LOINC, "LA11883-8", "pass"),
        (SCT, "42425007", "unknown"),  # Equivocal: neither answer
        (LOINC, "LA4489-6", "unknown"),  # Unknown
        ("http://lab.example.org/codes", "POS", "unknown"),  # a site's own code nobody mapped
    ],
)
def test_a_coded_answer_outside_the_known_answers_is_unknown_not_negative(
    system: str, code: str, expected: str
) -> None:
    """clinical.md §0.14/§0.16: a pregnancy test coded "Detected" is positive; one coded in no answer
    this question knows is no evidence of a negative test. Before, every code but Positive passed."""
    result = run(
        HCG_POSITIVE_EXCL,
        [
            patient(),
            obs("2106-3", "2026-05-30", None, valueCodeableConcept={"coding": [{"system": system, "code": code}]}),
        ],
    )
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


FOUR_CYCLES = {
    "linkId": "cyc",
    "definitionByTypeAndValue": {
        **has(["MedicationAdministration", "Procedure"], [(ATC, "V10XX04"), (SCT, "399315003")]),
    },
    "instancesQuantity": {"value": 4},
}
LATER_CYCLES = [
    med_admin("V10XX04", d) for d in ("2023-03-13T09:00:00Z", "2023-05-08T09:00:00Z", "2023-07-03T09:00:00Z")
]


def _prrt(performed: Json) -> Json:
    return {
        "resourceType": "Procedure",
        "id": "prrt-1",
        "status": "completed",
        "code": {"coding": [{"system": SCT, "code": "399315003"}]},
        "subject": {"reference": "Patient/p"},
        **performed,
    }


@pytest.mark.parametrize(
    "first",
    [
        # one moment in two time zones: local dates 16 and 17 January
        [med_admin("V10XX04", "2023-01-16T23:30:00-05:00"), {**med_admin("V10XX04", "2023-01-17T04:30:00Z")}],
        [med_admin("V10XX04", "2023-01-16T23:30:00-05:00"), _prrt({"performedDateTime": "2023-01-17T04:30:00Z"})],
        # an infusion recorded as a procedure running over midnight
        [
            med_admin("V10XX04", "2023-01-16T09:00:00Z"),
            _prrt({"performedPeriod": {"start": "2023-01-16T08:00:00Z", "end": "2023-01-17T10:00:00Z"}}),
        ],
    ],
    ids=["two-time-zones", "procedure-in-another-zone", "over-midnight"],
)
def test_one_cycle_recorded_twice_a_day_apart_is_one(first: list[Json]) -> None:
    """Counting Lutathera cycles (A-I3: exactly 4): the first cycle's two records are one cycle, so
    four, not five (which made the patient ineligible; adversarial review)."""
    first[1]["id"] = "second-record"
    result = run(FOUR_CYCLES, [patient(), *first, *LATER_CYCLES])
    assert result.criteria[0].result.value == "pass", result.criteria[0].reason
    # cycles eight weeks apart stay apart
    apart = [med_admin("V10XX04", "2022-11-21T09:00:00Z"), *first[:1], *LATER_CYCLES]
    assert run(FOUR_CYCLES, [patient(), *apart]).criteria[0].result.value == "fail"


FIRST = med_admin("V10XX04", "2023-01-16T09:00:00Z")
LUTATHERA_USED = {"usedCode": [{"coding": [{"system": ATC, "code": "V10XX04"}]}]}


SUMMARY = {
    "resourceType": "MedicationStatement",
    "id": "ms-lu",
    "status": "completed",
    "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "V10XX04"}]},
    "subject": {"reference": "Patient/p"},
    "effectivePeriod": {"start": "2023-01-16", "end": "2023-07-03"},
}


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([FIRST, *LATER_CYCLES, SUMMARY], "pass"),  # the statement summarises the four administrations
        ([SUMMARY], "unknown"),  # a course from January to July: how many cycles it held is not recorded
        ([FIRST, SUMMARY], "unknown"),  # one administration inside: the statement may hold the others
    ],
    ids=["with-administrations", "statement-only", "one-administration"],
)
def test_a_statement_of_a_period_is_a_summary_not_one_cycle(records: list[Json], expected: str) -> None:
    """Adversarial review: a summary MedicationStatement (2023-01-16 to 2023-07-03) merged the four
    administrations into one episode: "1 found (required exactly 4)", C and A ineligible."""
    result = run(FOUR_CYCLES, [patient(), *records])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ([], "pass"),  # the four administrations
        ([_prrt({"performedDateTime": "2023-01-16"})], "pass"),  # the first cycle's own procedure
        # a radionuclide therapy in 2015 that does not code the product (an I-131 ablation?): a fifth cycle or not
        ([_prrt({"performedDateTime": "2015-04-10"})], "unknown"),
        ([_prrt({"performedDateTime": "2015-04-10", **LUTATHERA_USED})], "fail"),  # it was Lutathera: 5
    ],
    ids=["administrations", "same-day-procedure", "generic-procedure-2015", "lutathera-procedure-2015"],
)
def test_a_procedure_counts_as_a_lutathera_cycle_only_when_it_codes_the_product(
    extra: list[Json], expected: str
) -> None:
    """clinical.md §2.5: VS-LU177 holds the radionuclide-therapy procedures "when the product is
    coded". Before, a 2015 radioiodine ablation coded 399315003 was a fifth cycle: A, B and C ineligible."""
    result = run(FOUR_CYCLES, [patient(), FIRST, *LATER_CYCLES, *extra])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([obs("718-7", "2026-05-20", q(75, "g/dL"))], "unknown"),  # 75 g/L typed as g/dL: no such Hb
        ([obs("718-7", "2026-05-20", q(900, "g/dL"))], "unknown"),
        ([obs("718-7", "2026-05-20", q(75, "g/L"))], "fail"),  # the same number in its real unit: 7.5 g/dL
        ([obs("718-7", "2026-05-20", q(4.0, "mmol/L"))], "fail"),  # 6.45 g/dL, converted before the check
        # an impossible newer result is still a newer measurement, its value unknown (90 "g/dL" may be
        # 90 g/L): the older real one cannot stand for it (README, "a newer result whose value is invalid")
        ([obs("718-7", "2026-05-10", q(9, "g/dL")), obs("718-7", "2026-05-20", q(90, "g/dL"))], "unknown"),
    ],
    ids=["gdl-typo", "huge", "gl", "mmol", "older-real"],
)
def test_an_impossible_value_is_a_data_error_not_a_result(resources: list[Json], expected: str) -> None:
    result = run(HB_GE_8, [patient(), *resources])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def test_an_adults_weight_of_a_few_kilograms_is_a_data_error() -> None:
    from fhir_eligibility.measures.plausible import implausible

    weight = [("http://loinc.org", "29463-7")]
    born, on = dt.date(1963, 9, 14), dt.date(2026, 5, 20)
    assert implausible(weight, 7.8, "kg", born, on) is not None
    assert implausible(weight, 7.8, "kg", dt.date(2025, 9, 1), on) is None  # a baby's
    assert implausible(weight, 78, "kg", born, on) is None
    assert implausible(weight, 172, "[lb_av]", born, on) is None  # 78 kg, converted
    assert implausible(weight, 7.8, "kg", None, on) is None  # age unknown: only the absolute bounds
    assert implausible([("http://loinc.org", "0000-0")], 1e9, "kg", born, on) is None  # no bounds known


MI_12_MONTHS = {
    "linkId": "mi",
    "exclude": True,
    "definitionByTypeAndValue": has(["Condition"], [(ICD, "I21.9")]),
    "timeFromEvent": [
        {
            "eventCodeableConcept": {
                "coding": [{"system": "http://fhir-eligibility.org/fhir/CodeSystem/eligibility", "code": "study-start"}]
            },
            "range": {"low": {"value": -12, "unit": "mo", "system": "http://unitsofmeasure.org", "code": "mo"}},
        }
    ],
}


@pytest.mark.parametrize(
    ("onset", "expected"),
    [
        ("2025-06", "unknown"),  # June 2025 straddles the window's start, 2025-06-15: either way
        ("2025", "unknown"),
        ("2025-05", "pass"),  # wholly before the window: not within 12 months
        ("2025-07", "fail"),  # wholly inside: a myocardial infarction within 12 months
        ("2025-06-20", "fail"),
        ("2025-06-10", "pass"),
    ],
)
def test_a_partial_date_across_a_window_bound_is_not_knowable(onset: str, expected: str) -> None:
    """clinical.md §0.12: a partial date means any of its days; it decides only when they all fall
    on one side of the window's bound (it was read as its first day: "2025-06" passed)."""
    mi = condition(ICD, "I21.9", onset)
    result = run(MI_12_MONTHS, [patient(), mi], as_of=dt.date(2026, 6, 15))
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def test_an_ongoing_statement_that_began_in_a_month_is_still_taken() -> None:
    """A partial start ("2022-01") of an active statement with no end: taken from then until now, so
    within a window of the last month (the partial-date rule is for points, not periods)."""
    current = {
        "linkId": "tmz-now",
        "exclude": True,
        "definitionByTypeAndValue": has(["MedicationStatement"], [(ATC, "L01AX03")]),
        "timeFromEvent": window(-4, unit="wk"),
    }
    ongoing = {**_statement("active"), "effectivePeriod": {"start": "2022-01"}}
    result = run(current, [patient(), ongoing])
    assert result.criteria[0].result.value == "fail", result.criteria[0].reason


TMZ_NOW = {
    "linkId": "tmz-now",
    "exclude": True,
    "definitionByTypeAndValue": has(["MedicationStatement"], [(ATC, "L01AX03")]),
    "timeFromEvent": window(-4, unit="wk"),
}


def _r5_statement(adherence: str | None) -> Json:
    """An R5 statement (status recorded) begun 2022-01-10 with no end, and what adherence says."""
    ms = {**_statement("recorded"), "effectivePeriod": {"start": "2022-01-10"}}
    if adherence is not None:
        system = "http://hl7.org/fhir/CodeSystem/medication-statement-adherence"
        ms["adherence"] = {"code": {"coding": [{"system": system, "code": adherence}]}}
    return ms


@pytest.mark.parametrize(
    ("r4_status", "r5_adherence", "expected"),
    [
        ("active", "taking", "fail"),  # still taken: within the last 4 weeks
        # taken from 2022, stopped on a day not recorded: perhaps within the last 4 weeks (§0.14)
        ("stopped", "stopped", "unknown"),
        ("on-hold", "on-hold", "unknown"),
        # whether it is taken is unknown: it may be, so the exclusion is undetermined (not a pass)
        ("unknown", "unknown", "unknown"),
    ],
)
def test_an_r5_statement_means_what_the_same_r4_statement_means(
    r4_status: str, r5_adherence: str, expected: str
) -> None:
    """R5 writes R4's statuses as status recorded + adherence; the same meaning gets the same result
    (R5 'stopped' read as ongoing failed a current-use exclusion that R4 'stopped' passed)."""
    r4 = {**_statement(r4_status), "effectivePeriod": {"start": "2022-01-10"}}
    for ms in (r4, _r5_statement(r5_adherence)):
        result = run(TMZ_NOW, [patient(), ms])
        assert result.criteria[0].result.value == expected, (ms.get("status"), result.criteria[0].reason)


@pytest.mark.parametrize(
    "text",
    ["2026-05-20T08:30:00Z", "2026-05-20T08:30:00+00:00", "2026-05-20T08:00:00-05:00", "2026-05-20T08:30:00.250Z"],
)
def test_an_ordering_text_is_the_utc_moment_whatever_its_spelling(text: str) -> None:
    """order_text's shortcuts for texts already in UTC give what parsing gives (the ordering key of the
    most-recent rule: two spellings of one moment must tie)."""
    from fhir_eligibility.evaluation.dates import order_text

    parsed = dt.datetime.fromisoformat(text).astimezone(dt.UTC).isoformat()
    assert order_text(text) == parsed
    assert order_text(text.replace("Z", "+00:00")) == parsed


NET = {"linkId": "net", "definitionByTypeAndValue": has(["Condition"], [(ICD, "C7A.012")])}
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def _coded_as(code: object) -> Json:
    c = condition(ICD, "C7A.012")
    c["code"]["coding"][0]["code"] = code
    return c


def _clinical(*codings: tuple[str, str]) -> Json:
    c = condition(ICD, "C7A.012")
    c["clinicalStatus"] = {"coding": [{"system": s, "code": v} for s, v in codings]} if codings else {"text": "Active"}
    return c


@pytest.mark.parametrize("code", [["C7A.012"], {"code": "C7A.012"}, True, 7.012])
def test_a_diagnosis_whose_code_is_not_text_is_unknown_not_absent(code: object) -> None:
    """Adversarial review: a code written as a list (or an object, a boolean, a decimal) was shown as
    the text "['C7A012']", the record's loss was narrowed to that false code, and the closed-world
    diagnosis read "none recorded": fail. Nothing readable says which diagnosis it is: unknown."""
    result = run(NET, [patient(), _coded_as(code)])
    assert result.criteria[0].result.value == "unknown", result.criteria[0].reason


@pytest.mark.parametrize(
    ("codings", "expected"),
    [
        ([(CLINICAL, "active")], "pass"),
        ([("urn:oid:1.2.3.4.local", "A"), (CLINICAL, "active")], "pass"),  # the standard code is read
        ([(CLINICAL, "resolved")], "fail"),
        ([("urn:oid:1.2.3.4.local", "5")], "unknown"),  # a site's own code: active or not is not known
        ([(CLINICAL, "unknown")], "unknown"),  # R5's "unknown"
        ([], "pass"),  # text only, "Active" (second review: read as unknown, it had made trials undetermined)
    ],
)
def test_a_clinical_status_coded_otherwise_is_unknown_not_inactive(
    codings: list[tuple[str, str]], expected: str
) -> None:
    """Adversarial review: a clinicalStatus coded only with a site's code ("5") was read as inactive,
    so the diagnosis was absent: fail (ineligible). clinical.md §0.7 counts active, recurrence and
    relapse; inactive, remission and resolved do not count; anything else cannot be placed."""
    result = run(NET, [patient(), _clinical(*codings)])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


ALLERGY = {"linkId": "allergy", "definitionByTypeAndValue": has(["AllergyIntolerance"], [(SCT, "293587009")])}
EBRT = {"linkId": "ebrt", "definitionByTypeAndValue": has(["Procedure"], [(SCT, "33195004")])}


def _allergy(clinical: str | None, verification: str | None) -> Json:
    a: Json = {
        "resourceType": "AllergyIntolerance",
        "id": "a1",
        "patient": {"reference": "Patient/p"},
        "code": {"coding": [{"system": SCT, "code": "293587009"}]},
        "recordedDate": "2024-01-10",
    }
    if clinical:
        system = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
        a["clinicalStatus"] = {"coding": [{"system": system, "code": clinical}]}
    if verification:
        system = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
        a["verificationStatus"] = {"coding": [{"system": system, "code": verification}]}
    return a


@pytest.mark.parametrize(
    ("clinical", "verification", "expected"),
    [
        ("active", "confirmed", "pass"),
        (None, None, "pass"),
        ("active", "unconfirmed", "unknown"),  # suspected: neither present nor absent
        ("active", "presumed", "unknown"),  # R5's "presumed"
        ("resolved", "confirmed", "fail"),  # no longer an allergy
        ("inactive", None, "fail"),
        ("active", "refuted", "fail"),
    ],
)
def test_an_allergys_status_is_read_as_a_conditions(
    clinical: str | None, verification: str | None, expected: str
) -> None:
    """Adversarial review: an unconfirmed, resolved or inactive octreotide allergy failed A-E15 and
    D-E17 (hypersensitivity) as decisively as a confirmed one; only Conditions' statuses were read."""
    result = run(ALLERGY, [patient(), _allergy(clinical, verification)])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("completed", "pass"),
        ("stopped", "unknown"),  # begun and stopped early: done or aborted is not known (an aborted resection)
        ("on-hold", "unknown"),
        ("in-progress", "pass"),
        ("unknown", "unknown"),  # done or not is not known: never "none recorded"
        ("not-done", "fail"),
        ("preparation", "fail"),
        ("entered-in-error", "fail"),
    ],
)
def test_a_procedure_stopped_early_was_done(status: str, expected: str) -> None:
    """Adversarial review: radiotherapy or a resection `stopped` early (or `unknown`) was dropped as if
    it had not happened: E-E3 and B-E1 passed. A stopped or paused procedure began, but whether it was
    done is not known (a second review: an aborted resection had passed D-I5): uncertain, never absent."""
    proc = {
        "resourceType": "Procedure",
        "id": "rt1",
        "status": status,
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": SCT, "code": "33195004"}]},
        "performedPeriod": {"start": "2026-04-01", "end": "2026-04-10"},
    }
    result = run(EBRT, [patient(), proc])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def test_an_ecog_answer_whose_codings_disagree_is_unknown() -> None:
    """Adversarial review: ECOG coded LA9623-5 (grade 1) and SNOMED CT 423053003 (grade 3) in one
    answer took whichever the unordered set gave first: fail or pass by PYTHONHASHSEED."""
    both = obs(
        "89247-1",
        "2026-05-20",
        None,
        valueCodeableConcept={"coding": [{"system": LOINC, "code": "LA9623-5"}, {"system": SCT, "code": "423053003"}]},
    )
    result = run(ECOG_0_2, [patient(), both])
    assert result.criteria[0].result.value == "unknown", result.criteria[0].reason
    agreeing = obs(
        "89247-1",
        "2026-05-20",
        None,
        valueCodeableConcept={"coding": [{"system": LOINC, "code": "LA9623-5"}, {"system": SCT, "code": "422512005"}]},
    )
    assert run(ECOG_0_2, [patient(), agreeing]).criteria[0].result.value == "pass"


@pytest.mark.parametrize(
    ("comparator", "expected"),
    [("<=", "unknown"), (">=", "pass"), ("≤", "unknown"), ("LT", "unknown"), ("ad", "unknown")],
)
def test_a_comparator_fhir_does_not_define_is_no_value(comparator: str, expected: str) -> None:
    """Adversarial review: platelets "≤ 100 x10^9/L" (not a FHIR comparator) lost its comparator and
    passed ">= 80" as an exact 100. §0.5: "<= 100" cannot show ">= 80"; an invalid value is a data error."""
    plt = {"linkId": "plt", "definitionByTypeAndValue": lab(["777-3"], valueQuantity=q(80, "10*9/L", ">="))}
    result = run(plt, [patient(), obs("777-3", "2026-05-20", q(100, "10*9/L", comparator))])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("L01EX07", "pass"),  # cabozantinib, its code since 2021
        ("L01XE26", "pass"),  # the same drug under its code before 2021: still in L01
        ("L01XC07", "pass"),  # bevacizumab, retired code
        ("L02BB04", "fail"),  # enzalutamide: L02, not L01
        ("L0", "fail"),  # no ATC code: matches no group
    ],
)
def test_an_atc_group_holds_every_code_under_it(code: str, expected: str) -> None:
    """Adversarial review: value sets name ATC groups (VS-CHEMO "L01 (all)", clinical.md §2.5) but codes
    were matched exactly, so a drug coded under a pre-2021 code (cabozantinib L01XE26) was no anticancer
    drug: D-E7 passed. An ATC code is in the groups its code begins with."""
    chemo = {"linkId": "chemo", "definitionByTypeAndValue": has(["MedicationAdministration"], [(ATC, "L01")])}
    result = run(chemo, [patient(), med_admin(code, "2025-03-01")])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def _ssa(start: str, end: str) -> Json:
    return {
        "resourceType": "MedicationStatement",
        "id": "ms-lanreotide",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "H01CB03"}]},
        "effectivePeriod": {"start": start, "end": end},
    }


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        ("2026-05", "unknown"),  # stopped some day in May: maybe inside the 28 days before 2026-06-01
        ("2026-04", "pass"),  # stopped by 30 April: before the window (from 4 May)
        ("2026", "unknown"),
        ("2026-05-02", "pass"),
        ("2026-05-10", "fail"),
    ],
)
def test_a_period_ending_in_a_month_may_end_on_its_last_day(end: str, expected: str) -> None:
    """Adversarial review: lanreotide from 2021 to "2026-05" was read as stopped on 1 May, before the
    28-day washout window (2026-05-04..06-01): no SSA in it, E-I5 passed. May's last days are in it
    (§0.12: a partial date whose days lie inside and outside is not knowable)."""
    washout = {
        "linkId": "ssa",
        "exclude": True,
        "definitionByTypeAndValue": has(["MedicationStatement"], [(ATC, "H01CB03")]),
        "timeFromEvent": window(-28),
    }
    result = run(washout, [patient(), _ssa("2021-03-01", end)])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def _order(kind: str, code: str, day: str, status: str = "completed", intent: str = "order") -> Json:
    r: Json = {
        "resourceType": kind,
        "id": f"{kind}-{code}",
        "status": status,
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
    }
    if kind == "MedicationRequest":
        r |= {"intent": intent, "authoredOn": day}
    else:
        r["whenHandedOver"] = day
    return r


TEMOZOLOMIDE_NEVER = {
    "linkId": "tmz",
    "exclude": True,
    "definitionByTypeAndValue": has(["MedicationAdministration"], [(ATC, "L01AX03")]),
}


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([_order("MedicationRequest", "L01AX03", "2024-02-01")], "unknown"),  # ordered: taken or not unknown
        ([_order("MedicationDispense", "L01AX03", "2024-02-03")], "unknown"),
        ([_order("MedicationRequest", "L01AX03", "2024-02-01", status="cancelled")], "pass"),
        ([_order("MedicationRequest", "L01AX03", "2024-02-01", intent="proposal")], "pass"),
        ([_order("MedicationRequest", "L01AX03", "2024-02-01") | {"doNotPerform": True}], "pass"),  # do not give
        ([_order("MedicationRequest", "L01AX03", "2024-02-01"), med_admin("L01AX03", "2024-02-05")], "fail"),
        ([], "pass"),
    ],
)
def test_an_order_or_a_dispense_is_evidence_where_administrations_are_silent(
    records: list[Json], expected: str
) -> None:
    """Adversarial review: temozolomide ordered and dispensed in 2024 (MedicationRequest,
    MedicationDispense: what US Core sites hold of oral drugs) was ignored: "no prior alkylator"
    passed. An order says the drug was meant to be taken, not that it was: unknown, never absent."""
    result = run(TEMOZOLOMIDE_NEVER, [patient(), *records])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


MI_SCT_12_MONTHS = {
    "linkId": "mi",
    "exclude": True,
    "definitionByTypeAndValue": has(["Condition"], [(SCT, "22298006")]),
    "timeFromEvent": window(-365),
}


def _mi(**onset: Any) -> Json:
    c = condition(SCT, "22298006")
    c.pop("onsetDateTime", None)
    return {**c, **onset}


@pytest.mark.parametrize(
    ("onset", "expected"),
    [
        ({"onsetPeriod": {"start": "2025-07-01", "end": "2025-08-01"}}, "fail"),  # inside the 12 months
        ({"onsetPeriod": {"start": "2025-05-01", "end": "2025-07-01"}}, "unknown"),  # across its start (2025-06-01)
        ({"onsetPeriod": {"start": "2024-01-01", "end": "2024-03-01"}}, "pass"),
        ({"onsetPeriod": {"start": "2025-05-01", "end": "2025-06"}}, "unknown"),
        # born 1960-01-01: aged 40 from 2000-01-01 to 2000-12-31, long before; recorded at intake last month
        (
            {
                "onsetAge": {"value": 40, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"},
                "recordedDate": "2026-05-15",
            },
            "pass",
        ),
        (
            {"onsetAge": {"value": 66, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"}},
            "unknown",
        ),  # 2026-01-01..12-31
    ],
)
def test_an_onset_known_only_within_a_period_or_an_age(onset: Json, expected: str) -> None:
    """Adversarial review: an MI with onsetPeriod 2025-05-01..07-01 was placed on 2025-05-01, outside
    the 12 months before 2026-06-01 (from 2025-06-01): A-E10 passed; its onset may be inside. An MI at
    age 40 (about 2000) was dated by its recordedDate (last month): fail. The onset lies somewhere in
    the period or the year of that age: in the window, outside it, or not knowable."""
    result = run(MI_SCT_12_MONTHS, [patient(), _mi(**onset)])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        # a day's result without a time and one at 08:30 cannot be ordered: a tie, the least favourable
        ([("2026-05-20", 7.0, "a"), ("2026-05-20T08:30:00Z", 13.2, "b")], "fail"),
        ([("2026-05-20", 13.2, "a"), ("2026-05-20T08:30:00Z", 7.0, "b")], "fail"),
        ([("2026-05-19", 7.0, "a"), ("2026-05-20T08:30:00Z", 13.2, "b")], "pass"),  # the day before: older
        # 23:00 at UTC-5 is 04:00 UTC on the 21st: after 01:00 at UTC+2 on the 21st (23:00 UTC on the 20th)
        ([("2026-05-20T23:00:00-05:00", 7.0, "a"), ("2026-05-21T01:00:00+02:00", 13.0, "b")], "fail"),
        ([("2026-05-20T23:00:00-05:00", 13.0, "a"), ("2026-05-21T01:00:00+02:00", 7.0, "b")], "pass"),
        # second review: fractions of a second kept the written day (23:30:00.5-05:00 is 04:30 UTC on the 21st)
        ([("2026-05-20T23:30:00.5-05:00", 7.0, "a"), ("2026-05-21T01:00:00Z", 13.0, "b")], "fail"),
    ],
)
def test_the_most_recent_result_when_times_are_written_differently(
    results: list[tuple[str, float, str]], expected: str
) -> None:
    """Adversarial review: a date-only Hb of 7.0 always lost to a 13.2 at 08:30 the same day ("2026-05-20"
    sorts before "2026-05-20T08:30"): A-I11 passed. §0.3: results that cannot be ordered tie, and a
    tie is the least favourable. And the written calendar day ordered results before their UTC moment."""
    hb = [obs("718-7", when, q(v, "g/dL"), rid=rid) for when, v, rid in results]
    result = run(HB_GE_8, [patient(), *hb])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


KI67_LE_20 = {
    "linkId": "ki67",
    "definitionByTypeAndValue": lab(["29593-1"], valueQuantity=q(20, "%", "<=")),
    "timeFromEvent": window(None),  # any date before the as-of date
}


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        ({}, "unknown"),  # undated 30 %: it may be the latest, and it disagrees with the 8 % of 2021-02
        ({"effectiveDateTime": "2021"}, "unknown"),  # some day of 2021: maybe after February
        ({"effectiveDateTime": "2020"}, "pass"),  # 2020: before the dated 8 %
        ({"effectiveDateTime": "2022"}, "fail"),  # any day of 2022 is after it: the 30 % governs
    ],
)
def test_an_undated_or_partly_dated_result_may_be_the_latest(other: Json, expected: str) -> None:
    """Adversarial review: for a result of any date (Ki-67), an undated 30 % or one dated "2021" was
    ranked older than a dated 8 % (2021-02-20): pass, eligible. Which is the latest is not knowable."""
    dated = obs("29593-1", "2021-02-20", q(8, "%"), rid="k1")
    vague = obs("29593-1", "2021-02-20", q(30, "%"), rid="k2")
    vague.pop("effectiveDateTime")
    vague |= other
    result = run(KI67_LE_20, [patient(), dated, vague])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason
    assert "no result in window" not in result.criteria[0].reason


def test_a_creatinine_given_as_a_bound_says_so() -> None:
    """Adversarial review: a serum creatinine "<0.5 mg/dL" made Cockcroft-Gault unknown "unit not
    convertible to mg/dL", which sends a coordinator after the wrong problem."""
    crcl = {
        **CRCL_OVER_50,
        "definitionByTypeAndValue": {
            **CRCL_OVER_50["definitionByTypeAndValue"],
            "valueQuantity": q(50, "mL/min", ">="),
        },
        "timeFromEvent": window(-28),
    }
    records = [obs("2160-0", "2026-05-20", q(0.5, "mg/dL", "<")), obs("29463-7", "2026-05-20", q(70, "kg"))]
    result = run(crcl, [patient(), *records])
    assert result.criteria[0].result.value == "unknown"
    assert "reported as a bound (< 0.5 mg/dL)" in result.criteria[0].reason, result.criteria[0].reason


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ({"start": "2026-04-01"}, "pass"),  # started 1 April, issued 20 May: dated by issued (§0.3), in the window
        ({"start": "2026-04-01", "end": "2026-04-02"}, "unknown"),  # ended 2 April: outside the 28 days
    ],
)
def test_an_observation_period_without_an_end_is_dated_by_its_issued_time(period: Json, expected: str) -> None:
    """Adversarial review: §0.3 dates a result by effectiveDateTime, else effectivePeriod.end, else
    issued; a period with a start only was dated by its start (outside the window: unknown)."""
    hb = obs("718-7", "2026-05-20", q(12, "g/dL"), rid="hb1")
    hb.pop("effectiveDateTime")
    hb |= {"effectivePeriod": period, "issued": "2026-05-20T10:00:00Z"}
    result = run(HB_GE_8, [patient(), hb])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("issued", "expected"),
    [
        ("2026-05-20T09:00:00Z", "fail"),  # the day-only 7.0 says nothing of its issue: a tie, least favourable
        (None, "fail"),
    ],
)
def test_a_missing_issued_time_is_unknown_not_older(issued: str | None, expected: str) -> None:
    """Second review: a timed Hb of 13 issued at 09:00 won over a day-only Hb of 7 of the same day
    that has no issued time ("" sorted first): pass. A missing issued time breaks no tie."""
    timed = obs("718-7", "2026-05-20T08:00:00Z", q(13, "g/dL"), rid="b")
    if issued:
        timed["issued"] = issued
    result = run(HB_GE_8, [patient(), obs("718-7", "2026-05-20", q(7, "g/dL"), rid="a"), timed])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def test_a_period_ending_in_a_month_after_its_start_is_inside() -> None:
    """Second review: an Hb over 2026-05-10.."2026-05" lies wholly in the 28 days before 2026-06-01 (it
    ends on or after the 10th); it was left out as "not knowable", and a 13 on the 20th decided alone.
    Either may be the latest and they disagree: unknown."""
    vague = obs("718-7", "2026-05-20", q(7, "g/dL"), rid="a")
    vague.pop("effectiveDateTime")
    vague["effectivePeriod"] = {"start": "2026-05-10", "end": "2026-05"}
    result = run(HB_GE_8, [patient(), vague, obs("718-7", "2026-05-20T08:00:00Z", q(13, "g/dL"), rid="b")])
    assert result.criteria[0].result.value == "unknown", result.criteria[0].reason
