"""``evaluate --format json`` without repetition (issue 15, JSON size): the explanation tree leaves out what its
parent already says (nested ``type``, empty nested ``evidence``), flat objects take one line, and the streamed
report writes the same text as the in-memory one while keeping ``collectFirst`` on disk, not in memory."""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.cli import render
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.errors import OutputError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.report.json_text import WIDTH, dumps
from fhir_eligibility.stream import stream_json

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_bundles"
AS_OF = dt.date(2026, 6, 1)
# bytes per patient x trial on sample_bundles before this change (24,252,399 bytes / 97 patients / 5 trials);
# per patient x trial because the sixth trial (NCT03972488) adds a result to every patient
BEFORE = 49_985

pytestmark = pytest.mark.skipif(not (SAMPLES / "08-hb-outside-28-day-window.json").exists(), reason="no samples")


def test_layout_puts_flat_objects_on_one_line_and_parses_to_the_same_value() -> None:
    value = {
        "a": [{"reference": "Observation/1", "value": 1.5, "unit": "g/dL", "date": None}],
        "b": {"criteria": ["x", "y"], "trials": ["t"]},
        "c": [],
        "long": ["w" * 60, "v" * 60],
        "nested": [{"id": "1", "criteria": [{"id": "1.0", "evidence": []}]}],
    }
    text = dumps(value)
    assert json.loads(text) == value
    assert '\n    {"reference": "Observation/1", "value": 1.5, "unit": "g/dL", "date": null}\n' in text
    assert '"b": {"criteria": ["x", "y"], "trials": ["t"]},' in text
    assert '"long": [\n    "www' in text  # a list of scalars wider than the line keeps one item per line
    assert text.startswith('{\n  "a": [\n') and text.endswith("\n}")


def _reference(value: Any, depth: int = 0) -> str:
    """The layout rule spelled with ``json.dumps`` alone (what json_text did before its C encoder)."""
    one_line = functools.partial(json.dumps, ensure_ascii=False)

    def scalar(v: Any) -> bool:
        return not isinstance(v, dict | list)

    if scalar(value) or not value:
        return one_line(value)
    pad = "\n" + "  " * (depth + 1)
    if isinstance(value, dict):
        if all(scalar(v) or (isinstance(v, list) and all(map(scalar, v))) for v in value.values()):
            return one_line(value)
        items = [f"{pad}{one_line(k)}: {_reference(v, depth + 1)}" for k, v in value.items()]
        return "{" + ",".join(items) + "\n" + "  " * depth + "}"
    if all(map(scalar, value)) and len(one_line(value)) + 2 * depth <= WIDTH:
        return one_line(value)
    return "[" + ",".join(pad + _reference(x, depth + 1) for x in value) + "\n" + "  " * depth + "]"


def test_the_text_is_json_dumps_byte_for_byte() -> None:
    report = report_json(evaluate_files([SAMPLES], load_trials(None, None), AS_OF, Settings(horizon_days=365)))
    odd = {"s": ['é\u2028"\\', 1e16, 1e-05, -0.0, 10**30, None, True]}
    values: list[Any] = [report, odd, [], {}, [[]], {"a": {}}, ["x" * 200]]
    for value in values:
        assert dumps(value, 1) == _reference(value, 1)
    for bad in (float("nan"), float("inf")):  # not JSON: never written (json.dumps would write NaN)
        with pytest.raises(OutputError):
            dumps({"s": [bad]}, 1)
    assert len(report["results"]) >= 500


def test_the_tree_does_not_repeat_its_parent() -> None:
    report = evaluate_files([SAMPLES / "01-prrt-ileal-net-baseline.json"], load_trials(None, None), AS_OF)
    for r in report_json(report)["results"]:
        for c in r["criteria"]:
            assert {"id", "type", "description", "result", "reason", "evidence"} <= set(c)  # the top: unchanged
            stack = list(c.get("criteria", []))
            while stack:
                k = stack.pop()
                assert "type" not in k and k.get("evidence", [None]) != []
                stack.extend(k.get("criteria", []))
    (e13,) = [c for r in report.results if r.trial == "NCT04954820" for c in r.criteria if c.id == "A-E13"]
    assert any(not k.evidence for k in e13.children)  # sample 01 has nested nodes without evidence to leave out


def test_streamed_text_is_the_in_memory_text(tmp_path: Path) -> None:
    path = [SAMPLES / "08-hb-outside-28-day-window.json"]  # undetermined: it has a collectFirst entry
    trials = load_trials(None, None)
    streamed = "".join(stream_json(path, trials, AS_OF, Settings(), temp_dir=tmp_path))
    assert streamed == render(evaluate_files(path, trials, AS_OF), "json") + "\n"
    assert len(json.loads(streamed)["collectFirst"]) == 1


def test_collect_first_waits_on_disk_not_in_memory(tmp_path: Path) -> None:
    paths = [SAMPLES / "08-hb-outside-28-day-window.json", SAMPLES / "34-liver-panel-missing.json"]
    chunks = stream_json(paths, load_trials(None, None), AS_OF, Settings(), temp_dir=tmp_path)
    text = ""
    for chunk in chunks:
        text += chunk
        if chunk.endswith('"collectFirst": ['):
            (spill,) = tmp_path.glob("*/collect-first.json")
            spilled = json.loads("[" + spill.read_text(encoding="utf-8") + "]")
            assert sorted(e["patient"] for e in spilled) == ["Patient/sample-08", "Patient/sample-34"]
    text += "".join(chunks)
    assert [e["patient"] for e in json.loads(text)["collectFirst"]] == [e["patient"] for e in spilled]
    assert not list(tmp_path.iterdir())  # the temporary folder is gone


def test_bytes_per_patient_on_the_samples(capsys: pytest.CaptureFixture[str]) -> None:
    trials = load_trials(None, None)
    text = "".join(stream_json([SAMPLES], trials, AS_OF, Settings(horizon_days=365)))  # the CLI's default
    data = json.loads(text)
    patients = len({r["patient"] for r in data["results"]})
    size = len(text.encode()) // len(data["results"])
    with capsys.disabled():
        print(
            f"\nevaluate sample_bundles/ --format json: {size:,} bytes/patient x trial (was {BEFORE:,}), "
            f"{patients} patients x {len(trials)} trials"
        )
    # a fifth smaller than BEFORE when written; the seventeenth pass's new leaves (a NET known by its metastases,
    # ANC from WBC x %, stale breast-feeding) and eligibleUntil spells add about 1 %: 40.2 KB; the eighteenth's
    # review routes (a NET without its site in every NET criterion, pregnancy/childbirth headers, unspecified
    # skin cancer, site + morphology) add 4.7 %: 42.1 KB; the nineteenth's new items (D-E1's attested other
    # treatment, antihypertensives in A-E11/C-E7, a NET's site and morphology on one record in every trial,
    # a NET of another organ in A-E17) add 1.1 %: 42.6 KB; the twentieth's review items (MiNEN in C-I1, D-E2
    # and E-I2, a delivery after a pregnancy in B-E6/D-E5 and breast-feeding in B-E6, everolimus of unknown
    # use in B-I5/D-E1/D-E7/E-E3/E-I4) and notes (intolerance) add 2 %: 43.5 KB; the twenty-first's newest
    # prothrombin time in any form (A-E8, C-E6, D-E12: which form is newest, each branch explained; E-I8) and
    # pregnancy losses in every pregnancy criterion add 6 %: 46.5 KB
    assert size < 0.94 * BEFORE
