"""Server-path faults an adversarial review found read as data (twentieth pass): each must make the data it
served unavailable (``unknown``), never absent (a closed-world ``fail``: ineligible).

1. A batch-response entry answered 2xx whose ``response.outcome`` says the search was cut short
   (``incomplete``, ``too-costly``...) or failed (severity error): read as complete, an empty Condition
   searchset made "a NET diagnosis" FAIL. The same outcome as a searchset entry (``search.mode`` outcome) was
   already unknown; the batch path now reads ``response.outcome`` by that one rule.
2. A 400 ``not-supported`` about a search parameter (``_include``, ``_count``) was read as "the server does
   not hold MedicationRequest": no orders, so "no prior sunitinib" passed on data never read.
3. A 401 inside a batch entry ended the run instead of renewing the SMART token once, as a GET's 401 does.

Expected results worked by hand: p1 has no Condition and no drug record on this server.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import rsa

from fhir_eligibility.criteria.model import Criterion, Records, Trial
from fhir_eligibility.errors import AuthorizationError
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.retrieval.merge import not_supported
from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients
from tests.retrieval.fake_fhir import BASE, FakeFhir, patient
from tests.retrieval.test_smart_auth import TokenServer, config

AS_OF = dt.date(2026, 6, 1)
NET = ("http://snomed.info/sct", "443492008")
DIAGNOSIS = Trial(
    "NCT00000043",
    "Diagnosis inclusion",
    (Criterion("X-I1", "A NET diagnosis", Records(("Condition",), frozenset({NET}))),),
)
SUNITINIB = ("http://www.nlm.nih.gov/research/umls/rxnorm", "357977")
DRUGS = Trial(
    "NCT00000042",
    "Drug exclusion",
    (
        Criterion(
            "X-E1",
            "Prior sunitinib",
            Records(
                ("MedicationAdministration", "MedicationDispense", "MedicationRequest", "MedicationStatement"),
                frozenset({SUNITINIB}),
            ),
            exclude=True,
        ),
    ),
)


def _outcome(*issues: tuple[str, str, str]) -> dict[str, Any]:
    """An OperationOutcome of (severity, code, diagnostics) issues."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": s, "code": c, **({"diagnostics": d} if d else {})} for s, c, d in issues],
    }


@dataclass
class OutcomeFhir(FakeFhir):
    """A batch server that puts ``outcomes[type]`` into that type's 2xx entries as ``response.outcome``."""

    outcomes: dict[str, object] = field(default_factory=dict)

    def _post(self, request: requests.PreparedRequest) -> Any:
        status, headers, text = super()._post(request)
        answer = json.loads(text)
        assert request.body is not None
        sent = json.loads(request.body)["entry"]
        for asked, entry in zip(sent, answer["entry"], strict=True):
            rtype = asked["request"]["url"].split("?")[0]
            if rtype in self.outcomes and entry["response"]["status"].startswith("2"):
                entry["response"]["outcome"] = self.outcomes[rtype]
        return status, headers, json.dumps(answer)


@pytest.fixture
def fake(rsps: responses.RequestsMock) -> OutcomeFhir:
    f = OutcomeFhir([patient("p1")])
    f.install(rsps)
    return f


def _fetch(trial: Trial, batch: str = "always", **kw: Any) -> PatientData:
    options = ServerOptions(BASE, batch=batch, retries=0, **kw)  # type: ignore[arg-type]
    (data,) = list(fetch_patients(options, ["p1"], plan([trial], AS_OF)))
    return data


def _result(data: PatientData, trial: Trial) -> Result:
    (r,) = evaluate_patient(data, [trial], AS_OF)
    (c,) = r.criteria
    return c.result


