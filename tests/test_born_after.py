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
