"""Issue 15 (dashboard review rows) and issue 14 item 7 on the screening: each candidate carries its own open
checks, split into a clinician's judgement of the data (``review``) and attestations (``manual``); the
dashboard lists them on the row (judgement first) instead of a dash, and names the two kinds of needs-review."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from fhir_eligibility.report.html.dashboard import render_screening_html
from fhir_eligibility.report.screening import render_table
from fhir_eligibility.screening.core import Tally, TrialOutcome, TrialTally
from tests.screening.helpers import AS_OF, SAMPLES, evaluate_json, invoke

CRITERIA = (("I1", "inclusion", "Informed consent"), ("E2", "exclusion", "Uncontrolled hypertension"))


def test_a_candidate_keeps_its_own_open_checks_by_kind() -> None:
    t = TrialTally("NCT1", "One", CRITERIA)
    t.add(TrialOutcome("NCT1", "Patient/j", "needs-review", ("manual", "review"), ()))
    t.add(TrialOutcome("NCT1", "Patient/a", "needs-review", ("manual", "pass"), ()))
    checks = {c.patient: (c.judge, c.attest) for c in t.candidates}
    assert checks == {"Patient/j": (("E2",), ("I1",)), "Patient/a": ((), ("I1",))}
    table = render_table(Tally({"NCT1": t}).report(dt.date(2026, 6, 1)))
    row = next(line for line in table.splitlines() if "Patient/j" in line)
    assert row.index("judge: E2") < row.index("attest: I1")  # data-driven first


DASHBOARD = {
    "asOf": "2026-06-01",
    "trials": [
        {
            "trial": "NCT1",
            "counts": {"eligible": 0, "needs-review": 2, "undetermined": 0, "ineligible": 1},
            "needsReview": {"judgement": 1, "attestation": 1},
            "funnel": [
                {"criterion": "I1", "description": "Informed consent", "pass": 0, "manual": 2},
                {"criterion": "E2", "description": "Uncontrolled hypertension", "pass": 1, "review": 1},
            ],
            "candidates": [
                {
                    "patient": "Patient/j",
                    "verdict": "needs-review",
                    "missing": [],
                    "outstanding": {"judgement": ["E2"], "attestation": ["I1"]},
                },
                {
                    "patient": "Patient/a",
                    "verdict": "needs-review",
                    "missing": [],
                    "outstanding": {"judgement": [], "attestation": ["I1"]},
                },
            ],
        }
    ],
}


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_dashboard_review_rows_list_their_checks_judgement_first() -> None:
    html = render_screening_html(DASHBOARD)
    rows = re.findall(r'<tr data-verdict="needs-review">(.*?)</tr>', html, re.S)
    assert len(rows) == 2
    first, second = (_text(r) for r in rows)
    assert "—" not in first and "—" not in second
    assert first.index("judge: E2 Uncontrolled hypertension") < first.index("attest: I1 Informed consent")
    assert "clinician judgement" in first
    assert "judge:" not in second and "attest: I1 Informed consent" in second and "awaiting attestation" in second
    summary = _text(html.split('data-testid="review-kinds">')[1].split("</p>")[0])
    assert "1 for a clinician's judgement of the data, 1 awaiting attestation" in summary


def test_the_trial_checklist_lists_judgement_before_attestation() -> None:
    html = render_screening_html(DASHBOARD)
    block = html.split('data-testid="checks"')[1].split("</ul>")[0]
    assert block.index("judge: E2") < block.index("attest: I1")


def test_each_candidates_checks_are_evaluates_review_and_manual_criteria(tmp_path: Path) -> None:
    """Per candidate, the ids are exactly the top-level criteria evaluate reports as review / manual."""
    paths = sorted(SAMPLES.glob("*.json"))[:12]
    folder = tmp_path / "in"
    folder.mkdir()
    for p in paths:
        (folder / p.name).write_bytes(p.read_bytes())
    expected = {}
    for r in evaluate_json([folder])["results"]:
        ids = (
            [c["id"] for c in r["criteria"] if c["result"] == "review"],
            [c["id"] for c in r["criteria"] if c["result"] == "manual"],
        )
        expected[(r["trial"], r["patient"])] = {"judgement": ids[0], "attestation": ids[1]}
    out = invoke("screen", str(folder), "--as-of", AS_OF, "--workers", "1", "--format", "json")
    assert out.exit_code == 0, out.output
    seen = 0
    for t in json.loads(out.stdout)["trials"]:
        for c in t["candidates"]:
            assert c["outstanding"] == expected[(t["trial"], c["patient"])], (t["trial"], c["patient"])
            seen += bool(c["outstanding"]["attestation"] or c["outstanding"]["judgement"])
    assert seen  # the samples do leave checks open
