"""The command line on bad input, bad output targets and signals, in real processes (tracebacks and
exit codes as a user sees them): a sample of the generated corpus through ``evaluate`` and
``screen``, ``-o`` atomic (missing folder, a directory, /dev/full, a failed run), a full stdout (exit 2) and a closed
one (a silent exit 0),
SIGTERM during ``screen`` and a streamed ``evaluate``, counted warnings, and the documented choice
among duplicate Patients."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.retrieval.reading import WarningLog
from fhir_eligibility.screening.partition import partition, read_shard
from fhir_eligibility.synth import write_population
from tests.hardening.bad_inputs_base import bundle, resources, write_bundle, write_ndjson
from tests.hardening.test_bad_inputs import CASES

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--as-of", "2026-06-01", "--trial", "NCT04837885"]
SUBPROCESS_CASES = [  # the traceback-prone ones of issue 12 item 8, and the folder oddities of item 15
    "entry int",
    "10^5-deep JSON",
    "value 100,000 digits",
    "ndjson invalid UTF-8 Observation line",
    "bundle MedicationAdministration.medicationReference=string",
    "FIFO in folder",
]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )


def one_line_error(stderr: str) -> bool:
    return "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1 and stderr.startswith("error: ")


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_corpus_sample_in_real_processes(name: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == name)
    (tmp_path / "in").mkdir()
    paths = [str(p) for p in case.build(tmp_path / "in")]
    for command in (["evaluate", "--format", "json"], ["screen", "--format", "json", "--workers", "2"]):
        out = cli(*command, *paths, *ARGS)
        assert out.returncode == case.exit_code, (command, out.stderr)
        assert "Traceback" not in out.stderr + out.stdout
        if case.exit_code == 2:
            assert one_line_error(out.stderr), out.stderr
        else:
            json.loads(out.stdout)


def test_output_to_a_missing_folder_a_directory_or_a_full_disk(tmp_path: Path) -> None:
    data = write_bundle(tmp_path, bundle())[0]
    for target in (tmp_path / "no" / "such" / "out.json", tmp_path, Path("/dev/full")):
        for command in ("evaluate", "screen"):
            out = cli(command, str(data), *ARGS, "--format", "json", "-o", str(target))
            assert out.returncode == 2, (command, target, out.stderr)
            assert one_line_error(out.stderr), out.stderr
    assert not (tmp_path / "no").exists()


def test_failed_run_leaves_the_previous_report_intact(tmp_path: Path) -> None:
    good = write_bundle(tmp_path, bundle())[0]
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    assert cli("evaluate", str(good), *ARGS, "--format", "json", "-o", str(report)).returncode == 0
    before = report.read_bytes()
    assert json.loads(before)["results"]  # a complete report
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Bundle", "entry": [')
    for command in ("evaluate", "screen"):
        out = cli(command, str(bad), *ARGS, "--format", "json", "-o", str(report))
        assert out.returncode == 2 and one_line_error(out.stderr), out.stderr
    assert report.read_bytes() == before
    assert sorted(p.name for p in report.parent.iterdir()) == ["report.json"]  # no temporary file left


def test_standard_output_full_is_exit_2_and_closed_is_a_silent_exit_0(tmp_path: Path) -> None:
    """A full disk behind a redirect (ENOSPC) loses the report: one line, exit 2. A reader that went away
    (``| head -1``) chose to stop reading: nothing on standard error, exit 0, as ``head`` and ``grep -q``
    expect of the command before them."""
    data = str(ROOT / "sample_bundles")
    command = [sys.executable, "-m", "fhir_eligibility", "evaluate", data, "--as-of", "2026-06-01"]
    for fmt in ("json", "table"):
        with open("/dev/full", "w") as full:
            proc = subprocess.run(
                [*command, "--format", fmt], stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT, check=False
            )
        assert proc.returncode == 2 and one_line_error(proc.stderr), proc.stderr
        assert "standard output" in proc.stderr and "No space left on device" in proc.stderr, proc.stderr
    for fmt in ("json", "table"):
        closed = subprocess.Popen(
            [*command, "--format", fmt, "--details"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
        )
        assert closed.stdout is not None and closed.stderr is not None
        assert closed.stdout.readline()  # `| head -1`: one line read, then the reader exits
        closed.stdout.close()
        stderr = closed.stderr.read().decode()
        assert closed.wait(timeout=120) == 0, stderr
        assert stderr == "", stderr
    shown = subprocess.Popen(  # the same for screen, and for the listings
        [sys.executable, "-m", "fhir_eligibility", "screen", data, "--as-of", "2026-06-01", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert shown.stdout is not None and shown.stderr is not None
    shown.stdout.close()
    stderr = shown.stderr.read().decode()
    assert shown.wait(timeout=120) == 0 and stderr == "", stderr


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pop") / "ndjson"
    write_population(out, 2500, seed=3)
    return out


def _terminate_when(proc: subprocess.Popen[str], started: Path, pattern: str) -> tuple[int, str]:
    """SIGTERM once ``started`` holds a file matching ``pattern`` (the run is under way)."""
    deadline = time.monotonic() + 60
    while not any(started.rglob(pattern)):
        assert proc.poll() is None, "finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.mark.parametrize("command", ["screen", "evaluate"])
def test_sigterm_is_a_clean_stop(command: str, population: Path, tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    report = tmp_path / "report.json"
    report.write_text("previous\n")
    args = [str(population), "--as-of", "2026-06-01", "--format", "json", "-o", str(report)]
    if command == "screen":
        args += ["--workers", "2", "--temp-dir", str(shards)]
    env = {**os.environ, "TMPDIR": str(shards)}  # evaluate's stream puts its shards in the temp folder
    proc = subprocess.Popen(
        [sys.executable, "-m", "fhir_eligibility", command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    code, err = _terminate_when(proc, shards, "*.tsv")
    assert code == 143, err
    assert err == "terminated\n"  # no BrokenPipeError or other traceback from the workers
    assert list(shards.iterdir()) == []  # shard files removed
    assert report.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


def test_a_million_null_entries_are_one_counted_warning(tmp_path: Path) -> None:
    b = bundle()
    b["entry"] = [None] * 1_000_000 + b["entry"]
    patients, warnings = read_patients(write_bundle(tmp_path, b))
    assert [p.patient_id for p in patients] == ["sample-01"]
    assert len(warnings) == 1 and "(1000000 times; first: entry 0)" in warnings[0], warnings
    b["entry"] = "abc"
    (tmp_path / "patient.json").write_text(json.dumps(b))
    out = cli("evaluate", str(tmp_path / "patient.json"), *ARGS)
    assert out.returncode == 2 and one_line_error(out.stderr), out.stderr  # one line, not one per character
    assert "Bundle.entry is not a list" in out.stderr


def _patient(gender: str, updated: str | None) -> dict[str, object]:
    p = dict(resources()[0])
    p["gender"] = gender
    if updated:
        p["meta"] = {"lastUpdated": updated}
    return p


@pytest.mark.parametrize(
    ("first", "second", "chosen"),
    [
        (("female", "2026-01-01T00:00:00Z"), ("male", "2025-01-01T00:00:00+00:00"), "female"),  # latest wins
        (("female", "2026-01-01T10:00:00+02:00"), ("male", "2026-01-01T09:00:00Z"), "male"),  # compared as instants
        # a tie, or no dates: nothing orders them, and they disagree on the sex: unknown (versions._undecided)
        (("female", "2026-01-01T00:00:00Z"), ("male", "2026-01-01T00:00:00Z"), None),
        (("female", None), ("male", None), None),
        (("female", "2026-01-01"), ("male", "not a date"), "female"),  # unparseable counts as oldest
    ],
)
def test_duplicate_patient_choice_is_documented_and_shared(
    first: tuple[str, str | None], second: tuple[str, str | None], chosen: str | None, tmp_path: Path
) -> None:
    items = [_patient(*first), *resources()[1:]]
    write_ndjson(tmp_path, {"Patient": [json.dumps(items[0]).encode()]})
    (tmp_path / "export").rename(tmp_path / "a")
    write_ndjson(tmp_path, {"Patient": [json.dumps(_patient(*second)).encode()]})
    (tmp_path / "export").rename(tmp_path / "b")
    paths = [tmp_path / "a", tmp_path / "b"]
    patients, _warnings = read_patients(paths)
    assert [p.resources[0].get("gender") for p in patients] == [chosen]
    assert len([r for r in patients[0].resources if r["resourceType"] == "Patient"]) == 1
    assert any("different Patient resources" in w for w in patients[0].warnings)
    parts = partition(paths, tmp_path / "shards")
    screened = [p for s in parts.shards for p in read_shard(s, parts.medications, parts.drops)]
    assert [p.resources[0].get("gender") for p in screened] == [chosen]
    assert screened[0].warnings == patients[0].warnings


def test_counted_warnings_merge_in_any_order() -> None:
    """Parallel readers merge their logs as tasks finish: the result must not depend on that order."""
    parts = []
    for task in range(3):
        log = WarningLog()
        for line in range(task * 10, task * 10 + 10, 3):
            log.add("x.ndjson: not valid JSON; line ignored", f"line {line}", (0, line))
        log.add(f"y{task}.ndjson: empty file", "", (task + 1, 0))
        parts.append(log)
    merged = []
    for order in ([0, 1, 2], [2, 0, 1], [1, 2, 0]):
        total = WarningLog()
        for i in order:
            total.merge(parts[i])
        merged.append(total.lines())
    assert merged[0] == merged[1] == merged[2]
    assert merged[0][0] == "x.ndjson: not valid JSON; line ignored (12 times; first: line 0)"
    assert merged[0][1:] == ["y0.ndjson: empty file", "y1.ndjson: empty file", "y2.ndjson: empty file"]
