"""``evaluate`` on worker processes gives the one-process report, byte for byte, whatever the number
of workers: the table/HTML/FHIR path (``evaluate_files``) and the streamed JSON (``stream_json``),
on the sample patients plus a synthetic population; and the pool keeps the order of its tasks."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fhir_eligibility.cli import render
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import WorkerDied
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.identity import IdentityPolicy
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.stream import stream_json
from fhir_eligibility.synth import write_population
from fhir_eligibility.workers import Executor

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_bundles"
AS_OF = dt.date(2026, 6, 1)
COMMAND = [sys.executable, "-m", "fhir_eligibility", "evaluate"]


@pytest.fixture(scope="module")
def trials() -> list[Trial]:
    return load_trials(None, None)


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("workers") / "ndjson"
    write_population(out, 240, seed=11, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def undated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample patient with an Observation that has no date: building its record adds a warning,
    in whichever process evaluates it (real exports have them: realdata's mCODE and Synthea)."""
    text = (SAMPLES / "01-prrt-ileal-net-baseline.json").read_text()
    bundle = json.loads(text.replace('"sample-01"', '"undated-01"').replace("Patient/sample-01", "Patient/undated-01"))
    obs = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    for key in [k for k in obs if k.startswith("effective") or k == "issued"]:
        del obs[key]
    out = tmp_path_factory.mktemp("undated")
    (out / "undated.json").write_text(json.dumps(bundle))
    return out


UNDATED = "Patient/undated-01: 1 Observation(s) with no date"


def _slow_echo(items: list[int]) -> list[int]:
    time.sleep(0.05 if items[0] % 3 == 0 else 0.0)  # early tasks finish last
    return [item * item for item in items]


def _square(item: int) -> int:
    return item * item


@pytest.mark.parametrize("share", [False, True])
@pytest.mark.parametrize("chunk", [1, 4])
def test_the_pool_gives_each_item_its_result_in_the_items_order(share: bool, chunk: int) -> None:
    with Executor(3, share=share) as ex:
        got = list(ex.map_in_order(_slow_echo, iter(range(20)), chunk))
    assert got == [(i, i * i) for i in range(20)]
    with Executor(1) as one:  # one worker: the calling process, the same answers
        assert list(one.map_in_order(_slow_echo, range(4))) == [(0, 0), (1, 1), (2, 4), (3, 9)]


def _where(items: list[int]) -> list[int]:
    time.sleep(0.02)
    return [os.getpid() for _ in items]


def test_a_sharing_caller_answers_items_itself_and_ships_the_rest() -> None:
    """With ``share`` the calling process is one of the workers: it answers items while the worker
    process is busy; without, it answers none."""
    with Executor(2, share=True) as ex:
        pids = [pid for _, pid in ex.map_in_order(_where, range(60), 3)]
    assert os.getpid() in pids and len(set(pids)) == 2
    with Executor(2) as ex:
        pids = [pid for _, pid in ex.map_in_order(_where, range(12), 3)]
    assert os.getpid() not in pids


@pytest.mark.parametrize("horizon", [0, 365])
def test_evaluate_files_on_workers_is_the_one_process_report(
    trials: list[Trial], population: Path, undated: Path, horizon: int
) -> None:
    paths = [SAMPLES, population, undated]
    settings = Settings(horizon_days=horizon)
    one = evaluate_files(paths, trials, AS_OF, settings, workers=1)
    assert len({r.patient for r in one.results}) >= 300  # samples and the synthetic population
    assert any(w.startswith(UNDATED) for w in one.warnings)  # a warning evaluating adds
    for workers in (2, 3):
        many = evaluate_files(paths, trials, AS_OF, settings, workers=workers)
        assert many == one
        assert render(many, "json") == render(one, "json")
    assert render(one, "table")  # renders


def test_streamed_json_is_the_same_on_any_number_of_workers(
    trials: list[Trial], population: Path, undated: Path, tmp_path: Path
) -> None:
    paths = [SAMPLES, population, undated]
    settings = Settings(horizon_days=30)
    policy = IdentityPolicy(deidentify=True)  # applied where the JSON is written: in the workers
    one = "".join(stream_json(paths, trials, AS_OF, settings, tmp_path, policy, workers=1))
    two = "".join(stream_json(paths, trials, AS_OF, settings, tmp_path, policy, workers=2))
    assert two == one
    assert '"collectFirst": [\n' in one and '"patientLabel"' not in one  # entries written; no labels
    assert UNDATED in one  # the warning evaluating added, in the worker
    # the in-memory report lists the same results (in read order; the stream's is the shards')
    in_memory = json.loads(render(policy.report(evaluate_files(paths, trials, AS_OF, settings, workers=2)), "json"))
    streamed = json.loads(one)
    assert sorted(map(json.dumps, streamed["results"])) == sorted(map(json.dumps, in_memory["results"]))
    assert len(streamed["results"]) >= 1500


