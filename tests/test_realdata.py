"""Externally written FHIR data (../shared/realdata): everything is read without a crash, and
specific values from it are read and compared correctly. Skips when the folder is absent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import QuantityTest, Threshold
from fhir_eligibility.errors import InputError
from fhir_eligibility.evaluation.compare import compare
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.logic import Truth
from fhir_eligibility.pipeline import evaluate_patients
from fhir_eligibility.retrieval.files import read_patients

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"
pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata not present")


def _trials() -> list:  # type: ignore[type-arg]
    trials = load_trials([ROOT / "tests" / "fixtures" / "mini"])
    if any((ROOT / "definitions").glob("*/ResearchStudy.json")):
        trials += load_trials()
    return trials


def test_every_file_is_read_without_crashing() -> None:
    trials = _trials()
    files = sorted(p for p in REALDATA.rglob("*") if p.suffix in (".json", ".ndjson"))
    assert len(files) > 500
    patients_seen = rejected = 0
    for f in files:
        try:
            patients, warnings = read_patients([f])
        except InputError as e:
            rejected += 1
            assert str(f) in str(e)  # a one-line message naming the file
            continue
        report = evaluate_patients(patients, trials, dt.date(2026, 6, 1), Settings(), warnings)
        patients_seen += len(patients)
        assert len(report.results) == len(patients) * len(trials)
    assert patients_seen >= 40  # 23 Synthea bundles and many single-patient examples
    assert rejected < len(files) // 2


def _fact(path: str, ref: str) -> Fact:
    (patient, *_rest), _w = read_patients([REALDATA / path])
    found = [f for f in build_record(patient).by_kind.get("Observation", ()) if f.ref == ref]
    assert found, ref
    return found[0]


def _nested_fact(path: str, ref: str) -> Fact:
    patients, _w = read_patients([REALDATA / path])
    for p in patients:
        for f in build_record(p).by_kind.get("Observation", ()):
            if f.ref == ref:
                return f
    raise AssertionError(ref)


def test_si_haemoglobin_in_g_per_l_against_g_per_dl_threshold() -> None:
    hb = _fact("hl7/r4/Bundle-101.json", "Observation/r1")  # 176 g/L
    ge8 = QuantityTest(comparator=">=", quantity=Threshold(8, "g/dL"))
    gt18 = QuantityTest(comparator=">", quantity=Threshold(18, "g/dL"))
    assert compare(hb, ge8).truth is Truth.TRUE
    assert compare(hb, gt18).truth is Truth.FALSE  # 17.6 g/dL, not 176
    assert "17.6 g/dL" in compare(hb, ge8).reason


def test_platelets_in_si_units() -> None:
    plt = _fact("hl7/r4/Bundle-101.json", "Observation/r6")  # 444 x10*9/L
    assert compare(plt, QuantityTest(comparator=">=", quantity=Threshold(100000, "/uL"))).truth is Truth.TRUE
    assert compare(plt, QuantityTest(comparator=">=", quantity=Threshold(450, "10*3/uL"))).truth is Truth.FALSE


def test_unit_text_only_creatinine_and_alt_uln_ratio() -> None:
    path = "hl7/r4/Bundle-72ac8493-52ac-41bd-8d5d-7258c289b5ea.json"
    scr = _nested_fact(path, "Observation/o8-3")  # 0.09 mmol/L, unit text only = 90 umol/L = 1.02 mg/dL
    assert compare(scr, QuantityTest(comparator=">", quantity=Threshold(150, "umol/L"))).truth is Truth.FALSE
    assert compare(scr, QuantityTest(comparator=">", quantity=Threshold(1.0, "mg/dL"))).truth is Truth.TRUE
    alt = _nested_fact(path, "Observation/o14-3")  # 54 U/L, reference high 45 -> 1.2 x ULN
    over = QuantityTest(comparator=">", quantity=Threshold(1.1, "1"), offset="UNL", ratio=True)
    under = QuantityTest(comparator=">", quantity=Threshold(1.3, "1"), offset="UNL", ratio=True)
    assert compare(alt, over).truth is Truth.TRUE and compare(alt, under).truth is Truth.FALSE


def test_synthea_patients_have_ages_and_indexed_egfr() -> None:
    patients, _warnings = read_patients([REALDATA / "synthea"])
    assert len(patients) == 23
    records = [build_record(p) for p in patients]
    assert all(r.birth_date for r in records)
    egfr = [
        f for r in records for c in (("http://loinc.org", "33914-3"),) for f in r.by_code.get(("Observation", c), ())
    ]
    assert egfr and all(f.quantity is not None and f.quantity.unit for f in egfr)


@pytest.mark.parametrize("folder", ["synthea", "hl7", "mcode"])
def test_whole_folders_are_evaluated_as_a_site_would_point_the_tool_at_them(folder: str) -> None:
    """A folder holds JSON that is no FHIR (IG tooling files, requests): skipped with a warning
    naming the file, while every FHIR file in it is still read; nothing stops the run."""
    patients, warnings = read_patients([REALDATA / folder])
    assert patients
    not_fhir = [w for w in warnings if "file skipped" in w]
    for w in not_fhir:
        assert str(REALDATA / folder) in w and "not a FHIR resource" in w
    named = {p.patient_id for f in sorted((REALDATA / folder).rglob("*.json"))[:40] for p in _readable(f)}
    assert named <= {p.patient_id for p in patients}


def _readable(f: Path) -> list:  # type: ignore[type-arg]
    try:
        return read_patients([f])[0]
    except InputError:
        return []
