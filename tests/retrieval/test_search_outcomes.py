"""A searchset's OperationOutcome entry (``search.mode`` = outcome): an issue saying data were left out
(``incomplete``, ``too-costly``, ``throttled``) means the server did not return everything, so the
searched type is unknown for the patient, not absent; an ``information`` one is ignored, and so is Epic's
"no results" notice (warning/processing, details code 4101), which Epic sends with every empty search.
A warning/processing issue says nothing of missing matches: noted, the answer read. (A review had read
warning/processing as cut short: on Epic every empty search then made its type unknown, and a CDS call
for almost any patient answered 412, no cards.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import responses

from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients
from fhir_eligibility.retrieval.transport import Fault, read_page
from tests.retrieval.fake_fhir import BASE, SNOMED, FakeFhir, cond, patient

NET = (SNOMED, "443492008")
REQS = [
    DataRequirement("Patient", criteria=frozenset({"age"})),
    DataRequirement("Condition", frozenset({NET}), None, frozenset({"net"})),
]


def with_outcome(severity: str, code: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def mangle(body: dict[str, Any]) -> dict[str, Any]:
        outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code}]}
        entry = {"resource": outcome, "search": {"mode": "outcome"}}
        return {**body, "entry": [*body["entry"], entry]}

    return mangle


@pytest.fixture
def fake(rsps: responses.RequestsMock) -> FakeFhir:
    # p1 has no Condition on record here: an empty answer, or one the server says it cut short
    f = FakeFhir([patient("p1"), cond("c9", "p2", "443492008")])
    f.install(rsps)
    return f


def fetch(batch: bool) -> PatientData:
    (data,) = fetch_patients(ServerOptions(BASE, batch="always" if batch else "never"), ["p1"], REQS)
    return data


@pytest.mark.parametrize("batch", [True, False])
@pytest.mark.parametrize("code", ["incomplete", "too-costly", "throttled"])
def test_a_warning_that_the_search_was_cut_short_makes_the_type_unknown(fake: FakeFhir, code: str, batch: bool) -> None:
    """An empty Condition searchset with a warning outcome: not "no NET diagnosis" (which would exclude
    p1 from every trial) but Condition unavailable for p1, the outcome's code said."""
    fake.mangle["Condition"] = with_outcome("warning", code)
    data = fetch(batch)
    (gone,) = data.unavailable
    assert gone.resource_type == "Condition" and gone.codes == frozenset({NET})
    assert "incomplete" in gone.reason and repr(code) in gone.reason


@pytest.mark.parametrize("batch", [True, False])
def test_an_information_outcome_is_ignored(fake: FakeFhir, batch: bool) -> None:
    """information/processing (e.g. "no results") changes nothing: the empty answer is the answer, and
    no warning is added."""
    fake.mangle["Condition"] = with_outcome("information", "processing")
    data = fetch(batch)
    assert data.unavailable == () and data.warnings == []
    assert [r["resourceType"] for r in data.resources] == ["Patient"]


@pytest.mark.parametrize("batch", [True, False])
def test_epics_no_results_warning_is_an_empty_answer(fake: FakeFhir, batch: bool) -> None:
    """Epic's shape for a search that finds nothing: an empty Condition answer, read as none, no warning."""

    def epic(body: dict[str, Any]) -> dict[str, Any]:
        issue = {
            "severity": "warning",
            "code": "processing",
            "details": {
                "coding": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.657369", "code": "4101"}],
                "text": "Resource request returns no results.",
            },
        }
        entry = {"resource": {"resourceType": "OperationOutcome", "issue": [issue]}, "search": {"mode": "outcome"}}
        return {**body, "entry": [*body["entry"], entry]}

    fake.mangle["Condition"] = epic
    data = fetch(batch)
    assert data.unavailable == () and data.warnings == []


@pytest.mark.parametrize("code", ["processing", "informational"])
def test_another_warning_is_noted_and_the_answer_read(fake: FakeFhir, code: str) -> None:
    """A warning of another type says nothing of missing matches: noted by severity/code, the answer read."""
    fake.mangle["Condition"] = with_outcome("warning", code)
    data = fetch(True)
    assert data.unavailable == ()
    assert data.warnings == [f"Condition search: the server noted: warning/{code}"]


def test_read_page_refuses_a_page_cut_short() -> None:
    page = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": cond("c1", "p1", "443492008"), "search": {"mode": "match"}},
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "warning", "code": "incomplete"}],
                },
                "search": {"mode": "outcome"},
            },
        ],
    }
    with pytest.raises(Fault, match="incomplete"):
        read_page(page, "Condition")
