"""R5 records read as their R4 twins do (adversarial review adv19c).

- A MedicationStatement ``recorded`` with adherence ``taking`` means what R4 ``active`` does: taken
  from its start and still taken, whether dated by a period or by a dateTime (it read as one day,
  so everolimus taken since February passed "no mTOR inhibitor in the last 12 weeks").
- A MedicationStatement ``draft`` is "preliminary" in R5, not "not taken": like R4 ``unknown``, the
  drug may have been taken, so the criterion is unknown, not "none recorded".
- A Procedure in progress dated by an R5 ``occurrencePeriod`` with no end is under way, as one
  dated by an R4 ``performedPeriod`` is; completed with no end, it ended on a day not recorded.
- R5 ``ImagingStudy.procedure`` (CodeableReferences) says what the study is, as R4 ``procedureCode``.
Expected results from E-E3 (no mTOR inhibitor... in the last 12 weeks) and E-E1 style windows.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.evaluation.facts import facts_of
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.cases.builders import AS_OF, ATC, SCT, patient
from tests.evaluation.test_real_semantics import E, criterion

Json = dict[str, Any]
EVEROLIMUS = {"coding": [{"system": ATC, "code": "L01EG02"}]}
ADHERENCE = "http://hl7.org/fhir/CodeSystem/medication-statement-adherence"


def r4_statement(status: str, **dated: Any) -> Json:
    return {
        "resourceType": "MedicationStatement",
        "id": "ms",
        "status": status,
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": EVEROLIMUS,
        **dated,
    }


def r5_statement(status: str, adherence: str | None = None, **dated: Any) -> Json:
    res: Json = {
        "resourceType": "MedicationStatement",
        "id": "ms",
        "status": status,
        "subject": {"reference": "Patient/p"},
        "medication": {"concept": EVEROLIMUS},
        **dated,
    }
    if adherence:
        res["adherence"] = {"code": {"coding": [{"system": ADHERENCE, "code": adherence}]}}
    return res


def e_result(resources: list[Json], cid: str) -> tuple[Result, str]:
    (result,) = evaluate_patient(PatientData("p", [patient(gender="male"), *resources]), [E], AS_OF)
    c = criterion(result, cid)
    return c.result, c.reason


@pytest.mark.parametrize("adherence", ["taking", "taking-as-directed", "taking-not-as-directed"])
@pytest.mark.parametrize("dated", [{"effectiveDateTime": "2026-02-01"}, {"effectivePeriod": {"start": "2026-02-01"}}])
def test_an_r5_statement_being_taken_is_ongoing_as_r4_active_is(adherence: str, dated: Json) -> None:
    (r4,) = facts_of(r4_statement("active", **dated))
    (r5,) = facts_of(r5_statement("recorded", adherence, **dated))
    assert r4.ongoing and r5.ongoing
    assert (r5.start, r5.end, r5.open_end) == (r4.start, r4.end, r4.open_end)


def test_an_r5_statement_being_taken_since_february_fails_no_mtor_in_12_weeks() -> None:
    r4 = r4_statement("active", effectiveDateTime="2026-02-01")
    r5 = r5_statement("recorded", "taking", effectiveDateTime="2026-02-01")
    assert e_result([r4], "E-E3")[0] is Result.FAIL  # the control
    result, reason = e_result([r5], "E-E3")
    assert result is Result.FAIL, reason


@pytest.mark.parametrize("adherence", ["stopped", "on-hold"])
def test_an_r5_statement_stopped_or_paused_is_not_ongoing(adherence: str) -> None:
    (fact,) = facts_of(r5_statement("recorded", adherence, effectiveDateTime="2026-02-01"))
    assert not fact.ongoing


def test_an_r5_draft_statement_is_uncertain_as_r4_unknown_is() -> None:
    (r4,) = facts_of(r4_statement("unknown", effectiveDateTime="2026-05-20"))
    (r5,) = facts_of(r5_statement("draft", effectiveDateTime="2026-05-20"))
    assert r4.verification == r5.verification == "unknown"
    r4_result = e_result([r4_statement("unknown", effectiveDateTime="2026-05-20")], "E-E3")
    r5_result = e_result([r5_statement("draft", effectiveDateTime="2026-05-20")], "E-E3")
    assert r5_result[0] is r4_result[0] is Result.UNKNOWN, r5_result[1]


def procedure(status: str, key: str, period: Json) -> Json:
    return {
        "resourceType": "Procedure",
        "id": "proc",
        "status": status,
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": SCT, "code": "33195004"}]},  # external beam radiotherapy
        key: period,
    }


@pytest.mark.parametrize("status", ["in-progress", "completed"])
def test_an_r5_procedure_period_without_an_end_reads_as_the_r4_one(status: str) -> None:
    (r4,) = facts_of(procedure(status, "performedPeriod", {"start": "2026-01-10"}))
    (r5,) = facts_of(procedure(status, "occurrencePeriod", {"start": "2026-01-10"}))
    assert (r5.start, r5.end, r5.ongoing, r5.open_end) == (r4.start, r4.end, r4.ongoing, r4.open_end)
    assert r5.ongoing is (status == "in-progress") and r5.open_end is (status == "completed")


def test_r5_imaging_study_procedure_gives_its_codes() -> None:
    pet = {"coding": [{"system": SCT, "code": "450436003"}]}
    base = {"resourceType": "ImagingStudy", "id": "img", "status": "available", "started": "2026-05-01"}
    (r4,) = facts_of({**base, "procedureCode": [pet]})
    (r5,) = facts_of({**base, "procedure": [{"concept": pet}, {"reference": {"reference": "Procedure/x"}}]})
    assert r5.codes == r4.codes == {(SCT, "450436003")}
