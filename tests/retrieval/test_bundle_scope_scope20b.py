"""Bundles beside an export: a roster of Patients, unreadable records, deletions (scope20b).

Worked out by hand on ``sample_bundles/01`` (clinical.md §0.7: closed-world diagnoses only where the
whole record is there; missing is unknown, never fail; nothing lost silently). Its two Conditions are
the ileal NET; trial A (NCT04954820) A-I2 "NET" reads them (and the Ki-67 Observation), A-E17 "no other
solid tumour in 5 years" passes only because no other Condition is recorded (closed world), A-I3 "4 prior
Lutathera cycles" reads the administrations; trial B (NCT05773274) B-I8 "Hb >= 8.0 g/dL in 28 days"
passes on the 13.2 g/dL of 2026-05-20 (verdict needs-review).

1. An export without a Condition file says nothing of Conditions (README, "an export that holds no
   record of a type"). A Bundle holding only Patients (a roster) beside it is no one's record: A-I2 and
   A-E17 unknown, as with the Patients as NDJSON lines (they were fail and pass: "none recorded"). A
   Bundle with one Patient and nothing else of theirs is read alike (it cannot be told from a roster
   of one). A Bundle holding a patient's Patient and their records stays their whole record.
2. A record in a Bundle whose patient reference does not resolve (``patient/sample-01``, a ``urn:uuid``
   of no entry) is unknown for whom it seems to name, else the Bundle's patients, else everyone: the
   NDJSON rule. Here the Bundle holds no Patient: sample-01's Conditions (A-I2, A-E17) or its newer Hb
   6.0 (B-I8) are unknown, not "none recorded" nor decided by the older 13.2.
3. A DELETE in a transaction, batch or history Bundle (a ``_since`` export's deletions) removes the
   record it names from the input: a wrong Hb 6.0 of 2026-05-28 (``hb-err``, B-I8 fail) deleted, the
   13.2 decides again (pass). The same deletion Bundle as an NDJSON line (the Bulk spec's deleted file)
   does the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.retrieval.test_input_review import every_path, resources, write_ndjson
from tests.screening.helpers import actual_from_screen, evaluate_json, expected_from_evaluate, invoke

P1, P2 = "Patient/sample-01", "Patient/sample-02"
A, B = "NCT04954820", "NCT05773274"


def _of(kind: str, pid: str = "sample-01") -> list[dict[str, Any]]:
    return [r for r in resources(pid) if r["resourceType"] == kind]


def _not(kinds: tuple[str, ...], *pids: str) -> list[dict[str, Any]]:
    return [r for pid in pids for r in resources(pid) if r["resourceType"] not in kinds]


def _bundle(folder: Path, name: str, records: list[dict[str, Any]], kind: str = "collection") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    bundle = {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in records]}
    path.write_text(json.dumps(bundle))
    return path


def _hb(rid: str, value: float, day: str, subject: str = "Patient/sample-01") -> dict[str, Any]:
    hb = next(r for r in _of("Observation") if r["code"]["coding"][0]["code"] == "718-7")
    return {
        **hb,
        "id": rid,
        "subject": {"reference": subject},
        "effectiveDateTime": f"{day}T08:30:00+00:00",
        "issued": f"{day}T12:00:00+00:00",
        "valueQuantity": {**hb["valueQuantity"], "value": value},
    }


# ---------------------------------------------------------------- 1. a roster is no one's record


@pytest.mark.parametrize("pids", [("sample-01", "sample-02"), ("sample-01",)])
def test_a_bundle_of_patients_only_is_no_record(tmp_path: Path, pids: tuple[str, ...]) -> None:
    export = write_ndjson(tmp_path / "in", _not(("Patient", "Condition"), *pids))
    _bundle(export, "patients", [r for pid in pids for r in _of("Patient", pid)])
    results, _ = every_path([export], tmp_path)
    assert results[(P1, A, "A-I2")] == "unknown"  # was fail: no Condition file, no Condition known
    assert results[(P1, A, "A-E17")] == "unknown"  # was pass
    assert results[(P1, A, "A-I3")] == "pass"  # the administrations the export holds decide
    control = write_ndjson(tmp_path / "control", _not(("Condition",), *pids))
    assert every_path([control], tmp_path)[0] == results  # the same Patients as NDJSON lines


def test_a_bundle_with_a_patients_records_stays_their_record(tmp_path: Path) -> None:
    """sample-01's Patient and Conditions in a Bundle, sample-02's Patient alone in it: 01's Bundle is
    their record (A-E17 passes: no other Condition), 02's Patient is a roster entry (unknown)."""
    export = write_ndjson(tmp_path / "in", _not(("Patient", "Condition"), "sample-01", "sample-02"))
    _bundle(export, "mixed", [*_of("Patient"), *_of("Condition"), *_of("Patient", "sample-02")])
    results, _ = every_path([export], tmp_path)
    assert results[(P1, A, "A-I2")] == "pass" and results[(P1, A, "A-E17")] == "pass"
    assert results[(P2, A, "A-I2")] == "unknown" and results[(P2, A, "A-E17")] == "unknown"


# ---------------------------------------------------------------- 2. unreadable records in a Bundle


