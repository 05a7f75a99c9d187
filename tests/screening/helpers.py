"""Shared by the screening tests: a CLI group with ``screen``/``synth``, and per-trial tallies of
``evaluate --format json`` output to compare screenings with."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner, Result

from fhir_eligibility.cli import cli
from fhir_eligibility.screening.command import register

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_bundles"
AS_OF = "2026-06-01"


def group() -> click.Group:
    """The CLI's commands plus ``screen``/``synth`` as ``register`` adds them (the real group is left alone)."""
    g = click.Group("fhir-eligibility", commands=dict(cli.commands))
    register(g)
    return g


def invoke(*args: str) -> Result:
    return CliRunner().invoke(group(), list(args), catch_exceptions=False)


def evaluate_json(paths: list[Path]) -> dict[str, Any]:
    # the screening's default horizon: its dates must be evaluate's (issue 16)
    out = invoke("evaluate", *map(str, paths), "--as-of", AS_OF, "--format", "json", "--horizon", "30")
    assert out.exit_code == 0, out.output
    data: dict[str, Any] = json.loads(out.output)
    return data


def expected_from_evaluate(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per trial, from per-patient results: verdict counts, per-criterion result counts, candidates
    (not ineligible, or ineligible but eligible within the horizon) with their dates."""
    by_trial: dict[str, dict[str, Any]] = {}
    dead: Counter[str] = Counter()  # per trial, patients deceased: no other criterion evaluated for them
    for r in data["results"]:
        t = by_trial.setdefault(r["trial"], {"counts": Counter(), "funnel": {}, "candidates": {}})
        t["counts"][r["verdict"]] += 1
        dead[r["trial"]] += any(c["id"] == "deceased" and c["result"] == "fail" for c in r["criteria"])
        for c in r["criteria"]:
            t["funnel"].setdefault(c["id"], Counter())[c["result"]] += 1
        if r["verdict"] != "ineligible" or r["eligibleFrom"]:
            missing = sorted(f"{m['criterion']}: {m['what']} ({m['window']})" for m in r["missingData"])
            t["candidates"][r["patient"]] = (r["verdict"], missing, r["eligibleFrom"], r["eligibleUntil"])
    for trial, t in by_trial.items():  # the vital-status row: patients with no "deceased" result were alive (pass)
        if "deceased" in t["funnel"]:
            t["funnel"]["deceased"]["pass"] = sum(t["counts"].values()) - sum(t["funnel"]["deceased"].values())
        for cid, row in t["funnel"].items():  # the other rows did not evaluate the deceased
            if cid != "deceased" and dead[trial]:
                row["notEvaluated"] = dead[trial]
    return by_trial


def actual_from_screen(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for t in report["trials"]:
        out[t["trial"]] = {
            "counts": Counter({k: v for k, v in t["counts"].items() if v}),
            "funnel": {
                f["criterion"]: Counter({k: v for k, v in f.items() if k not in ("criterion", "description") and v})
                for f in t["funnel"]
            },
            "candidates": {
                c["patient"]: (c["verdict"], sorted(c["missing"]), c["eligibleFrom"], c["eligibleUntil"])
                for c in t["candidates"]
            },
        }
    return out
