"""An AllergyIntolerance recorded as an ``intolerance`` is no proven hypersensitivity, worked out by hand.

A-E15 ("Known hypersensitivity to any of the study drugs...") and D-E17 ("Known hypersensitivity to
somatostatin analogues") exclude an allergy. FHIR's ``AllergyIntolerance.type`` = ``intolerance`` is a
reaction judged not immune-mediated: a somatostatin analogue's diarrhoea is recorded that way, and
whether it is the hypersensitivity the protocol excludes is a clinician's call. So it is uncertain:
the criterion is unknown (never a fail, never a pass), as an unconfirmed allergy is. An allergy
(``type`` allergy, or no type) still fails, and so does an intolerance that says more: criticality
high, a reaction of severity severe, or an anaphylaxis (SNOMED CT 39579001) is a hypersensitivity
whatever the type (FHIR calls ``type`` unreliable).

Base: sample 01 with an active octreotide (ATC H01CB02) allergy record added; T0 = 2026-06-01;
manual lines assumed attested, so the coded record alone decides the exclusion.
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
TYPES = "http://hl7.org/fhir/allergy-intolerance-type"
CRITERIA = [("NCT04954820", "A-E15"), ("NCT05987176", "D-E17")]


def _allergy(kind: object) -> Json:
    res: Json = {
        "resourceType": "AllergyIntolerance",
        "id": "ai-20",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": "http://www.whocc.no/atc", "code": "H01CB02"}]},
        "patient": {"reference": "Patient/sample-01"},
        "recordedDate": "2025-03-01",
    }
    if kind is not None:
        res["type"] = kind
    return res


def _result(nct: str, cid: str, added: Json, settings: Settings) -> tuple[Result, str]:
    resources = [copy.deepcopy(r) for r in _sample()] + [added]
    r = evaluate_trial(_trial(nct), build_record(PatientData("sample-01", resources)), AS_OF, settings)
    c = next(c for c in r.criteria if c.id == cid)
    return c.result, c.reason


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(("nct", "cid"), CRITERIA)
@pytest.mark.parametrize(
    "kind",
    ["intolerance", {"coding": [{"system": TYPES, "code": "intolerance"}]}],
    ids=["r4-code", "r5-concept"],
)
def test_an_intolerance_is_unknown_not_a_fail(nct: str, cid: str, kind: object, settings: Settings) -> None:
    got, reason = _result(nct, cid, _allergy(kind), settings)
    assert got is Result.UNKNOWN
    if settings.explain:
        assert "intolerance" in reason


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(("nct", "cid"), CRITERIA)
@pytest.mark.parametrize("kind", [None, "allergy", {"coding": [{"system": TYPES, "code": "allergy"}]}])
def test_an_allergy_still_fails(nct: str, cid: str, kind: object, settings: Settings) -> None:
    assert _result(nct, cid, _allergy(kind), settings)[0] is Result.FAIL


SEVERE = [
    {"criticality": "high"},
    {"reaction": [{"severity": "severe", "manifestation": [{"text": "swelling"}]}]},
    {"reaction": [{"manifestation": [{"coding": [{"system": "http://snomed.info/sct", "code": "39579001"}]}]}]},
    {
        "reaction": [
            {"manifestation": [{"concept": {"coding": [{"system": "http://snomed.info/sct", "code": "39579001"}]}}]}
        ]
    },
]


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
@pytest.mark.parametrize(("nct", "cid"), CRITERIA)
@pytest.mark.parametrize("severe", SEVERE, ids=["criticality-high", "severe", "anaphylaxis-r4", "anaphylaxis-r5"])
def test_a_severe_intolerance_fails(nct: str, cid: str, severe: Json, settings: Settings) -> None:
    assert _result(nct, cid, {**_allergy("intolerance"), **severe}, settings)[0] is Result.FAIL


@pytest.mark.parametrize("settings", SETTINGS, ids=IDS)
def test_a_mild_reaction_keeps_an_intolerance_uncertain(settings: Settings) -> None:
    mild = {"criticality": "low", "reaction": [{"severity": "mild", "manifestation": [{"text": "diarrhoea"}]}]}
    assert _result("NCT05987176", "D-E17", {**_allergy("intolerance"), **mild}, settings)[0] is Result.UNKNOWN


@pytest.mark.parametrize(("nct", "cid"), CRITERIA)
def test_without_the_record_the_exclusion_passes(nct: str, cid: str) -> None:
    """The control: sample 01 records no allergy, so (manual line attested) the exclusion passes."""
    resources = [copy.deepcopy(r) for r in _sample()]
    r = evaluate_trial(_trial(nct), build_record(PatientData("sample-01", resources)), AS_OF, ATTESTED)
    assert next(c.result for c in r.criteria if c.id == cid) is Result.PASS
