"""A year-9999 placeholder with a time zone west of UTC is dropped as a placeholder, never a crash.

Found by an adversarial review: ``effectiveDateTime: 9999-12-31T23:59:59-05:00`` is past the calendar's
end once in UTC; ordering it raised OverflowError (a traceback from ``evaluate``, a 500 from the CDS
service), although README promises a year-9999 placeholder "is no crash".
"""

from __future__ import annotations

import pytest

from fhir_eligibility.evaluation.dates import order_text
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.cases.builders import AS_OF, obs, patient, q
from tests.evaluation.test_clinical_review import TRIALS


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-05:00", "9999-12-31T20:00:00-14:00"])
def test_a_placeholder_instant_west_of_utc_is_no_crash(stamp: str) -> None:
    assert order_text(stamp) == stamp
    hb = obs("718-7", "2026-05-20", q(13, "g/dL"), rid="hb")
    hb["effectiveDateTime"] = stamp
    data = PatientData("p", [patient(), hb])
    results = evaluate_patient(data, TRIALS, AS_OF, Settings(horizon_days=0))
    assert len(results) == len(TRIALS)
