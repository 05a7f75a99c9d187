"""An author reference with a trailing slash (review of dates, 2026-12-07): ``Practitioner/p1/`` counted before
the allow-list of "Who attests" and no longer did (its type could not be read); it names a Practitioner, and
``Patient/sample-01/`` a patient, as without the slash (docs/attestations.md)."""

from __future__ import annotations

import pytest

from fhir_eligibility.evaluation.attestation_authors import not_staff
from fhir_eligibility.evaluation.results import Result, Verdict
from tests.attestation_fixtures import BASE, coordinator_answers, evaluate_a, patient, response, top


@pytest.mark.parametrize(
    "reference", ["Practitioner/p1/", "https://ehr.example/fhir/Practitioner/p1/", "PractitionerRole/r/_history/2/"]
)
def test_a_staff_reference_with_a_trailing_slash_counts(reference: str) -> None:
    qr = response(coordinator_answers(), author={"reference": reference})
    assert evaluate_a(patient(BASE, qr)).verdict is Verdict.ELIGIBLE


@pytest.mark.parametrize("reference", ["Patient/sample-01/", "RelatedPerson/r1/", "Device/app/"])
def test_another_type_with_a_trailing_slash_still_does_not_count(reference: str) -> None:
    qr = response(coordinator_answers(), author={"reference": reference})
    consent = top(evaluate_a(patient(BASE, qr)), "A-I14")
    assert consent.result is Result.MANUAL and "does not count" in consent.reason
    assert not_staff({"reference": reference})
