"""Three readings adversarial review 19 found wrong, each a change to sample 01 (T0 = 2026-06-01), the answer
worked out by hand from the protocol line (/work/shared/seeds) and clinical.md.

A-I12 (seed 000: negative pregnancy test "for women of childbearing potential"). clinical.md §0.11: a woman
with a coded hysterectomy or bilateral oophorectomy is not of childbearing potential. A woman of 46 with
ICD-10-CM Z90.711 (acquired absence of uterus with remaining cervical stump), Z90.710 (cervix and uterus)
or Z90.722 (ovaries, bilateral) and no pregnancy test: the test is not required, pass. Before, Z90.711 was
not read: unknown (a test to collect). Z90.712 (cervix absent, uterus kept) and Z90.721 (one ovary) leave
her able to bear children: unknown, as with nothing coded.

E-E3, E-E5, A-E6, D-E15 (seed 004: "Radiotherapy ... within the last 12 weeks"; "Prior external beam
radiotherapy on kidneys or on more than 25% of bone marrow"; seeds 000/003: "Prior external beam radiation
therapy to more than 25% of the bone marrow"). An mCODE radiotherapy course summary is a Procedure coded
SNOMED CT 1217123003 "Radiotherapy course of treatment (regime/therapy)"; one from 2026-04-01 to 2026-04-14
to the kidney is radiotherapy within 12 weeks (E-E3 fail). Whether a course was external beam or
brachytherapy is in an extension the engine does not read, and the extent is not computable: E-E5, A-E6 and
D-E15 review, as for the same course coded 33195004 Teleradiotherapy. Before, the course summary was no
radiotherapy: all four passed. A course ended in 2024 is outside the 12 weeks: E-E3 passes, E-E5 reviews.

A-E11 / C-E7 (seed 000: "Hypertension that cannot be controlled despite medications (>= 160/95 mmHg despite
optimal medical therapy)"; seed 002: "uncontrolled arterial hypertension under optimal treatment (>= 160/95
mmHg)"). clinical.md A-E11 names "MedicationStatement antihypertensive" as a trigger: BP >= 160/95 while on
treatment -> review (C-E7: "fail-candidate, review 'optimal'"). Sample 01 (a man, no hypertension coded)
with amlodipine (ATC C08CA01) and ramipril (C09AA05) taken since 2024 and BP 172/98 on 2026-05-28: on
treatment, at or above the limit, review in both. Before, only a coded hypertension counted as treated: pass.
A drug of each antihypertensive ATC group (C02, C03, C07, C08, C09) counts; the same BP without a drug stays
a pass (no treatment: not "despite medications"), and so does a BP under the limit, or a drug stopped in 2020.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.evaluation.test_clinical_review import AS_OF, ATTESTED, TRIALS, A, C, D, E, base, condition

ATC = "http://www.whocc.no/atc"
LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
ACTIVE = {"coding": [{"code": "active"}]}


def _results(resources: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    out = {}
    for r in evaluate_patient(PatientData("sample-01", resources), TRIALS, AS_OF, ATTESTED):
        out.update({(r.trial, c.id): c.result.value for c in r.criteria})
    return out


# ---- A-I12 ---------------------------------------------------------------------------------------------


def _woman(*codes: str) -> list[dict[str, Any]]:
    out = base()
    for r in out:
        if r["resourceType"] == "Patient":
            r["gender"], r["birthDate"] = "female", "1980-01-01"
    return out + [condition(c, onsetDateTime="2015-01-01", clinicalStatus=ACTIVE) for c in codes]


@pytest.mark.parametrize("code", ["Z90.710", "Z90.711", "Z90.722"])
def test_a_woman_without_a_uterus_or_both_ovaries_needs_no_pregnancy_test(code: str) -> None:
    assert _results(_woman(code))[(A, "A-I12")] == "pass"


@pytest.mark.parametrize("codes", [(), ("Z90.712",), ("Z90.721",)])
def test_a_woman_with_her_uterus_or_an_ovary_still_needs_the_test(codes: tuple[str, ...]) -> None:
    assert _results(_woman(*codes))[(A, "A-I12")] == "unknown"


# ---- E-E3, E-E5, A-E6, D-E15 ---------------------------------------------------------------------------


def _course(code: str, start: str, end: str) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": "rt19b",
        "meta": {"profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-radiotherapy-course-summary"]},
        "status": "completed",
        "subject": {"reference": "Patient/sample-01"},
        "category": {"coding": [{"system": SCT, "code": "108290001"}]},
        "code": {"coding": [{"system": SCT, "code": code}]},
        "performedPeriod": {"start": start, "end": end},
        "bodySite": [{"coding": [{"system": SCT, "code": "64033007", "display": "Kidney structure"}]}],
    }


def _rt(code: str, start: str, end: str) -> tuple[str, ...]:
    got = _results([*base(), _course(code, start, end)])
    return tuple(got[k] for k in ((E, "E-E3"), (E, "E-E5"), (A, "A-E6"), (D, "D-E15")))


@pytest.mark.parametrize("code", ["1217123003", "33195004"])
def test_a_radiotherapy_course_summary_is_radiotherapy(code: str) -> None:
    assert _rt(code, "2026-04-01", "2026-04-14") == ("fail", "review", "review", "review")


def test_a_course_ended_before_the_12_weeks_is_reviewed_for_its_site_only() -> None:
    assert _rt("1217123003", "2024-03-01", "2024-03-20") == ("pass", "review", "review", "review")


# ---- A-E11 / C-E7 --------------------------------------------------------------------------------------


def _bp(systolic: int, diastolic: int) -> dict[str, Any]:
    def part(code: str, value: int) -> dict[str, Any]:
        q = {"value": value, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
        return {"code": {"coding": [{"system": LOINC, "code": code}]}, "valueQuantity": q}

    return {
        "resourceType": "Observation",
        "id": "bp19b",
        "status": "final",
        "subject": {"reference": "Patient/sample-01"},
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "effectiveDateTime": "2026-05-28T09:00:00Z",
        "component": [part("8480-6", systolic), part("8462-4", diastolic)],
    }


def _drug(code: str, status: str = "active", period: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": f"htn19b-{code}",
        "status": status,
        "subject": {"reference": "Patient/sample-01"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
        "effectivePeriod": period or {"start": "2024-01-01"},
        "dateAsserted": "2026-05-28",
    }


def _htn(resources: list[dict[str, Any]]) -> tuple[str, str]:
    got = _results([*base(), *resources])
    return got[(A, "A-E11")], got[(C, "C-E7")]


def test_amlodipine_and_ramipril_with_bp_172_98_is_treated_hypertension_above_the_limit() -> None:
    assert _htn([_bp(172, 98), _drug("C08CA01"), _drug("C09AA05")]) == ("review", "review")


@pytest.mark.parametrize("code", ["C02AC01", "C03AA03", "C07AB07", "C08CA01", "C09CA01"])
def test_a_drug_of_each_antihypertensive_group_is_treatment(code: str) -> None:
    assert _htn([_bp(150, 96), _drug(code)]) == ("review", "review")


def test_the_same_bp_without_a_drug_or_a_diagnosis_is_not_despite_medications() -> None:
    assert _htn([_bp(172, 98)]) == ("pass", "pass")


def test_a_bp_under_the_limit_on_treatment_passes() -> None:
    assert _htn([_bp(159, 94), _drug("C08CA01")]) == ("pass", "pass")


def test_a_drug_stopped_years_ago_is_no_treatment_now() -> None:
    old = _drug("C08CA01", "completed", {"start": "2019-01-01", "end": "2020-06-30"})
    assert _htn([_bp(172, 98), old]) == ("pass", "pass")
