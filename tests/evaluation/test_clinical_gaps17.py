"""Seventeenth clinical pass: an ANC computed from a differential, quantitative hCG read alike by
inclusion and exclusion, ECOG charted under its SNOMED CT observable.

Every expected result is worked out by hand from the protocols and clinical.md: ANC = WBC x
neutrophils % / 100 (clinical.md §3: 1 x 10^9/L = 1 x 10^3/uL = 1000/mm3), A-I11 >= 1.5 x 10^9/L,
B-I9 >= 1.0 x 10^9/L; hCG < 5 IU/L is negative, >= 5 IU/L is not negative yet not proof of pregnancy
(NETs can secrete hCG): review in both the inclusion and the exclusion; ECOG <= 2 (A-I7), <= 1 (D-I3).
The screening path (explain=False) must give each criterion the same result as the explained one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.results import Result, TrialResult
from fhir_eligibility.pipeline import Evaluator, evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.screening.core import SCREENING, outcome_of, screen_patient
from tests.cases.builders import AS_OF, LOINC, SCT, obs, patient, q

Json = dict[str, Any]
TRIALS = load_trials()
BY_ID = {t.id: t for t in TRIALS}
A, B, D, E = (BY_ID[n] for n in ("NCT04954820", "NCT05773274", "NCT05987176", "NCT01842165"))
SCREEN = Evaluator([A, B, D, E], SCREENING)


def at(days_ago: int, time: str = "08:00:00Z") -> str:
    day = (AS_OF - dt.timedelta(days=days_ago)).isoformat()
    return f"{day}T{time}" if time else day


def results(resources: list[Json]) -> dict[str, dict[str, Result]]:
    """Each trial's criteria by id; asserts the screening path gives every top-level result alike."""
    data = PatientData("p", resources)
    explained = evaluate_patient(data, [A, B, D, E], AS_OF)
    fast = {o.trial: o for o in screen_patient(data, SCREEN, AS_OF)}
    for r in explained:
        assert fast[r.trial].results == outcome_of(r).results, r.trial
    return {r.trial: _by_id(r) for r in explained}


def _by_id(r: TrialResult) -> dict[str, Result]:
    return {c.id: c.result for c in r.criteria}


def reason(resources: list[Json], trial: str, cid: str) -> str:
    r = next(x for x in evaluate_patient(PatientData("p", resources), [BY_ID[trial]], AS_OF))
    return next(c.reason for c in r.criteria if c.id == cid)


# ---- 1. ANC from the neutrophil percentage and the WBC of the same draw ------------------------------


def neut_pct(value: float, when: str, unit: str = "%", code: str = "770-8") -> Json:
    return obs(code, when, q(value, unit), rid=f"pct-{code}-{when}")


def wbc(value: float, when: str, unit: str = "10*9/L", code: str = "6690-2") -> Json:
    return obs(code, when, q(value, unit), rid=f"wbc-{code}-{when}")


def anc(value: float, when: str, unit: str = "10*9/L") -> Json:
    return obs("751-8", when, q(value, unit), rid=f"anc-{when}")


def anc_results(*labs: Json) -> tuple[Result, Result]:
    r = results([patient("1960-01-01", "male"), *labs])
    return r[A.id]["A-I11-anc"], r[B.id]["B-I9"]


