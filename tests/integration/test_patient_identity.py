"""Issue 14 item 6 on the real server: ``--patient system|value`` resolved by one search; none or
several matches is one line and exit 2; names and identifiers never reach a log record."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fhir_eligibility.cli import cli
from tests.support.fhir_servers import seed

SAMPLES = Path(__file__).resolve().parents[2] / "sample_bundles"
SAMPLE_SYSTEM = "http://fhir-eligibility.org/fhir/sample-patients"  # the sample Patients' identifier
pytestmark = pytest.mark.integration


def _evaluate(base: str, patient: str, *extra: str) -> Result:
    args = ["evaluate", "--server", base, "--patient", patient, "--trial", "NCT04954820", "--as-of", "2026-06-01"]
    return CliRunner().invoke(cli, [*args, *extra])


def test_an_identifier_resolves_to_its_patient_and_nothing_private_is_logged(
    fhir_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    r = _evaluate(fhir_server, f"{SAMPLE_SYSTEM}|sample-01", "--format", "json")
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)["results"][0]
    assert result["patient"] == "Patient/sample-01"
    assert result["patientLabel"] == {"name": "Henri Lambert", "birthDate": "1963-09-14"}
    # the product's own records (urllib3's DEBUG lines hold URLs: `serve` caps it at INFO, the CLI emits no DEBUG)
    ours = [rec for rec in caplog.records if rec.name.startswith("fhir_eligibility")]
    assert ours, "the server path logs (counts): the check below must have something to read"
    logged = "\n".join(rec.getMessage() for rec in ours)
    for private in ("Lambert", "1963-09-14", "sample-patients", "sample-01"):
        assert private not in logged


def test_no_match_or_several_matches_is_one_line_and_exit_2(fhir_server: str) -> None:
    bundle = json.loads((SAMPLES / "01-prrt-ileal-net-baseline.json").read_text())
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    twins = []
    for pid in ("twin-1", "twin-2"):  # two people sharing one identifier: the tool must not pick one
        entry = json.loads(json.dumps(patient))
        entry["resource"]["id"] = pid
        entry["resource"]["identifier"] = [{"system": "urn:test:shared", "value": "7"}]
        twins.append(entry)
    seed(fhir_server, [{"resourceType": "Bundle", "type": "collection", "entry": twins}])

    for identifier, found in (("urn:test:none|404", "no Patient"), ("urn:test:shared|7", "2 Patients")):
        args = ["evaluate", "--server", fhir_server, "--patient", identifier, "--trial", "NCT04954820"]
        r = subprocess.run(
            [sys.executable, "-m", "fhir_eligibility", *args], capture_output=True, text=True, timeout=120
        )
        assert r.returncode == 2, r.stderr
        assert r.stderr.strip().splitlines() == [
            f"error: --patient {identifier}: {found} on {fhir_server} with this identifier"
        ]
