"""Definitions resolve or fail (issue 13): a trial folder finds the shared terminology on its own, and a
reference that does not resolve is exit 1 for every command, never a silently undetermined criterion."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials, read_definitions
from fhir_eligibility.criteria.validate import validate
from fhir_eligibility.errors import DefinitionError
from tests.test_cli import ROOT, cli

TRIAL_B = "NCT05773274"
DEFS = ROOT / "definitions"
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"


def _report(*args: str) -> dict[str, object]:
    out = cli("evaluate", str(SAMPLE), "--as-of", "2026-06-01", "--format", "json", *args)
    assert out.returncode == 0, out.stderr
    report: dict[str, object] = json.loads(out.stdout)
    return report


def test_a_trial_folder_finds_shared_beside_it() -> None:
    out = cli("validate", str(DEFS / TRIAL_B))
    assert out.returncode == 0 and "definitions valid" in out.stdout, out.stdout[-500:]
    # the same answers as with every definition loaded
    assert _report("--definitions", str(DEFS / TRIAL_B)) == _report("--trial", TRIAL_B)


def test_a_trial_folder_alone_uses_the_bundled_shared(tmp_path: Path) -> None:
    alone = tmp_path / TRIAL_B
    shutil.copytree(DEFS / TRIAL_B, alone)
    assert validate(read_definitions([alone])) == []
    assert load_trials([alone]) == load_trials([DEFS], only=[TRIAL_B])


def _broken(tmp_path: Path) -> Path:
    """A copy of trial B (with shared/ beside it) whose Gilbert value set reference points nowhere."""
    shutil.copytree(DEFS / TRIAL_B, tmp_path / "defs" / TRIAL_B)
    shutil.copytree(DEFS / "shared", tmp_path / "defs" / "shared")
    ev = tmp_path / "defs" / TRIAL_B / "EvidenceVariable.json"
    text = ev.read_text()
    assert "ValueSet/vs-gilbert" in text
    ev.write_text(text.replace("ValueSet/vs-gilbert", "ValueSet/vs-gilbert-missing"))
    return tmp_path / "defs" / TRIAL_B


def test_an_unresolved_value_set_is_an_error_for_every_command(tmp_path: Path) -> None:
    broken = str(_broken(tmp_path))
    with pytest.raises(DefinitionError, match="vs-gilbert-missing' does not resolve"):
        load_trials([Path(broken)])
    for args in (
        ("evaluate", str(SAMPLE), "--definitions", broken),
        ("screen", str(SAMPLE), "--definitions", broken, "--workers", "1"),
        ("trials", "--definitions", broken),
        ("show", TRIAL_B, "--definitions", broken),
        ("codes", str(SAMPLE), "--definitions", broken),
        ("validate", broken),
    ):
        out = cli(*args)
        assert out.returncode == 1, (args, out.stdout[-300:], out.stderr)
        assert "vs-gilbert-missing" in out.stdout + out.stderr and "Traceback" not in out.stderr


def test_a_value_set_including_a_missing_value_set_is_an_error(tmp_path: Path) -> None:
    mini = json.loads((ROOT / "tests" / "fixtures" / "mini" / "definitions.json").read_text())
    vs = mini["entry"][1]["resource"]
    vs["compose"]["include"].append({"valueSet": ["http://example.org/ValueSet/nowhere"]})
    (tmp_path / "defs.json").write_text(json.dumps(mini))
    with pytest.raises(DefinitionError, match="nowhere"):
        load_trials([tmp_path / "defs.json"])
