"""The CDS Hooks service over real HTTP on 127.0.0.1, with client JWTs, against the real Medplum FHIR server.

The service runs under uvicorn in a thread (session fixture), authentication on (ES384/RS384 keys made
here), the Medplum server of the ``fhir_server`` fixture on its fhirServer allow-list. Covered: the
published example requests, prefetch complete / partial (falling back to Medplum) / null, JWT checks, a
disallowed fhirServer (a trap socket proves it is never contacted) and body limits. Tests that start a
service of their own: test_cds_hooks_agreement.py (cards agree with ``fhir-eligibility evaluate --format
json``) and test_cds_hooks_lifecycle.py (feedback surviving a restart, the ``serve`` command).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fhir_eligibility.service.app import SERVICE_PATH
from tests.integration.cds_hooks_support import Trap, as_server_patient, call, cli_verdicts, mini_data, outcome
from tests.service.support import (
    MINI,
    MINI_PATIENT,
    REALDATA,
    ClientKeys,
    LiveServer,
    auth_config,
    card_verdicts,
    emulate_prefetch,
    hook_body,
    post,
    server_prefetch,
    with_patient_refs,
)
from tests.support.fhir_servers import seed

pytestmark = pytest.mark.integration


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def keys() -> ClientKeys:
    return ClientKeys()


@pytest.fixture(scope="session")
def mini_on_server(fhir_server: str) -> str:
    """The mini patient on Medplum under a fresh id, references as ``Patient/<id>`` (PUT, so ids are ours).

    Not the file as is: its fullUrls (``urn:uuid:p1``) are not UUIDs, so Medplum leaves the references
    to them unresolved.
    """
    patient_id = f"cds-mini-{uuid.uuid4().hex[:12]}"
    data = as_server_patient(mini_data(), patient_id)
    entries = []
    for res in with_patient_refs(data):
        res = {**res, "id": res["id"] if res["resourceType"] == "Patient" else f"{patient_id}-{res['id']}"}
        entries.append({"resource": res, "request": {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}})
    seed(fhir_server, [{"resourceType": "Bundle", "type": "transaction", "entry": entries}])
    return patient_id


@pytest.fixture(scope="session")
def cds(fhir_server: str, keys: ClientKeys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("cds")
    with LiveServer(auth_config(keys, tmp, allow_fhir_servers=(fhir_server,))) as server:
        yield server


@pytest.fixture(scope="session")
def templates(cds: LiveServer, keys: ClientKeys) -> dict[str, str]:
    url = cds.base + "/cds-services"
    r = requests.get(url, headers={"Authorization": f"Bearer {keys.token(url)}"}, timeout=10)
    assert r.status_code == 200, r.text
    return dict(r.json()["services"][0]["prefetch"])


@pytest.fixture
def trap() -> Iterator[Trap]:
    t = Trap()
    try:
        yield t
    finally:
        t.close()


# -- the published example requests ---------------------------------------------------------------

REQUEST_EXPECTATIONS = {
    # full patient-view requests: our prefetch keys are missing and their fhirServer is not allowed
    "validator_tests/cdshooks-request-patient-view-good.json": 412,
    "extracted/HL7_cds-hooks__input_pagecontent_index__block04.json": 412,
    "extracted/cds-hooks_docs__docs_specification_current__block04.json": 412,
    # bad: patientId is a reference, prefetch items are batch entries, not resources
    "validator_tests/cdshooks-request-patient-view-bad.json": 400,
    # patient-view without context.patientId
    "extracted/HL7_cds-hooks__input_pagecontent_index__block38.json": 400,
    "extracted/cds-hooks_docs__docs_specification_current__block30.json": 400,
    # context-only fragments from the hook pages (no hook, no hookInstance)
    "extracted/HL7_cds-hooks-library__input_pagecontent_patient-view__block00.json": 400,
    "extracted/HL7_cds-hooks-library__input_pagecontent_patient-view__block01.json": 400,
    "extracted/cds-hooks_docs__docs_hooks_patient-view__block00.json": 400,
    "extracted/cds-hooks_docs__docs_hooks_patient-view__block01.json": 400,
    # other hooks sent to this patient-view service
    "validator_tests/cdshooks-request-order-select-good.json": 400,
    "validator_tests/cdshooks-request-order-sign-good.json": 400,
    "extracted/cds-hooks_docs__docs_examples__block02.json": 400,
}
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason="shared/realdata/cdshooks not present")


@needs_realdata
@pytest.mark.parametrize(("name", "status"), sorted(REQUEST_EXPECTATIONS.items()))
def test_published_example_requests(cds: LiveServer, keys: ClientKeys, name: str, status: int) -> None:
    body = json.loads((REALDATA / name).read_text())
    r = call(cds, keys, body)
    outcome(r, status)


@needs_realdata
@pytest.mark.parametrize(
    "name",
    [
        "validator_tests/cdshooks-request-patient-view-good.json",
        "extracted/HL7_cds-hooks__input_pagecontent_index__block04.json",
        "extracted/HL7_cds-hooks-library__input_pagecontent_patient-view__block00.json",
        "extracted/HL7_cds-hooks-library__input_pagecontent_patient-view__block01.json",
    ],
)
def test_published_requests_with_our_keys_answered_get_200(
    cds: LiveServer, keys: ClientKeys, templates: dict[str, str], name: str
) -> None:
    """The same requests (fragments completed with hook and hookInstance) once our keys are answered (null)."""
    body = json.loads((REALDATA / name).read_text())
    body.setdefault("hook", "patient-view")
    body.setdefault("hookInstance", "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea")
    body["prefetch"] = {**(body.get("prefetch") or {}), **dict.fromkeys(templates)}
    r = call(cds, keys, body)
    assert r.status_code == 200, r.text
    assert isinstance(r.json()["cards"], list)


@needs_realdata
def test_no_published_json_makes_the_service_fail(cds: LiveServer, keys: ClientKeys) -> None:
    """Every JSON block of the spec pages and validator tests, posted as a hook request: never a 5xx."""
    statuses = {}
    for f in sorted([*(REALDATA / "extracted").glob("*.json"), *(REALDATA / "validator_tests").glob("*.json")]):
        statuses[f.name] = call(cds, keys, json.loads(f.read_text())).status_code
    assert statuses and all(s in (200, 400, 412) for s in statuses.values()), statuses


# -- prefetch complete, partial, null ---------------------------------------------------------------


def test_complete_prefetch_matches_the_cli(
    cds: LiveServer, keys: ClientKeys, templates: dict[str, str], trap: Trap
) -> None:
    body = hook_body("p1", emulate_prefetch(templates, mini_data()), fhir_server=trap.url, access_token="t")
    r = call(cds, keys, body)
    assert r.status_code == 200, r.text
    assert card_verdicts(r.json()) == cli_verdicts([MINI_PATIENT], MINI)["p1"] == {"NCT00000001": "needs-review"}
    assert trap.connections == 0  # nothing was missing: the (unlisted) server is not touched


def test_partial_prefetch_falls_back_to_the_fhir_server(
    cds: LiveServer, keys: ClientKeys, templates: dict[str, str], fhir_server: str, mini_on_server: str
) -> None:
    data = as_server_patient(mini_data(), mini_on_server)
    prefetch = emulate_prefetch(templates, data, only={"condition"})  # patient and observation come from Medplum
    assert set(prefetch) == {"condition"}
    r = call(cds, keys, hook_body(mini_on_server, prefetch, fhir_server=fhir_server, access_token="opaque"))
    assert r.status_code == 200, r.text
    assert card_verdicts(r.json()) == cli_verdicts([MINI_PATIENT], MINI)["p1"]
    detail = r.json()["cards"][0]["detail"]
    assert "**hb**" not in detail and "**age**" not in detail  # decided from the fetched Patient and Observations


def test_prefetch_by_the_ehr_equals_fetching_it_ourselves(
    cds: LiveServer, keys: ClientKeys, templates: dict[str, str], fhir_server: str, mini_on_server: str
) -> None:
    """Templates run by an EHR against its FHIR server give the same cards as the service's own fallback."""
    prefetched = server_prefetch(templates, fhir_server, mini_on_server)
    a = call(cds, keys, hook_body(mini_on_server, prefetched, fhir_server=fhir_server))
    b = call(cds, keys, hook_body(mini_on_server, {}, fhir_server=fhir_server))
    assert a.status_code == b.status_code == 200, (a.text, b.text)
    strip = lambda cards: [{k: v for k, v in c.items() if k not in ("uuid", "links")} for c in cards]  # noqa: E731
    assert strip(a.json()["cards"]) == strip(b.json()["cards"])


def test_null_prefetch_is_no_data_and_needs_no_server(
    cds: LiveServer, keys: ClientKeys, templates: dict[str, str], trap: Trap
) -> None:
    prefetch = dict.fromkeys(templates)
    prefetch["patient"] = with_patient_refs(mini_data())[0]
    r = call(cds, keys, hook_body("p1", prefetch, fhir_server=trap.url))
    assert r.status_code == 200, r.text
    assert r.json() == {"cards": []}  # no NET diagnosis recorded: ineligible, no card
    assert trap.connections == 0


def test_concurrent_fallback_calls(cds: LiveServer, keys: ClientKeys, fhir_server: str, mini_on_server: str) -> None:
    """Calls run in the thread pool and share one pooled session per FHIR server: all answer alike."""
    from concurrent.futures import ThreadPoolExecutor

    def one(_i: int) -> dict[str, str]:
        r = call(cds, keys, hook_body(mini_on_server, {}, fhir_server=fhir_server))
        assert r.status_code == 200, r.text
        return card_verdicts(r.json())

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(16)))
    assert all(r == results[0] for r in results)


def test_fallback_logs_no_patient_ids_or_tokens(
    cds: LiveServer, keys: ClientKeys, fhir_server: str, mini_on_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="fhir_eligibility")
    token = keys.token(cds.service_url)
    body = hook_body(mini_on_server, {}, fhir_server=fhir_server, access_token="ehr-token-XYZ")
    assert post(cds.service_url, body, token).status_code == 200
    assert "prefetch key(s) fetched from fhirServer" in caplog.text
    for secret in (mini_on_server, "ehr-token-XYZ", token, "1960-05-01"):
        assert secret not in caplog.text


def test_unknown_patient_on_the_server_is_412(cds: LiveServer, keys: ClientKeys, fhir_server: str) -> None:
    message = outcome(call(cds, keys, hook_body("no-such-patient-42", {}, fhir_server=fhir_server)), 412)
    assert "could not deliver" in message


def test_disallowed_fhir_server_is_never_contacted(cds: LiveServer, keys: ClientKeys, trap: Trap) -> None:
    body = hook_body("p1", {"patient": None}, fhir_server=trap.url, access_token="secret-ehr-token")
    message = outcome(call(cds, keys, body), 412)
    assert "allow-list" in message
    time.sleep(0.3)
    assert trap.connections == 0


# -- client authentication ----------------------------------------------------------------------------


def test_good_tokens_es384_and_rs384(cds: LiveServer, keys: ClientKeys, templates: dict[str, str]) -> None:
    body = hook_body("p1", emulate_prefetch(templates, mini_data()))
    for alg in ("ES384", "RS384"):
        r = post(cds.service_url, body, keys.token(cds.service_url, alg=alg))
        assert r.status_code == 200, (alg, r.text)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda k, url: k.token(url, iat=time.time() - 7200), "token expired"),
        (lambda k, url: k.token(url.replace("/trial-eligibility", "")), "wrong audience"),
        (lambda k, url: k.token("https://cds.example.org" + SERVICE_PATH), "wrong audience"),
        (lambda k, url: k.token(url, alg="HS256", kid="es-1"), "algorithm not allowed"),
        (lambda k, url: k.token(url, alg="none"), "algorithm not allowed"),
        (lambda k, url: k.token(url, alg="RS256"), "algorithm not allowed"),
        (lambda k, url: k.token(url, kid="unknown-kid"), "unknown key id"),
        (lambda k, url: k.token(url, iss="https://other-ehr.example.org"), "issuer not allowed"),
        (lambda k, url: ClientKeys().token(url), "bad signature"),
        (lambda k, url: None, "bearer token required"),
    ],
)
def test_bad_tokens_are_401(cds: LiveServer, keys: ClientKeys, make: Any, reason: str) -> None:
    r = post(cds.service_url, hook_body("p1", {}), make(keys, cds.service_url))
    assert reason in outcome(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_replayed_token_is_401(cds: LiveServer, keys: ClientKeys, templates: dict[str, str]) -> None:
    token = keys.token(cds.service_url)
    body = hook_body("p1", emulate_prefetch(templates, mini_data()))
    assert post(cds.service_url, body, token).status_code == 200
    assert "replayed" in outcome(post(cds.service_url, body, token), 401)


def test_discovery_and_feedback_need_their_own_audience(cds: LiveServer, keys: ClientKeys) -> None:
    url = cds.base + "/cds-services"
    wrong = keys.token(cds.service_url)
    assert requests.get(url, headers={"Authorization": f"Bearer {wrong}"}, timeout=10).status_code == 401
    assert requests.get(url, timeout=10).status_code == 401
    fb = {
        "feedback": [
            {
                "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
                "outcome": "overridden",
                "outcomeTimestamp": "2026-06-01T10:00:00Z",
            }
        ]
    }
    assert post(cds.service_url + "/feedback", fb, keys.token(cds.service_url)).status_code == 401
    assert call(cds, keys, fb, SERVICE_PATH + "/feedback").status_code == 200


def test_body_too_large_is_413(cds: LiveServer, keys: ClientKeys) -> None:
    big = json.dumps(hook_body("p1", {"pad": {"resourceType": "Basic", "text": "x" * (1024 * 1024)}})).encode()
    assert "larger than" in outcome(call(cds, keys, big), 413)
