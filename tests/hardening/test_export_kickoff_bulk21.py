"""A Bulk kick-off the server refuses for what was asked (400/422: one ``_type`` it cannot export,
``_typeFilter`` unsupported; 404/405: no such operation here) ended ``screen --server`` with exit 2.
Bulk Data: a kick-off error is "this server cannot export what we asked", not a fault of the data:
the server is screened by search instead, with a warning. A 401/403 (after the token renewal) stays
the refusal it is (exit 3): search would be refused too (tests/screening/test_kickoff_bulk21.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hardening.faultserver import Running
from tests.hardening.test_server_faults import screen


@pytest.mark.parametrize("status", ["400", "404"])
def test_a_kick_off_refused_is_screened_by_search(
    status: str, fhir: Running, trap: Running, capsys: Any, monkeypatch: Any
) -> None:
    fhir.state.export = True
    fhir.state.fault, fhir.state.target = status, "$export"
    run, report = screen(fhir, capsys, monkeypatch, "--bulk")
    assert run.code == 0 and report is not None, run.err
    (t,) = report["trials"]
    assert report["patients"] == 1 and t["counts"]["needs-review"] == 1  # p1's diagnosis found by search
    assert any(f"$export kick-off refused (HTTP {status}: error/exception)" in w for w in report["warnings"])
    assert any("screened by search instead" in w for w in report["warnings"])
    assert any(s.path.startswith("/fhir/Condition?") for s in fhir.state.seen)
