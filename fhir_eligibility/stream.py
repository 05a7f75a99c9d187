"""``evaluate --format json`` on files, streamed: memory flat in the number of patients.

Why not the in-memory reader: holding every patient's resources and every explained result took
gigabytes at 10,000 patients. This reads through screening's partition reader (one shard of raw
lines plus one patient at a time; the same reading policy as every other path) and writes each
patient's results as soon as they are evaluated, through :func:`fhir_eligibility.pipeline.
evaluate_patient`, so the answers are those of every other entry point. The text is the JSON
report byte for byte (:func:`fhir_eligibility.report.json_text.dumps`); patients come in shard order
(deterministic, not input order), and an input with no patient is the usual exit-2 error before
anything is written. ``collectFirst`` comes after the results, so its entries (one per undetermined
patient) are spilled to a file in the run's temporary folder as they are made and copied out at the
end: memory stays flat and the report keeps the one shape every entry point writes.

With ``workers`` > 1 the patients read here go, 25 at a time, to worker processes that evaluate
them (each with the trials compiled once) and write their JSON; the parent writes the chunks in the
order it read the patients, so the report is the same byte for byte whatever the number of workers.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TextIO

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.identity import AS_RECORDED, IdentityPolicy
from fhir_eligibility.measures import units
from fhir_eligibility.pipeline import Evaluator
from fhir_eligibility.progress import NO_BAR, Bar
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.json_report import collect_json, trial_json
from fhir_eligibility.report.json_text import dumps
from fhir_eligibility.retrieval.files import nothing_usable
from fhir_eligibility.screening.partition import partition, read_shard
from fhir_eligibility.workers import PATIENTS_PER_TASK, Executor

MAX_WARNINGS = 1000  # distinct warnings written verbatim; the rest are counted


CHUNK = 1 << 16  # characters of the spilled collectFirst copied out at a time


def _copy(spill: TextIO) -> Iterator[str]:
    spill.seek(0)
    while chunk := spill.read(CHUNK):
        yield chunk


def stream_json(
    paths: list[Path],
    trials: list[Trial],
    as_of: dt.date,
    settings: Settings,
    temp_dir: Path | None = None,
    identity: IdentityPolicy = AS_RECORDED,
    bar: Bar = NO_BAR,
    workers: int = 1,
) -> Iterator[str]:
    """The JSON report of these files, chunk by chunk (one patient's results per chunk)."""
    with tempfile.TemporaryDirectory(prefix="fhir-evaluate-", dir=temp_dir) as tmp:
        parts = partition(paths, Path(tmp))
        if not parts.shards:
            raise nothing_usable(paths, parts.warnings)
        warnings = dict.fromkeys(parts.warnings)
        more = 0
        wanted_any = False
        yield "{\n  " + '"asOf": ' + json.dumps(as_of.isoformat()) + ',\n  "results": ['
        first = True
        patients = (data for shard in parts.shards for data in read_shard(shard, parts.medications, parts.drops))
        write = partial(_write_chunk, as_of)
        with (
            (Path(tmp) / "collect-first.json").open("w+", encoding="utf-8") as spill,
            Executor(workers, _start_worker, (trials, settings, identity), share=True) as ex,
        ):
            for data, (results, wanted, added) in ex.map_in_order(write, patients, PATIENTS_PER_TASK):
                data.warnings[:] = added  # with what evaluating added, as in one process
                for result in results:
                    yield ("\n    " if first else ",\n    ") + result
                    first = False
                bar.advance()
                if wanted is not None:
                    spill.write(("\n    " if not wanted_any else ",\n    ") + wanted)
                    wanted_any = True
                for w in data.warnings:
                    if w in warnings:
                        continue
                    if len(warnings) < MAX_WARNINGS:
                        warnings[w] = None
                    else:
                        more += 1
            spill.flush()
            yield ("]" if first else "\n  ]") + ',\n  "collectFirst": ['
            yield from _copy(spill)
        listed = list(warnings) + ([f"{more} more warning(s) not shown"] if more else [])
        yield ("\n  ]" if wanted_any else "]") + ',\n  "warnings": ' + dumps(listed, 1) + "\n}\n"


_WORKER: tuple[Evaluator, IdentityPolicy] | None = None  # in a worker process: the trials compiled once


def _start_worker(job: tuple[list[Trial], Settings, IdentityPolicy] | None) -> None:
    global _WORKER
    _WORKER = None if job is None else (Evaluator(job[0], job[1]), job[2])
    if job is not None:  # the UCUM parser and registry (~0.3 s): built here, inherited by forked workers
        units.warm_up()


def _write_chunk(as_of: dt.date, patients: list[PatientData]) -> list[tuple[list[str], str | None, list[str]]]:
    """Worker task: per patient, its results' JSON, its collectFirst entry (None: nothing to collect)
    and its warnings after evaluation (building the record adds some)."""
    if _WORKER is None:  # pragma: no cover - the pool's setup always runs first
        raise RuntimeError("evaluation worker used before its setup")
    evaluate, identity = _WORKER
    out: list[tuple[list[str], str | None, list[str]]] = []
    for data in patients:
        results = evaluate(data, as_of)
        wanted = collect_json(results) if results else None
        texts = [dumps(trial_json(identity.result(r)), 2) for r in results]
        out.append((texts, dumps(wanted, 2) if wanted is not None else None, data.warnings))
    return out


__all__ = ["stream_json"]
