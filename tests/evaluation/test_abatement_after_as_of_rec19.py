"""A Condition that ends after the as-of date was going on then: a screening dated before the
abatement (a retrospective ``--as-of``) reads it as active on that day. Before, any abatement made
it resolved whatever its date: a pregnancy ending 2026-08-20 passed E-E8 (pregnant) on 2026-06-01,
brain metastases abated 2026-07-01 were "none recorded" for E-E6.

Expected results worked out by hand (screening date 2026-06-01; clinical.md E-E6 brain metastases
-> review, E-E8 pregnant -> fail).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from fhir_eligibility.codes import ICD10CM
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.record import PatientData
from tests.cases.builders import patient

Json = dict[str, Any]
AS_OF = dt.date(2026, 6, 1)
E = "NCT01842165"


@cache
def trial() -> Trial:
    return next(t for t in load_trials() if t.id == E)


def result(cid: str, resources: list[Json]) -> str:
    record = build_record(PatientData("p", [patient(birth="1990-01-01"), *resources]))
    r = evaluate_trial(trial(), record, AS_OF, Settings(assume_attested=True))
    return next(c.result.value for c in r.criteria if c.id == cid)


def condition(code: str, onset: str, abatement: Json, status: str | None = None) -> Json:
    c: Json = {
        "resourceType": "Condition",
        "id": f"c-{code}",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": ICD10CM, "code": code}]},
        "onsetDateTime": onset,
        **abatement,
    }
    if status is not None:
        c["clinicalStatus"] = {"coding": [{"code": status}]}
    return c


@pytest.mark.parametrize(
    ("cid", "code", "onset", "abatement", "status", "expected"),
    [
        ("E-E8", "Z33.1", "2026-01-10", {"abatementDateTime": "2026-08-20"}, None, "fail"),
        ("E-E8", "Z33.1", "2026-01-10", {"abatementDateTime": "2026-08-20"}, "resolved", "fail"),
        ("E-E8", "Z33.1", "2026-01-10", {"abatementPeriod": {"start": "2026-07-01"}}, None, "fail"),
        # ended before the as-of date, or on it: over
        ("E-E8", "Z33.1", "2025-01-10", {"abatementDateTime": "2025-10-02"}, None, "pass"),
        ("E-E8", "Z33.1", "2025-09-01", {"abatementDateTime": "2026-06-01"}, None, "pass"),
        # ended some day of June 2026: on 06-01 or later, not knowable
        ("E-E8", "Z33.1", "2026-01-10", {"abatementDateTime": "2026-06"}, None, "unknown"),
        ("E-E6", "C79.31", "2026-03-01", {"abatementDateTime": "2026-07-01"}, None, "review"),
        ("E-E6", "C79.31", "2026-03-01", {"abatementDateTime": "2026-05-01"}, None, "pass"),
    ],
    ids=["pregnant", "pregnant-resolved-now", "period", "over", "over-on-the-day", "month", "brain", "brain-over"],
)
def test_abatement_after_the_as_of_date(
    cid: str, code: str, onset: str, abatement: Json, status: str | None, expected: str
) -> None:
    assert result(cid, [condition(code, onset, abatement, status)]) == expected