def test_the_cli_writes_the_same_report_with_one_worker_or_two(tmp_path: Path) -> None:
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"report-{workers}.txt"
        proc = subprocess.run(
            [*COMMAND, str(SAMPLES), "--as-of", "2026-06-01", "--workers", workers, "-o", str(out)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    assert outputs[0].count("Patient/sample-") >= 100  # every sample patient is in it


def _dies_on_three(x: int) -> int:
    if x == 3:
        os._exit(1)  # as the OOM killer or a crash in a C extension ends a worker: no exception, no answer
    time.sleep(0.05)
    return x


def _all_die_on_three(xs: list[int]) -> list[int]:
    return [_dies_on_three(x) for x in xs]


@pytest.mark.parametrize("order", ["in_order", "unordered"])
def test_a_worker_that_dies_ends_the_run_with_one_error_not_a_wait_for_ever(order: str) -> None:
    """multiprocessing.Pool never answered the task of a worker that died: `screen` and `evaluate`
    waited for ever (seen after a worker was killed). The executor notices a worker ended."""
    start = time.monotonic()
    with pytest.raises(WorkerDied, match="worker process died"), Executor(2) as ex:
        if order == "in_order":
            list(ex.map_in_order(_all_die_on_three, range(20)))
        else:
            list(ex.map_unordered(_dies_on_three, range(20), in_flight=4))
    assert time.monotonic() - start < 30


ORPHAN = """
import os, sys, threading, time
from fhir_eligibility.workers import Executor
ex = Executor(2).__enter__()
threading.Thread(target=lambda: list(ex.map_unordered(time.sleep, [60, 60])), daemon=True).start()  # busy for a minute
time.sleep(0.5)
print(" ".join(str(w.process.pid) for w in ex._workers), flush=True)
os._exit(0)  # the parent goes without any clean-up (killed, or a shutdown that skipped the pool)
"""


def _alive_pid(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_do_not_outlive_their_parent() -> None:
    """Seen under load after Ctrl-C: a worker forked while the parent shut down was never stopped and
    outlived the run, holding its output pipes (a caller reading them waited for ever). A worker busy
    with a task when its parent goes would run it to the end; the kernel ends it (PR_SET_PDEATHSIG)."""
    out = subprocess.run([sys.executable, "-c", ORPHAN], cwd=ROOT, capture_output=True, text=True, timeout=60)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2, out.stderr
    deadline = time.monotonic() + 10
    while any(_alive_pid(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive_pid(p) for p in pids)


def _slow_len(payload: bytes) -> int:
    time.sleep(0.2)
    return len(payload)


def _slow_lens(payloads: list[bytes]) -> list[int]:
    return [_slow_len(p) for p in payloads]


@pytest.mark.parametrize("order", ["in_order", "unordered"])
def test_an_error_in_the_consumer_with_large_tasks_queued_ends_the_run_at_once(order: str) -> None:
    """Seen in CI: `evaluate --format json` failed while writing, and multiprocessing.Pool's clean-up
    waited for ever on its feeder thread, blocked writing a large task no (terminated) worker read."""
    payloads = (bytes(2_000_000) for _ in range(40))  # far above a pipe's buffer
    start = time.monotonic()
    with pytest.raises(OSError, match="reader gone"), Executor(2) as ex:
        results: Iterator[object] = (
            ex.map_in_order(_slow_lens, payloads) if order == "in_order" else ex.map_unordered(_slow_len, payloads, 8)
        )
        for got in results:
            assert got in (2_000_000, (bytes(2_000_000), 2_000_000))
            raise OSError("reader gone")
    assert time.monotonic() - start < 10
    assert not ex._workers  # all ended


def test_a_run_left_early_stops_its_busy_workers_and_a_new_run_starts_clean() -> None:
    with Executor(2) as ex:
        for got in ex.map_unordered(_slow_len, (bytes(100_000) for _ in range(10)), 4):
            assert got == 100_000
            break
    assert not ex._workers
    with Executor(2) as again:  # nothing left behind disturbs the next pool
        assert sorted(again.map_unordered(_square, range(6))) == [0, 1, 4, 9, 16, 25]


class _Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:  # pickled exceptions are rebuilt from args alone: fails
        super().__init__(f"{a}/{b}")


def _fails(x: int) -> int:
    if x == 2:
        raise ValueError(f"bad item {x}")
    if x == 4:
        raise _Unpicklable(x, x)
    return x


def _all_fail(xs: list[int]) -> list[int]:
    return [_fails(x) for x in xs]


def test_an_exception_in_a_task_is_raised_in_the_caller_at_its_turn() -> None:
    with Executor(2) as ex:
        got = ex.map_in_order(_all_fail, range(6))
        assert [next(got), next(got)] == [(0, 0), (1, 1)]
        with pytest.raises(ValueError, match="bad item 2"):
            next(got)
    with pytest.raises(RuntimeError, match="could not be read"), Executor(2) as ex:
        list(ex.map_in_order(_all_fail, [3, 4, 5]))


def _raising_after_two() -> Iterator[float]:
    yield 0.5
    yield 0.5
    raise OSError("the input broke")


def test_a_map_after_an_unfinished_one_is_refused_not_a_spin() -> None:
    """Workers still busy with an abandoned map's tasks would never be handed the next map's items."""
    with Executor(2) as ex:
        with pytest.raises(OSError, match="the input broke"):
            list(ex.map_unordered(time.sleep, _raising_after_two()))
        with pytest.raises(RuntimeError, match="a map left unfinished"):
            list(ex.map_unordered(abs, range(4)))
