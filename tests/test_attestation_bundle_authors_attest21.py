"""An attestation whose ``author`` is the ``urn:uuid`` fullUrl of a Practitioner entry of its own Bundle (attest21).

EHRs write a transaction or collection Bundle so: the Practitioner entry's fullUrl is ``urn:uuid:...`` and the
QuestionnaireResponse's author names it. Only that Bundle resolves it; the reader keeps each patient's resources,
not the Bundle (and not the Practitioner: it is about no patient), so the answer named nobody and did not count,
while the same response stored on a server (which rewrites the reference to ``Practitioner/<id>``) counted
through the CDS prefetch. :func:`typed_by_bundle` gives the reference the type of the entry it names; the
allow-list then reads it as any typed reference (docs/attestations.md, "Who attests").

Expected, on trial A and sample 01 (eligible once its 17 manual items are answered, tests/attestation_fixtures.py):
a Practitioner or PractitionerRole entry counts; a Patient or RelatedPerson entry is the patient or a relative;
a urn:uuid no entry carries names nobody (the existing reason); a stated type that disagrees with the entry
never makes the answer count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.evaluation.attestation_authors import typed_by_bundle
from fhir_eligibility.evaluation.results import Result, Verdict
from fhir_eligibility.retrieval.files import read_patients
from tests.attestation_fixtures import BASE, coordinator_answers, evaluate_a, patient, response, top

ADA = "urn:uuid:0f6a3c1e-5b7d-4e2a-9c61-2d8e4b7a9f10"
CONSENT = "A-I14"


def _by(author: dict[str, Any], **more: Any) -> dict[str, Any]:
    return response(coordinator_answers(), author=author, **more)


@pytest.mark.parametrize("kind", ["Practitioner", "PractitionerRole"])
def test_a_staff_entry_named_by_its_fullurl_counts(kind: str) -> None:
    qr = typed_by_bundle(_by({"reference": ADA, "display": "Ada"}), {ADA: kind})
    result = evaluate_a(patient(BASE, qr))
    assert result.verdict is Verdict.ELIGIBLE
    consent = top(result, CONSENT)
    assert consent.attestation is not None and consent.attestation.by == f"Ada ({ADA})"


@pytest.mark.parametrize("kind", ["Patient", "RelatedPerson"])
def test_the_patient_or_a_relative_named_by_fullurl_does_not_count(kind: str) -> None:
    qr = typed_by_bundle(_by({"reference": ADA}), {ADA: kind})
    consent = top(evaluate_a(patient(BASE, qr)), CONSENT)
    assert consent.result is Result.MANUAL
    assert f"its author is a {kind}: the patient or a relative" in consent.reason


def test_a_urn_uuid_no_entry_carries_names_nobody_as_before() -> None:
    qr = _by({"reference": ADA})
    assert typed_by_bundle(qr, {"urn:uuid:someone-else": "Practitioner"}) is qr
    consent = top(evaluate_a(patient(BASE, qr)), CONSENT)
    assert consent.result is Result.MANUAL
    assert "its author's reference names no Practitioner or PractitionerRole" in consent.reason


def test_an_absolute_fullurl_resolves_and_the_source_is_read_too() -> None:
    url = "https://ehr.example/people/ada"  # not a RESTful [base]/Type/id url: only the Bundle says who it is
    assert evaluate_a(patient(BASE, typed_by_bundle(_by({"reference": url}), {url: "Practitioner"}))).verdict is (
        Verdict.ELIGIBLE
    )
    mother = "urn:uuid:7d1c2b3a-0000-4000-8000-000000000001"
    qr = typed_by_bundle(
        _by({"reference": url}, source={"reference": mother}), {url: "Practitioner", mother: "RelatedPerson"}
    )
    consent = top(evaluate_a(patient(BASE, qr)), CONSENT)
    assert consent.result is Result.MANUAL and "its source is a RelatedPerson" in consent.reason


@pytest.mark.parametrize(("stated", "entry"), [("Practitioner", "Patient"), ("Patient", "Practitioner")])
def test_a_stated_type_disagreeing_with_the_entry_never_counts(stated: str, entry: str) -> None:
    qr = typed_by_bundle(_by({"reference": ADA, "type": stated}), {ADA: entry})
    assert top(evaluate_a(patient(BASE, qr)), CONSENT).result is Result.MANUAL


def _ehr_bundle(tmp_path: Path, bundle_type: str) -> Path:
    """Sample 01's Bundle as an EHR writes it with an attestation: a Practitioner entry and a response naming it
    by its fullUrl."""
    bundle = json.loads(BASE.read_text())
    pid = bundle["entry"][0]["resource"]["id"]
    qr = {**_by({"reference": ADA, "display": "Ada"}), "subject": {"reference": f"Patient/{pid}"}}
    ada = {"resourceType": "Practitioner", "name": [{"family": "Lovelace", "given": ["Ada"]}]}
    bundle["type"] = bundle_type
    bundle["entry"] += [
        {"fullUrl": ADA, "resource": ada, "request": {"method": "POST", "url": "Practitioner"}},
        {"fullUrl": "urn:uuid:9b0e8f4c-1111-4222-8333-444455556666", "resource": qr},
    ]
    if bundle_type != "transaction":
        for e in bundle["entry"]:
            e.pop("request", None)
    path = tmp_path / f"{bundle_type}.json"
    path.write_text(json.dumps(bundle))
    return path


@pytest.mark.parametrize("bundle_type", ["transaction", "collection"])
def test_read_from_the_ehr_bundle_the_answer_counts(tmp_path: Path, bundle_type: str) -> None:
    (data,) = read_patients([_ehr_bundle(tmp_path, bundle_type)])[0]
    assert evaluate_a(data).verdict is Verdict.ELIGIBLE
