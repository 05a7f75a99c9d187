"""Who may attest (review 20, finding 1): only study staff, whatever form the author reference is written in.

Expected by hand (docs/attestations.md, "Which answer counts"; clinical.md §0.9: a category-(c) item needs an
explicit attestation by a person; FHIR R4 ``QuestionnaireResponse.source`` is the person who answered):
sample-01 answered by a coordinator for trial A is eligible (every computable criterion passes, the 17 manual
items are answered favourably); the same answers by the patient, a relative, a device, an organisation or an
author whose kind cannot be read leave the manual items outstanding: needs-review. Before, ``_NOT_STAFF`` matched
only ``Patient/<id>`` and ``RelatedPerson/<id>`` as text, so ``Patient/sample-01/_history/2``, a contained
Patient, ``{"type": "Patient"}`` or a Device author with the patient as ``source`` counted as staff.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.evaluation.attestation_authors import not_staff
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Result, Verdict
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.report.questionnaire import questionnaire_response
from fhir_eligibility.screening.core import outcome_of
from fhir_eligibility.screening.fast import Screener
from tests.attestation_fixtures import AS_OF, BASE, TRIAL, coordinator_answers, evaluate_a, patient, response, top

PATIENT_P1 = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Lambert"}]}
DOCTOR = {"resourceType": "Practitioner", "id": "pr1", "name": [{"family": "Martin"}]}

NOT_STAFF: dict[str, dict[str, Any]] = {
    "patient": {"author": {"reference": "Patient/sample-01"}},
    "patient-versioned": {"author": {"reference": "Patient/sample-01/_history/2"}},
    "relative-versioned": {"author": {"reference": "RelatedPerson/r1/_history/1"}},
    "patient-absolute": {"author": {"reference": "https://ehr.example.org/fhir/Patient/sample-01"}},
    "patient-absolute-versioned": {
        "author": {"reference": "https://ehr.example.org/fhir/Patient/sample-01/_history/1"}
    },
    "patient-contained": {"author": {"reference": "#p1"}, "contained": [PATIENT_P1]},
    "patient-type-display": {"author": {"type": "Patient", "display": "Henri Lambert"}},
    "patient-type-identifier": {"author": {"type": "Patient", "identifier": {"system": "http://h/mrn", "value": "1"}}},
    "patient-type-uri": {"author": {"type": "http://hl7.org/fhir/StructureDefinition/Patient", "display": "H L"}},
    "patient-conditional": {"author": {"reference": "Patient?identifier=http://hospital/mrn|123"}},
    "device-for-patient": {
        "author": {"reference": "Device/patient-portal-app"},
        "source": {"reference": "Patient/sample-01"},
    },
    "device": {"author": {"reference": "Device/d1"}},
    "organization": {"author": {"reference": "Organization/o1", "display": "Hospital"}},
    "unresolved-urn": {"author": {"reference": "urn:uuid:4da06bc6-4104-5daf-9864-a2a6f6d16ef2"}},
    "unresolved-contained": {"author": {"reference": "#nobody"}, "contained": [PATIENT_P1]},
    "the-response-itself": {"author": {"reference": "#"}},
    "type-contradicts-reference": {"author": {"reference": "Practitioner/dr1", "type": "Patient"}},
    "staff-author-patient-source": {
        "author": {"reference": "Practitioner/dr1"},
        "source": {"reference": "Patient/sample-01/_history/3"},
    },
    "staff-author-relative-source-contained": {
        "author": {"reference": "Practitioner/dr1"},
        "source": {"reference": "#p1"},
        "contained": [{"resourceType": "RelatedPerson", "id": "p1"}],
    },
    "staff-author-patient-typed-source": {"author": {"display": "Dr Ada"}, "source": {"type": "Patient"}},
}

STAFF: dict[str, dict[str, Any]] = {
    "practitioner": {"author": {"reference": "Practitioner/dr1"}},
    "role-versioned": {"author": {"reference": "PractitionerRole/r1/_history/3"}},
    "practitioner-absolute": {"author": {"reference": "https://ehr.example.org/fhir/Practitioner/dr1/_history/2"}},
    "practitioner-contained": {"author": {"reference": "#pr1"}, "contained": [DOCTOR]},
    "practitioner-type-display": {"author": {"type": "Practitioner", "display": "Dr Ada"}},
    "practitioner-typed-urn": {
        "author": {"reference": "urn:uuid:4da06bc6-4104-5daf-9864-a2a6f6d16ef2", "type": "Practitioner"}
    },
    "practitioner-conditional": {"author": {"reference": "Practitioner?identifier=http://h/staff|9"}},
    # the name alone: what `attest --author "Dr X"`, its default (the OS user) and the static page write
    "display-only": {"author": {"display": "Claire Martin (research coordinator)"}},
    "staff-source": {"author": {"reference": "Practitioner/dr1"}, "source": {"reference": "PractitionerRole/r2"}},
}


def _answered(changes: dict[str, Any]) -> Any:
    return evaluate_a(patient(BASE, response(coordinator_answers(), **changes)))


@pytest.mark.parametrize("changes", NOT_STAFF.values(), ids=NOT_STAFF.keys())
def test_an_answer_by_anyone_but_study_staff_does_not_count(changes: dict[str, Any]) -> None:
    result = _answered(changes)
    consent = top(result, "A-I14")
    assert consent.result is Result.MANUAL and consent.attestation is None
    assert "attested by study staff" in consent.reason
    assert result.verdict is Verdict.NEEDS_REVIEW


@pytest.mark.parametrize("changes", STAFF.values(), ids=STAFF.keys())
def test_an_answer_by_study_staff_counts_in_any_form(changes: dict[str, Any]) -> None:
    result = _answered(changes)
    assert top(result, "A-I14").attestation is not None
    assert result.verdict is Verdict.ELIGIBLE


def test_the_screener_reads_authors_by_the_same_rule() -> None:
    """Screening (the compiled program's path) gives the explained evaluation's verdicts."""
    screener = Screener([TRIAL], AS_OF, Settings(explain=False))
    for changes in [*NOT_STAFF.values(), *STAFF.values()]:
        data = patient(BASE, response(coordinator_answers(), **changes))
        explained = [outcome_of(r).verdict for r in evaluate_patient(data, [TRIAL], AS_OF)]
        assert [o.verdict for o in screener.screen(data)] == explained, changes


def test_the_products_own_writers_round_trip() -> None:
    """`attest` (a name, or Practitioner/<id>) and the served form (the hook's userId as the reference, the
    typed name as its display) write authors that count."""
    writers = [("Dr X", None), ("Practitioner/ada", None)]  # attest
    writers += [("Dr Ada", "Practitioner/u1"), ("Dr Ada", "PractitionerRole/u2"), ("Dr Ada", "")]  # the served form
    for author, reference in writers:
        qr = questionnaire_response(
            TRIAL,
            "sample-01",
            coordinator_answers(),
            author=author,
            author_reference=reference,
            authored="2026-05-20T10:00:00+00:00",
            response_id="qr-w",
        )
        assert evaluate_a(patient(BASE, qr)).verdict is Verdict.ELIGIBLE, (author, reference)


@pytest.mark.parametrize(
    ("author", "refused"),
    [
        ({"reference": "Patient/p1/_history/2"}, True),
        ({"reference": "https://x/fhir/RelatedPerson/r1"}, True),
        ({"reference": "Device/d1"}, True),
        ({"reference": "Person/x"}, True),
        ({"type": "Patient", "display": "H"}, True),
        ({"reference": "Practitioner/p1"}, False),
        ({"reference": "PractitionerRole/p1/_history/1"}, False),
        ({"reference": "Dr X"}, False),  # `attest --author "Dr X"` asks about the name it writes as a display
        ({"reference": ""}, False),
        ({"display": "Dr X"}, False),
    ],
)
def test_not_staff_is_what_the_writers_refuse(author: dict[str, str], refused: bool) -> None:
    """`attest` and the served form refuse an author that names any kind but a Practitioner(Role)."""
    assert not_staff(author) is refused
