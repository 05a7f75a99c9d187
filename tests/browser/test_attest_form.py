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
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, Watched, run_cli

pytestmark = pytest.mark.browser

AS_OF = "2026-06-01"
TRIAL = "NCT04954820"
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
# the coordinator fills the form the day before the screening date: an answer from after it would not count
FILLED_AT = dt.datetime(2026, 5, 31, 10, 0, tzinfo=dt.UTC)


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
    assert qr["authored"] == "2026-05-31T10:00:00Z"
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
