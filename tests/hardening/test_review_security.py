"""Adversarial review, security and faults: four defects, each test failing on the code before its fix.

1. A CDS client JWT whose ``exp``/``iat``/``nbf`` is not a number a float holds (``10**400``, which JSON
   allows and PyJWT accepts) was a 500 (``float(exp)`` overflowed): it is 401 invalid token.
2. A transaction answered 200 with an error OperationOutcome, or with a transaction-response whose entries
   are not all 2xx, was taken as recorded: ``attest --server`` said "created", the served form answered
   201 and spent its page, write-back counted a subject created while its results were not.
3. ``screen --server`` dropped, without a word, a candidate whose diagnosis names them by identifier only
   (or ``Patient?identifier=``): they are listed as not screened (exit 4), without the identifier.
4. A Patient merged into another (``Patient.link`` ``replaced-by``) was evaluated as a complete record:
   its trials are not decided on it (criteria unknown, naming the surviving record), nothing is written
   for it, and ``screen --server`` lists it as not screened.

Expected values are worked out by hand from the mini fixture (tests/fixtures/mini): p1 is 66 on
2026-06-01, Hb 8.5 g/dL >= 8, a C7A.012 NET, ALT 2.25 x ULN, consent manual: needs-review when whole.
"""

from __future__ import annotations

import copy
import datetime
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.model import Unavailable
from fhir_eligibility.retrieval.merge import merged_into, transaction_failure, withhold_merged
from fhir_eligibility.screening.server import UNSEARCHABLE
from fhir_eligibility.service.security import AuthError, TokenVerifier, parse_jwks
from tests.hardening.conftest import Run, run_cli
from tests.hardening.faultserver import ERROR_OUTCOME, MINI, Running
from tests.service.support import (
    ISSUER,
    MINI_PATIENT,
    ClientKeys,
    LiveServer,
    auth_config,
    emulate_prefetch,
    hook_body,
    open_config,
    patients_of,
    post,
)

TRIAL = "NCT00000001"
COMMON = ["--definitions", str(MINI), "--as-of", "2026-06-01", "--timeout", "1"]
MERGED_WARNING = "Patient/p1 was merged into Patient/p9 (Patient.link replaced-by)"


def _run(args: list[str], capsys: Any, monkeypatch: Any) -> tuple[Run, dict[str, Any] | None]:
    run = run_cli(args, capsys, monkeypatch)
    return run, (json.loads(run.out) if run.out.strip().startswith("{") else None)


def evaluate(fhir: Running, capsys: Any, monkeypatch: Any, *extra: str) -> tuple[Run, dict[str, Any] | None]:
    args = ["evaluate", "--server", fhir.base, "--patient", "p1", "--format", "json", *COMMON, *extra]
    return _run(args, capsys, monkeypatch)


def screen(fhir: Running, capsys: Any, monkeypatch: Any, *extra: str) -> tuple[Run, dict[str, Any] | None]:
    args = ["screen", "--server", fhir.base, "--format", "json", "--workers", "1", "--no-progress", *COMMON, *extra]
    return _run(args, capsys, monkeypatch)


def posts(fhir: Running) -> list[str]:
    """The transaction POSTs the server got (to its base)."""
    return [s.path for s in fhir.state.seen if s.method == "POST" and urlsplit(s.path).path.rstrip("/") == "/fhir"]


# -- 1. JWT numeric claims -------------------------------------------------------------------------

AUD = "http://127.0.0.1:8080/cds-services/trial-eligibility"
BIG = 10**400  # a JSON integer no float holds


@pytest.fixture(scope="module")
def keys() -> ClientKeys:
    return ClientKeys()


def signed(keys: ClientKeys, aud: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()), **claims}
    return jwt.encode(body, keys.es, algorithm="ES384", headers={"kid": "es-1", "typ": "JWT"})


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": BIG},  # int(exp) > now: PyJWT accepts it; float(exp) raised OverflowError (a 500)
        {"iat": -BIG},  # int(iat) <= now: PyJWT accepts it; float(iat) overflowed
        {"nbf": -BIG},  # PyJWT compares int(nbf) <= now: accepted, never a NumericDate a float holds
        {"iat": str(int(time.time()))},  # a numeric string: PyJWT int()s it; RFC 7519 §2 wants a JSON number
        {"iat": True},  # a boolean: int(True) == 1
    ],
    ids=["exp-1e400", "iat-minus-1e400", "nbf-minus-1e400", "iat-string", "iat-true"],
)
def test_numeric_claims_no_float_holds_are_invalid_tokens(keys: ClientKeys, claims: dict[str, Any]) -> None:
    verifier = TokenVerifier(issuers=[ISSUER], keys=parse_jwks(keys.jwks(), "test"))
    with pytest.raises(AuthError, match=r"^invalid token$"):
        verifier.verify(f"Bearer {signed(keys, AUD, **claims)}", AUD)
    assert len(verifier.replay) == 0  # refused before its jti was recorded


