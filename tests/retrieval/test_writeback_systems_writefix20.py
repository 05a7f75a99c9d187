"""Write-back reads an identifier system spelled a trivially different way as the same system.

Adversarial review 20: staff's ResearchStudy named the registry ``https://clinicaltrials.gov/`` (a
trailing slash); write-back compared systems exactly, so it created a second ResearchStudy and a
``candidate`` subject beside staff's ``on-study`` one. Worked by hand: the server's study carries the
NCT number (the same registry), staff's subject of sample-01 names it, so nothing is created: the
subject is kept as staff set it (a conflict: on-study vs candidate) and the results, recording no
status, are the only thing written. The product's own subject system is compared the same way: a
subject carrying our key under a variant of it is never duplicated.
"""

from __future__ import annotations

import datetime as dt

import pytest
import responses

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.results import Verdict
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions
from fhir_eligibility.writeback import Outcome, Written, send, transactions
from tests.test_write_back_review18 import BASE, SUBJECT, Stored

TRIAL = Trial("NCT01842165", "A trial", ())
NCT = "https://clinicaltrials.gov"
VARIANTS = [
    "https://clinicaltrials.gov/",
    "http://clinicaltrials.gov/",
    " https://clinicaltrials.gov ",
    "https://ClinicalTrials.gov",
    "HTTPS://clinicaltrials.gov",
    "https://www.clinicaltrials.gov/",
]


def _run(pid: str, verdict: Verdict = Verdict.NEEDS_REVIEW) -> Outcome:
    bundles = transactions([Written(TRIAL.id, pid, verdict)], [TRIAL], "2026-06-01T10:00:00+00:00", dt.date(2026, 6, 1))
    with FhirServer(ServerOptions(BASE, use_env_token=False)) as server:
        return send(server, bundles)


def _staff(server: Stored, system: str, by_identifier: bool) -> str:
    study = server.put({"resourceType": "ResearchStudy", "identifier": [{"system": system, "value": TRIAL.id}]})
    named = (
        {"identifier": {"system": system, "value": TRIAL.id}}
        if by_identifier
        else {"reference": f"ResearchStudy/{study['id']}"}
    )
    subject = {"resourceType": "ResearchSubject", "status": "on-study", "study": named}
    return str(server.put({**subject, "individual": {"reference": "Patient/sample-01"}})["id"])


@pytest.mark.parametrize("by_identifier", [False, True], ids=["by-reference", "by-identifier"])
@pytest.mark.parametrize("system", VARIANTS)
def test_staff_s_study_under_a_variant_of_the_registry_s_system(
    rsps: responses.RequestsMock, system: str, by_identifier: bool
) -> None:
    server = Stored(rsps)
    staff = _staff(server, system, by_identifier)
    out = _run("sample-01")
    assert (out.created, out.updated, out.kept, out.failed) == (0, 0, 1, [])
    assert len(server.of("ResearchStudy")) == 1, "a second ResearchStudy"
    assert [r["id"] for r in server.of("ResearchSubject")] == [staff]
    assert server.store[("ResearchSubject", staff)]["status"] == "on-study"
    ((_, conflict),) = out.conflicts
    assert "'on-study'" in conflict and "'candidate'" in conflict


@pytest.mark.parametrize("system", VARIANTS[:2])
def test_a_new_subject_names_the_study_found_under_a_variant(rsps: responses.RequestsMock, system: str) -> None:
    server = Stored(rsps)
    study = server.put({"resourceType": "ResearchStudy", "identifier": [{"system": system, "value": TRIAL.id}]})
    assert _run("p1").created == 1
    assert len(server.of("ResearchStudy")) == 1
    (subject,) = server.of("ResearchSubject")
    assert subject["study"]["reference"] == f"ResearchStudy/{study['id']}"


@pytest.mark.parametrize("matching", ["exact", "ignore"])
@pytest.mark.parametrize("system", [SUBJECT + "/", " " + SUBJECT])
def test_a_subject_with_our_key_under_a_variant_of_our_system_is_not_duplicated(
    rsps: responses.RequestsMock, system: str, matching: str
) -> None:
    server = Stored(rsps, matching)
    study = server.put(
        {"resourceType": "ResearchStudy", "identifier": [{"system": "https://clinicaltrials.gov", "value": TRIAL.id}]}
    )
    held = server.put(
        {
            "resourceType": "ResearchSubject",
            "identifier": [{"system": system, "value": f"{TRIAL.id}/p1"}],
            "status": "on-study",
            "study": {"reference": f"ResearchStudy/{study['id']}"},
            "individual": {"reference": "Patient/p1"},
        }
    )
    out = _run("p1", Verdict.INELIGIBLE)
    assert (out.created, out.updated, out.kept, out.failed) == (0, 0, 1, [])
    assert [r["id"] for r in server.of("ResearchSubject")] == [held["id"]]
    assert server.store[("ResearchSubject", held["id"])]["status"] == "on-study"
