"""Four criteria the last review left open, each a change to a sample patient (T0 = 2026-06-01), the answer
worked out by hand from the protocol line (/work/shared/seeds) and clinical.md.

D-E1 (seed 003 exclusion 1: "Less than 4 weeks post-surgery, or any other medical treatment, including
chemotherapy, radiotherapy, and intrahepatic therapy"). Sample 76 (D eligible; its liver resection
2026-05-04 is exactly 28 days old, outside (T0-28 d, T0]) has no coded treatment in the window. Surgery of
any other kind, ablation and SIRT have no verified code, so routine data cannot rule them out: the line is
a manual item until someone attests it (as B-E1's "other major surgery"), never a pass on silence. Before,
D-E1 passed, even beside an operation 10 days ago coded by text alone. Attested "no": pass; "yes": fail;
a coded radiotherapy 12 days ago still fails without any answer.

A-E17 (seed 000: "History of other solid tumor in 5 years before the inclusion excepted of cancer in situ
of the cervix and skin cancer"). The trial studies an intestinal NET; A-E4 fails a pancreatic one. A NET
coded at another organ (ICD-10-CM C7A.090 lung, C7A.091 thymus, C7A.092 stomach, C7A.093 kidney, C7A.094
foregut NOS, C7A.098 other sites) beside it is a solid tumour, but the protocol does not say whether a
second NET primary is "other", and such a code can as well be a metastasis of the intestinal NET (lung,
ovary) or, for the foregut NOS, the duodenal NET itself: review, not fail. Before, it passed (every C7A
code was read as the NET under study). A second intestinal NET code (C7A.020 appendix beside the ileal
C7A.012) is the multifocal intestinal disease the trial studies: pass. Onset 2018 and resolved: outside
the 5 years, pass.

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

import copy
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.questionnaire import questionnaire_response
from fhir_eligibility.retrieval.files import read_patients
from tests.evaluation.test_clinical_review import AS_OF, ATTESTED, TRIALS, A, B, D, base, condition

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


# ---- D-E1 ----------------------------------------------------------------------------------------------


def _sample_76() -> tuple[str, list[dict[str, Any]]]:
    (p,) = read_patients([SAMPLE_76])[0]
    return p.patient_id, copy.deepcopy(p.resources)


def _answer(pid: str, answers: dict[str, bool]) -> dict[str, Any]:
    (trial,) = load_trials(None, [D])
    return questionnaire_response(
        trial, pid, answers, author="Research coordinator", authored="2026-05-30T10:00:00Z", response_id="qr19"
    )


def test_d_e1_without_a_coded_treatment_awaits_attestation() -> None:
    pid, resources = _sample_76()
    assert _results(pid, resources, Settings())[(D, "D-E1")] == "manual"
    got = _results(pid, resources, ATTESTED)
    assert (got[(D, "D-E1")], got[(D, "verdict")]) == ("pass", "eligible")


def test_d_e1_an_operation_coded_by_text_alone_is_not_ruled_out() -> None:
    pid, resources = _sample_76()
    other = _procedure(pid, {"text": "Laparoscopic cholecystectomy"}, "2026-05-22")
    assert _results(pid, [*resources, other], Settings())[(D, "D-E1")] == "manual"


@pytest.mark.parametrize(("answer", "expected"), [(False, "pass"), (True, "fail")])
def test_d_e1_the_attested_item_decides(answer: bool, expected: str) -> None:
    pid, resources = _sample_76()
    got = _results(pid, [*resources, _answer(pid, {"D-E1.other": answer})], Settings())
    assert got[(D, "D-E1")] == expected


def test_d_e1_a_coded_radiotherapy_in_the_window_fails_unanswered() -> None:
    pid, resources = _sample_76()
    ebrt = _procedure(pid, {"coding": [{"system": SCT, "code": "33195004"}]}, "2026-05-20")
    assert _results(pid, [*resources, ebrt], Settings())[(D, "D-E1")] == "fail"


# ---- A-E17 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["C7A.090", "C7A.091", "C7A.092", "C7A.093", "C7A.094", "C7A.098"])
def test_a_e17_a_net_of_another_organ_is_reviewed(code: str) -> None:
    net = condition(code, onsetDateTime="2025-09-01", clinicalStatus=ACTIVE)
    assert _results("sample-01", [*base(), net], ATTESTED)[(A, "A-E17")] == "review"


def test_a_e17_an_old_resolved_net_of_another_organ_passes() -> None:
    net = condition("C7A.090", onsetDateTime="2018-03-01", clinicalStatus={"coding": [{"code": "resolved"}]})
    assert _results("sample-01", [*base(), net], ATTESTED)[(A, "A-E17")] == "pass"


def test_a_e17_a_second_intestinal_net_is_the_disease_under_study() -> None:
    net = condition("C7A.020", onsetDateTime="2025-09-01", clinicalStatus=ACTIVE)
    assert _results("sample-01", [*base(), net], ATTESTED)[(A, "A-E17")] == "pass"


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
