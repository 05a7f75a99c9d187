"""A newer result whose value is invalid leaves the measurement unknown; a newer valueless one is skipped.

Found on data nobody here wrote: a final Hb sent as ``valueString: "7.0 g/dL"`` (or as 75 "g/dL",
a g/L value under the wrong unit) after an older 13.2 g/dL was skipped, and the older normal value
passed "Hb > 8 g/dL": eligible on a value that is no longer the patient's. clinical.md §0.16: an
invalid value is a data error, never compared, and the measurement is undetermined; only a result
with no value at all (``dataAbsentReason``) is passed over by the most-recent rule (§0.3, tested
in test_real_semantics). Expected results are worked out from A-I11-hb (Hb > 8 g/dL) and A-E7a
(MDRD eGFR; 1.0 mg/dL for a woman of 66 is about 58 mL/min/1.73 m2: not severe impairment).
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.screening.fast import Screener
from tests.cases.builders import AS_OF, obs, patient, q
from tests.evaluation.test_real_semantics import A, criterion, days_ago

Json = dict[str, Any]
OLD_HB = obs("718-7", days_ago(12), q(13.2, "g/dL"), rid="old")
NEWER_INVALID = {
    "a number as text": {"valueString": "7.0 g/dL"},
    "an impossible value": {"valueQuantity": q(75, "g/dL")},
}


def a_result(resources: list[Json], cid: str) -> tuple[Result, str]:
    (result,) = evaluate_patient(PatientData("p", resources), [A], AS_OF)
    c = criterion(result, cid)
    return c.result, c.reason


def test_the_older_valid_hb_alone_passes() -> None:
    assert a_result([patient(), OLD_HB], "A-I11-hb")[0] is Result.PASS  # the control: 13.2 > 8


@pytest.mark.parametrize("shape", sorted(NEWER_INVALID))
def test_a_newer_invalid_hb_makes_hb_unknown(shape: str) -> None:
    newer = obs("718-7", days_ago(1), rid="new", **NEWER_INVALID[shape])
    result, reason = a_result([patient(), OLD_HB, newer], "A-I11-hb")
    assert result is Result.UNKNOWN, reason
    assert "newer result has an invalid value" in reason and "Observation/new" in reason


def test_an_older_invalid_hb_does_not_hide_a_newer_valid_one() -> None:
    older = obs("718-7", days_ago(12), rid="bad", valueString="7.0 g/dL")
    newer = obs("718-7", days_ago(1), q(13.2, "g/dL"), rid="good")
    assert a_result([patient(), older, newer], "A-I11-hb")[0] is Result.PASS


def test_a_newer_invalid_creatinine_makes_the_egfr_formula_unknown() -> None:
    old = obs("2160-0", days_ago(12), q(1.0, "mg/dL"), rid="scr-old")
    who = patient(birth="1960-01-01", gender="female")
    assert a_result([who, old], "A-E7a")[0] is Result.PASS  # the control: eGFR about 58
    newer = obs("2160-0", days_ago(1), rid="scr-new", valueString="4.5 mg/dL")
    result, reason = a_result([who, old, newer], "A-E7a")
    assert result is Result.UNKNOWN, reason


def test_screening_reads_the_newer_invalid_result_as_the_explained_evaluation_does() -> None:
    newer = obs("718-7", days_ago(1), rid="new", valueString="7.0 g/dL")
    data = PatientData("p", [patient(), OLD_HB, newer])
    screened = Screener([A], AS_OF, Settings(explain=False)).screen(data)[0]
    (explained,) = evaluate_patient(data, [A], AS_OF)
    assert screened.results == tuple(c.result.value for c in explained.criteria)
    position = [c.id for c in A.criteria].index("A-I11-hb")
    assert screened.results[position] == "unknown"


@pytest.mark.parametrize(
    ("code", "value", "cid"),
    [
        ("718-7", 13.1, "A-I11-hb"),  # 13.1 g/dL sent as g/L: 1.31 g/dL would fail "Hb > 8 g/dL"
        # 3.5 g/dL sent as g/L: 0.35 g/dL, with a long PT, would meet "albumin < 3.0 g/dL unless PT normal"
        ("1751-7", 3.5, "A-E8"),
    ],
)
def test_a_g_per_dl_value_labelled_g_per_l_is_a_data_error_not_a_fail(code: str, value: float, cid: str) -> None:
    slip = obs(code, days_ago(1), q(value, "g/L"), rid="slip")
    normal = [{"low": q(11, "s"), "high": q(13.5, "s")}]
    long_pt = obs("5902-2", days_ago(1), q(20, "s"), rid="pt", referenceRange=normal)
    result, reason = a_result([patient(), slip, long_pt], cid)
    assert result is Result.UNKNOWN, reason
    control = obs(code, days_ago(1), q(6.5 if code == "718-7" else 2.5, "g/dL"), rid="real")
    assert a_result([patient(), control, long_pt], cid)[0] is Result.FAIL  # a real low value still fails
