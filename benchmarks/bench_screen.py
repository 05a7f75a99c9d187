"""Population screening throughput, CPU time and memory, before and after, against the I/O floor.

Generates a synthetic Bulk NDJSON population per size with ``fhir_eligibility.synth``
(deterministic; patient i does not depend on N), then for each side (an interpreter, optionally
with a PYTHONPATH: the same benchmark run on another commit, e.g. main) runs, each in a fresh
child process so one measurement's heap cannot inflate the next:

    screen   screening.runner.screen_files (partition to shards, worker processes, tally) on the
             five trials named by --trials (definitions/ may hold more), with `screen`'s settings
             (--horizon 30 by default: who becomes eligible or lapses within 30 days)
    floor    read every NDJSON line, parse it with orjson and group the resources by patient:
             what no screening can go below (once per size, with the first side's interpreter)

and prints, per side and size, the median of --repeat runs: patients per wall second, patients
per CPU second (the child and its workers: user + system; the robust figure on a shared, noisy
machine), the ratio to the floor measured in the same session, and the peak RSS of the process
tree (child and workers summed, sampled every 20 ms from /proc). Each side names the module it
screened with (``.so``: the mypyc-compiled core). No assertions. Linux only (/proc).

    .venv/bin/python benchmarks/bench_screen.py --sizes 20000 100000 --repeat 3 1 \
        --side before=.venv/bin/python:/tmp/perf-base --side after=.venv-demo/bin/python
    .venv/bin/python benchmarks/bench_screen.py --profile 2000   # cProfile of the per-patient path
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
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
TRIALS = ["NCT04954820", "NCT05773274", "NCT04837885", "NCT05987176", "NCT01842165"]


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


def run_measured(python: str, path: str, args: list[str]) -> tuple[dict[str, Any], float, int]:
    """Run a child; return its JSON line, wall seconds, and the tree's peak RSS in KiB."""
    start = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | ({"PYTHONPATH": path} if path else {})
    proc = subprocess.Popen(
        [python, __file__, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
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


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the worker pools), user + system."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def child_screen(data: Path, workers: int, trial_ids: list[str], horizon: int) -> None:
    import fhir_eligibility.evaluation.trial as core
    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.evaluation.engine import Settings
    from fhir_eligibility.screening.runner import screen_files

    trials = [t for t in load_trials([ROOT / "definitions"]) if t.id in trial_ids]
    settings = Settings(explain=False, horizon_days=horizon)  # as `screen` builds them
    start, cpu = time.perf_counter(), _cpu()
    report = screen_files([data], trials, AS_OF, settings, workers=workers)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    counts = {t.trial: {**t.counts, "becoming": t.becoming, "lapsing": t.lapsing} for t in report.trials}
    out = {"patients": report.patients, "seconds": seconds, "cpu": cpu, "counts": counts, "core": core.__file__}
    print(json.dumps(out))


def child_floor(data: Path) -> None:
    """Read and orjson-parse every line, group the resources by patient: the I/O floor.

    The cyclic garbage collector is off: holding every parsed resource, it rescans them all again
    and again (3x the time at 20,000 patients), which no screening pays (workers hold one shard and
    collect rarely). Measured with it on, the floor looked 3x lower than it is."""
    import gc

    import orjson

    gc.disable()
    start, cpu = time.perf_counter(), _cpu()
    by_patient: dict[str, list[dict[str, Any]]] = {}
    for f in sorted(data.glob("*.ndjson")):
        with open(f, "rb") as fh:
            for line in fh:
                r = orjson.loads(line)
                if r.get("resourceType") == "Patient":
                    key = r.get("id", "")
                else:
                    ref = r.get("subject") or r.get("patient") or {}
                    key = ref.get("reference", "").rpartition("/")[2]
                by_patient.setdefault(key, []).append(r)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    print(json.dumps({"patients": len(by_patient), "seconds": seconds, "cpu": cpu}))


def child_profile(n: int) -> None:
    import cProfile
    import pstats

    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.screening.runner import screen_files
    from fhir_eligibility.synth import write_population

    trials = [t for t in load_trials([ROOT / "definitions"]) if t.id in TRIALS]
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
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--repeat", type=int, nargs="+", default=[3, 1], help="Runs per size (median reported).")
    ap.add_argument("--side", action="append", help="NAME=PYTHON[:PYTHONPATH] (default: this interpreter)")
    ap.add_argument("--trials", nargs="+", default=TRIALS)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--horizon", type=int, default=30, help="days ahead for becoming/lapsing counts, as `screen` (0: off)"
    )
    ap.add_argument("--work-dir", type=Path, help="Keep generated data here (default: a temporary directory).")
    ap.add_argument("--profile", type=int, help="Only profile the per-patient path on N patients.")
    ap.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    ns = ap.parse_args()
    if ns._child:
        mode, arg = ns._child
        if mode == "screen":
            child_screen(Path(arg), ns.workers, ns.trials, ns.horizon)
        elif mode == "floor":
            child_floor(Path(arg))
        return
    if ns.profile:
        child_profile(ns.profile)
        return

    from fhir_eligibility.synth import write_population

    sides = []
    for spec in ns.side or [f"this={sys.executable}"]:
        name, _, rest = spec.partition("=")
        python, _, path = rest.partition(":")
        sides.append((name, str(Path(python).absolute()) if "/" in python else python, path))
    work = ns.work_dir or Path(tempfile.mkdtemp(prefix="bench-screen-"))
    print(
        f"machine: {os.cpu_count()} cores, workers={ns.workers}; as of {AS_OF}; seed {ns.seed}; "
        f"horizon {ns.horizon} days; trials {ns.trials}"
    )
    rows = []
    for n, repeat in zip(ns.sizes, ns.repeat + [ns.repeat[-1]] * len(ns.sizes), strict=False):
        data = work / f"pop-{n}"
        if not (data / "Patient.ndjson").exists():
            t = time.perf_counter()
            write_population(data, n, seed=ns.seed, as_of=AS_OF)
            print(f"synth {n:>7} patients: {time.perf_counter() - t:6.1f} s, {_du(data) / 1e6:7.1f} MB NDJSON")
        floor, _w, _p = run_measured(sides[0][1], sides[0][2], ["--_child", "floor", str(data)])
        floor_rate, floor_cpu = floor["patients"] / floor["seconds"], floor["patients"] / floor["cpu"]
        print(
            f"floor    {n:>7} patients: {floor['seconds']:6.2f} s  {floor_rate:7.0f} patients/s  "
            f"{floor_cpu:7.0f} patients/CPU-s  (orjson read+group, one process)"
        )
        counts = None
        for name, python, path in sides:
            runs = []
            for _ in range(repeat):  # a shared 2-core VM is noisy: report every run and the median
                res, _wall, peak = run_measured(
                    python,
                    path,
                    ["--_child", "screen", str(data), "--workers", str(ns.workers), "--horizon", str(ns.horizon)],
                )
                runs.append((res["patients"] / res["seconds"], res["patients"] / res["cpu"], peak))
                print(
                    f"{name:<8} {res['patients']:>7} patients: {res['seconds']:6.1f} s  {runs[-1][0]:7.0f} patients/s  "
                    f"{runs[-1][1]:7.0f} patients/CPU-s  peak RSS {peak / 1024:5.0f} MiB  "
                    f"(load {os.getloadavg()[0]:.1f}; {Path(res['core']).name})"
                )
                if counts is not None and res["counts"] != counts:
                    print(f"!! {name}: counts differ from the first side's")
                counts = res["counts"]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            rows.append((n, name, wall, cpu, floor_rate / wall, floor_cpu / cpu, max(r[2] for r in runs), len(runs)))
    print()
    head = ("patients", "side", "patients/s", "patients/CPU-s", "x floor (wall, CPU)", "peak MiB", "runs")
    print("{:>9}  {:<8}  {:>10}  {:>14}  {:>19}  {:>8}  {}".format(*head))
    for n, name, wall, cpu, ratio, cpu_ratio, peak, k in rows:
        floors = f"{ratio:.1f}, {cpu_ratio:.1f}"
        print(f"{n:>9}  {name:<8}  {wall:>10.0f}  {cpu:>14.0f}  {floors:>19}  {peak / 1024:>8.0f}  {k}")
    if ns.work_dir is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir())


if __name__ == "__main__":
    main()
