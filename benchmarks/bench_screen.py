"""Population screening throughput and memory: synthetic Bulk NDJSON, all trials, both cores.

For each size (default 10,000 and 100,000 patients) it generates the population with
``fhir_eligibility.synth`` (deterministic; patient i does not depend on N), then runs, each in a
fresh child process so one measurement's heap cannot inflate the next:

    screen     screening.runner.screen_files (partition to shards, worker processes, tally)
    baseline   the single-patient path: retrieval.files.read_patients + pipeline.evaluate_patients
               (everything in memory, one core), on at most --baseline-max patients: for a larger
               population it runs on its first --baseline-max patients, which are exactly the
               --baseline-max population (synth patient i does not depend on N)

and prints patients/s (screening wall time, trials loaded beforehand; --repeat runs per size,
median reported: the 2-core VM is shared and single runs vary by 10-20 %) and the peak RSS of
the whole process tree (the child and its workers, summed, sampled every 20 ms from /proc).
No assertions. Linux only (/proc).

    .venv/bin/python benchmarks/bench_screen.py [--sizes 10000 100000] [--workers 2] [--baseline-max 10000]
    .venv/bin/python benchmarks/bench_screen.py --profile 2000   # cProfile of the per-patient path
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 6, 1)


# ---- process-tree RSS ---------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out.extend(int(c) for c in fh.read().split())
    except OSError:
        pass
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(root: int) -> int:
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kib(pid)
        stack.extend(_children(pid))
    return total


def run_measured(args: list[str]) -> tuple[dict[str, Any], float, int]:
    """Run a child; return its JSON line, wall seconds, and the tree's peak RSS in KiB."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kib(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed ({proc.returncode}):\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1]), wall, peak


# ---- children -----------------------------------------------------------------------------------


def child_screen(data: Path, workers: int) -> None:
    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.screening.runner import screen_files

    trials = load_trials()
    start = time.perf_counter()
    report = screen_files([data], trials, AS_OF, workers=workers)
    seconds = time.perf_counter() - start
    counts = {t.trial: t.counts for t in report.trials}
    print(json.dumps({"patients": report.patients, "seconds": seconds, "trials": len(trials), "counts": counts}))


def child_baseline(data: Path) -> None:
    import gc

    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.pipeline import evaluate_patients
    from fhir_eligibility.retrieval.files import read_patients

    gc.set_threshold(200_000, 50, 100)  # as `fhir-eligibility evaluate` does
    trials = load_trials()
    start = time.perf_counter()
    patients, warnings = read_patients([data])
    report = evaluate_patients(patients, trials, AS_OF, warnings=warnings)
    seconds = time.perf_counter() - start
    print(json.dumps({"patients": len(patients), "seconds": seconds, "results": len(report.results)}))


def child_profile(n: int) -> None:
    import cProfile
    import pstats

    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.screening.runner import screen_files
    from fhir_eligibility.synth import write_population

    trials = load_trials()
    with tempfile.TemporaryDirectory() as tmp:
        write_population(Path(tmp), n, seed=1, as_of=AS_OF)
        screen_files([Path(tmp)], trials, AS_OF, workers=1)  # warm-up: unit registry, caches
        prof = cProfile.Profile()
        start = time.perf_counter()
        prof.enable()
        screen_files([Path(tmp)], trials, AS_OF, workers=1)
        prof.disable()
        seconds = time.perf_counter() - start
    print(f"{n} patients x {len(trials)} trials in one process (profiled): {seconds / n * 1000:.2f} ms/patient")
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(25)


# ---- driver -------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--baseline-max", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="Screening runs per size (the median is reported).")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work-dir", type=Path, help="Keep generated data here (default: a temporary directory).")
    ap.add_argument("--profile", type=int, help="Only profile the per-patient path on N patients.")
    ap.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    ns = ap.parse_args()
    if ns._child:
        mode, arg = ns._child
        if mode == "screen":
            child_screen(Path(arg), ns.workers)
        elif mode == "baseline":
            child_baseline(Path(arg))
        return
    if ns.profile:
        child_profile(ns.profile)
        return

    from fhir_eligibility.synth import write_population

    work = ns.work_dir or Path(tempfile.mkdtemp(prefix="bench-screen-"))
    print(f"machine: {os.cpu_count()} cores, workers={ns.workers}; as of {AS_OF}; seed {ns.seed}")
    baselines: dict[int, tuple[dict[str, Any], int]] = {}
    rows = []
    for n in ns.sizes:
        data = work / f"pop-{n}"
        if not (data / "Patient.ndjson").exists():
            t = time.perf_counter()
            write_population(data, n, seed=ns.seed, as_of=AS_OF)
            print(f"synth {n:>7} patients: {time.perf_counter() - t:6.1f} s, {_du(data) / 1e6:7.1f} MB NDJSON")
        rates, peak = [], 0
        for _ in range(ns.repeat):  # a shared 2-core VM is noisy: report every run and the median
            res, _wall, run_peak = run_measured(["--_child", "screen", str(data), "--workers", str(ns.workers)])
            rates.append(res["patients"] / res["seconds"])
            peak = max(peak, run_peak)
            print(
                f"screen   {res['patients']:>7} patients: {res['seconds']:7.1f} s  {rates[-1]:8.0f} patients/s  "
                f"peak RSS (tree) {run_peak / 1024:7.0f} MiB  (load average now {os.getloadavg()[0]:.1f})"
            )
        rate = statistics.median(rates)
        m = min(n, ns.baseline_max)
        if m not in baselines:
            base_dir = work / f"pop-{m}"
            if not (base_dir / "Patient.ndjson").exists():
                write_population(base_dir, m, seed=ns.seed, as_of=AS_OF)
            bres, _bwall, bpeak = run_measured(["--_child", "baseline", str(base_dir)])
            baselines[m] = (bres, bpeak)
            brate = bres["patients"] / bres["seconds"]
            print(
                f"baseline {bres['patients']:>7} patients: {bres['seconds']:7.1f} s  {brate:8.0f} patients/s  "
                f"peak RSS         {bpeak / 1024:7.0f} MiB  (read_patients + evaluate_patients, 1 core; "
                f"load average now {os.getloadavg()[0]:.1f})"
            )
        bres, bpeak = baselines[m]
        note = "" if m == n else f" (baseline on the first {m} patients = the {m} population)"
        rows.append((n, rate, peak, bres["patients"] / bres["seconds"], bpeak, note, rates))
    print()
    print(
        f"{'patients':>9}  {'screen p/s (median)':>19}  {'runs':>17}  {'screen peak MiB':>15}  "
        f"{'baseline p/s':>12}  {'baseline MiB':>12}"
    )
    for n, rate, peak, brate, bpeak, note, rates in rows:
        runs = "/".join(f"{r:.0f}" for r in rates)
        print(
            f"{n:>9}  {rate:>19.0f}  {runs:>17}  {peak / 1024:>15.0f}  {brate:>12.0f}  {bpeak / 1024:>12.0f}{note}"
        )
    if ns.work_dir is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir())


if __name__ == "__main__":
    main()