@pytest.mark.parametrize(
    ("labs", "a_i11", "b_i9"),
    [
        # 4.0 x 50 / 100 = 2.0: >= 1.5 and >= 1.0
        ([neut_pct(50, at(3)), wbc(4.0, at(3))], Result.PASS, Result.PASS),
        # 4.0 x 30 / 100 = 1.2: < 1.5 fails A, >= 1.0 passes B
        ([neut_pct(30, at(3)), wbc(4.0, at(3), "10*3/uL")], Result.FAIL, Result.PASS),
        # 4000/mm3 = 4.0 x 10^9/L; x 37.5 % = 1.5, on A's boundary (>=)
        ([neut_pct(37.5, at(3)), wbc(4000, at(3), "/mm3")], Result.PASS, Result.PASS),
        # 2.0 x 40 / 100 = 0.8: fails both; the "no method" LOINC codes 26511-6 / 26464-8
        ([neut_pct(40, at(3), code="26511-6"), wbc(2.0, at(3), code="26464-8")], Result.FAIL, Result.FAIL),
        # the same instant written in two time zones (08:00Z = 10:00+02:00) is one draw
        ([neut_pct(50, at(3)), wbc(4.0, at(3, "10:00:00+02:00"))], Result.PASS, Result.PASS),
    ],
)
def test_the_anc_is_computed_from_a_paired_differential(labs: list[Json], a_i11: Result, b_i9: Result) -> None:
    assert anc_results(*labs) == (a_i11, b_i9)


@pytest.mark.parametrize(
    "labs",
    [
        [neut_pct(50, at(3, "08:00:00Z")), wbc(4.0, at(3, "14:00:00Z"))],  # two draws of one day: unpaired
        [neut_pct(50, at(3, "")), wbc(4.0, at(3, ""))],  # dated by the day only: which draw is not known
        [neut_pct(50, at(3))],  # no WBC
        [wbc(4.0, at(3))],  # no percentage
        [neut_pct(120, at(3)), wbc(4.0, at(3))],  # no percentage of leukocytes exceeds 100
        [neut_pct(50, at(3), unit="10*9/L"), wbc(4.0, at(3))],  # a "percentage" that is not one
        [neut_pct(50, at(3)), wbc(4.0, at(3), unit="g/dL")],  # a WBC in no count unit
        [neut_pct(50, at(40)), wbc(4.0, at(40))],  # outside the 28-day window
    ],
)
def test_an_unpaired_or_implausible_differential_is_unknown_never_fail(labs: list[Json]) -> None:
    assert anc_results(*labs) == (Result.UNKNOWN, Result.UNKNOWN)


def test_the_absolute_count_decides_when_it_is_as_recent() -> None:
    # the laboratory's 1.2 counted at the same draw as a differential giving 4.0 x 50 % = 2.0
    assert anc_results(anc(1.2, at(3)), neut_pct(50, at(3)), wbc(4.0, at(3))) == (Result.FAIL, Result.PASS)


def test_the_most_recent_of_the_count_and_the_differential_decides() -> None:
    older_count = anc_results(anc(1.2, at(10)), neut_pct(50, at(2)), wbc(4.0, at(2)))
    assert older_count == (Result.PASS, Result.PASS)  # the newer differential: 2.0
    newer_count = anc_results(anc(1.2, at(2)), neut_pct(50, at(10)), wbc(4.0, at(10)))
    assert newer_count == (Result.FAIL, Result.PASS)  # the newer count: 1.2


def test_a_newer_invalid_count_leaves_an_older_differential_unread() -> None:
    # an ANC "1.1" written as text after the draw: a measurement whose value is not known (§0.16)
    invalid = obs("751-8", at(1), rid="anc-text", valueString="1.1")
    assert anc_results(neut_pct(50, at(3)), wbc(4.0, at(3)), invalid) == (Result.UNKNOWN, Result.UNKNOWN)
    # and after an older valid count, with no differential: the count it replaced is not read either
    assert anc_results(anc(2.0, at(9)), invalid) == (Result.UNKNOWN, Result.UNKNOWN)
    assert "invalid" in reason([patient("1960-01-01", "male"), anc(2.0, at(9)), invalid], A.id, "A-I11-anc")


def test_tied_percentages_of_one_draw_are_read_as_their_range() -> None:
    # 4.0 x 35 % = 1.4 and 4.0 x 40 % = 1.6: A's 1.5 lies inside, B's 1.0 below both
    tied = [neut_pct(35, at(3)), obs("26511-6", at(3), q(40, "%"), rid="pct-b"), wbc(4.0, at(3))]
    assert anc_results(*tied) == (Result.UNKNOWN, Result.PASS)


