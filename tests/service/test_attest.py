"""The served page's attestation form endpoint (``POST /reports/{patientId}/attest?ref=…``): who may post,
what the body may say, and that every client mistake is a 4xx OperationOutcome (never a 500).

The success path against a real FHIR server is in tests/browser/test_attest_form.py; here the configured
server is a closed loopback port, so a well-formed submission shows the server fault as 502.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from fhir_eligibility.errors import InputError
from fhir_eligibility.service.app import create_app
from tests.service.support import MINI_PATIENT, LiveServer, emulate_prefetch, hook_body, open_config, patients_of, post

TRIAL = "NCT00000001"


def closed_port_url() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/fhir"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    fhir = closed_port_url()
    config = open_config(
        tmp_path_factory.mktemp("cds"), allow_fhir_servers=(fhir,), attest_fhir_server=fhir, fhir_retries=0
    )
    with LiveServer(config) as server:
        # answered the day before the config's as-of date (2026-06-01): a later answer is refused (409)
        server.app.state.service.now = lambda: dt.datetime(2026, 5, 31, 10, 0, tzinfo=dt.UTC)
        yield server


def open_page(live: LiveServer) -> tuple[str, requests.Response]:
    templates = requests.get(live.base + "/cds-services", timeout=10).json()["services"][0]["prefetch"]
    (data,) = patients_of(MINI_PATIENT)
    r = post(live.service_url, hook_body("p1", emulate_prefetch(templates, data)))
    assert r.status_code == 200, r.text
    link = r.json()["cards"][0]["links"][0]["url"]
    return link, requests.get(link, timeout=10)


def page_data(page: requests.Response) -> Any:
    m = re.search(r'<script type="application/json" id="data">(.*?)</script>', page.text, re.S)
    assert m
    return json.loads(m.group(1))


def submit(live: LiveServer, url: str, body: object, origin: str | None = "self", **kw: Any) -> requests.Response:
    headers = {"Content-Type": kw.pop("content_type", "application/json")}
    if origin is not None:
        headers["Origin"] = live.base if origin == "self" else origin
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    return requests.post(live.base + url, data=data, headers=headers, timeout=30)


def outcome(r: requests.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["resourceType"] == "OperationOutcome"
    return str(body["issue"][0]["diagnostics"])


def good(nonce: str) -> dict[str, Any]:
    return {"nonce": nonce, "trial": TRIAL, "author": "Dr Ada", "answers": {"consent": True}, "comments": {}}


def test_served_page_posts_to_its_own_endpoint_with_a_nonce(live: LiveServer) -> None:
    _link, page = open_page(live)
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "form-action 'none'" in csp
    assert "connect-src 'self'" in page.text  # the meta CSP says the same, or the browser would block the POST
    data = page_data(page)
    to = data["submit"]["to"]
    assert to["url"].startswith("/reports/p1/attest?ref=") and len(to["nonce"]) >= 32
    (form,) = data["forms"].values()
    assert form["patient"] == "p1" and [i[0] for i in form["items"]] == ["consent"]


def test_client_mistakes_are_4xx_outcomes(live: LiveServer) -> None:
    _link, page = open_page(live)
    to = page_data(page)["submit"]["to"]
    url, nonce = to["url"], to["nonce"]
    assert "own page" in outcome(submit(live, url, good(nonce), origin=None), 403)
    assert "own page" in outcome(submit(live, url, good(nonce), origin="https://evil.example"), 403)
    assert "nonce" in outcome(submit(live, url, good("x" * 32)), 403)
    assert "expired" in outcome(submit(live, url.replace("ref=", "ref=x"), good(nonce)), 404)
    assert "expired" in outcome(submit(live, url.replace("/p1/", "/p2/"), good(nonce)), 404)
    assert "patient" in outcome(submit(live, url, {**good(nonce), "patient": "Patient/p2"}), 400)
    assert "unexpected" in outcome(submit(live, url, {**good(nonce), "fhirServer": "http://evil.example"}), 400)
    assert "author" in outcome(submit(live, url, {**good(nonce), "author": " "}), 400)
    assert "answers" in outcome(submit(live, url, {**good(nonce), "answers": {}}), 400)
    assert "answers" in outcome(submit(live, url, {**good(nonce), "answers": {"consent": "yes"}}), 400)
    assert "no attestation item" in outcome(submit(live, url, {**good(nonce), "answers": {"hb": True}}), 400)
    assert "not on this page" in outcome(submit(live, url, {**good(nonce), "trial": "NCT99999999"}), 400)
    assert "comment" in outcome(submit(live, url, {**good(nonce), "comments": {"ecog": "seen"}}), 400)
    # a path id the ref is not for, in any script: 404, never a 500 (compare_digest refuses non-ASCII text)
    assert "expired" in outcome(submit(live, url.replace("/p1/", "/%C3%A9/"), good(nonce)), 404)
    assert requests.get(live.base + url.replace("/p1/attest", "/%C3%A9"), timeout=10).status_code == 404
    assert outcome(submit(live, url, b"{not json"), 400)
    assert outcome(submit(live, url, good(nonce), content_type="application/x-www-form-urlencoded"), 415)


def test_fhir_server_fault_is_502_not_500(live: LiveServer) -> None:
    _link, page = open_page(live)
    to = page_data(page)["submit"]["to"]
    assert "did not record" in outcome(submit(live, to["url"], good(to["nonce"])), 502)
    # nothing was recorded, so the page's one answer is not spent: it can be sent again
    assert "did not record" in outcome(submit(live, to["url"], good(to["nonce"])), 502)


def test_without_a_write_server_the_page_offers_the_download(tmp_path: Path) -> None:
    with LiveServer(open_config(tmp_path)) as live:
        _link, page = open_page(live)
        assert "connect-src" not in page.headers["content-security-policy"]
        data = page_data(page)
        assert "submit" not in data and data["forms"]
        assert "fetch(" not in page.text
        url = "/reports/p1/attest?ref=anything"
        assert "expired" in outcome(submit(live, url, {}), 404)


def test_write_server_must_be_on_the_allow_list(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="allow_fhir_servers"):
        create_app(open_config(tmp_path, attest_fhir_server="http://127.0.0.1:1/fhir"))
