"""Evaluate N patients from a folder of Bundles against every trial; print patients/s and peak memory.

The population is the sample patients cloned under new ids (so it exercises every criterion), written
to a temporary folder, then read and evaluated through the same pipeline as `fhir-eligibility evaluate`,
with its default settings (explanations, the dates the verdict changes within 365 days, one worker
process per core). Besides patients per second it prints patients per CPU-second (this process and
its workers), which the number of cores does not change. Run against an older install (no
``workers`` argument) it evaluates in one process and says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import inspect
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation import trial as evaluate_trial_module
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_files

ROOT = Path(__file__).resolve().parents[1]
# the five trials the figures are quoted for (definitions/ may hold more)
TRIALS = ["NCT04954820", "NCT05773274", "NCT04837885", "NCT05987176", "NCT01842165"]


def clone_population(source: Path, n: int, out: Path) -> None:
    templates = [f.read_text() for f in sorted(source.glob("*.json"))]
    for i in range(n):
        text = templates[i % len(templates)]
        bundle = json.loads(text)
        pid = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
        text = text.replace(f'"{pid}"', f'"bench-{i}"').replace(f"Patient/{pid}", f"Patient/bench-{i}")
        (out / f"p{i:06d}.json").write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--source", type=Path, default=ROOT / "sample_bundles")
    ap.add_argument(
        "--horizon", type=int, default=365, help="days ahead for the verdict's dates, as `evaluate` (0: off)"
    )
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)), help="as `evaluate --workers`")
    args = ap.parse_args()
    parallel = "workers" in inspect.signature(evaluate_files).parameters  # older installs have none
    workers = args.workers if parallel else 1
    gc.set_threshold(200_000, 50, 100)  # as the CLI does
    trials = [t for t in load_trials([ROOT / "definitions"]) if t.id in TRIALS]
    core = Path(evaluate_trial_module.__file__).name
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clone_population(args.source, args.patients, folder)
        kw: dict[str, int] = {"workers": workers} if parallel else {}
        start, cpu_start = time.perf_counter(), _cpu()
        report = evaluate_files([folder], trials, dt.date(2026, 6, 1), Settings(horizon_days=args.horizon), **kw)  # type: ignore[arg-type]
        elapsed, cpu = time.perf_counter() - start, _cpu() - cpu_start
    patients = len({r.patient for r in report.results})
    peak_mb = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    print(f"patients: {patients}  trials: {len(trials)}  evaluations: {len(report.results)}")
    print(
        f"elapsed: {elapsed:.2f} s  ->  {patients / elapsed:.0f} patients/s, {patients / cpu:.0f} patients/CPU-s "
        f"(read + evaluate, {workers} worker(s){'' if parallel else ': this version has no workers'}, "
        f"horizon {args.horizon} days)"
    )
    print(f"peak RSS (largest process): {peak_mb:.0f} MB  (core: {core})")


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the workers, joined when the run ends)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


if __name__ == "__main__":
    main()