def test_a_huge_exp_over_http_is_401_not_500(keys: ClientKeys, tmp_path: Path) -> None:
    with LiveServer(auth_config(keys, tmp_path)) as live:
        for claims in ({"exp": BIG}, {"iat": -BIG}):
            r = post(live.service_url, hook_body("p1", {}), signed(keys, live.service_url, **claims))
            assert r.status_code == 401, r.text
            assert r.json()["issue"][0]["diagnostics"] == "authentication failed: invalid token"
        # a good token still works afterwards (prefetch empty: 412, past authentication)
        assert post(live.service_url, hook_body("p1", {}), signed(keys, live.service_url)).status_code == 412


# -- 2. transaction answers ------------------------------------------------------------------------


def _tx(*statuses: object, kind: str = "transaction-response") -> dict[str, Any]:
    entries = [{"response": {"status": s}} if s is not None else {} for s in statuses]
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


@pytest.mark.parametrize(
    ("answer", "expected", "failure"),
    [
        (_tx("201 Created", "200 OK"), 2, None),
        (_tx("201", "204 No Content"), 2, None),
        (ERROR_OUTCOME, 2, "the server answered with an OperationOutcome, not a transaction-response"),
        (_tx("201 Created", "409 Conflict"), 2, "entry 2 of the transaction-response is HTTP 409"),
        (_tx("201 Created", None), 2, "entry 2 of the transaction-response has no status"),
        (_tx("201 Created"), 2, "transaction-response does not match the request"),
        (_tx("201 Created", "201 Created", kind="batch-response"), 2, "the answer is not a transaction-response"),
        (None, 1, "the answer is not a transaction-response"),
    ],
)
def test_transaction_answer_reader(answer: dict[str, Any] | None, expected: int, failure: str | None) -> None:
    assert transaction_failure(answer, expected) == failure


ATTEST = ["attest", TRIAL, "--definitions", str(MINI), "--patient", "p1", "--item", "consent=yes", "--author", "Dr Ada"]


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        ("tx-outcome-200", "the server answered with an OperationOutcome"),
        ("tx-entry-409", "entry 2 of the transaction-response is HTTP 409"),  # response + Provenance: 2 entries
    ],
)
def test_attest_cli_says_nothing_was_created_when_the_server_recorded_nothing(
    fault: str, why: str, fhir: Running, capsys: Any, monkeypatch: Any
) -> None:
    fhir.state.fault, fhir.state.target = fault, ""
    run = run_cli([*ATTEST, "--server", fhir.base, "--token", "tok-SECRET"], capsys, monkeypatch)
    assert run.code == 2, run.err
    assert run.err.startswith("error: ") and len(run.err.strip().splitlines()) == 1, run.err
    assert "did not record the transaction" in run.err and why in run.err
    assert "created" not in run.err and run.out == ""
    assert "SECRET" not in run.err and len(posts(fhir)) == 1


def test_attest_cli_created_when_every_entry_is_2xx(fhir: Running, capsys: Any, monkeypatch: Any) -> None:
    fhir.state.fault, fhir.state.target = "tx-ok", ""
    run = run_cli([*ATTEST, "--server", fhir.base, "--token", "t"], capsys, monkeypatch)
    assert run.code == 0 and "created QuestionnaireResponse/" in run.err, run.err


def test_write_back_counts_nothing_recorded_when_an_entry_was_refused(
    fhir: Running, trap: Running, capsys: Any, monkeypatch: Any
) -> None:
    """p1 is needs-review: a candidate subject to write (ResearchStudy, ResearchSubject, GuidanceResponse).
    The server answers the GuidanceResponse (the last entry) 409: the results were not recorded, so the
    patient's write-back failed (exit 5), and no subject is counted created (it said 1 created, exit 0)."""
    fhir.state.fault, fhir.state.target = "tx-entry-409", ""
    run, report = evaluate(fhir, capsys, monkeypatch, "--write-back", "--any-as-of")
    assert run.code == 5, run.err
    assert report is not None and report["results"][0]["verdict"] == "needs-review"
    assert "write-back failed for Patient/p1:" in run.err
    assert "entry 3 of the transaction-response is HTTP 409" in run.err
    assert "write-back: 0 ResearchSubject(s) created, 0 updated" in run.err
    assert len(posts(fhir)) == 1


