"""Findings of an adversarial review of the file readers, each through every entry point.

The base patient is ``sample_bundles/01`` (``tests/expected_verdicts.md``): NETTER-2
(NCT03972488) fails I1 on its Condition (the NET was diagnosed in 2021) and COMPOSE-like
NCT05987176 fails D-E7 on its MedicationAdministrations (prior PRRT) and D-I5 on the absence of
a liver resection (Procedure). So, worked out by hand: a Condition that is unavailable makes I1
``unknown``, unavailable MedicationAdministrations make D-E7 ``unknown``, an unavailable
Procedure makes D-I5 ``unknown``; a record that is read leaves them ``fail``.

Every case runs through ``evaluate`` (the in-memory reader), ``evaluate --format json`` (the
streamed partition reader) and ``screen``, and they must agree criterion by criterion.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.errors import InputError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.retrieval.reading import lost_record
from fhir_eligibility.retrieval.versions import newest
from fhir_eligibility.screening.core import SCREENING
from fhir_eligibility.screening.pages import page_name
from fhir_eligibility.screening.partition import partition, read_shard
from fhir_eligibility.screening.runner import screen_files
from fhir_eligibility.stream import stream_json

ROOT = Path(__file__).resolve().parents[2]
BASE: dict[str, Any] = json.loads((ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json").read_text("utf-8"))
PATIENT_URL = BASE["entry"][0]["fullUrl"]
AS_OF = dt.date(2026, 6, 1)
TRIALS = load_trials(None, None)
NETTER2, TRIAL_D = "NCT03972488", "NCT05987176"
MA = "MedicationAdministration"

Results = dict[tuple[str, str, str], str]  # (patient, trial, criterion) -> result


def resources(pid: str = "sample-01") -> list[dict[str, Any]]:
    """The base patient's resources with literal references, as a Bulk export writes them."""
    text = json.dumps([e["resource"] for e in BASE["entry"]]).replace(PATIENT_URL, f"Patient/{pid}")
    out: list[dict[str, Any]] = json.loads(text.replace("sample-01", pid))
    return out


