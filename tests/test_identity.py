"""Issue 14 item 6: name, birth date and MRN next to the id; --mrn-system; --deidentify keeps the id only."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.evaluation.results import PatientLabel
from fhir_eligibility.identity import V2_0203, IdentityPolicy, label_of

SAMPLE = Path(__file__).resolve().parents[1] / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
MR = {"type": {"coding": [{"system": V2_0203, "code": "MR"}]}, "system": "urn:hospital:mrn", "value": "MRN-4711"}
OTHER = {"system": "urn:other", "value": "X-9"}


def test_the_official_current_name_its_text_first() -> None:
    patient = {
        "resourceType": "Patient",
        "name": [
            {"use": "old", "family": "Maiden", "given": ["Jo"]},
            {"use": "usual", "given": ["Jo"], "family": "Doe"},
            {"use": "official", "text": "Johanna  Doe", "given": ["J"], "family": "D"},
        ],
        "birthDate": "1950-02",
        "identifier": [OTHER, MR],
    }
    assert label_of(patient) == PatientLabel(
        name="Johanna Doe",
        birth_date="1950-02",
        mrn="MRN-4711",
        identifiers=("urn:other|X-9", "urn:hospital:mrn|MRN-4711"),
    )


def test_given_and_family_when_no_text_and_no_mrn_without_the_MR_type() -> None:
    label = label_of(
        {"resourceType": "Patient", "name": [{"given": ["Ann", "B."], "family": "Lee"}], "identifier": [OTHER]}
    )
    assert label is not None and (label.name, label.birth_date, label.mrn) == ("Ann B. Lee", None, None)


def test_nothing_to_show_is_no_label_and_malformed_parts_are_skipped() -> None:
    assert label_of({"resourceType": "Patient", "id": "x"}) is None
    bad = {"resourceType": "Patient", "name": "Doe", "identifier": [{"type": "MR", "value": "1"}, "x"], "birthDate": 3}
    assert label_of(bad) == PatientLabel(identifiers=("|1",))


def test_mrn_system_picks_that_identifier_and_deidentify_drops_the_label() -> None:
    label = PatientLabel(name="A B", mrn="MRN-4711", identifiers=("urn:other|X-9", "urn:hospital:mrn|MRN-4711"))
    other = IdentityPolicy(mrn_system="urn:other").label(label)
    assert other is not None and other.mrn == "X-9" and other.name == "A B"
    none = IdentityPolicy(mrn_system="urn:absent").label(label)
    assert none is not None and none.mrn is None
    assert IdentityPolicy(deidentify=True).label(label) is None


def _bundle(tmp_path: Path) -> Path:
    bundle = json.loads(SAMPLE.read_text())
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["identifier"] = [MR, OTHER]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(bundle))
    return path


def _run(*args: str) -> Any:
    r = CliRunner().invoke(cli, ["evaluate", *args, "--as-of", "2026-06-01", "--trial", "NCT04954820"])
    assert r.exit_code == 0, r.output
    return r


def test_the_table_shows_name_birth_date_and_mrn_next_to_the_id(tmp_path: Path) -> None:
    path = str(_bundle(tmp_path))
    # sample-01 is Henri Lambert, born 1963-09-14 (its Patient resource); the MRN is the MR-typed identifier
    assert "Patient/sample-01 (Henri Lambert, born 1963-09-14, MRN MRN-4711)" in _run(path).stdout
    assert (
        "Patient/sample-01 (Henri Lambert, born 1963-09-14, MRN X-9)" in _run(path, "--mrn-system", "urn:other").stdout
    )
    explained = _run(path, "--details").stdout
    assert "Patient/sample-01 (Henri Lambert, born 1963-09-14, MRN MRN-4711) x NCT04954820" in explained
    plain = _run(path, "--deidentify", "--details").stdout
    assert "Patient/sample-01 " in plain and "Lambert" not in plain and "MRN" not in plain and "1963" not in plain


def test_the_json_has_the_label_and_deidentified_none_of_it(tmp_path: Path) -> None:
    path = str(_bundle(tmp_path))
    result = json.loads(_run(path, "--format", "json").stdout)["results"][0]
    assert result["patientLabel"] == {"name": "Henri Lambert", "birthDate": "1963-09-14", "mrn": "MRN-4711"}
    text = _run(path, "--format", "json", "--deidentify").stdout
    result = json.loads(text)["results"][0]
    assert result["patient"] == "Patient/sample-01" and "patientLabel" not in result
    for private in ("Lambert", "Henri", "1963-09-14", "MRN-4711", "X-9"):
        assert private not in text
    age = next(c for c in result["criteria"] if c["evidence"] and c["evidence"][0].get("note") == "age from birthDate")
    assert age["evidence"][0]["value"] == "62" and age["evidence"][0]["date"] is None  # the age stays, not the date


# --deidentify and the dates derived from the birth date (an adversarial review): sample-01 made 17 on the
# as-of date, 18 on 2026-06-10 (born 2008-06-10), is eligible for NCT04954820 from that birthday on
# (--assume-attested: its labs lapse on 2026-06-18, after it). The birthday must show nowhere.
BIRTHDAY = "2026-06-10"


def _minor(tmp_path: Path) -> str:
    bundle = json.loads(SAMPLE.read_text())
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["birthDate"] = "2008-06-10"
    path = tmp_path / "minor.json"
    path.write_text(json.dumps(bundle))
    return str(path)


def test_identified_the_birthday_is_the_date_eligibility_opens(tmp_path: Path) -> None:
    result = json.loads(_run(_minor(tmp_path), "--assume-attested", "--format", "json").stdout)["results"][0]
    assert result["eligibleFrom"] == BIRTHDAY
    assert any(t["date"] == BIRTHDAY and t["criterion"] == "A-I1" for t in result["timeline"])


def test_deidentified_no_output_holds_a_date_derived_from_the_birth_date(tmp_path: Path) -> None:
    path = _minor(tmp_path)
    outputs = {
        fmt: _run(path, "--assume-attested", "--deidentify", "--format", fmt).stdout
        for fmt in ("json", "fhir", "html", "table")
    }
    outputs["details"] = _run(path, "--assume-attested", "--deidentify", "--details").stdout
    for fmt, text in outputs.items():
        assert BIRTHDAY not in text and "2008-06-10" not in text, fmt
    result = json.loads(outputs["json"])["results"][0]
    assert result["eligibleFrom"] is None and result["datesWithheld"] is True
    age = next(t for t in result["timeline"] if t["criterion"] == "A-I1")
    # the event stays (what changes), dated nowhere: listed after the dated ones, its text without the day
    assert age["date"] is None and age["text"] == "age 18 years on (withheld) ≥ 18 years"
    assert result["timeline"][-1] is age
    assert "2026-06-18" in outputs["json"]  # a lab lapsing is no birthday: its date stays
    assert "eligible from (withheld)" in outputs["details"]
    assert "(withheld)  A-I1: fail -> pass  age 18 years on (withheld)" in outputs["details"]
    assert "Eligible from (withheld) if nothing else changes" in outputs["html"]  # verdict_from carried
    bundle = json.loads(outputs["fhir"])
    names = [
        p["name"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Parameters"
        for p in e["resource"]["parameter"]
    ]
    assert "eligibleFrom" not in names and "datesWithheld" in names


def test_the_policy_withholds_a_lapse_on_a_birthday_and_keeps_verdict_from() -> None:
    """An upper age limit: eligible until the day before the 76th birthday. Both that day and the birthday's
    changes are withheld, the verdict on eligibleFrom is kept, and a label-less result is left as it is."""
    from datetime import date

    from fhir_eligibility.evaluation.results import Change, Result, TrialResult, Verdict, When
    from fhir_eligibility.identity import WITHHELD

    lapse = Change(date(2026, 9, 14), "age", Result.PASS, Result.FAIL, "age 76 years on 2026-09-14 > 75 years")
    lab = Change(date(2026, 6, 18), "hb", Result.PASS, Result.UNKNOWN, "no result in window")
    when = When(None, date(2026, 9, 13), (lab, lapse), 365, Verdict.ELIGIBLE)
    r = TrialResult(
        "Patient/p", "T", "t", Verdict.ELIGIBLE, (), (), label=PatientLabel(birth_date="1950-09-14"), when=when
    )
    assert IdentityPolicy().result(r).when == when
    shown = IdentityPolicy(deidentify=True).result(r).when
    assert shown is not None
    assert shown.eligible_until == WITHHELD and shown.verdict_from is Verdict.ELIGIBLE
    assert [(c.date, c.text) for c in shown.timeline] == [
        (date(2026, 6, 18), "no result in window"),
        (WITHHELD, "age 76 years on (withheld) > 75 years"),
    ]
    born_29_feb = dataclasses.replace(r, label=PatientLabel(birth_date="1952-02-29"))
    feb = dataclasses.replace(born_29_feb, when=When(date(2027, 3, 1), None, (), 365, Verdict.ELIGIBLE))
    assert IdentityPolicy(deidentify=True).result(feb).when.eligible_from == WITHHELD  # type: ignore[union-attr]


@pytest.mark.parametrize("field", ["birthDate", "deceasedDateTime"])
def test_deidentify_withholds_a_birth_or_death_date_written_in_another_format(tmp_path: Path, field: str) -> None:
    """An adversarial review: a birthDate '14/09/1963' (not a FHIR date) was echoed in the warnings and
    the reasons ('birthDate '14/09/1963' unreadable') of a --deidentify report, 49 times, and in the FHIR
    output written back. An unreadable date is named, never quoted."""
    bundle = json.loads(SAMPLE.read_text())
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient[field] = "14/09/1963"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(bundle))
    for fmt in ("json", "fhir", "table"):
        text = _run(str(path), "--format", fmt, "--deidentify").stdout
        assert "14/09/1963" not in text, fmt
        assert "unreadable" in text, fmt  # still said


def test_no_character_that_is_no_text_reaches_a_label() -> None:
    """An MRN written with U+202E shows "1234" as "4321", another patient's, in the HTML dashboard and
    the CSV (outputs review); a NUL or an ESC reached the CSV raw. Replaced by U+FFFD, so the reader
    sees something was there."""
    patient = {
        "resourceType": "Patient",
        "id": "x",
        "name": [{"family": "\u202eevil\u202c Smith", "given": ["Ahmad\u0000"]}],
        "identifier": [
            {"type": {"coding": [{"system": V2_0203, "code": "MR"}]}, "system": "urn:mrn", "value": "\u202e1234-MRN"}
        ],
    }
    label = label_of(patient)
    assert label is not None and label.mrn == "\ufffd1234-MRN"
    assert label.name == "Ahmad\ufffd \ufffdevil\ufffd Smith"
    assert all("\u202e" not in i for i in label.identifiers)
