"""Matching a batch-response's entries to the request's: by position (FHIR says they are in the
request's order) while no ``self`` link contradicts it; once one does, an entry that nothing else
places is a fault for its search, never "no records" (clinical rule: a fault never makes anyone
ineligible)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import responses

from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.retrieval.merge import OUT_OF_ORDER
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions, fetch_patients
from tests.retrieval.fake_fhir import BASE, LOINC, SNOMED, FakeFhir, cond, obs, patient

NET = (SNOMED, "443492008")
HB = (LOINC, "718-7")
REQS = [
    DataRequirement("Patient", criteria=frozenset({"age"})),
    DataRequirement("Observation", frozenset({HB}), date(2025, 1, 1), frozenset({"hb"})),
    DataRequirement("Condition", frozenset({NET}), None, frozenset({"net"})),
]
# p1 has the NET diagnosis; p2 has none
WORLD = [patient("p1"), patient("p2"), obs("o1", "p1", "718-7"), cond("c1", "p1", "443492008")]


def ids(data: PatientData) -> set[str]:
    return {f"{r['resourceType']}/{r['id']}" for r in data.resources}


def no_self_when_empty(body: dict[str, Any]) -> dict[str, Any]:
    """A server that writes no self link into an empty searchset (it has nothing to page)."""
    if not body.get("entry"):
        body = {k: v for k, v in body.items() if k != "link"}
    return body


def no_self(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "link"}


@pytest.fixture
def fake(rsps: responses.RequestsMock) -> FakeFhir:
    f = FakeFhir(list(WORLD))
    f.install(rsps)
    return f


def test_an_empty_answer_without_self_link_in_a_reordered_batch_is_a_fault(fake: FakeFhir) -> None:
    """The server answers the two Condition searches in completion order: p1's position holds p2's
    answer (empty, no self link), p2's holds p1's (c1, self link naming p1). By position alone p1 has
    "no NET diagnosis" (a false ineligible). p2's entry shows the order is wrong, so p1's unconfirmed
    entry is not read: p1's Condition is unavailable, and so is p2's; the Observations, whose self
    links confirm them, are read."""
    fake.swap = "Condition"
    fake.mangle["Condition"] = no_self_when_empty
    p1, p2 = fetch_patients(ServerOptions(BASE, patients_per_batch=2), ["p1", "p2"], REQS)
    (gone1,) = p1.unavailable
    assert gone1.resource_type == "Condition" and gone1.codes == frozenset({NET})
    assert gone1.reason == OUT_OF_ORDER
    (gone2,) = p2.unavailable
    assert gone2.resource_type == "Condition" and "names another" in gone2.reason
    assert ids(p1) == {"Patient/p1", "Observation/o1"}
    assert ids(p2) == {"Patient/p2"}


def test_in_order_answers_without_self_links_are_matched_by_position(fake: FakeFhir) -> None:
    """Same count as the request and nothing contradicting the order: each entry is its request's,
    an empty one is "none" (p2 has no Condition), c1 is p1's."""
    for kind in ("Patient", "Observation", "Condition"):
        fake.mangle[kind] = no_self
    p1, p2 = fetch_patients(ServerOptions(BASE, patients_per_batch=2), ["p1", "p2"], REQS)
    assert p1.unavailable == () and p2.unavailable == ()
    assert ids(p1) == {"Patient/p1", "Observation/o1", "Condition/c1"}
    assert ids(p2) == {"Patient/p2"}


def test_an_unplaced_patient_answer_in_a_reordered_batch_leaves_the_patient_unfetched(fake: FakeFhir) -> None:
    """The Patient answers carry no self link and the Conditions are swapped: whose Patient entry is
    whose cannot be told, so neither patient is fetched from this batch (a fault, not a verdict);
    fetched alone, in order, each is read."""
    fake.swap = "Condition"
    fake.mangle["Patient"] = no_self
    with (
        FhirServer(ServerOptions(BASE, patients_per_batch=2)) as server,
        pytest.raises(RetrievalError, match="could not be fetched"),
    ):
        list(server.fetch_patients(["p1", "p2"], REQS))
    skipped: list[tuple[str, str]] = []
    p1, p2 = fetch_patients(ServerOptions(BASE, patients_per_batch=2), ["p1", "p2"], REQS, skipped=skipped)
    assert skipped == []
    assert ids(p1) == {"Patient/p1", "Observation/o1", "Condition/c1"} and p1.unavailable == ()
    assert ids(p2) == {"Patient/p2"} and p2.unavailable == ()
