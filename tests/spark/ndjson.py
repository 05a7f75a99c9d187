"""Bulk NDJSON inputs for the Spark tests: the sample patients as an export would write them."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from fhir_eligibility.record import PATIENT_KEYS
from fhir_eligibility.retrieval.files import read_patients

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_bundles"


def sample_resources() -> list[dict[str, Any]]:
    """Every sample patient's resources with literal ``Patient/<id>`` references (Bundles use urn:uuid)."""
    patients, _warnings = read_patients([SAMPLES])
    out = []
    for p in patients:
        for res in p.resources:
            res = dict(res)
            for key in PATIENT_KEYS:
                if isinstance(res.get(key), dict) and "reference" in res[key]:
                    res[key] = {**res[key], "reference": f"Patient/{p.patient_id}"}
            out.append(res)
    return out


def write_by_type(resources: list[dict[str, Any]], directory: Path) -> Path:
    """One ``<Type>.ndjson`` per resource type, in the resources' order."""
    directory.mkdir(parents=True, exist_ok=True)
    by_type: dict[str, list[str]] = defaultdict(list)
    for res in resources:
        by_type[res["resourceType"]].append(json.dumps(res))
    for rtype, lines in by_type.items():
        (directory / f"{rtype}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory
