"""``evaluate --format json`` on files, streamed: memory flat in the number of patients.

Why not the in-memory reader: holding every patient's resources and every explained result took
gigabytes at 10,000 patients. This reads through screening's partition reader (one shard of raw
lines plus one patient at a time; the same reading policy as every other path) and writes each
patient's results as soon as they are evaluated, through :func:`fhir_eligibility.pipeline.
evaluate_patient`, so the answers are those of every other entry point. The text is the JSON
report byte for byte (``json.dumps(report, indent=2)``); patients come in shard order
(deterministic, not input order), and an input with no patient is the usual exit-2 error before
anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.identity import AS_RECORDED, IdentityPolicy
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.report.json_report import collect_json, trial_json
from fhir_eligibility.retrieval.files import nothing_usable
from fhir_eligibility.screening.partition import partition, read_shard

MAX_WARNINGS = 1000  # distinct warnings written verbatim; the rest are counted


def _indented(value: Any, depth: int) -> str:
    """``value`` as ``json.dumps(..., indent=2)`` renders it ``depth`` levels down."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * depth)


def stream_json(
    paths: list[Path],
    trials: list[Trial],
    as_of: dt.date,
    settings: Settings,
    temp_dir: Path | None = None,
    identity: IdentityPolicy = AS_RECORDED,
) -> Iterator[str]:
    """The JSON report of these files, chunk by chunk (one patient's results per chunk)."""
    with tempfile.TemporaryDirectory(prefix="fhir-evaluate-", dir=temp_dir) as tmp:
        parts = partition(paths, Path(tmp))
        if not parts.shards:
            raise nothing_usable(paths, parts.warnings)
        warnings = dict.fromkeys(parts.warnings)
        more = 0
        collect: list[dict[str, Any]] = []  # per undetermined patient: a few items, written at the end
        yield "{\n  " + '"asOf": ' + json.dumps(as_of.isoformat()) + ',\n  "results": ['
        first = True
        for shard in parts.shards:
            for data in read_shard(shard, parts.medications, parts.drops):
                results = evaluate_patient(data, trials, as_of, settings)
                for result in results:
                    yield ("\n    " if first else ",\n    ") + _indented(trial_json(identity.result(result)), 2)
                    first = False
                wanted = collect_json(results) if results else None
                if wanted is not None:
                    collect.append(wanted)
                for w in data.warnings:
                    if w in warnings:
                        continue
                    if len(warnings) < MAX_WARNINGS:
                        warnings[w] = None
                    else:
                        more += 1
    listed = list(warnings) + ([f"{more} more warning(s) not shown"] if more else [])
    yield ("]" if first else "\n  ]") + ',\n  "collectFirst": ' + _indented(collect, 1)
    yield ',\n  "warnings": ' + _indented(listed, 1) + "\n}\n"


__all__ = ["stream_json"]
