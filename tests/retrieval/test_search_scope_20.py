"""What a saved search vouches for: its own filters, and a batch-response's reads (scope20).

Worked out by hand on ``sample_bundles/01`` (clinical.md §0: closed-world diagnoses only where the
whole record is there; missing is unknown, never fail). Its two Conditions are the ileal NET
(ICD-10 C7A.012, SNOMED CT 94381002); it has four Lutathera administrations.

- Trial C (NCT04837885) C-I1 "histologically proven NET" passes on the NET found (A-I2 also reads the
  Ki-67 Observation); trial A (NCT04954820) A-E5 "neuroendocrine
  carcinoma" and A-E17 "other solid tumour in 5 years" pass only because no other Condition is
  recorded (closed world); A-I3 "4 prior Lutathera cycles" reads the administrations.
- NETTER-2 (NCT03972488) E2 "prior PRRT" fails on the administrations; without them it would pass.

1. A search ``Condition?patient=sample-01`` holding both Conditions (the Patient an include) holds
   every Condition: A-E5 and A-E17 pass. Filtered (``code=`` the NET's codes, ``clinical-status=``,
   ``_lastUpdated=``, ``_has``, a ``:modifier``, URL-encoded or relative), it holds some Conditions: a
   NET found still passes C-I1, but no other malignancy can be read from it: A-E5, A-E17 unknown.
   ``_count``, ``_sort``, ``_include``, ``_total``, the patient as ``subject=Patient/x`` or
   ``patient:Patient=x`` narrow nothing. ``_elements`` / ``_summary=true`` drop elements (a refuted
   status, a dose): the records are subsetted (FHIR's SUBSETTED tag), so the type is unknown, even
   C-I1.
2. A batch-response of ``GET Patient/sample-01`` and ``GET Condition?patient=sample-01`` holds the
   Conditions and nothing else: C-I1 and A-E17 pass, but A-I3 (no administration found) and NETTER-2
   E2 are unknown (they were fail and pass: "no prior Lutathera" read from a search that never asked).
   An empty Condition search there says "none": C-I1 fails. A batch-response of ``$everything`` is the
   whole record (A-I3 pass, A-I2 fail without the Conditions); ``$everything?_type=...`` without
   Condition is not (A-I2, A-E17 unknown; the doses found still fail NETTER-2 E2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from fhir_eligibility.retrieval.search_scope import read_search, search_scope
from tests.retrieval.test_input_review import every_path, resources
from tests.screening.helpers import actual_from_screen, evaluate_json, expected_from_evaluate, invoke

P = "Patient/sample-01"
A, NETTER2 = "NCT04954820", "NCT03972488"
FHIR = "https://ehr.example.org/fhir"
NET_CODES = "http://hl7.org/fhir/sid/icd-10-cm|C7A.012,http://snomed.info/sct|94381002"


def _of(kind: str) -> list[dict[str, Any]]:
    return [r for r in resources() if r["resourceType"] == kind]


def _searchset(self_url: str | None, matches: list[dict[str, Any]], patient: bool = True) -> dict[str, Any]:
    """A searchset of ``matches``, the Patient an include (``patient``), with ``self_url`` as its self link."""
    entries = [
        {"fullUrl": f"{FHIR}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
        for r in matches
    ]
    if patient:
        entries.append(
            {"fullUrl": f"{FHIR}/Patient/sample-01", "resource": _of("Patient")[0], "search": {"mode": "include"}}
        )
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": len(matches), "entry": entries}
    if self_url is not None:
        bundle["link"] = [{"relation": "self", "url": self_url}]
    return bundle


def _write(tmp: Path, name: str, bundle: dict[str, Any]) -> Path:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(bundle))
    return path


def _run(tmp: Path, *bundles: dict[str, Any], name: str = "in") -> tuple[dict[tuple[str, str, str], str], list[str]]:
    folder = tmp / name
    folder.mkdir()
    return every_path([_write(folder, f"{name}{i}", b) for i, b in enumerate(bundles)], folder)


def _observations(patient: bool = True) -> dict[str, Any]:
    """Every Observation (A-I2 also reads the Ki-67 result): ``Observation?patient=sample-01``."""
    return _searchset(f"{FHIR}/Observation?patient=sample-01", _of("Observation"), patient)


# ---------------------------------------------------------------- 1. a search's own filters


def test_an_unfiltered_condition_search_holds_every_condition(tmp_path: Path) -> None:
    results, warnings = _run(
        tmp_path, _searchset(f"{FHIR}/Condition?patient=sample-01", _of("Condition")), _observations()
    )
    assert results[(P, A, "A-I2")] == "pass"
    assert results[(P, A, "A-E5")] == "pass" and results[(P, A, "A-E17")] == "pass"  # no other: closed world
    assert results[(P, A, "A-I3")] == "unknown"  # administrations were not searched
    assert any("not a patient's whole record" in w for w in warnings), warnings


FILTERED = [
    f"{FHIR}/Condition?patient=sample-01&code={quote(NET_CODES, safe='')}",
    f"{FHIR}/Condition?patient=sample-01&code={NET_CODES}",
    f"{FHIR}/Condition?code:in={quote('http://example.org/ValueSet/net', safe='')}&patient=sample-01",
    "Condition?patient=sample-01&clinical-status=active",
    "Condition?patient=sample-01&clinical%2Dstatus=active",
    f"{FHIR}/Condition/?subject=Patient/sample-01&_lastUpdated=ge2025-01-01",
    f"{FHIR}/Condition/_search?patient=sample-01&category=problem-list-item",
    f"{FHIR}/Condition?patient=sample-01&_has:Observation:focus:code=1234",
    f"{FHIR}/Condition?patient=sample-01&_filter=code%20eq%20x",
    f"{FHIR}/Condition?patient=sample-01&_id=3b31ca6a-eb42-55a2-8ede-6451bd0d2491",
    f"{FHIR}/Condition?patient=sample-01&onset-date=ge2020",
    f"{FHIR}/Condition?patient:missing=false",
]


@pytest.mark.parametrize("url", FILTERED)
def test_a_filtered_condition_search_does_not_vouch_for_other_conditions(tmp_path: Path, url: str) -> None:
    results, _ = _run(tmp_path, _searchset(url, _of("Condition")), _observations())
    assert results[(P, A, "A-I2")] == "pass"  # the NET found is real
    assert results[(P, A, "A-E5")] == "unknown" and results[(P, A, "A-E17")] == "unknown"  # were pass


UNFILTERED = [
    f"{FHIR}/Condition?patient=sample-01&_count=50&_sort=-onset-date&_include=Condition:subject&_total=accurate",
    f"{FHIR}/Condition?subject=Patient%2Fsample-01&_format=json&_pretty=true",
    f"{FHIR}/Condition?patient:Patient={FHIR}/Patient/sample-01&_revinclude:iterate=Provenance:target",
    f"{FHIR}/Condition?subject:Patient.identifier=urn:mrn|123&_summary=false&_offset=0",
]


@pytest.mark.parametrize("url", UNFILTERED)
def test_paging_sorting_and_includes_narrow_nothing(tmp_path: Path, url: str) -> None:
    results, _ = _run(tmp_path, _searchset(url, _of("Condition")), _observations())
    assert results[(P, A, "A-E5")] == "pass" and results[(P, A, "A-E17")] == "pass"


@pytest.mark.parametrize("shaping", ["_elements=code,subject", "_summary=true", "_summary=data"])
def test_a_summary_leaves_the_type_unknown(tmp_path: Path, shaping: str) -> None:
    """Elements were dropped (a refuted status, an onset): what the records say cannot be read."""
    results, warnings = _run(
        tmp_path, _searchset(f"{FHIR}/Condition?patient=sample-01&{shaping}", _of("Condition")), _observations()
    )
    assert results[(P, A, "A-I2")] == "unknown" and results[(P, A, "A-E17")] == "unknown"
    assert any("_elements" in w or "_summary" in w for w in warnings), warnings


def test_a_later_page_alone_holds_part_of_the_answer(tmp_path: Path) -> None:
    """``_offset=20`` (no next link): the first 20 Conditions are on a page not here."""
    results, _ = _run(
        tmp_path, _searchset(f"{FHIR}/Condition?patient=sample-01&_offset=20", _of("Condition")), _observations()
    )
    assert results[(P, A, "A-I2")] == "pass" and results[(P, A, "A-E17")] == "unknown"


def test_read_search() -> None:
    s = read_search(f"{FHIR}/Condition?patient=sample-01&code%3Atext=net&_count=10")
    assert s is not None and s.type == "Condition" and s.narrowing == ("code:text",) and not s.everything
    s = read_search("Observation?subject=Patient/1&_include=Observation:patient&_sort=date")
    assert s is not None and s.type == "Observation" and s.narrowing == ()
    s = read_search(f"{FHIR}/Patient/1/$everything?_type=Condition,Observation")
    assert s is not None and s.everything and s.types == frozenset({"Condition", "Observation"})
    s = read_search(f"{FHIR}/Patient/1/%24everything")
    assert s is not None and s.everything and s.types is None and s.narrowing == ()
    assert read_search("urn:uuid:4da06bc6-4104-5daf-9864-a2a6f6d16ef2") is None
    assert read_search(f"{FHIR}/Condition/3b31ca6a") is None  # a read
    s = read_search(f"{FHIR}?_type=Condition&patient=sample-01")  # a system search
    assert s is not None and s.type is None and s.types == frozenset({"Condition"}) and s.narrowing == ()


def test_search_scope_of_a_filtered_search() -> None:
    bundle = _searchset(f"{FHIR}/Condition?patient=sample-01&code=x", _of("Condition"))
    scope = search_scope(bundle)
    assert scope is not None and scope.searched == frozenset({"Condition"}) and scope.whole == frozenset()


# ---------------------------------------------------------------- 2. a batch-response's reads


def _batch(*entries: dict[str, Any], kind: str = "batch-response") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def _read_entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"resource": resource, "response": {"status": "200 OK"}}


def _search_entry(bundle: dict[str, Any], url: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"resource": bundle, "response": {"status": "200 OK"}}
    if url is not None:
        entry["request"] = {"method": "GET", "url": url}
    return entry


@pytest.mark.parametrize("kind", ["batch-response", "transaction-response"])
def test_a_patient_read_beside_searches_is_no_whole_record(tmp_path: Path, kind: str) -> None:
    conditions = _searchset(f"{FHIR}/Condition?patient=sample-01", _of("Condition"), patient=False)
    batch = _batch(
        _read_entry(_of("Patient")[0]), _search_entry(_observations(False)), _search_entry(conditions), kind=kind
    )
    results, warnings = _run(tmp_path, batch)
    assert results[(P, A, "A-I2")] == "pass" and results[(P, A, "A-E17")] == "pass"  # every Condition searched
    assert results[(P, A, "A-I3")] == "unknown"  # was fail: no administration searched
    assert results[(P, NETTER2, "E2")] == "unknown"  # was pass: "no prior PRRT"
    assert any("not a patient's whole record" in w for w in warnings), warnings


def test_the_request_url_says_what_a_nested_search_searched(tmp_path: Path) -> None:
    """A nested searchset without a self link: its entry's request says it was filtered."""
    conditions = _searchset(None, _of("Condition"), patient=False)
    url = f"Condition?patient=sample-01&code={quote(NET_CODES, safe='')}"
    results, _ = _run(
        tmp_path,
        _batch(_read_entry(_of("Patient")[0]), _search_entry(_observations(False)), _search_entry(conditions, url)),
    )
    assert results[(P, A, "A-I2")] == "pass" and results[(P, A, "A-E17")] == "unknown"


