"""Fixtures: a fault server and a trap on loopback, reset before each test; the CLI run in-process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from fhir_eligibility.cli import main
from tests.hardening.faultserver import Running, State, mini_resources, serve


@pytest.fixture(scope="module")
def trap() -> Iterator[Running]:
    yield from serve(State(is_trap=True))


@pytest.fixture(scope="module")
def fhir(trap: Running) -> Iterator[Running]:
    yield from serve(State(trap=trap.base))


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FHIR_ELIGIBILITY_TOKEN", raising=False)
    for name in ("fhir", "trap"):
        if name in request.fixturenames:
            running: Running = request.getfixturevalue(name)
            running.state.seen.clear()
            running.state.counts.clear()
            running.state.fault = running.state.target = ""
            running.state.export = False
            running.state.manifest_files = []
            running.state.requires_token = True
            running.state.export_messages = []
            running.state.export_fault = ""
            running.state.condition_type = ""
            running.state.resources = mini_resources()  # a test may add patients


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``fhir-eligibility ARGS`` through the real entry point (exit-code mapping included), in-process."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["fhir-eligibility", *args])
    code = 0
    try:
        main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out, err
    return Run(code, out, err)
