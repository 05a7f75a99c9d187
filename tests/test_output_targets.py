"""``-o`` that names the run's own input, or a symbolic link (an adversarial review).

Before: ``evaluate inp.ndjson -o inp.ndjson`` replaced the patient data with the report (exit 0), and
``-o link.json`` replaced the link with a plain file, leaving the file it named stale.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.errors import OutputError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
ARGS = ["--as-of", "2026-06-01", "--trial", "NCT04954820"]


def test_a_report_never_replaces_an_input(tmp_path: Path) -> None:
    data = tmp_path / "inp.json"
    shutil.copy(SAMPLE, data)
    before = data.read_bytes()
    for command in (["evaluate", str(data)], ["screen", str(data)], ["evaluate", str(tmp_path)]):
        r = CliRunner().invoke(cli, [*command, *ARGS, "-o", str(data)])
        assert isinstance(r.exception, OutputError) and "an input of this run" in str(r.exception), r.output
        assert data.read_bytes() == before  # untouched
    ok = CliRunner().invoke(cli, ["evaluate", str(data), *ARGS, "-o", str(tmp_path / "report.txt")])
    assert ok.exit_code == 0 and "sample-01" in (tmp_path / "report.txt").read_text()


def test_a_report_written_through_a_link_replaces_the_file_it_names(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "r.txt").write_text("old report\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real / "r.txt")
    r = CliRunner().invoke(cli, ["evaluate", str(SAMPLE), *ARGS, "-o", str(link)])
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and "sample-01" in (real / "r.txt").read_text()
