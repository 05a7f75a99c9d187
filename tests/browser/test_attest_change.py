"""An answered item can be changed on the page (CDS review, finding F): a consent recorded "yes" by mistake,
or withdrawn, is answered again; the new response supersedes the old one (the evaluator takes the latest
answer per item).

Hand-worked: sample-01 with a response of 2026-05-25 answering every manual item of NCT04954820 as a
coordinator would (inclusions yes, exclusions no) is eligible as of 2026-06-01. Its consent item (A-I14) is
then answered "no" on the page (2026-05-31): with both responses the consent fails, so the patient is
ineligible.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fhir_eligibility.criteria.attestable import items
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.report.questionnaire import questionnaire_response
from tests.browser.conftest import ROOT, Watched, run_cli

pytestmark = pytest.mark.browser

AS_OF = "2026-06-01"
TRIAL = "NCT04954820"
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
CHANGED_AT = dt.datetime(2026, 5, 31, 10, 0, tzinfo=dt.UTC)


def test_an_answered_consent_can_be_changed_and_the_new_answer_supersedes(watched: Watched, tmp_path: Path) -> None:
    (trial,) = load_trials(None, [TRIAL])
    answers = {i.link_id: i.section == "inclusion" for i in items(trial) if i.kind == "manual"}
    first = questionnaire_response(
        trial, "sample-01", answers, author="Dr Ada", authored="2026-05-25T10:00:00+00:00", response_id="qr-first"
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "patient.json").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (data / "first.json").write_text(json.dumps(first), encoding="utf-8")
    page_file = tmp_path / "report.html"
    run_cli("evaluate", str(data), "--as-of", AS_OF, "--trial", TRIAL, "--format", "html", "-o", str(page_file))

    watched.page.clock.set_fixed_time(CHANGED_AT)
    watched.open(page_file)
    section = watched.page.locator(f'section[data-testid="trial"][data-trial="{TRIAL}"]')
    assert section.get_attribute("data-verdict") == "eligible"
    assert section.locator('[data-testid="attest-item"]').count() == 0  # nothing outstanding
    consent = section.locator('[data-testid="attest-answered"][data-item="A-I14"]')
    assert "answered yes by Dr Ada on 2026-05-25" in consent.inner_text()
    consent.locator('[data-testid="attest-change"]').click()
    assert consent.locator('[data-testid="attest-change"]').count() == 0
    changed = consent.locator('[data-testid="attest-item"][data-item="A-I14"]')
    changed.locator('input[data-answer="no"]').check()
    changed.locator("input[data-comment]").fill("consent withdrawn")
    section.locator('[data-testid="attest-author"]').fill("Dr Ada")
    with watched.page.expect_download() as info:
        section.locator('[data-testid="attest-submit"]').click()
    saved = tmp_path / "second.json"
    info.value.save_as(saved)
    watched.assert_clean(page_file)

    second = json.loads(saved.read_text(encoding="utf-8"))
    got = {i["linkId"]: i["answer"][0] for g in second["item"] for i in g["item"]}
    assert got == {"A-I14": {"valueBoolean": False}, "A-I14-comment": {"valueString": "consent withdrawn"}}
    (data / "second.json").write_text(json.dumps(second), encoding="utf-8")
    out = run_cli("evaluate", str(data), "--as-of", AS_OF, "--trial", TRIAL, "--format", "json")
    (result,) = json.loads(out.stdout)["results"]
    assert result["verdict"] == "ineligible"
    (a_i14,) = [c for c in result["criteria"] if c["id"] == "A-I14"]
    assert a_i14["result"] == "fail" and a_i14["attestation"]["response"] == f"QuestionnaireResponse/{second['id']}"
