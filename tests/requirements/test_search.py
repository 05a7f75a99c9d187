"""Rendering data requirements as R4 searches: tokens, escaping, date bounds, merging, splitting."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.naive_plan import naive_search_plan
from fhir_eligibility.errors import InputError
from fhir_eligibility.requirements.model import DataRequirement, Unavailable
from fhir_eligibility.requirements.search import (
    PlannedSearch,
    batch_bundle,
    escape_token_part,
    merge_requirements,
    render_token,
    search_plan,
)
from tests.retrieval.fake_fhir import parse_tokens

LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
HB = (LOINC, "718-7")
PLT = (LOINC, "777-3")


def req(rtype: str, *codes: tuple[str, str], since: date | None = None, crit: str = "c") -> DataRequirement:
    return DataRequirement(rtype, frozenset(codes), since, frozenset({crit}))


def params(search: PlannedSearch) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(search.url).query))


def test_patient_search_comes_first_and_serves_patient_requirements() -> None:
    plan = search_plan("p1", [req("Observation", HB), req("Patient", crit="age")])
    assert plan[0].url == "Patient?_id=p1"
    assert [r.criteria for r in plan[0].serves] == [frozenset({"age"})]
    assert [s.resource_type for s in plan] == ["Patient", "Observation"]


def test_patient_search_is_planned_without_any_patient_requirement() -> None:
    assert [s.url for s in search_plan("p1", [])] == ["Patient?_id=p1"]


def test_observation_url_has_patient_tokens_bare_codes_and_count_but_no_date() -> None:
    """Written codes first, then bare (any system: the OID and https spellings a site may send); no
    date bound: the evaluator applies the window (an Observation dated only by ``issued`` counts)."""
    (_, s) = search_plan("p1", [req("Observation", PLT, HB, since=date(2025, 1, 31))])
    assert (
        s.url
        == "Observation?patient=p1&combo-code=http://loinc.org|718-7,http://loinc.org|777-3,718-7,777-3&_count=200"
    )


@pytest.mark.parametrize(
    ("rtype", "date_param"),
    [
        ("Observation", None),
        ("Procedure", None),
        ("DiagnosticReport", None),
        ("MedicationAdministration", "effective-time"),
        ("MedicationStatement", None),
        ("Condition", None),
        ("AllergyIntolerance", None),
    ],
)
def test_date_lower_bound_parameter_per_type(rtype: str, date_param: str | None) -> None:
    (_, s) = search_plan("p1", [req(rtype, (SCT, "1"), since=date(2024, 2, 29))])
    p = params(s)
    assert p["patient"] == "p1"
    code_param = "combo-code" if rtype == "Observation" else "code"  # combo-code also matches components
    if rtype.startswith("Medication"):  # no code search: the drug may be a reference (next test)
        assert code_param not in p
    else:
        assert p[code_param] == "http://snomed.info/sct|1,1"
    date_params = {k: v for k, v in p.items() if k not in ("patient", code_param, "_count", "_include")}
    # one day wider than the window: an infusion on its first day, local time east of UTC
    assert date_params == ({date_param: "ge2024-02-28"} if date_param else {})


@pytest.mark.parametrize("rtype", ["MedicationAdministration", "MedicationStatement"])
def test_medication_types_fetch_every_record_with_the_medications_they_name(rtype: str) -> None:
    """Issue 11: R4's ``code`` does not read through ``medicationReference``, so a code search would miss a
    Lutathera dose recorded against a Medication resource; every record comes, with its Medication."""
    r = req(rtype, ("http://www.nlm.nih.gov/research/umls/rxnorm", "1"))
    (_, s) = search_plan("p1", [r])
    assert s.url == f"{rtype}?patient=p1&_include={rtype}:medication&_count=200"
    assert s.codes == frozenset() and s.unavailable("x") == (Unavailable(rtype, r.codes, "x"),)


def test_empty_codes_search_by_patient_only() -> None:
    (_, s) = search_plan("p1", [req("Condition")])
    assert s.url == "Condition?patient=p1&_count=200"
    assert s.codes == frozenset()


def test_imaging_study_has_no_code_search_so_codes_are_matched_client_side() -> None:
    r = req("ImagingStudy", (SCT, "82918005"), since=date(2025, 1, 1))
    (_, s) = search_plan("p1", [r])
    assert s.url == "ImagingStudy?patient=p1&_count=200"
    assert s.unavailable("x") == (Unavailable("ImagingStudy", r.codes, "x"),)


def test_page_size_is_configurable() -> None:
    (_, s) = search_plan("p1", [req("Condition")], page_size=7)
    assert params(s)["_count"] == "7"


def test_unknown_type_searches_by_code_without_date() -> None:
    (_, s) = search_plan("p1", [req("Specimen", (SCT, "9"), since=date(2020, 1, 1))])
    assert s.url == "Specimen?patient=p1&code=http://snomed.info/sct|9,9&_count=200"


# -- tokens and escaping ----------------------------------------------------------------------


def test_escape_special_characters() -> None:
    assert escape_token_part(r"a,b|c$d\e") == r"a\,b\|c\$d\\e"
    assert render_token("http://x", "1,2") == r"http://x|1\,2"
    assert render_token("", "718-7") == "718-7"  # no system: any system


def test_escaped_values_are_percent_encoded_and_survive_decoding() -> None:
    (_, s) = search_plan("p1", [req("Observation", ("urn:x", "a,b|c$d\\e&f=g h#"))])
    assert "%5C," in s.url and "%26" in s.url and "%3D" in s.url and "%23" in s.url and " " not in s.url
    assert parse_tokens(params(s)["combo-code"]) == [("urn:x", "a,b|c$d\\e&f=g h#"), (None, "a,b|c$d\\e&f=g h#")]


code_text = st.text(alphabet=st.sampled_from("ab1-.,|$\\&=%# /:é"), min_size=1, max_size=12)


@given(st.frozensets(st.tuples(code_text, code_text), min_size=1, max_size=30))
def test_any_codes_round_trip_through_the_url(codes: frozenset[tuple[str, str]]) -> None:
    plan = search_plan("p1", [DataRequirement("Observation", codes)], max_url_length=300)
    decoded: list[tuple[str | None, str]] = []
    for s in plan[1:]:
        decoded.extend(parse_tokens(params(s)["combo-code"]))
    assert sorted(t for t in decoded if t[0] is not None) == sorted(codes)  # as written ...
    assert sorted(c for s, c in decoded if s is None) == sorted(c for _s, c in codes)  # ... and bare


# -- merging and splitting ---------------------------------------------------------------------


def test_merge_unions_codes_takes_earliest_date_and_all_criteria() -> None:
    merged = merge_requirements(
        [
            req("Observation", HB, since=date(2025, 1, 1), crit="hb"),
            req("Observation", PLT, since=date(2024, 6, 1), crit="plt"),
            req("Condition", (SCT, "1"), crit="net"),
        ]
    )
    assert merged == [
        DataRequirement("Condition", frozenset({(SCT, "1")})),
        DataRequirement("Observation", frozenset({HB, PLT}), date(2024, 6, 1)),
    ]
    assert merged[1].criteria == {"hb", "plt"}


def test_merge_none_date_and_empty_codes_win() -> None:
    (m,) = merge_requirements([req("Observation", HB, since=date(2025, 1, 1)), req("Observation")])
    assert m.codes == frozenset() and m.date_from is None


def test_one_search_per_type_after_merging() -> None:
    plan = search_plan(
        "p1",
        [
            req("Observation", HB, since=date(2025, 1, 1), crit="hb"),
            req("Observation", PLT, since=date(2024, 6, 1), crit="plt"),
        ],
    )
    assert len(plan) == 2
    assert {c for r in plan[1].serves for c in r.criteria} == {"hb", "plt"}


def test_long_code_lists_are_split_under_the_url_limit() -> None:
    codes = [(LOINC, f"{i:05d}-{i % 10}") for i in range(300)]
    a = DataRequirement("Observation", frozenset(codes[:150]), criteria=frozenset({"a"}))
    b = DataRequirement("Observation", frozenset(codes[150:]), criteria=frozenset({"b"}))
    plan = search_plan("p1", [a, b], max_url_length=1800)
    searches = plan[1:]
    assert len(searches) > 1
    assert all(len(s.url) <= 1800 for s in searches)
    assert frozenset().union(*(s.codes for s in searches)) == frozenset(codes)
    assert sum(len(s.codes) for s in searches) == 300  # no code asked twice
    first, last = searches[0], searches[-1]
    assert [r.criteria for r in first.serves] == [frozenset({"a"})]
    assert [r.criteria for r in last.serves] == [frozenset({"b"})]


def test_a_single_overlong_code_still_gets_its_own_search() -> None:
    plan = search_plan("p1", [req("Observation", ("urn:x", "y" * 500), HB)], max_url_length=200)
    assert len(plan) == 3
    assert {frozenset(s.codes) for s in plan[1:]} == {frozenset({HB}), frozenset({("urn:x", "y" * 500)})}


def test_unavailable_covers_only_the_served_requirements_share() -> None:
    a = req("Observation", HB, PLT, crit="a")
    b = req("Observation", (LOINC, "2160-0"), crit="b")
    search = PlannedSearch("Observation", (), frozenset({HB}), (a,))
    assert search.unavailable("data unavailable: HTTP 500") == (
        Unavailable("Observation", frozenset({HB}), "data unavailable: HTTP 500"),
    )
    whole = PlannedSearch("Observation", (), frozenset(), (a, b))
    assert [u.codes for u in whole.unavailable("x")] == [a.codes, b.codes]


# -- naive plan, batch, ids ---------------------------------------------------------------------


def test_naive_plan_has_one_search_per_criterion() -> None:
    reqs = [
        req("Observation", HB, crit="hb"),
        DataRequirement("Observation", frozenset({PLT}), None, frozenset({"plt", "plt2"})),
        req("Condition", (SCT, "1"), crit="net"),
        req("Patient", crit="age"),
    ]
    naive = naive_search_plan("p1", reqs)
    merged = search_plan("p1", reqs)
    assert [s.resource_type for s in naive] == [
        "Patient",
        "Observation",
        "Observation",
        "Observation",
        "Condition",
    ]
    assert len(merged) == 3
    assert [sorted(r.criteria) for s in naive[1:] for r in s.serves] == [["hb"], ["plt"], ["plt2"], ["net"]]


def test_batch_bundle_holds_get_entries() -> None:
    assert batch_bundle(["Patient?_id=p1", "Condition?patient=p1"]) == {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "GET", "url": "Patient?_id=p1"}},
            {"request": {"method": "GET", "url": "Condition?patient=p1"}},
        ],
    }


@pytest.mark.parametrize("bad", ["", "p1,p2", "a b", "x" * 65, "p1&_id=p2", "../p"])
def test_patient_ids_must_be_fhir_ids(bad: str) -> None:
    with pytest.raises(InputError):
        search_plan(bad, [])


def test_icd10_codes_are_searched_with_and_without_their_dot() -> None:
    (_, s) = search_plan(
        "p1",
        [req("Condition", ("http://hl7.org/fhir/sid/icd-10-cm", "C7A012"), ("http://hl7.org/fhir/sid/icd-10", "C78"))],
    )
    tokens = parse_tokens(params(s)["code"])
    assert ("http://hl7.org/fhir/sid/icd-10-cm", "C7A.012") in tokens
    assert ("http://hl7.org/fhir/sid/icd-10-cm", "C7A012") in tokens
    assert ("http://hl7.org/fhir/sid/icd-10", "C78") in tokens
    assert (None, "C7A.012") in tokens and (None, "C7A012") in tokens and (None, "C78") in tokens
    assert len(tokens) == 6
