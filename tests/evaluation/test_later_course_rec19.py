"""A record of a later PRRT course leaves the first course alone (clinical.md §1.6: a gap > 182 days
starts a new course). A generic radiopharmaceutical Procedure (its product not coded) or an order
more than ``course_gap_days`` after the first course's last dose is in course 2 or later whether or
not it was a Lutathera cycle or given: the first course's count (A-I3) and "a first-course cycle in
the last 12 months" (A-I4) are decided without it. Before, either made both unknown.

Expected results worked out by hand (screening date 2026-06-01, every manual item attested).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from fhir_eligibility.codes import SNOMED
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.record import PatientData
from tests.cases.builders import ATC, med_admin, patient

Json = dict[str, Any]
AS_OF = dt.date(2026, 6, 1)
A = "NCT04954820"
FIRST = [med_admin("V10XX04", d) for d in ("2023-01-16", "2023-03-13", "2023-05-08", "2023-07-03")]
SECOND = [med_admin("V10XX04", d) for d in ("2026-01-05", "2026-03-02")]


@cache
def trial() -> Trial:
    return next(t for t in load_trials() if t.id == A)


def results(resources: list[Json]) -> dict[str, str]:
    record = build_record(PatientData("p", [patient(), *resources]))
    r = evaluate_trial(trial(), record, AS_OF, Settings(assume_attested=True))
    return {c.id: c.result.value for c in r.criteria if c.id in ("A-I3", "A-I4")}


def generic(day: str) -> Json:
    """SNOMED CT 399315003 (radionuclide therapy), the product not coded."""
    return {
        "resourceType": "Procedure",
        "id": f"rpt-{day}",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": SNOMED, "code": "399315003"}]},
        "performedDateTime": day,
    }


def order(day: str) -> Json:
    return {
        "resourceType": "MedicationRequest",
        "id": f"mr-{day}",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "V10XX04"}]},
        "authoredOn": day,
    }


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        # 4 cycles in 2023, nothing since: the first course is 4 cycles, its last 2023-07-03
        (FIRST, {"A-I3": "pass", "A-I4": "pass"}),
        # a generic procedure 2025-11-03 (853 days after the last cycle): course 2 or none
        ([*FIRST, generic("2025-11-03")], {"A-I3": "pass", "A-I4": "pass"}),
        # 4 + 2 cycles and an order of 2026-05-25: the order is of a later course
        ([*FIRST, *SECOND, order("2026-05-25")], {"A-I3": "pass", "A-I4": "pass"}),
        # a generic procedure 100 days after the last cycle may be a fifth first-course cycle
        ([*FIRST, generic("2023-10-11")], {"A-I3": "unknown", "A-I4": "pass"}),
        # a chain of uncertain records: the first (100 d) may extend the course to reach the second
        # (242 d after the last cycle), both outside the last 12 months
        ([*FIRST, generic("2023-10-11"), generic("2024-03-01")], {"A-I3": "unknown", "A-I4": "pass"}),
        # the order of 2026-05-25 is far past even the longest first course (to 2023-10-11)
        ([*FIRST, generic("2023-10-11"), order("2026-05-25")], {"A-I3": "unknown", "A-I4": "pass"}),
    ],
    ids=["first-only", "generic-later", "order-later", "generic-within-gap", "chain", "order-past-chain"],
)
def test_later_course_records(resources: list[Json], expected: dict[str, str]) -> None:
    assert results(resources) == expected
