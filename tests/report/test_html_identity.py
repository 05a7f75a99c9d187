"""Issue 14 item 6 on the page: a person recognises the patient by name, birth date and MRN next to the id;
``--deidentify`` leaves the id only, and the name is then nowhere in the page."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fhir_eligibility.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_bundles" / "97-attested-by-coordinator.json"


def _page(tmp_path: Path, *extra: str) -> str:
    out = tmp_path / "page.html"
    args = ["evaluate", str(SAMPLE), "--as-of", "2026-06-01", "--format", "html", "-o", str(out), *extra]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def _name_and_birth() -> tuple[str, str]:
    bundle = json.loads(SAMPLE.read_text(encoding="utf-8"))
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    name = patient["name"][0]
    return f"{' '.join(name['given'])} {name['family']}", patient["birthDate"]


def test_the_page_names_the_patient_next_to_the_id(tmp_path: Path) -> None:
    name, birth = _name_and_birth()
    page = _page(tmp_path)
    assert f"Patient/sample-97 ({name}, born {birth}" in page


def test_deidentify_leaves_the_id_only(tmp_path: Path) -> None:
    name, _birth = _name_and_birth()
    page = _page(tmp_path, "--deidentify")
    assert "Patient/sample-97" in page and name.split()[-1] not in page
