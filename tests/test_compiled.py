"""The mypyc-compiled core (tools/compile_engine.py) gives exactly the interpreted core's reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from compile_engine import compile_into  # noqa: E402


def _evaluate(env: dict[str, str]) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import fhir_eligibility.evaluation.engine as e, sys; print(e.__file__, file=sys.stderr);"
            "from fhir_eligibility.cli import main; main()",
            "evaluate",
            str(ROOT / "sample_bundles"),
            "--definitions",
            str(ROOT / "definitions"),
            "--as-of",
            "2026-06-01",
            "--assume-attested",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT.parent,  # not the repo: `python -c` puts the cwd first on sys.path
    )
    assert out.returncode == 0, out.stderr
    return out.stdout + "\nENGINE " + out.stderr.strip().splitlines()[0]


def test_compiled_core_gives_identical_reports(tmp_path: Path) -> None:
    fast = compile_into(tmp_path / "fast")
    interpreted = _evaluate({**os.environ, "PYTHONPATH": str(ROOT)})
    compiled = _evaluate({**os.environ, "PYTHONPATH": str(fast)})
    report_i, engine_i = interpreted.split("\nENGINE ")
    report_c, engine_c = compiled.split("\nENGINE ")
    assert engine_i.endswith("engine.py") and engine_c.endswith(".so")
    assert report_c == report_i
