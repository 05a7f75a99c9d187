"""The screening report: JSON and CSV shapes, candidate ranking, and a tally that merges like a
monoid (so partial tallies from workers, or Spark partitions, add up to the single-process one)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random

from fhir_eligibility.evaluation.results import PatientLabel
from fhir_eligibility.report.screening import CSV_COLUMNS, render_csv, render_json, render_table
from fhir_eligibility.screening.core import Tally, TrialOutcome, TrialTally

AS_OF = dt.date(2026, 6, 1)
CRITERIA = (("I1", "inclusion", "Age >= 18"), ("I2", "inclusion", "NET"), ("E1", "exclusion", "Pregnant"))


def _tally() -> Tally:
    return Tally({"NCT1": TrialTally("NCT1", "Trial one", CRITERIA)})


OUTCOMES = [
    TrialOutcome("NCT1", "Patient/u", "undetermined", ("pass", "unknown", "pass"), ("I2: Ki-67 (any..2026-06-01)",)),
    TrialOutcome("NCT1", "Patient/x", "ineligible", ("pass", "fail", "pass"), ()),
    TrialOutcome("NCT1", "Patient/r", "needs-review", ("pass", "pass", "review"), ()),
    TrialOutcome("NCT1", "Patient/e", "eligible", ("pass", "pass", "pass"), ()),
    TrialOutcome("NCT1", "Patient/y", "ineligible", ("fail", "fail", "manual"), ()),
    TrialOutcome("NCT1", "Patient/m", "undetermined", ("pass", "unknown", "unknown"), ("a", "b")),
]


def _report() -> dict[str, object]:
    t = _tally()
    for o in OUTCOMES:
        t.add([o])
    data: dict[str, object] = json.loads(render_json(t.report(AS_OF, "test")))
    return data


def test_json_shape() -> None:
    data = _report()
    assert {"asOf", "trials"} <= set(data)
    assert data["asOf"] == "2026-06-01" and data["patients"] == 6
    (trial,) = data["trials"]  # type: ignore[misc]
    assert set(trial) >= {"trial", "counts", "funnel", "candidates"}
    assert trial["counts"] == {"eligible": 1, "needs-review": 1, "undetermined": 2, "ineligible": 2}
    keys = {"criterion", "description", "pass", "fail", "unknown", "manual", "review", "notEvaluated"}
    assert [set(f) for f in trial["funnel"]] == [keys] * 3
    assert trial["funnel"][1] == {
        "criterion": "I2",
        "description": "NET",
        "pass": 2,
        "fail": 2,
        "unknown": 2,
        "manual": 0,
        "review": 0,
        "notEvaluated": 0,  # no one deceased
    }
    keys = {"patient", "verdict", "missing", "eligibleFrom", "eligibleUntil", "outstanding"}  # + issue 15's checks
    assert all(set(c) == keys for c in trial["candidates"])
    checks = {c["patient"]: c["outstanding"] for c in trial["candidates"]}
    assert checks["Patient/r"] == {"judgement": ["E1"], "attestation": []}  # E1 ended in review
    assert checks["Patient/u"] == {"judgement": [], "attestation": []}


def test_candidates_ranked_and_ineligible_excluded() -> None:
    (trial,) = _report()["trials"]  # type: ignore[misc]
    assert [(c["patient"], c["verdict"]) for c in trial["candidates"]] == [
        ("Patient/e", "eligible"),
        ("Patient/r", "needs-review"),
        ("Patient/u", "undetermined"),  # fewer missing items first
        ("Patient/m", "undetermined"),
    ]
    assert trial["candidates"][2]["missing"] == ["I2: Ki-67 (any..2026-06-01)"]


def test_csv_shape() -> None:
    t = _tally()
    for o in OUTCOMES:
        t.add([o])
    rows = list(csv.reader(io.StringIO(render_csv(t.report(AS_OF)))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[2] for r in rows[1:]] == ["Patient/e", "Patient/r", "Patient/u", "Patient/m"]
    assert rows[-1] == ["NCT1", "4", "Patient/m", "undetermined", "a; b", "", "", "", "", "", "", "", ""]  # no label


def test_csv_cells_from_the_data_never_run_as_spreadsheet_formulas() -> None:
    """A name or MRN written by whoever registered the patient reaches a coordinator's spreadsheet:
    a cell starting = + - @ (or tab, CR) is quoted with a leading ' (OWASP CSV injection)."""
    label = PatientLabel(name='=HYPERLINK("http://evil/","x")', birth_date="1960-01-01", mrn="@SUM(1+1)")
    t = _tally()
    t.add([TrialOutcome("NCT1", "Patient/e", "eligible", ("pass", "pass", "pass"), ("-1+2: Hb",), label=label)])
    (row,) = list(csv.reader(io.StringIO(render_csv(t.report(AS_OF)))))[1:]
    named = dict(zip(CSV_COLUMNS, row, strict=True))
    assert named["name"] == '\'=HYPERLINK("http://evil/","x")' and named["mrn"] == "'@SUM(1+1)"
    assert named["missing"] == "'-1+2: Hb" and named["birthDate"] == "1960-01-01" and named["rank"] == "1"


def test_a_carriage_return_inside_a_cell_never_starts_a_row() -> None:
    """An MRN "MRN-1<CR>=cmd|..." (a FHIR string may hold CR): quoted whole, so an RFC 4180 reader
    (csv.reader on the bytes, newline="") reads one row whose MRN holds the CR, and no cell starts
    with the formula. Before, the CR was written bare and the reader began a row with "=cmd|..."."""
    label = PatientLabel(name="Doe", birth_date="1960-01-01", mrn="MRN-1\r=cmd|' /C calc'!A0")
    t = _tally()
    t.add([TrialOutcome("NCT1", "Patient/e", "eligible", ("pass", "pass", "pass"), (), label=label)])
    rows = list(csv.reader(io.StringIO(render_csv(t.report(AS_OF)), newline="")))
    assert len(rows) == 2
    assert dict(zip(CSV_COLUMNS, rows[1], strict=True))["mrn"] == "MRN-1\r=cmd|' /C calc'!A0"
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_table_shows_the_funnel_remaining() -> None:
    t = _tally()
    for o in OUTCOMES:
        t.add([o])
    text = render_table(t.report(AS_OF))
    lines = {line.split()[0]: line.split() for line in text.splitlines() if line.strip().startswith(("I1", "I2", "E1"))}
    # y fails I1 first, x fails I2 first: 5 remain after I1, 4 after I2, and E1 removes nobody
    assert lines["I1"][-1] == "5" and lines["I2"][-1] == "4" and lines["E1"][-1] == "4"


def test_merge_of_partials_equals_one_tally() -> None:
    rng = random.Random(1)
    outcomes = [rng.choice(OUTCOMES) for _ in range(200)]
    whole = _tally()
    for o in outcomes:
        whole.add([o], [f"w{rng.randint(0, 3)}"])
    parts = [_tally() for _ in range(5)]
    for i, o in enumerate(outcomes):
        parts[i % 5].add([o], [f"w{i % 4}"])
    merged = _tally()
    for p in reversed(parts):
        merged.merge(p)
    a, b = json.loads(render_json(merged.report(AS_OF))), json.loads(render_json(whole.report(AS_OF)))
    assert a["trials"] == b["trials"] and a["patients"] == b["patients"] == 200
    assert sorted(a["warnings"]) == sorted(b["warnings"])
