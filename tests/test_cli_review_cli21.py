"""Findings of review 21 on the command line: a ``--workers`` request beyond the tasks and the usable
CPUs, definitions that hold no trial, an identifier value in a warning, a password in a refused URL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.errors import InputError
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.retrieval.urlpolicy import UnsafeUrl, target

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
CPUS = len(os.sched_getaffinity(0))


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[BaseProcess]:
    """Every process started in this test (the workers' pools start theirs through BaseProcess.start)."""
    started: list[BaseProcess] = []
    original = BaseProcess.start

    def start(self: BaseProcess) -> None:
        started.append(self)
        original(self)

    monkeypatch.setattr(BaseProcess, "start", start)
    return started


@pytest.mark.parametrize("command", ["evaluate", "screen"])
def test_workers_beyond_the_tasks_and_cpus_start_no_more_processes(command: str, starts: list[BaseProcess]) -> None:
    r = CliRunner().invoke(cli, [command, str(SAMPLE), "--as-of", "2026-06-01", "--workers", "64"])
    assert r.exit_code == 0, r.output
    assert len(starts) <= min(CPUS, 1)  # one file of one patient: one task
    assert (f"--workers 64: {CPUS} usable CPU(s)" in r.stderr) is (CPUS < 64)  # one line, when lowered


def test_a_request_within_the_cpus_says_nothing(starts: list[BaseProcess]) -> None:
    r = CliRunner().invoke(cli, ["evaluate", str(SAMPLE), "--as-of", "2026-06-01", "--workers", "1"])
    assert r.exit_code == 0 and "--workers" not in r.stderr and not starts


SLOW_START = textwrap.dedent(
    """
    import signal, sys, time
    from multiprocessing.process import BaseProcess
    from fhir_eligibility.cli import _terminate, Terminated
    from fhir_eligibility.workers import Executor

    original = BaseProcess.start
    def slow(self):  # a start-up that takes long (memory pressure, 1,000 workers)
        original(self)
        print(self.pid, flush=True)
        time.sleep(0.2)
    BaseProcess.start = slow
    signal.signal(signal.SIGTERM, _terminate)
    print("starting", flush=True)
    try:
        with Executor(40):
            print("started", flush=True)
    except Terminated:
        sys.exit(143)
    """
)


def test_sigterm_while_the_pool_starts_ends_the_run_promptly_with_no_worker_left() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_START], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None and proc.stdout.readline() == "starting\n"
    time.sleep(0.6)
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, (out, err)
    assert time.monotonic() - sent < 3 and "started" not in out and "Traceback" not in err
    pids = [int(line) for line in out.split()]
    assert 0 < len(pids) < 40
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def _patient_bundle(tmp_path: Path) -> Path:
    path = tmp_path / "patient.json"
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01"}
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}))
    return path


@pytest.mark.parametrize("kind", ["empty folder", "patient bundle"])
@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", str(SAMPLE), "--as-of", "2026-06-01", "--definitions"],
        ["screen", str(SAMPLE), "--as-of", "2026-06-01", "--workers", "1", "--definitions"],
        ["trials", "--definitions"],
        ["show", "NCT04954820", "--definitions"],
        ["validate"],
    ],
)
def test_definitions_with_no_trial_are_exit_1_not_an_empty_report(tmp_path: Path, kind: str, args: list[str]) -> None:
    where = tmp_path / "defs"
    where.mkdir()
    if kind == "patient bundle":
        where = _patient_bundle(where)
    r = CliRunner().invoke(cli, [*args, str(where)])
    assert r.exit_code == 1, r.output
    assert f"no trial definitions in {where}" in str(r.exception)


def _leak(tmp_path: Path) -> Path:
    """A Condition whose subject is a conditional reference by an MRN no Patient of the Bundle carries."""
    bundle = json.loads(SAMPLE.read_text())
    condition = {
        "resourceType": "Condition",
        "id": "c11",
        "subject": {"reference": "Patient?identifier=urn:mrn|MRN9191"},
        "code": {"text": "x"},
    }
    bundle["entry"].append({"resource": condition})
    path = tmp_path / "leak.json"
    path.write_text(json.dumps(bundle))
    return path


def test_an_unresolvable_reference_by_identifier_is_named_by_its_kind_never_its_value(tmp_path: Path) -> None:
    path = _leak(tmp_path)
    _patients, warnings = read_patients([path])
    said = [w for w in warnings if "Condition/c11" in w]
    assert said == [
        f"{path}: patient reference not resolvable; resource ignored"
        " (Condition/c11, a conditional reference by identifier)"
    ]
    for command in (["evaluate"], ["screen", "--workers", "1"]):
        for deidentify in ([], ["--deidentify"]):
            r = CliRunner().invoke(cli, [*command, str(path), "--as-of", "2026-06-01", "--format", "json", *deidentify])
            assert r.exit_code == 0 and "MRN9191" not in r.output + r.stderr, (command, deidentify)
            assert "Condition/c11" in r.output + r.stderr


def test_a_refused_url_never_shows_its_user_information() -> None:
    for url in ("http://user:SECRETPW@127.0.0.1:18471", "http://user:SECRET/PW@127.0.0.1:18471/fhir?x=1"):
        with pytest.raises(UnsafeUrl) as refused:
            target(url)
        assert "SECRET" not in str(refused.value) and "user" not in str(refused.value).split(":", 1)[1]
        assert "127.0.0.1:18471" in str(refused.value)
    r = CliRunner().invoke(
        cli, ["evaluate", "--server", "http://user:SECRETPW@127.0.0.1:18471", "--patient", "x", "--as-of", "2026-06-01"]
    )
    assert isinstance(r.exception, InputError) and r.exception.exit_code == 2
    assert "SECRETPW" not in r.output + str(r.exception) and "127.0.0.1:18471" in str(r.exception)
