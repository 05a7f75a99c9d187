"""docs/authoring.md works as written: its Karnofsky example, pasted over NETTER-2's imported manual line,
validates, is shown by show --rules, and evaluates as the protocol says (KPS >= 60; none = unknown)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "authoring.md"
SHARED = ROOT / "definitions" / "shared"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def _example() -> dict[str, Any]:
    text = DOC.read_text(encoding="utf-8")
    m = re.search(r"<!-- authoring-example: I6 -->\s*```json\n(.*?)```", text, re.S)
    assert m, "the worked example is missing from docs/authoring.md"
    return dict(json.loads(m.group(1)))


@pytest.fixture(scope="module")
def netter2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("defs") / "NCT03972488"
    r = cli("import-ctgov", str(ROOT / "tests/fixtures/ctgov/NCT03972488.json"), "-o", str(out))
    assert r.returncode == 0, r.stderr
    ev_file = out / "EvidenceVariable.json"
    ev = json.loads(ev_file.read_text(encoding="utf-8"))
    i6 = next(i for i, c in enumerate(ev["characteristic"]) if c["linkId"] == "I6")
    assert ev["characteristic"][i6] == {"linkId": "I6", "description": "Karnofsky Performance Score (KPS) \u2265 60"}
    ev["characteristic"][i6] = _example()
    ev_file.write_text(json.dumps(ev, indent=2), encoding="utf-8")
    return out


def test_edited_definitions_validate_and_show(netter2: Path) -> None:
    r = cli("validate", str(netter2), str(SHARED))
    assert r.returncode == 0, r.stdout
    r = cli("show", "NCT03972488", "--rules", "--definitions", str(netter2))
    block = next(b for b in r.stdout.split("\n\n") if b.startswith("I6 "))
    assert "LOINC 89243-0 Karnofsky Performance Status score" in block and ">= 60 {score}" in block
    assert "from 28 days before to the screening date" in block


def _bundle(tmp: Path, pid: str, kps: dict[str, Any] | None, date: str = "2026-05-20") -> Path:
    entries: list[dict[str, Any]] = [
        {"resource": {"resourceType": "Patient", "id": pid, "birthDate": "1966-01-01", "gender": "female"}}
    ]
    if kps is not None:
        obs = {
            "resourceType": "Observation",
            "id": f"{pid}-kps",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]},
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": date,
        } | kps
        entries.append({"resource": obs})
    f = tmp / f"{pid}.json"
    f.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
    return f


@pytest.mark.parametrize(
    ("pid", "kps", "date", "expected"),
    [
        ("kps70", {"valueInteger": 70}, "2026-05-20", "pass"),  # mCODE sends valueInteger
        (
            "kps60",
            {"valueQuantity": {"value": 60, "system": "http://unitsofmeasure.org", "code": "{score}"}},
            "2026-05-20",
            "pass",
        ),  # the bound itself (>=)
        ("kps50", {"valueInteger": 50}, "2026-05-20", "fail"),
        ("kps-old", {"valueInteger": 90}, "2026-04-01", "unknown"),  # 61 days before: outside the 28-day window
        ("no-kps", None, "", "unknown"),
    ],
)
def test_karnofsky_rule_evaluates_as_the_protocol_says(
    netter2: Path, tmp_path: Path, pid: str, kps: dict[str, Any] | None, date: str, expected: str
) -> None:
    f = _bundle(tmp_path, pid, kps, date)
    r = cli("evaluate", str(f), "--definitions", str(netter2), "--as-of", "2026-06-01", "--format", "json")
    assert r.returncode == 0, r.stderr
    (result,) = json.loads(r.stdout)["results"]
    i6 = next(c for c in result["criteria"] if c["id"] == "I6")
    assert i6["result"] == expected, i6
