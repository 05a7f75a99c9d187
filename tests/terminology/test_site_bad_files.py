"""Site terminology files that cannot be used: one line, never a traceback; exit 2 for a file that
cannot be read as terminology at all, exit 1 for content that is wrong (terminology.site).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.errors import DefinitionError, InputError
from tests.cases.builders import patient
from tests.terminology.site_files import concept_map, write
from tests.test_cli import MINI, cli


@pytest.mark.parametrize(
    "bad",
    [
        {"resourceType": "ConceptMap", "group": {"source": "x"}},
        {"resourceType": "ConceptMap", "group": "x"},
        {"resourceType": "ConceptMap", "group": [None]},
        {"resourceType": "ConceptMap", "group": [{"source": "x", "element": ["A"]}]},
        {"resourceType": "ConceptMap", "group": [{"source": "x", "element": [{"code": "A", "target": {"code": "B"}}]}]},
        {"resourceType": "ConceptMap", "group": [{"source": "x", "element": [{"code": "A", "target": [None]}]}]},
        {"resourceType": "ConceptMap", "group": [{"element": [{"code": "A", "target": [{"equivalence": ["x"]}]}]}]},
        {"resourceType": "ValueSet", "url": "http://example.org/ValueSet/vs-net", "compose": {"include": {}}},
        {
            "resourceType": "ValueSet",
            "url": "http://example.org/ValueSet/vs-net",
            "compose": {"include": [{"concept": ["A"]}]},
        },
    ],
)
def test_a_malformed_terminology_file_is_one_line_never_a_traceback(tmp_path: Path, bad: dict[str, Any]) -> None:
    with pytest.raises(DefinitionError):
        load_trials([MINI], terminology=[write(tmp_path / "t.json", bad)])


def test_a_terminology_bundle_whose_entry_is_not_a_list_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"Bundle\.entry is not a list"):
        load_trials([MINI], terminology=[write(tmp_path / "b.json", {"resourceType": "Bundle", "entry": "abc"})])


def test_bad_terminology_is_one_line_exit_2_or_1(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        load_trials([MINI], terminology=[tmp_path / "missing.json"])
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InputError):
        load_trials([MINI], terminology=[tmp_path / "bad.json"])
    with pytest.raises(InputError, match="not terminology"):
        load_trials([MINI], terminology=[write(tmp_path / "p.json", patient())])
    with pytest.raises(DefinitionError, match="equivalence/relationship 'same'"):
        load_trials([MINI], terminology=[write(tmp_path / "cm.json", concept_map("same"))])
    unknown_vs = {
        "resourceType": "ValueSet",
        "url": "http://example.org/ValueSet/nope",
        "status": "active",
        "compose": {"include": [{"system": "http://hospital.example.org/codes/dx", "concept": [{"code": "X"}]}]},
    }
    with pytest.raises(DefinitionError, match="not a value set of the definitions"):
        load_trials([MINI], terminology=[write(tmp_path / "vs.json", unknown_vs)])

    out = cli(
        "evaluate", str(MINI / "patient.json"), "--definitions", str(MINI), "--terminology", str(tmp_path / "bad.json")
    )
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    out = cli("validate", str(MINI), "--terminology", str(tmp_path / "cm.json"))
    assert out.returncode == 1 and "ConceptMap.group[0].element[0].target[0]" in out.stdout
    out = cli("validate", str(MINI), "--terminology", str(tmp_path / "vs.json"))
    assert out.returncode == 1 and "ValueSet.url" in out.stdout
    out = cli(
        "evaluate", str(MINI / "patient.json"), "--definitions", str(MINI), "--terminology", str(tmp_path / "cm.json")
    )
    assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1
