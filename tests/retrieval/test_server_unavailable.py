"""A search that fails is a fault (its criteria unknown); a type the server does not have is absence.

Adversarial review: a MedicationRequest or MedicationDispense search that failed (HTTP 500, a timeout, an
error OperationOutcome inside a 200) was ignored, so "no prior sunitinib" passed on data never read. The
expected results are worked out by hand: the patient has no drug record at all, so with every search
answered the exclusion is met by nobody (pass); with an order search failed nobody can say (unknown);
with a type the server does not hold (404, a 400 saying the type is not supported, a CapabilityStatement
without it) the site simply has no such records (pass, and nothing counted missing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
import responses

from fhir_eligibility.criteria.model import Criterion, Records, Trial
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients
from tests.retrieval.fake_fhir import BASE, FakeFhir, Fault, patient

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SUNITINIB = (RXNORM, "357977")
DRUG_TYPES = ("MedicationAdministration", "MedicationDispense", "MedicationRequest", "MedicationStatement")
TRIAL = Trial(
    "NCT00000042",
    "Drug exclusion",
    (Criterion("X-E1", "Prior sunitinib", Records(DRUG_TYPES, frozenset({SUNITINIB})), exclude=True),),
)
AS_OF = dt.date(2026, 6, 1)


def _outcome(code: str, text: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]}


def _error_inside_200(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "entry": [{"resource": _outcome("exception", "database unavailable")}]}


@pytest.fixture
def fake(rsps: responses.RequestsMock) -> FakeFhir:
    f = FakeFhir([patient("p1")])
    f.install(rsps)
    return f


def _fetch(batch: str) -> PatientData:
    options = ServerOptions(BASE, batch=batch, retries=0)  # type: ignore[arg-type]
    (data,) = list(fetch_patients(options, ["p1"], plan([TRIAL], AS_OF)))
    return data


def _result(data: PatientData) -> Result:
    (r,) = evaluate_patient(data, [TRIAL], AS_OF)
    (c,) = r.criteria
    return c.result


def test_with_every_search_answered_the_exclusion_passes(fake: FakeFhir) -> None:
    data = _fetch("auto")
    assert data.unavailable == () and _result(data) is Result.PASS


FAULTS: dict[str, Fault] = {
    "http-500": 500,
    "timeout": requests.exceptions.ReadTimeout("read timed out"),
    "400-about-a-parameter": (400, {}, _outcome("not-supported", "Unknown search parameter '_include'")),
}


@pytest.mark.parametrize("rtype", ["MedicationRequest", "MedicationDispense"])
@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("batch", ["always", "never"])
def test_a_failed_order_search_makes_the_drug_exclusion_unknown(
    fake: FakeFhir, rtype: str, fault: str, batch: str
) -> None:
    # in a batch, a search times out when its entry (503) is retried alone
    fake.faults[rtype] = [503, FAULTS[fault]] if fault == "timeout" and batch == "always" else [FAULTS[fault]]
    data = _fetch(batch)
    assert rtype in {u.resource_type for u in data.unavailable}
    assert _result(data) is Result.UNKNOWN


@pytest.mark.parametrize("rtype", ["MedicationRequest", "MedicationDispense"])
def test_an_error_outcome_inside_a_200_makes_the_drug_exclusion_unknown(fake: FakeFhir, rtype: str) -> None:
    fake.mangle[rtype] = _error_inside_200
    data = _fetch("never")
    assert _result(data) is Result.UNKNOWN


UNSUPPORTED: dict[str, Fault] = {
    "404": 404,
    "400-type-not-supported": (
        400,
        {},
        _outcome("not-supported", "Resource type MedicationDispense is not supported by this server"),
    ),
}


@pytest.mark.parametrize("fault", list(UNSUPPORTED))
@pytest.mark.parametrize("batch", ["always", "never"])
def test_a_type_the_server_does_not_support_is_no_records_not_a_fault(fake: FakeFhir, fault: str, batch: str) -> None:
    fake.faults["MedicationDispense"] = [UNSUPPORTED[fault]]
    data = _fetch(batch)
    assert data.unavailable == ()  # nothing missing: write-back records the outcome
    assert any("MedicationDispense" in w and "not support" in w for w in data.warnings), data.warnings
    assert _result(data) is Result.PASS


def test_a_type_missing_from_the_capability_statement_is_not_searched(fake: FakeFhir) -> None:
    fake.types = ["Patient", "MedicationAdministration", "MedicationRequest", "MedicationStatement"]
    fake.batch = False
    data = _fetch("auto")
    assert not any("MedicationDispense" in url for _m, url in fake.log)
    assert data.unavailable == () and _result(data) is Result.PASS
    assert any("MedicationDispense" in w and "CapabilityStatement" in w for w in data.warnings), data.warnings


def test_a_fault_on_a_type_the_capability_statement_lists_is_still_a_fault(fake: FakeFhir) -> None:
    fake.types = ["Patient", *DRUG_TYPES]
    fake.faults["MedicationRequest"] = [503, 503, 503, 503]
    data = _fetch("never")
    assert _result(data) is Result.UNKNOWN


DIAGNOSIS = Trial(
    "NCT00000043",
    "Diagnosis inclusion",
    (Criterion("X-I1", "A NET diagnosis", Records(("Condition",), frozenset({("http://snomed.info/sct", "1")}))),),
)


@pytest.mark.parametrize("how", ["404", "capability-statement"])
def test_a_server_without_the_type_a_criterion_reads_closed_world_leaves_it_unknown(fake: FakeFhir, how: str) -> None:
    """Only orders and dispenses, an addition to what the administrations and statements say, may be
    missing from a server: a server without Condition has not said the patient has no diagnosis, so
    the inclusion is unknown, not failed (a 404 from a proxy would have made everyone ineligible)."""
    if how == "404":
        fake.faults["Condition"] = [404]
    else:
        fake.types, fake.batch = ["Patient"], False
    options = ServerOptions(BASE, batch="never" if how == "404" else "auto", retries=0)  # type: ignore[arg-type]
    (data,) = list(fetch_patients(options, ["p1"], plan([DIAGNOSIS], AS_OF)))
    assert "Condition" in {u.resource_type for u in data.unavailable}
    (r,) = evaluate_patient(data, [DIAGNOSIS], AS_OF)
    assert r.criteria[0].result is Result.UNKNOWN
