"""What real exports expose (issue 13 Must have 4, issue 12 items 6-7): death, invalid values,
malformed resources, contained medications, R5 statuses, SSA formulations, mCODE morphology,
valueless and undated results. Every expected result is worked out from clinical.md §0."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.results import Result, TrialResult, Verdict
from fhir_eligibility.pipeline import Evaluator, evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.screening.core import SCREENING, Tally, screen_patient
from tests.cases.builders import AS_OF, ATC, ICD, LOINC, condition, obs, patient, q, run, window

Json = dict[str, Any]
TRIALS = load_trials()
BY_ID = {t.id: t for t in TRIALS}
A, E = BY_ID["NCT04954820"], BY_ID["NCT01842165"]
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
SCT = "http://snomed.info/sct"
HB_GE_8 = {
    "linkId": "hb",
    "definitionByTypeAndValue": {
        "type": {"coding": [{"system": LOINC, "code": "718-7"}]},
        "valueQuantity": q(8, "g/dL", ">="),
    },
    "timeFromEvent": window(-28),
}
PNET_COND = {
    "linkId": "pnet",
    "definitionByTypeAndValue": {
        "type": {"coding": [{"system": "http://hl7.org/fhir/fhir-types", "code": "Condition"}]},
        "valueCodeableConcept": {"coding": [{"system": ICD, "code": "C25.4"}]},
    },
}


def days_ago(n: int) -> str:
    return (AS_OF - dt.timedelta(days=n)).isoformat()


def evaluate(resources: list[Json], trials: list[Any] | None = None) -> tuple[list[TrialResult], PatientData]:
    data = PatientData("p", resources)
    return evaluate_patient(data, trials or TRIALS, AS_OF), data


def criterion(result: TrialResult, cid: str) -> Any:
    return next(c for c in result.criteria if c.id == cid)


# ---- 1. death ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "dead"),
    [
        ({"deceasedDateTime": "2026-03-02"}, True),
        ({"deceasedDateTime": "2026-06-01T08:00:00Z"}, True),  # on the as-of date
        ({"deceasedBoolean": True}, True),
        ({"deceasedBoolean": False}, False),
        ({"deceasedDateTime": "2026-07-10"}, False),  # retrospective as-of: alive on that date
        ({}, False),
    ],
)
def test_a_dead_patient_is_ineligible_for_every_trial_with_one_decisive_reason(fields: Json, dead: bool) -> None:
    results, _ = evaluate([{**patient(), **fields}])
    for r in results:
        ids = [c.id for c in r.criteria]
        if dead:
            assert r.verdict is Verdict.INELIGIBLE and ids == ["deceased"] and r.missing_data == ()
            assert r.criteria[0].result is Result.FAIL and "deceased" in r.criteria[0].reason
        else:
            assert "deceased" not in ids and len(ids) == len(BY_ID[r.trial].criteria)  # every criterion evaluated


def test_a_death_date_that_may_follow_the_as_of_date_or_is_unreadable_is_unknown_not_ineligible() -> None:
    for died in ("2026", "9999-12-31", "soon"):
        results, data = evaluate([{**patient(), "deceasedDateTime": died}])
        for r in results:
            assert r.criteria[0].id == "deceased" and r.criteria[0].result is Result.UNKNOWN, died
            assert r.verdict is not Verdict.ELIGIBLE and len(r.criteria) == len(BY_ID[r.trial].criteria) + 1
        if died != "2026":
            assert any("deceasedDateTime" in w for w in data.warnings)


def test_the_screening_funnel_counts_the_dead_first() -> None:
    tally = Tally.for_trials(TRIALS)
    for pid, extra in (("dead", {"deceasedBoolean": True}), ("alive", {})):
        data = PatientData(pid, [{**patient(), "id": pid, **extra}])
        tally.add(screen_patient(data, Evaluator(TRIALS, SCREENING), AS_OF), data.warnings)
    a = tally.trials[A.id].screening()
    first = a.funnel[0]
    assert (first.criterion, first.counts["fail"], first.counts["pass"], first.remaining) == ("deceased", 1, 1, 1)
    assert a.counts["ineligible"] >= 1 and all(c.patient != "Patient/dead" for c in a.candidates)
    assert sum(a.funnel[1].counts.values()) == 1  # the dead patient's criteria were not evaluated


# ---- 2. invalid numbers and dates ------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, "NaN", True, -3.0, "12"])
def test_an_invalid_value_is_never_compared(value: object) -> None:
    res = [
        patient(),
        obs("718-7", days_ago(3), {"value": value, "system": "http://unitsofmeasure.org", "code": "g/dL"}),
    ]
    data = PatientData("p", res)
    r = run(HB_GE_8, res)
    assert r.criteria[0].result is Result.UNKNOWN, r.criteria[0].reason
    build_record(data)
    assert any("unusable" in w for w in data.warnings)


def test_an_invalid_newer_value_leaves_the_measurement_unknown() -> None:
    """Not the older valid one: the newer measurement, unreadable, may be the patient's current value
    (as for a result whose unit does not convert; tests/evaluation/test_newer_invalid_value.py)."""
    res = [
        patient(),
        obs("718-7", days_ago(10), q(9.5, "g/dL"), rid="old"),
        obs("718-7", days_ago(2), {"value": -1, "system": "http://unitsofmeasure.org", "code": "g/dL"}, rid="new"),
    ]
    c = run(HB_GE_8, res).criteria[0]
    assert c.result is Result.UNKNOWN, c.reason
    assert "Observation/new" in c.reason and "invalid value" in c.reason


@pytest.mark.parametrize("birth", ["0001-01-01", "1850-03-01", "2027-01-01"])
def test_an_implausible_birth_date_gives_no_age(birth: str) -> None:
    age = {
        "linkId": "age",
        "definitionByTypeAndValue": {
            "type": {"coding": [{"system": SCT, "code": "397669002"}]},
            "valueQuantity": q(18, "a", ">="),
        },
    }
    c = run(age, [patient(birth)]).criteria[0]
    assert c.result is Result.UNKNOWN and "data error" in c.reason


def test_a_sentinel_event_date_is_undated_not_ancient() -> None:
    cond = condition(ICD, "C25.4", onset="0001-01-01")
    windowed = {**PNET_COND, "timeFromEvent": window(-365 * 5)}
    data = PatientData("p", [patient(), cond])
    assert run(windowed, data.resources).criteria[0].result is Result.UNKNOWN
    build_record(data)
    assert any("sentinel" in w for w in data.warnings)


# ---- 3. malformed resources --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "result"),
    [
        ("C25.4", Result.UNKNOWN),  # a bare string: what the Condition is cannot be known
        ({"coding": {"system": ICD, "code": "C25.4"}}, Result.UNKNOWN),  # one coding object: still unknown
        ({"coding": [5]}, Result.UNKNOWN),
    ],
)
def test_a_malformed_condition_makes_closed_world_criteria_unknown_not_fail(code: object, result: Result) -> None:
    cond = {**condition(ICD, "C25.4"), "code": code}
    data = PatientData("p", [patient(), cond])
    c = run(PNET_COND, data.resources).criteria[0]
    assert c.result is result and "Condition/c-C25.4" in c.reason
    build_record(data)
    assert any("unreadable" in w for w in data.warnings)


def test_a_lone_coding_object_only_affects_criteria_on_its_code() -> None:
    cond = {**condition(ICD, "C25.4"), "code": {"coding": {"system": ICD, "code": "C50.9"}}}
    assert run(PNET_COND, [patient(), cond]).criteria[0].result is Result.FAIL  # C25.4 criterion: nothing lost


def test_a_malformed_body_site_keeps_the_condition() -> None:
    cond = {**condition(ICD, "C25.4"), "bodySite": 5}
    data = PatientData("p", [patient(), cond])
    assert run(PNET_COND, data.resources).criteria[0].result is Result.PASS
    build_record(data)
    assert any("bodySite" in w for w in data.warnings)


def lutathera(i: int, day: str, **shape: Any) -> Json:
    res: Json = {
        "resourceType": "MedicationAdministration",
        "id": f"lu{i}",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": day,
        "dosage": {"dose": {"value": 7400, "unit": "MBq", "system": "http://unitsofmeasure.org", "code": "MBq"}},
    }
    res.update(shape or {"medicationCodeableConcept": {"coding": [{"system": ATC, "code": "V10XX04"}]}})
    return res


CYCLE_DAYS = ["2025-01-10", "2025-03-07", "2025-05-02", "2025-06-27"]


def test_a_malformed_dosage_keeps_the_cycle_and_an_unreadable_drug_is_never_3_found() -> None:
    cycles = [lutathera(i, d) for i, d in enumerate(CYCLE_DAYS)]
    cycles[3]["dosage"] = {"dose": "a lot"}
    results, data = evaluate([patient(), *cycles], [A])
    assert criterion(results[0], "A-I3").result is Result.PASS
    assert any("MedicationAdministration/lu3: 'a lot' is not a Quantity" in w for w in data.warnings)
    cycles[3] = {**lutathera(3, CYCLE_DAYS[3]), "medicationCodeableConcept": "Lutathera"}
    results, data = evaluate([patient(), *cycles], [A])
    c = criterion(results[0], "A-I3")
    assert c.result is Result.UNKNOWN and "MedicationAdministration/lu3" in c.reason
    assert any("MedicationAdministration/lu3: unreadable" in w for w in data.warnings)


# ---- 4. contained / referenced Medication ------------------------------------------------------------

LU_MED = {"resourceType": "Medication", "id": "lu177", "code": {"coding": [{"system": ATC, "code": "V10XX04"}]}}


def contained_cycles(r5: bool = False) -> list[Json]:
    ref = {"reference": "#lu177"}
    shape = {"medication": {"reference": ref}} if r5 else {"medicationReference": ref}
    return [lutathera(i, d, contained=[LU_MED], **shape) for i, d in enumerate(CYCLE_DAYS)]


@pytest.mark.parametrize("r5", [False, True])
def test_a_contained_medication_counts_as_a_cycle(r5: bool) -> None:
    results, _ = evaluate([patient(), *contained_cycles(r5)], [A])
    c = criterion(results[0], "A-I3")
    assert c.result is Result.PASS and c.reason.startswith("4 found")


def test_a_reference_to_a_missing_contained_medication_is_unknown() -> None:
    cycles = contained_cycles()
    cycles[0]["contained"] = []
    results, _ = evaluate([patient(), *cycles], [A])
    assert criterion(results[0], "A-I3").result is Result.UNKNOWN


# ---- 5/6. R5 statuses, long- vs short-acting SSA (E-I5) -------------------------------------------


def ssa(
    kind: str,
    day: str,
    atc: str = "H01CB02",
    route: str | None = None,
    text: str | None = None,
    status: str | None = None,
) -> Json:
    res: Json = {
        "resourceType": kind,
        "id": f"ssa-{day}",
        "status": status or ("completed" if kind == "MedicationAdministration" else "recorded"),
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": day,
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}], **({"text": text} if text else {})},
    }
    if route:
        codes = {"IM": "78421000", "SC": "34206005", "IV": "47625008"}
        concept = {"coding": [{"system": SCT, "code": codes[route]}]}
        res["dosage"] = {"route": concept} if kind == "MedicationAdministration" else [{"route": concept}]
    return res


MA, MS = "MedicationAdministration", "MedicationStatement"


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        # clinical.md §0.17 and E-I5: long-acting stopped >= 28 d before D0, short-acting >= 48 h before
        (ssa(MA, days_ago(10), route="IM"), Result.FAIL),  # IM octreotide = LAR, 10 d ago
        (ssa(MA, days_ago(10), route="SC"), Result.PASS),  # SC octreotide, stopped 10 d ago
        (ssa(MA, days_ago(10), route="IV"), Result.PASS),
        (ssa(MA, days_ago(10)), Result.REVIEW),  # nothing tells the form
        (ssa(MA, days_ago(10), text="Sandostatin LAR Depot 30 mg"), Result.FAIL),  # product decides
        (ssa(MA, days_ago(10), route="SC", text="octreotide depot"), Result.FAIL),  # product before route
        (ssa(MA, days_ago(20), atc="H01CB03"), Result.FAIL),  # lanreotide: only a depot exists
        (ssa(MA, days_ago(40), atc="H01CB03"), Result.PASS),
        (ssa(MA, days_ago(35), route="IM"), Result.PASS),  # LAR stopped 35 d ago
        (ssa(MS, days_ago(1), route="SC"), Result.FAIL),  # R5 "recorded" statement, short-acting yesterday
        (ssa(MS, days_ago(1), route="SC", status="active"), Result.FAIL),  # R4 status
        # R5 draft: "usage is draft or preliminary", not "not taken" (as R4 unknown: adversarial review 19)
        (ssa(MS, days_ago(1), route="SC", status="draft"), Result.UNKNOWN),
    ],
)
def test_e_i5_tells_long_from_short_acting(resource: Json, expected: Result) -> None:
    results, _ = evaluate([patient(), resource], [E])
    c = criterion(results[0], "E-I5")
    assert c.result is expected, c.reason


def test_a_contained_octreotide_lar_with_a_dose_form_is_long_acting() -> None:
    med = {
        "resourceType": "Medication",
        "id": "oct",
        "code": {"coding": [{"system": ATC, "code": "H01CB02"}]},
        "form": {"text": "Powder and solvent for prolonged-release suspension for injection"},
    }
    res = {**ssa(MA, days_ago(10)), "contained": [med], "medicationReference": {"reference": "#oct"}}
    del res["medicationCodeableConcept"]
    results, _ = evaluate([patient(), res], [E])
    assert criterion(results[0], "E-I5").result is Result.FAIL


# ---- 7. mCODE morphology ----------------------------------------------------------------------------


def test_mcode_morphology_extension_makes_a_pancreatic_site_code_a_net() -> None:
    cond = condition(ICD, "C25.2", rid="pancreas")
    results, _ = evaluate([patient(), cond], [A])
    assert criterion(results[0], "A-E4").result is Result.PASS  # a pancreatic cancer, not a NET
    cond["extension"] = [{"url": MCODE, "valueCodeableConcept": {"coding": [{"system": ICDO3, "code": "8240/3"}]}}]
    results, _ = evaluate([patient(), cond], [A])
    assert criterion(results[0], "A-E4").result is Result.FAIL  # pancreatic NET excludes from trial A


# ---- 8. valueless and undated results ------------------------------------------------------------


def test_a_newer_valueless_result_does_not_replace_an_older_valid_one() -> None:
    absent = {"dataAbsentReason": {"coding": [{"code": "error"}]}}
    res = [
        patient(),
        obs("718-7", days_ago(12), q(7.0, "g/dL"), rid="old"),
        obs("718-7", days_ago(1), rid="new", **absent),
    ]
    c = run(HB_GE_8, res).criteria[0]
    assert c.result is Result.FAIL and c.evidence[0].reference == "Observation/old"
    assert "dataAbsentReason: error" in c.reason
    only = run(HB_GE_8, [patient(), res[2]]).criteria[0]
    assert only.result is Result.UNKNOWN and "no valid value" in only.reason


def test_an_undated_result_is_reported_not_silently_dropped() -> None:
    undated = obs("718-7", "x", q(12.0, "g/dL"), rid="undated")
    del undated["effectiveDateTime"]
    data = PatientData("p", [patient(), undated])
    c = run(HB_GE_8, data.resources).criteria[0]
    assert c.result is Result.UNKNOWN and "undated" in c.reason and "Observation/undated" in c.reason
    build_record(data)
    assert any("1 Observation(s) with no date" in w and "Observation/undated" in w for w in data.warnings)


def test_negative_values_are_impossible_only_where_the_unit_cannot_hold_one() -> None:
    from fhir_eligibility.evaluation.validity import negative_problem

    assert negative_problem(-1.0, "g/dL") and negative_problem(-2.0, "10*9/L") and negative_problem(-5.0, None)
    assert not negative_problem(-2.5, "{T-score}") and not negative_problem(-0.5, "Cel")


def test_an_implausible_birth_date_never_shares_an_outcome_with_a_real_age() -> None:
    """Born 1906-06-01 is 120 on 2026-06-01, the oldest age read; 1905-05-31 (121) and the placeholder
    1900-01-01 (126) are data errors. Screened in turn, none takes another's outcome."""
    seen = {}
    births = (("real", "1906-06-01"), ("old", "1905-05-31"), ("placeholder", "1900-01-01"), ("real2", "1906-06-01"))
    for pid, birth in births:
        out = screen_patient(PatientData(pid, [{**patient(birth), "id": pid}]), Evaluator([A], SCREENING), AS_OF)[0]
        seen[pid] = out.results[0]  # A-I1, age >= 18
    assert seen == {"real": "pass", "old": "unknown", "placeholder": "unknown", "real2": "pass"}
