"""Server screening without a server: the anchoring diagnosis derived from the criteria tree, the
Condition searches it becomes (ICD-10 in both spellings), and the Bulk Data client's protocol
(kick-off with Prefer: respond-async, Retry-After honoured, manifest, token only where required)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from fhir_eligibility import disk
from fhir_eligibility.codes import ICD10CM, SNOMED
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Combination, Criterion, Manual, Records
from fhir_eligibility.errors import AuthorizationError, RetrievalError
from fhir_eligibility.retrieval import bulk
from fhir_eligibility.retrieval.search_client import SearchClient
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions
from fhir_eligibility.screening import server as srv
from tests.screening.helpers import ROOT

BASE = "http://fhir.test/r4"
MINI = ROOT / "tests" / "fixtures" / "mini"


def _leaf(codes: set[tuple[str, str]], **kw: object) -> Criterion:
    return Criterion("x", "x", Records(("Condition",), frozenset(codes)), **kw)  # type: ignore[arg-type]


def test_necessary_codes_follow_the_logic() -> None:
    a, b, c = {(ICD10CM, "C7A012")}, {(ICD10CM, "C172")}, {(SNOMED, "1")}
    any_of = Criterion("n", "n", Combination("any-of", None, (_leaf(a), _leaf(b))))
    assert srv.necessary_condition_codes(any_of) == frozenset(a | b)
    all_of = Criterion("n", "n", Combination("all-of", None, (Criterion("m", "m", Manual()), _leaf(c))))
    assert srv.necessary_condition_codes(all_of) == frozenset(c)
    with_manual = Criterion("n", "n", Combination("any-of", None, (_leaf(a), Criterion("m", "m", Manual()))))
    assert srv.necessary_condition_codes(with_manual) is None  # an attestation alone could satisfy it
    assert srv.necessary_condition_codes(_leaf(a, exclude=True)) is None


def test_every_bundled_trial_has_an_anchoring_diagnosis() -> None:
    anchors = {t.id: srv.anchor_codes(t) for t in load_trials()}
    assert all(a is not None for a in anchors.values())
    a = anchors["NCT04954820"]
    assert a is not None and a.criterion == "A-I2"
    assert (ICD10CM, "C7A012") in a.codes  # pre-coordinated intestinal NET
    assert (ICD10CM, "C172") in a.codes  # ... or the site route (site + morphology)
    mini = load_trials([MINI])[0]
    assert srv.anchor_codes(mini) is not None


def test_search_tokens_send_icd_codes_dotted_too() -> None:
    tokens = srv.search_tokens({(ICD10CM, "C7A012"), (ICD10CM, "C61"), (SNOMED, "94381002")})
    assert f"{ICD10CM}|C7A012" in tokens and f"{ICD10CM}|C7A.012" in tokens
    assert f"{ICD10CM}|C61" in tokens and f"{SNOMED}|94381002" in tokens


def test_condition_searches_stay_under_the_url_limit() -> None:
    codes = {(ICD10CM, f"C{n:02d}{m}") for n in range(10, 99) for m in range(10)}
    urls = srv.condition_search_urls(BASE, codes)
    assert len(urls) > 1 and all(len(u) <= srv.MAX_URL for u in urls)
    sent = {t for u in urls for t in u.split("code=", 1)[1].split(",")}
    assert len(sent) == len(srv.search_tokens(codes))


# -- Bulk Data client --------------------------------------------------------------------------


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(bulk, "_sleep", recorded.append)
    return recorded


@pytest.fixture(autouse=True)
def _no_env_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FHIR_ELIGIBILITY_TOKEN", raising=False)


def _manifest(requires_token: bool) -> dict[str, object]:
    return {
        "transactionTime": "2026-06-01T00:00:00Z",
        "request": f"{BASE}/Patient/$export",
        "requiresAccessToken": requires_token,
        "output": [
            {"type": "Patient", "url": f"{BASE}/files/p.ndjson"},
            {"type": "Observation", "url": "http://files.test/o.ndjson"},
        ],
        "error": [],
    }


def test_bulk_export_protocol(rsps: responses.RequestsMock, waits: list[float], tmp_path: Path) -> None:
    status = f"{BASE}/status/1"
    rsps.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": status})
    rsps.get(status, status=202, headers={"Retry-After": "7", "X-Progress": "50%"})
    rsps.get(status, status=202)  # no Retry-After: backoff
    rsps.get(status, json=_manifest(True), status=200)
    rsps.get(f"{BASE}/files/p.ndjson", body='{"resourceType":"Patient","id":"p1"}\n')
    rsps.get("http://files.test/o.ndjson", body="")
    rsps.delete(status, status=202)
    with FhirServer(ServerOptions(BASE, bearer_token="s3cret")) as server:
        result = bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient", "Observation"], tmp_path)
    kick = rsps.calls[0].request
    assert kick.headers["Prefer"] == "respond-async" and kick.headers["Accept"] == "application/fhir+json"
    assert "_type=Patient,Observation" in (kick.url or "")
    assert waits[0] == 7.0 and len(waits) == 2  # Retry-After honoured, then a backoff
    downloads = [c.request for c in rsps.calls if (c.request.url or "").endswith(".ndjson")]
    # requiresAccessToken: the token goes to the server's own file URL only, never to files.test (issue 12)
    assert [d.headers.get("Authorization") for d in downloads] == ["Bearer s3cret", None]
    assert [f.name for f in result.files] == ["Patient-0000.ndjson", "Observation-0001.ndjson"]
    assert json.loads(result.files[0].read_text())["id"] == "p1"


def _outcome(code: str) -> dict[str, object]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code}]}


@pytest.mark.parametrize(
    ("first", "waited"),
    [
        # "poll less often": honoured however long, within the export's hour (the request loop gives up past 60 s)
        ({"status": 429, "headers": {"Retry-After": "120"}, "json": _outcome("throttled")}, 120.0),
        # a polling failure that does not end the export (Bulk Data: a transient issue type): asked again
        ({"status": 500, "json": _outcome("transient")}, 1.0),
        ({"status": 503}, 1.0),
    ],
    ids=["429-retry-after-120", "500-transient", "503"],
)
def test_a_status_poll_told_to_wait_or_retry_goes_on(
    rsps: responses.RequestsMock, waits: list[float], tmp_path: Path, first: dict[str, object], waited: float
) -> None:
    """Each of these stopped screen --server with exit 2 ("HTTP 429", "HTTP 500: error/transient")."""
    status = f"{BASE}/status/8"
    rsps.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": status})
    rsps.get(status, **first)  # type: ignore[arg-type]
    rsps.get(status, json=_manifest(False))
    rsps.get(f"{BASE}/files/p.ndjson", body='{"resourceType":"Patient","id":"p1"}\n')
    rsps.get("http://files.test/o.ndjson", body="")
    rsps.delete(status, status=202)
    with FhirServer(ServerOptions(BASE)) as server:
        result = bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient"], tmp_path)
    assert waits == [waited] and not result.failed and len(result.files) == 2


def test_a_status_poll_retry_after_past_the_deadline_ends_the_export(
    rsps: responses.RequestsMock, waits: list[float], tmp_path: Path
) -> None:
    status = f"{BASE}/status/9"
    rsps.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": status})
    rsps.get(status, status=429, headers={"Retry-After": "120"})
    rsps.delete(status, status=202)  # the job is cancelled
    with FhirServer(ServerOptions(BASE)) as server, pytest.raises(RetrievalError, match="not complete after 100 s"):
        bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient"], tmp_path, timeout=100)
    assert waits == []


@pytest.mark.parametrize(
    ("where", "answers", "note"),
    [
        # the kick-off failed: no export at all
        (
            "kick-off",
            [{"status": 500, "json": _outcome("exception")}],
            "$export kick-off failed (HTTP 500: error/exception)",
        ),
        # a 503 kick-off asked again (retries=2), then given up
        ("kick-off", [{"status": 503}] * 3, "$export kick-off failed (HTTP 503)"),
        # the export failed on the server (an error that is not transient)
        (
            "status",
            [{"status": 500, "json": _outcome("processing")}],
            "$export failed (its status: HTTP 500: error/processing)",
        ),
        # transient, but again and again: at most `retries` times in a row
        (
            "status",
            [{"status": 500, "json": _outcome("transient")}] * 3,
            "$export failed (its status: HTTP 500: error/transient)",
        ),
    ],
)
def test_an_export_the_server_failed_is_not_used(
    rsps: responses.RequestsMock,
    waits: list[float],
    tmp_path: Path,
    where: str,
    answers: list[dict[str, object]],
    note: str,
) -> None:
    """A failed kick-off or export stopped the run (exit 2); screen_server now screens by search instead,
    as after an export whose manifest reports errors."""
    status = f"{BASE}/status/10"
    kick = f"{BASE}/Patient/$export"
    for answer in answers:
        rsps.get(kick if where == "kick-off" else status, **answer)  # type: ignore[arg-type]
    if where == "status":
        rsps.add(responses.GET, kick, status=202, headers={"Content-Location": status})
        rsps.delete(status, status=202)
    with FhirServer(ServerOptions(BASE, retries=2)) as server:
        result = bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient"], tmp_path)
    assert result.failed and result.files == [] and result.notes == [note]
    assert len(waits) == len(answers) - 1  # each retry waited, the last answer decided
    asked = kick if where == "kick-off" else status
    assert sum(c.request.method == "GET" and (c.request.url or "").startswith(asked) for c in rsps.calls) == len(
        answers
    )


def _finished_export(rsps: responses.RequestsMock, status: str, patients: str) -> None:
    """An export done at once: :func:`_manifest` (no token required), its two files, the status deleted."""
    rsps.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": status})
    rsps.get(status, json=_manifest(False), status=200)
    rsps.get(f"{BASE}/files/p.ndjson", body=patients)
    rsps.get("http://files.test/o.ndjson", body="")
    rsps.delete(status, status=202)


def test_bulk_download_without_token_when_not_required(
    rsps: responses.RequestsMock, waits: list[float], tmp_path: Path
) -> None:
    _finished_export(rsps, f"{BASE}/status/2", patients="")
    with FhirServer(ServerOptions(BASE, bearer_token="s3cret")) as server:
        bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient"], tmp_path)
    downloads = [c.request for c in rsps.calls if (c.request.url or "").endswith(".ndjson")]
    assert [d.headers.get("Authorization") for d in downloads] == [None, None]


@pytest.mark.parametrize("status", [401, 403])
def test_a_storage_host_refusing_a_file_is_named_not_the_token(
    rsps: responses.RequestsMock, waits: list[float], tmp_path: Path, status: int
) -> None:
    """A file on another host gets no token; its refusal (an expired signed URL) was reported as the FHIR
    server refusing the request, "check the bearer token" (exit 3). It names that host now."""
    rsps.assert_all_requests_are_fired = False  # the export stops at the refused file
    status_url = f"{BASE}/status/7"
    rsps.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": status_url})
    rsps.get(status_url, json=_manifest(True))
    rsps.get(f"{BASE}/files/p.ndjson", body='{"resourceType":"Patient","id":"p1"}\n')
    rsps.get("http://files.test/o.ndjson", status=status)
    rsps.delete(status_url, status=202)
    with FhirServer(ServerOptions(BASE, bearer_token="s3cret")) as server, pytest.raises(RetrievalError) as e:
        bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient", "Observation"], tmp_path)
    assert not isinstance(e.value, AuthorizationError)  # exit 2, not 3: the FHIR server authorised us
    said = str(e.value)
    assert f"storage host files.test refused the download (HTTP {status})" in said
    assert "no token was sent there" in said and "bearer token" not in said
    refused = [c.request for c in rsps.calls if c.request.url == "http://files.test/o.ndjson"]
    assert len(refused) == 1 and "Authorization" not in refused[0].headers


def test_bulk_refused_and_failed(rsps: responses.RequestsMock, waits: list[float], tmp_path: Path) -> None:
    rsps.get(f"{BASE}/Patient/$export", status=401)
    with FhirServer(ServerOptions(BASE)) as server, pytest.raises(AuthorizationError):
        bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient"], tmp_path)
    rsps.get(
        f"{BASE}/$export",
        status=400,
        json={
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "invalid", "diagnostics": "bad _type for Patient/p1 Jane Roe"}],
        },
    )
    # A 400 ended the run (exit 2): it says this server cannot export what was asked (a _type, a
    # _typeFilter), so the export failed and screen --server searches instead (Bulk Data kick-off errors).
    # The refusal by severity/code: its diagnostics may quote a patient
    with FhirServer(ServerOptions(BASE)) as server:
        result = bulk.bulk_export(SearchClient(server), "$export", ["Patient"], tmp_path)
    assert result.failed and result.files == [] and "error/invalid" in result.notes[0]
    assert "Jane" not in result.notes[0] and "p1" not in result.notes[0]


def test_export_endpoint_from_capabilities() -> None:
    patient_level = {"rest": [{"resource": [{"type": "Patient", "operation": [{"name": "export"}]}]}]}
    system_level = {"rest": [{"operation": [{"name": "export"}], "resource": [{"type": "Patient"}]}]}
    assert bulk.export_endpoint(patient_level) == "Patient/$export"
    assert bulk.export_endpoint(system_level) == "$export"
    assert bulk.export_endpoint({"rest": [{"resource": [{"type": "Patient"}]}]}) is None


# -- candidate search ----------------------------------------------------------------------------


def test_trials_sharing_a_diagnosis_search_send_each_search_once(rsps: responses.RequestsMock) -> None:
    """The five Lutathera trials anchor on overlapping NET value sets: every distinct Condition search
    goes out once, and each trial still gets the patients its own searches found."""
    trials = load_trials()
    urls = [u for t in trials if (a := srv.anchor_codes(t)) for u in srv.condition_search_urls(BASE, a.codes)]
    assert len(set(urls)) < len(urls), "the bundled trials no longer share a search: the test proves nothing"
    for i, url in enumerate(dict.fromkeys(urls)):
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": 1,
            "entry": [
                {"resource": {"resourceType": "Condition", "id": f"c{i}", "subject": {"reference": f"Patient/p{i}"}}}
            ],
        }
        rsps.get(url, json=bundle, match=[responses.matchers.query_string_matcher(url.split("?", 1)[1])])
    with FhirServer(ServerOptions(BASE)) as server:
        ids, notes = srv.candidate_ids(SearchClient(server), trials)
    assert len(rsps.calls) == len(set(urls))
    assert ids == sorted(f"p{i}" for i in range(len(set(urls))))
    assert len(notes) == len(trials)


def test_a_warning_in_a_candidate_search_page_is_in_the_notes(rsps: responses.RequestsMock) -> None:
    """A server that answers the candidate search with a warning (here: it capped the codes it
    searched) says something the coordinator must read: the note is reported once, not dropped, by
    its severity/code (its diagnostics may quote a patient, and --deidentify reports carry the notes)."""
    trials = [t for t in load_trials() if t.id == "NCT05773274"]
    anchor = srv.anchor_codes(trials[0])
    assert anchor is not None
    urls = list(dict.fromkeys(srv.condition_search_urls(BASE, anchor.codes)))
    warning = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "warning", "code": "informational", "diagnostics": "only 50 codes for SMITH, Jo"}],
    }
    for url in urls:
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": warning, "search": {"mode": "outcome"}}],
        }
        rsps.get(url, json=bundle, match=[responses.matchers.query_string_matcher(url.split("?", 1)[1])])
    with FhirServer(ServerOptions(BASE)) as server:
        ids, notes = srv.candidate_ids(SearchClient(server), trials)
    assert ids == []
    noted = [n for n in notes if "warning/informational" in n]
    assert len(noted) == 1, notes
    assert not any("SMITH" in n for n in notes), notes  # by severity/code: diagnostics may name a patient


def test_a_candidate_named_by_a_malformed_reference_is_listed_not_dropped(rsps: responses.RequestsMock) -> None:
    """A NET Condition whose subject is "Patient/p2/", "patient/p2" or " Patient/p2" was dropped: p2 was
    neither screened nor listed, the run said nothing. Now p2 is one candidate listed as not screened
    (named by its first Condition), p3 another; a Group's Condition is still no one's."""
    trials = load_trials([MINI])
    anchor = srv.anchor_codes(trials[0])
    assert anchor is not None
    subjects = {"c1": "Patient/p1", "c2": "Patient/p2/", "c3": "patient/p2", "c4": " Patient/p2", "c5": "patient/p3"}
    entries = [
        {"resource": {"resourceType": "Condition", "id": cid, "subject": {"reference": ref}}}
        for cid, ref in [*subjects.items(), ("c6", "Group/g1")]
    ]
    for url in dict.fromkeys(srv.condition_search_urls(BASE, anchor.codes)):
        bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}
        rsps.get(url, json=bundle, match=[responses.matchers.query_string_matcher(url.split("?", 1)[1])])
    with FhirServer(ServerOptions(BASE)) as server:
        ids, notes = srv.candidate_ids(SearchClient(server), trials)
        assert ids == ["p1", "subject of Condition/c2", "subject of Condition/c5"]
        assert any("2 patient(s) named by a malformed Patient reference" in n for n in notes), notes
        skipped: list[tuple[str, str]] = []
        assert list(srv.fetch_all(server, ids[1:], [], skipped)) == []
    assert skipped == [("subject of Condition/c2", srv.MISREFERENCED), ("subject of Condition/c5", srv.MISREFERENCED)]


@pytest.mark.parametrize(
    ("asked", "failed", "note"),
    [
        # no Condition file: a lenient export may have skipped it; read as none, every patient would
        # lack the diagnosis and be ineligible: incomplete, so screen_server screens by search instead
        (["Patient", "Observation", "Condition"], True, "$export returned no Condition file: the export is incomplete"),
        # no MedicationDispense file: the server holds none, which decides no criterion alone
        (["Patient", "Observation", "MedicationDispense"], False, "$export returned no MedicationDispense file"),
    ],
)
def test_a_requested_type_without_a_file(
    rsps: responses.RequestsMock, waits: list[float], tmp_path: Path, asked: list[str], failed: bool, note: str
) -> None:
    _finished_export(rsps, f"{BASE}/status/3", patients='{"resourceType":"Patient","id":"p1"}\n')
    with FhirServer(ServerOptions(BASE)) as server:
        result = bulk.bulk_export(SearchClient(server), "Patient/$export", asked, tmp_path)
    assert result.failed is failed
    assert any(n.startswith(note) for n in result.notes), result.notes


PATIENT = '{"resourceType":"Patient","id":"p1"}\n'
CONDITION = '{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"}}\n'


@pytest.mark.parametrize(
    ("output", "body", "vouched", "note"),
    [
        # a file that may hold any type vouches for the types its lines hold, and for no other
        ({"type": "Resource"}, PATIENT, None, "$export returned no Condition file: the export is incomplete"),
        ({}, PATIENT, None, "$export returned no Condition file: the export is incomplete"),
        ({"type": "Resource"}, PATIENT + CONDITION, ["Condition", "Patient"], None),
        # an empty Condition file is no evidence of "no Conditions" (a part that failed), unless counted 0
        (
            {"type": "Condition"},
            "",
            None,
            "$export returned an empty Condition file without a count: the export is incomplete",
        ),
        ({"type": "Condition", "count": 0}, "", ["Condition", "Patient"], None),
        ({"type": "Condition"}, CONDITION, ["Condition", "Patient"], None),
    ],
    ids=["resource", "untyped", "resource-with-conditions", "empty", "empty-count-0", "condition"],
)
def test_an_export_vouches_only_for_what_its_files_show(
    rsps: responses.RequestsMock,
    waits: list[float],
    tmp_path: Path,
    output: dict[str, object],
    body: str,
    vouched: list[str] | None,
    note: str | None,
) -> None:
    """Before, a "Resource" or untyped file (or an empty Condition file) made the export complete for every
    type asked: screen --server read "no Condition" for everyone, ineligible on the closed-world rule."""
    status = f"{BASE}/status/11"
    rsps.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": status})
    outputs = [{"type": "Patient", "url": f"{BASE}/files/p.ndjson"}, {**output, "url": f"{BASE}/files/x.ndjson"}]
    rsps.get(status, json={"requiresAccessToken": False, "output": outputs, "error": []})
    rsps.get(f"{BASE}/files/p.ndjson", body=PATIENT)
    rsps.get(f"{BASE}/files/x.ndjson", body=body)
    rsps.delete(status, status=202)
    with FhirServer(ServerOptions(BASE)) as server:
        result = bulk.bulk_export(SearchClient(server), "Patient/$export", ["Condition", "Patient"], tmp_path)
    assert result.failed is (vouched is None)  # screened by search instead
    if vouched is not None:
        assert result.vouched == vouched
    assert (note in result.notes) if note is not None else not any("returned" in n for n in result.notes)


def test_a_download_past_the_allowed_size_ends_the_export_with_one_error(
    rsps: responses.RequestsMock, waits: list[float], tmp_path: Path
) -> None:
    """A server that sends far more than announced (or without end) must not fill the disk."""
    rsps.assert_all_requests_are_fired = False  # the export stops at its first file
    line = '{"resourceType":"Patient","id":"p1"}\n'
    status = f"{BASE}/status/4"
    _finished_export(rsps, status, patients=line * 100)  # 3,700 bytes
    with FhirServer(ServerOptions(BASE)) as server, pytest.raises(RetrievalError, match=r"exceed the .* GiB allowed"):
        bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient"], tmp_path, max_bytes=1000)
    assert not (tmp_path / "Patient-0000.ndjson").exists()  # a part of a file is removed
    assert any(c.request.method == "DELETE" for c in rsps.calls)  # the job is cancelled
    _finished_export(rsps, status, patients=line * 100)
    with FhirServer(ServerOptions(BASE)) as server:  # room enough: the same export is used
        done = bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient"], tmp_path, max_bytes=10_000)
    assert done.files[0].read_text() == line * 100


def test_a_download_stops_before_the_disk_is_full(
    rsps: responses.RequestsMock, waits: list[float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rsps.assert_all_requests_are_fired = False  # the export stops at its first file
    # 6,000 bytes above the reserve: the 3,700-byte file would fit, but not with its shards beside it
    free = disk.RESERVE_BYTES + 6000
    monkeypatch.setattr(disk, "_usage", lambda _p: type("Usage", (), {"free": free})())
    _finished_export(rsps, f"{BASE}/status/5", patients='{"resourceType":"Patient","id":"p1"}\n' * 100)
    with FhirServer(ServerOptions(BASE)) as server, pytest.raises(RetrievalError, match=r"less than 1\.0 GiB free"):
        bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient"], tmp_path, max_bytes=10**12)


def test_a_file_with_no_newline_is_checked_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "Patient-0000.ndjson"
    path.write_bytes(b'{"resourceType":"Patient","id":"' + b"x" * (65 * 2**20) + b'"}')  # one line past the cap
    assert bulk._file_problem(path, "Patient", 1, bulk._Shown()) == (
        "its first line is longer than 64 MiB (no resource: a page, a dump?)"  # an HTML page with no newline...
    )
    path.write_bytes(b'{"resourceType":"Patient","id":"p1"}\n' + b"x" * (65 * 2**20))
    assert bulk._file_problem(path, "Patient", 2, bulk._Shown()) is None  # a long line later: counted, its reader warns


def test_a_renewed_token_download_holds_the_file_alone(
    rsps: responses.RequestsMock, waits: list[float], tmp_path: Path
) -> None:
    """An error's body (a 401 before the retry, a 500) is never written into the downloaded file."""
    status = f"{BASE}/status/6"
    rsps.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": status})
    rsps.get(status, json={**_manifest(False), "output": [{"type": "Patient", "url": f"{BASE}/files/p.ndjson"}]})
    rsps.get(f"{BASE}/files/p.ndjson", status=500, body='{"resourceType":"OperationOutcome"}')
    rsps.delete(status, status=202)
    with FhirServer(ServerOptions(BASE, retries=0)) as server, pytest.raises(RetrievalError, match="HTTP 500"):
        bulk.bulk_export(SearchClient(server), "Patient/$export", ["Patient"], tmp_path)
    assert not (tmp_path / "Patient-0000.ndjson").exists()


def test_only_a_successful_answer_goes_into_a_download_file(rsps: responses.RequestsMock) -> None:
    import io

    rsps.get(f"{BASE}/files/p.ndjson", status=500, body='{"resourceType":"OperationOutcome"}')
    sink = io.BytesIO()
    with FhirServer(ServerOptions(BASE, retries=0)) as server:
        answer = server.request("GET", f"{BASE}/files/p.ndjson", what="file", headers={}, sink=sink)
    assert answer.status == 500 and b"OperationOutcome" in answer.body  # kept for the error message
    assert sink.getvalue() == b""  # the file holds nothing of it (a retry would have written after it)
