"""Control and format characters in an outside response's author and comment (adversarial review 18, finding 5).

``attest`` and the served form refuse them, but a QuestionnaireResponse written elsewhere reached the JSON and
HTML reports raw (U+202E turns "Dr X" around on screen) and ``--format fhir`` wrote ``\\u0000`` in a valueString,
which FHIR strings forbid. The reader (evaluation/attestation.py) now replaces every control, format, lone
surrogate and line/paragraph separator character with U+FFFD; a comment keeps its tab and line breaks.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from tests.attestation_fixtures import BASE, A, coordinator_answers, response

EVIL = "Dr\u202eX\u0000\u200b\u2028 end"


def _no_hidden(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") and c not in "\n\t"]


@pytest.mark.parametrize("fmt", ["json", "fhir", "html"])
def test_an_outside_author_and_comment_reach_no_report_with_hidden_characters(tmp_path: Path, fmt: str) -> None:
    qr = response(coordinator_answers(), authored="2026-05-20T10:00:00Z", rid="outside", author={"display": EVIL})
    qr["item"][0]["item"].append({"linkId": "A-I14-comment", "answer": [{"valueString": f"line one\n{EVIL}"}]})
    (tmp_path / BASE.name).write_bytes(BASE.read_bytes())
    (tmp_path / "qr.json").write_text(json.dumps({**qr, "subject": {"reference": "Patient/sample-01"}}))
    r = CliRunner().invoke(cli, ["evaluate", str(tmp_path), "--as-of", "2026-06-01", "--trial", A, "--format", fmt])
    assert r.exit_code == 0, r.output
    assert _no_hidden(r.output) == [] and "\\u0000" not in r.output and "\\u202e" not in r.output.lower()
    assert "Dr\ufffdX\ufffd\ufffd\ufffd end" in r.output  # replaced, not dropped: the reader sees something was there
    if fmt == "json":
        consent = next(c for c in json.loads(r.output)["results"][0]["criteria"] if c["id"] == "A-I14")
        assert consent["attestation"]["by"] == "Dr\ufffdX\ufffd\ufffd\ufffd end"
        assert consent["evidence"][-1]["note"].endswith(": line one\nDr\ufffdX\ufffd\ufffd\ufffd end")
