"""``fhir-eligibility attest`` and ``questionnaire`` after the second adversarial review (2026-12-07): typed text
that is no plain text, answers compared as the values they mean, and ``-o`` checked before anything is done.
Run as the installed command runs (``python -m fhir_eligibility``), so exit codes and messages are the real ones.

Trial A (NCT04954820): A-I14 (consent) and A-I15 are attestation items.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
A = "NCT04954820"
ATTEST = ("attest", A, "--patient", "p1", "--item", "A-I14=yes")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_attest_refuses_control_and_bidi_characters_in_the_author_and_comments() -> None:
    for args, code_point in (
        (("--author", "Dr\u202eAda"), "U+202E"),
        (("--author", "Dr\tAda"), "U+0009"),
        (("--author", "Dr Ada", "--comment", "A-I14=seen\u0001"), "U+0001"),
    ):
        r = run(*ATTEST, *args)
        assert r.returncode == 2 and code_point in r.stderr and r.stdout == "", (args, r.stderr)
    r = run(*ATTEST, "--author", "Dr Ada", "--comment", "A-I14=seen\nby the board")
    assert r.returncode == 0, r.stderr
    assert '"valueString": "seen\\nby the board"' in r.stdout
