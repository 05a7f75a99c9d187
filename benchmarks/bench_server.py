"""HTTP requests per patient and patients/s against a real local FHIR server (Medplum on 127.0.0.1):
the planned approach (one batch Bundle per patient, only the codes the trials need) side by side with
the naive one (one search per criterion), in the same run, on the same seeded population.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.naive_plan import naive_search_plan  # noqa: E402
from fhir_eligibility.criteria.load import load_trials  # noqa: E402
from fhir_eligibility.pipeline import evaluate_patients  # noqa: E402
from fhir_eligibility.requirements.plan import plan  # noqa: E402
from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients  # noqa: E402
from tests.support.fhir_servers import seed, start_medplum  # noqa: E402

FIVE_TRIALS = ["NCT04954820", "NCT05773274", "NCT04837885", "NCT05987176", "NCT01842165"]

AS_OF = dt.date(2026, 6, 1)


def population(n: int) -> tuple[list[dict[str, Any]], list[str]]:
    templates = [json.loads(f.read_text()) for f in sorted((ROOT / "sample_bundles").glob("*.json"))]
    bundles, ids = [], []
    for i in range(n):
        text = json.dumps(templates[i % len(templates)])
        pid = next(
            e["resource"]["id"]
            for e in templates[i % len(templates)]["entry"]
            if e["resource"]["resourceType"] == "Patient"
        )
        new = f"bench-{i}"
        text = text.replace(f'"{pid}"', f'"{new}"').replace(f"Patient/{pid}", f"Patient/{new}")
        # every resource id must be unique on the server
        bundle = json.loads(text)
        for e in bundle["entry"]:
            r = e["resource"]
            if r["resourceType"] != "Patient" and r.get("id"):
                r["id"] = f"{r['id']}-{i}"[:64]
            if r.get("id"):  # keep our ids on the server (POST would assign new ones)
                e["request"] = {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}
        bundles.append(bundle)
        ids.append(new)
    return bundles, ids


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.n += 1


def run_planned(base: str, ids: list[str], trials: list[Any], batch: str) -> tuple[int, float]:
    counter = Counter()
    session = requests.Session()
    session.hooks["response"].append(counter.hook)
    requirements = plan(trials, AS_OF)
    start = time.perf_counter()
    report = evaluate_patients(
        fetch_patients(
            ServerOptions(base_url=base, batch=batch, use_env_token=False), ids, requirements, session=session
        ),
        trials,
        AS_OF,
    )
    assert len(report.results) == len(ids) * len(trials)
    return counter.n, time.perf_counter() - start


def run_naive(base: str, ids: list[str], trials: list[Any]) -> tuple[int, float]:
    """One search per criterion (per code group), following next links: what a per-criterion engine does."""
    session = requests.Session()
    requirements = plan(trials, AS_OF)
    n = 0
    start = time.perf_counter()
    for pid in ids:
        for search in naive_search_plan(pid, requirements):
            url: str | None = f"{base}/{search.url}"
            while url:
                body = session.get(url, timeout=60).json()
                n += 1
                url = next((link["url"] for link in body.get("link", []) if link.get("relation") == "next"), None)
    return n, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, default=200)
    args = ap.parse_args()
    trials = load_trials(only=FIVE_TRIALS)  # the README rows measure the five original trials
    bundles, ids = population(args.patients)
    server = start_medplum()
    try:
        t = time.perf_counter()
        seed(server.base_url, bundles)
        print(f"seeded {len(ids)} patients in {time.perf_counter() - t:.1f} s ({server.base_url})")
        rows = [
            ("batch (planned)", *run_planned(server.base_url, ids, trials, "always")),
            ("GETs (planned, no batch)", *run_planned(server.base_url, ids, trials, "never")),
            ("naive (one search per criterion)", *run_naive(server.base_url, ids, trials)),
        ]
    finally:
        server.stop()
    print(f"{'approach':<36}{'requests':>10}{'req/patient':>13}{'patients/s':>12}")
    for name, n, secs in rows:
        print(f"{name:<36}{n:>10}{n / len(ids):>13.2f}{len(ids) / secs:>12.1f}")


if __name__ == "__main__":
    main()
