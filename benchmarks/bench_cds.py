"""Latency of a CDS Hooks patient-view call: full prefetch vs falling back to the FHIR server.

Starts the real Medplum FHIR server on 127.0.0.1 (seeded with sample_bundles/*.json) and the CDS
service under uvicorn with authentication on (a fresh ES384 JWT per call, as an EHR sends), then
sends sequential patient-view calls cycling through the sample patients:

    full prefetch    every template answered beforehand (by running it against Medplum, as an EHR would)
    server fallback  no prefetch: the service fetches every key from Medplum with the EHR's token

Prints p50/p95/p99 (ms) per mode, measured at the client (HTTP included). No assertions.

    .venv/bin/python benchmarks/bench_cds.py [--requests 200] [--warmup 20] [--patients 0 (= all)]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
# appended, not prepended: the interpreter's installed package (the compiled one in .venv-demo) is
# what is measured; the checkout only provides the tests' helpers
sys.path.append(str(ROOT))

import fhir_eligibility.evaluation.trial as core  # noqa: E402
from tests.service.support import (  # noqa: E402
    ClientKeys,
    LiveServer,
    auth_config,
    hook_body,
    patients_of,
    server_prefetch,
)
from tests.support.fhir_servers import seed, start_medplum  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run(
    server: LiveServer, keys: ClientKeys, bodies: list[dict[str, Any]], n: int, warmup: int
) -> tuple[list[float], dict[int, int]]:
    session = requests.Session()
    times: list[float] = []
    statuses: dict[int, int] = {}
    for i in range(warmup + n):
        body = dict(bodies[i % len(bodies)])
        body["hookInstance"] = hook_body("x")["hookInstance"]
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {keys.token(server.service_url)}"}
        t0 = time.perf_counter()
        r = session.post(server.service_url, data=data, headers=headers, timeout=60)
        elapsed = (time.perf_counter() - t0) * 1000
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if i >= warmup:
            times.append(elapsed)
    return times, statuses


def report(name: str, times: list[float], statuses: dict[int, int], size: float) -> None:
    print(
        f"{name:<16} n={len(times):<5} p50={percentile(times, 50):7.1f}  p95={percentile(times, 95):7.1f}  "
        f"p99={percentile(times, 99):7.1f}  mean={statistics.fmean(times):7.1f} ms  "
        f"request body ~{size / 1024:.0f} KiB  statuses={statuses}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--patients", type=int, default=0, help="number of sample patients to cycle through (0 = all)")
    args = ap.parse_args()

    samples = sorted((ROOT / "sample_bundles").glob("*.json"))
    if not samples:
        sys.exit("no sample_bundles/*.json to benchmark with")
    if args.patients:
        samples = samples[: args.patients]
    medplum = start_medplum()
    try:
        seed(medplum.base_url, samples)
        patient_ids = [p.patient_id for path in samples for p in patients_of(path)]
        keys = ClientKeys()
        with tempfile.TemporaryDirectory() as tmp:
            config = auth_config(keys, Path(tmp), definitions=(), allow_fhir_servers=(medplum.base_url,))
            with LiveServer(config) as server:
                disc = server.base + "/cds-services"
                templates = requests.get(
                    disc, headers={"Authorization": f"Bearer {keys.token(disc)}"}, timeout=30
                ).json()["services"][0]["prefetch"]
                full = [
                    hook_body(pid, server_prefetch(templates, medplum.base_url, pid), fhir_server=medplum.base_url)
                    for pid in patient_ids
                ]
                fallback = [
                    hook_body(pid, {}, fhir_server=medplum.base_url, access_token="bench") for pid in patient_ids
                ]
                n_trials = len(server.app.state.service.trials)
                print(
                    f"CDS Hooks patient-view, {len(patient_ids)} sample patients, {n_trials} trial(s), "
                    f"{len(templates)} prefetch keys, JWT auth on, Medplum on 127.0.0.1, sequential calls; "
                    f"core: {Path(core.__file__).name} (.so: compiled)"
                )
                for name, bodies in (("full prefetch", full), ("server fallback", fallback)):
                    times, statuses = run(server, keys, bodies, args.requests, args.warmup)
                    size = statistics.fmean(len(json.dumps(b)) for b in bodies)
                    report(name, times, statuses, size)
    finally:
        medplum.stop()


if __name__ == "__main__":
    main()
