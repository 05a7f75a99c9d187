"""The sample patients against the verdicts a careful clinician expects (worked out by hand).

``sample_bundles/`` holds synthetic patients written by ``tools/build_samples.py``;
``tests/expected_verdicts.json`` holds, for every patient x trial, the verdict expected with every manual
criterion attested and the clinical.md criterion ids that decide it (rationale: ``expected_verdicts.md``).

The expected verdicts were NOT produced by running the engine: a mismatch is a finding to adjudicate (engine,
definition or expectation may be wrong), not something to "fix" by copying the engine's output.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_bundles"
EXPECTED_FILE = Path(__file__).with_name("expected_verdicts.json")
EXPECTED: dict[str, Any] = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
AS_OF = EXPECTED["asOf"]
TRIALS = ["NCT04954820", "NCT05773274", "NCT04837885", "NCT05987176", "NCT01842165", "NCT03972488"]
LETTER = dict(zip(TRIALS, "ABCDEF", strict=True))
# F (NETTER-2) is an authored trial (docs/authoring.md): its ids are the linkIds import-ctgov gave its lines
IMPORTED_ID = re.compile(r"^(registry-age|[IE][0-9]+)$")
VERDICTS = {"eligible", "ineligible", "undetermined", "needs-review"}
# verdict -> the criterion result that decides it
DECIDING_RESULT = {"ineligible": "fail", "undetermined": "unknown", "needs-review": "review"}

CASES = [(pid, nct) for pid, per_trial in EXPECTED["expected"].items() for nct in per_trial]


def _sample_patient_ids() -> dict[str, str]:
    """Patient.id -> file name of every sample bundle."""
    out: dict[str, str] = {}
    for f in sorted(SAMPLES.glob("*.json")):
        bundle = json.loads(f.read_text(encoding="utf-8"))
        patients = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
        assert len(patients) == 1, f"{f.name}: expected exactly one Patient"
        out[patients[0]["id"]] = f.name
    return out


# ---- the expectation file itself (runs without the engine) --------------------------------------------


def test_expected_file_covers_every_sample_and_trial() -> None:
    assert EXPECTED["asOf"] == "2026-06-01" and EXPECTED["assumeAttested"] is True
    samples = _sample_patient_ids()
    assert len(samples) >= 24
    assert set(samples) == set(EXPECTED["expected"]), "sample bundles and expected_verdicts.json disagree"
    for pid, per_trial in EXPECTED["expected"].items():
        assert set(per_trial) == set(TRIALS), pid
        for nct, e in per_trial.items():
            assert e["verdict"] in VERDICTS, (pid, nct)
            assert bool(e["deciding"]) == (e["verdict"] != "eligible"), (pid, nct)
            # "deceased": the vital-status result that replaces every trial's criteria (clinical.md §0.15)
            assert all(
                d == "deceased" or (IMPORTED_ID.match(d) if LETTER[nct] == "F" else d.startswith(LETTER[nct] + "-"))
                for d in e["deciding"]
            ), (pid, nct)


def test_expected_file_has_every_verdict_for_every_trial() -> None:
    for nct in TRIALS:
        seen = {per_trial[nct]["verdict"] for per_trial in EXPECTED["expected"].values()}
        assert seen == VERDICTS, f"{nct}: expected verdicts only cover {sorted(seen)}"


# ---- the engine against the expectations -------------------------------------------------------------


@cache
def _run_engine() -> tuple[dict[str, Any] | None, str]:
    """Run the CLI once (the outcome, success or failure, is cached for all the parametrised tests)."""
    if importlib.util.find_spec("fhir_eligibility.cli") is None:
        return None, "skip: fhir_eligibility.cli not available yet"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fhir_eligibility",
            "evaluate",
            str(SAMPLES),
            "--as-of",
            AS_OF,
            "--assume-attested",
            "--format",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        return None, f"evaluate exited {proc.returncode}:\n{proc.stderr[-4000:]}"
    try:
        return json.loads(proc.stdout), ""
    except json.JSONDecodeError as e:
        return None, f"evaluate did not print JSON ({e}):\n{proc.stdout[:2000]}"


def _report() -> dict[str, Any]:
    data, problem = _run_engine()
    if data is None:
        if problem.startswith("skip: "):
            pytest.skip(problem[6:])
        pytest.fail(problem)
    return data


@cache
def _results() -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["patient"], r["trial"]): r for r in _report()["results"]}


def _flatten(criteria: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in criteria:
        out.append(c)
        out.extend(_flatten(c.get("criteria") or []))
    return out


def _matches(criterion_id: str, expected_id: str) -> bool:
    return criterion_id == expected_id or criterion_id.startswith(expected_id + "-")


def _summary(result: dict[str, Any]) -> str:
    lines = [f"engine verdict: {result['verdict']}"]
    for c in result["criteria"]:
        if c["result"] != "pass":
            lines.append(f"  {c['id']}: {c['result']} - {c.get('reason', '')}")
    return "\n".join(lines)


@pytest.mark.parametrize(("patient_id", "trial"), CASES, ids=[f"{p}-{LETTER[t]}" for p, t in CASES])
def test_verdict_matches_expectation(patient_id: str, trial: str) -> None:
    expected = EXPECTED["expected"][patient_id][trial]
    result = _results().get((f"Patient/{patient_id}", trial))
    assert result is not None, f"no result for Patient/{patient_id} x {trial}"
    summary = _summary(result)
    assert result["verdict"] == expected["verdict"], (
        f"Patient/{patient_id} x {trial} ({LETTER[trial]}): expected {expected['verdict']} "
        f"{expected['deciding']}\n{summary}"
    )
    wanted = DECIDING_RESULT.get(expected["verdict"])
    top = result["criteria"]
    everything = _flatten(top)
    for d in expected["deciding"]:
        found = any(_matches(c["id"], d) and c["result"] == wanted for c in top) or any(
            _matches(c["id"], d) and c["result"] == wanted for c in everything
        )
        assert found, f"Patient/{patient_id} x {trial}: expected {d} to be '{wanted}'\n{summary}"


def test_every_trial_has_each_verdict_among_the_samples() -> None:
    sample_ids = {f"Patient/{pid}" for pid in EXPECTED["expected"]}
    by_trial: dict[str, Counter[str]] = {t: Counter() for t in TRIALS}
    for r in _report()["results"]:
        if r["patient"] in sample_ids and r["trial"] in by_trial:
            by_trial[r["trial"]][r["verdict"]] += 1
    for trial, counts in by_trial.items():
        missing = VERDICTS - set(counts)
        assert not missing, f"{trial} ({LETTER[trial]}): no sample patient is {sorted(missing)}; got {dict(counts)}"
