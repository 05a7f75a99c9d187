"""Wrong verdicts a clinical adversarial review reproduced on realistic records, each a change to sample 01.

Sample 01 (tests/expected_verdicts.md) is eligible, its manual items assumed attested, for A, B, C and E;
it has no bone-marrow involvement. Worked out by hand from the protocols and clinical.md:

- E-E4 excludes bone-marrow infiltration (ICD-10-CM C79.52) that is active: a record of it with an
  ``abatementDateTime`` (it ended in 2018) and no clinicalStatus is, by FHIR's con-4 rule, not active
  ("If condition is abated, then clinicalStatus must be either inactive, resolved, or remission"), so E-E4
  passes; the same record without the abatement is active (no status: read as written, active) and fails;
  with ``clinicalStatus`` active beside the abatement, the status as written decides (fails).
- C-E7 excludes a myocardial infarction in the last 12 months. A resolved MI whose onset is written as
  text that is a date (``onsetString`` "2019") and recorded this year (``recordedDate`` 2026-03-01)
  happened in 2019: pass. Before, the recorded date stood for the onset: fail. Written "2026-02", it is
  inside the 12 months: fail.
- A-I1 needs age 18 or over. Two versions of the Patient with the same id, born 1960 and 2010, and
  nothing ordering them (no meta): which is right is not known, so the age is unknown (unknown), in
  whichever order they come. Before, the last one listed decided: ineligible (16) or a pass. With
  ``meta.lastUpdated`` saying the 1960 one is newer, it decides: pass.
- E-E3 excludes mTOR inhibitors in the last 12 weeks (2026-03-10..2026-06-01). An everolimus order
  (MedicationRequest) still ``active``, written 2025-09-01: a standing order may be taken any day of
  the window, and an order is no proof it was taken (forms.records): unknown. Before, the order counted
  on the day it was written only: pass. Its validity ending 2026-01-31, or the order ``completed``
  (its last day not recorded: dated by when it was written), it says nothing of the window: pass.
- A limit as a multiple of the upper limit of normal, at exactly the multiple: ALT 87 U/L with a
  reference range up to 34.8 U/L is 2.5 x ULN, which C-I6 ("ALT/AST <= 2.5 x ULN") allows: pass; total
  bilirubin 2.7 mg/dL with ULN 0.9 is 3 x ULN, which D-E11 ("> 3 x ULN") does not exclude: pass. Before,
  87 * (1 / 34.8) and 2.7 * (1 / 0.9) came out a hair above in binary floating point: fail. A hair above
  in the decimals written (87.1) fails.
- The NET diagnosis (C-I1, E-I2: a well-differentiated GEP-NET) coded apart from its primary: sample 01's
  C7A.012 (carcinoid of the ileum) replaced by C17.2 (malignant neoplasm of the ileum) beside its C7B.02
  (secondary carcinoid of the liver), or by Z85.060 (personal history of a carcinoid of the small
  intestine, the primary resected): the record shows a NET, but not by a code naming a GEP primary with
  its histology, so a person reviews it: review. Before: "none recorded", fail. E-I2 also needs a
  metastasis coded: without C7B.02 it fails on that. With no NET code at all the closed-world rule fails both.
- E-I3's biochemical progression is "the last three results r1 < r2 < r3" (clinical.md; two successive
  rises). Chromogranin A 200, 220, 310 in the 12 months: two rises, met. 220, 200, 310: the last two rise
  once only, not met (before, only the last two results were compared: met, and E was eligible under
  --assume-attested on one rise). Two results only (200, 310): one rise, not met.
- E-E8 excludes breast-feeding. A breast-feeding Condition (Z39.1) still ``active`` but begun in 2019
  is most likely a problem-list entry never closed (as a pregnancy older than 10 months): review, not
  fail. Begun in 2025: fail.
- B-I3b excludes everolimus taken for more than 31 days. One everolimus dispense in 2022 with a 90-day
  supply (``daysSupply``) may have been taken on each of those days; a dispense is no proof it was
  taken (forms.records): unknown. Before, a dispense was one day: "0 days of exposure", pass. A 14-day
  supply cannot exceed 31 days: pass.
- A-I3 and C-I3 count exactly four Lutathera cycles. Sample 01's four dated administrations replaced by
  four statements dated only "2023" (cycles given elsewhere): one to four cycles, the days unknown:
  unknown. Before, all four read as 2023-01-01, merged into one episode: "1 found", fail. The four dated
  administrations plus one summary statement dated "2023": four, or five if the summary is another cycle:
  unknown, not "5 found".
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_files, evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.screening.core import SCREENING
from fhir_eligibility.screening.runner import screen_files
from tests.retrieval.test_input_review import resources as literal

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
AS_OF = dt.date(2026, 6, 1)
TRIALS = load_trials(None, None)
ATTESTED = Settings(assume_attested=True)
A, B, C, D, E = "NCT04954820", "NCT05773274", "NCT04837885", "NCT05987176", "NCT01842165"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


def base() -> list[dict[str, Any]]:
    (p,) = read_patients([SAMPLE])[0]
    return copy.deepcopy(p.resources)


def results(resources: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    out = {}
    for r in evaluate_patient(PatientData("sample-01", resources), TRIALS, AS_OF, ATTESTED):
        out.update({(r.trial, c.id): c.result.value for c in r.criteria})
        out[(r.trial, "verdict")] = r.verdict.value
    return out


def condition(code: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": f"review-{code}",
        "subject": {"reference": "Patient/sample-01"},
        "code": {"coding": [{"system": ICD10CM, "code": code}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"onsetDateTime": "2018-01-01", "abatementDateTime": "2018-06-01"}, "pass"),
        ({"onsetDateTime": "2018-01-01", "abatementString": "resolved after chemotherapy"}, "pass"),
        ({"onsetDateTime": "2018-01-01"}, "fail"),
        ({"onsetDateTime": "2018-01-01", "abatementDateTime": "2018-06-01", "clinicalStatus": "active"}, "fail"),
    ],
)
def test_an_abated_condition_without_a_status_is_not_active(extra: dict[str, Any], expected: str) -> None:
    assert results([*base(), condition("C79.52", **extra)])[(E, "E-E4")] == expected


@pytest.mark.parametrize(("onset", "expected"), [("2019", "pass"), ("2026-02", "fail")])
def test_an_onset_written_as_a_date_in_text_is_the_onset_not_the_recorded_date(onset: str, expected: str) -> None:
    mi = condition("I21.9", onsetString=onset, recordedDate="2026-03-01", clinicalStatus="resolved")
    assert results([*base(), mi])[(C, "C-E7")] == expected


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ({"birthDate": "1960-03-01"}, {"birthDate": "2010-03-01"}, "unknown"),
        ({"birthDate": "2010-03-01"}, {"birthDate": "1960-03-01"}, "unknown"),
        (
            {"birthDate": "1960-03-01", "meta": {"lastUpdated": "2026-05-02T00:00:00Z"}},
            {"birthDate": "2010-03-01", "meta": {"lastUpdated": "2026-05-01T00:00:00Z"}},
            "pass",
        ),
    ],
)
def test_unordered_patient_versions_that_disagree_on_the_birth_date_leave_the_age_unknown(
    tmp_path: Path, first: dict[str, Any], second: dict[str, Any], expected: str
) -> None:
    resources = literal()  # references written Patient/sample-01, as an export writes them
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    others = [r for r in resources if r["resourceType"] != "Patient"]
    versions = [{**patient, **first}, {**patient, **second}]
    for v in versions:
        if "meta" not in first:
            v.pop("meta", None)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in [*versions, *others]]}
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "p.json").write_text(json.dumps(bundle))
    report = evaluate_files([tmp_path / "in"], TRIALS, AS_OF, ATTESTED)
    (a,) = [r for r in report.results if r.trial == A]
    assert {c.id: c.result.value for c in a.criteria}["A-I1"] == expected
    screened = screen_files([tmp_path / "in"], TRIALS, AS_OF, SCREENING, workers=1, temp_dir=tmp_path)
    (trial,) = [t for t in screened.trials if t.trial == A]
    (row,) = [f for f in trial.funnel if f.criterion == "A-I1"]
    assert {k: n for k, n in row.counts.items() if n} == {expected: 1}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"status": "active"}, "unknown"),
        ({"status": "active", "dispenseRequest": {"validityPeriod": {"end": "2026-01-31"}}}, "pass"),
        ({"status": "completed"}, "pass"),
    ],
)
def test_a_standing_order_counts_until_its_validity_ends(extra: dict[str, Any], expected: str) -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "review-everolimus",
        "intent": "order",
        "subject": {"reference": "Patient/sample-01"},
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01EG02"}]},
        "authoredOn": "2025-09-01",
        **extra,
    }
    assert results([*base(), order])[(E, "E-E3")] == expected


def lab(code: str, value: float, unit: str, high: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"review-{code}",
        "status": "final",
        "subject": {"reference": "Patient/sample-01"},
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "effectiveDateTime": "2026-05-30T08:00:00Z",  # the most recent of its kind
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
        "referenceRange": [
            {"high": {"value": high, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}
        ],
    }


@pytest.mark.parametrize(
    ("observation", "criterion", "expected"),
    [
        (lab("1742-6", 87, "U/L", 34.8), (C, "C-I6-alt-ast"), "pass"),
        (lab("1742-6", 87.1, "U/L", 34.8), (C, "C-I6-alt-ast"), "fail"),
        (lab("1975-2", 2.7, "mg/dL", 0.9), (D, "D-E11"), "pass"),
        (lab("1975-2", 2.71, "mg/dL", 0.9), (D, "D-E11"), "fail"),
    ],
)
def test_a_value_at_exactly_n_times_the_upper_limit_is_n_times(
    observation: dict[str, Any], criterion: tuple[str, str], expected: str
) -> None:
    assert results([*base(), observation])[criterion] == expected


@pytest.mark.parametrize(
    ("replacement", "keep_metastasis", "expected"),
    [
        ("C17.2", True, ("review", "review")),
        ("Z85.060", True, ("review", "review")),
        ("Z85.060", False, ("review", "fail")),  # E-I2 also needs a metastasis: none coded
        (None, False, ("fail", "fail")),
    ],
)
def test_a_net_coded_by_its_metastases_or_its_history_is_reviewed_not_absent(
    replacement: str | None, keep_metastasis: bool, expected: tuple[str, str]
) -> None:
    kept = [
        r
        for r in base()
        if r["resourceType"] != "Condition"
        or not any(c["code"] in ("C7A.012", *(() if keep_metastasis else ("C7B.02",))) for c in r["code"]["coding"])
    ]
    extra = [condition(replacement, clinicalStatus="active")] if replacement else []
    got = results([*kept, *extra])
    assert (got[(C, "C-I1")], got[(E, "E-I2")]) == expected


def _find(results: tuple[Any, ...], text: str) -> Any:
    for c in results:
        if text in c.description:
            return c
        found = _find(c.children, text)
        if found is not None:
            return found
    return None


@pytest.mark.parametrize(
    ("values", "expected"),
    [((200, 220, 310), "pass"), ((220, 200, 310), "fail"), ((200, 310), "fail")],
)
def test_biochemical_progression_is_two_successive_rises(values: tuple[int, ...], expected: str) -> None:
    cga = [
        {
            "resourceType": "Observation",
            "id": f"review-cga-{i}",
            "status": "final",
            "subject": {"reference": "Patient/sample-01"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "9811-1"}]},
            "effectiveDateTime": f"2026-0{2 + i}-01",
            "valueQuantity": {"value": v, "unit": "ug/L", "system": "http://unitsofmeasure.org", "code": "ug/L"},
        }
        for i, v in enumerate(values)
    ]
    (e,) = [
        r
        for r in evaluate_patient(PatientData("sample-01", [*base(), *cga]), TRIALS, AS_OF, Settings())
        if r.trial == E
    ]
    leaf = _find(e.criteria, "Chromogranin A rising")
    assert leaf is not None and leaf.result.value == expected


@pytest.mark.parametrize(("onset", "expected"), [("2019-01-01", "review"), ("2025-06-01", "fail")])
def test_a_breast_feeding_record_begun_years_ago_is_reviewed_not_failed(onset: str, expected: str) -> None:
    lactating = condition("Z39.1", onsetDateTime=onset, clinicalStatus="active")
    assert results([*base(), lactating])[(E, "E-E8")] == expected


@pytest.mark.parametrize(("days", "expected"), [(90, "unknown"), (14, "pass")])
def test_a_dispensed_supply_covers_its_days(days: int, expected: str) -> None:
    dispense = {
        "resourceType": "MedicationDispense",
        "id": "review-dispense",
        "status": "completed",
        "subject": {"reference": "Patient/sample-01"},
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01EG02"}]},
        "whenHandedOver": "2022-01-05",
        "daysSupply": {"value": days, "unit": "day", "system": "http://unitsofmeasure.org", "code": "d"},
    }
    assert results([*base(), dispense])[(B, "B-I3b")] == expected


def test_a_record_with_only_text_is_named_in_a_warning_never_quoted() -> None:
    """A Lutathera dose recorded as text only ("Lutathera 7.4 GBq", no code) is read by no criterion, so it
    counts as not given (C-I3 counts 3 of 4 cycles): the report says so by the record's reference, without
    its text (a clinician's free text may name the patient)."""
    dose = next(r for r in base() if r["resourceType"] == "MedicationAdministration")
    text_only = {**dose, "id": "review-text-dose", "medicationCodeableConcept": {"text": "Lutathera 7.4 GBq"}}
    resources = [r for r in base() if r.get("id") != dose["id"]] + [text_only]
    data = PatientData("sample-01", resources)
    evaluate_patient(data, TRIALS, AS_OF, ATTESTED)
    (said,) = [w for w in data.warnings if "no code, only text" in w]
    assert "MedicationAdministration/review-text-dose" in said and "Lutathera" not in said


def test_doses_dated_by_a_year_only_are_no_one_cycle() -> None:
    doses = [r for r in base() if r["resourceType"] == "MedicationAdministration"]
    assert len(doses) == 4
    statements = [
        {
            "resourceType": "MedicationStatement",
            "id": f"review-year-{i}",
            "status": "completed",
            "subject": {"reference": "Patient/sample-01"},
            "medicationCodeableConcept": doses[0]["medicationCodeableConcept"],
            "effectiveDateTime": "2023",
        }
        for i in range(4)
    ]
    others = [r for r in base() if r["resourceType"] != "MedicationAdministration"]
    got = results([*others, *statements])
    assert (got[(A, "A-I3")], got[(C, "C-I3")]) == ("unknown", "unknown")
    got = results([*base(), statements[0]])
    assert (got[(A, "A-I3")], got[(C, "C-I3")]) == ("unknown", "unknown")
    assert (results(base())[(A, "A-I3")], results(base())[(C, "C-I3")]) == ("pass", "pass")
