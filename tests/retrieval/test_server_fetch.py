"""FHIR server retrieval against a mocked transport: batch vs GET, paging, faults, auth, TLS, logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from fhir_eligibility.errors import AuthorizationError, InputError, RetrievalError
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.model import DataRequirement, Unavailable
from fhir_eligibility.requirements.search import search_plan
from fhir_eligibility.retrieval.merge import answers_another_search
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions, fetch_patients, plan
from tests.retrieval.fake_fhir import BASE, LOINC, SNOMED, FakeFhir, cond, obs, patient

HB = (LOINC, "718-7")
PLT = (LOINC, "777-3")
NET = (SNOMED, "443492008")
REQS = [
    DataRequirement("Patient", criteria=frozenset({"age"})),
    DataRequirement("Observation", frozenset({HB}), date(2025, 1, 1), frozenset({"hb"})),
    DataRequirement("Observation", frozenset({PLT}), date(2025, 1, 1), frozenset({"plt"})),
    DataRequirement("Condition", frozenset({NET}), None, frozenset({"net"})),
]
WORLD = [
    patient("p1"),
    patient("p2"),
    obs("o1", "p1", "718-7"),
    obs("o2", "p1", "777-3"),
    obs("o3", "p1", "2160-0"),  # not asked for
    obs("o4", "p2", "718-7"),  # another patient
    cond("c1", "p1", "443492008"),
]


def opts(**kw: object) -> ServerOptions:
    return ServerOptions(BASE, **kw)  # type: ignore[arg-type]


def fetch_one(options: ServerOptions, pid: str = "p1") -> PatientData:
    (data,) = list(fetch_patients(options, [pid], REQS))
    return data


def ids(data: PatientData) -> list[str]:
    return [f"{r['resourceType']}/{r['id']}" for r in data.resources]


@pytest.fixture
def fake(rsps: responses.RequestsMock) -> FakeFhir:
    f = FakeFhir(list(WORLD))
    f.install(rsps)
    return f


# -- batch or GETs -----------------------------------------------------------------------------


def test_batch_when_capability_declares_it(fake: FakeFhir) -> None:
    data = fetch_one(opts())
    assert ids(data) == ["Patient/p1", "Condition/c1", "Observation/o1", "Observation/o2"]
    assert data.unavailable == () and data.warnings == []
    assert [m for m, _ in fake.log] == ["GET", "POST"]  # metadata + one batch
    assert fake.log[0][1] == BASE + "/metadata"


def test_batch_bundle_holds_every_search(fake: FakeFhir, rsps: responses.RequestsMock) -> None:
    fetch_one(opts())
    post = next(c for c in rsps.calls if c.request.method == "POST")
    assert post.request.headers["Content-Type"] == "application/fhir+json"
    body = json.loads(post.request.body)  # type: ignore[arg-type]
    assert [e["request"]["url"].split("?")[0] for e in body["entry"]] == [
        "Patient",
        "Condition",
        "Observation",
    ]


def test_metadata_is_read_once_for_many_patients(fake: FakeFhir) -> None:
    with FhirServer(opts()) as server:
        got = list(server.fetch_patients(["p1", "p2"], REQS))
        list(server.fetch_patients(["p1"], REQS))
    assert [d.patient_id for d in got] == ["p1", "p2"]
    assert ids(got[1]) == ["Patient/p2", "Observation/o4"]
    assert [m for m, _ in fake.log] == ["GET", "POST", "POST", "POST"]


def test_patients_per_batch_groups_patients_in_one_bundle(fake: FakeFhir) -> None:
    got = list(fetch_patients(opts(patients_per_batch=2), ["p1", "p2"], REQS))
    assert [m for m, _ in fake.log] == ["GET", "POST"]
    assert ids(got[0]) == ["Patient/p1", "Condition/c1", "Observation/o1", "Observation/o2"]
    assert ids(got[1]) == ["Patient/p2", "Observation/o4"]


def test_concurrent_gets_when_no_batch(fake: FakeFhir) -> None:
    fake.batch = False
    data = fetch_one(opts())
    assert ids(data) == ["Patient/p1", "Condition/c1", "Observation/o1", "Observation/o2"]
    assert fake.requests_for("POST") == []
    gets = [u.split("?")[0].rsplit("/", 1)[1] for u in fake.requests_for("GET")]
    assert sorted(gets) == ["Condition", "Observation", "Patient", "metadata"]


def test_batch_never_skips_metadata(fake: FakeFhir) -> None:
    fetch_one(opts(batch="never"))
    assert all("/metadata" not in u for _, u in fake.log)


def test_batch_refused_falls_back_to_gets(fake: FakeFhir) -> None:
    fake.faults["batch"] = [405]
    data = fetch_one(opts())
    assert ids(data) == ["Patient/p1", "Condition/c1", "Observation/o1", "Observation/o2"]
    assert len(fake.requests_for("GET")) == 4


# -- paging, dedup, other patients -------------------------------------------------------------


def test_next_links_are_followed(fake: FakeFhir) -> None:
    fake.resources += [obs(f"h{i}", "p1", "718-7") for i in range(5)]
    data = fetch_one(opts(page_size=2))
    assert sorted(i for i in ids(data) if i.startswith("Observation")) == sorted(
        ["Observation/o1", "Observation/o2"] + [f"Observation/h{i}" for i in range(5)]
    )
    assert len(fake.requests_for("GET")) == 1 + 3  # metadata + pages 2..4 of the Observation search
    assert data.unavailable == ()


def test_relative_next_links_resolve_against_the_base(fake: FakeFhir) -> None:
    fake.next_base = None  # "Observation?...&_offset=2"
    fake.resources += [obs(f"h{i}", "p1", "718-7") for i in range(3)]
    data = fetch_one(opts(page_size=2))
    assert len([i for i in ids(data) if i.startswith("Observation")]) == 5


def test_page_bound_makes_the_search_unavailable_and_keeps_what_was_read(fake: FakeFhir) -> None:
    fake.resources += [obs(f"h{i}", "p1", "718-7") for i in range(5)]
    data = fetch_one(opts(page_size=2, max_pages=2))
    assert len([i for i in ids(data) if i.startswith("Observation")]) == 4
    assert set(data.unavailable) == {
        Unavailable("Observation", frozenset({HB}), "more than 2 pages"),
        Unavailable("Observation", frozenset({PLT}), "more than 2 pages"),
    }


def test_next_link_to_another_host_is_not_followed(fake: FakeFhir) -> None:
    fake.resources += [obs(f"h{i}", "p1", "718-7") for i in range(3)]
    fake.next_base = "https://evil.example.com/r4"
    data = fetch_one(opts(page_size=2))
    assert {u.reason for u in data.unavailable} == {"next link outside the server base URL"}
    assert all("evil" not in u for _, u in fake.log)


def test_duplicates_across_pages_and_searches_are_dropped(fake: FakeFhir) -> None:
    fake.resources += [obs("o1", "p1", "718-7"), obs("o1", "p1", "718-7")]
    data = fetch_one(opts(page_size=2))
    assert ids(data).count("Observation/o1") == 1


def test_other_patients_data_makes_that_search_unavailable(fake: FakeFhir) -> None:
    # issue 12: a server ignoring the patient parameter is faulty; its answer is not "complete"
    fake.filter_patient = False
    data = fetch_one(opts())
    assert "Observation/o4" not in ids(data) and "Patient/p2" not in ids(data)
    assert any("another patient" in w for w in data.warnings)
    # the Hb search returned o4 (p2's): Hb is unknown, not "no value"
    hb = [u for u in data.unavailable if u.resource_type == "Observation" and HB in u.codes]
    assert hb and all("another patient" in u.reason for u in hb)


def _first(extra: dict[str, object]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda body: {**body, "entry": [extra, *body["entry"]]}


# faulty 200 answers to the Condition search (adversarial review): each read as "no such Condition"
# would be a closed-world FALSE, a false "ineligible"
GARBLED: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "entry-null": lambda body: {**body, "entry": [None, *body["entry"]]},
    "entry-without-resource": _first({"fullUrl": "urn:uuid:1"}),
    "resource-garbled": _first({"resource": "<garbled>"}),
    "resource-without-type": _first({"resource": {"id": "x"}}),
    "another-type": lambda body: {**body, "entry": [{"resource": obs("x", "p1", "718-7")}], "total": 1},
    "total-not-a-count": lambda body: {**body, "entry": [], "total": "2"},
    "foreign-subject": _first(
        {"resource": {**cond("c9", "other", "443492008"), "patient": {"reference": "Patient/p1"}}}
    ),
}


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "gets"])
@pytest.mark.parametrize("name", sorted(GARBLED))
def test_a_faulty_answer_in_a_200_makes_that_search_unavailable(fake: FakeFhir, name: str, batch: bool) -> None:
    fake.batch = batch
    fake.mangle["Condition"] = GARBLED[name]
    data = fetch_one(opts())
    assert [(u.resource_type, u.codes) for u in data.unavailable] == [("Condition", frozenset({NET}))]
    assert not any(r["resourceType"] == "Condition" for r in data.resources)
    assert ids(data)[:1] == ["Patient/p1"] and "Observation/o1" in ids(data)  # the other searches stand


def test_a_warning_outcome_in_a_search_is_reported_and_its_data_used(fake: FakeFhir) -> None:
    # (a warning/processing one says the search was cut short: tests/retrieval/test_search_outcomes.py)
    issue = {"severity": "warning", "code": "informational", "diagnostics": "Sorted by date for DOE, Jane"}
    note = {"resourceType": "OperationOutcome", "issue": [issue]}
    fake.mangle["Condition"] = lambda body: {**body, "entry": [*body["entry"], {"resource": note}]}
    data = fetch_one(opts())
    assert "Condition/c1" in ids(data) and data.unavailable == ()
    # by severity/code, never the diagnostics: a server may quote the patient there (--deidentify too)
    assert data.warnings == ["Condition search: the server noted: warning/informational"]


# -- faults ------------------------------------------------------------------------------------


def test_429_with_retry_after_then_success(fake: FakeFhir, sleeps: list[float]) -> None:
    fake.batch = False
    fake.faults["Observation"] = [(429, {"Retry-After": "7"})]
    data = fetch_one(opts())
    assert sleeps == [7.0]
    assert "Observation/o1" in ids(data) and data.unavailable == ()


def test_retry_after_as_http_date(fake: FakeFhir, sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    from fhir_eligibility.retrieval import connection

    monkeypatch.setattr(connection, "_now", lambda: 1_700_000_000.0)  # 2023-11-14T22:13:20Z
    fake.batch = False
    fake.faults["Condition"] = [(503, {"Retry-After": "Tue, 14 Nov 2023 22:13:32 GMT"})]
    fetch_one(opts())
    assert sleeps == [12.0]


def test_503_exhausting_retries_makes_only_that_requirement_unavailable(fake: FakeFhir, sleeps: list[float]) -> None:
    fake.batch = False
    fake.faults["Condition"] = [503] * 4
    data = fetch_one(opts(retries=3))
    assert sleeps == [0.5, 1.0, 2.0]  # exponential backoff
    assert data.unavailable == (Unavailable("Condition", frozenset({NET}), "HTTP 503 after 3 retries"),)
    assert ids(data) == ["Patient/p1", "Observation/o1", "Observation/o2"]


def test_retry_after_longer_than_max_wait_gives_up_at_once(fake: FakeFhir, sleeps: list[float]) -> None:
    fake.batch = False
    fake.faults["Condition"] = [(429, {"Retry-After": "3600"})]
    data = fetch_one(opts(max_wait=60))
    assert sleeps == []
    assert [u.reason for u in data.unavailable] == ["HTTP 429"]


def test_read_timeout_makes_the_search_unavailable(fake: FakeFhir, sleeps: list[float]) -> None:
    fake.batch = False
    fake.faults["Observation"] = [requests.ReadTimeout("read timed out")]
    data = fetch_one(opts())
    assert {(u.resource_type, u.reason) for u in data.unavailable} == {("Observation", "timeout")}
    assert {u.codes for u in data.unavailable} == {frozenset({HB}), frozenset({PLT})}
    assert sleeps == []


def test_connection_errors_are_retried(fake: FakeFhir, sleeps: list[float]) -> None:
    fake.batch = False
    fake.faults["Observation"] = [requests.ConnectionError("refused"), requests.ConnectTimeout("slow")]
    data = fetch_one(opts())
    assert sleeps == [0.5, 1.0] and data.unavailable == ()


def test_batch_answers_out_of_order_are_a_fault_not_data(fake: FakeFhir) -> None:
    """A server answering a batch's entries in completion order gave p1 the Condition answer meant for
    p2 (none) and p2 p1's: p1's NET diagnosis read as absent (ineligible). Each answer's self link names
    the patient it is for: both Condition searches are unavailable; the rest is read."""
    fake.swap = "Condition"
    p1, p2 = fetch_patients(opts(patients_per_batch=2), ["p1", "p2"], REQS)
    for data in (p1, p2):
        (gone,) = data.unavailable
        assert gone.resource_type == "Condition" and "self link names another patient" in gone.reason
    assert ids(p1) == ["Patient/p1", "Observation/o1", "Observation/o2"]  # c1 is not read as p2's either
    assert ids(p2) == ["Patient/p2", "Observation/o4"]
    fake.swap = None
    assert "Condition/c1" in ids(fetch_one(opts()))  # in order: read as before


@pytest.mark.parametrize(
    ("self_url", "why"),
    [
        (f"{BASE}/Condition?patient=p1&_count=100", None),
        (f"{BASE}/Condition?subject=Patient%2Fp1", None),
        (f"{BASE}/Condition?subject:Patient={BASE}/Patient/p1", None),
        (f"{BASE}?_getpages=abc&_getpagesoffset=0", None),  # a paging token names nothing: cannot tell
        ("Condition?patient=p2", "another patient"),
        (f"{BASE}/Condition?patient=p1,p2", "another patient"),
        (f"{BASE}/Procedure?patient=p1", "another type"),
    ],
)
def test_a_self_link_says_whose_answer_it_is(self_url: str, why: str | None) -> None:
    (search,) = [s for s in search_plan("p1", REQS) if s.resource_type == "Condition"]
    page = {"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "self", "url": self_url}]}
    said = answers_another_search(page, search)
    assert (said is None) if why is None else (said is not None and why in said), said


def test_batch_entry_500_is_unavailable_for_that_entry_only(fake: FakeFhir) -> None:
    fake.faults["Condition"] = [500]
    data = fetch_one(opts())
    # the OperationOutcome's severity/code, never its diagnostics (they may quote the patient)
    assert data.unavailable == (Unavailable("Condition", frozenset({NET}), "HTTP 500 (error/exception)"),)
    assert ids(data) == ["Patient/p1", "Observation/o1", "Observation/o2"]
    assert [m for m, _ in fake.log] == ["GET", "POST"]


def test_batch_entry_503_is_retried_alone(fake: FakeFhir, sleeps: list[float]) -> None:
    fake.faults["Condition"] = [503]
    data = fetch_one(opts())
    assert data.unavailable == () and "Condition/c1" in ids(data)
    assert [m for m, _ in fake.log] == ["GET", "POST", "GET"]


def test_batch_post_exhausting_retries_leaves_the_patient_unfetched(fake: FakeFhir, sleeps: list[float]) -> None:
    """Not even the Patient could be read: the patient is not evaluated (not screened, nothing written
    back: docs/write-back.md), rather than "undetermined" on a record that holds nothing."""
    fake.faults["batch"] = [503] * 3
    with pytest.raises(RetrievalError, match="could not be fetched"):
        fetch_one(opts(retries=2))


def test_401_raises_authorization_error_with_one_line(fake: FakeFhir) -> None:
    fake.faults["batch"] = [401]
    with pytest.raises(AuthorizationError) as info:
        fetch_one(opts(bearer_token="tok-SECRET"))
    message = str(info.value)
    assert "HTTP 401" in message and "\n" not in message and "SECRET" not in message
    assert "p1" not in message


def test_unknown_patient_raises(fake: FakeFhir) -> None:
    with pytest.raises(RetrievalError, match="not found"):
        fetch_one(opts(), "nobody")


def test_patient_404_raises(fake: FakeFhir) -> None:
    fake.batch = False
    fake.faults["Patient"] = [404]
    with pytest.raises(RetrievalError, match="not found"):
        fetch_one(opts())


def test_unreachable_server_raises(rsps: responses.RequestsMock, sleeps: list[float]) -> None:
    rsps.add(responses.GET, BASE + "/metadata", body=requests.ConnectionError("refused"))
    with pytest.raises(RetrievalError, match="cannot reach"):
        fetch_one(opts(retries=1))


# -- auth, TLS, logs ---------------------------------------------------------------------------


def test_bearer_token_header_and_env_token(
    fake: FakeFhir, rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch_one(opts(bearer_token="abc"))
    assert {c.request.headers["Authorization"] for c in rsps.calls} == {"Bearer abc"}
    rsps.calls.reset()
    monkeypatch.setenv("FHIR_ELIGIBILITY_TOKEN", "from-env")
    fetch_one(opts())
    assert {c.request.headers["Authorization"] for c in rsps.calls} == {"Bearer from-env"}
    rsps.calls.reset()
    fetch_one(opts(use_env_token=False))
    assert all("Authorization" not in c.request.headers for c in rsps.calls)


def test_tls_verify_flag_ca_bundle_and_timeout_are_passed(fake: FakeFhir, rsps: responses.RequestsMock) -> None:
    fetch_one(opts(verify_tls=False, timeout=12))
    assert {c.request.req_kwargs["verify"] for c in rsps.calls} == {False}  # type: ignore[attr-defined]
    assert {c.request.req_kwargs["timeout"] for c in rsps.calls} == {(10.0, 12)}  # type: ignore[attr-defined]
    rsps.calls.reset()
    fetch_one(opts(ca_bundle="/etc/hospital-ca.pem"))
    assert {c.request.req_kwargs["verify"] for c in rsps.calls} == {"/etc/hospital-ca.pem"}  # type: ignore[attr-defined]


def test_no_token_or_patient_id_in_logs(fake: FakeFhir, sleeps: list[float], caplog: pytest.LogCaptureFixture) -> None:
    fake.batch = False
    fake.faults["Observation"] = [(429, {"Retry-After": "1"})]
    fake.faults["Condition"] = [500]
    caplog.set_level(logging.DEBUG, logger="fhir_eligibility")
    fetch_one(opts(bearer_token="tok-SECRET-123"), "p1")
    assert caplog.records  # something was logged
    assert "SECRET" not in caplog.text
    assert "p1" not in caplog.text and "718-7" not in caplog.text and "patient=" not in caplog.text


def test_options_repr_hides_the_token() -> None:
    assert "SECRET" not in repr(opts(bearer_token="SECRET"))


@pytest.mark.parametrize(
    "kw",
    [{"base_url": "ftp://x"}, {"base_url": BASE + "?a=1"}, {"page_size": 0}, {"retries": -1}, {"timeout": 0}],
)
def test_bad_options_are_input_errors(kw: dict[str, object]) -> None:
    args: dict[str, object] = {"base_url": BASE, **kw}
    with pytest.raises(InputError):
        ServerOptions(**args)  # type: ignore[arg-type]


# -- plan --------------------------------------------------------------------------------------


def test_plan_sends_nothing(rsps: responses.RequestsMock) -> None:
    lines = plan(opts(), ["p1", "p2"], REQS)
    assert len(rsps.calls) == 0
    assert lines[0] == f"GET {BASE}/metadata"
    assert lines[1].startswith(f"POST {BASE}  batch (if /metadata declares batch")
    assert lines[2] == "  GET Patient?_id=p1"
    assert sum(line.startswith("POST") for line in lines) == 2


def test_plan_without_batch_lists_absolute_gets(rsps: responses.RequestsMock) -> None:
    lines = plan(opts(batch="never", page_size=50), ["p1"], REQS)
    # no date bound on Observations; each code as the definitions write it, then bare (any system)
    assert lines == [
        f"GET {BASE}/Patient?_id=p1",
        f"GET {BASE}/Condition?patient=p1&code={SNOMED}|443492008,443492008&_count=50",
        f"GET {BASE}/Observation?patient=p1&combo-code={LOINC}|718-7,{LOINC}|777-3,718-7,777-3&_count=50",
    ]
    assert len(rsps.calls) == 0


def test_plan_with_batch_always(rsps: responses.RequestsMock) -> None:
    lines = plan(opts(batch="always", patients_per_batch=2), ["p1", "p2"], REQS)
    assert lines[0] == f"POST {BASE}  batch"
    assert len(lines) == 1 + 6


def test_a_patient_who_cannot_be_fetched_costs_no_other_patient(fake: FakeFhir) -> None:
    """Adversarial review: `evaluate --server --patient p1 --patient p2` lost p1's report (and its
    write-back) when p2's Patient read failed. With ``skipped``, the batch is retried patient by patient:
    p1 is fetched, the unknown p9 is listed with why, and nothing is fetched twice."""
    skipped: list[tuple[str, str]] = []
    got = list(fetch_patients(opts(), ["p1", "p9", "p2"], REQS, skipped=skipped))
    assert [d.patient_id for d in got] == ["p1", "p2"]
    assert [pid for pid, _ in skipped] == ["p9"] and "not found" in skipped[0][1]
    with pytest.raises(RetrievalError, match="not found"):  # without it, as before: the run ends
        list(fetch_patients(opts(), ["p1", "p9"], REQS))


def test_evaluate_on_a_server_reports_the_others_and_exits_partial(fake: FakeFhir, tmp_path: Any) -> None:
    from click.testing import CliRunner

    from fhir_eligibility.cli import cli

    mini = str(Path(__file__).resolve().parents[1] / "fixtures" / "mini")
    args = ["evaluate", "--server", BASE, "--patient", "p1", "--patient", "p9", "--definitions", mini]
    out = tmp_path / "report.json"
    r = CliRunner().invoke(cli, [*args, "--as-of", "2026-06-01", "--format", "json", "-o", str(out)])
    assert r.exit_code == 4, r.output
    report = json.loads(out.read_text())
    assert {x["patient"] for x in report["results"]} == {"Patient/p1"}
    assert any(w.startswith("Patient/p9: not evaluated") for w in report["warnings"])
    alone = ["evaluate", "--server", BASE, "--patient", "p9", "--definitions", mini, "--as-of", "2026-06-01"]
    r = CliRunner().invoke(cli, alone)
    # nobody fetched: the one error, as before (main() prints it on one line, exit 2)
    assert isinstance(r.exception, RetrievalError) and "not found" in str(r.exception)


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (requests.ConnectionError("connection reset"), "whether it was recorded is unknown"),
        ((200, '{"resourceType": "Bundle", "ty'), "whether it was recorded is unknown"),  # cut short
        ((422, "{}"), "refused the transaction: HTTP 422"),
    ],
)
def test_a_transaction_whose_answer_was_lost_is_not_called_refused(
    rsps: responses.RequestsMock, answer: Any, said: str
) -> None:
    """Adversarial review: a transaction the server stored but whose answer was cut short was reported
    as "refused"; the subject was in fact created. Only an HTTP error status is a refusal."""
    if isinstance(answer, Exception):
        rsps.add(responses.POST, BASE, body=answer)
    else:
        rsps.add(responses.POST, BASE, status=answer[0], body=answer[1], content_type="application/fhir+json")
    with FhirServer(opts(retries=0)) as server, pytest.raises(RetrievalError) as info:
        server.transaction({"resourceType": "Bundle", "type": "transaction", "entry": []})
    assert said in str(info.value)
