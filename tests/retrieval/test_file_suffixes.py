"""Data files named in another case, or compressed as no reader reads them, in a folder.

An adversarial review: a folder walk matched suffixes case-sensitively and dropped other names without
a word: a patient's ``.JSON`` Bundle vanished from the report, and an export's ``Condition.NDJSON``
made every patient's diagnoses read as none (closed world: ineligible). Suffixes are read in any case;
a file that looks like data but is not read (``.json.gz``) is a warning.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_files

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
AS_OF = dt.date(2026, 6, 1)
TRIALS = load_trials(None, None)


def _bundle(pid: str) -> str:
    return SAMPLE.read_text().replace('"sample-01"', f'"{pid}"').replace("Patient/sample-01", f"Patient/{pid}")


def _verdicts(paths: list[Path]) -> tuple[dict[tuple[str, str], str], tuple[str, ...]]:
    report = evaluate_files(paths, TRIALS, AS_OF, Settings(assume_attested=True))
    return {(r.patient, r.trial): r.verdict.value for r in report.results}, report.warnings


def test_bundles_named_in_upper_case_are_read_and_a_compressed_one_is_said(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(_bundle("p-a"))
    (tmp_path / "b.JSON").write_text(_bundle("p-b"))
    (tmp_path / "c.json.gz").write_bytes(gzip.compress(_bundle("p-c").encode()))
    (tmp_path / "notes.txt").write_text("not data")  # not data-looking: nothing to say
    verdicts, warnings = _verdicts([tmp_path])
    assert {p for p, _ in verdicts} == {"Patient/p-a", "Patient/p-b"}
    assert verdicts[("Patient/p-b", "NCT04954820")] == verdicts[("Patient/p-a", "NCT04954820")]
    assert any("c.json.gz: not read" in w for w in warnings), warnings
    assert not any("notes.txt" in w for w in warnings)


def test_an_export_s_upper_case_ndjson_files_are_read(tmp_path: Path) -> None:
    """Sample 01 (an ileal NET, C7A.012) as a Bulk export whose Condition file is ``Condition.NDJSON``:
    the diagnosis is read, so the verdicts are those of the same export named in lower case (before: no
    diagnosis, every trial ineligible on its closed-world NET inclusion)."""
    entries: list[dict[str, Any]] = json.loads(SAMPLE.read_text())["entry"]
    local = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in entries}
    by_type: dict[str, list[str]] = {}
    for e in entries:  # a Bulk export's lines refer by Type/id (the Bundle's urn:uuid are its own)
        text = json.dumps(e["resource"])
        for url, ref in local.items():
            text = text.replace(f'"{url}"', f'"{ref}"')
        by_type.setdefault(e["resource"]["resourceType"], []).append(text)
    runs = []
    for suffix in (".NDJSON", ".ndjson"):
        export = tmp_path / suffix.strip(".")
        export.mkdir()
        for rtype, lines in by_type.items():
            (export / f"{rtype}{suffix if rtype == 'Condition' else '.ndjson'}").write_text("\n".join(lines) + "\n")
        runs.append(_verdicts([export])[0])
    assert runs[0] == runs[1]
    assert runs[0][("Patient/sample-01", "NCT01842165")] == "eligible"  # E reads no type the export lacks
