"""The progress bar of ``evaluate`` (issue 15 item 5): on standard error when it is a terminal, never in a pipe,
a file or the report; standard output is byte for byte the same with or without it."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from fhir_eligibility import progress

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_bundles"
FILES = [
    str(SAMPLES / n)
    for n in (
        "01-prrt-ileal-net-baseline.json",
        "08-hb-outside-28-day-window.json",
        "12-anc-1-4-platelets-99-mgfr-49.json",
    )
]
ENV = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}

pytestmark = pytest.mark.skipif(not Path(FILES[0]).exists(), reason="no samples")


def _run(args: list[str], stderr_on_terminal: bool) -> tuple[bytes, bytes]:
    """(stdout, stderr) of ``evaluate``; stdout always goes to a file, stderr to a pseudo-terminal or a pipe."""
    command = [sys.executable, "-m", "fhir_eligibility", "evaluate", *FILES, "--as-of", "2026-06-01", *args]
    with tempfile.TemporaryFile() as out:
        if not stderr_on_terminal:
            done = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, env=ENV, timeout=120, check=True)
            out.seek(0)
            return out.read(), done.stderr
        main, side = pty.openpty()
        proc = subprocess.Popen(command, stdout=out, stderr=side, env=ENV)
        os.close(side)
        err = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            err += chunk
        os.close(main)
        assert proc.wait(timeout=120) == 0, err
        out.seek(0)
        return out.read(), err


@pytest.mark.parametrize("fmt", ["table", "json"])  # json: the streamed report goes to stdout while the bar runs
def test_a_bar_on_a_terminal_and_none_in_a_pipe(fmt: str) -> None:
    out_tty, err_tty = _run(["--format", fmt], stderr_on_terminal=True)
    out_pipe, err_pipe = _run(["--format", fmt], stderr_on_terminal=False)
    counted = b"3/3" if fmt == "table" else b"3/?"  # streamed: the count of patients is not known ahead
    assert b"evaluating" in err_tty and counted in err_tty and "━".encode() in err_tty
    assert b"evaluating" not in err_pipe and b"\x1b[" not in err_pipe
    assert out_tty == out_pipe and out_tty  # the report is the same bytes either way
    assert b"evaluating" not in out_tty and b"\x1b[" not in out_tty


def test_no_bar_when_the_report_streams_to_the_same_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert progress.wanted(streams_to_stdout=False)  # the table prints after the (erased) bar
    assert not progress.wanted(streams_to_stdout=True)  # JSON would interleave with it
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not progress.wanted(streams_to_stdout=False)
