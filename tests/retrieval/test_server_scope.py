"""SMART scopes from the plan, and a 403 on one type's search.

Adversarial review: the default SMART Backend Services scope left out MedicationDispense, ImagingStudy,
Medication and every write scope, so a strict server answered 403; and a 403 on any one search
(a type the token does not cover) stopped the whole run. Expected: the token asks for ``system/<Type>.rs``
for every type the plan reads (and the Medications it ``_include``s), plus what write-back writes when it
writes; a 403 on one type makes that type unavailable (its criteria unknown), the rest is used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import rsa

from fhir_eligibility.criteria.model import Criterion, Records, Trial
from fhir_eligibility.errors import AuthorizationError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Verdict
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.retrieval.auth import DEFAULT_SCOPE, SmartBackendConfig
from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients
from fhir_eligibility.screening.server import screen_server
from fhir_eligibility.screening.write_back import screen_and_write
from fhir_eligibility.writeback import Written, run_write_back
from tests.retrieval.fake_fhir import BASE, LOINC, SNOMED, FakeFhir, cond, obs, patient
from tests.retrieval.test_smart_auth import TokenServer, _pem

HB = (LOINC, "718-7")
NET = (SNOMED, "443492008")
REQS = [
    DataRequirement("Patient", criteria=frozenset({"age"})),
    DataRequirement("Observation", frozenset({HB}), None, frozenset({"hb"})),
    DataRequirement("Condition", frozenset({NET}), None, frozenset({"net"})),
    DataRequirement("MedicationDispense", frozenset(), None, frozenset({"drug"})),
    DataRequirement("ImagingStudy", frozenset(), None, frozenset({"pet"})),
]


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def fake(rsps: responses.RequestsMock) -> FakeFhir:
    f = FakeFhir([patient("p1"), obs("o1", "p1", "718-7"), cond("c1", "p1", "443492008")])
    f.install(rsps)
    return f


def _smart(key: rsa.RSAPrivateKey, **kw: Any) -> SmartBackendConfig:
    return SmartBackendConfig(client_id="elig", private_key_pem=_pem(key), key_id="k1", **kw)


def _scopes(tokens: TokenServer) -> set[str]:
    (form,) = tokens.forms
    return set(form["scope"][0].split())


def test_the_default_scope_covers_every_type_any_plan_reads() -> None:
    scopes = set(DEFAULT_SCOPE.split())
    for t in (
        "Patient",
        "MedicationDispense",
        "MedicationRequest",
        "ImagingStudy",
        "Medication",
        "QuestionnaireResponse",
    ):
        assert f"system/{t}.rs" in scopes


def test_the_token_asks_for_what_the_plan_reads(
    fake: FakeFhir, rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey
) -> None:
    tokens = TokenServer(rsps, rsa_key.public_key(), "RS384")
    (data,) = list(fetch_patients(ServerOptions(BASE, smart=_smart(rsa_key)), ["p1"], REQS))
    assert data.unavailable == ()
    assert _scopes(tokens) == {
        "system/Patient.rs",
        "system/Observation.rs",
        "system/Condition.rs",
        "system/MedicationDispense.rs",
        "system/Medication.rs",  # MedicationDispense:medication is _include'd
        "system/ImagingStudy.rs",
    }


def test_a_scope_given_by_the_user_is_sent_as_given(
    fake: FakeFhir, rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey
) -> None:
    tokens = TokenServer(rsps, rsa_key.public_key(), "RS384")
    list(fetch_patients(ServerOptions(BASE, smart=_smart(rsa_key, scope="system/*.rs")), ["p1"], REQS))
    assert _scopes(tokens) == {"system/*.rs"}


def test_write_back_asks_for_the_write_scopes(rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey) -> None:
    tokens = TokenServer(rsps, rsa_key.public_key(), "RS384")
    rsps.add(responses.GET, BASE + "/metadata", json={"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"})
    for rtype in ("ResearchSubject", "GuidanceResponse", "ResearchStudy"):
        rsps.add(responses.GET, f"{BASE}/{rtype}", json={"resourceType": "Bundle", "type": "searchset"})
    answer = {"resourceType": "Bundle", "type": "transaction-response", "entry": [{"response": {"status": "201"}}] * 3}
    rsps.add(responses.POST, BASE, json=answer)
    trial = Trial("NCT00000001", "A trial", ())
    written = [Written(trial.id, "p1", Verdict.INELIGIBLE)]
    assert run_write_back(ServerOptions(BASE, smart=_smart(rsa_key)), written, [trial], dt.date(2026, 6, 1), False) == 0
    scopes = _scopes(tokens)
    assert {"system/ResearchSubject.crus", "system/GuidanceResponse.crus", "system/ResearchStudy.crs"} <= scopes


@pytest.mark.parametrize("batch", ["always", "never"])
def test_a_403_on_one_type_makes_that_type_unavailable(fake: FakeFhir, batch: str) -> None:
    fake.faults["Observation"] = [403]
    options = ServerOptions(BASE, batch=batch)  # type: ignore[arg-type]
    (data,) = list(fetch_patients(options, ["p1"], REQS))
    assert [(u.resource_type, u.codes) for u in data.unavailable] == [("Observation", frozenset({HB}))]
    assert "HTTP 403" in data.unavailable[0].reason
    assert {f"{r['resourceType']}/{r['id']}" for r in data.resources} == {"Patient/p1", "Condition/c1"}


@pytest.mark.parametrize("batch", ["always", "never"])
def test_a_403_on_the_patient_is_still_refused(fake: FakeFhir, batch: str) -> None:
    fake.faults["Patient"] = [403]
    with pytest.raises(AuthorizationError, match="HTTP 403"):
        list(fetch_patients(ServerOptions(BASE, batch=batch), ["p1"], REQS))  # type: ignore[arg-type]


def test_screening_asks_for_the_candidate_search_and_the_write_back_too(
    fake: FakeFhir, rsps: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey
) -> None:
    """``screen --server`` searches Conditions for candidates, then reads their data; with ``--write-back`` it
    writes on the same connection, so its one token names both."""
    trial = Trial("NCT00000001", "NET", (Criterion("X-I1", "NET", Records(("Condition",), frozenset({NET}))),))
    tokens = TokenServer(rsps, rsa_key.public_key(), "RS384")
    options = ServerOptions(BASE, smart=_smart(rsa_key))
    report = screen_server(options, [trial], dt.date(2026, 6, 1), workers=1)
    assert report.patients == 1
    assert _scopes(tokens) == {"system/Patient.rs", "system/Condition.rs"}
    tokens.forms.clear()
    screen_and_write(options, [trial], dt.date(2026, 6, 1), Settings(), dry_run=True)  # one token, sent nothing
    assert _scopes(tokens) == {
        "system/Patient.rs",
        "system/Condition.rs",
        "system/ResearchSubject.crus",
        "system/ResearchStudy.crs",
        "system/GuidanceResponse.crus",
    }
