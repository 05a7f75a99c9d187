"""Reading conditions, allergies and procedures: codes, clinical statuses, partial and vague onsets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.cases.builders import ICD, SCT, Json, condition, has, patient, run, window

MI_12_MONTHS = {
    "linkId": "mi",
    "exclude": True,
    "definitionByTypeAndValue": has(["Condition"], [(ICD, "I21.9")]),
    "timeFromEvent": [
        {
            "eventCodeableConcept": {
                "coding": [{"system": "http://fhir-eligibility.org/fhir/CodeSystem/eligibility", "code": "study-start"}]
            },
            "range": {"low": {"value": -12, "unit": "mo", "system": "http://unitsofmeasure.org", "code": "mo"}},
        }
    ],
}


@pytest.mark.parametrize(
    ("onset", "expected"),
    [
        ("2025-06", "unknown"),  # June 2025 straddles the window's start, 2025-06-15: either way
        ("2025", "unknown"),
        ("2025-05", "pass"),  # wholly before the window: not within 12 months
        ("2025-07", "fail"),  # wholly inside: a myocardial infarction within 12 months
        ("2025-06-20", "fail"),
        ("2025-06-10", "pass"),
    ],
)
def test_a_partial_date_across_a_window_bound_is_not_knowable(onset: str, expected: str) -> None:
    """clinical.md §0.12: a partial date means any of its days; it decides only when they all fall
    on one side of the window's bound (it was read as its first day: "2025-06" passed)."""
    mi = condition(ICD, "I21.9", onset)
    result = run(MI_12_MONTHS, [patient(), mi], as_of=dt.date(2026, 6, 15))
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


NET = {"linkId": "net", "definitionByTypeAndValue": has(["Condition"], [(ICD, "C7A.012")])}
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def _coded_as(code: object) -> Json:
    c = condition(ICD, "C7A.012")
    c["code"]["coding"][0]["code"] = code
    return c


def _clinical(*codings: tuple[str, str]) -> Json:
    c = condition(ICD, "C7A.012")
    c["clinicalStatus"] = {"coding": [{"system": s, "code": v} for s, v in codings]} if codings else {"text": "Active"}
    return c


@pytest.mark.parametrize("code", [["C7A.012"], {"code": "C7A.012"}, True, 7.012])
def test_a_diagnosis_whose_code_is_not_text_is_unknown_not_absent(code: object) -> None:
    """Adversarial review: a code written as a list (or an object, a boolean, a decimal) was shown as
    the text "['C7A012']", the record's loss was narrowed to that false code, and the closed-world
    diagnosis read "none recorded": fail. Nothing readable says which diagnosis it is: unknown."""
    result = run(NET, [patient(), _coded_as(code)])
    assert result.criteria[0].result.value == "unknown", result.criteria[0].reason


@pytest.mark.parametrize(
    ("codings", "expected"),
    [
        ([(CLINICAL, "active")], "pass"),
        ([("urn:oid:1.2.3.4.local", "A"), (CLINICAL, "active")], "pass"),  # the standard code is read
        ([(CLINICAL, "resolved")], "fail"),
        ([("urn:oid:1.2.3.4.local", "5")], "unknown"),  # a site's own code: active or not is not known
        ([(CLINICAL, "unknown")], "unknown"),  # R5's "unknown"
        ([], "pass"),  # text only, "Active" (second review: read as unknown, it had made trials undetermined)
    ],
)
def test_a_clinical_status_coded_otherwise_is_unknown_not_inactive(
    codings: list[tuple[str, str]], expected: str
) -> None:
    """Adversarial review: a clinicalStatus coded only with a site's code ("5") was read as inactive,
    so the diagnosis was absent: fail (ineligible). clinical.md §0.7 counts active, recurrence and
    relapse; inactive, remission and resolved do not count; anything else cannot be placed."""
    result = run(NET, [patient(), _clinical(*codings)])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


ALLERGY = {"linkId": "allergy", "definitionByTypeAndValue": has(["AllergyIntolerance"], [(SCT, "293587009")])}
EBRT = {"linkId": "ebrt", "definitionByTypeAndValue": has(["Procedure"], [(SCT, "33195004")])}


def _allergy(clinical: str | None, verification: str | None) -> Json:
    a: Json = {
        "resourceType": "AllergyIntolerance",
        "id": "a1",
        "patient": {"reference": "Patient/p"},
        "code": {"coding": [{"system": SCT, "code": "293587009"}]},
        "recordedDate": "2024-01-10",
    }
    if clinical:
        system = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
        a["clinicalStatus"] = {"coding": [{"system": system, "code": clinical}]}
    if verification:
        system = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
        a["verificationStatus"] = {"coding": [{"system": system, "code": verification}]}
    return a


@pytest.mark.parametrize(
    ("clinical", "verification", "expected"),
    [
        ("active", "confirmed", "pass"),
        (None, None, "pass"),
        ("active", "unconfirmed", "unknown"),  # suspected: neither present nor absent
        ("active", "presumed", "unknown"),  # R5's "presumed"
        ("resolved", "confirmed", "fail"),  # no longer an allergy
        ("inactive", None, "fail"),
        ("active", "refuted", "fail"),
    ],
)
def test_an_allergys_status_is_read_as_a_conditions(
    clinical: str | None, verification: str | None, expected: str
) -> None:
    """Adversarial review: an unconfirmed, resolved or inactive octreotide allergy failed A-E15 and
    D-E17 (hypersensitivity) as decisively as a confirmed one; only Conditions' statuses were read."""
    result = run(ALLERGY, [patient(), _allergy(clinical, verification)])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("completed", "pass"),
        ("stopped", "unknown"),  # begun and stopped early: done or aborted is not known (an aborted resection)
        ("on-hold", "unknown"),
        ("in-progress", "pass"),
        ("unknown", "unknown"),  # done or not is not known: never "none recorded"
        ("not-done", "fail"),
        ("preparation", "fail"),
        ("entered-in-error", "fail"),
    ],
)
def test_a_procedure_stopped_early_was_done(status: str, expected: str) -> None:
    """Adversarial review: radiotherapy or a resection `stopped` early (or `unknown`) was dropped as if
    it had not happened: E-E3 and B-E1 passed. A stopped or paused procedure began, but whether it was
    done is not known (a second review: an aborted resection had passed D-I5): uncertain, never absent."""
    proc = {
        "resourceType": "Procedure",
        "id": "rt1",
        "status": status,
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": SCT, "code": "33195004"}]},
        "performedPeriod": {"start": "2026-04-01", "end": "2026-04-10"},
    }
    result = run(EBRT, [patient(), proc])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


MI_SCT_12_MONTHS = {
    "linkId": "mi",
    "exclude": True,
    "definitionByTypeAndValue": has(["Condition"], [(SCT, "22298006")]),
    "timeFromEvent": window(-365),
}


def _mi(**onset: Any) -> Json:
    c = condition(SCT, "22298006")
    c.pop("onsetDateTime", None)
    return {**c, **onset}


@pytest.mark.parametrize(
    ("onset", "expected"),
    [
        ({"onsetPeriod": {"start": "2025-07-01", "end": "2025-08-01"}}, "fail"),  # inside the 12 months
        ({"onsetPeriod": {"start": "2025-05-01", "end": "2025-07-01"}}, "unknown"),  # across its start (2025-06-01)
        ({"onsetPeriod": {"start": "2024-01-01", "end": "2024-03-01"}}, "pass"),
        ({"onsetPeriod": {"start": "2025-05-01", "end": "2025-06"}}, "unknown"),
        # born 1960-01-01: aged 40 from 2000-01-01 to 2000-12-31, long before; recorded at intake last month
        (
            {
                "onsetAge": {"value": 40, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"},
                "recordedDate": "2026-05-15",
            },
            "pass",
        ),
        (
            {"onsetAge": {"value": 66, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"}},
            "unknown",
        ),  # 2026-01-01..12-31
    ],
)
def test_an_onset_known_only_within_a_period_or_an_age(onset: Json, expected: str) -> None:
    """Adversarial review: an MI with onsetPeriod 2025-05-01..07-01 was placed on 2025-05-01, outside
    the 12 months before 2026-06-01 (from 2025-06-01): A-E10 passed; its onset may be inside. An MI at
    age 40 (about 2000) was dated by its recordedDate (last month): fail. The onset lies somewhere in
    the period or the year of that age: in the window, outside it, or not knowable."""
    result = run(MI_SCT_12_MONTHS, [patient(), _mi(**onset)])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason
