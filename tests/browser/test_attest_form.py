"""The coordinator's attestation form in headless Chromium (issue 14 item 4).

Static page: fill every outstanding item as a coordinator would, download the QuestionnaireResponse, add it
to the patient's data and evaluate again. Served page: the same through the CDS service, which writes the
response to a real FHIR server (Medplum on loopback) and shows the re-evaluated page.

sample-01 (PRRT base patient) is eligible for NCT04954820 (A) with --assume-attested and needs review
without (tests/expected_verdicts.json): its only outstanding items are attestations, so answering them as a
coordinator would (inclusions yes, exclusions no) must make it eligible.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.conftest import ROOT, Watched, run_cli
from tests.service.support import (
    LiveServer,
    card_verdicts,
    hook_body,
    open_config,
    patients_of,
    post,
    with_patient_refs,
)
from tests.support.fhir_servers import seed, start_medplum

pytestmark = pytest.mark.browser

AS_OF = "2026-06-01"
TRIAL = "NCT04954820"
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
# the coordinator fills the form the day before the screening date: an answer from after it would not count
FILLED_AT = dt.datetime(2026, 5, 31, 10, 0, 0, 250000, tzinfo=dt.UTC)  # a fraction: answers within a second are ordered


def trial_section(w: Watched) -> Any:
    return w.page.locator(f'section[data-testid="trial"][data-trial="{TRIAL}"]')


def fill_as_coordinator(w: Watched, author: str) -> dict[str, bool]:
    """Answer every outstanding item: an inclusion holds (yes), an excluding condition is absent (no)."""
    section = trial_section(w)
    items = section.locator('[data-testid="attest-item"]')
    answered: dict[str, bool] = {}
    for k in range(items.count()):
        item = items.nth(k)
        link_id = item.get_attribute("data-item") or ""
        assert item.get_attribute("data-kind") == "manual", f"{link_id} is not an attestation"
        excluding = item.get_attribute("data-section") == "exclusion"
        item.locator(f'input[data-answer="{"no" if excluding else "yes"}"]').check()
        answered[link_id] = not excluding
    section.locator('[data-testid="attest-author"]').fill(author)
    return answered


def test_static_page_download_makes_sample_01_eligible(watched: Watched, tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    run_cli("evaluate", str(SAMPLE), "--as-of", AS_OF, "--format", "html", "-o", str(page_file))
    watched.page.clock.set_fixed_time(FILLED_AT)
    watched.open(page_file)
    section = trial_section(watched)
    assert section.get_attribute("data-verdict") == "needs-review"
    answered = fill_as_coordinator(watched, "Dr Ada Coordinator")
    assert "A-I14" in answered and "A-E14" in answered  # consent and an exclusion, from docs/attestations.md

    # the author is required: the browser refuses to submit without it and nothing is downloaded
    section.locator('[data-testid="attest-author"]').fill("")
    section.locator('[data-testid="attest-submit"]').click()
    assert section.locator('[data-testid="attest-download"]').count() == 0
    section.locator('[data-testid="attest-author"]').fill("Dr Ada Coordinator")

    with watched.page.expect_download() as info:
        section.locator('[data-testid="attest-submit"]').click()
    saved = tmp_path / "qr.json"
    info.value.save_as(saved)
    watched.assert_clean(page_file)
    qr = json.loads(saved.read_text(encoding="utf-8"))
    assert qr["resourceType"] == "QuestionnaireResponse" and qr["status"] == "completed"
    assert qr["subject"] == {"reference": "Patient/sample-01"}
    assert qr["author"] == {"display": "Dr Ada Coordinator"}
    # the browser's clock, in its local time with the offset (the as-of date is a local date), to the millisecond
    authored = dt.datetime.fromisoformat(qr["authored"])
    assert authored.utcoffset() is not None and authored == FILLED_AT
    assert qr["authored"][19:23] == ".250"
    questionnaire = json.loads(run_cli("questionnaire", TRIAL).stdout)
    assert qr["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
    got = {i["linkId"]: i["answer"][0]["valueBoolean"] for g in qr["item"] for i in g["item"]}
    assert got == answered

    data = tmp_path / "data"
    data.mkdir()
    (data / "patient.json").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (data / "answers.json").write_text(json.dumps(qr), encoding="utf-8")
    out = run_cli("evaluate", str(data), "--as-of", AS_OF, "--format", "json")
    verdicts = {r["trial"]: r for r in json.loads(out.stdout)["results"]}
    assert verdicts[TRIAL]["verdict"] == "eligible"
    assert verdicts[TRIAL]["manualOutstanding"] == []


# -- the served page: CDS service + Medplum on loopback --------------------------------------------------


@pytest.fixture(scope="module")
def medplum() -> Iterator[str]:
    server = start_medplum()
    try:
        yield server.base_url
    finally:
        server.stop()


def put_sample_on(base: str) -> str:
    """sample-01 on the server under a fresh id (PUT, so the ids are ours; references as Patient/<id>)."""
    (data,) = patients_of(SAMPLE)
    patient_id = f"attest-{uuid.uuid4().hex[:12]}"
    data.patient_id = patient_id
    data.resources = [({**r, "id": patient_id} if r["resourceType"] == "Patient" else r) for r in data.resources]
    entries = []
    for res in with_patient_refs(data):
        res = {**res, "id": res["id"] if res["resourceType"] == "Patient" else f"{patient_id}-{res['id']}"}
        entries.append({"resource": res, "request": {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}})
    seed(base, [{"resourceType": "Bundle", "type": "transaction", "entry": entries}])
    return patient_id


def test_served_page_submit_records_and_shows_eligible(watched: Watched, medplum: str, tmp_path: Path) -> None:
    patient_id = put_sample_on(medplum)
    config = open_config(
        tmp_path, definitions=(), trials=(TRIAL,), allow_fhir_servers=(medplum,), attest_fhir_server=medplum
    )
    with LiveServer(config) as live:
        live.app.state.service.now = lambda: FILLED_AT
        r = post(live.service_url, hook_body(patient_id, fhir_server=medplum))
        assert card_verdicts(r.json()) == {TRIAL: "needs-review"}, r.text
        link = r.json()["cards"][0]["links"][0]["url"]
        page = watched.page
        page.goto(link, wait_until="load")
        assert trial_section(watched).get_attribute("data-verdict") == "needs-review"
        to = json.loads(page.locator("script#data").text_content() or "{}")["submit"]["to"]
        answered = fill_as_coordinator(watched, "Dr Ada Coordinator")
        with page.expect_navigation(wait_until="load"):
            trial_section(watched).locator('[data-testid="attest-submit"]').click()
        # the first page's form, sent again (a replay): its nonce is spent, nothing written (the card link
        # itself lives on until its TTL: another page drawn from it gets a nonce of its own)
        replay = {"nonce": to["nonce"], "trial": TRIAL, "author": "Mallory", "answers": {next(iter(answered)): False}}
        again = requests.post(live.base + to["url"], json=replay, headers={"Origin": live.base}, timeout=30)
        assert again.status_code == 403 and "used already" in again.text, again.text
        assert requests.get(link, timeout=30).status_code == 200

        section = trial_section(watched)
        assert section.get_attribute("data-verdict") == "eligible"
        assert section.locator('[data-testid="verdict"]').inner_text().strip() == "Eligible"
        assert section.locator('[data-testid="attest-item"]').count() == 0
        done = section.locator('[data-testid="attest-answered"]')
        assert sorted(done.nth(k).get_attribute("data-item") or "" for k in range(done.count())) == sorted(answered)
        # the typed name, under the EHR user the hook call named (hook_body: context.userId Practitioner/example)
        assert "by Dr Ada Coordinator (Practitioner/example) on 2026-05-31" in done.first.inner_text()
        assert watched.console_errors == [] and watched.page_errors == []
        assert all(u.startswith(live.base) for u in watched.requests), watched.requests

        # on the server: one response + its Provenance; a fresh hook call reads them and shows eligible
        got = requests.get(f"{medplum}/QuestionnaireResponse", params={"subject": f"Patient/{patient_id}"}, timeout=10)
        (entry,) = got.json()["entry"]
        qr = entry["resource"]
        who = {"reference": "Practitioner/example", "display": "Dr Ada Coordinator"}
        assert qr["author"] == who and qr["authored"].startswith("2026-05-31")
        assert dt.datetime.fromisoformat(qr["authored"]) == FILLED_AT  # its fraction of a second kept by the server
        prov = requests.get(f"{medplum}/Provenance", params={"target": f"QuestionnaireResponse/{qr['id']}"}, timeout=10)
        assert len(prov.json().get("entry", [])) == 1
        again = post(live.service_url, hook_body(patient_id, fhir_server=medplum))
        assert card_verdicts(again.json()) == {TRIAL: "eligible"}
