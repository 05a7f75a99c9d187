"""E-I3's biochemical progression (clinical.md: the last three results of one marker r1 < r2 < r3, same
unit) decided only by values it can compare. ">1000 ng/mL" is a bound, not 1000: 100, >1000, 1200 may
rise or not (it passed, read as 1000 < 1200); a latest result with no unit, or written as text ("220
ng/mL"), may complete or break the rise (the rise before it passed; the text one failed). A result
with no value at all (dataAbsentReason) is no result.

Expected results worked out by hand (screening date 2026-06-01; the marker leaf, whose
window is the last 12 months).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from fhir_eligibility.codes import LOINC
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import ObservationValue
from fhir_eligibility.evaluation.forms.observation import _rising_series
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.logic import Truth
from fhir_eligibility.record import PatientData
from tests.cases.builders import patient

Json = dict[str, Any]
AS_OF = dt.date(2026, 6, 1)
UCUM = "http://unitsofmeasure.org"


@cache
def chromogranin() -> ObservationValue:
    """E-I3's chromogranin A leaf (its biochemical part; the clinical and radiological parts are attested)."""
    trial = next(t for t in load_trials() if t.id == "NCT01842165")
    found: list[ObservationValue] = []

    def walk(d: Any) -> None:
        d = getattr(d, "definition", d)
        if isinstance(d, ObservationValue) and (LOINC, "9811-1") in d.codes:
            found.append(d)
        for k in getattr(d, "children", ()) or ():
            walk(k)

    walk(next(c for c in trial.criteria if c.id == "E-I3"))
    return found[0]


def result(resources: list[Json]) -> str:
    d = chromogranin()
    record = build_record(PatientData("p", [patient(), *resources]))
    lo = AS_OF - dt.timedelta(days=365)
    inside = [f for f in record.facts(["Observation"], d.codes) if f.date and lo <= f.date <= AS_OF]
    truth = _rising_series(d, inside, lo, AS_OF).truth
    return {Truth.TRUE: "pass", Truth.FALSE: "fail", Truth.UNKNOWN: "unknown"}[truth]


def cga(day: str, value: float | str | None, comparator: str | None = None, unit: str | None = "ng/mL") -> Json:
    o: Json = {
        "resourceType": "Observation",
        "id": f"cga-{day}",
        "status": "final",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "9811-1"}]},
        "effectiveDateTime": day,
    }
    if isinstance(value, str):
        o["valueString"] = value
    elif value is None:
        o["dataAbsentReason"] = {"coding": [{"code": "error"}]}
    else:
        q: Json = {"value": value}
        if unit is not None:
            q |= {"unit": unit, "system": UCUM, "code": unit}
        if comparator is not None:
            q["comparator"] = comparator
        o["valueQuantity"] = q
    return o


D1, D2, D3, D4 = "2025-09-01", "2026-01-01", "2026-05-01", "2026-05-20"


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([cga(D1, 100), cga(D2, 150), cga(D3, 200)], "pass"),
        ([cga(D1, 100), cga(D2, 1000, ">"), cga(D3, 1200)], "unknown"),
        # a bound that settles it: >1000 is above 100 and not below 800
        ([cga(D1, 100), cga(D2, 1000, ">"), cga(D3, 800)], "fail"),
        ([cga(D1, 100), cga(D2, 50, "<"), cga(D3, 1200)], "fail"),
        ([cga(D1, 10, "<"), cga(D2, 150), cga(D3, 200)], "pass"),
        ([cga(D1, 100), cga(D2, 150), cga(D3, 200), cga(D4, 90, unit=None)], "unknown"),
        ([cga(D1, 100), cga(D2, 150), cga(D3, "220 ng/mL")], "unknown"),
        # no value at all: no result; the three before it rise
        ([cga(D1, 100), cga(D2, 150), cga(D3, 200), cga(D4, None)], "pass"),
        # a unitless result older than the last three does not count
        ([cga("2025-07-01", 90, unit=None), cga(D1, 100), cga(D2, 150), cga(D3, 200)], "pass"),
    ],
    ids=["rise", "gt-bound", "gt-falls", "lt-falls", "lt-first", "unitless", "text", "absent", "old-unitless"],
)
def test_rising_series(resources: list[Json], expected: str) -> None:
    assert result(resources) == expected
