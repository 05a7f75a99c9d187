"""A drug record whose status leaves open whether the drug was given is uncertain, never absent.

Found on data nobody here wrote: an administration with status ``unknown`` or ``on-hold`` (valid R4
codes), a misspelt or missing status, or no ``medication[x]`` at all was silently dropped, so a
closed-world drug exclusion passed and a cycle count came out one short ("3 found, required
exactly 4": ineligible). clinical.md §0 rule: missing or invalid data is ``unknown``, never a pass
or a fail it cannot support. Expected results are worked out from E-I5's text (long-acting SSA
stopped >= 4 weeks before D0) with the as-of date as D0, as tests/evaluation/test_real_semantics.py
does for the statuses that do say something.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.cases.builders import AS_OF, patient
from tests.evaluation.test_real_semantics import MA, MS, E, criterion, days_ago, ssa

Json = dict[str, Any]


def e_i5(resource: Json) -> tuple[Result, str, list[str]]:
    data = PatientData("p", [patient(), resource])
    (result,) = evaluate_patient(data, [E], AS_OF)
    c = criterion(result, "E-I5")
    return c.result, c.reason, data.warnings


def lar(status: str | None, kind: str = MA) -> Json:
    """Octreotide LAR (IM) 10 days before D0: given, it fails E-I5 (stopped < 4 weeks before)."""
    res = ssa(kind, days_ago(10), route="IM")
    if status is None:
        del res["status"]
    else:
        res["status"] = status
    return res


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("unknown", MA),  # R4/R5: whether it was given is not known
        ("on-hold", MA),  # begun, then paused: how much was given is not known
        ("unknown", MS),  # R4 statement: whether the drug is taken is not known
    ],
)
def test_a_status_that_leaves_the_dose_open_is_unknown_not_absent(status: str, kind: str) -> None:
    given, _reason, _warnings = e_i5(lar("completed" if kind == MA else "active", kind))
    assert given is Result.FAIL  # the control: recorded as given, LAR 10 days ago fails E-I5
    result, reason, _warnings = e_i5(lar(status, kind))
    assert result is Result.UNKNOWN, reason
    assert "leaves open whether the drug was given" in reason


@pytest.mark.parametrize("status", [None, "complete", 7])
def test_a_missing_or_misspelt_status_is_uncertain_and_said(status: object) -> None:
    res = lar(None)
    if status is not None:
        res["status"] = status
    result, reason, warnings = e_i5(res)
    assert result is Result.UNKNOWN, reason
    assert any("not a MedicationAdministration status" in w for w in warnings), warnings


@pytest.mark.parametrize(("status", "kind"), [("not-done", MA), ("entered-in-error", MA), ("not-taken", MS)])
def test_a_status_that_says_not_given_is_still_dropped(status: str, kind: str) -> None:
    result, reason, _warnings = e_i5(lar(status, kind))
    assert result is Result.PASS, reason  # no long-acting SSA in the 4 weeks before D0


def test_r5_adherence_unknown_is_uncertain_and_not_taking_is_dropped() -> None:
    res = lar("recorded", MS)
    res["adherence"] = {"code": {"coding": [{"code": "unknown"}]}}
    assert e_i5(res)[0] is Result.UNKNOWN
    res["adherence"] = {"code": {"coding": [{"code": "not-taking"}]}}
    assert e_i5(res)[0] is Result.PASS


def test_an_administration_naming_no_drug_is_unreadable_not_absent() -> None:
    res = lar("completed")
    del res["medicationCodeableConcept"]  # medication[x] is 1..1: some drug was given, which not said
    result, reason, warnings = e_i5(res)
    assert result is Result.UNKNOWN, reason  # it may have been the LAR
    assert any("no medication[x]" in w for w in warnings), warnings
