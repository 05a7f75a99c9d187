"""A Condition's onset given but not read as a date is not its recordedDate (adversarial review adv19b 2).

An infarction at 40-45 years of age (onsetRange), or at 45 "years" (onsetAge with no UCUM code),
recorded 2026-03-01, fell back to its recordedDate and failed A-E10 (no infarction in the last 12
months) for a man of 62. The recordedDate only bounds the onset (recorded after it happened):
clinical.md §0.7 uses it when there is no onset at all. An onset read as an interval of days (ages
through the birth date, a period with only an end from birth) decides only if the whole interval
agrees; an onset not read at all (words) leaves a windowed criterion unknown.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.evaluation.facts import facts_of
from fhir_eligibility.evaluation.observed import Who
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.cases.builders import AS_OF, ICD, UCUM, condition, patient
from tests.evaluation.test_real_semantics import A, criterion

Json = dict[str, Any]
BORN = "1963-09-14"  # 62 on the as-of date


def age(value: float, unit: str = "a") -> Json:
    return {"value": value, "system": UCUM, "code": unit, "unit": unit}


def mi(**onset: Any) -> Json:
    c = condition(ICD, "I21.9", rid="mi")
    return {**c, "recordedDate": "2026-03-01", **onset}


def a_e10(res: Json) -> tuple[Result, str]:
    (result,) = evaluate_patient(PatientData("p", [patient(birth=BORN, gender="male"), res]), [A], AS_OF)
    c = criterion(result, "A-E10")
    return c.result, c.reason


OLD_ONSETS = {
    "a range of ages": {"onsetRange": {"low": age(40), "high": age(45)}},
    "an age in years, no UCUM code": {"onsetAge": {"value": 45, "unit": "years"}},
    "an age in UCUM years": {"onsetAge": age(45)},
    "a period with only an end": {"onsetPeriod": {"end": "2005-06"}},
    "a date as text": {"onsetString": "2005"},
}


@pytest.mark.parametrize("shape", sorted(OLD_ONSETS))
def test_an_old_infarction_recorded_this_year_is_not_recent(shape: str) -> None:
    result, reason = a_e10(mi(**OLD_ONSETS[shape]))
    assert result is Result.PASS, reason


def test_without_an_onset_the_recorded_date_dates_it() -> None:
    assert a_e10(mi())[0] is Result.FAIL  # clinical.md §0.7: onset, else recordedDate


@pytest.mark.parametrize(
    "onset",
    [
        {"onsetString": "in his forties"},
        {"onsetAge": {"value": 45, "unit": "decades"}},
        {"onsetRange": {"low": age(40)}},  # no high age: no last day
        {"onsetPeriod": {"end": "not a date"}},
    ],
)
def test_an_onset_not_read_leaves_a_recent_infarction_unknown(onset: Json) -> None:
    result, reason = a_e10(mi(**onset))
    assert result is Result.UNKNOWN, reason


def test_an_age_range_reaching_into_the_window_is_unknown() -> None:
    # 62 years: 2025-09-14 .. 2026-09-13, partly in the last 12 months, partly not (and partly after today)
    result, reason = a_e10(mi(onsetRange={"low": age(61), "high": age(62)}))
    assert result is Result.UNKNOWN, reason


def test_the_range_of_ages_is_a_range_of_days() -> None:
    who = Who("male", AS_OF.replace(year=1963, month=9, day=14))
    (fact,) = facts_of(mi(onsetRange={"low": age(40), "high": age(45)}), who=who)
    assert (fact.start.isoformat() if fact.start else None, fact.last) == ("2003-09-14", AS_OF.replace(2009, 9, 13))
    problems: list[str] = []
    (unread,) = facts_of(mi(onsetString="in his forties"), problems=problems, who=who)
    assert unread.start is None and any("onsetString" in p for p in problems)
