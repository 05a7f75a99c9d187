"""The ``screen`` command at its edges: argument errors, output files, no progress bar off a
terminal, and Ctrl-C (workers stopped, temporary shards removed, exit 130, no traceback)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fhir_eligibility.report.screening import CSV_COLUMNS
from fhir_eligibility.synth import write_population
from tests.screening.helpers import AS_OF, ROOT, invoke

MINI = ROOT / "tests" / "fixtures" / "mini"
RUN = (
    "from fhir_eligibility.cli import cli, main\n"
    "from fhir_eligibility.screening.command import register\n"
    "if __name__ == '__main__':\n"
    "    'screen' in cli.commands or register(cli)\n"
    "    main()\n"
)


def run_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_needs_paths_or_server_not_both() -> None:
    assert invoke("screen").exit_code == 2
    out = invoke("screen", "x.ndjson", "--server", "http://127.0.0.1:1/fhir")
    assert out.exit_code == 2 and "either PATH" in out.output


def test_csv_to_file_and_trial_selection(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_population(data, 40, seed=2)
    target = tmp_path / "out.csv"
    out = invoke(
        "screen", str(data), "--definitions", str(MINI), "--trial", "NCT00000001",
        "--as-of", AS_OF, "--format", "csv", "-o", str(target), "--workers", "1",
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(target.read_text())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert {r[0] for r in rows[1:]} <= {"NCT00000001"}
    assert "\x1b[" not in out.output  # no progress bar when stderr is not a terminal


def test_csv_says_its_warnings_on_stderr(tmp_path: Path) -> None:
    """A CSV holds rows only: a bad record (or a list cut by --max-candidates) was said nowhere (the
    other formats carry the report's warnings; outputs review)."""
    data = tmp_path / "data"
    write_population(data, 40, seed=2)
    with (data / "Observation.ndjson").open("a") as f:
        f.write('{"resourceType": "Foo"}\n')
    target = tmp_path / "out.csv"
    out = invoke(
        "screen", str(data), "--definitions", str(MINI), "--as-of", AS_OF, "--format", "csv", "-o", str(target),
        "--workers", "1",
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "warning:" in out.stderr and "Foo" in out.stderr


def test_unknown_trial_is_an_error(tmp_path: Path) -> None:
    write_population(tmp_path / "d", 3)
    out = run_cli(["screen", str(tmp_path / "d"), "--definitions", str(MINI), "--trial", "NCT9"])
    assert out.returncode == 1 and "unknown trial" in out.stderr and "Traceback" not in out.stderr


def test_json_on_stdout_via_the_console_entry(tmp_path: Path) -> None:
    write_population(tmp_path / "d", 20, seed=8)
    out = run_cli(["screen", str(tmp_path / "d"), "--definitions", str(MINI), "--as-of", AS_OF, "--format", "json"])
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["patients"] == 20 and data["trials"][0]["trial"] == "NCT00000001"


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="POSIX signals")
def test_ctrl_c_stops_workers_cleans_up_and_exits_130(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_population(data, 6000, seed=4)  # a few seconds of work: the interrupt lands mid-run
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, "screen", str(data), "--as-of", AS_OF, "--workers", "2",
         "--temp-dir", str(scratch), "--format", "json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(scratch.rglob("shard-*")) and time.monotonic() < deadline:  # wait until shards are being screened
        time.sleep(0.1)
    time.sleep(0.3)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: the whole process group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and out == ""
    assert list(scratch.iterdir()) == []  # shard files removed
    children = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True, check=False)
    assert children.stdout.strip() == ""  # no worker left behind


def test_a_screen_whose_shards_would_fill_the_disk_stops_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from fhir_eligibility import disk
    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.errors import OutputError
    from fhir_eligibility.screening.runner import screen_files

    monkeypatch.setattr(disk, "_usage", lambda _p: type("Usage", (), {"free": disk.RESERVE_BYTES + 1000})())
    with pytest.raises(OutputError, match="--temp-dir names another"):
        screen_files([ROOT / "sample_bundles"], load_trials(None, None), AS_OF, workers=1)
