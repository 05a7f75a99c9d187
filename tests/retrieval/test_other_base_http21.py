"""A search answer holding another server's patient 123 is a fault, not patient 123's record (helper 21).

Before: ``record.about`` reads a patient reference by its last two segments, so an Observation whose
``subject`` is ``https://other.example.org/fhir/Patient/p1``, in our server's answer to
``Observation?patient=p1``, counted as p1's (an Hb of 6 g/dL: A-I11-hb "fail", three trials
ineligible). Another server's patient p1 is someone else: data about the wrong patient is a fault of
that search (as for a record naming Patient/p2), so Observation is unknown for p1, with a warning.

Worked by hand: the server's entries are filed under ``BASE`` (their fullUrls). The same record naming
``BASE/Patient/p1`` (or ``BASE/Patient/p1/_history/4``, a version of p1) is p1's: kept. Naming
``https://other.example.org/fhir/Patient/p1``: the Observation search fails ("another server"), o9 is
not among p1's resources, Observation is unavailable for p1 and the other types are untouched.
"""

from __future__ import annotations

from typing import Any

import pytest
import responses

from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients
from fhir_eligibility.retrieval.transport import Fault, read_page
from tests.retrieval.fake_fhir import BASE, FakeFhir, obs
from tests.retrieval.test_server_fetch import REQS, WORLD

OTHER = "https://other.example.org/fhir"


def _with(subject: str) -> Any:
    """An Observation search answer with one more Hb, named by ``subject``, filed under our base."""
    low = {**obs("o9", "p1", "718-7", value=6.0), "subject": {"reference": subject}}

    def mangle(body: dict[str, Any]) -> dict[str, Any]:
        entries = [*body["entry"], {"fullUrl": f"{BASE}/Observation/o9", "resource": low}]
        return {**body, "entry": entries, "total": len(entries)}

    return mangle


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "gets"])
@pytest.mark.parametrize(
    ("subject", "ours"),
    [
        (f"{BASE}/Patient/p1", True),
        (f"{BASE}/Patient/p1/_history/4", True),
        (f"{OTHER}/Patient/p1", False),
        (f"{OTHER}/Patient/p1/_history/4", False),
    ],
    ids=["our-base", "our-base-versioned", "other-base", "other-base-versioned"],
)
def test_another_servers_patient_is_not_this_one(
    rsps: responses.RequestsMock, batch: bool, subject: str, ours: bool
) -> None:
    fake = FakeFhir(list(WORLD), batch=batch, mangle={"Observation": _with(subject)})
    fake.install(rsps)
    (data,) = fetch_patients(ServerOptions(BASE, use_env_token=False, retries=0), ["p1"], REQS)
    got = {f"{r['resourceType']}/{r['id']}" for r in data.resources}
    lost = {u.resource_type for u in data.unavailable}
    if ours:
        assert "Observation/o9" in got and lost == set()
    else:
        assert "Observation/o9" not in got and "Observation/o1" not in got
        assert lost == {"Observation"}, data.unavailable
        assert any("another server" in u.reason for u in data.unavailable)
        assert "other.example.org" not in " ".join(u.reason for u in data.unavailable)
        assert "Condition/c1" in got  # the other searches are not touched


def _page(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": list(entries)}


def _entry(subject: str, full_url: str | None = f"{BASE}/Observation/o1") -> dict[str, Any]:
    resource = {"resourceType": "Observation", "id": "o1", "subject": {"reference": subject}}
    return {"resource": resource} | ({"fullUrl": full_url} if full_url is not None else {})


@pytest.mark.parametrize(
    "entry",
    [
        _entry("Patient/p1"),  # relative: this server's, whatever the fullUrl
        _entry("Patient/p1", None),
        _entry(f"{BASE}/Patient/p1"),
        _entry("HTTPS://FHIR.example.org/r4/Patient/p1"),  # scheme and host are not case-sensitive
        _entry("urn:uuid:0c3b7a1e-4c5f-4e0a-9a8e-1f2d3c4b5a69"),  # resolved by the Bundle's readers
    ],
)
def test_what_a_page_may_name(entry: dict[str, Any]) -> None:
    assert len(read_page(_page(entry), "Observation").resources) == 1


@pytest.mark.parametrize(
    "entry",
    [
        _entry(f"{OTHER}/Patient/p1"),
        _entry(f"{BASE}/Patient/p1", None),  # no fullUrl: nothing says which server it speaks for
        _entry(f"{BASE}/Patient/p1", f"{OTHER}/Observation/o1"),  # filed under another base
    ],
)
def test_a_page_naming_a_patient_it_cannot_place_is_a_fault(entry: dict[str, Any]) -> None:
    with pytest.raises(Fault, match="another server"):
        read_page(_page(entry), "Observation")
