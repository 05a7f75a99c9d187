"""Exposure from administrations: the days recorded at least, first to last + 1 d at most.

clinical.md §1.6 "Drug exposure duration": days covered by statements, "or first-last administration
+ 1 d". Found on data nobody here wrote: everolimus recorded as three administrations over 89 days
passed B-I3b ("previous everolimus for at most 1 month is permitted") as 3 days. An oral drug given
daily is seldom recorded daily, and one recorded once a month may have been given daily: between 3
and 89 days, the answer to "> 31 days" is unknown. Expected results worked out from B-I3b's text.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.cases.builders import AS_OF, ATC, patient
from tests.evaluation.test_real_semantics import BY_ID, criterion

Json = dict[str, Any]
B = BY_ID["NCT05773274"]


def everolimus(day: str) -> Json:
    return {
        "resourceType": "MedicationAdministration",
        "id": f"evr-{day}",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": day,
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01EG02"}]},
    }


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (["2022-01-01", "2022-02-15", "2022-03-30"], Result.UNKNOWN),  # 3 to 89 days: > 31 d or not
        (["2022-01-01", "2022-01-02", "2022-01-03"], Result.PASS),  # 3 days at most: permitted
        (["2022-01-01", "2022-01-31"], Result.PASS),  # 2 to 31 days: never more than a month
        (["2022-01-01", "2022-02-01"], Result.UNKNOWN),  # 2 to 32 days
    ],
)
def test_administrations_bound_the_exposure_both_ways(days: list[str], expected: Result) -> None:
    data = PatientData("p", [patient(), *(everolimus(d) for d in days)])
    (result,) = evaluate_patient(data, [B], AS_OF)
    c = criterion(result, "B-I3b")
    assert c.result is expected, c.reason


def test_a_statement_of_a_long_course_still_fails() -> None:
    statement = {
        "resourceType": "MedicationStatement",
        "id": "evr-ms",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "effectivePeriod": {"start": "2022-01-01", "end": "2022-06-30"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01EG02"}]},
    }
    (result,) = evaluate_patient(PatientData("p", [patient(), statement]), [B], AS_OF)
    c = criterion(result, "B-I3b")
    assert c.result is Result.FAIL, c.reason  # 181 days of everolimus: more than a month