def write_ndjson(folder: Path, items: list[dict[str, Any]], compress: tuple[str, ...] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    by_type: dict[str, list[str]] = {}
    for r in items:
        by_type.setdefault(r["resourceType"], []).append(json.dumps(r))
    for rtype, lines in by_type.items():
        text = ("\n".join(lines) + "\n").encode()
        if rtype in compress:
            (folder / f"{rtype}.ndjson.gz").write_bytes(gzip.compress(text))
        else:
            (folder / f"{rtype}.ndjson").write_bytes(text)
    return folder


def _flat(data: dict[str, Any]) -> tuple[Results, list[str]]:
    out = {(r["patient"], r["trial"], c["id"]): c["result"] for r in data["results"] for c in r["criteria"]}
    return out, data["warnings"]


def _funnel(results: Results) -> dict[str, dict[str, Counter[str]]]:
    out: dict[str, dict[str, Counter[str]]] = {}
    for (_p, trial, crit), result in results.items():
        out.setdefault(trial, {}).setdefault(crit, Counter())[result] += 1
    return out


def every_path(paths: list[Path], tmp: Path) -> tuple[Results, list[str]]:
    """The per-criterion results of ``evaluate``, checked equal to ``--format json``'s and to
    ``screen``'s funnel (with the same warnings)."""
    evaluated, warnings = _flat(report_json(evaluate_files(paths, TRIALS, AS_OF, Settings())))
    streamed, stream_warnings = _flat(json.loads("".join(stream_json(paths, TRIALS, AS_OF, Settings(), temp_dir=tmp))))
    assert streamed == evaluated
    assert sorted(stream_warnings) == sorted(warnings)
    report = screen_files(paths, TRIALS, AS_OF, SCREENING, workers=1, temp_dir=tmp)
    screened = {
        t.trial: {f.criterion: Counter({k: n for k, n in f.counts.items() if n}) for f in t.funnel}
        for t in report.trials
    }
    assert screened == _funnel(evaluated)
    assert sorted(report.warnings) == sorted(warnings)
    return evaluated, warnings


def shard_patients(paths: list[Path], tmp: Path) -> dict[str, PatientData]:
    parts = partition(paths, tmp / "shards")
    return {p.patient_id: p for shard in parts.shards for p in read_shard(shard, parts.medications, parts.drops)}


def lost_types(p: PatientData) -> set[str]:
    return {u.resource_type for u in p.unavailable}


def ids(p: PatientData, rtype: str) -> set[str]:
    return {r["id"] for r in p.resources if r["resourceType"] == rtype}


# ---------------------------------------------------------------- 1. ambiguous conditional references


def _two_patients_one_identifier(folder: Path, same_system: bool) -> Path:
    one, two = resources("p1"), resources("p2")
    one[0]["identifier"] = [{"system": "http://hospA/mrn", "value": "123"}]
    two[0]["identifier"] = [{"system": "http://hospA/mrn" if same_system else "http://hospB/mrn", "value": "123"}]
    ref = "Patient?identifier=" + ("http://hospA/mrn|123" if same_system else "123")
    for r in one:
        if r["resourceType"] == "Condition":
            r["subject"] = {"reference": ref}
    two = [r for r in two if r["resourceType"] != "Condition"]
    for r in two:
        r["id"] = r["id"] + "-2" if r["resourceType"] != "Patient" else r["id"]
    return write_ndjson(folder, one + two)


@pytest.mark.parametrize("same_system", [False, True], ids=["bare-value-two-systems", "same-system-value"])
def test_an_identifier_two_patients_carry_names_neither(tmp_path: Path, same_system: bool) -> None:
    folder = _two_patients_one_identifier(tmp_path / "in", same_system)
    for patients in (
        {p.patient_id: p for p in read_patients([folder])[0]},
        shard_patients([folder], tmp_path),
    ):
        for pid in ("p1", "p2"):
            assert ids(patients[pid], "Condition") == set()  # given to neither (was: the last Patient read)
            assert "Condition" in lost_types(patients[pid])  # and unknown for both
    results, warnings = every_path([folder], tmp_path)
    assert results[("Patient/p1", NETTER2, "I1")] == "unknown"
    assert results[("Patient/p2", NETTER2, "I1")] == "unknown"  # p2 has no Condition of its own: was fail
    said = [w for w in warnings if "patient reference ambiguous" in w]  # named by its kind, never its identifier
    assert any("a conditional reference by identifier" in w for w in said), warnings


def test_an_identifier_two_patients_carry_in_a_bundle_names_neither(tmp_path: Path) -> None:
    b = copy.deepcopy(BASE)
    b["entry"][0]["resource"]["identifier"] = [{"system": "http://hospA/mrn", "value": "123"}]
    other = copy.deepcopy(b["entry"][0])
    other["fullUrl"], other["resource"]["id"] = "urn:uuid:other", "sample-99"
    other["resource"]["identifier"] = [{"system": "http://hospB/mrn", "value": "123"}]
    b["entry"].append(other)
    for e in b["entry"]:
        if e["resource"]["resourceType"] == "Condition":
            e["resource"]["subject"] = {"reference": "Patient?identifier=123"}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(b))
    patients = {p.patient_id: p for p in read_patients([path])[0]}
    for pid in ("sample-01", "sample-99"):
        assert ids(patients[pid], "Condition") == set() and "Condition" in lost_types(patients[pid])
    results, _w = every_path([path], tmp_path)
    assert results[("Patient/sample-01", NETTER2, "I1")] == "unknown"


# ---------------------------------------------------------------- 2. an unreadable line naming several patients