# -- 1. a batch entry's response.outcome ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("issue", "why"),
    [
        (("warning", "incomplete", "search timed out, partial results"), "'incomplete'"),
        (("warning", "too-costly", ""), "'too-costly'"),
        # a code saying matches were left out counts whatever the severity
        (("information", "throttled", ""), "'throttled'"),
        (("error", "too-costly", ""), "error"),
        (("error", "processing", ""), "error"),
        (("fatal", "exception", ""), "error"),
    ],
)
def test_a_batch_entry_outcome_saying_the_search_failed_makes_the_type_unknown(
    fake: OutcomeFhir, issue: tuple[str, str, str], why: str
) -> None:
    """fR1/fQ4: an empty Condition searchset whose entry says it is incomplete or failed: Condition
    unavailable (the outcome's reason said, not its diagnostics), so the inclusion is unknown, not FAIL."""
    fake.outcomes["Condition"] = _outcome(issue)
    data = _fetch(DIAGNOSIS)
    (gone,) = data.unavailable
    assert gone.resource_type == "Condition" and why in gone.reason
    assert "partial results" not in gone.reason
    assert _result(data, DIAGNOSIS) is Result.UNKNOWN


def test_the_batch_and_the_searchset_outcome_read_alike(fake: OutcomeFhir) -> None:
    """One rule: the reason is the one a searchset's own outcome entry gives (GET path)."""
    fake.outcomes["Condition"] = _outcome(("warning", "incomplete", ""))
    batched = _fetch(DIAGNOSIS).unavailable
    fake.outcomes.clear()
    fake.mangle["Condition"] = lambda body: {
        **body,
        "entry": [{"resource": _outcome(("warning", "incomplete", "")), "search": {"mode": "outcome"}}],
    }
    assert _fetch(DIAGNOSIS, batch="never").unavailable == batched


def test_an_informational_batch_entry_outcome_changes_nothing(fake: OutcomeFhir) -> None:
    """information (not a partial code): the empty answer is the answer; no warning."""
    fake.outcomes["Condition"] = _outcome(("information", "processing", "took 3 ms"))
    data = _fetch(DIAGNOSIS)
    assert data.unavailable == () and data.warnings == []
    assert _result(data, DIAGNOSIS) is Result.FAIL


def test_a_warning_that_says_nothing_of_missing_matches_is_noted_and_the_answer_read(fake: OutcomeFhir) -> None:
    """warning/processing without a partial code (Epic's kind): as in a searchset, a warning by its codes."""
    fake.outcomes["Condition"] = _outcome(("warning", "processing", "the patient's name was quoted here"))
    data = _fetch(DIAGNOSIS)
    assert data.unavailable == ()
    assert data.warnings == ["Condition search: the server noted: warning/processing"]


@pytest.mark.parametrize("outcome", ["incomplete", {"resourceType": "Medication", "id": "m1"}, []])
def test_a_batch_entry_outcome_that_is_no_operation_outcome_is_a_fault(fake: OutcomeFhir, outcome: object) -> None:
    """Nothing says what it meant: the search is unavailable (a Medication there is never read as data)."""
    fake.outcomes["Condition"] = outcome
    data = _fetch(DIAGNOSIS)
    (gone,) = data.unavailable
    assert gone.resource_type == "Condition" and "outcome" in gone.reason
    assert [r["resourceType"] for r in data.resources] == ["Patient"]


# -- 2. a 400 about a parameter is no "type not held" ------------------------------------------------------

INCLUDE_400 = _outcome(("error", "not-supported", "_include of MedicationRequest:medication is not supported"))
COUNT_400 = _outcome(
    ("error", "not-supported", "_count=200 exceeds the maximum page size (100) supported for MedicationRequest")
)


@pytest.mark.parametrize("body", [INCLUDE_400, COUNT_400], ids=["include", "count"])
@pytest.mark.parametrize("batch", ["always", "never"])
def test_a_400_about_a_search_parameter_makes_the_drug_exclusion_unknown(
    fake: OutcomeFhir, body: dict[str, Any], batch: str
) -> None:
    """fAL/fAM: the server holds MedicationRequest but refused this search: unknown, not "none held"."""
    fake.faults["MedicationRequest"] = [(400, {}, body)]
    data = _fetch(DRUGS, batch)
    assert "MedicationRequest" in {u.resource_type for u in data.unavailable}
    assert not any("does not support this type" in w for w in data.warnings), data.warnings
    assert _result(data, DRUGS) is Result.UNKNOWN


