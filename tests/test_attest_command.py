"""``fhir-eligibility attest`` and ``questionnaire`` after the second adversarial review (2026-12-07): typed text
that is no plain text, answers compared as the values they mean, and ``-o`` checked before anything is done.
Run as the installed command runs (``python -m fhir_eligibility``), so exit codes and messages are the real ones.

Trial A (NCT04954820): A-I14 (consent) and A-I15 are attestation items.
"""

from __future__ import annotations

import json
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


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    return r.stderr


def test_attest_checks_its_output_before_writing_to_the_server(tmp_path: Path) -> None:
    """``-o`` a folder, or a file in a missing folder: before, the response was created on ``--server`` and
    then the write failed with a traceback (exit 1), so a retry created it twice. Now: one line, exit 2, and
    the server is not contacted at all."""
    from tests.service.fhir_recorder import RecordingFhir

    with RecordingFhir() as fhir:
        for target, says in ((tmp_path, "is a directory"), (tmp_path / "missing" / "qr.json", "does not exist")):
            r = run(*ATTEST, "--author", "Dr Ada", "--server", fhir.base, "-o", str(target))
            assert says in one_line_error(r)
            assert fhir.requests == [] and fhir.transactions == []
        assert list(tmp_path.iterdir()) == []  # no file, no temporary file, no folder

        out = tmp_path / "qr.json"
        out.write_text("previous\n", encoding="utf-8")
        r = run(*ATTEST, "--author", "Dr Ada", "--server", fhir.base, "-o", str(out))
        assert r.returncode == 0, r.stderr
        assert len(fhir.transactions) == 1
        assert out.read_text(encoding="utf-8").startswith('{\n  "resourceType": "Bundle"')
        assert list(tmp_path.iterdir()) == [out]  # replaced through a temporary file, none left behind


def test_questionnaire_checks_its_output_the_same_way(tmp_path: Path) -> None:
    assert "is a directory" in one_line_error(run("questionnaire", A, "-o", str(tmp_path)))
    assert "does not exist" in one_line_error(run("questionnaire", A, "-o", str(tmp_path / "no" / "q.json")))
    assert list(tmp_path.iterdir()) == []


def test_an_item_given_twice_is_compared_by_what_it_means() -> None:
    """yes, Yes, y and true all mean yes: given twice that way it is one answer (before: refused as "given twice
    with different values"); yes and no for one item stay refused (a typo would record a refusal)."""
    items = ("A-I14=yes", "A-I14=Yes", "A-I14= TRUE", "A-I15=no", "A-I15=N")
    r = run("attest", A, "--patient", "p1", *(f"--item={i}" for i in items), "--author", "Dr Ada", "--format", "json")
    assert r.returncode == 0, r.stderr
    said = {i["linkId"]: i["answer"][0]["valueBoolean"] for g in json.loads(r.stdout)["item"] for i in g["item"]}
    assert said == {"A-I14": True, "A-I15": False}
    r = run("attest", A, "--patient", "p1", "--item", "A-I14=yes", "--item", "A-I14=no", "--author", "Dr Ada")
    assert r.returncode == 2 and "given twice with different values" in r.stderr and r.stdout == ""


def test_attest_refuses_the_patient_or_a_relative_as_author() -> None:
    """A review: `--author Patient/p1` was written as a display name, so the rule that a patient's or a
    relative's answer does not count (docs/attestations.md) could not see it, and it counted. The command
    refuses it (exit 2, nothing written); a practitioner's reference stays one."""
    for who in ("Patient/p1", "RelatedPerson/r1", " Patient/p1 "):
        r = run(*ATTEST, "--author", who)
        assert r.returncode == 2 and "attested by study staff" in r.stderr and r.stdout == "", (who, r.stderr)
    ok = run(*ATTEST, "--author", "Practitioner/ada")
    assert ok.returncode == 0, ok.stderr
    assert '"reference": "Practitioner/ada"' in ok.stdout