def test_an_unreadable_line_is_lost_for_every_patient_it_names(tmp_path: Path) -> None:
    raw = b'{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"patient":{"reference":"Patient/p2"},'
    assert lost_record(None, raw, "Condition.ndjson") == ("Condition", ("p1", "p2"))
    folder = write_ndjson(tmp_path / "in", resources("p1") + resources("p2"))
    with (folder / "Condition.ndjson").open("ab") as fh:
        fh.write(raw + b"\n")
    results, _w = every_path([folder], tmp_path)
    assert results[("Patient/p1", NETTER2, "I1")] == "unknown"
    assert results[("Patient/p2", NETTER2, "I1")] == "unknown"  # was fail: only the first named lost it


# ---------------------------------------------------------------- 3. a saved Bulk export's error file


def test_an_export_error_file_makes_every_patients_data_unavailable(tmp_path: Path) -> None:
    folder = write_ndjson(tmp_path / "in", resources("p1") + resources("p2"))
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception"}]}
    (folder / "OperationOutcome.ndjson").write_text(json.dumps(outcome) + "\n")
    results, warnings = every_path([folder], tmp_path)
    for pid in ("p1", "p2"):
        assert results[(f"Patient/{pid}", NETTER2, "I1")] == "unknown"
        assert results[(f"Patient/{pid}", TRIAL_D, "D-E7")] == "unknown"
        assert results[(f"Patient/{pid}", TRIAL_D, "D-I5")] == "unknown"
    assert any("OperationOutcome" in w and "incomplete" in w for w in warnings), warnings


@pytest.mark.parametrize("code", ["suppressed", "incomplete"])
def test_an_export_warning_that_records_were_withheld_makes_data_unavailable(tmp_path: Path, code: str) -> None:
    """CDS review: an EHR reports records withheld by consent as a *warning* "suppressed"; the export
    is then not the whole record, so NETTER-2's I1 (closed-world diagnosis) is unknown, not fail."""
    folder = write_ndjson(tmp_path / "in", resources())
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": code}]}
    (folder / "OperationOutcome.ndjson").write_text(json.dumps(outcome) + "\n")
    results, warnings = every_path([folder], tmp_path)
    assert results[("Patient/sample-01", NETTER2, "I1")] == "unknown"
    assert any(f"left out ({code})" in w for w in warnings), warnings


def test_an_export_warning_is_a_warning_only(tmp_path: Path) -> None:
    folder = write_ndjson(tmp_path / "in", resources())
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "informational"}]}
    (folder / "OperationOutcome.ndjson").write_text(json.dumps(outcome) + "\n")
    results, warnings = every_path([folder], tmp_path)
    assert results[("Patient/sample-01", NETTER2, "I1")] == "fail"
    assert results[("Patient/sample-01", TRIAL_D, "D-E7")] == "fail"
    assert any("OperationOutcome" in w for w in warnings), warnings


# ---------------------------------------------------------------- 4. batch responses and nested search pages


