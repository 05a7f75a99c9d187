"""The prothrombin time is one test reported three ways (seconds, INR, Quick %): its most recent result,
whatever its form, decides (clinical.md §0.3), worked out by hand (T0 = 2026-06-01, attestations assumed).

A-E8, C-E6, D-E12 (albumin < 3.0 g/dL, < 30 g/L, unless PT within the normal range; exclusions, so a criterion
result of fail = excluded): with albumin 2.7 g/dL on 05-20, the criterion fails when the newest PT result is outside
its range (seconds/INR above its ULN, Quick % below its LLN) and passes when it is inside. An older normal result of
the other form does not rescue a newer abnormal one (review 21: Quick 95 % on 05-10 then INR 1.8 on 05-28 was
eligible). Results of both forms on one day (one specimen) are normal only when every form is (§0.3's tie rule:
least favourable). No PT on file: unknown, with the PT to collect.

E-I8 (albumin > 3 g/dL AND PT > 70 %, read as Quick %; albumin 4.1 g/dL here): the latest Quick % > 70 % passes
unless a prolonged seconds/INR result is on or after its day. Prolonged after it (Quick 95 % on 05-10, PT 21 s above
13.5 s and INR 1.8 on 05-28): the Quick % no longer describes the patient and seconds/INR do not give a % -> unknown,
a Quick % after 05-28 to collect (not fail: with no Quick % at all, a prolonged INR is unknown too, and an older
normal Quick % must not make it worse). Prolonged on the same day (one specimen): least favourable, fail. A newer
normal seconds/INR agrees with the Quick % (pass) and does not lift a Quick % <= 70 % (fail).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.files import read_patients
from tests.definitions.test_review_bd_defs20 import B_SAMPLE, D_SAMPLE, SAMPLES
from tests.evaluation.test_clinical_review import AS_OF, ATTESTED, TRIALS

A, C, D, E = "NCT04954820", "NCT04837885", "NCT05987176", "NCT01842165"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ALB, QUICK, INR, SECONDS = "1751-7", "5894-1", "6301-6", "5902-2"
RANGES = {ALB: (3.5, 5.0, "g/dL"), QUICK: (70, 130, "%"), INR: (0.8, 1.2, "{INR}"), SECONDS: (11.0, 13.5, "s")}


def _obs(code: str, value: float, day: str) -> dict[str, Any]:
    low, high, unit = RANGES[code]
    return {
        "resourceType": "Observation",
        "id": f"pt21-{code}-{day}-{value:g}",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": f"{day}T08:00:00+00:00",
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
        "referenceRange": [
            {"low": {"value": low, "system": UCUM, "code": unit}, "high": {"value": high, "system": UCUM, "code": unit}}
        ],
    }


def _evaluate(sample: str, *labs: dict[str, Any]) -> tuple[dict[tuple[str, str], str], dict[str, list[Any]]]:
    """The sample's albumin and PT results replaced by ``labs``: criterion results and missingData per trial."""
    (p,) = read_patients([SAMPLES / sample])[0]
    kept = [
        r
        for r in copy.deepcopy(p.resources)
        if not (
            r["resourceType"] == "Observation"
            and {c.get("code") for c in r["code"].get("coding", [])} & {ALB, QUICK, INR, SECONDS, "34714-6"}
        )
    ]
    extra = copy.deepcopy(list(labs))
    for r in extra:
        r["subject"] = {"reference": f"Patient/{p.patient_id}"}
    out: dict[tuple[str, str], str] = {}
    missing: dict[str, list[Any]] = {}
    for r in evaluate_patient(PatientData(p.patient_id, [*kept, *extra]), TRIALS, AS_OF, ATTESTED):
        out.update({(r.trial, c.id): c.result.value for c in r.criteria})
        out[(r.trial, "verdict")] = r.verdict.value
        missing[r.trial] = list(r.missing_data)
    return out, missing


LOW_ALB = _obs(ALB, 2.7, "2026-05-20")

# (labs besides albumin 2.7 g/dL, expected A-E8/C-E6/D-E12)
ALBUMIN_CASES = [
    pytest.param([_obs(QUICK, 95, "2026-05-10"), _obs(INR, 1.8, "2026-05-28")], "fail", id="old-quick95-new-inr18"),
    pytest.param([_obs(INR, 1.0, "2026-05-10"), _obs(QUICK, 55, "2026-05-28")], "fail", id="old-inr10-new-quick55"),
    pytest.param([_obs(QUICK, 55, "2026-05-10"), _obs(INR, 1.0, "2026-05-28")], "pass", id="old-quick55-new-inr10"),
    pytest.param([_obs(INR, 1.8, "2026-05-10"), _obs(QUICK, 95, "2026-05-28")], "pass", id="old-inr18-new-quick95"),
    pytest.param([_obs(INR, 1.8, "2026-05-28"), _obs(QUICK, 95, "2026-05-28")], "fail", id="same-day-disagree"),
    pytest.param([_obs(INR, 1.0, "2026-05-28"), _obs(QUICK, 95, "2026-05-28")], "pass", id="same-day-normal"),
    pytest.param([_obs(INR, 1.0, "2026-05-10"), _obs(QUICK, 95, "2026-05-28")], "pass", id="both-normal"),
    pytest.param([_obs(INR, 1.0, "2026-05-28")], "pass", id="inr-only-normal"),
    pytest.param([_obs(INR, 1.8, "2026-05-28")], "fail", id="inr-only-high"),
    pytest.param([_obs(QUICK, 55, "2026-05-28")], "fail", id="quick-only-low"),
    pytest.param(  # seconds and INR are one form: the newest of them (12 s, normal) is the newest PT
        [_obs(INR, 1.8, "2026-05-10"), _obs(QUICK, 60, "2026-05-20"), _obs(SECONDS, 12, "2026-05-28")],
        "pass",
        id="newest-seconds-normal",
    ),
    pytest.param(  # a Quick % outside the 28-day window is not read (§0.3: never carried forward)
        [_obs(QUICK, 95, "2026-04-01"), _obs(INR, 1.8, "2026-05-28")], "fail", id="old-quick-outside-window"
    ),
]


