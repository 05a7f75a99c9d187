"""Findings of the twentieth review of trials B (NCT05773274) and D (NCT05987176), each a change to a sample
patient (T0 = 2026-06-01, attestations assumed), the answer worked out by hand from the seeds
(/work/shared/seeds) and clinical.md (§0 conventions, criterion rows, §2 value sets).

Everolimus for a transplant. Seed 003 (D) excludes "prior systemic and/or liver-directed treatment for their
metastatic NET" and a 4-week wash-out from "chemotherapy, radiotherapy, and intrahepatic therapy"; seed 001
(B) "any intervening therapy after initial PRRT". clinical.md builds D-E7 and B-I5 from VS-MTORI (ATC L01EG)
and D-E1, E-E3 from VS-CHEMO (ATC L01); only B-I3b ("previous therapy with everolimus for a maximum of 1
month") reads VS-EVEROLIMUS, which includes the immunosuppressant codes. ATC classifies a substance by its
use: L04AH02 (L04AA18 before 2022) is everolimus given as an immunosuppressant, and the RxNorm 0.25 / 0.5 /
0.75 / 1 mg tablets are the transplant (Zortress) strengths (the antineoplastic tablets are 2.5 / 5 / 7.5 /
10 mg and the 2 / 3 / 5 mg tablets for oral suspension). So a kidney-transplant patient on L04AH02 or on
0.75 mg tablets has had no anticancer therapy: D-E7, D-E1, E-E3 and B-I5 pass; B-I3b still counts the
exposure (> 31 days: fail), as clinical.md reads it. L01EG02 and the 10 mg tablet still fail.

A pregnancy ended by a delivery. Z33.1 (pregnant state) left active from 2025-09-01, then O80 (delivery)
dated after it: the pregnancy is most likely over, but only the order of two records says so, and a
pregnancy begun after a delivery is a new one: with a pregnancy and a delivery both in the 10 months a
pregnancy can last, a person decides. D (seed 003 excludes "Pregnancy" only; breast-feeding is not listed):
D-E5 review, not fail. B (seed 001: pregnancy excludes; breast-feeding "should be discontinued" during
treatment and for 2.5 months after): review, and a delivery in the last 12 months asks whether she
breast-feeds even without a pregnancy record. A pregnancy with no delivery in those 10 months (the last one
on 2025-07-01) still fails.

MiNEN (ICD-O-3 8154/3). clinical.md §2.5 VS-NEC: "8154/3 MiNEN -> review"; A-E5 reviews it. D-E2 (high
grade: G3 NET or NEC), C-I1 and E-I2 (a well-differentiated NET; NEC fails) read the same way: review.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.codes import PROJECT_CS
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.files import read_patients
from tests.evaluation.test_clinical_review import AS_OF, ATTESTED, TRIALS

SAMPLES = Path(__file__).resolve().parents[2] / "sample_bundles"
B_SAMPLE = "01-prrt-ileal-net-baseline.json"  # eligible for A, B, C, E
D_SAMPLE = "76-d-ileal-resected-thresholds.json"  # eligible for D
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
ACTIVE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}


def _results(
    sample: str, *extra: dict[str, Any], woman: bool = False, trials: list[Trial] | None = None
) -> dict[tuple[str, str], str]:
    (p,) = read_patients([SAMPLES / sample])[0]
    resources = copy.deepcopy(p.resources)
    if woman:
        for r in resources:
            if r["resourceType"] == "Patient":
                r.update(gender="female", birthDate="1990-01-01")
    for r in extra:
        r["subject"] = {"reference": f"Patient/{p.patient_id}"}
    out = {}
    for r in evaluate_patient(PatientData(p.patient_id, [*resources, *extra]), trials or TRIALS, AS_OF, ATTESTED):
        out.update({(r.trial, c.id): c.result.value for c in r.criteria})
        out[(r.trial, "verdict")] = r.verdict.value
    return out


def _statement(system: str, code: str, start: str, end: str | None = None) -> dict[str, Any]:
    period = {"start": start, **({"end": end} if end else {})}
    return {
        "resourceType": "MedicationStatement",
        "id": f"ev20-{code}",
        "status": "completed" if end else "active",
        "medicationCodeableConcept": {"coding": [{"system": system, "code": code}]},
        "effectivePeriod": period,
    }


def _condition(system: str, code: str, onset: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": f"c20-{code.replace('/', '-').replace('.', '')}-{onset}",
        "clinicalStatus": ACTIVE,
        "verificationStatus": CONFIRMED,
        "code": {"coding": [{"system": system, "code": code}]},
        "onsetDateTime": onset,
    }


TRANSPLANT = _condition(ICD10CM, "Z94.0", "2015-02-15")  # kidney transplant status


# ---- everolimus for a transplant ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "code", "start", "end", "expected"),
    [
        (ATC, "L04AH02", "2019-03-01", None, "pass"),  # immunosuppressant, still taken
        (ATC, "L04AA18", "2019-03-01", None, "pass"),  # its code before 2022
        (RXNORM, "977438", "2015-03-01", "2016-03-01", "pass"),  # 0.75 mg tablet (transplant strength)
        (RXNORM, "2056895", "2015-03-01", "2016-03-01", "pass"),  # 1 mg tablet (transplant strength)
        (ATC, "L01EG02", "2019-03-01", None, "fail"),  # antineoplastic
        (RXNORM, "845507", "2015-03-01", "2016-03-01", "fail"),  # 10 mg tablet (antineoplastic strength)
    ],
)
def test_d_e7_counts_everolimus_only_as_an_anticancer_drug(
    system: str, code: str, start: str, end: str | None, expected: str
) -> None:
    res = _results(D_SAMPLE, copy.deepcopy(TRANSPLANT), _statement(system, code, start, end))
    assert res[("NCT05987176", "D-E7")] == expected


@pytest.mark.parametrize(("code", "expected"), [("L04AH02", "pass"), ("L01EG02", "fail")])
def test_d_e1_and_e_e3_wash_outs_do_not_count_transplant_everolimus(code: str, expected: str) -> None:
    res = _results(D_SAMPLE, copy.deepcopy(TRANSPLANT), _statement(ATC, code, "2019-03-01"))
    assert res[("NCT05987176", "D-E1")] == expected
    res = _results(B_SAMPLE, copy.deepcopy(TRANSPLANT), _statement(ATC, code, "2019-03-01"))
    assert res[("NCT01842165", "E-E3")] == expected


@pytest.mark.parametrize(("code", "expected"), [("977438", "pass"), ("845515", "fail")])
def test_b_i5_transplant_everolimus_is_no_intervening_therapy(code: str, expected: str) -> None:
    res = _results(B_SAMPLE, copy.deepcopy(TRANSPLANT), _statement(RXNORM, code, "2026-01-01"))
    assert res[("NCT05773274", "B-I5")] == expected
    # B-I3b reads every everolimus code (clinical.md VS-EVEROLIMUS includes L04): 5 months is > 31 days
    assert res[("NCT05773274", "B-I3b")] == "fail"


# ---- a pregnancy ended by a delivery ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delivery", "expected"),
    [(None, "fail"), ("2026-05-10", "review"), ("2025-08-15", "review"), ("2025-07-01", "fail")],
)
def test_d_e5_a_delivery_beside_the_pregnancy_is_asked_not_failed(delivery: str | None, expected: str) -> None:
    extra = [_condition(ICD10CM, "Z33.1", "2025-09-01")]
    if delivery:
        extra.append(_condition(ICD10CM, "O80", delivery))
    assert _results(D_SAMPLE, *extra, woman=True)[("NCT05987176", "D-E5")] == expected


@pytest.mark.parametrize(
    ("delivery", "expected"),
    [(None, "fail"), ("2026-02-10", "review"), ("2025-07-01", "fail")],
)
def test_b_e6_a_recent_delivery_asks_about_breast_feeding(delivery: str | None, expected: str) -> None:
    extra = [_condition(ICD10CM, "Z33.1", "2025-09-01")]
    if delivery:
        extra.append(_condition(ICD10CM, "O80", delivery))
    assert _results(B_SAMPLE, *extra, woman=True)[("NCT05773274", "B-E6")] == expected


@pytest.mark.parametrize(("delivery", "expected"), [("2025-07-01", "review"), ("2025-03-01", "pass")])
def test_b_e6_a_delivery_in_the_last_year_asks_about_breast_feeding(delivery: str, expected: str) -> None:
    res = _results(B_SAMPLE, _condition(ICD10CM, "O80", delivery), woman=True)
    assert res[("NCT05773274", "B-E6")] == expected
    # D does not exclude breast-feeding: a delivery alone is nothing to ask there
    assert _results(D_SAMPLE, _condition(ICD10CM, "O80", delivery), woman=True)[("NCT05987176", "D-E5")] == "pass"


# ---- MiNEN --------------------------------------------------------------------------------------------


def test_minen_is_reviewed_by_every_nec_criterion() -> None:
    minen = _condition(ICDO3, "8154/3", "2020-01-01")
    res = _results(D_SAMPLE, copy.deepcopy(minen))
    assert res[("NCT05987176", "D-E2")] == "review"
    res = _results(B_SAMPLE, copy.deepcopy(minen))
    assert res[("NCT04954820", "A-E5")] == "review"
    assert res[("NCT04837885", "C-I1")] == "review"
    assert res[("NCT01842165", "E-I2")] == "review"


# ---- everolimus coded by its ingredient alone ---------------------------------------------------------

INGREDIENT = "141704"  # a site's ingredient-level everolimus code (unverified RxCUI: mapped by the site)


def _ingredient_map(tmp_path: Path) -> Path:
    cmap = {
        "resourceType": "ConceptMap",
        "url": "http://hospital.example.org/fhir/ConceptMap/everolimus",
        "status": "active",
        "group": [
            {
                "source": RXNORM,
                "target": PROJECT_CS,
                "element": [
                    {"code": INGREDIENT, "target": [{"code": "everolimus-use-unknown", "equivalence": "equivalent"}]}
                ],
            }
        ],
    }
    path = tmp_path / "everolimus-map.json"
    path.write_text(json.dumps(cmap))
    return path


def test_everolimus_coded_by_its_ingredient_is_reviewed_not_failed(tmp_path: Path) -> None:
    trials = load_trials(None, None, terminology=[_ingredient_map(tmp_path)])
    for sample, start, checks in [
        (D_SAMPLE, "2026-05-20", [("NCT05987176", "D-E7"), ("NCT05987176", "D-E1")]),
        (B_SAMPLE, "2026-05-20", [("NCT05773274", "B-I5"), ("NCT01842165", "E-E3")]),
    ]:
        res = _results(sample, _statement(RXNORM, INGREDIENT, start), trials=trials)
        assert [res[k] for k in checks] == ["review", "review"], sample
    # without the site's map the code means nothing to the criteria (no silent fail)
    res = _results(D_SAMPLE, _statement(RXNORM, INGREDIENT, "2026-05-20"))
    assert res[("NCT05987176", "D-E7")] == "pass"
