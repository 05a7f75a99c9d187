"""validate accepts eligibility written as an R6 Group (EBM StudyEligibilityCriteria) and reports what is
wrong in one with its element path, instead of failing the standard's own elements against the R5 model."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.authoring.group import evidence_variable_to_group
from fhir_eligibility.criteria.load import read_definitions
from fhir_eligibility.criteria.validate import validate

ROOT = Path(__file__).resolve().parents[2]
DEFS = ROOT / "definitions"
SHARED = DEFS / "shared"
TRIALS = ["NCT04954820", "NCT05773274", "NCT04837885", "NCT05987176", "NCT01842165", "NCT03972488"]


def _group(nct: str) -> dict[str, Any]:
    ev = json.loads((DEFS / nct / "EvidenceVariable.json").read_text(encoding="utf-8"))
    group, _ = evidence_variable_to_group(ev)
    return group


def _write_trial(tmp: Path, nct: str, group: dict[str, Any]) -> Path:
    """A definitions folder whose ResearchStudy's eligibility is the Group."""
    folder = tmp / nct
    folder.mkdir(parents=True)
    group = {**group, "id": f"{nct}-group"}
    study = json.loads((DEFS / nct / "ResearchStudy.json").read_text(encoding="utf-8"))
    study["recruitment"]["eligibility"]["reference"] = f"Group/{group['id']}"
    (folder / "Group.json").write_text(json.dumps(group), encoding="utf-8")
    (folder / "ResearchStudy.json").write_text(json.dumps(study), encoding="utf-8")
    return folder


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


@pytest.mark.parametrize("nct", TRIALS)
def test_each_trial_as_a_group_validates(nct: str, tmp_path: Path) -> None:
    folder = _write_trial(tmp_path, nct, _group(nct))
    ds = read_definitions([folder, SHARED])
    assert [r.get("resourceType") for _, r in ds.resources].count("Group") == 1
    assert [str(p) for p in validate(ds)] == []


def test_problems_in_a_group_are_reported_with_their_location(tmp_path: Path) -> None:
    g = _group("NCT03972488")
    bad = copy.deepcopy(g)
    bad["membership"] = "enumerated"
    bad["combinationMethod"] = "most-of"
    ki67 = bad["characteristic"][2]  # I2
    del ki67["code"]
    ki67["valueQuantity"] = {"value": 10, "comparator": "=>", "unit": "%", "system": "http://unitsofmeasure.org"}
    ki67["timing"][0]["offsetRange"]["high"]["code"] = "yr"
    kps = bad["characteristic"][6]  # I6
    del kps["exclude"]
    kps["definitionByTypeAndValue"] = {}
    prrt = bad["characteristic"][10]  # E2: a combination whose contained Group is gone
    prrt["valueReference"]["reference"] = "#missing"
    bad["contained"][0]["combinationMethod"] = "at-least"
    folder = _write_trial(tmp_path, "NCT03972488", bad)
    got = {(p.location, p.message) for p in validate(read_definitions([folder, SHARED]))}
    assert ("Group.membership", "'enumerated': eligibility criteria are 'definitional'") in got
    assert any(loc == "Group.combinationMethod" and "'most-of'" in msg for loc, msg in got)
    assert ("Group.characteristic[2].code", "missing (a coding or text is required)") in got
    assert ("Group.characteristic[2].value[x]", "exactly one value[x] is required, found 2") in got
    assert ("Group.characteristic[2].valueQuantity.comparator", "'=>' is not < <= >= >") in got
    assert ("Group.characteristic[2].timing[0].offsetRange.high", "time unit 'yr' is not d/wk/mo/a") in got
    assert ("Group.characteristic[6].exclude", "missing or not a boolean (required in R6)") in got
    assert ("Group.characteristic[6].definitionByTypeAndValue", "not an R6 Group.characteristic element") in got
    assert ("Group.characteristic[10].valueReference", "'#missing' is not a contained resource") in got
    assert ("Group.contained[0].combinationThreshold", "at-least needs an integer threshold") in got
    # no complaint about the standard's own R6 elements (description, timing, combinationMethod)
    assert not any("Extra inputs" in msg for _, msg in got)


def test_value_set_references_in_a_group_must_resolve(tmp_path: Path) -> None:
    g = _group("NCT03972488")
    inner = g["contained"][0]["characteristic"]  # I1's combination: the GEP-NET diagnosis branch and others
    leaf = next(c for c in inner if (c.get("valueReference") or {}).get("reference", "").startswith("ValueSet/"))
    leaf["valueReference"]["reference"] = "ValueSet/vs-does-not-exist"
    folder = _write_trial(tmp_path, "NCT03972488", g)
    got = [str(p) for p in validate(read_definitions([folder, SHARED]))]
    assert any(
        "Group.contained[0].characteristic[" in p and "'ValueSet/vs-does-not-exist' does not resolve" in p for p in got
    )


def test_an_r5_group_still_meets_the_r5_model(tmp_path: Path) -> None:
    """Not every Group is eligibility: an R5-form Group (enumerated, no R6 element) keeps the R5 model check."""
    f = tmp_path / "Group.json"
    f.write_text(json.dumps({"resourceType": "Group", "type": "person", "membership": "enumerated", "quantity": "x"}))
    got = [str(p) for p in validate(read_definitions([f]))]
    assert any("Group.quantity" in p for p in got)


def test_cli_validate_on_a_converted_group_file(tmp_path: Path) -> None:
    out = tmp_path / "Group.json"
    r = cli("convert", "NCT03972488", "--to", "r6-group", "-o", str(out))
    assert r.returncode == 0, r.stderr
    r = cli("validate", str(out), str(SHARED))
    assert r.returncode == 0 and "definitions valid" in r.stdout, r.stdout
    g = json.loads(out.read_text(encoding="utf-8"))
    del g["characteristic"][1]["code"]
    out.write_text(json.dumps(g), encoding="utf-8")
    r = cli("validate", str(out), str(SHARED))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{out}: Group.characteristic[1].code: missing (a coding or text is required)" in r.stdout
