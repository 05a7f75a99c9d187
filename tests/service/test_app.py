"""The app over real HTTP on 127.0.0.1 (uvicorn in a thread), without a FHIR server: discovery, cards,
report pages, error answers (400/404/405/413/415/500 as OperationOutcome), CORS, and what is logged."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from fhir_eligibility import pipeline as pipeline_module
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.errors import InputError
from fhir_eligibility.evaluation.results import TrialResult, Verdict
from fhir_eligibility.report.when import headline
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.service.app import Service, create_app
from tests.service.support import (
    AS_OF,
    MINI_PATIENT,
    ROOT,
    LiveServer,
    card_verdicts,
    emulate_prefetch,
    hook_body,
    open_config,
    patients_of,
    post,
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(open_config(tmp_path_factory.mktemp("cds"))) as server:
        yield server


@pytest.fixture(scope="module")
def templates(live: LiveServer) -> dict[str, str]:
    return dict(requests.get(live.base + "/cds-services", timeout=10).json()["services"][0]["prefetch"])


def full_prefetch(templates: dict[str, str]) -> dict[str, Any]:
    (data,) = patients_of(MINI_PATIENT)
    return emulate_prefetch(templates, data)


def is_outcome(r: requests.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "Traceback" not in r.text and 'File "' not in r.text
    return dict(body)


def test_discovery(live: LiveServer) -> None:
    r = requests.get(live.base + "/cds-services", timeout=10)
    assert r.status_code == 200
    (service,) = r.json()["services"]
    assert service["id"] == "trial-eligibility" and service["hook"] == "patient-view"
    assert service["title"] and "NCT00000001" in service["description"]
    assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"


def test_full_prefetch_gives_cards_with_report_links(live: LiveServer, templates: dict[str, str]) -> None:
    r = post(live.service_url, hook_body("p1", full_prefetch(templates)))
    assert r.status_code == 200, r.text
    (card,) = r.json()["cards"]
    assert card_verdicts(r.json()) == {"NCT00000001": "needs-review"}
    assert card["indicator"] == "info" and len(card["summary"]) < 140
    assert "- Signed informed consent (to attest)" in card["detail"]
    (link,) = card["links"]
    assert link["type"] == "absolute" and link["url"].startswith(live.base + "/reports/p1?trial=NCT00000001&ref=")
    page = requests.get(link["url"], timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "NCT00000001" in page.text and "Signed informed consent" in page.text
    assert (
        page.headers["cache-control"] == "no-store" and "default-src 'none'" in page.headers["content-security-policy"]
    )
    # the ref is the capability: without it, or for another patient, there is nothing
    assert requests.get(live.base + "/reports/p1?trial=NCT00000001", timeout=10).status_code == 404
    assert requests.get(link["url"].replace("/reports/p1", "/reports/p2"), timeout=10).status_code == 404
    assert requests.get(link["url"].replace("NCT00000001", "NCT99999999"), timeout=10).status_code == 404


def test_null_prefetch_means_no_data(live: LiveServer, templates: dict[str, str]) -> None:
    """Null = the client has no such data: no NET diagnosis recorded, so the trial is ineligible (no card).
    With no Patient either, what the client sent is a part of a record (retrieval.assembly.filed_elsewhere):
    the absent diagnosis decides nothing, and the card says what to collect."""
    (patient_key,) = [k for k, t in templates.items() if t.startswith("Patient/")]
    prefetch = dict.fromkeys(templates)
    prefetch[patient_key] = full_prefetch(templates)[patient_key]
    r = post(live.service_url, hook_body("p1", prefetch))
    assert r.status_code == 200, r.text
    assert r.json() == {"cards": []}
    r = post(live.service_url, hook_body("p1", dict.fromkeys(templates)))
    assert r.status_code == 200, r.text
    assert card_verdicts(r.json()) == {"NCT00000001": "undetermined"}


def test_undetermined_card_is_a_warning_listing_data_to_collect(live: LiveServer, templates: dict[str, str]) -> None:
    prefetch = full_prefetch(templates)
    prefetch["observation"] = None  # Hb and ALT unknown, NET recorded
    r = post(live.service_url, hook_body("p1", prefetch))
    assert r.status_code == 200, r.text
    assert card_verdicts(r.json()) == {"NCT00000001": "undetermined"}
    (card,) = r.json()["cards"]
    assert card["indicator"] == "warning"
    assert "**Next step:** collect ALT; Hb, dated 2026-05-04 to 2026-06-01." in card["detail"]


def test_missing_keys_without_fhir_server_are_412(live: LiveServer) -> None:
    outcome = is_outcome(post(live.service_url, hook_body("p1", {"patient": None})), 412)
    assert "no fhirServer" in outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"}', "hook"),
        (b"\xff\xfe", "not valid JSON"),
        # Python's parser takes NaN and Infinity; JSON has neither (RFC 8259), and the CLI refuses them
        (b'{"hook": "patient-view", "extra": NaN}', "not valid JSON"),
        (b'{"hook": "patient-view", "extra": -Infinity}', "not valid JSON"),
    ],
)
def test_malformed_bodies_are_400(live: LiveServer, body: bytes, message: str) -> None:
    outcome = is_outcome(post(live.service_url, body), 400)
    assert message in outcome["issue"][0]["diagnostics"]


def test_wrong_media_type_is_415(live: LiveServer) -> None:
    r = requests.post(live.service_url, data=b"{}", headers={"Content-Type": "text/plain"}, timeout=10)
    is_outcome(r, 415)


def test_body_too_large_is_413(live: LiveServer) -> None:
    big = b'{"hook": "patient-view", "pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    outcome = is_outcome(post(live.service_url, big), 413)
    assert outcome["issue"][0]["code"] == "too-costly"


def test_chunked_body_too_large_is_413(live: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 65536

    r = requests.post(live.service_url, data=chunks(), headers={"Content-Type": "application/json"}, timeout=30)
    is_outcome(r, 413)


def test_unknown_paths_and_methods(live: LiveServer) -> None:
    is_outcome(requests.get(live.base + "/nope", timeout=10), 404)
    is_outcome(requests.get(live.service_url, timeout=10), 405)


def test_feedback_endpoint(live: LiveServer, templates: dict[str, str]) -> None:
    card = post(live.service_url, hook_body("p1", full_prefetch(templates))).json()["cards"][0]
    fb = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-06-01T10:00:00Z"}]}
    r = post(live.service_url + "/feedback", fb)
    assert r.status_code == 200, r.text
    is_outcome(post(live.service_url + "/feedback", {"feedback": [{"card": card["uuid"]}]}), 400)
    rows = (live.config.data_dir / "feedback.jsonl").read_text()
    assert card["uuid"] in rows and '"trial": "NCT00000001"' in rows
    assert post(live.service_url + "/feedback", fb).status_code == 200  # a retried POST: answered, not stored again
    assert (live.config.data_dir / "feedback.jsonl").read_text() == rows


def test_cors_is_off_by_default(live: LiveServer) -> None:
    r = requests.options(
        live.service_url,
        headers={"Origin": "https://ehr.example.org", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert "access-control-allow-origin" not in r.headers


def test_cors_when_configured(tmp_path: Path) -> None:
    with LiveServer(open_config(tmp_path, cors_origins=("https://ehr.example.org",))) as live:
        pre = requests.options(
            live.service_url,
            headers={
                "Origin": "https://ehr.example.org",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
            timeout=10,
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == "https://ehr.example.org"
        other = requests.get(live.base + "/cds-services", headers={"Origin": "https://evil.example.org"}, timeout=10)
        assert "access-control-allow-origin" not in other.headers


def test_insecure_mode_warns_at_start(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="fhir_eligibility"):
        create_app(open_config(tmp_path))
    assert any(r.levelno == logging.WARNING and "authentication is OFF" in r.getMessage() for r in caplog.records)


def test_auth_needs_issuers_and_keys(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="issuer"):
        create_app(open_config(tmp_path, insecure_no_auth=False))
    with pytest.raises(InputError, match="client keys"):
        create_app(open_config(tmp_path, insecure_no_auth=False, issuers=("https://ehr",)))


SECRETS = ("secret-patient-77", "1944-02-29", "tok-SECRET-abc", "8.5")


def test_no_patient_data_or_tokens_in_logs(
    live: LiveServer, templates: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="fhir_eligibility")
    caplog.set_level(logging.INFO)
    (data,) = patients_of(MINI_PATIENT)
    data.patient_id = "secret-patient-77"
    data.resources[0] = {**data.resources[0], "id": "secret-patient-77", "birthDate": "1944-02-29"}
    prefetch = emulate_prefetch(templates, data)
    ok = post(live.service_url, hook_body("secret-patient-77", prefetch))
    assert ok.status_code == 200
    requests.get(ok.json()["cards"][0]["links"][0]["url"], timeout=10)
    partial = hook_body(
        "secret-patient-77",
        {"patient": prefetch["patient"]},
        fhir_server="https://evil.example.org",
        access_token="tok-SECRET-abc",
    )
    assert post(live.service_url, partial).status_code == 412
    bad = hook_body("secret-patient-77", {"patient": prefetch["patient"]}) | {"hook": "tok-SECRET-abc"}
    assert post(live.service_url, bad).status_code == 400
    text = caplog.text
    assert "POST /cds-services/trial-eligibility 200" in text and "/reports/{patientId}" in text
    for secret in SECRETS:
        assert secret not in text, secret


def test_internal_errors_are_a_generic_500(
    live: LiveServer, templates: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise ValueError("patient secret-patient-77 broke it")

    monkeypatch.setattr(pipeline_module, "evaluate_patient", boom)  # the Evaluator's one path
    caplog.set_level(logging.INFO)
    outcome = is_outcome(post(live.service_url, hook_body("p1", full_prefetch(templates))), 500)
    assert outcome["issue"][0]["diagnostics"] == "internal error"
    assert "ValueError" in caplog.text and "secret-patient-77" not in caplog.text


def _shown(r: TrialResult) -> tuple[object, ...]:
    """What a card reads of a result: verdict, every criterion's result and reason, the dates, the line."""
    dates = (r.when.eligible_from, r.when.eligible_until) if r.when else None
    return (r.trial, r.verdict, [(c.id, c.result, c.reason) for c in r.criteria], r.missing_data, dates, headline(r))


