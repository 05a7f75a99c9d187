"""docs/cds-hooks.md describes the cards the code renders (CDS review, finding K): the summary's shape, the
detail's length, the link's label and the topic's code systems are read from the docs' card table and
checked against cards.py, so the two cannot drift apart again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fhir_eligibility.evaluation.results import CriterionResult, Result, TrialResult, Verdict, When
from fhir_eligibility.report.cards import LINK_LABEL, NCT_SYSTEM, STATUS, TRIAL_ID_SYSTEM, card

DOC = Path(__file__).resolve().parents[2] / "docs" / "cds-hooks.md"


def row(field: str) -> str:
    (line,) = [ln for ln in DOC.read_text(encoding="utf-8").splitlines() if ln.startswith(f"| `{field}` |")]
    return line


def worst_case() -> TrialResult:
    """Needs review with five manual items and a date the verdict changes: the longest detail there is."""
    manual = tuple(
        CriterionResult(f"I{k}", "inclusion", f"Manual item {k}", Result.MANUAL, "requires attestation by a person")
        for k in range(5)
    )
    ended = When(None, dt.date(2026, 6, 17), (), 365)
    title = "A trial " + "with a long title " * 12
    return TrialResult("Patient/p1", "LOCAL-7", title, Verdict.NEEDS_REVIEW, manual, (), False, when=ended)


def test_the_docs_card_table_says_what_the_cards_carry() -> None:
    c = card(
        worst_case(),
        as_of=dt.date(2026, 6, 1),
        hook_instance="h",
        source_label="x",
        report_link=lambda r: "https://cds.example.org/reports/p1",
    )
    # summary: "<Status>: <title>", under 140 characters, no trial id in front
    assert "`<Status>: <title>`" in row("summary") and "NCT…:" not in row("summary")
    assert c["summary"].startswith(STATUS[Verdict.NEEDS_REVIEW].capitalize() + ": A trial")
    assert len(c["summary"]) < 140
    # detail: at most 8 non-blank lines, reached by the longest card
    assert "at most 8 non-blank lines" in row("detail")
    assert len([ln for ln in c["detail"].splitlines() if ln.strip()]) == 8, c["detail"]
    # links: the label the docs name
    assert f'"{LINK_LABEL}"' in row("links") and c["links"][0]["label"] == LINK_LABEL
    # source.topic: always a system, the ones the docs name
    assert f"`{NCT_SYSTEM}`" in row("source") and f"`{TRIAL_ID_SYSTEM}`" in row("source")
    assert c["source"]["topic"]["system"] == TRIAL_ID_SYSTEM
