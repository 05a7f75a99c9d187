"""Issue 14: the attestation Questionnaire and the ``attest`` command that answers it, through to
``evaluate`` (fixtures and the hand-checked samples: tests/attestation_fixtures.py).

Which answer counts: test_attestation_answers.py; clinician judgements of data-driven reviews:
test_attestation_reviews.py; the same verdicts from files, screening and CDS prefetch:
test_attestation_entry_points.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.criteria.attestable import canonical
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.results import Result, Verdict
from fhir_eligibility.report.json_report import trial_json
from fhir_eligibility.report.questionnaire import questionnaire
from tests.attestation_fixtures import (
    ALT_ITEM,
    ALT_REVIEW,
    AS_OF,
    BASE,
    SAMPLES,
    TRIAL,
    A,
    coordinator_answers,
    evaluate_a,
    patient,
)


def test_questionnaire_cli_writes_valid_r4_with_one_boolean_and_one_comment_per_item(tmp_path: Path) -> None:
    from fhir.resources.R4B.questionnaire import Questionnaire

    out = tmp_path / "q.json"
    r = CliRunner().invoke(cli, ["questionnaire", A, "-o", str(out)])
    assert r.exit_code == 0, r.output
    q = json.loads(out.read_text())
    Questionnaire.model_validate(q)
    url, version = canonical(TRIAL)
    assert (q["url"], q["version"]) == (url, version) and url.endswith("eligibility-NCT04954820")
    assert [g["linkId"] for g in q["item"]] == ["inclusion", "exclusion"]
    inclusion, exclusion = ({i["linkId"]: i for i in g["item"]} for g in q["item"])
    assert inclusion["A-I14"]["type"] == "boolean" and "consent" in inclusion["A-I14"]["text"]
    assert inclusion["A-I14-comment"]["type"] == "string"
    assert "characteristic[3].1" in inclusion  # a manual part nested in the computable A-I4
    assert exclusion["A-E14"]["type"] == "boolean" and "excluding condition is present" in exclusion["A-E14"]["text"]
    assert exclusion[ALT_ITEM]["text"].startswith("Clinician judgement:")  # a data-driven review item
    assert "A-I11" not in inclusion and "A-E7a" not in exclusion  # computable, never a review: not asked
    links = [i["linkId"] for g in q["item"] for i in g["item"]]
    assert len(links) == len(set(links))


def test_every_trial_questionnaire_validates_and_the_version_follows_the_items() -> None:
    from fhir.resources.R4B.questionnaire import Questionnaire

    for t in load_trials():
        Questionnaire.model_validate(questionnaire(t))
    changed = dataclasses.replace(
        TRIAL,
        criteria=tuple(
            dataclasses.replace(c, description="Signed consent (v2)") if c.id == "A-I14" else c for c in TRIAL.criteria
        ),
    )
    assert canonical(changed)[0] == canonical(TRIAL)[0]
    assert canonical(changed)[1] != canonical(TRIAL)[1]


def test_attest_then_evaluate_round_trip_gives_eligible_with_who_and_when(tmp_path: Path) -> None:
    from fhir.resources.R4B.bundle import Bundle

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / BASE.name).write_bytes(BASE.read_bytes())
    args = ["attest", A, "--patient", "sample-01", "--author", "Dr Attest", "--authored", "2026-05-20T10:00:00Z"]
    for link, value in coordinator_answers().items():
        args += ["--item", f"{link}={'yes' if value else 'no'}"]
    args += ["--comment", "A-I6=tumour board 2026-05-18", "-o", str(folder / "attested.json")]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    written = json.loads((folder / "attested.json").read_text())
    Bundle.model_validate(written)
    assert [e["resource"]["resourceType"] for e in written["entry"]] == ["QuestionnaireResponse", "Provenance"]

    r = CliRunner().invoke(cli, ["evaluate", str(folder), "--as-of", "2026-06-01", "--trial", A, "--format", "json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)["results"][0]
    assert result["verdict"] == "eligible"
    assert result["manualOutstanding"] == [] and result["reviewOutstanding"] == []
    consent = next(c for c in result["criteria"] if c["id"] == "A-I14")
    qr_id = written["entry"][0]["resource"]["id"]
    assert consent["result"] == "pass" and "attested" not in consent  # a real answer, not the what-if
    assert consent["attestation"] == {
        "by": "Dr Attest",
        "date": "2026-05-20",
        "response": f"QuestionnaireResponse/{qr_id}",
    }
    board = next(c for c in result["criteria"] if c["id"] == "A-I6")
    assert board["evidence"][-1]["note"] == "attested by Dr Attest on 2026-05-20: tumour board 2026-05-18"


def test_attest_refuses_one_item_answered_two_ways_and_a_validity_out_of_range() -> None:
    """A typo (A-I14=yes, A-I14=no) would record a refusal, the last one winning: a usage error instead;
    so is a validity window of 0 or 10^6 days (it crashed on date arithmetic)."""
    both = ["attest", A, "--patient", "p1", "--item", "A-I14=yes", "--item", "A-I14=no", "--author", "x"]
    r = CliRunner().invoke(cli, both)
    assert r.exit_code == 2 and "given twice with different values" in r.output
    same = ["attest", A, "--patient", "p1", "--item", "A-I14=yes", "--item", "A-I14=yes", "--author", "x"]
    assert CliRunner().invoke(cli, same).exit_code == 0
    for days in ("0", "1000000", "-5"):
        r = CliRunner().invoke(cli, ["evaluate", str(SAMPLES), "--attestation-validity-days", days])
        assert r.exit_code == 2 and "attestation-validity-days" in r.output, (days, r.output)


def test_attest_refuses_an_item_the_trial_does_not_have() -> None:
    r = CliRunner().invoke(cli, ["attest", A, "--patient", "p1", "--item", "A-I99=yes", "--author", "x"])
    assert r.exit_code != 0 and "A-I99" in str(r.exception or r.output)


def test_without_answers_the_manual_criteria_are_outstanding() -> None:
    result = evaluate_a(patient(BASE))
    assert result.verdict is Verdict.NEEDS_REVIEW
    assert trial_json(result)["manualOutstanding"] == [c.id for c in result.criteria if c.result is Result.MANUAL]
    assert "A-I14" in trial_json(result)["manualOutstanding"]


def test_table_tells_the_two_kinds_of_needs_review_apart_judgement_first() -> None:
    from fhir_eligibility.evaluation.results import Report
    from fhir_eligibility.report.table import explain, verdict_table

    judged, waiting = evaluate_a(patient(ALT_REVIEW)), evaluate_a(patient(BASE))
    report = Report(AS_OF, (judged, waiting))
    assert "needs-review: 1 need a clinician's judgement of their data, 1 only await attestations" in verdict_table(
        report
    )
    lines = explain(Report(AS_OF, (judged,))).splitlines()
    review = next(i for i, line in enumerate(lines) if line.startswith("  [REVIEW] A-E7b: clinician judgement: "))
    manual = [i for i, line in enumerate(lines) if line.startswith("  [manual] ") and "awaiting attestation: " in line]
    assert manual and review < min(manual)


def test_attest_writes_local_time_and_refuses_a_future_date_or_a_blank_author(tmp_path: Path, monkeypatch: Any) -> None:
    """West of Greenwich an evening answer is tomorrow in UTC; the as-of date is the local date, so
    the answer was ignored as "in the future". It is written with the local offset now."""
    import time

    monkeypatch.setenv("TZ", "Etc/GMT+12")  # UTC-12
    time.tzset()
    try:
        out = tmp_path / "qr.json"
        base = ["attest", A, "--patient", "sample-01", "--item", "A-I14=yes", "-o", str(out)]
        r = CliRunner().invoke(cli, [*base, "--author", "Dr Attest"])
        assert r.exit_code == 0, r.output
        authored = json.loads(out.read_text())["entry"][0]["resource"]["authored"]
        assert authored.endswith("-12:00") and authored[:10] == dt.date.today().isoformat()
        r = CliRunner().invoke(cli, [*base, "--author", "Dr Attest", "--authored", "2099-01-01T00:00:00Z"])
        assert r.exit_code == 2 and "in the future" in r.output
        r = CliRunner().invoke(cli, [*base, "--author", "  "])
        assert r.exit_code == 2 and "blank" in r.output
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