def test_a_computed_anc_says_how_and_what_to_collect() -> None:
    labs = [patient("1960-01-01", "male"), neut_pct(30, at(3)), wbc(4.0, at(3))]
    why = reason(labs, A.id, "A-I11-anc")
    assert "1.2" in why and "neutrophil" in why.lower(), why
    counted = reason([patient("1960-01-01", "male"), anc(1.2, at(3))], A.id, "A-I11-anc")
    assert counted.endswith(f"on {at(3, '')}"), counted  # the laboratory's count reads as its Observation
    unpaired = [patient("1960-01-01", "male"), neut_pct(30, at(3, "08:00:00Z")), wbc(4.0, at(3, "09:00:00Z"))]
    assert "same" in reason(unpaired, A.id, "A-I11-anc"), reason(unpaired, A.id, "A-I11-anc")


# ---- 2. quantitative hCG: the inclusion and the exclusion read it alike ------------------------------

WOMAN_40 = patient("1986-01-01", "female")  # childbearing potential (clinical.md §0.11: < 55, nothing coded)


def hcg(value: float, unit: str = "[IU]/L", code: str = "21198-7", days_ago: int = 2) -> Json:
    return obs(code, at(days_ago), q(value, unit), rid=f"hcg-{code}-{value}")


def qual_positive(days_ago: int = 2) -> Json:
    return obs(
        "2106-3",
        at(days_ago),
        rid="qual",
        valueCodeableConcept={"coding": [{"system": SCT, "code": "10828004", "display": "Positive"}]},
    )


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        (hcg(6), Result.REVIEW),  # >= 5 IU/L: not negative, not proof of pregnancy
        (hcg(6, "m[IU]/mL"), Result.REVIEW),  # 6 mIU/mL = 6 IU/L
        (hcg(5, code="19080-1"), Result.REVIEW),  # the cut-off itself is not negative
        (hcg(4), None),  # < 5 IU/L: negative
    ],
)
def test_a_raised_quantitative_hcg_is_reviewed_by_inclusion_and_exclusion(test: Json, expected: Result | None) -> None:
    r = results([WOMAN_40, test])
    inclusion = expected or Result.PASS  # negative: the test the inclusion asks for
    exclusion = expected or Result.PASS  # negative: not excluded
    assert (r[A.id]["A-I12"], r[A.id]["A-E13"]) == (inclusion, exclusion)
    assert (r[E.id]["E-I10-hcg"], r[E.id]["E-E8"]) == (inclusion, exclusion)  # serum test, 4 weeks
    assert (r[B.id]["B-I16-hcg"], r[B.id]["B-E6"]) == (inclusion, exclusion)  # already reviewed (ultrasound)


def test_a_positive_qualitative_test_still_fails_whatever_the_quantitative_one() -> None:
    r = results([WOMAN_40, hcg(6), qual_positive()])
    assert (r[A.id]["A-I12"], r[A.id]["A-E13"]) == (Result.FAIL, Result.FAIL)


# ---- 3. ECOG under its SNOMED CT observable (423740007) -------------------------------------------


def ecog_sct(**value: Any) -> Json:
    o = obs("89247-1", at(3), rid="ecog-sct", **value)
    o["code"] = {"coding": [{"system": SCT, "code": "423740007"}]}
    return o


@pytest.mark.parametrize(
    ("value", "a_i7", "d_i3"),
    [
        ({"valueInteger": 1}, Result.PASS, Result.PASS),  # 1 <= 2 and <= 1
        ({"valueCodeableConcept": {"coding": [{"system": LOINC, "code": "LA9624-3"}]}}, Result.PASS, Result.FAIL),
        ({"valueCodeableConcept": {"coding": [{"system": SCT, "code": "423053003"}]}}, Result.FAIL, Result.FAIL),
    ],
)
def test_ecog_coded_with_its_snomed_observable_is_read(value: Json, a_i7: Result, d_i3: Result) -> None:
    r = results([patient("1960-01-01", "male"), ecog_sct(**value)])
    assert (r[A.id]["A-I7"], r[D.id]["D-I3"]) == (a_i7, d_i3)
