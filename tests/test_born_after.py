"""A birthDate after the as-of date is judged by one rule (evaluation/validity.born_after): the run's
warning (pipeline) and the criterion's unknown age (evaluator) agree, partial dates included."""

from __future__ import annotations

import datetime as dt

import pytest

from fhir_eligibility.evaluation.validity import birth_problem
from fhir_eligibility.pipeline import born_after
from fhir_eligibility.record import PatientData

AS_OF = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("birth", "after"),
    [
        ("2026-06-02", True),
        ("2026-07", True),  # every day of July 2026 is after 1 June
        ("2027", True),
        ("2026-06", False),  # may be 1 June itself: an age of 0, not a data error
        ("2026", False),
        ("1960-05-01", False),
        ("abcd", False),  # unreadable: not "after" (the age computation reports it)
    ],
)
def test_the_warning_and_the_evaluator_agree(birth: str, after: bool) -> None:
    data = PatientData("p", [{"resourceType": "Patient", "id": "p", "birthDate": birth}])
    assert (born_after(data, AS_OF) == birth) is after
    problem = birth_problem(birth, AS_OF)
    assert (problem is not None and "is after" in problem) is after


def test_evaluate_patient_warns_once_without_the_birth_date() -> None:
    """Every entry point (CDS, the streamed JSON, Spark, the screening) goes through evaluate_patient: the
    warning rides on the patient's own warnings, once however often it is evaluated, and names no date of
    the patient (a report may be de-identified)."""
    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.evaluation.results import Result
    from fhir_eligibility.pipeline import evaluate_patient, evaluate_patients

    data = PatientData("p", [{"resourceType": "Patient", "id": "p", "birthDate": "2027-02-03"}])
    trials = load_trials(None, ["NCT04954820"])
    results = evaluate_patient(data, trials, AS_OF)
    evaluate_patient(data, trials, AS_OF)
    assert data.warnings == ["Patient/p: birth date after the as-of date 2026-06-01: age unknown"]
    age = next(c for c in results[0].criteria if c.id == "A-I1")
    assert age.result is Result.UNKNOWN  # not a crash, not a silent fail
    fresh = PatientData("p", [{"resourceType": "Patient", "id": "p", "birthDate": "2027-02-03"}])
    assert evaluate_patients([fresh], trials, AS_OF).warnings == (data.warnings[0],)
