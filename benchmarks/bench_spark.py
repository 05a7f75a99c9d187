"""The built-in screening engine vs the Spark engine (``local[2]``) on synthetic Bulk NDJSON.

For each size (default 100,000 patients; 1,000,000 takes hours on the 2-core VM) it generates
the population with ``fhir_eligibility.synth`` and runs each engine once in a fresh child
process, reporting:

    patients/s        patients / screening wall time (trials loaded beforehand; for Spark the
                      session start-up is excluded and shown on its own)
    first result      child start to report ready: both engines are batch jobs, their first
                      result is the report (Spark's includes its JVM start-up)
    driver peak       peak RSS of the driver process alone (the Python process that gets the
                      report): the kernel's high-water mark (getrusage), not a sample
    total peak        peak RSS of its whole process tree (built-in: its workers; Spark: the JVM
                      and its Python workers), sampled every 20 ms from /proc
    CPU s             CPU seconds (user + system) of the driver alone and of the whole tree (each
                      process's last sample from /proc): on a loaded machine the fairer cost

and whether the two engines' JSON counts and funnels are byte-identical. No assertions.
Linux only (/proc).

    .venv/bin/python benchmarks/bench_spark.py [--sizes 100000] [--master local[2]] [--workers 2]
        [--max-candidates N] [--engines builtin spark]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_screen import _children, _rss_kib, tree_rss_kib  # a sibling script, not a package

from fhir_eligibility.screening.core import MAX_CANDIDATES

FIVE_TRIALS = ["NCT04954820", "NCT05773274", "NCT04837885", "NCT05987176", "NCT01842165"]

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 6, 1)
STARTED = time.perf_counter()


TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _sample_cpu(root: int, cpu: dict[int, float]) -> None:
    """Each process of the tree's CPU seconds, kept at its last sample (the sum is the tree's)."""
    stack, seen = [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        cpu[pid] = max(cpu.get(pid, 0.0), _cpu_s(pid))
        stack.extend(_children(pid))


def run_child(args: list[str]) -> tuple[dict[str, Any], int, int, float]:
    """Run a child; return its JSON line, its own peak RSS and its tree's in KiB, its tree's CPU seconds."""
    proc = subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    peaks = [0, 0]
    cpu: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peaks[0] = max(peaks[0], _rss_kib(proc.pid))
            peaks[1] = max(peaks[1], tree_rss_kib(proc.pid))
            _sample_cpu(proc.pid, cpu)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed ({proc.returncode}):\n{err[-3000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    return res, max(peaks[0], res["driver_hwm_kib"]), max(peaks[1], res["driver_hwm_kib"]), sum(cpu.values())


def child(engine: str, data: Path, master: str, workers: int, out: Path, limit: int) -> None:
    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.report.screening import screening_json

    trials = load_trials(only=FIVE_TRIALS)  # the README rows measure the five original trials
    startup = 0.0
    if engine == "spark":
        from fhir_eligibility.spark.engine import screen_spark
        from fhir_eligibility.spark.session import start_session

        t = time.perf_counter()
        session = start_session(master)
        startup = time.perf_counter() - t
        start = time.perf_counter()
        report = screen_spark([str(data)], trials, AS_OF, session=session, source="bench", max_candidates=limit)
        seconds = time.perf_counter() - start
        session.stop()
    else:
        from fhir_eligibility.screening.runner import screen_files

        start = time.perf_counter()
        report = screen_files([data], trials, AS_OF, workers=workers, source="bench", max_candidates=limit)
        seconds = time.perf_counter() - start
    first = time.perf_counter() - STARTED
    own = os.times()
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    body = screening_json(report)
    out.write_text(json.dumps([{k: t[k] for k in ("trial", "counts", "funnel")} for t in body["trials"]]))
    (out.parent / f"{out.stem}-full.json").write_text(json.dumps(body, sort_keys=True))
    print(
        json.dumps(
            {
                "patients": report.patients,
                "seconds": seconds,
                "startup": startup,
                "first": first,
                "driver_cpu": own.user + own.system,
                "driver_hwm_kib": hwm,
                "candidates": sum(len(t.candidates) for t in report.trials),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--workers", type=int, default=2, help="Built-in engine worker processes.")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-candidates", type=int, default=MAX_CANDIDATES, help="Candidates listed per trial.")
    ap.add_argument("--engines", nargs="+", default=["builtin", "spark"], choices=["builtin", "spark"])
    ap.add_argument("--work-dir", type=Path, help="Keep generated data here (default: a temporary directory).")
    ap.add_argument("--_child", nargs=3, help=argparse.SUPPRESS)
    ns = ap.parse_args()
    if ns._child:
        engine, data, out = ns._child
        child(engine, Path(data), ns.master, ns.workers, Path(out), ns.max_candidates)
        return

    from fhir_eligibility.synth import write_population

    work = ns.work_dir or Path(tempfile.mkdtemp(prefix="bench-spark-"))
    print(f"machine: {os.cpu_count()} cores; built-in workers={ns.workers}; spark {ns.master}; as of {AS_OF}")
    rows = []
    for n in ns.sizes:
        data = work / f"pop-{n}"
        if not (data / "Patient.ndjson").exists():
            t = time.perf_counter()
            write_population(data, n, seed=ns.seed, as_of=AS_OF)
            size = sum(f.stat().st_size for f in data.iterdir())
            print(f"synth {n} patients: {time.perf_counter() - t:.0f} s, {size / 1e6:.0f} MB NDJSON")
        counts, full = {}, {}
        for engine in ns.engines:
            out = work / f"{engine}-{n}.json"
            res, driver, tree, cpu = run_child(
                [
                    *("--_child", engine, str(data), str(out), "--master", ns.master, "--workers", str(ns.workers)),
                    *("--max-candidates", str(ns.max_candidates)),
                ]
            )
            counts[engine] = out.read_bytes()
            full[engine] = (out.parent / f"{out.stem}-full.json").read_bytes()
            rate = res["patients"] / res["seconds"]
            rows.append((n, engine, rate, res, driver, tree, cpu))
            print(
                f"{engine:<8} {res['patients']:>8} patients: {res['seconds']:7.1f} s  {rate:6.0f} patients/s  "
                f"start-up {res['startup']:5.1f} s  first result {res['first']:7.1f} s  "
                f"driver {driver / 1024:6.0f} MiB {res['driver_cpu']:6.0f} CPU-s  "
                f"total {tree / 1024:6.0f} MiB {cpu:6.0f} CPU-s  candidates {res['candidates']}  "
                f"(load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
        if len(counts) == 2:
            same = counts["builtin"] == counts["spark"]
            print(f"{n} patients: JSON counts and funnels byte-identical: {'yes' if same else 'NO'}")
            same = full["builtin"] == full["spark"]
            print(f"{n} patients: whole JSON reports byte-identical: {'yes' if same else 'NO'}", flush=True)
    print()
    print(
        "| patients | engine | patients/s | start-up s | first result s | driver peak MiB | driver CPU s "
        "| total peak MiB | total CPU s | candidates listed |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, engine, rate, res, driver, tree, cpu in rows:
        print(
            f"| {n:,} | {engine} | {rate:.0f} | {res['startup']:.0f} | {res['first']:.0f} | "
            f"{driver / 1024:.0f} | {res['driver_cpu']:.0f} | {tree / 1024:.0f} | {cpu:.0f} | {res['candidates']:,} |"
        )
    if ns.work_dir is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
