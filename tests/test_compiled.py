"""The mypyc-compiled core (tools/compile_engine.py) gives exactly the interpreted core's reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from compile_engine import compile_into  # noqa: E402


def _run(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import fhir_eligibility.evaluation.engine as e, sys; print(e.__file__, file=sys.stderr);"
            "from fhir_eligibility.cli import main; main()",
            *args,
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
    """Evaluation with full explanations, and screening (short-circuit mode, shared outcomes, workers)."""
    fast = compile_into(tmp_path / "fast")
    population = tmp_path / "population"
    _run({**os.environ, "PYTHONPATH": str(ROOT)}, "synth", "--patients", "400", "--seed", "3", "--out", str(population))
    common = ["--definitions", str(ROOT / "definitions"), "--as-of", "2026-06-01", "--format", "json"]
    runs = [
        ["evaluate", str(ROOT / "sample_bundles"), *common, "--assume-attested"],
        ["screen", str(ROOT / "sample_bundles"), str(population), *common, "--workers", "2"],
    ]
    for args in runs:
        interpreted = _run({**os.environ, "PYTHONPATH": str(ROOT)}, *args)
        compiled = _run({**os.environ, "PYTHONPATH": str(fast)}, *args)
        report_i, engine_i = interpreted.split("\nENGINE ")
        report_c, engine_c = compiled.split("\nENGINE ")
        assert engine_i.endswith("engine.py") and engine_c.endswith(".so")
        assert report_c == report_i, args[0]
        assert len(report_i) > 1000
    # compiled frozen dataclasses refuse pickle's attribute-by-attribute rebuild: criteria, settings and
    # results must still cross process boundaries (spawned workers, a distributed engine)
    roundtrip = (
        "import pickle, datetime as dt, pathlib, sys\n"
        "from fhir_eligibility.criteria.load import load_trials\n"
        "from fhir_eligibility.evaluation.engine import Settings\n"
        "from fhir_eligibility.pipeline import evaluate_files\n"
        "import fhir_eligibility.criteria.model as m, fhir_eligibility.evaluation.results as r\n"
        "assert m.__file__.endswith('.so') and r.__file__.endswith('.so')\n"
        f"trials = load_trials([pathlib.Path({str(ROOT / 'definitions')!r})])\n"
        f"report = evaluate_files([pathlib.Path({str(ROOT / 'sample_bundles')!r})], trials, dt.date(2026, 6, 1))\n"
        "for obj in (trials, report, Settings(explain=False)):\n"
        "    assert pickle.loads(pickle.dumps(obj)) == obj\n"
        "print('round trip ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", roundtrip],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(fast)},
        cwd=ROOT.parent,
    )
    assert out.stdout.strip() == "round trip ok", out.stderr
