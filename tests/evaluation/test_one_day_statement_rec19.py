"""A MedicationStatement dated by one day (``effectiveDateTime``) says nothing of how long the drug was
taken (README): a duration reads it as 1 day to the as-of date, and so must a window. Everolimus
"completed" on 2026-02-01 may have been taken into the last 12 weeks (E-E3) or 4 weeks (D-E1): both
are unknown, not passed (B-I3b already read it as "1 to 121 days").

Expected results worked out by hand (screening date 2026-06-01, every manual item attested).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.record import PatientData
from tests.cases.builders import ATC, patient

Json = dict[str, Any]
AS_OF = dt.date(2026, 6, 1)


@cache
def trials() -> dict[str, Trial]:
    return {t.id: t for t in load_trials()}


def result(trial: str, cid: str, resources: list[Json]) -> str:
    record = build_record(PatientData("p", [patient(), *resources]))
    r = evaluate_trial(trials()[trial], record, AS_OF, Settings(assume_attested=True))
    return next(c.result.value for c in r.criteria if c.id == cid)


def everolimus(**fields: Any) -> Json:
    return {
        "resourceType": "MedicationStatement",
        "id": "ms-evero",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01EG02"}]},
        **fields,
    }


ONE_DAY = everolimus(status="completed", effectiveDateTime="2026-02-01")
ENDED = everolimus(status="completed", effectivePeriod={"start": "2026-02-01", "end": "2026-02-28"})


@pytest.mark.parametrize(
    ("trial", "cid", "resources", "expected"),
    [
        ("NCT01842165", "E-E3", [ONE_DAY], "unknown"),
        ("NCT05987176", "D-E1", [ONE_DAY], "unknown"),
        ("NCT05773274", "B-I3b", [ONE_DAY], "unknown"),
        # stopped 02-28: before both windows
        ("NCT01842165", "E-E3", [ENDED], "pass"),
        ("NCT05987176", "D-E1", [ENDED], "pass"),
        # dated in the window: taken in it
        ("NCT05987176", "D-E1", [everolimus(status="completed", effectiveDateTime="2026-05-20")], "fail"),
        ("NCT01842165", "E-E3", [], "pass"),
    ],
    ids=["e-e3", "d-e1", "b-i3b", "e-e3-ended", "d-e1-ended", "d-e1-in-window", "e-e3-none"],
)
def test_one_day_statement_in_a_window(trial: str, cid: str, resources: list[Json], expected: str) -> None:
    assert result(trial, cid, resources) == expected