@pytest.mark.parametrize(("labs", "expected"), ALBUMIN_CASES)
def test_albumin_unless_pt_reads_the_newest_pt_result(labs: list[dict[str, Any]], expected: str) -> None:
    ac, _ = _evaluate(B_SAMPLE, LOW_ALB, *labs)
    d, _ = _evaluate(D_SAMPLE, LOW_ALB, *labs)
    assert (ac[(A, "A-E8")], ac[(C, "C-E6")], d[(D, "D-E12")]) == (expected, expected, expected)


def test_albumin_low_and_no_pt_is_unknown_with_the_pt_to_collect() -> None:
    results, missing = _evaluate(B_SAMPLE, LOW_ALB)
    assert (results[(A, "A-E8")], results[(C, "C-E6")]) == ("unknown", "unknown")
    assert any("Prothrombin" in str(m) for m in missing[A])


def test_review_21_reproduction_is_ineligible_for_a_and_c() -> None:
    results, _ = _evaluate(B_SAMPLE, LOW_ALB, _obs(QUICK, 95, "2026-05-10"), _obs(INR, 1.8, "2026-05-28"))
    assert (results[(A, "verdict")], results[(C, "verdict")]) == ("ineligible", "ineligible")


NORMAL_ALB = _obs(ALB, 4.1, "2026-05-20")

E_CASES = [
    pytest.param(
        [_obs(QUICK, 95, "2026-05-10"), _obs(SECONDS, 21, "2026-05-28"), _obs(INR, 1.8, "2026-05-28")],
        "unknown",
        id="old-quick95-new-pt21s-inr18",
    ),
    pytest.param([_obs(QUICK, 95, "2026-05-28"), _obs(INR, 1.8, "2026-05-28")], "fail", id="same-day-prolonged"),
    pytest.param([_obs(QUICK, 95, "2026-05-10"), _obs(INR, 1.0, "2026-05-28")], "pass", id="new-inr-normal"),
    pytest.param([_obs(QUICK, 65, "2026-05-10"), _obs(INR, 1.0, "2026-05-28")], "fail", id="quick65-new-inr-normal"),
    pytest.param([_obs(QUICK, 65, "2026-05-10"), _obs(INR, 1.8, "2026-05-28")], "fail", id="quick65-new-inr-high"),
    pytest.param([_obs(INR, 1.8, "2026-05-10"), _obs(QUICK, 95, "2026-05-28")], "pass", id="old-inr18-new-quick95"),
    pytest.param([_obs(QUICK, 95, "2026-05-28")], "pass", id="quick-only"),
    pytest.param([_obs(INR, 1.8, "2026-05-28")], "unknown", id="inr-only-high"),
    pytest.param([_obs(INR, 1.0, "2026-05-28")], "unknown", id="inr-only-normal"),
]


@pytest.mark.parametrize(("labs", "expected"), E_CASES)
def test_e_i8_quick_percent_is_not_read_past_a_newer_prolonged_pt(labs: list[dict[str, Any]], expected: str) -> None:
    results, _ = _evaluate(B_SAMPLE, NORMAL_ALB, *labs)
    assert results[(E, "E-I8-albumin-pt")] == expected


def test_e_i8_prolonged_after_the_quick_asks_for_a_newer_quick() -> None:
    labs = [_obs(QUICK, 95, "2026-05-10"), _obs(SECONDS, 21, "2026-05-28"), _obs(INR, 1.8, "2026-05-28")]
    results, missing = _evaluate(B_SAMPLE, NORMAL_ALB, *labs)
    assert results[(E, "verdict")] == "undetermined"
    assert any("Quick" in str(m) for m in missing[E])


def test_e_i8_without_a_quick_asks_only_for_a_quick() -> None:
    """A prolonged INR with no Quick % on file: the Quick % to collect, nothing about the events the windows use."""
    _, missing = _evaluate(B_SAMPLE, NORMAL_ALB, _obs(INR, 1.8, "2026-05-28"))
    assert [(m.criterion, m.what) for m in missing[E] if m.criterion == "E-I8-albumin-pt"] == [
        ("E-I8-albumin-pt", "Prothrombin time (Quick) > 70 %")
    ]