@pytest.mark.parametrize("subject", ["patient/sample-01", "urn:uuid:4da06bc6-4104-5daf-9864-a2a6f6d16ef2"])
def test_an_unresolvable_record_in_a_bundle_reads_as_on_an_ndjson_line(tmp_path: Path, subject: str) -> None:
    conditions = [{**c, "subject": {"reference": subject}} for c in _of("Condition")]
    export = write_ndjson(
        tmp_path / "in", [*_not(("Condition",), "sample-01", "sample-02"), *_of("Condition", "sample-02")]
    )
    _bundle(export, "problem-list", conditions)
    results, warnings = every_path([export], tmp_path)
    assert results[(P1, A, "A-I2")] == "unknown" and results[(P1, A, "A-E17")] == "unknown"  # were fail, pass
    assert any("not resolvable" in w for w in warnings), warnings
    control = write_ndjson(
        tmp_path / "control", [*_not(("Condition",), "sample-01", "sample-02"), *_of("Condition", "sample-02")]
    )
    (control / "Condition-2.ndjson").write_text("".join(json.dumps(c) + "\n" for c in conditions))
    assert every_path([control], tmp_path)[0] == results


def test_a_newer_result_of_no_resolvable_patient_leaves_the_measurement_unknown(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    base = _bundle(folder, "01", resources())
    _bundle(folder, "zz-lab", [_hb("hb-late", 6.0, "2026-05-28", "patient/sample-01")])
    assert every_path([base], tmp_path)[0][(P1, B, "B-I8")] == "pass"
    results, _ = every_path([folder], tmp_path)
    assert results[(P1, B, "B-I8")] == "unknown"  # was pass on the older 13.2


# ---------------------------------------------------------------- 3. deletions


def _deletion(kind: str, url: str = "Observation/hb-err") -> dict[str, Any]:
    entry: dict[str, Any] = {"request": {"method": "DELETE", "url": url}}
    if kind == "history":
        entry["response"] = {"status": "204", "lastModified": "2026-05-31T10:00:00Z"}
    return {"resourceType": "Bundle", "type": kind, "entry": [entry]}


def _full_export(folder: Path) -> Path:
    return write_ndjson(folder, [*resources(), _hb("hb-err", 6.0, "2026-05-28")])


@pytest.mark.parametrize("kind", ["transaction", "batch", "history"])
def test_a_deletion_bundle_removes_the_record(tmp_path: Path, kind: str) -> None:
    full = _full_export(tmp_path / "full")
    assert every_path([full], tmp_path)[0][(P1, B, "B-I8")] == "fail"  # the wrong 6.0 is the latest
    since = tmp_path / "since"
    since.mkdir()
    (since / "deleted_Observation.json").write_text(json.dumps(_deletion(kind)))
    for order in ([full, since], [since, full]):
        results, _ = every_path(order, tmp_path)
        assert results[(P1, B, "B-I8")] == "pass"  # deleted: the 13.2 decides


def test_a_deletion_bundle_on_an_ndjson_line_removes_the_record(tmp_path: Path) -> None:
    full = _full_export(tmp_path / "full")
    since = tmp_path / "since"
    since.mkdir()
    (since / "deleted_Observation.ndjson").write_text(json.dumps(_deletion("transaction")) + "\n")
    results, warnings = every_path([full, since], tmp_path)
    assert results[(P1, B, "B-I8")] == "pass" and results[(P1, A, "A-I3")] == "pass"  # nothing else lost
    assert not any("NDJSON holds one resource" in w for w in warnings), warnings


def test_a_deletion_of_a_record_not_held_changes_nothing(tmp_path: Path) -> None:
    full = write_ndjson(tmp_path / "full", resources())
    (tmp_path / "deleted.json").write_text(json.dumps(_deletion("transaction", "Observation/elsewhere")))
    results, _ = every_path([full, tmp_path / "deleted.json"], tmp_path)
    assert results == every_path([full], tmp_path)[0]


def test_a_conditional_deletion_leaves_its_type_unknown(tmp_path: Path) -> None:
    """``DELETE Observation?code=718-7`` names no record: the one it deleted may be here (B-I8 unknown)."""
    full = _full_export(tmp_path / "full")
    (tmp_path / "deleted.json").write_text(json.dumps(_deletion("transaction", "Observation?code=718-7")))
    results, warnings = every_path([full, tmp_path / "deleted.json"], tmp_path)
    assert results[(P1, B, "B-I8")] == "unknown"
    assert any("a deletion that names no record" in w for w in warnings), warnings


@pytest.mark.parametrize("workers", [1, 2])
def test_screen_candidates_equal_evaluate(tmp_path: Path, workers: int) -> None:
    """A roster Bundle beside an export, an unresolvable problem list and a deletion: screen's verdicts,
    missing data and dates are evaluate's."""
    export = write_ndjson(
        tmp_path / "in", [*_not(("Patient", "Condition"), "sample-01", "sample-02"), _hb("hb-err", 6.0, "2026-05-28")]
    )
    _bundle(export, "patients", [*_of("Patient"), *_of("Patient", "sample-02")])
    _bundle(
        export,
        "problem-list",
        [{**c, "subject": {"reference": "patient/sample-02"}} for c in _of("Condition", "sample-02")],
    )
    (export / "deleted.json").write_text(json.dumps(_deletion("transaction")))
    out = invoke("screen", str(export), "--as-of", "2026-06-01", "--format", "json", "--workers", str(workers))
    assert out.exit_code == 0, out.output
    assert actual_from_screen(json.loads(out.output)) == expected_from_evaluate(evaluate_json([export]))
