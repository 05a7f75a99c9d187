"""Saved search results and R5 ``Bundle.issues``, found wrong by an adversarial review (adv19c 3, 5).

Worked out by hand on ``sample_bundles/01`` (clinical.md §0): trial A (NCT04954820) A-I2 and trial B
(NCT05773274) B-I2a read the NET diagnosis (Condition, closed world: none recorded is a fail); A-I3
reads the four prior Lutathera doses (MedicationAdministration: three are a fail). A search cut short,
or a record known to be partial, is missing data: unknown, never absence.

1. R5 ``Bundle.issues`` (an OperationOutcome) says what an R4 ``search.mode: outcome`` entry says: a
   searchset holding 3 of 4 doses with an error "incomplete" issue is not "3 doses" (A-I3 fail) but
   unknown with a warning, in every reader of pages (server, CDS prefetch: ``read_page``) and of files.
2. A saved search of some types (Observations as ``match``, the Patient only as ``include``) vouches
   for nothing else: A-I2, A-I3, B-I2a are unknown, not "none recorded"; its labs still decide. A
   ``Patient/$everything`` answer (its Patient a ``match``, or its self link naming ``$everything``) is
   the whole record, and an error in it makes the whole answer unknown, not only the types it holds.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import responses

from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients
from fhir_eligibility.retrieval.transport import Fault, read_page
from fhir_eligibility.service.prefetch import parse_request, read_prefetch
from tests.retrieval.fake_fhir import BASE as SERVER
from tests.retrieval.fake_fhir import FakeFhir, cond, patient
from tests.retrieval.test_input_review import BASE, every_path
from tests.retrieval.test_search_outcomes import REQS
from tests.service.support import hook_body
from tests.service.test_prefetch_request import PATIENT, TEMPLATES

P = "Patient/sample-01"
A, B = "NCT04954820", "NCT05773274"
MA = "MedicationAdministration"
ERROR = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "incomplete", "diagnostics": "timed out; results are partial"}],
}


def _searchset(types: set[str] | None = None, **extra: Any) -> dict[str, Any]:
    """The base patient as one searchset, every entry a match (``types``: only those, the Patient an include)."""
    entries = []
    for e in copy.deepcopy(BASE["entry"]):
        kind = e["resource"]["resourceType"]
        if types is None or kind in types:
            entries.append({**e, "search": {"mode": "match"}})
        elif kind == "Patient":
            entries.append({**e, "search": {"mode": "include"}})
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries, **extra}


def _without(bundle: dict[str, Any], kind: str, keep: int = 0) -> dict[str, Any]:
    """The Bundle without its records of ``kind`` past the first ``keep``."""
    seen, entries = 0, []
    for e in bundle["entry"]:
        if e["resource"]["resourceType"] == kind:
            seen += 1
            if seen > keep:
                continue
        entries.append(e)
    return {**bundle, "entry": entries}


def _with_outcome_entry(bundle: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    return {**bundle, "entry": [*bundle["entry"], {"resource": outcome, "search": {"mode": "outcome"}}]}


def _write(tmp: Path, name: str, bundle: dict[str, Any]) -> Path:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(bundle))
    return path


# ---------------------------------------------------------------- 1. R5 Bundle.issues


def test_r5_issues_cut_short_reads_as_the_r4_outcome_entry(tmp_path: Path) -> None:
    three = _without(_searchset(), MA, keep=3)
    r4 = _write(tmp_path, "r4", _with_outcome_entry(three, ERROR))
    r5 = _write(tmp_path, "r5", {**three, "issues": ERROR})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    r4_results, r4_warnings = every_path([r4], tmp_path / "a")
    r5_results, r5_warnings = every_path([r5], tmp_path / "b")
    assert r5_results[(P, A, "A-I3")] == "unknown"  # was fail: 3 of 4 doses taken as the whole answer
    assert r5_results == r4_results
    assert [w.replace("r5.json", "r4.json") for w in r5_warnings] == r4_warnings and r5_warnings


def test_read_page_reads_issues_as_an_outcome_entry() -> None:
    page = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    with pytest.raises(Fault, match="error"):
        read_page({**page, "issues": ERROR}, "Condition")
    cut = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "too-costly"}]}
    with pytest.raises(Fault, match="too-costly"):
        read_page({**page, "issues": cut}, "Condition")
    with pytest.raises(Fault, match="issues"):  # not an OperationOutcome: what it said cannot be told
        read_page({**page, "issues": [ERROR]}, "Condition")
    noted = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "processing"}]}
    assert read_page({**page, "issues": noted}, "Condition").notes == ["warning/processing"]
    told = {"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational"}]}
    assert read_page({**page, "issues": told}, "Condition").notes == []


@pytest.mark.parametrize("batch", [True, False])
def test_a_server_search_with_issues_cut_short_makes_the_type_unknown(
    rsps: responses.RequestsMock, batch: bool
) -> None:
    """p1 has no Condition on record here: with R5 issues saying "incomplete", not "no NET diagnosis"."""
    fake = FakeFhir([patient("p1"), cond("c9", "p2", "443492008")])
    fake.install(rsps)
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "incomplete"}]}
    fake.mangle["Condition"] = lambda body: {**body, "issues": outcome}
    (data,) = fetch_patients(ServerOptions(SERVER, batch="always" if batch else "never"), ["p1"], REQS)
    assert [u.resource_type for u in data.unavailable] == ["Condition"]
    assert "incomplete" in data.unavailable[0].reason


def test_a_cds_prefetch_with_issues_cut_short_is_not_prefetched() -> None:
    """An empty Condition prefetch whose issues say "incomplete": fetched again (or 412), never "no NET"."""
    empty = {"resourceType": "Bundle", "type": "searchset", "entry": [], "issues": ERROR}
    req = parse_request(hook_body("p1", {"patient": PATIENT, "observation": None, "condition": empty}), "patient-view")
    got = read_prefetch(req, TEMPLATES)
    assert [t.key for t in got.missing] == ["condition"] and "error" in got.warnings[0]


def test_issues_on_a_bundle_of_another_type(tmp_path: Path) -> None:
    """A collection whose issues say data were left out: every type unknown, as an error outcome entry."""
    collection = {**copy.deepcopy(BASE), "type": "collection"}
    for e in collection["entry"]:
        e.pop("request", None)
    results, warnings = every_path([_write(tmp_path, "cut", {**collection, "issues": ERROR})], tmp_path)
    assert results[(P, A, "A-I2")] == "unknown" and results[(P, A, "A-I3")] == "unknown"
    assert any("issues" in w for w in warnings), warnings
    noted = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "processing"}]}
    (tmp_path / "n").mkdir()
    results, _ = every_path([_write(tmp_path, "noted", {**collection, "issues": noted})], tmp_path / "n")
    assert results[(P, A, "A-I3")] == "pass"


# ---------------------------------------------------------------- 2. a search is not the whole record


def test_a_search_of_observations_vouches_for_nothing_else(tmp_path: Path) -> None:
    link = [{"relation": "self", "url": "https://ehr.example.org/fhir/Observation?patient=sample-01"}]
    search = _searchset({"Observation"}, link=link)
    results, _ = every_path([_write(tmp_path, "obs", search)], tmp_path)
    assert results[(P, A, "A-I2")] == "unknown"  # was fail: "no NET diagnosis recorded"
    assert results[(P, A, "A-I3")] == "unknown"  # was fail: "no prior Lutathera"
    assert results[(P, B, "B-I2a")] == "unknown"
    assert results[(P, A, "A-I11-hb")] == "pass"  # the labs it searched still decide
    (tmp_path / "x").mkdir()
    unlinked, _ = every_path([_write(tmp_path, "unlinked", {**search, "link": []})], tmp_path / "x")
    assert unlinked == results  # the matches say what was searched


def test_everything_is_the_whole_record(tmp_path: Path) -> None:
    """$everything: its Patient a match, or (an include) its self link names the operation."""
    matched = _without(_searchset(), "Condition")
    results, _ = every_path([_write(tmp_path, "matched", matched)], tmp_path)
    assert results[(P, A, "A-I2")] == "fail" and results[(P, A, "A-I3")] == "pass"
    link = [{"relation": "self", "url": "https://ehr.example.org/fhir/Patient/sample-01/$everything"}]
    everything = _without(_searchset(set(BASE_TYPES) - {"Patient"}, link=link), "Condition")
    (tmp_path / "e").mkdir()
    included, _ = every_path([_write(tmp_path, "everything", everything)], tmp_path / "e")
    assert included == results


def test_an_error_in_the_whole_record_makes_the_whole_answer_unknown(tmp_path: Path) -> None:
    """No Condition in an $everything answer with an error outcome: the error may have cost the
    diagnoses too, not only the types the page holds (A-I2 was fail)."""
    cut = _with_outcome_entry(_without(_searchset(), "Condition"), ERROR)
    results, warnings = every_path([_write(tmp_path, "cut", cut)], tmp_path)
    assert results[(P, A, "A-I2")] == "unknown" and results[(P, B, "B-I2a")] == "unknown"
    assert warnings


def test_an_error_in_a_search_of_one_type_loses_that_type(tmp_path: Path) -> None:
    """A cut-short Observation search beside the patient's whole record: only Observation is unknown."""
    link = [{"relation": "self", "url": "https://ehr.example.org/fhir/Observation?patient=sample-01"}]
    search = _with_outcome_entry(_searchset({"Observation"}, link=link), ERROR)
    record = _write(tmp_path, "record", {**copy.deepcopy(BASE), "type": "collection"})
    results, _ = every_path([record, _write(tmp_path, "obs", search)], tmp_path)
    assert results[(P, A, "A-I11-hb")] == "unknown"
    assert results[(P, A, "A-I3")] == "pass" and results[(P, "NCT03972488", "I1")] == "fail"


def test_a_search_beside_the_whole_record_leaves_it_whole(tmp_path: Path) -> None:
    link = [{"relation": "self", "url": "https://ehr.example.org/fhir/Observation?patient=sample-01"}]
    record = {**_without(copy.deepcopy(BASE), "Condition"), "type": "collection"}
    paths = [_write(tmp_path, "record", record), _write(tmp_path, "obs", _searchset({"Observation"}, link=link))]
    results, _ = every_path(paths, tmp_path)
    assert results[(P, A, "A-I2")] == "fail"  # the record holds no NET diagnosis: closed world


BASE_TYPES = {e["resource"]["resourceType"] for e in BASE["entry"]}
