"""A review of the per-patient reports: FHIR dates and references, non-finite numbers in JSON, table columns,
control characters from the data, and the horizon's wording. Expected values worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.errors import OutputError
from fhir_eligibility.evaluation.results import (
    Change,
    CriterionResult,
    MissingData,
    PatientLabel,
    Report,
    Result,
    TrialResult,
    Verdict,
    When,
)
from fhir_eligibility.report.format import reason, width
from fhir_eligibility.report.json_text import dumps
from fhir_eligibility.report.table import dates, explain, verdict_table

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
AS_OF = dt.date(2026, 6, 1)
# FHIR R4/R5 date and dateTime (the specification's regular expressions)
FHIR_DATE = re.compile(
    r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?"
)
FHIR_DATETIME = re.compile(
    r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?)?)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)?)?)?"
)
DATETIME_KEYS = {"start", "end", "authoredOn", "occurrenceDateTime", "startDate", "timestamp"}


def _patched(tmp_path: Path, **patient: Any) -> str:
    bundle = json.loads(SAMPLE.read_text())
    for e in bundle["entry"]:
        if e["resource"]["resourceType"] == "Patient":
            e["resource"].update(patient)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(bundle))
    return str(path)


def _evaluate(path: str, *args: str) -> str:
    out = CliRunner().invoke(cli, ["evaluate", path, "--as-of", "2026-06-01", "--trial", "NCT04954820", *args])
    assert out.exit_code == 0, out.output
    return out.stdout


def _walk(value: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in _walk(v, k)]
    if isinstance(value, list):
        return [kv for v in value for kv in _walk(v, key)]
    return [(key, value)]


def test_a_year_only_birth_date_gives_no_invalid_fhir_date(tmp_path: Path) -> None:
    """Born "2008": 17 or 18 on 2026-06-01, so the age is undetermined and the full birth date is what to
    collect, of any date (window "any"). That is no bound: the ServiceRequest has no occurrencePeriod."""
    path = _patched(tmp_path, birthDate="2008")
    bundle = json.loads(_evaluate(path, "--assume-attested", "--format", "fhir"))
    requests = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ServiceRequest"]
    birth = next(r for r in requests if "birthDate" in r["code"]["concept"]["text"])
    assert "occurrencePeriod" not in birth
    for key, value in _walk(bundle):
        if key == "valueDate":
            assert FHIR_DATE.fullmatch(value), (key, value)
        if key in DATETIME_KEYS:
            assert FHIR_DATETIME.fullmatch(value), (key, value)
    first = json.loads(_evaluate(path, "--assume-attested", "--format", "json"))["collectFirst"][0]["items"]
    assert all(i["notBefore"] is None or FHIR_DATE.fullmatch(i["notBefore"]) for i in first)
    assert "on or after any" not in _evaluate(path, "--assume-attested", "--details")


def test_json_never_writes_a_non_finite_number() -> None:
    for bad in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(OutputError):
            dumps({"evidence": [{"value": bad}]})
    assert dumps({"v": 1e308}) == '{"v": 1e+308}'
    from fhir_eligibility.report.html.shell import Store

    page = Store()
    page.put("plots", "hb", [float("inf")])  # the page's data block is JSON its script parses
    with pytest.raises(OutputError):
        page.script()


def test_a_denormal_uln_is_unknown_not_an_infinite_fail(tmp_path: Path) -> None:
    """ALT 28 U/L against an upper limit of 5e-324 U/L: 28 / 5e-324 overflows to infinity, which said
    "fail: ALT > 5 x ULN". No laboratory writes such a limit: the criterion cannot be decided."""
    bundle = json.loads(SAMPLE.read_text())
    for e in bundle["entry"]:
        r = e["resource"]
        if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == "1742-6":
            r["referenceRange"][0]["high"]["value"] = 5e-324
    path = tmp_path / "uln.json"
    path.write_text(json.dumps(bundle))
    out = CliRunner().invoke(
        cli, ["evaluate", str(path), "--as-of", "2026-06-01", "--trial", "NCT04954820", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    e7b = next(c for c in json.loads(out.stdout)["results"][0]["criteria"] if c["id"] == "A-E7b")
    assert e7b["result"] == "unknown"


def test_fhir_references_inside_the_bundle_are_its_full_urls(tmp_path: Path) -> None:
    """Entries with urn:uuid fullUrls can only reach each other by those: the subject, the study, the
    outputParameters; the patient and the study are entries too; an undetermined trial's GuidanceResponse
    names the ServiceRequests that would settle it in ``result``."""
    path = _patched(tmp_path, birthDate="2008")
    bundle = json.loads(_evaluate(path, "--assume-attested", "--format", "fhir"))
    full = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    refs = [v for k, v in _walk(bundle) if k == "reference"]
    assert refs and all(r in full for r in refs), [r for r in refs if r not in full]
    kinds = {r["resourceType"] for r in full.values()}
    assert {"Patient", "ResearchStudy", "ResearchSubject", "GuidanceResponse", "Parameters"} <= kinds
    patient = next(r for r in full.values() if r["resourceType"] == "Patient")
    assert patient["id"] == "sample-01" and set(patient) == {"resourceType", "id"}  # nothing but the id
    (guidance,) = [r for r in full.values() if r["resourceType"] == "GuidanceResponse"]
    assert guidance["status"] == "data-required"
    linked = {full[x["reference"]]["resourceType"] for x in guidance["result"]}
    assert linked == {"ServiceRequest"} and len(guidance["result"]) == sum(
        r["resourceType"] == "ServiceRequest" for r in full.values()
    )
    assert full[guidance["outputParameters"]["reference"]]["resourceType"] == "Parameters"


def _result(patient: str, trial: str, verdict: Verdict, label: PatientLabel | None = None, **kw: Any) -> TrialResult:
    return TrialResult(patient, trial, "t", verdict, kw.get("criteria", ()), (), label=label, when=kw.get("when"))


def test_table_columns_line_up_for_long_trial_ids_and_wide_names() -> None:
    """A 20-character trial id (wider than the 14-column cells) and a name in CJK characters (two terminal
    columns each): every verdict of a column starts at the same terminal column."""
    long_id = "NCT0000000000000LONG"
    results = (
        _result("Patient/a", long_id, Verdict.ELIGIBLE, PatientLabel(name="山田太郎")),
        _result("Patient/a", "NCT2", Verdict.UNDETERMINED, PatientLabel(name="山田太郎")),
        _result("Patient/b", long_id, Verdict.NEEDS_REVIEW, PatientLabel(name="Bob")),
        _result("Patient/b", "NCT2", Verdict.INELIGIBLE, PatientLabel(name="Bob")),
    )
    lines = verdict_table(Report(AS_OF, results)).splitlines()
    head = lines[1]
    rows = [line for line in lines if line.startswith("Patient/")]
    for column in (long_id, "NCT2"):
        start = width(head[: head.index(column)])
        cells = {width(r[: r.index(v)]) for r, v in zip(rows, _verdicts(rows, column), strict=True)}
        assert cells == {start}, (column, rows)


def _verdicts(rows: list[str], column: str) -> list[str]:
    first = column != "NCT2"
    out = []
    for r in rows:
        words = [w for w in r.split("  ") if w.strip() and not w.startswith("Patient/")]
        out.append(words[0 if first else 1].strip())
    return out


def test_control_characters_from_the_data_are_question_marks_in_text() -> None:
    evil = "\x1b[2J\x1b]0;pwned\x07\r"
    change = Change(dt.date(2026, 6, 10), "I1", Result.FAIL, Result.PASS, f"age {evil}")
    criterion = CriterionResult("I1", "inclusion", "Age", Result.FAIL, f"value {evil}")
    r = TrialResult(
        f"Patient/x{evil}",
        "T",
        "t",
        Verdict.INELIGIBLE,
        (criterion,),
        (MissingData("I1", f"Hb{evil}", (), "any"),),
        label=PatientLabel(name=f"Eve{evil}", mrn="1\u202e2"),
        when=When(dt.date(2026, 6, 10), None, (change,), 365),
    )
    report = Report(AS_OF, (r,), (f"Patient/x{evil}: odd",))
    for text in (verdict_table(report), explain(report), dates(report)):
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f\u202e]", text), repr(text)
        assert "?[2J?]0;pwned??" in text


def test_the_horizon_is_counted_from_the_as_of_date(tmp_path: Path) -> None:
    """--details and the page say the dates were looked for within N days of the as-of date, not "next"."""
    lapse = Change(dt.date(2026, 6, 18), "I1", Result.PASS, Result.UNKNOWN, "x")
    r = _result(
        "Patient/a",
        "T",
        Verdict.ELIGIBLE,
        when=When(None, dt.date(2026, 6, 17), (lapse,), 30),
        criteria=(CriterionResult("I1", "inclusion", "Hb", Result.PASS, "ok"),),
    )
    text = dates(Report(AS_OF, (r,)))
    assert "(within 30 days of 2026-06-01)" in text and "next 30 days" not in text
    path = _patched(tmp_path)
    html = _evaluate(path, "--assume-attested", "--format", "html", "--horizon", "60")
    assert "within 60 days of 2026-06-01" in html and "looked ahead" not in html


def test_a_converted_value_keeps_its_own_precision() -> None:
    """Ki-67 sent as a fraction (0.25, unit 1) compared with a 20 % limit: shown as 0.25, not rounded to
    the threshold's precision (0.2, which reads as under the limit it exceeds)."""
    shown = reason("0.25 1 (= 25 %) does not meet <= 20 % on 2026-05-01")
    assert shown.startswith("0.25 ") and "0.2 " not in shown, shown
    assert "> 20 %" in shown, shown
    # without a conversion the value is still rounded against the threshold (7.94 vs 8 shows as 7.9)
    plain = reason("7.94 g/dL does not meet >= 8 g/dL on 2026-05-01")
    assert plain.startswith("7.9 g/dL"), plain


def test_the_fhir_output_of_a_what_if_says_so() -> None:
    """--assume-attested: JSON, table, CSV and HTML said it was a what-if; the FHIR Bundle said
    "eligible" with status success and nothing else. Its Parameters carry assumedAttested and the
    criteria only assumed; the ResearchSubject's state text says what-if."""
    bundle = json.loads(_evaluate(str(SAMPLE), "--assume-attested", "--format", "fhir"))
    resources = [e["resource"] for e in bundle["entry"]]
    params = [r for r in resources if r["resourceType"] == "Parameters"]
    assert params and all({"name": "assumedAttested", "valueBoolean": True} in p["parameter"] for p in params)
    assumed = [q["valueString"] for p in params for q in p["parameter"] if q["name"] == "manualOutstanding"]
    assert assumed  # sample-01 has items only a person can attest, for every trial it is not refused by
    states = [r["progress"][0]["subjectState"]["text"] for r in resources if r["resourceType"] == "ResearchSubject"]
    assert states and all(s.endswith("(what-if: --assume-attested)") for s in states)
    plain = json.loads(_evaluate(str(SAMPLE), "--format", "fhir"))
    flat = json.dumps(plain)
    assert "assumedAttested" not in flat and "what-if" not in flat
