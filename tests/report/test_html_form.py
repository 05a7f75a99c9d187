"""The attestation form's data on the patient page (report/html/form.py), without a browser.

Expected states worked out from docs/attestations.md: sample-01 has answered nothing (every attestable
item of A it reaches is open); sample-97 is sample-01 with Claire Martin's completed response of
2026-05-25 to A, so A's items are answered by her on that date; sample-03's ALT 3 x ULN with liver
metastases is a clinician-judgement item (A-E7b, review).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.report.html import render_report_html
from fhir_eligibility.report.html.form import Submit

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_bundles"
A = "NCT04954820"
AS_OF = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def trials() -> Any:
    return load_trials(None, [A])


def page_of(name: str, trials: Any, submit: Submit | None = None, with_trials: bool = True) -> str:
    report = evaluate_files([SAMPLES / name], trials, AS_OF, Settings())
    return render_report_html(report, trials if with_trials else (), submit)


def data_of(page: str) -> Any:
    m = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert m
    return json.loads(m.group(1))


def rows(page: str) -> list[list[Any]]:
    data = data_of(page)
    (form,) = data["forms"].values()
    texts = data["texts"]
    return [
        [r[0], texts[r[1]], r[2], r[3], r[4], texts[r[5]] if r[5] is not None else None, r[6], texts[r[9]]]
        for r in form["items"]
    ]


def test_unanswered_patient_has_every_item_open(trials: Any) -> None:
    page = page_of("01-prrt-ileal-net-baseline.json", trials)
    got = rows(page)
    ids = [r[0] for r in got]
    assert {"A-I14", "A-E14", "A-I6"} <= set(ids)  # consent, an exclusion, the tumour board
    assert all(r[4] == "open" and r[2] == "manual" for r in got)
    assert {r[0]: r[3] for r in got}["A-E14"] == "exclusion"
    (form,) = data_of(page)["forms"].values()
    assert form["patient"] == "sample-01" and form["trial"] == A
    assert re.fullmatch(
        r"http://fhir-eligibility\.org/fhir/Questionnaire/eligibility-NCT04954820\|[0-9a-f]{12}", form["q"]
    )
    # 1 result: the form is drawn open; the static page never fetches and its CSP allows no connection
    assert 'data-testid="attest" open' in page
    assert "fetch(" not in page and "connect-src" not in page and '"submit"' not in page


def test_answered_items_say_who_and_when(trials: Any) -> None:
    got = {r[0]: r for r in rows(page_of("97-attested-by-coordinator.json", trials))}
    assert got["A-I14"][4] == "answered"
    assert got["A-I14"][5] == "Claire Martin (research coordinator)" and got["A-I14"][6] == "2026-05-25"
    assert all(r[4] == "answered" for r in got.values())


def test_clinician_judgement_is_a_review_item(trials: Any) -> None:
    """sample-03: A-E7b (ALT 2.5-5 x ULN with liver metastases) needs review; its judgement part
    characteristic[25].3 is the item to answer."""
    got = {r[0]: r for r in rows(page_of("03-alt-3x-uln-liver-mets.json", trials))}
    item = got["characteristic[25].3"]
    assert item[2] == "review" and item[4] == "open" and item[1].startswith("Clinician judgement:")
    assert "A-E7b" not in got  # not an item itself: the judgement is


def test_served_page_posts_and_allows_only_same_origin_connections(trials: Any) -> None:
    page = page_of("01-prrt-ileal-net-baseline.json", trials, Submit("/reports/sample-01/attest?ref=r", "n0nce"))
    assert "default-src 'none'" in page and "connect-src 'self'" in page
    assert data_of(page)["submit"] == {"to": {"url": "/reports/sample-01/attest?ref=r", "nonce": "n0nce"}}
    assert "function sendAnswers" in page


def test_without_trials_there_is_no_form(trials: Any) -> None:
    page = page_of("01-prrt-ileal-net-baseline.json", trials, with_trials=False)
    assert "forms" not in data_of(page) and "data-attest" not in page.split("<script>")[0]


def test_each_item_says_what_its_yes_does(trials: Any) -> None:
    """A form item under an exclusion says a yes rules the patient out; an inclusion's says it counts
    toward eligibility (the Questionnaire's own hints): a coordinator answering "yes, it holds" to an
    exclusion on the page had no word that it refuses (attestation review)."""
    got = {r[0]: r[7] for r in rows(page_of("01-prrt-ileal-net-baseline.json", trials))}
    assert got["A-E14"].endswith("rules the patient out)")
    assert got["A-I14"].endswith("counts toward eligibility)")
