"""A ``next`` link is one whatever its case (review 21, CDS, finding 1).

R4/R5 ``Bundle.link.relation`` is an IANA link relation, and RFC 8288 §2.1.1 compares relation names
case-insensitively. Before, a page whose link said ``"Next"`` was taken as the whole answer: the CDS
service built cards from page 1 of the Conditions (closed world: a brain metastasis on page 2 missing
reads as "none recorded"), and ``evaluate --server`` never asked for page 2. By hand: such a page has a
next link, so the prefetch key is incomplete (the service then asks the server or answers 412) and
the server path follows it.
"""

from __future__ import annotations

import pytest

from fhir_eligibility.retrieval.transport import read_page
from fhir_eligibility.service.prefetch import parse_request, read_prefetch
from tests.service.support import hook_body
from tests.service.test_prefetch_request import PATIENT, TEMPLATES, bundle, obs


@pytest.mark.parametrize("relation", ["next", "Next", "NEXT", " next "])
def test_a_next_link_in_any_case_is_a_next_link(relation: str) -> None:
    page = read_page(bundle(obs("o1"), link=[{"relation": relation, "url": "Observation?page=2"}]), "Observation")
    assert page.next_link == "Observation?page=2"


def test_other_relations_are_not_next() -> None:
    page = read_page(bundle(obs("o1"), link=[{"relation": "self", "url": "Observation?page=1"}]), "Observation")
    assert page.next_link is None


def test_a_prefetch_with_a_capitalised_next_link_is_incomplete() -> None:
    prefetch = {
        "patient": PATIENT,
        "observation": bundle(obs("o1"), link=[{"relation": "Next", "url": "x"}]),
        "condition": None,
    }
    got = read_prefetch(parse_request(hook_body("p1", prefetch), "patient-view"), TEMPLATES)
    assert [t.key for t in got.missing] == ["observation"]
