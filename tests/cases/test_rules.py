"""Rules across the forms: clock, age, attestation, missing data, windows, Cockcroft-Gault, negation, failed search."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.evaluation.engine import Settings
from tests.cases.builders import ICD, SCT, has, lab, med_admin, obs, patient, q, run, window
from tests.cases.characteristics import HB_GE_8


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
    # sex unknown: computed for both (clinical.md §0.10), 38.9 (male) and 33.1 (female) mL/min, both < 50
    assert run(crcl, [patient("1966-01-01", "unknown"), *heavy_scr]).criteria[0].result.value == "fail"


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
