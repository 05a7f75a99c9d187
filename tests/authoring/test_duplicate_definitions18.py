"""A second definitions folder may add resources, never silently replace one: a duplicate url or
``Type/id`` across files is an error naming both files (by hand: a site ValueSet with id vs-mi beside the
bundled shared/ValueSet-vs-mi.json would otherwise change which codes mean myocardial infarction).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import read_definitions
from fhir_eligibility.errors import DefinitionError

ROOT = Path(__file__).resolve().parents[2]
DEFS = ROOT / "definitions"
SHARED = DEFS / "shared"


def _site_copy(tmp_path: Path, name: str, change: dict[str, object]) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    res = json.loads((SHARED / name).read_text(encoding="utf-8")) | change
    (site / name).write_text(json.dumps(res))
    return site


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("ValueSet-vs-mi.json", {"url": "http://site.example/ValueSet/vs-mi", "title": "site MI"}),  # same id
        ("EvidenceVariable-wocbp.json", {"id": "my-wocbp", "title": "site wocbp"}),  # same url
    ],
)
def test_a_duplicate_url_or_id_is_an_error_naming_both_files(
    tmp_path: Path, name: str, change: dict[str, object]
) -> None:
    site = _site_copy(tmp_path, name, change)
    with pytest.raises(DefinitionError, match="already defined in") as e:
        read_definitions([DEFS, site])
    assert str(site / name) in str(e.value) and str(SHARED / name) in str(e.value)
    r = subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", "validate", str(DEFS), str(site)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 1 and "already defined in" in r.stdout + r.stderr


def test_the_same_file_twice_or_an_identical_copy_is_no_duplicate(tmp_path: Path) -> None:
    assert read_definitions([DEFS, SHARED]).resolve("ValueSet/vs-mi") is not None
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(SHARED / "ValueSet-vs-mi.json", site)
    assert read_definitions([DEFS, site]).resolve("ValueSet/vs-mi") is not None
