"""The outbound-URL policy and the page checks, without a network."""

from __future__ import annotations

import pytest

from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.retrieval import urlpolicy
from fhir_eligibility.retrieval.transport import Fault, is_error_outcome, read_page, short_count
from fhir_eligibility.retrieval.urlpolicy import UnsafeUrl

BASE = urlpolicy.base("http://127.0.0.1:8911/fhir")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8912\\@127.0.0.1:8911/fhir",  # urllib.parse: port 8911; urllib3 connects to 8912
        "http://127.0.0.1:8911@127.0.0.1:8912/fhir",
        "http://u:p@127.0.0.1:8911/fhir",
        "http://127.0.0.1:abc/fhir",
        "http://127.0.0.1:99999/fhir",
        "http://127.0.0.1:0/fhir",
        "http://127.0.0.1:8911 /fhir",
        "http://127.0.0.1:8911/fhir\x00",
        "http://127.0.0.1:8911/f\u00e9",
        "ftp://127.0.0.1/fhir",
        "//127.0.0.1:8911/fhir",
        "http:///fhir",
        "http://127.0.0.1:8911:8912/fhir",
        "http://[::1/fhir",
    ],
)
def test_ambiguous_or_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        urlpolicy.target(url)
    assert not BASE.contains(url) and not BASE.same_origin(url)


def test_base_is_compared_on_scheme_host_port_and_path() -> None:
    assert urlpolicy.base("HTTP://127.0.0.1:8911/fhir/") == BASE
    assert urlpolicy.base("https://Example.org:443/r4").url == "https://example.org/r4"
    assert BASE.contains("http://127.0.0.1:8911/fhir/Condition?patient=p1")
    assert BASE.contains("http://127.0.0.1:8911/fhir")
    for outside in (
        "http://127.0.0.1:8911/fhirx",
        "http://127.0.0.1:8911/fhir/../admin",  # the client removes dot segments: /admin
        "http://127.0.0.1:8912/fhir/Condition",
        "https://127.0.0.1:8911/fhir/Condition",
        "http://localhost:8911/fhir/Condition",
    ):
        assert not BASE.contains(outside), outside
    assert BASE.same_origin("http://127.0.0.1:8911/files/1.ndjson")
    with pytest.raises(UnsafeUrl):
        urlpolicy.base("http://127.0.0.1:8911/fhir?x=1")


def test_error_outcomes_in_a_page_are_faults() -> None:
    error = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception"}]}
    info = {"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational"}]}
    assert is_error_outcome(error) and not is_error_outcome(info)
    with pytest.raises(Fault):
        read_page(error)
    with pytest.raises(Fault):
        read_page(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": error, "search": {"mode": "outcome"}}],
            }
        )
    with pytest.raises(Fault):
        read_page({"resourceType": "Bundle", "type": "searchset", "entry": 5})
    with pytest.raises(Fault):
        read_page({"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "next", "url": 5}]})
    page = read_page({"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": [{"resource": info}]})
    assert page.resources == [] and page.matches == 0 and short_count(page.total, 0) is None


@pytest.mark.parametrize(
    "entries",
    [
        [None],
        [{"fullUrl": "urn:uuid:1"}],  # no resource
        [{"resource": "<garbled>"}],
        [{"resource": {"id": "c1"}}],  # no resourceType
        [{"resource": {"resourceType": 5, "id": "c1"}}],
        [{"resource": {"resourceType": "Observation", "id": "o1"}, "search": {"mode": "match"}}],  # not searched for
        [{"resource": {"resourceType": "Observation", "id": "o1"}}],
    ],
)
def test_a_page_that_is_not_a_readable_search_result_is_a_fault(entries: list[object]) -> None:
    """Each of these dropped silently would leave a Condition search "empty", and absent diagnoses
    are FALSE (closed world): a false "ineligible" from a faulty 200 (adversarial review)."""
    with pytest.raises(Fault):
        read_page({"resourceType": "Bundle", "type": "searchset", "entry": entries}, "Condition")


@pytest.mark.parametrize("kind", ["collection", "batch-response", None, 5])
def test_a_search_answer_that_is_no_searchset_is_a_fault(kind: object) -> None:
    """An empty ``collection`` (or a Bundle of no type) answering a Condition search says nothing of
    what the search matched; read as "none" it was a false "ineligible" (adversarial review)."""
    bundle = {"resourceType": "Bundle", "type": kind, "entry": []}
    with pytest.raises(Fault, match="not a searchset"):
        read_page(bundle, "Condition")
    assert read_page({**bundle, "type": "searchset"}, "Condition").resources == []


@pytest.mark.parametrize("total", ["2", 2.0, -1, True, {"value": 2}])
def test_a_total_that_is_not_a_count_is_a_fault(total: object) -> None:
    with pytest.raises(Fault, match="total"):
        read_page({"resourceType": "Bundle", "type": "searchset", "total": total, "entry": []}, "Condition")


def test_what_a_search_may_bring_besides_its_type() -> None:
    """Included resources (by mode, or a drug's Medication from a server that leaves out the mode)
    are kept and not counted as matches; a warning outcome is kept as a note."""
    req = {"resourceType": "MedicationRequest", "id": "r1"}
    med = {"resourceType": "Medication", "id": "m1"}
    pat = {"resourceType": "Patient", "id": "p1"}
    issue = {"severity": "warning", "code": "informational", "diagnostics": "results\n cut"}
    note = {"resourceType": "OperationOutcome", "issue": [issue]}
    page = read_page(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": 1,
            "entry": [
                {"resource": req},
                {"resource": med},
                {"resource": pat, "search": {"mode": "include"}},
                {"resource": note, "search": {"mode": "outcome"}},
            ],
        },
        "MedicationRequest",
    )
    assert page.resources == [req, med, pat] and page.matches == 1 and page.notes == ["warning/informational"]
    assert short_count(page.total, page.matches) is None


def test_total_counts_matches_not_includes() -> None:
    obs = {"resourceType": "Observation", "id": "o1"}
    med = {"resourceType": "Medication", "id": "m1"}
    page = read_page(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": 2,
            "entry": [{"resource": obs, "search": {"mode": "match"}}, {"resource": med, "search": {"mode": "include"}}],
        }
    )
    assert page.matches == 1 and len(page.resources) == 2
    fault = short_count(page.total, page.matches)
    assert fault is not None and "2" in fault.cause


def test_a_307_on_the_batch_post_is_not_followed() -> None:
    import responses

    from fhir_eligibility.requirements.model import DataRequirement
    from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients

    base = "https://fhir.example.org/r4"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(base, status=307, headers={"Location": "https://evil.example.org/r4"})
        trap = rsps.post("https://evil.example.org/r4", json={})
        options = ServerOptions(base, bearer_token="s3cret", batch="always", retries=0)
        with pytest.raises(RetrievalError, match="redirect refused"):  # the Patient itself could not be read
            list(fetch_patients(options, ["p1"], [DataRequirement("Patient", criteria=frozenset({"age"}))]))
        assert trap.call_count == 0 and len(rsps.calls) == 1
