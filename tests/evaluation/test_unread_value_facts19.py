"""A newer result whose value is in a form no criterion reads makes the measurement unknown.

Found by an adversarial review (adv19b 1): a newer serum hCG sent as ``valueCodeableConcept`` with
only ``text``, an ECOG score as text, a Ki-67 sent as ``valueRange`` were skipped as if they had no
value, so an older result decided, with no warning. clinical.md §0.3/§0.16: the most recent result
decides; one whose value cannot be read is a measurement all the same (its value is not known), so
the criterion is unknown. Only a result with no value at all (``dataAbsentReason``) is passed over.
Expected results from A-I11-hb (Hb > 8 g/dL, within 28 days) and E-I9 (ECOG 0-1).
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.evaluation.facts import facts_of
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.cases.builders import AS_OF, LOINC, obs, patient, q
from tests.evaluation.test_real_semantics import A, E, criterion, days_ago

Json = dict[str, Any]
OLD_HB = obs("718-7", days_ago(12), q(13.2, "g/dL"), rid="old")
UNREAD = {
    "a concept with only text": {"valueCodeableConcept": {"text": "7.0"}},
    "free text": {"valueString": "Low (see comment)"},
    "a range": {"valueRange": {"low": q(6, "g/dL"), "high": q(8, "g/dL")}},
    "a ratio": {"valueRatio": {"numerator": q(7, "g/dL"), "denominator": {"value": 1}}},
    "a quantity with no number": {"valueQuantity": {"unit": "g/dL"}},
}


def result_of(trial: Any, resources: list[Json], cid: str) -> tuple[Result, str]:
    (result,) = evaluate_patient(PatientData("p", resources), [trial], AS_OF)
    c = criterion(result, cid)
    return c.result, c.reason


@pytest.mark.parametrize("shape", sorted(UNREAD))
def test_a_newer_unread_hb_makes_hb_unknown(shape: str) -> None:
    newer = obs("718-7", days_ago(1), rid="new", **UNREAD[shape])
    result, reason = result_of(A, [patient(), OLD_HB, newer], "A-I11-hb")
    assert result is Result.UNKNOWN, reason
    assert "newer result has an invalid value" in reason and "Observation/new" in reason


@pytest.mark.parametrize("shape", sorted(UNREAD))
def test_an_older_unread_hb_does_not_hide_a_newer_valid_one(shape: str) -> None:
    older = obs("718-7", days_ago(12), rid="bad", **UNREAD[shape])
    newer = obs("718-7", days_ago(1), q(13.2, "g/dL"), rid="good")
    assert result_of(A, [patient(), older, newer], "A-I11-hb")[0] is Result.PASS


def test_a_newer_result_with_data_absent_reason_is_still_skipped() -> None:
    absent = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "error"}]}
    newer = obs("718-7", days_ago(1), rid="new", dataAbsentReason=absent)
    result, reason = result_of(A, [patient(), OLD_HB, newer], "A-I11-hb")
    assert result is Result.PASS, reason
    assert "skipped" in reason


def test_a_newer_ecog_as_text_makes_ecog_unknown() -> None:
    ecog = "89247-1"
    one = {"coding": [{"system": LOINC, "code": "LA9623-5"}]}  # ECOG 1 as its LOINC answer
    old = obs(ecog, days_ago(12), rid="ecog-old", valueCodeableConcept=one)
    text = obs(ecog, days_ago(2), rid="ecog-text", valueCodeableConcept={"text": "3 - limited selfcare"})
    assert result_of(E, [patient(), old], "E-I9")[0] is Result.PASS  # the control
    result, reason = result_of(E, [patient(), old, text], "E-I9")
    assert result is Result.UNKNOWN, reason


def test_the_fact_says_which_value_could_not_be_read() -> None:
    problems: list[str] = []
    res = obs("718-7", days_ago(1), rid="new", valueCodeableConcept={"text": "Negative (<5 mIU/mL)"})
    (fact,) = facts_of(res, problems=problems)
    assert fact.note is not None and fact.note.startswith("invalid value")
    assert "valueCodeableConcept 'Negative (<5 mIU/mL)'" in fact.note
    assert problems


def test_a_concept_with_only_a_known_answer_text_reads_as_that_text_in_a_value_string() -> None:
    """A concept with only the text "Negative" is the answer a valueString "Negative" is (review 19, f1a:
    a newer negative serum hCG sent so is the most recent result, not an unreadable one)."""
    from fhir_eligibility.evaluation.observed import value_fields

    as_concept = value_fields({"valueCodeableConcept": {"text": "Negative"}}, [], frozenset(), None, None)
    as_string = value_fields({"valueString": "Negative"}, [], frozenset(), None, None)
    assert as_concept["value_codes"] and as_concept["value_codes"] == as_string["value_codes"]
    assert "note" not in as_concept
    odd = value_fields({"valueCodeableConcept": {"text": "seen by Dr X"}}, [], frozenset(), None, None)
    assert "is not a value the criteria read" in odd["note"]