@pytest.fixture(scope="module")
def attest_live(fhir: Running, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A CDS service whose attestation form writes to the fault server (reset before each test)."""
    config = open_config(
        tmp_path_factory.mktemp("cds"),
        allow_fhir_servers=(fhir.base,),
        attest_fhir_server=fhir.base,
        fhir_retries=0,
    )
    with LiveServer(config) as server:
        # the service's as-of date is fixed (2026-06-01): an answer must be authored before it to count
        server.app.state.service.now = lambda: datetime.datetime(2026, 5, 31, 10, 0, tzinfo=datetime.UTC)
        yield server


def templates(live: LiveServer) -> dict[str, str]:
    return dict(requests.get(live.base + "/cds-services", timeout=10).json()["services"][0]["prefetch"])


def mini_prefetch(live: LiveServer) -> dict[str, Any]:
    (data,) = patients_of(MINI_PATIENT)
    return emulate_prefetch(templates(live), data)


def merged_prefetch(live: LiveServer) -> dict[str, Any]:
    """p1 merged into p9; the merge moved the NET diagnosis to p9, so p1's own condition search is empty."""
    pf = mini_prefetch(live)
    link = [{"other": {"reference": "Patient/p9"}, "type": "replaced-by"}]
    pf["patient"] = {**pf["patient"], "active": False, "link": link}
    pf["condition"] = {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}
    return pf


def page_of(live: LiveServer, prefetch: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(the card link's ref, the page's data block) for a hook call on p1."""
    r = post(live.service_url, hook_body("p1", prefetch))
    assert r.status_code == 200, r.text
    link = r.json()["cards"][0]["links"][0]["url"]
    page = requests.get(link, timeout=10)
    assert page.status_code == 200
    opening = '<script type="application/json" id="data">'
    start = page.text.index(opening) + len(opening)
    data = json.loads(page.text[start : page.text.index("</script>", start)])
    return parse_qs(urlsplit(link).query)["ref"][0], data


def send_form(live: LiveServer, url: str, nonce: str) -> requests.Response:
    body = {"nonce": nonce, "trial": TRIAL, "author": "Dr Ada", "answers": {"consent": True}, "comments": {}}
    headers = {"Content-Type": "application/json", "Origin": live.base}
    return requests.post(live.base + url, data=json.dumps(body), headers=headers, timeout=30)


def test_attest_form_is_502_and_keeps_its_page_until_the_server_records(fhir: Running, attest_live: LiveServer) -> None:
    """200 + an error OperationOutcome, then a 409 entry: nothing recorded, 502 both times and the page's
    ref still answers; once the server records the transaction the same submission is 201, then spent."""
    _ref, data = page_of(attest_live, mini_prefetch(attest_live))
    url, nonce = data["submit"]["to"]["url"], data["submit"]["to"]["nonce"]
    for fault in ("tx-outcome-200", "tx-entry-409"):
        fhir.state.fault, fhir.state.target = fault, ""
        r = send_form(attest_live, url, nonce)
        assert r.status_code == 502, r.text
        assert r.json()["issue"][0]["diagnostics"] == "the FHIR server did not record the attestation"
    fhir.state.fault = "tx-ok"
    r = send_form(attest_live, url, nonce)
    assert r.status_code == 201, r.text
    assert r.json()["questionnaireResponse"].startswith("QuestionnaireResponse/")
    assert send_form(attest_live, url, nonce).status_code == 403  # one answer per page, once recorded (used)
    assert len(posts(fhir)) == 3


# -- 3. candidates named by identifier only --------------------------------------------------------


@pytest.mark.parametrize("fault", ["subject-identifier", "subject-conditional"])
def test_screen_lists_a_candidate_named_by_identifier_only(
    fault: str, fhir: Running, trap: Running, capsys: Any, monkeypatch: Any
) -> None:
    """The candidate search returns p1's NET and two more (x8, x9) whose subject is one patient named by
    ``urn:mrn|MRN-4711`` only: p1 is screened, that patient is listed once as not screened (exit 4,
    partial), named by the first Condition, never by the MRN. Before: exit 0, notScreened empty."""
    fhir.state.fault, fhir.state.target = fault, "Condition"
    run, report = screen(fhir, capsys, monkeypatch)
    assert run.code == 4 and report is not None, run.err
    assert report["patients"] == 1
    assert report["notScreened"] == [{"patient": "subject of Condition/x8", "reason": UNSEARCHABLE}]
    assert report["trials"][0]["counts"]["needs-review"] == 1
    assert "MRN-4711" not in run.out and "MRN-4711" not in run.err
    assert "partial: 1 candidate(s) not screened" in run.err
    assert trap.state.seen == []


# -- 4. a merged-away Patient ----------------------------------------------------------------------


def merge_p1_into_p9(fhir: Running, *, move_condition: bool) -> None:
    for r in fhir.state.resources:
        if r["resourceType"] == "Patient":
            r["active"] = False
            r["link"] = [{"other": {"reference": "Patient/p9"}, "type": "replaced-by"}]
        if r["resourceType"] == "Condition" and move_condition:
            r["subject"] = {"reference": "Patient/p9"}  # moved to the surviving record by the merge


def test_evaluate_server_decides_nothing_on_a_merged_away_patient_and_writes_nothing(
    fhir: Running, trap: Running, capsys: Any, monkeypatch: Any
) -> None:
    """Before: net "none recorded" (the diagnosis is on p9 now), ineligible, and written back as such.
    Now every criterion is unknown (age too: the merged-away record's birth date is not used), the
    verdict undetermined, the warning names Patient/p9, and nothing is sent."""
    merge_p1_into_p9(fhir, move_condition=True)
    run, report = evaluate(fhir, capsys, monkeypatch, "--write-back", "--any-as-of")
    assert run.code == 0 and report is not None, run.err
    (result,) = report["results"]
    assert result["verdict"] == "undetermined"
    got = {c["id"]: c["result"] for c in result["criteria"]}
    assert got == {"age": "unknown", "hb": "unknown", "net": "unknown", "consent": "unknown", "alt": "unknown"}
    for c in result["criteria"]:
        if c["id"] in ("hb", "net", "alt"):
            assert c["reason"].startswith(f"data unavailable: {MERGED_WARNING}"), c["reason"]
    assert f"{MERGED_WARNING}: nothing is decided on this record; evaluate Patient/p9 instead" in report["warnings"]
    assert posts(fhir) == [] and "1 outcome(s) not written" in run.err


def test_screen_server_decides_nothing_on_a_merged_away_patient_and_writes_nothing(
    fhir: Running, trap: Running, capsys: Any, monkeypatch: Any
) -> None:
    """The NET diagnosis still names p1 (not moved), so p1 is a candidate; its record says it was merged
    into p9. Before review 18: screened needs-review on the stale record and written back. Review 18: not
    screened, exit 4, as if the fetch had failed (review 21: automation retries a partial run for ever,
    and files screen it as undetermined). Now as files: screened, undetermined, the warning names
    Patient/p9, exit 0, nothing written."""
    merge_p1_into_p9(fhir, move_condition=False)
    run, report = screen(fhir, capsys, monkeypatch, "--write-back", "--any-as-of")
    assert run.code == 0 and report is not None, run.err
    assert report["patients"] == 1 and report["notScreened"] == []
    assert all(t["counts"]["undetermined"] == 1 for t in report["trials"]), report["trials"]
    assert any("merged into Patient/p9" in w for w in report["warnings"]), report["warnings"]
    assert posts(fhir) == [] and "write-back: 0 ResearchSubject(s) created" in run.err


def test_screen_files_decide_nothing_on_a_merged_away_patient(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    """The same rule through the screening workers (files and $export): p1 merged, its NET moved away.
    Before: ineligible (net none recorded). Now: undetermined."""
    bundle = json.loads(MINI_PATIENT.read_text())
    entries = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Condition"]
    entries[0]["resource"]["link"] = [{"other": {"reference": "Patient/p9"}, "type": "replaced-by"}]
    (tmp_path / "p1.json").write_text(json.dumps({**bundle, "type": "collection", "entry": entries}))
    args = ["screen", str(tmp_path / "p1.json"), "--format", "json", "--workers", "1", "--no-progress", *COMMON[:4]]
    run, report = _run(args, capsys, monkeypatch)
    assert run.code == 0 and report is not None, run.err
    assert report["patients"] == 1
    counts = report["trials"][0]["counts"]
    assert counts["undetermined"] == 1 and counts["ineligible"] == 0, counts


def test_cds_decides_nothing_on_a_merged_away_patient(tmp_path: Path) -> None:
    """Prefetch of p1, merged into p9, whose diagnosis moved there. Before: "Not eligible" (shown with
    include_ineligible). Now: undetermined, the card naming the surviving record."""
    with LiveServer(open_config(tmp_path, include_ineligible=True)) as live:
        r = post(live.service_url, hook_body("p1", merged_prefetch(live)))
        assert r.status_code == 200, r.text
        (card,) = r.json()["cards"]
        assert card["summary"].startswith("Eligibility undetermined, data missing:"), card["summary"]
        assert card["indicator"] == "warning"
        assert "Patient/p9" in card["detail"]


def test_cds_form_records_no_attestation_for_a_merged_away_patient(fhir: Running, attest_live: LiveServer) -> None:
    """The page of a merged-away record offers no form, and a submission to it is refused (409) without
    reaching the FHIR server: the answers belong on the surviving record. Before: the page had the form."""
    fhir.state.fault, fhir.state.target = "tx-ok", ""
    ref, data = page_of(attest_live, merged_prefetch(attest_live))
    assert "submit" not in data
    r = send_form(attest_live, f"/reports/p1/attest?ref={ref}", "x" * 43)
    assert r.status_code == 409, r.text
    assert "merged" in r.json()["issue"][0]["diagnostics"]
    assert posts(fhir) == []


def test_withholding_is_for_merged_away_patients_only_and_idempotent() -> None:
    (data,) = patients_of(MINI_PATIENT)
    assert withhold_merged(data) is data and merged_into(data) is None
    for kind in ("refer", "seealso"):  # this record stays in use
        other = copy.deepcopy(data)
        other.resources[0]["link"] = [{"other": {"reference": "Patient/p9"}, "type": kind}]
        assert withhold_merged(other) is other
    # the survivor stays in use too, its data whole; what may be filed under p9 is partial (retrieval.merge)
    survivor = copy.deepcopy(data)
    survivor.resources[0]["link"] = [{"other": {"reference": "Patient/p9"}, "type": "replaces"}]
    kept = withhold_merged(survivor)
    assert kept.resources == survivor.resources and merged_into(kept) is None
    assert {u.resource_type for u in kept.unavailable if u.partial} >= {"Condition", "Procedure"}
    assert withhold_merged(kept) is kept
    merged = copy.deepcopy(data)
    merged.resources[0]["link"] = [{"other": {"reference": "Patient/p9"}, "type": "replaced-by"}]
    once = withhold_merged(merged)
    assert merged_into(once) == "Patient/p9"
    assert once.resources == [{"resourceType": "Patient", "id": "p1", "link": merged.resources[0]["link"]}]
    why = f"{MERGED_WARNING}: its data may be on that record"
    assert Unavailable("Condition", frozenset(), why) in once.unavailable
    assert withhold_merged(once) is once
    assert isinstance(once, PatientData) and once.patient_id == "p1"


def test_a_merged_away_patient_in_files_decides_nothing_in_evaluate_and_screen() -> None:
    """The rule lives in the one evaluator (pipeline.evaluate_patient, screening's Screener), so files,
    NDJSON, Spark and CDS prefetch get it as the server does: a sample patient marked merged into
    another is undetermined for every trial (never ineligible on a record the merge emptied)."""
    import datetime as dt
    from pathlib import Path

    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.evaluation.engine import Settings
    from fhir_eligibility.pipeline import evaluate_patient
    from fhir_eligibility.record import PatientData
    from fhir_eligibility.retrieval.files import read_patients
    from fhir_eligibility.screening.fast import Screener

    root = Path(__file__).resolve().parents[2]
    (data,), _w = read_patients([next((root / "sample_bundles").glob("01-*.json"))])
    resources = [
        {**r, "active": False, "link": [{"other": {"reference": "Patient/p9"}, "type": "replaced-by"}]}
        if r["resourceType"] == "Patient"
        else r
        for r in data.resources
    ]
    trials = load_trials()
    as_of = dt.date(2026, 6, 1)
    explained = evaluate_patient(PatientData(data.patient_id, resources), trials, as_of, Settings())
    assert {r.verdict.value for r in explained} == {"undetermined"}
    screened_data = PatientData(data.patient_id, resources)
    screened = Screener(trials, as_of, Settings(explain=False)).screen(screened_data)
    assert {o.verdict for o in screened} == {"undetermined"}
    assert any("merged into Patient/p9" in w for w in screened_data.warnings)
