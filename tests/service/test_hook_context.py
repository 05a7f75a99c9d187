"""The hook request's context and ``fhirAuthorization`` as CDS Hooks 2.0 defines them (review findings G, I).

fhirAuthorization (CDS Hooks 2.0, "FHIR Resource Access"): access_token, token_type Bearer, scope and subject
are required, expires_in is a lifetime in seconds, patient (when the scopes are patient-level) the patient the
token is for. A token for another patient, an expired one, or one that does not say what it grants is the
client's mistake: 400, and nothing is sent to the FHIR server with it.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from fhir_eligibility.service.prefetch import RequestError, parse_request
from fhir_eligibility.service.security import TokenVerifier, spellings
from tests.service.support import ISSUER, ClientKeys, hook_body
from tests.service.test_security import bearer, verifier

GOOD = {
    "access_token": "tok",
    "token_type": "Bearer",
    "expires_in": 300,
    "scope": "patient/Observation.read patient/Condition.read",
    "subject": "trial-eligibility",
    "patient": "p1",
}


def with_auth(auth: Any) -> dict[str, Any]:
    return hook_body("p1", {}, fhir_server="https://fhir.example.org/r4") | {"fhirAuthorization": auth}


def test_a_complete_fhir_authorization_for_this_patient_is_accepted() -> None:
    assert parse_request(with_auth(GOOD), "patient-view").access_token == "tok"
    no_patient = {k: v for k, v in GOOD.items() if k != "patient"}  # user-level scopes: no patient
    assert parse_request(with_auth(no_patient), "patient-view").access_token == "tok"
    no_expiry = {k: v for k, v in GOOD.items() if k != "expires_in"}  # tolerated: nothing to check
    assert parse_request(with_auth(no_expiry), "patient-view").access_token == "tok"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"patient": "someone-else"}, "fhirAuthorization.patient"),
        ({"patient": 7}, "fhirAuthorization.patient"),
        ({"expires_in": -5}, "expires_in"),
        ({"expires_in": 0}, "expires_in"),
        ({"expires_in": "300"}, "expires_in"),
        ({"expires_in": True}, "expires_in"),
        ({"scope": None}, "fhirAuthorization.scope"),
        ({"scope": " "}, "fhirAuthorization.scope"),
        ({"subject": None}, "fhirAuthorization.subject"),
        ({"subject": 5}, "fhirAuthorization.subject"),
    ],
)
def test_a_fhir_authorization_cdshooks_does_not_allow_here_is_a_400(change: dict[str, Any], said: str) -> None:
    auth = {k: v for k, v in (GOOD | change).items() if v is not None}
    with pytest.raises(RequestError) as e:
        parse_request(with_auth(auth), "patient-view")
    assert e.value.status == 400 and said in e.value.message


def test_a_user_id_is_a_reference_of_a_type_the_hook_allows() -> None:
    for good in ("Practitioner/123", "PractitionerRole/a.b", "Patient/p1", "RelatedPerson/x-1"):
        body = hook_body("p1", {})
        body["context"]["userId"] = good
        assert parse_request(body, "patient-view").user_id == good
    for bad in ("123", "Device/1", "Practitioner/", "Practitioner/1/_history/2", " Practitioner/1"):
        body = hook_body("p1", {})
        body["context"]["userId"] = bad
        with pytest.raises(RequestError, match="userId"):
            parse_request(body, "patient-view")


# ---- G: the JWT audience with or without the default port ---------------------------------------------------


def _token(keys: ClientKeys, aud: str) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 60, "jti": f"j-{aud}-{time.monotonic_ns()}"}
    return jwt.encode(claims, keys.es, algorithm="ES384", headers={"kid": "es-1", "typ": "JWT"})


def test_the_audience_may_write_the_default_port_or_not() -> None:
    keys = ClientKeys()
    v: TokenVerifier = verifier(keys)
    called = "https://cds.example.org/cds-services/trial-eligibility"
    assert spellings(called) == [called, "https://cds.example.org:443/cds-services/trial-eligibility"]
    v.verify(bearer(_token(keys, "https://cds.example.org:443/cds-services/trial-eligibility")), called)
    v.verify(bearer(_token(keys, called)), called)
    for other in ("https://cds.example.org:8443/cds-services/trial-eligibility", "http://cds.example.org/cds-services"):
        with pytest.raises(Exception, match="wrong audience"):
            v.verify(bearer(_token(keys, other)), called)
    assert spellings("http://127.0.0.1:8080/x") == ["http://127.0.0.1:8080/x"]