def _results(r: TrialResult) -> tuple[object, ...]:
    return (r.trial, r.verdict, [(c.id, c.result) for c in r.criteria])


def test_the_page_evaluates_again_with_what_the_cards_leave_out(tmp_path: Path) -> None:
    """Every sample patient: the card's evaluation skips the plots, keeps only the changes on the date
    a card names, and gives a refused trial (no card by default) its criteria's results without
    reasons; the page behind it evaluates the stored data again with all of it. Both agree on every
    result, and on everything a shown card says."""
    service = Service(open_config(tmp_path, definitions=()), trials=load_trials())
    as_of = dt.date.fromisoformat(AS_OF)
    bare = shown = 0
    for data in read_patients([ROOT / "sample_bundles"])[0]:
        card = service.evaluate(data, as_of)
        stored = service.reports.get(service.reports.put(data.patient_id, as_of, card, (), data))
        assert stored is not None
        page = service.page_results(stored)
        assert [_results(r) for r in card] == [_results(r) for r in page], data.patient_id
        for c, p in zip(card, page, strict=True):
            if c.verdict is not Verdict.INELIGIBLE:
                assert _shown(c) == _shown(p), (data.patient_id, c.trial)
                shown += 1
            elif all(not k.reason for k in c.criteria):
                assert any(k.reason for k in p.criteria)
                bare += 1
            assert all(not k.series for k in c.criteria)
    assert shown > 150 and bare > 150  # not vacuous: ~60 % of the samples' trials refuse them


