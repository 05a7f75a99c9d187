"""A Lutathera administration whose drug is a ``contained`` Medication counts as a cycle through every
source: files (Bundle), screening (NDJSON shards) and the CDS prefetch assembler (issue 11 item 2).

Four contained-Medication cycles in 2025 are trial A's first course of 4 (A-I3, clinical.md §1.1):
pass in all three; the same patient with the references dangling would be unknown, never "3 found".
"""

from __future__ import annotations

import json
from pathlib import Path

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_files, evaluate_patient
from fhir_eligibility.service.prefetch import assemble
from tests.cases.builders import AS_OF, patient
from tests.evaluation.test_real_semantics import contained_cycles
from tests.screening.helpers import invoke

A = next(t for t in load_trials() if t.id == "NCT04954820")


def resources(r5: bool = False) -> list[dict[str, object]]:
    return [patient(), *contained_cycles(r5)]


def test_files(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources()]}
    (tmp_path / "p.json").write_text(json.dumps(bundle))
    report = evaluate_files([tmp_path / "p.json"], [A], AS_OF)
    i3 = next(c for c in report.results[0].criteria if c.id == "A-I3")
    assert i3.result is Result.PASS and i3.reason.startswith("4 found")


def test_screening_ndjson(tmp_path: Path) -> None:
    for rtype in ("Patient", "MedicationAdministration"):
        lines = [json.dumps(r) for r in resources(r5=True) if r["resourceType"] == rtype]
        (tmp_path / f"{rtype}.ndjson").write_text("\n".join(lines) + "\n")
    out = invoke("screen", str(tmp_path), "--trial", A.id, "--as-of", AS_OF.isoformat(), "--format", "json")
    assert out.exit_code == 0, out.output
    funnel = {f["criterion"]: f for f in json.loads(out.output)["trials"][0]["funnel"]}
    assert funnel["A-I3"]["pass"] == 1 and funnel["A-I3"]["fail"] == 0


def test_cds_prefetch() -> None:
    data = assemble("p", resources())
    i3 = next(c for c in evaluate_patient(data, [A], AS_OF)[0].criteria if c.id == "A-I3")
    assert i3.result is Result.PASS and i3.reason.startswith("4 found")
