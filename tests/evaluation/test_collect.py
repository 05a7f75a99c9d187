"""Issue 16 (Must have 2): what to collect first, ranked across an undetermined patient's trials."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.evaluation.collect import collect_first
from fhir_eligibility.evaluation.results import MissingData, TrialResult, Verdict

SAMPLES = Path(__file__).resolve().parents[2] / "sample_bundles"
HB = ("http://loinc.org|718-7",)


def _result(trial: str, verdict: Verdict, *missing: MissingData) -> TrialResult:
    return TrialResult("Patient/p", trial, trial, verdict, (), missing)


def test_merged_by_shared_code_ranked_by_criteria_then_trials_and_windows_intersected() -> None:
    results = [
        _result(
            "T1",
            Verdict.UNDETERMINED,
            MissingData("T1-hb", "Hb >= 9 g/dL", HB, "2026-05-04..2026-06-01", "2026-06-01"),
            MissingData(
                "T1-alt", "ALT <= 5 x ULN", ("http://loinc.org|1742-6",), "2026-05-04..2026-06-01", "2026-06-01"
            ),
        ),
        # a wider code set for the same test: one order (the narrower one's test); a 14-day window narrows
        # when it counts for both
        _result(
            "T2",
            Verdict.UNDETERMINED,
            MissingData(
                "T2-hb",
                "Haemoglobin in the last 2 weeks",
                (*HB, "http://loinc.org|59260-0"),
                "2026-05-18..2026-06-01",
                "2026-06-01",
            ),
        ),
        # failed already: no result rescues it, its missing data is not worth collecting
        _result(
            "T3",
            Verdict.INELIGIBLE,
            MissingData("T3-alt", "ALT", ("http://loinc.org|1742-6",), "2026-05-04..2026-06-01", "2026-06-01"),
            MissingData("T3-x", "X", ("http://loinc.org|1-8",), "open..2026-06-01", "2026-06-01"),
        ),
    ]
    first, second = collect_first(results)
    assert first.criteria == ("T1/T1-hb", "T2/T2-hb") and first.trials == ("T1", "T2")
    # ordered as the narrower item's test: a 718-7 result settles both, a 59260-0 one only T2-hb
    assert first.what == "Hb" and set(first.codes) == {"http://loinc.org|718-7"}
    assert (first.not_before, first.by) == ("2026-05-18", "2026-06-01")
    assert second.what == "ALT" and second.criteria == ("T1/T1-alt",)


def _evaluate(name: str, fmt: str) -> dict[str, Any]:
    args = ["evaluate", str(SAMPLES / name), "--as-of", "2026-06-01", "--assume-attested", "--format", fmt]
    out = CliRunner().invoke(cli, [*args, "--horizon", "0"])
    assert out.exit_code == 0, out.output
    data: dict[str, Any] = json.loads(out.output)
    return data


def test_sample_08_haemoglobin_settles_five_criteria_in_four_trials() -> None:
    """Its only Hb (2026-05-03) is outside every 28-day window: A-I11-hb, B-I8, C-I7-hb, E-I7-hb and E-I12
    are unknown (D is ineligible anyway); one Hb dated 2026-05-04..2026-06-01 settles them all."""
    (patient,) = _evaluate("08-hb-outside-28-day-window.json", "json")["collectFirst"]
    (item,) = patient["items"]
    assert set(item["settles"]["criteria"]) == {
        "NCT04954820/A-I11-hb",
        "NCT05773274/B-I8",
        "NCT04837885/C-I7-hb",
        "NCT01842165/E-I7-hb",
        "NCT01842165/E-I12",
    }
    assert len(item["settles"]["trials"]) == 4
    assert (item["notBefore"], item["by"]) == ("2026-05-04", "2026-06-01")


def test_a_window_of_any_date_gives_no_start() -> None:
    """An attestation's "any" window (any date counts) is no date: it must not become a "not before"
    (it reached a FHIR occurrencePeriod.start as the string "any")."""
    items = collect_first([_result("T1", Verdict.UNDETERMINED, MissingData("T1-x", "Signed consent", (), "any"))])
    assert [(i.not_before, i.by) for i in items] == [(None, None)]


def test_fhir_output_has_draft_service_requests() -> None:
    bundle = _evaluate("34-liver-panel-missing.json", "fhir")
    orders = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ServiceRequest"]
    # ALT, AST and bilirubin each settle 4 criteria in 3 trials (A-E7b, C-I6 or B-I11, E-I8, E-I12)
    assert [o["code"]["concept"]["text"] for o in orders] == ["ALT", "AST", "Total bilirubin"]
    assert all(o["status"] == "draft" and o["intent"] == "proposal" for o in orders)
    assert orders[0]["occurrencePeriod"] == {"start": "2026-05-04", "end": "2026-06-01"}
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert orders[0]["subject"] == {"reference": patient["fullUrl"], "type": "Patient"}
    assert patient["resource"]["id"] == "sample-34"


def test_nothing_to_collect_for_a_patient_decided_everywhere() -> None:
    assert _evaluate("01-prrt-ileal-net-baseline.json", "json")["collectFirst"] == []


def test_an_order_is_one_every_criterion_it_settles_accepts() -> None:
    """Found by a coordinator's review: a serum hCG criterion (E-I10) and "any hCG" ones (A-I12, B-I16)
    were one order named "Pregnancy test" with the urine codes too, and a urine test settled only the
    latter; an eGFR and a creatinine clearance shared the creatinine code and were one order, which a
    reported eGFR does not settle for the clearance. The order is the narrowest item's test, joined
    only by items that accept all its codes."""
    serum, urine = "http://loinc.org|2118-8", "http://loinc.org|2106-3"
    egfr, scr, crcl = "http://loinc.org|33914-3", "http://loinc.org|2160-0", "http://loinc.org|2164-2"
    results = [
        _result(
            "E",
            Verdict.UNDETERMINED,
            MissingData("E-I10-hcg", "Pregnancy test (serum)", (serum,), "2026-05-25..2026-06-01", "2026-06-01"),
        ),
        _result(
            "A",
            Verdict.UNDETERMINED,
            MissingData("A-I12", "Pregnancy test", (serum, urine), "2026-05-25..2026-06-01", "2026-06-01"),
            MissingData("A-E7a", "eGFR MDRD", (egfr, scr), "2026-05-04..2026-06-01", "2026-06-01"),
        ),
        _result(
            "C",
            Verdict.UNDETERMINED,
            MissingData("C-I6-crcl", "Creatinine clearance", (crcl, scr), "2026-05-04..2026-06-01", "2026-06-01"),
        ),
    ]
    items = {i.what: i for i in collect_first(results)}
    hcg = items["Pregnancy test (serum)"]
    assert hcg.codes == (serum,) and hcg.criteria == ("A/A-I12", "E/E-I10-hcg")
    assert "Pregnancy test" not in items  # the urine codes are no order of their own: the serum one settles A-I12
    assert items["eGFR MDRD"].criteria == ("A/A-E7a",) and items["Creatinine clearance"].criteria == ("C/C-I6-crcl",)