def _batch_response(tmp_path: Path, failed_type: str | None, paged_type: str | None) -> Path:
    """The base patient as a batch-response of one searchset per type."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for e in BASE["entry"]:
        by_type.setdefault(e["resource"]["resourceType"], []).append(e)
    entries: list[dict[str, Any]] = []
    for rtype, found in by_type.items():
        if rtype == failed_type:
            outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception"}]}
            entries.append({"response": {"status": "500 Internal Server Error", "outcome": outcome}})
            continue
        page: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{**e, "search": {"mode": "match"}} for e in found],
        }
        if rtype == paged_type:
            page["link"] = [{"relation": "next", "url": f"http://server/fhir/{rtype}?page=2"}]
        entries.append({"resource": page, "response": {"status": "200 OK"}})
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "batch-response", "entry": entries}))
    return path


def test_a_failed_batch_entry_makes_the_bundles_data_unavailable(tmp_path: Path) -> None:
    path = _batch_response(tmp_path, "Condition", None)
    results, warnings = every_path([path], tmp_path)
    # the failed request could have been any type's: every clinical type is unknown
    assert results[("Patient/sample-01", NETTER2, "I1")] == "unknown"
    assert results[("Patient/sample-01", TRIAL_D, "D-E7")] == "unknown"
    assert any("status 500" in w for w in warnings), warnings


def test_a_nested_search_page_with_a_next_link_makes_its_type_unavailable(tmp_path: Path) -> None:
    path = _batch_response(tmp_path, None, "MedicationAdministration")
    results, warnings = every_path([path], tmp_path)
    assert results[("Patient/sample-01", TRIAL_D, "D-E7")] == "unknown"  # was fail on page 1 alone
    assert results[("Patient/sample-01", NETTER2, "I1")] == "fail"  # the Condition page is whole
    assert any("next link" in w for w in warnings), warnings


def test_a_complete_batch_response_reads_as_the_bundle(tmp_path: Path) -> None:
    results, warnings = every_path([_batch_response(tmp_path, None, None)], tmp_path)
    assert results[("Patient/sample-01", TRIAL_D, "D-E7")] == "fail" and warnings == []


# ---------------------------------------------------------------- 5. compressed NDJSON


def test_gzip_ndjson_in_a_folder_is_read(tmp_path: Path) -> None:
    folder = write_ndjson(tmp_path / "in", resources(), compress=("Condition", "MedicationAdministration"))
    results, warnings = every_path([folder], tmp_path)
    assert results[("Patient/sample-01", NETTER2, "I1")] == "fail"  # the Condition was read (was: skipped, pass)
    assert results[("Patient/sample-01", TRIAL_D, "D-E7")] == "fail"
    assert warnings == []
    plain, _w = every_path([write_ndjson(tmp_path / "plain", resources())], tmp_path)
    assert results == plain


def test_a_corrupt_gzip_file_is_exit_2(tmp_path: Path) -> None:
    folder = write_ndjson(tmp_path / "in", resources())
    (folder / "Condition.ndjson.gz").write_bytes(gzip.compress(b'{"resourceType":"Condition"}\n')[:-8])
    with pytest.raises(InputError, match=r"Condition\.ndjson\.gz: not a readable gzip file"):
        read_patients([folder])
    with pytest.raises(InputError, match=r"Condition\.ndjson\.gz: not a readable gzip file"):
        partition([folder], tmp_path / "shards")


# ---------------------------------------------------------------- 6. an unreadable file


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from fhir_eligibility.cli import main

    monkeypatch.setattr(sys, "argv", ["fhir-eligibility", *args])
    code: object = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


@pytest.mark.parametrize(
    "command", [("evaluate", "--format", "json"), ("evaluate",), ("screen", "--format", "json", "--workers", "1")]
)
def test_an_unreadable_file_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    folder = write_ndjson(tmp_path / "in", resources())
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "Condition.ndjson":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    code, err = _cli(monkeypatch, capsys, *command, str(folder), "--as-of", "2026-06-01")
    assert code == 2
    assert err.strip() == f"error: {folder / 'Condition.ndjson'}: cannot read (PermissionError)"


# ---------------------------------------------------------------- 7. the assembler's warnings in every path


def test_two_versions_in_a_bundle_are_warned_about_by_every_path(tmp_path: Path) -> None:
    b = copy.deepcopy(BASE)
    obs = next(e for e in b["entry"] if e["resource"]["resourceType"] == "Observation")
    other = copy.deepcopy(obs)
    other["resource"]["status"] = "amended"
    b["entry"].append(other)
    path = tmp_path / "b.json"
    path.write_text(json.dumps(b))
    shard = shard_patients([path], tmp_path)["sample-01"]
    assert any("different versions in the input" in w for w in shard.warnings), shard.warnings
    _results, warnings = every_path([path], tmp_path)  # the same warnings from every path
    assert any("different versions in the input" in w for w in warnings), warnings


# ---------------------------------------------------------------- 8. history Bundles


def _history(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "history", "entry": entries}


def test_a_deletion_in_a_history_bundle_removes_the_record(tmp_path: Path) -> None:
    entries: list[dict[str, Any]] = []
    deleted = [
        e["resource"]["id"] for e in BASE["entry"] if e["resource"]["resourceType"] == "MedicationAdministration"
    ]
    for rid in deleted:  # newest first: the deletions (version 2) come before the creations (version 1)
        entries.append(
            {
                "request": {"method": "DELETE", "url": f"MedicationAdministration/{rid}"},
                "response": {"status": "204 No Content", "etag": 'W/"2"'},
            }
        )
    for e in copy.deepcopy(BASE["entry"]):
        e["resource"]["meta"] = {"versionId": "1"}
        e["request"] = {"method": "POST", "url": e["resource"]["resourceType"]}
        e["response"] = {"status": "201 Created"}
        entries.append(e)
    path = tmp_path / "history.json"
    path.write_text(json.dumps(_history(entries)))
    (patient,) = read_patients([path])[0]
    assert ids(patient, "MedicationAdministration") == set()
    assert ids(shard_patients([path], tmp_path)["sample-01"], "MedicationAdministration") == set()
    results, warnings = every_path([path], tmp_path)
    # no prior PRRT any more (was fail); what no code records (ablation, SIRT...) is still attested
    assert results[("Patient/sample-01", TRIAL_D, "D-E7")] == "manual"
    assert warnings == []


def test_history_versions_newest_first_and_by_version_id(tmp_path: Path) -> None:
    b = copy.deepcopy(BASE)
    patient = b["entry"][0]
    newer, older = copy.deepcopy(patient), copy.deepcopy(patient)
    newer["resource"]["gender"], older["resource"]["gender"] = "female", "male"
    rest = b["entry"][1:]
    # no versionId or lastUpdated: a history lists the newest first, so the first entry is current
    path = tmp_path / "h1.json"
    path.write_text(json.dumps(_history([newer, older, *rest])))
    for p in (read_patients([path])[0][0], shard_patients([path], tmp_path / "a")["sample-01"]):
        assert p.resources[0]["gender"] == "female"
    # versionIds decide, numerically: 10 is after 9 (as text, "9" > "10")
    newer["resource"]["meta"], older["resource"]["meta"] = {"versionId": "10"}, {"versionId": "9"}
    path = tmp_path / "h2.json"
    path.write_text(json.dumps(_history([older, newer, *rest])))
    for p in (read_patients([path])[0][0], shard_patients([path], tmp_path / "b")["sample-01"]):
        assert p.resources[0]["gender"] == "female"


def test_newest_version_rule() -> None:
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    later = when + dt.timedelta(days=1)
    assert newest([("10", None), ("9", None)]) == 0  # numeric
    assert newest([("b", None), ("a", later)]) == 1  # opaque versionIds are not ordered: lastUpdated decides
    assert newest([(None, later), ("2", when)]) == 0  # not every one has one: lastUpdated decides
    assert newest([(None, None), (None, None)]) == 1  # then the last


# ---------------------------------------------------------------- 9. --pages


def test_pages_in_the_way_and_a_bad_output_target_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"  # a candidate for A, B, C, E
    pages = tmp_path / "pages"
    page = page_name("Patient/sample-01")
    (pages / page).mkdir(parents=True)  # a directory where the page goes
    common = ("screen", str(data), "--as-of", "2026-06-01", "--workers", "1", "--format", "html")
    code, err = _cli(monkeypatch, capsys, *common, "--pages", str(pages), "-o", str(tmp_path / "d.html"))
    assert code == 2 and err.strip() == f"error: {pages / page}: is a directory"
    assert not (tmp_path / "d.html").exists()
    # -o that cannot be written is found before any page is
    code, err = _cli(monkeypatch, capsys, *common, "--pages", str(tmp_path / "p2"), "-o", str(tmp_path / "no" / "d"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "does not exist" in err
    assert not (tmp_path / "p2").exists()
    code, _err = _cli(monkeypatch, capsys, *common, "--pages", str(tmp_path / "p3"), "-o", str(tmp_path / "d.html"))
    assert code == 0 and (tmp_path / "p3" / page).is_file()
    assert not list((tmp_path / "p3").glob(".*.tmp"))  # written through a temporary file, renamed


# ---------------------------------------------------------------- 10. one-resource files


def _one_per_file(folder: Path, items: list[dict[str, Any]], bom: bool = False) -> Path:
    folder.mkdir(parents=True)
    for i, r in enumerate(items):
        (folder / f"{i:03}.json").write_bytes((b"\xef\xbb\xbf" if bom else b"") + json.dumps(r).encode())
    return folder


def test_an_id_less_patient_alone_in_its_file_is_no_patient_anywhere(tmp_path: Path) -> None:
    items = resources()
    del items[0]["id"]
    results, warnings = every_path([_one_per_file(tmp_path / "in", items)], tmp_path)
    assert {p for p, _t, _c in results} == {"Patient/sample-01"}  # was also an anonymous-0-0 in evaluate
    assert any("Patient without a usable id" in w for w in warnings), warnings


def test_one_resource_files_with_a_bom_read_as_without(tmp_path: Path) -> None:
    plain, _w = every_path([_one_per_file(tmp_path / "plain", resources())], tmp_path)
    bom, warnings = every_path([_one_per_file(tmp_path / "bom", resources(), bom=True)], tmp_path)
    assert bom == plain and warnings == []


def test_a_bundles_drug_resolves_to_a_medication_of_the_ndjson_input(tmp_path: Path) -> None:
    b = copy.deepcopy(BASE)
    code = None
    for e in b["entry"]:
        r = e["resource"]
        if r["resourceType"] == "MedicationAdministration":
            code = r.pop("medicationCodeableConcept")
            r["medicationReference"] = {"reference": "Medication/lutathera"}
    (tmp_path / "b.json").write_text(json.dumps(b))
    med = {"resourceType": "Medication", "id": "lutathera", "code": code}
    (tmp_path / "Medication.ndjson").write_text(json.dumps(med) + "\n")
    paths = [tmp_path / "b.json", tmp_path / "Medication.ndjson"]
    (patient,) = read_patients(paths)[0]
    assert all(r.get("medicationCodeableConcept") == code for r in patient.resources if "medicationReference" in r)
    results, _w = every_path(paths, tmp_path)
    assert results[("Patient/sample-01", TRIAL_D, "D-E7")] == "fail"  # prior PRRT, read by every path


def test_opaque_version_ids_are_not_ordered_the_latest_update_is() -> None:
    """Second review: versionIds written as GUIDs were compared as text and outranked lastUpdated, so
    an older Patient (alive) won over the newer one recording the death. Only numeric versionIds are
    ordered; otherwise the latest meta.lastUpdated decides."""
    import datetime as dt

    from fhir_eligibility.retrieval.versions import newest

    utc = dt.UTC
    old, new = dt.datetime(2025, 1, 10, tzinfo=utc), dt.datetime(2026, 5, 20, tzinfo=utc)
    assert newest([("e5c1a0", old), ("2b7f9d", new)]) == 1  # GUID-like: by lastUpdated
    assert newest([("2b7f9d", new), ("e5c1a0", old)]) == 0
    assert newest([("3", old), ("12", new)]) == 1  # numbers: as numbers, not text ("3" > "12")
    assert newest([("12", old), ("3", new)]) == 0  # the version count governs over lastUpdated
    assert newest([(None, None), (None, None)]) == 1  # nothing says: the last in order
