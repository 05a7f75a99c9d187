"""A reference cycle is one definition error, found at once: not a 3^20-node expansion or a MemoryError.

By hand: an EvidenceVariable whose three characteristics each refer (definitionCanonical) to itself, and an
R6 Group whose contained Group #c1 holds three references back to #c1, have no finite meaning.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.authoring.group import group_to_evidence_variable
from fhir_eligibility.criteria.load import DefinitionSet, compile_trial
from fhir_eligibility.errors import DefinitionError

ROOT = Path(__file__).resolve().parents[2]
Json = dict[str, Any]
CYC = "http://x.org/EvidenceVariable/cyc"


def _study(ref: str) -> Json:
    return {
        "resourceType": "ResearchStudy",
        "id": "NCT99000003",
        "status": "active",
        "identifier": [{"system": "https://clinicaltrials.gov", "value": "NCT99000003"}],
        "recruitment": {"eligibility": {"reference": ref}},
    }


def _cyclic_ev() -> Json:
    chs = [{"linkId": f"c{i}", "description": "cyc", "definitionCanonical": CYC} for i in range(3)]
    return {"resourceType": "EvidenceVariable", "id": "cyc", "url": CYC, "status": "active", "characteristic": chs}


def _loop_group() -> Json:
    loop = {"description": "loop", "code": {"text": "Defined by combination"}, "valueReference": {"reference": "#c1"}}
    inner = {"resourceType": "Group", "id": "c1", "type": "person", "membership": "definitional"}
    return {
        "resourceType": "Group",
        "id": "gl",
        "status": "active",
        "type": "person",
        "membership": "definitional",
        "combinationMethod": "all-of",
        "contained": [inner | {"combinationMethod": "any-of", "characteristic": [loop, loop, loop]}],
        "characteristic": [loop],
    }


@pytest.mark.parametrize("direct", [True, False])
def test_an_evidence_variable_referring_to_itself_is_a_cycle(direct: bool) -> None:
    ds = DefinitionSet()
    ds.add("cyc.json", _cyclic_ev())
    if not direct:  # the trial's own EvidenceVariable refers to the cyclic one
        outer = {"linkId": "x", "description": "x", "definitionCanonical": CYC}
        ds.add(
            "ev.json", {"resourceType": "EvidenceVariable", "id": "ev", "status": "active", "characteristic": [outer]}
        )
    study = _study("EvidenceVariable/cyc" if direct else "EvidenceVariable/ev")
    with pytest.raises(DefinitionError, match="reference cycle"):
        compile_trial(ds, "rs.json", study)


def test_a_contained_group_referring_back_to_itself_is_a_cycle() -> None:
    with pytest.raises(DefinitionError, match="reference cycle"):
        group_to_evidence_variable(_loop_group())


@pytest.mark.parametrize("command", ["validate", "evaluate"])
@pytest.mark.parametrize("kind", ["ev", "group"])
def test_cli_says_reference_cycle_and_exits_1(tmp_path: Path, command: str, kind: str) -> None:
    defs = tmp_path / "defs"
    defs.mkdir()
    if kind == "ev":
        (defs / "cyc.json").write_text(json.dumps(_cyclic_ev()))
        (defs / "rs.json").write_text(json.dumps(_study(CYC)))
    else:
        (defs / "g.json").write_text(json.dumps(_loop_group()))
        (defs / "rs.json").write_text(json.dumps(_study("Group/gl")))
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps({"resourceType": "Patient", "id": "p", "birthDate": "1960-01-01"}))
    args = ["validate", str(defs)] if command == "validate" else ["evaluate", str(patient), "--definitions", str(defs)]
    r = subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert r.returncode == 1 and "reference cycle" in r.stdout + r.stderr and "Traceback" not in r.stderr
