"""The synthetic population is deterministic and looks like a hospital export (clinical.md §2)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fhir_eligibility.synth import RESOURCE_TYPES, iter_patients, patient_resources, write_population
from tests.screening.helpers import invoke


def _digest(folder: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.glob("*.ndjson"))}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    write_population(tmp_path / "a", 120, seed=3)
    write_population(tmp_path / "b", 120, seed=3)
    write_population(tmp_path / "c", 120, seed=4)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert sorted(_digest(tmp_path / "a")) == sorted(f"{t}.ndjson" for t in RESOURCE_TYPES)


def test_patient_i_does_not_depend_on_population_size(tmp_path: Path) -> None:
    write_population(tmp_path / "small", 40, seed=9)
    write_population(tmp_path / "large", 90, seed=9)
    for f in (tmp_path / "small").glob("*.ndjson"):
        small = f.read_text()
        assert (tmp_path / "large" / f.name).read_text().startswith(small), f.name


def test_synth_command_is_deterministic(tmp_path: Path) -> None:
    for name in ("x", "y"):
        out = invoke("synth", "--patients", "30", "--seed", "5", "--out", str(tmp_path / name))
        assert out.exit_code == 0, out.output
    assert _digest(tmp_path / "x") == _digest(tmp_path / "y")


def _all(n: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    for by_type in iter_patients(n, seed):
        for resources in by_type.values():
            yield from resources


def _units(resources: list[dict[str, Any]], *codes: str) -> set[str]:
    return {
        r["valueQuantity"]["unit"]
        for r in resources
        if r["resourceType"] == "Observation" and "valueQuantity" in r and r["code"]["coding"][0]["code"] in codes
    }


def test_population_is_realistic() -> None:
    n = 2000
    resources = list(_all(n))
    conditions = [r for r in resources if r["resourceType"] == "Condition"]
    net_patients = {
        r["subject"]["reference"]
        for r in conditions
        if r["code"]["coding"][0]["code"].startswith(("C7A", "C25.4", "8240/3", "8249/3"))
        and r["verificationStatus"]["coding"][0]["code"] != "entered-in-error"
    }
    assert 0.08 * n < len(net_patients) < 0.25 * n  # most screened patients are not NET
    assert _units(resources, "718-7", "59260-0") == {"g/dL", "g/L", "mmol/L"}
    assert _units(resources, "2160-0", "14682-9") == {"mg/dL", "umol/L"}
    assert _units(resources, "777-3", "26515-7") == {"10*9/L", "10*3/uL"}
    doses = {r["dosage"]["dose"]["unit"] for r in resources if r["resourceType"] == "MedicationAdministration"}
    assert doses == {"MBq", "GBq", "mCi"}
    assert any("medicationReference" in r for r in resources if r["resourceType"] == "MedicationAdministration")
    statuses = Counter(r.get("status") for r in resources if r["resourceType"] == "Observation")
    assert statuses["entered-in-error"] > 0
    assert any(r["verificationStatus"]["coding"][0]["code"] == "entered-in-error" for r in conditions)
    comorbid = Counter(r["code"]["coding"][0]["code"] for r in conditions)
    assert comorbid["I10"] > 0.2 * n and comorbid["E11.9"] > 0.1 * n
    # PRRT histories: 4-cycle first courses, and some second courses
    per_patient = Counter(
        r["subject"]["reference"] for r in resources if r["resourceType"] == "MedicationAdministration"
    )
    assert Counter(per_patient.values())[4] > 0 and max(per_patient.values()) >= 5
    # missing data: NET patients without any haemoglobin
    with_hb = {
        r["subject"]["reference"]
        for r in resources
        if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] in ("718-7", "59260-0")
    }
    assert net_patients - with_hb


def test_patient_resources_is_pure() -> None:
    assert patient_resources(7, 12) == patient_resources(7, 12)
    assert patient_resources(7, 12) != patient_resources(7, 13)