def test_a_card_keeps_the_changes_on_its_date_and_its_page_the_whole_timeline(tmp_path: Path) -> None:
    """Sample 91 (octreotide LAR 2026-05-14; trial E wants 4 weeks off, so eligible from 2026-06-11):
    the card names E-I5 on that date; the page has the whole year's changes and the plotted labs."""
    service = Service(open_config(tmp_path, definitions=()), trials=load_trials())
    data = read_patients([ROOT / "sample_bundles" / "91-octreotide-lar-intramuscular-atc-only.json"])[0][0]
    as_of = dt.date.fromisoformat(AS_OF)
    card = service.evaluate(data, as_of)
    stored = service.reports.get(service.reports.put(data.patient_id, as_of, card, (), data))
    assert stored is not None
    page = service.page_results(stored)
    e_card, e_page = (next(r for r in rs if r.trial == "NCT01842165") for rs in (card, page))
    assert e_card.when is not None and e_page.when is not None
    # refused today: a bare result; from 2026-06-11 only the manual items remain (eligibleFrom is
    # "eligible or needs review": the card says which)
    assert (headline(e_card) or "").startswith("needs review from 2026-06-11")
    # the card names what opens the trial on that date and what lapses the day after eligibleUntil (06-17)
    named = [(c.date.isoformat(), c.criterion) for c in e_card.when.timeline]
    assert [n for n in named if n[0] <= "2026-06-11"] == [("2026-06-11", "E-I5")]
    assert {d for d, _c in named} == {"2026-06-11", "2026-06-18"}
    assert len(e_page.when.timeline) > 5  # the labs lapsing later, and more
    assert sum(len(c.series) for c in e_page.criteria) > 0  # the haemoglobin, platelets... plotted on the page
