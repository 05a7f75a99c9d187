"""A site ConceptMap adds local codes; it must not give a standard code another meaning.

By hand: the bundled trials read SNOMED CT 10828004 (Positive) as the accepted answer of a pregnancy
test whose excluding answer is 260385009 (Negative), and LOINC 777-3 as platelets (A-I11). Mapping
Positive 'equivalent' to Negative would turn a positive hCG into a negative one; mapping 777-3 to
neutrophils 751-8 would read a platelet count as an ANC. Both must be errors, on validate and on load.
An identity map (718-7 -> 718-7) and a local code mapped to a standard one stay fine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.errors import DefinitionError
from tests.test_cli import cli

ROOT = Path(__file__).resolve().parents[2]
DEFS = ROOT / "definitions"
SCT, LOINC = "http://snomed.info/sct", "http://loinc.org"


def _map(tmp_path: Path, system: str, source: str, target: str, target_system: str | None = None) -> Path:
    cm: dict[str, Any] = {
        "resourceType": "ConceptMap",
        "id": "cm18",
        "url": "http://site.example/ConceptMap/cm18",
        "status": "active",
        "group": [
            {
                "source": system,
                "target": target_system or system,
                "element": [{"code": source, "target": [{"code": target, "equivalence": "equivalent"}]}],
            }
        ],
    }
    f = tmp_path / "cm.json"
    f.write_text(json.dumps(cm))
    return f


@pytest.mark.parametrize(("system", "source", "target"), [(SCT, "10828004", "260385009"), (LOINC, "777-3", "751-8")])
def test_a_standard_code_mapped_to_another_meaning_is_an_error(
    tmp_path: Path, system: str, source: str, target: str
) -> None:
    f = _map(tmp_path, system, source, target)
    r = cli("validate", str(DEFS), "--terminology", str(f))
    assert r.returncode == 1 and "must not redefine a standard one" in r.stdout + r.stderr, r.stdout
    with pytest.raises(DefinitionError, match=r"redefine|excludes it"):
        load_trials([DEFS], terminology=[f])


def test_positive_mapped_to_negative_is_a_contradiction(tmp_path: Path) -> None:
    f = _map(tmp_path, SCT, "10828004", "260385009")
    r = cli("validate", str(DEFS), "--terminology", str(f))
    assert "an answer that excludes it" in r.stdout + r.stderr


@pytest.mark.parametrize(
    ("system", "source", "target", "target_system"),
    [(LOINC, "718-7", "718-7", None), ("http://site.example/lab", "PLT", "777-3", LOINC)],
)
def test_identity_and_local_maps_stay_valid(
    tmp_path: Path, system: str, source: str, target: str, target_system: str | None
) -> None:
    f = _map(tmp_path, system, source, target, target_system)
    r = cli("validate", str(DEFS), "--terminology", str(f))
    assert r.returncode == 0, r.stdout + r.stderr
    assert load_trials([DEFS], terminology=[f])
