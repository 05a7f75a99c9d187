"""Paging a server that loops, and a last page short of the total once repeats are counted once.

Adversarial review: a server answering the same entries under a new offset, or empty pages that still
carry a ``next`` link, was paged up to the page bound (100,000 pages for screening's searches); and
entries repeated across pages were counted toward ``Bundle.total``, so a result missing records looked
complete. Worked out by hand for 3 matching Observations (o1, o2, o3) served 2 per page:

* same entries, new offset: page 2 brings o1, o2 again, nothing new -> stop after 2 pages, incomplete;
* empty pages with a next link: page 2 brings nothing -> stop after 2 pages, incomplete;
* a next link already followed: page 2 points at itself -> stop without asking for it again;
* page 2 repeats o2 instead of o3, total 3: 2 distinct of 3 -> incomplete (it counted 3 and passed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import responses

from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.retrieval.search_client import SearchClient
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions, fetch_patients
from tests.retrieval.fake_fhir import BASE, LOINC, FakeFhir, cond, obs, patient

HB = (LOINC, "718-7")
REQS = [DataRequirement("Observation", frozenset({HB}), None, frozenset({"hb"}))]
BOUND = 30  # the fake stops looping after this many pages, so a test of looping code cannot hang

Mangle = Callable[[dict[str, Any]], dict[str, Any]]


class Looping:
    """Rewrites a search's pages (2 per page) the way a faulty server does; counts the pages served."""

    def __init__(self, kind: str, rtype: str) -> None:
        self.kind, self.rtype, self.pages = kind, rtype, 0
        self.first: list[dict[str, Any]] = []

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        self.pages += 1
        self_url = body["link"][0]["url"]
        params = dict(parse_qsl(urlsplit(self_url).query))
        offset = int(params.get("_offset", "0"))
        if offset == 0:
            self.first = body["entry"]
        links = [body["link"][0]]

        def next_at(n: int) -> None:
            if self.pages < BOUND:
                links.append({"relation": "next", "url": f"{BASE}/{self.rtype}?{urlencode({**params, '_offset': n})}"})

        if self.kind == "same-entries-new-offset":
            body = {**body, "entry": self.first}
            next_at(offset + 2)
        elif self.kind == "empty-pages-with-next":
            if offset:
                body = {**body, "entry": []}
            next_at(offset + 2)
        elif self.kind == "next-link-seen":
            if offset:  # page 2 points at itself
                links.append({"relation": "next", "url": self_url})
            else:
                next_at(2)
        elif self.kind == "repeats-across-pages":  # o2 again instead of o3; total still 3
            if offset:
                body = {**body, "entry": self.first[1:]}
            else:
                next_at(2)
        return {**body, "link": links}


LOOPS = ["same-entries-new-offset", "empty-pages-with-next", "next-link-seen"]


@pytest.fixture
def fake(rsps: responses.RequestsMock) -> FakeFhir:
    world = [patient("p1"), *(obs(f"o{i}", "p1", "718-7") for i in (1, 2, 3))]
    f = FakeFhir([*world, *(cond(f"c{i}", "p1", "443492008") for i in (1, 2, 3))])
    f.install(rsps)
    return f


def _observation_gets(fake: FakeFhir) -> int:
    return sum(1 for m, url in fake.log if m == "GET" and "/Observation?" in url)


@pytest.mark.parametrize("batch", ["always", "never"])
@pytest.mark.parametrize("kind", LOOPS)
def test_a_looping_search_stops_at_once_and_is_incomplete(fake: FakeFhir, kind: str, batch: str) -> None:
    loop = Looping(kind, "Observation")
    fake.mangle["Observation"] = loop
    options = ServerOptions(BASE, page_size=2, batch=batch)  # type: ignore[arg-type]
    (data,) = list(fetch_patients(options, ["p1"], REQS))
    ((u),) = data.unavailable
    assert (u.resource_type, u.codes) == ("Observation", frozenset({HB}))
    assert "loop" in u.reason, u.reason
    assert loop.pages == 2  # the first page and the one that showed the loop, nothing more


@pytest.mark.parametrize("batch", ["always", "never"])
def test_entries_repeated_across_pages_count_once_against_the_total(fake: FakeFhir, batch: str) -> None:
    fake.mangle["Observation"] = Looping("repeats-across-pages", "Observation")
    options = ServerOptions(BASE, page_size=2, batch=batch)  # type: ignore[arg-type]
    (data,) = list(fetch_patients(options, ["p1"], REQS))
    ((u),) = data.unavailable
    assert u.reason == "server reported 3 result(s) but returned 2"


def test_without_faults_three_pages_are_complete(fake: FakeFhir) -> None:
    options = ServerOptions(BASE, page_size=1, batch="never")
    (data,) = list(fetch_patients(options, ["p1"], REQS))
    assert data.unavailable == () and _observation_gets(fake) == 3


def _candidates(kind: str | None, fake: FakeFhir) -> list[dict[str, Any]]:
    fake.mangle.pop("Condition", None)
    if kind is not None:
        fake.mangle["Condition"] = Looping(kind, "Condition")
    with FhirServer(ServerOptions(BASE)) as server:
        return list(SearchClient(server).search(f"{BASE}/Condition?code=443492008&_count=2", "Condition"))


@pytest.mark.parametrize("kind", LOOPS)
def test_screening_s_search_stops_a_loop_at_once(fake: FakeFhir, kind: str) -> None:
    with pytest.raises(RetrievalError, match="loop"):
        _candidates(kind, fake)
    loop = fake.mangle["Condition"]
    assert isinstance(loop, Looping) and loop.pages == 2


def test_screening_s_search_counts_repeats_once(fake: FakeFhir) -> None:
    with pytest.raises(RetrievalError, match=r"reported 3 result\(s\) but returned 2"):
        _candidates("repeats-across-pages", fake)
    assert [r["id"] for r in _candidates(None, fake)] == ["c1", "c2", "c3"]