def test_an_empty_search_of_the_patient_says_none(tmp_path: Path) -> None:
    empty = _searchset(f"{FHIR}/Condition?patient=sample-01", [], patient=False)
    results, _ = _run(
        tmp_path, _batch(_read_entry(_of("Patient")[0]), _search_entry(_observations(False)), _search_entry(empty))
    )
    assert results[(P, A, "A-I2")] == "fail"  # the Condition search found none: closed world
    assert results[(P, A, "A-I3")] == "unknown"
    other = _searchset(f"{FHIR}/Condition?patient=someone-else", [], patient=False)
    results, _ = _run(
        tmp_path,
        _batch(_read_entry(_of("Patient")[0]), _search_entry(_observations(False)), _search_entry(other)),
        name="other",
    )
    assert results[(P, A, "A-I2")] == "unknown"  # another patient's empty search says nothing of this one


def test_a_batch_response_of_everything_stays_whole(tmp_path: Path) -> None:
    records = [r for r in resources() if r["resourceType"] not in ("Patient", "Condition")]
    everything = _searchset(f"{FHIR}/Patient/sample-01/$everything", records)
    results, _ = _run(tmp_path, _batch(_search_entry(everything)))
    assert results[(P, A, "A-I3")] == "pass" and results[(P, A, "A-I2")] == "fail"  # the whole record
    unlinked = _searchset(None, records)
    results, _ = _run(tmp_path, _batch(_search_entry(unlinked, "Patient/sample-01/$everything")), name="request")
    assert results[(P, A, "A-I3")] == "pass" and results[(P, A, "A-I2")] == "fail"
    typed = _searchset(f"{FHIR}/Patient/sample-01/$everything?_type=Observation,MedicationAdministration", records)
    results, _ = _run(tmp_path, _batch(_search_entry(typed)), name="typed")
    assert results[(P, A, "A-I2")] == "unknown" and results[(P, A, "A-E17")] == "unknown"  # no Condition asked
    assert results[(P, NETTER2, "E2")] == "fail"  # the doses found are real


