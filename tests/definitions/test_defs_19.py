"""Criteria the last review left open, each a change to a sample patient (T0 = 2026-06-01), the answer
worked out by hand from the protocol line (/work/shared/seeds) and clinical.md.

A-E12 (seed 000: brain metastases "unless these metastases have been treated and stabilized for at least
24 weeks"). Brain metastases (C79.31) dated by ``recordedDate`` 2025-06-01 alone (no onset): clinical.md
§0.7 dates a time-windowed event by its onset, else its recorded date, so the metastases date from
2025-06-01. Radiosurgery (CPT 77371) on 2025-07-01 is after them and >= 168 days before T0: review
(stability is an imaging read); on 2025-12-15, exactly 168 days: review; on 2026-03-01 (92 days): fail;
none: fail; on 2025-05-01, before the date the metastases carry: it treated something else, fail.

B-I2a (seed 001: "Metastatic, histologically confirmed ... midgut neuroendocrine tumours"). Metastatic
disease is a state on T0, not a history: clinical.md §0.7 counts a Condition with clinicalStatus active,
recurrence or relapse (no status: read as written, active). Sample 01's liver metastases (C7B.02) marked
inactive, resolved or in remission are past disease, and no other metastasis is coded: the closed-world
rule for diagnoses makes "metastatic" not met, fail (B is ineligible on it). A status that says neither
active nor inactive (R5 "unknown") may be current: unknown. These two pass on main as well: they pin the
reading the definitions' notes now state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.evaluation.test_clinical_review import AS_OF, ATTESTED, TRIALS, A, B, base, condition

SAMPLE_76 = Path(__file__).resolve().parents[2] / "sample_bundles" / "76-d-ileal-resected-thresholds.json"
CPT = "http://www.ama-assn.org/go/cpt"
SCT = "http://snomed.info/sct"
ACTIVE = {"coding": [{"code": "active"}]}


def _results(pid: str, resources: list[dict[str, Any]], settings: Settings) -> dict[tuple[str, str], str]:
    out = {}
    for r in evaluate_patient(PatientData(pid, resources), TRIALS, AS_OF, settings):
        out.update({(r.trial, c.id): c.result.value for c in r.criteria})
        out[(r.trial, "verdict")] = r.verdict.value
    return out


def _procedure(pid: str, code: dict[str, Any], date: str) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": f"proc19-{date}",
        "status": "completed",
        "subject": {"reference": f"Patient/{pid}"},
        "code": code,
        "performedDateTime": date,
    }


# ---- A-E12 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("treated", "expected"),
    [
        ("2025-07-01", "review"),
        ("2025-12-15", "review"),
        ("2026-03-01", "fail"),
        (None, "fail"),
        ("2025-05-01", "fail"),
    ],
)
def test_a_e12_brain_metastases_dated_by_their_recorded_date(treated: str | None, expected: str) -> None:
    mets = condition("C79.31", recordedDate="2025-06-01", clinicalStatus=ACTIVE)
    srs = [_procedure("sample-01", {"coding": [{"system": CPT, "code": "77371"}]}, treated)] if treated else []
    assert _results("sample-01", [*base(), mets, *srs], ATTESTED)[(A, "A-E12")] == expected


# ---- B-I2a ---------------------------------------------------------------------------------------------


def _metastases(status: str | None) -> list[dict[str, Any]]:
    out = base()
    for r in out:
        if r["resourceType"] == "Condition" and r["code"]["coding"][0]["code"] == "C7B.02":
            r.pop("clinicalStatus", None)
            if status:
                r["clinicalStatus"] = {"coding": [{"code": status}]}
    return out


@pytest.mark.parametrize("status", ["inactive", "resolved", "remission"])
def test_b_i2a_metastases_no_longer_present_are_not_metastatic_disease(status: str) -> None:
    got = _results("sample-01", _metastases(status), ATTESTED)
    assert (got[(B, "B-I2a")], got[(B, "verdict")]) == ("fail", "ineligible")


@pytest.mark.parametrize("status", ["active", "recurrence", "relapse", None])
def test_b_i2a_metastases_present_now_count(status: str | None) -> None:
    assert _results("sample-01", _metastases(status), ATTESTED)[(B, "B-I2a")] == "pass"


def test_b_i2a_metastases_of_a_status_that_says_neither_leave_it_open() -> None:
    assert _results("sample-01", _metastases("unknown"), ATTESTED)[(B, "B-I2a")] == "unknown"