def _said(*texts: str, rtype: str = "MedicationRequest", **extra: Any) -> bool:
    issues = [{"severity": "error", "code": "not-supported", "diagnostics": t, **extra} for t in texts]
    return not_supported(400, {"resourceType": "OperationOutcome", "issue": issues}, rtype)


@pytest.mark.parametrize(
    "text",
    [
        "Resource type 'MedicationRequest' is not supported.",
        "Resource type MedicationRequest is not supported by this server",
        "This server does not support MedicationRequest",
        'Unknown resource type "MedicationRequest"',
        "MedicationRequest resources are not supported",
    ],
)
def test_a_clear_statement_that_the_type_is_unsupported_is_none_held(text: str) -> None:
    assert _said(text)


@pytest.mark.parametrize(
    "text",
    [
        "_include of MedicationRequest:medication is not supported",
        "_count=200 exceeds the maximum page size (100) supported for MedicationRequest",
        "Unknown search parameter 'patient' for resource type MedicationRequest",
        "Search of MedicationRequest by patient is not supported",
        "Paging is not supported for MedicationRequest",
        "MedicationRequest?patient=p1 is not supported",
        "Resource type Condition is not supported",  # another type than the one searched
        "not supported",  # names no type
    ],
)
def test_anything_else_not_supported_is_a_fault(text: str) -> None:
    assert not _said(text)


def test_a_type_statement_beside_a_parameter_refusal_is_a_fault() -> None:
    assert not _said("MedicationRequest is not supported", "_include is not supported")
    assert not _said("MedicationRequest is not supported", expression=["MedicationRequest._include"])
    assert not not_supported(500, _outcome(("error", "not-supported", "MedicationRequest is not supported")), "X")
    assert not_supported(404, None, "MedicationRequest")


# -- 3. a 401 inside a batch entry renews the SMART token once ------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_a_401_in_a_batch_entry_renews_the_token_once_and_resends(
    rsps: responses.RequestsMock, fake: OutcomeFhir, rsa_key: rsa.RSAPrivateKey
) -> None:
    server = TokenServer(rsps, rsa_key.public_key(), "RS384")
    fake.faults["Condition"] = [401]
    data = _fetch(DIAGNOSIS, smart=config(rsa_key))
    assert data.unavailable == ()
    assert len(server.assertions) == 2 and len(fake.requests_for("POST")) == 2
    posts = [c.request for c in rsps.calls if c.request.method == "POST" and c.request.url.startswith(BASE)]
    assert [p.headers["Authorization"] for p in posts] == ["Bearer tok-1-SECRET", "Bearer tok-2-SECRET"]


def test_a_401_again_after_the_renewal_is_refused(
    rsps: responses.RequestsMock, fake: OutcomeFhir, rsa_key: rsa.RSAPrivateKey
) -> None:
    server = TokenServer(rsps, rsa_key.public_key(), "RS384")
    fake.faults["Condition"] = [401, 401]
    with pytest.raises(AuthorizationError, match="HTTP 401"):
        _fetch(DIAGNOSIS, smart=config(rsa_key))
    assert len(server.assertions) == 2 and len(fake.requests_for("POST")) == 2


def test_a_static_token_cannot_be_renewed_a_401_entry_is_refused_at_once(fake: OutcomeFhir) -> None:
    fake.faults["Condition"] = [401]
    with pytest.raises(AuthorizationError, match="HTTP 401"):
        _fetch(DIAGNOSIS, bearer_token="static-token")
    assert len(fake.requests_for("POST")) == 1