def test_search_scope_of_everything_and_patient_searches() -> None:
    records = [r for r in resources() if r["resourceType"] != "Patient"]
    assert search_scope(_searchset(f"{FHIR}/Patient/sample-01/$everything?_count=100", records)) is None
    since = search_scope(_searchset(f"{FHIR}/Patient/sample-01/$everything?_since=2026-01-01", records))
    assert since is not None and since.whole == frozenset() and since.narrowing == ("_since",)
    summary = search_scope(_searchset(f"{FHIR}/Patient/sample-01/$everything?_elements=code", records))
    assert summary is not None and summary.subsetted == frozenset({"*"})  # every type unreadable
    revinclude = f"{FHIR}/Patient?_id=sample-01&_revinclude=Condition:subject&_revinclude=Observation:focus"
    scope = search_scope(_searchset(revinclude, [_of("Patient")[0]], patient=False))
    assert scope is not None and scope.whole == frozenset({"Condition"}) and scope.patient == "sample-01"
    system = search_scope(_searchset(f"{FHIR}?_type=Condition&patient=sample-01", _of("Condition")))
    assert system is not None and system.whole == frozenset({"Condition"})


@pytest.mark.parametrize("workers", [1, 2])
def test_screen_candidates_equal_evaluate_on_searches(tmp_path: Path, workers: int) -> None:
    """Two files (a filtered Condition search; a batch-response of a Patient read, the Observations and an
    empty MedicationAdministration search): screen's verdicts and missing data are evaluate's."""
    conditions = _searchset(f"{FHIR}/Condition?patient=sample-01&code=x", _of("Condition"), patient=False)
    doses = _searchset(f"{FHIR}/MedicationAdministration?patient=sample-01", [], patient=False)
    batch = _batch(_read_entry(_of("Patient")[0]), _search_entry(_observations(False)), _search_entry(doses))
    paths = [_write(tmp_path, "conditions", conditions), _write(tmp_path, "batch", batch)]
    out = invoke("screen", *map(str, paths), "--as-of", "2026-06-01", "--format", "json", "--workers", str(workers))
    assert out.exit_code == 0, out.output
    assert actual_from_screen(json.loads(out.output)) == expected_from_evaluate(evaluate_json(paths))
