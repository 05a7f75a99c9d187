"""The modules mypyc compiles, and a build of them into build/fast/ for side-by-side comparisons.

``pip install .`` compiles these modules itself (setup.py reads ``MODULES`` and ``MYPYC_OPTIONS``
from here); an editable install stays pure Python. This script builds a compiled copy of the
package in build/fast/ without touching the sources: ``PYTHONPATH=build/fast`` runs it (screening
workers inherit it). tests/test_compiled.py uses it to prove compiled and interpreted runs give
identical reports. The core is mypy --strict clean, which is what mypyc needs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = [
    "fhir_eligibility/logic.py",
    "fhir_eligibility/evaluation/engine.py",
    "fhir_eligibility/evaluation/context.py",
    "fhir_eligibility/evaluation/windows.py",
    "fhir_eligibility/evaluation/anchor_days.py",
    "fhir_eligibility/evaluation/combination.py",
    "fhir_eligibility/evaluation/trial.py",
    "fhir_eligibility/evaluation/forms/__init__.py",
    "fhir_eligibility/evaluation/forms/common.py",
    "fhir_eligibility/evaluation/forms/observation.py",
    "fhir_eligibility/evaluation/forms/records.py",
    "fhir_eligibility/evaluation/forms/derived.py",
    "fhir_eligibility/evaluation/forms/derived_inputs.py",
    "fhir_eligibility/evaluation/forms/activity.py",
    "fhir_eligibility/evaluation/forms/patient.py",
    "fhir_eligibility/evaluation/footprint.py",
    "fhir_eligibility/evaluation/compiled.py",
    "fhir_eligibility/evaluation/compare.py",
    "fhir_eligibility/evaluation/dates.py",
    "fhir_eligibility/evaluation/facts.py",
    "fhir_eligibility/evaluation/fact.py",
    "fhir_eligibility/evaluation/medication_records.py",
    "fhir_eligibility/evaluation/onset.py",
    "fhir_eligibility/evaluation/elements.py",
    "fhir_eligibility/evaluation/observed.py",
    "fhir_eligibility/evaluation/patient_record.py",
    "fhir_eligibility/evaluation/derived.py",
    "fhir_eligibility/measures/timing.py",
    "fhir_eligibility/measures/concepts.py",
    "fhir_eligibility/measures/plausible.py",
    "fhir_eligibility/evaluation/results.py",
    "fhir_eligibility/report/json_text.py",
    "fhir_eligibility/evaluation/program.py",
    "fhir_eligibility/evaluation/timeline.py",
    "fhir_eligibility/screening/fast.py",
    "fhir_eligibility/evaluation/values.py",
    "fhir_eligibility/evaluation/validity.py",
    "fhir_eligibility/evaluation/medication.py",
    "fhir_eligibility/evaluation/vital.py",
    "fhir_eligibility/evaluation/attestation.py",
    "fhir_eligibility/criteria/model.py",
    "fhir_eligibility/codes.py",
    # reading: pass 1 routes every line, pass 2 rebuilds every patient (Python work per line, not parsing)
    "fhir_eligibility/record.py",
    "fhir_eligibility/retrieval/reading.py",
    "fhir_eligibility/retrieval/versions.py",
    "fhir_eligibility/retrieval/assembly.py",
    "fhir_eligibility/retrieval/files.py",
    "fhir_eligibility/retrieval/inputs.py",
    "fhir_eligibility/retrieval/lines.py",
    "fhir_eligibility/retrieval/bundle_entries.py",
    "fhir_eligibility/screening/routing.py",
    "fhir_eligibility/screening/partition.py",
    "fhir_eligibility/screening/shard_writer.py",
    "fhir_eligibility/screening/shard_read.py",
]
# The isolated build environment has mypy and a few stubs, not the runtime dependencies: modules that
# import them are checked with those imports as Any (none of them is compiled).
MYPYC_OPTIONS = ["--ignore-missing-imports", "--no-warn-return-any", "--no-warn-unused-ignores"]


def compile_into(target: Path) -> Path:
    """Copy the package to ``target`` and compile the core there; returns the PYTHONPATH entry."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copytree(
        ROOT / "fhir_eligibility", target / "fhir_eligibility", ignore=shutil.ignore_patterns("__pycache__", "*.so")
    )
    mypyc = Path(sys.executable).with_name("mypyc")
    subprocess.run([str(mypyc), *MYPYC_OPTIONS, *MODULES], cwd=target, check=True, capture_output=True, timeout=1200)
    return target


def main() -> None:
    out = compile_into(ROOT / "build" / "fast")
    print(f"compiled {len(MODULES)} modules into {out}; use: PYTHONPATH={out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
