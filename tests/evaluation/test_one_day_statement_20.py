"""An R5 MedicationStatement ``recorded`` with no ``adherence``, dated by one ``effectiveDateTime``, worked out by hand.

R5's ``effective[x]`` is when the statement was true, not how long the drug was taken, and without
``adherence`` it does not say whether the drug is still taken: it is neither R4 ``active`` (taken
from then to today) nor a dose of one day. It reads as an R4 ``completed`` statement of one day does
(forms.records ``statement_on_a_day``): taken on that day, for how long not recorded - a duration is
1 day to the screening date, a window after the day may have been reached (``_may_reach``) and, here
newly, a count of cycles holds that day's episode and may hold more nobody recorded.

Base: sample 01 (Lutathera on 2023-01-16, 03-13, 05-08, 07-03; T0 = 2026-06-01).
- A-I3 (first course = 4 cycles) and C-I3 (4 administrations): a Lutathera statement of 2023-01-16 is
  that cycle, and may have run on over cycles not recorded: 4 or more, unknown (it was a pass).
  Dated by a period of that one day it is one day for certain: pass. Dated 2024-09-01 (a later
  course) it is a fifth episode whatever its length: C-I3 fails; A-I3 (first course) passes.
- Everolimus stated on 2026-02-01: E-E3 (none in the last 12 weeks) and B-I3b (at most 31 days)
  unknown, as for R4 ``completed``; with adherence ``taking`` it is R4 ``active``: E-E3 fails.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.record import PatientData
from tests.evaluation.test_time18_dates import _sample, _trial

Json = dict[str, Any]
AS_OF = dt.date(2026, 6, 1)
ATTESTED = Settings(assume_attested=True)
SETTINGS = [ATTESTED, replace(ATTESTED, explain=False)]  # the explained walk and the compiled program
IDS = ["explained", "compiled"]
A, B, C, E = "NCT04954820", "NCT05773274", "NCT04837885", "NCT01842165"
ADHERENCE = "http://hl7.org/fhir/CodeSystem/medication-statement-adherence"
ATC = "http://www.whocc.no/atc"


def statement(code: str, status: str, adherence: str | None = None, **dated: Any) -> Json:
    """R5 spelling for ``recorded`` (``medication.concept``), R4 for the R4 statuses."""
    concept = {"coding": [{"system": ATC, "code": code}]}
    drug = {"medication": {"concept": concept}} if status == "recorded" else {"medicationCodeableConcept": concept}
    res: Json = {"resourceType": "MedicationStatement", "id": "ms-20", "status": status, **drug, **dated}
    res["subject"] = {"reference": "Patient/sample-01"}
    if adherence:
        res["adherence"] = {"code": {"coding": [{"system": ADHERENCE, "code": adherence}]}}
    return res


def result(nct: str, cid: str, added: Json, settings: Settings) -> Result:
    resources = [copy.deepcopy(r) for r in _sample()] + [added]
    r = evaluate_trial(_trial(nct), build_record(PatientData("sample-01", resources)), AS_OF, settings)
    return next(c.result for c in r.criteria if c.id == cid)


LUTATHERA = "V10XX04"
EVEROLIMUS = "L01EG02"


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(
    ("added", "a_i3", "c_i3"),
    [
        (statement(LUTATHERA, "recorded", effectiveDateTime="2023-01-16"), Result.UNKNOWN, Result.UNKNOWN),
        (statement(LUTATHERA, "completed", effectiveDateTime="2023-01-16"), Result.UNKNOWN, Result.UNKNOWN),
        (statement(LUTATHERA, "active", effectiveDateTime="2023-01-16"), Result.UNKNOWN, Result.UNKNOWN),
        (
            statement(LUTATHERA, "recorded", effectivePeriod={"start": "2023-01-16", "end": "2023-01-16"}),
            Result.PASS,
            Result.PASS,
        ),
        (statement(LUTATHERA, "recorded", effectiveDateTime="2024-09-01"), Result.PASS, Result.FAIL),
    ],
    ids=["r5-recorded", "r4-completed", "r4-active", "one-day-period", "later-course"],
)
def test_a_one_day_statement_may_hold_cycles_not_recorded(
    added: Json, a_i3: Result, c_i3: Result, settings: Settings
) -> None:
    assert (result(A, "A-I3", added, settings), result(C, "C-I3", added, settings)) == (a_i3, c_i3)


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(
    ("added", "e_e3", "b_i3b"),
    [
        (statement(EVEROLIMUS, "recorded", effectiveDateTime="2026-02-01"), Result.UNKNOWN, Result.UNKNOWN),
        (statement(EVEROLIMUS, "completed", effectiveDateTime="2026-02-01"), Result.UNKNOWN, Result.UNKNOWN),
        (statement(EVEROLIMUS, "recorded", "taking", effectiveDateTime="2026-02-01"), Result.FAIL, Result.FAIL),
        (statement(EVEROLIMUS, "active", effectiveDateTime="2026-02-01"), Result.FAIL, Result.FAIL),
    ],
    ids=["r5-recorded", "r4-completed", "r5-taking", "r4-active"],
)
def test_a_one_day_statement_may_reach_a_window_and_last_to_today(
    added: Json, e_e3: Result, b_i3b: Result, settings: Settings
) -> None:
    assert (result(E, "E-E3", added, settings), result(B, "B-I3b", added, settings)) == (e_e3, b_i3b)
