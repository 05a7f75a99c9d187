"""What is written beside the Bundles: each Bundle's validation and the README table of expected verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .codes import Json
from .sample import Sample

EXPECTED = Path(__file__).resolve().parents[2] / "tests" / "expected_verdicts.json"

TRIALS = [
    ("A", "NCT04954820"),
    ("B", "NCT05773274"),
    ("C", "NCT04837885"),
    ("D", "NCT05987176"),
    ("E", "NCT01842165"),
    ("F", "NCT03972488"),
]


def validate(bundle: Json, where: str) -> None:
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)
    ids = [e["fullUrl"] for e in bundle["entry"]]
    assert len(ids) == len(set(ids)), f"{where}: duplicate fullUrl"
    targets = set(ids)
    for e in bundle["entry"]:
        r = e["resource"]
        for key in ("subject", "patient"):
            ref = r.get(key, {}).get("reference") if isinstance(r.get(key), dict) else None
            if ref:
                assert ref in targets, f"{where}: dangling reference {ref}"


def readme(all_samples: list[Sample]) -> str:
    expected: dict[str, Any] = {}
    if EXPECTED.exists():
        expected = json.loads(EXPECTED.read_text(encoding="utf-8")).get("expected", {})
    short = {
        "eligible": "eligible",
        "ineligible": "ineligible",
        "undetermined": "undetermined",
        "needs-review": "needs-review",
    }
    lines = [
        "# Sample patients",
        "",
        "Synthetic FHIR R4 transaction Bundles (one patient each, Synthea-shaped: `urn:uuid` fullUrls and references, "
        "`request: POST <type>`), written by `tools/build_samples.py` - edit the script, not the files. "
        "`Patient.id` is `sample-NN`; `Patient.text` says what each patient exercises.",
        "",
        "Screening date for every sample: **2026-06-01** (`--as-of 2026-06-01`). Default lab date 2026-05-20.",
        "Expected verdicts assume every manual (category c) criterion is attested (`--assume-attested`); they were "
        "worked out by hand from the protocols and `clinical.md` - see `tests/expected_verdicts.json` (machine "
        "readable, with the deciding criterion ids) and `tests/expected_verdicts.md` (rationale). In brackets: the "
        "criteria that decide a non-eligible verdict.",
        "",
        "Trials: **A** NCT04954820 (Lutathera retreatment, France) - **B** NCT05773274 (NET RETREAT) - "
        "**C** NCT04837885 (intra-arterial hepatic PRRT) - **D** NCT05987176 (adjuvant after liver resection) - "
        "**E** NCT01842165 (Belgian lesion-based PRRT) - **F** NCT03972488 (NETTER-2, first-line Lutathera in "
        "grade 2-3 GEP-NET; criterion ids are its imported linkIds).",
        "",
        "| file | exercises | A | B | C | D | E | F |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in all_samples:
        cells = []
        for _, nct in TRIALS:
            e = expected.get(s.id, {}).get(nct)
            if not e:
                cells.append("?")
                continue
            v = short[e["verdict"]]
            cells.append(v + (" [" + ", ".join(e["deciding"]) + "]" if e["deciding"] else ""))
        lines.append(f"| `{s.file}` | {s.exercises.replace('|', '/')} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)
