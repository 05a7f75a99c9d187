"""R6 Group in and out: each trial converted to a StudyEligibilityCriteria Group and back evaluates the same,
criterion by criterion, on every sample patient; what a side cannot express is reported and carried."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.authoring.group import EXT_R5, EXT_R6, evidence_variable_to_group, group_to_evidence_variable
from fhir_eligibility.criteria.load import compile_trial, load_trials, read_definitions
from fhir_eligibility.criteria.model import Manual
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import CriterionResult
from fhir_eligibility.pipeline import evaluate_files

ROOT = Path(__file__).resolve().parents[2]
DEFS = ROOT / "definitions"
TRIALS = ["NCT04954820", "NCT05773274", "NCT04837885", "NCT05987176", "NCT01842165", "NCT03972488"]
AS_OF = dt.date(2026, 6, 1)


def _ev(nct: str) -> dict[str, Any]:
    return dict(json.loads((DEFS / nct / "EvidenceVariable.json").read_text(encoding="utf-8")))


def _shape(c: CriterionResult) -> tuple[Any, ...]:
    return (c.id, c.result, c.reason, c.negated, tuple(_shape(k) for k in c.children))


@cache
def _results(definitions: tuple[Path, ...]) -> dict[tuple[str, str], tuple[Any, ...]]:
    trials = load_trials(list(definitions))
    report = evaluate_files([ROOT / "sample_bundles"], trials, AS_OF, Settings(assume_attested=True))
    return {(r.patient, r.trial): (r.verdict, tuple(_shape(c) for c in r.criteria)) for r in report.results}


@cache
def _group_definitions() -> Path:
    """definitions/ with every trial's eligibility replaced by its Group (the ResearchStudy points at it)."""
    root = Path(tempfile.mkdtemp(prefix="groups-"))
    shutil.copytree(DEFS / "shared", root / "shared")
    for nct in TRIALS:
        (root / nct).mkdir()
        group, _ = evidence_variable_to_group(_ev(nct))
        group["id"] = f"{nct}-eligibility-group"
        study = json.loads((DEFS / nct / "ResearchStudy.json").read_text(encoding="utf-8"))
        study["recruitment"]["eligibility"]["reference"] = f"Group/{group['id']}"
        (root / nct / "Group.json").write_text(json.dumps(group), encoding="utf-8")
        (root / nct / "ResearchStudy.json").write_text(json.dumps(study), encoding="utf-8")
    return root


@pytest.mark.parametrize("nct", TRIALS)
def test_round_trip_compiles_to_the_same_criteria(nct: str) -> None:
    ds = read_definitions()
    file, study = next((f, s) for f, s in ds.studies() if s["id"] == nct)
    original = compile_trial(ds, file, study)
    ev = ds.resolve(study["recruitment"]["eligibility"]["reference"])
    assert ev is not None
    group, _ = evidence_variable_to_group(ev)
    back, _ = group_to_evidence_variable(json.loads(json.dumps(group)))
    ev.clear()
    ev.update(back)
    assert compile_trial(ds, file, study).criteria == original.criteria


def test_group_loaded_evaluates_identically_on_every_sample_patient() -> None:
    groups = _group_definitions()
    loaded = load_trials([groups])
    assert sorted(t.id for t in loaded) == sorted(TRIALS)
    expected = _results((DEFS,))
    got = _results((groups,))
    assert len(expected) >= 5 * 24 and set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == value, key


def test_group_shape_is_ebm_study_eligibility_criteria() -> None:
    group, _warnings = evidence_variable_to_group(_ev("NCT04954820"))
    assert group["resourceType"] == "Group" and group["membership"] == "definitional"
    assert group["combinationMethod"] == "all-of"
    assert group["meta"]["profile"] == ["http://hl7.org/fhir/uv/ebm/StructureDefinition/study-eligibility-criteria"]
    age = group["characteristic"][0]
    assert age["code"]["coding"][0]["code"] == "397669002" and age["valueQuantity"]["value"] == 18
    assert age["exclude"] is False
    nested = group["characteristic"][1]  # A-I2 is an all-of of an any-of and a Ki-67 threshold
    inner = next(c for c in group["contained"] if f"#{c['id']}" == nested["valueReference"]["reference"])
    assert inner["combinationMethod"] == "all-of" and len(inner["characteristic"]) == 2
    ki67 = inner["characteristic"][1]
    assert ki67["valueQuantity"]["value"] == 20 and ki67["timing"][0]["offsetRange"]["high"]["value"] == 0


def test_forms_a_group_cannot_express_are_reported_and_carried() -> None:
    ev = _ev("NCT04954820")
    canon = [c for c in ev["characteristic"] if "definitionCanonical" in json.dumps(c)]
    assert canon, "trial A reuses the shared WOCBP EvidenceVariable"
    group, warnings = evidence_variable_to_group(ev)
    assert any("definitionCanonical" in w and EXT_R5 in w for w in warnings)
    assert EXT_R5 in json.dumps(group)


def test_group_forms_the_engine_cannot_read_become_manual_with_a_warning() -> None:
    group = {
        "resourceType": "Group",
        "id": "g",
        "membership": "definitional",
        "combinationMethod": "all-of",
        "characteristic": [
            {
                "description": "Adult",
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "397669002"}]},
                "valueQuantity": {"value": 18, "comparator": ">=", "system": "http://unitsofmeasure.org", "code": "a"},
                "exclude": False,
                "determinedByReference": {"reference": "Device/x"},
            },
            {
                "description": "Except",
                "code": {"text": "Defined by combination"},
                "valueReference": {"reference": "#s"},
                "exclude": False,
            },
        ],
        "contained": [
            {
                "resourceType": "Group",
                "id": "s",
                "membership": "definitional",
                "combinationMethod": "except-subset",
                "characteristic": [],
            }
        ],
    }
    ev, warnings = group_to_evidence_variable(copy.deepcopy(group))
    assert len(warnings) == 2 and "determinedByReference" in warnings[0] and "except-subset" in warnings[1]
    for ch in ev["characteristic"]:  # no definition: manual, a person decides; the R6 form is carried
        assert not any(k.startswith("definition") for k in ch)
        assert any(e["url"] == EXT_R6 for e in ch["extension"])
        assert "not readable by the engine" in ch["note"][-1]["text"]  # shown with the criterion
    ds = read_definitions([DEFS / "shared"])
    ds.add("ev.json", ev)
    study = {
        "resourceType": "ResearchStudy",
        "id": "NCT00000000",
        "recruitment": {"eligibility": {"reference": "EvidenceVariable/g"}},
    }
    trial = compile_trial(ds, "rs.json", study)
    assert all(isinstance(c.definition, Manual) for c in trial.criteria)


def test_convert_cli_writes_group_and_back(tmp_path: Path) -> None:
    out = tmp_path / "g.json"
    r = subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", "convert", "NCT04954820", "--to", "r6-group", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["resourceType"] == "Group" and "warning: " in r.stderr
    groups = _group_definitions()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "fhir_eligibility",
            "convert",
            "NCT05987176",
            "--to",
            "r5-evidencevariable",
            "--definitions",
            str(groups),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["resourceType"] == "EvidenceVariable"
