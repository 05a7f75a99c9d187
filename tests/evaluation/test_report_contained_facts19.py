"""Results a DiagnosticReport contains and lists in ``result`` ("#hb") are the patient's results.

Found by an adversarial review (adv19b 6): a lab feed sent the newest Hb (7.6 g/dL) only as an
Observation contained in its DiagnosticReport; it was ignored with no warning, and an older 13.2
g/dL passed "Hb > 8 g/dL" (A-I11-hb). The contained result is read like any other (clinical.md
§0.3: the most recent decides), referenced as ``DiagnosticReport/<id>#hb``.
"""

from __future__ import annotations

from typing import Any

from fhir_eligibility.evaluation.facts import facts_of
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.cases.builders import AS_OF, LOINC, obs, patient, q
from tests.evaluation.test_real_semantics import A, criterion, days_ago

Json = dict[str, Any]
OLD_HB = obs("718-7", days_ago(12), q(13.2, "g/dL"), rid="old")


def report(*contained: Json, linked: tuple[str, ...] = ("#hb",), status: str = "final", **extra: Any) -> Json:
    return {
        "resourceType": "DiagnosticReport",
        "id": "dr1",
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": "58410-2"}]},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": days_ago(2),
        "contained": list(contained),
        "result": [{"reference": r} for r in linked],
        **extra,
    }


def contained_hb(value: float, **extra: Any) -> Json:
    hb = {
        "resourceType": "Observation",
        "id": "hb",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "718-7"}]},
        "valueQuantity": q(value, "g/dL"),
        **extra,
    }
    return hb


def a_i11(resources: list[Json]) -> tuple[Result, str]:
    (result,) = evaluate_patient(PatientData("p", [patient(), *resources]), [A], AS_OF)
    c = criterion(result, "A-I11-hb")
    return c.result, c.reason


def test_a_newer_contained_hb_decides() -> None:
    assert a_i11([OLD_HB])[0] is Result.PASS  # the control
    dr = report(contained_hb(7.6, effectiveDateTime=days_ago(2), subject={"reference": "Patient/p"}))
    result, reason = a_i11([OLD_HB, dr])
    assert result is Result.FAIL, reason
    assert "7.6" in reason


def test_a_contained_result_without_subject_or_date_is_the_reports() -> None:
    (_report, hb) = facts_of(report(contained_hb(7.6)))
    assert hb.kind == "Observation" and hb.ref == "DiagnosticReport/dr1#hb"
    assert hb.date is not None and hb.date.isoformat() == days_ago(2)
    assert a_i11([OLD_HB, report(contained_hb(7.6))])[0] is Result.FAIL


def test_only_linked_and_usable_contained_results_are_read() -> None:
    assert len(facts_of(report(contained_hb(7.6), linked=()))) == 1  # not listed in result
    assert len(facts_of(report(contained_hb(7.6, status="entered-in-error")))) == 1
    assert facts_of(report(contained_hb(7.6), status="entered-in-error")) == []


def test_an_unreadable_contained_result_is_left_out_with_a_problem() -> None:
    problems: list[str] = []
    broken = contained_hb(7.6, code={"coding": "718-7"})
    assert len(facts_of(report(broken), problems=problems)) == 1
    assert any("#hb" in p for p in problems)
