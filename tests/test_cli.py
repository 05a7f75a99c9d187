"""The CLI contract other tools depend on: command names, JSON keys, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fhir.resources.bundle import Bundle

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_trials_json_keys() -> None:
    out = cli("trials", "--definitions", str(MINI), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [{"id": "NCT00000001", "title": "Mini test trial", "criteria": 5, "computable": 4}]


def test_show_json_shape() -> None:
    out = cli("show", "NCT00000001", "--definitions", str(MINI), "--format", "json")
    data = json.loads(out.stdout)
    assert set(data) == {"id", "title", "criteria"}
    first = data["criteria"][0]
    assert {"id", "type", "description", "mode"} <= set(first)
    assert [c["mode"] for c in data["criteria"]].count("manual") == 1
    assert data["criteria"][4]["type"] == "exclusion"


def test_evaluate_json_contract() -> None:
    out = cli(
        "evaluate", str(MINI / "patient.json"), "--definitions", str(MINI), "--as-of", "2026-06-01", "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"asOf", "results", "collectFirst", "warnings"}  # collectFirst: issue 16
    (r,) = data["results"]
    assert r["patient"] == "Patient/p1" and r["trial"] == "NCT00000001" and r["verdict"] == "needs-review"
    assert {"eligibleFrom", "eligibleUntil", "timeline"} <= set(r)
    for c in r["criteria"]:
        assert {"id", "type", "description", "result", "reason", "evidence"} <= set(c)
        for e in c["evidence"]:
            assert {"reference", "value", "unit", "date"} <= set(e)
    assert isinstance(r["missingData"], list)


def test_assume_attested_says_so() -> None:
    out = cli(
        "evaluate",
        str(MINI / "patient.json"),
        "--definitions",
        str(MINI),
        "--as-of",
        "2026-06-01",
        "--format",
        "json",
        "--assume-attested",
    )
    r = json.loads(out.stdout)["results"][0]
    assert r["verdict"] == "eligible" and r["assumedAttested"] is True
    consent = next(c for c in r["criteria"] if c["id"] == "consent")
    assert consent["attested"] is True and "assumed" in consent["reason"]


def test_fhir_output_is_valid_r5(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    out = cli(
        "evaluate",
        str(MINI / "patient.json"),
        "--definitions",
        str(MINI),
        "--as-of",
        "2026-06-01",
        "--format",
        "fhir",
        "-o",
        str(target),
    )
    assert out.returncode == 0, out.stderr
    bundle = json.loads(target.read_text())
    Bundle.model_validate(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    # the study and the patient are entries too: inside the Bundle, references are the entries' fullUrls
    assert kinds == ["ResearchStudy", "Patient", "ResearchSubject", "GuidanceResponse", "Parameters"]
    state = bundle["entry"][2]["resource"]["progress"][0]["subjectState"]["coding"][0]["code"]
    assert state == "potential-candidate"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"hello": 1}', "not a FHIR resource"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    out = cli("evaluate", str(bad), "--definitions", str(MINI), "--as-of", "2026-06-01")
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_missing_file_exit_2() -> None:
    out = cli("evaluate", "/nonexistent/x.json", "--definitions", str(MINI))
    assert out.returncode == 2 and "no such file" in out.stderr and "Traceback" not in out.stderr


def test_one_malformed_resource_is_a_warning(tmp_path: Path) -> None:
    nd = tmp_path / "Observation.ndjson"
    good = json.loads((MINI / "patient.json").read_text())
    lines = [json.dumps(e["resource"]) for e in good["entry"]]
    lines.insert(2, "{broken")
    nd.write_text("\n".join(lines))
    out = cli("evaluate", str(nd), "--definitions", str(MINI), "--as-of", "2026-06-01", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert any(w.endswith("Observation.ndjson: not valid JSON; line ignored (line 3)") for w in data["warnings"])
    # the rest still evaluated; the unreadable line names no patient, so it may be anyone's most recent
    # result: measurements are unknown (not decided on the older results), the records still count
    (result,) = data["results"]
    assert result["verdict"] == "undetermined"
    by_id = {c["id"]: c for c in result["criteria"]}
    assert by_id["hb"]["result"] == "unknown" and "could not be read" in by_id["hb"]["reason"]
    assert by_id["net"]["result"] == "pass" and by_id["age"]["result"] == "pass"


def test_validate_reports_problems_with_location(tmp_path: Path) -> None:
    ev = json.loads((MINI / "definitions.json").read_text())
    chars = ev["entry"][2]["resource"]["characteristic"]
    chars[1]["definitionByTypeAndValue"]["valueQuantity"]["comparator"] = "=>"
    chars[2]["definitionCodeableConcept"] = {"text": "also"}  # evv-1
    chars[3]["linkId"] = "age"  # duplicate
    ev["entry"][1]["resource"]["compose"]["include"][0]["concept"] = []  # empty value set
    bad = tmp_path / "defs.json"
    bad.write_text(json.dumps(ev))
    out = cli("validate", str(bad))
    assert out.returncode == 1
    text = out.stdout
    assert "characteristic[1].definitionByTypeAndValue.valueQuantity.comparator" in text
    assert "evv-1" in text and "duplicate linkId 'age'" in text and "empty" in text
    assert cli("validate", str(MINI)).returncode == 0


def test_unknown_trial_is_an_error() -> None:
    out = cli("show", "NCT99999999", "--definitions", str(MINI))
    assert out.returncode == 1 and "unknown trial" in out.stderr


def test_server_refusal_is_exit_3_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import responses

    from fhir_eligibility.cli import main

    base = "https://fhir.example.org/r4"
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "fhir-eligibility",
            "evaluate",
            "--server",
            base,
            "--patient",
            "p1",
            "--definitions",
            str(MINI),
            "--as-of",
            "2026-06-01",
            "--token",
            "s3cret",
        ],
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{base}/metadata", status=401)
        rsps.post(base, status=401)
        rsps.get(f"{base}/Patient", status=401)
        with pytest.raises(SystemExit) as exc:
            main()
    err = capsys.readouterr().err
    assert exc.value.code == 3
    assert "Traceback" not in err and "s3cret" not in err and len(err.strip().splitlines()) == 1


def test_print_plan_sends_nothing() -> None:
    out = cli(
        "evaluate",
        "--server",
        "http://127.0.0.1:9/fhir",
        "--patient",
        "p1",
        "--print-plan",
        "--definitions",
        str(MINI),
        "--as-of",
        "2026-06-01",
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "GET http://127.0.0.1:9/fhir/metadata"
    assert any("Observation?patient=p1&combo-code=http://loinc.org|1742-6" in x for x in lines)
    assert any(x.strip().startswith("GET Condition?patient=p1&code=") for x in lines)


def test_an_unwritable_output_is_refused_before_any_evaluation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """-o under a regular file (its folder cannot exist) or in a folder nothing can be created in: one line,
    exit 2, and no patient is read or evaluated first (a whole run lost to a typo)."""
    from click.testing import CliRunner

    import fhir_eligibility.cli as cli_module
    from fhir_eligibility.errors import OutputError

    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    bad = blocker / "out.json"
    args = ["evaluate", str(ROOT / "sample_bundles"), "--as-of", "2026-06-01", "-o", str(bad)]
    out = cli(*args)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.strip().splitlines() == [f"error: {bad}: folder {blocker} does not exist"]

    def never(*_a: object, **_k: object) -> None:
        raise AssertionError("evaluated before checking -o")

    monkeypatch.setattr(cli_module, "evaluate_files", never)
    monkeypatch.setattr(cli_module, "stream_json", never)
    for fmt in ("table", "json"):
        result = CliRunner().invoke(cli_module.cli, [*args, "--format", fmt])
        assert isinstance(result.exception, OutputError), result.exception
    # a folder nothing can be created in (even by root): /proc
    result = CliRunner().invoke(cli_module.cli, [*args[:-1], "/proc/fhir-eligibility-test.json"])
    assert isinstance(result.exception, OutputError), result.exception


@pytest.mark.parametrize("timeout", ["inf", "1e308", "0", "nan", "-1"])
def test_a_timeout_that_is_no_duration_is_a_usage_error(timeout: str) -> None:
    """inf and 1e308 overflowed the request deadline (a traceback), 0 was read as the default 30 s:
    a usage error (exit 2, one message, no traceback), before any server is contacted."""
    out = cli("evaluate", "--server", "http://127.0.0.1:9/fhir", "--patient", "p1", "--timeout", timeout)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert "--timeout" in out.stderr, out.stderr
