"""A review of the screening's outputs: de-identified dates, page file names, the --assume-attested what-if,
the patients a funnel row did not evaluate, the horizon's wording, the table's columns and what reaches a
terminal. Each expected value is worked out by hand in the test's comment."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
from html import escape, unescape
from pathlib import Path
from typing import Any

from fhir_eligibility.evaluation.results import PatientLabel
from fhir_eligibility.report.screening import render_table
from fhir_eligibility.screening.core import Tally, TrialOutcome, TrialTally
from fhir_eligibility.screening.pages import page_name
from tests.screening.helpers import AS_OF, SAMPLES, invoke

SAMPLE = SAMPLES / "01-prrt-ileal-net-baseline.json"
DAY = dt.date.fromisoformat(AS_OF)


def _bundle(folder: Path, name: str, patient_id: str = "sample-01", birth: str | None = None) -> Path:
    """sample-01 under another id (and birth date): eligible for NCT04954820 with --assume-attested."""
    bundle = json.loads(SAMPLE.read_text())
    for e in bundle["entry"]:
        r = e["resource"]
        if r["resourceType"] == "Patient":
            r["id"] = patient_id
            if birth:
                r["birthDate"] = birth
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(bundle))
    return path


def _screen(folder: Path, *args: str) -> str:
    out = invoke("screen", str(folder), "--as-of", AS_OF, "--workers", "1", "--trial", "NCT04954820", *args)
    assert out.exit_code == 0, out.output
    return out.stdout


def test_deidentified_candidates_carry_no_birthday(tmp_path: Path) -> None:
    """Born 2008-06-10: 17 on 2026-06-01, 18 on 2026-06-10, within the 30-day horizon; the labs lapse on
    2026-06-18. So the patient is listed (ineligible now, eligible from the birthday); de-identified, the
    day is withheld in every format."""
    _bundle(tmp_path / "in", "minor.json", birth="2008-06-10")
    shown = json.loads(_screen(tmp_path / "in", "--assume-attested", "--format", "json"))
    (cand,) = shown["trials"][0]["candidates"]
    assert cand["eligibleFrom"] == "2026-06-10" and "datesWithheld" not in cand
    texts = {
        fmt: _screen(tmp_path / "in", "--assume-attested", "--deidentify", "--format", fmt)
        for fmt in ("json", "csv", "table", "html")
    }
    for fmt, text in texts.items():
        assert "2026-06-10" not in text and "2008" not in text, fmt
    (cand,) = json.loads(texts["json"])["trials"][0]["candidates"]
    assert cand["eligibleFrom"] is None and cand["datesWithheld"] is True and cand["verdict"] == "ineligible"
    (row,) = list(csv.DictReader(io.StringIO(texts["csv"])))
    assert row["eligibleFrom"] == "(withheld)"
    assert "from (withheld)" in texts["table"]


def test_deidentified_withheld_dates_rank_after_the_dated_ones() -> None:
    """Two patients eligible later: a (birthday 2026-06-10, withheld) would rank before b (2026-06-20) by
    date; de-identified, its place must not bound the day, so it goes after every dated one."""
    from fhir_eligibility.identity import IdentityPolicy
    from fhir_eligibility.report.screening import identified

    t = Tally({"T": TrialTally("T", "t", (("I1", "inclusion", "age"),))})
    born = PatientLabel(birth_date="2008-06-10")
    t.add([TrialOutcome("T", "Patient/a", "ineligible", ("fail",), (), None, "2026-06-10", None, born)])
    t.add([TrialOutcome("T", "Patient/b", "ineligible", ("fail",), (), None, "2026-06-20", None, PatientLabel())])
    report = t.report(DAY)
    assert [c.patient for c in report.trials[0].candidates] == ["Patient/a", "Patient/b"]
    hidden = identified(report, IdentityPolicy(deidentify=True)).trials[0].candidates
    assert [(c.patient, c.eligible_from) for c in hidden] == [("Patient/b", "2026-06-20"), ("Patient/a", "(withheld)")]


def test_page_names_differ_for_ids_the_sanitiser_maps_together(tmp_path: Path) -> None:
    """``x_1``, ``x 1`` and ``xé1`` all read ``x_1`` once sanitised; the hash of the id tells them apart."""
    names = {p: page_name(f"Patient/{p}") for p in ("x_1", "x 1", "xé1")}
    assert len(set(names.values())) == 3
    for pid, name in names.items():
        digest = hashlib.sha256(pid.encode("utf-8")).hexdigest()[:16]
        assert name == f"x_1-{digest}.html"
    # ids read from data are FHIR ids (record.fhir_id), which the sanitiser keeps; two that differ only in
    # case still name one file on a case-insensitive file system (macOS, Windows): the hash keeps them two
    names = {p: page_name(f"Patient/{p}") for p in ("ab-1", "AB-1")}
    assert names["ab-1"].lower() != names["AB-1"].lower()
    for i, pid in enumerate(names):
        _bundle(tmp_path / "in", f"{i}.json", pid)
    html = _screen(tmp_path / "in", "--assume-attested", "--format", "html", "--pages", str(tmp_path / "pages"))
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == sorted(names.values())
    found = re.findall(r'<a href="([^"]+)" data-testid="patient-page">([^<]+)</a>', html)
    links = {unescape(patient): unescape(href) for href, patient in found}
    # the dashboard goes to standard output: links are relative to the working folder
    assert links == {f"Patient/{p}": os.path.relpath(tmp_path / "pages" / n) for p, n in names.items()}
    for pid, name in names.items():  # each page is its own patient's
        assert escape(f"Patient/{pid}") in (tmp_path / "pages" / name).read_text()


def test_assume_attested_is_said_in_every_format(tmp_path: Path) -> None:
    """sample-01 is eligible for NCT04954820 only because its two manual criteria (A-I14 consent, and the
    others the trial leaves to a person) are assumed: each format says it is a what-if, and names them."""
    _bundle(tmp_path / "in", "p.json")
    plain = json.loads(_screen(tmp_path / "in", "--format", "json"))
    assert plain["assumedAttested"] is False
    assert "assumed" not in plain["trials"][0]["candidates"][0]["outstanding"]
    data = json.loads(_screen(tmp_path / "in", "--assume-attested", "--format", "json"))
    assert data["assumedAttested"] is True
    (cand,) = data["trials"][0]["candidates"]
    assumed = cand["outstanding"]["assumed"]
    manual = [f["criterion"] for f in plain["trials"][0]["funnel"] if f["manual"]]  # what awaited a person
    assert assumed == manual and "A-I14" in assumed
    (row,) = list(csv.DictReader(io.StringIO(_screen(tmp_path / "in", "--assume-attested", "--format", "csv"))))
    assert row["assumed"] == "; ".join(manual)
    table = _screen(tmp_path / "in", "--assume-attested")
    assert "WHAT-IF: manual criteria assumed attested (--assume-attested)" in table
    assert f"assumed: {', '.join(manual)}"[:40] in table
    html = _screen(tmp_path / "in", "--assume-attested", "--format", "html")
    assert 'data-testid="what-if"' in html and 'data-testid="what-if"' not in _screen(
        tmp_path / "in", "--format", "html"
    )


def test_the_tally_of_each_engine_carries_the_what_if() -> None:
    assert Tally.for_trials([], assume_attested=True).report(DAY).assumed_attested is True
    assert Tally.for_trials([]).report(DAY).assumed_attested is False
    merged = Tally.for_trials([], assume_attested=True).merge(Tally.for_trials([], assume_attested=True))
    assert merged.report(DAY).assumed_attested is True


def _funnel_tally() -> Tally:
    """Three patients: one deceased (its criteria not evaluated), one failing I1, one passing both."""
    t = Tally({"T": TrialTally("T", "t", (("I1", "inclusion", "age"), ("I2", "inclusion", "NET")))})
    t.add([TrialOutcome("T", "Patient/d", "ineligible", (), (), "fail")])
    t.add([TrialOutcome("T", "Patient/f", "ineligible", ("fail", "pass"), ())])
    t.add([TrialOutcome("T", "Patient/e", "eligible", ("pass", "pass"), ())])
    return t


def test_the_funnel_counts_the_patients_it_did_not_evaluate() -> None:
    from fhir_eligibility.report.screening import screening_json

    (trial,) = screening_json(_funnel_tally().report(DAY))["trials"]
    rows = {f["criterion"]: f for f in trial["funnel"]}
    # the vital-status row judges all 3 (pass 2, fail 1); I1 and I2 were not evaluated for the deceased one
    assert rows["deceased"]["notEvaluated"] == 0
    assert (rows["I1"]["pass"], rows["I1"]["fail"], rows["I1"]["notEvaluated"]) == (1, 1, 1)
    assert (rows["I2"]["pass"], rows["I2"]["notEvaluated"]) == (2, 1)
    for f in trial["funnel"]:  # every row accounts for every patient
        assert sum(f[k] for k in ("pass", "fail", "unknown", "manual", "review", "notEvaluated")) == 3
    text = render_table(dataclasses.replace(_funnel_tally().report(DAY), horizon=30))
    head = next(line for line in text.splitlines() if "criterion" in line)
    assert head.split()[-2:] == ["not-evaluated", "remaining"]
    assert "within 30 days of 2026-06-01: 0 become eligible" in text


def test_table_columns_stay_aligned_for_long_ids_and_wide_characters() -> None:
    """A 20-character criterion id and a patient named in CJK (2 columns per character): the columns after
    them start at the same terminal column on every row."""
    from fhir_eligibility.report.format import width

    t = Tally({"T": TrialTally("T", "t", (("A-VERY-LONG-CRITERION", "inclusion", "x"), ("I2", "inclusion", "y")))})
    t.add([TrialOutcome("T", "Patient/a", "eligible", ("pass", "pass"), (), label=PatientLabel(name="山田太郎"))])
    t.add([TrialOutcome("T", "Patient/b", "eligible", ("pass", "pass"), (), label=PatientLabel(name="Bob"))])
    lines = render_table(t.report(DAY)).splitlines()
    funnel = [line for line in lines if line.strip().startswith(("criterion", "A-VERY", "I2 "))]
    starts = {width(line[: line.index("inclusion" if "inclusion" in line else "type")]) for line in funnel}
    assert len(starts) == 1, funnel
    rows = [line for line in lines if "eligible " in line and "Patient/" in line]
    assert len({width(line[: line.index("eligible ")]) for line in rows}) == 1, rows


def test_control_characters_from_the_data_never_reach_the_terminal() -> None:
    label = PatientLabel(name="Eve\x1b[2J\x1b]0;owned\x07\rX", mrn="1\u202e2")
    t = Tally({"T": TrialTally("T", "t\x1b[31m", (("I1", "inclusion", "x"),))})
    t.add([TrialOutcome("T", "Patient/a\rb", "eligible", ("pass",), ("I1: Hb\x1b[1m",), label=label)])
    t.warn(["Patient/a\x1b[5m: warned"])
    text = render_table(t.report(DAY))
    assert not any(ch in text for ch in "\x1b\r\x07\u202e")
    assert "Eve?[2J?]0;owned??X" in text and "Patient/a?b" in text and "warning: Patient/a?[5m: warned" in text


def test_screening_warns_of_a_birth_after_the_as_of_date(tmp_path: Path) -> None:
    _bundle(tmp_path / "in", "p.json", birth="2027-01-01")
    data: dict[str, Any] = json.loads(_screen(tmp_path / "in", "--format", "json"))
    assert "Patient/sample-01: birth date after the as-of date 2026-06-01: age unknown" in data["warnings"]
    assert not any("2027" in w for w in data["warnings"])
