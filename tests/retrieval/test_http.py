"""retrieval/http.py, the one module on the HTTP library: the URL check on the sent URL, no redirect,
one wording for failures, and sessions that refuse cookies where asked."""

from __future__ import annotations

import pytest
import requests
import responses

from fhir_eligibility.retrieval.auth import BearerAuth
from fhir_eligibility.retrieval.http import HttpError, new_session, send
from fhir_eligibility.retrieval.urlpolicy import UnsafeUrl, no_credentials

URL = "https://fhir.example.org/r4/Patient?_id=p1"


def _allow_all(url: str, credentials: bool) -> None:
    return None


def test_the_policy_sees_the_sent_url_and_the_credentials(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, "https://fhir.example.org/r4/Patient", json={})
    seen: list[tuple[str, bool]] = []

    def allow(url: str, credentials: bool) -> None:
        seen.append((url, credentials))

    send(new_session(), "GET", "https://FHIR.example.org/r4/Patient?name=a b", allow=allow, timeout=5)
    send(new_session(), "GET", URL, allow=allow, timeout=5, auth=BearerAuth("tok"))
    # the URL as requests prepared it (host lower-cased, space quoted), and the token's presence
    assert seen == [("https://fhir.example.org/r4/Patient?name=a%20b", False), (URL, True)]
    assert rsps.calls[1].request.headers["Authorization"] == "Bearer tok"


def test_a_refused_url_is_never_sent(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, "https://fhir.example.org/r4/Patient", json={})
    with pytest.raises(UnsafeUrl):
        send(new_session(), "GET", URL, allow=no_credentials, timeout=5, auth=BearerAuth("tok"))
    assert len(rsps.calls) == 0


def test_a_redirect_is_refused_not_followed(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, URL, status=307, headers={"Location": "https://evil.example.org/x"})
    trap = rsps.add(responses.GET, "https://evil.example.org/x", json={})
    with pytest.raises(HttpError, match=r"redirect refused \(HTTP 307\)") as info:
        send(new_session(), "GET", URL, allow=_allow_all, timeout=5, auth=BearerAuth("tok"))
    assert info.value.status == 307 and not info.value.retry_safe
    assert trap.call_count == 0


@pytest.mark.parametrize(
    ("raised", "cause", "retry_safe"),
    [
        (requests.ConnectTimeout("slow"), "connect timeout", True),
        (requests.ConnectionError("refused"), "connection failed", True),
        (requests.ReadTimeout("read timed out"), "timeout", False),
        (requests.exceptions.ChunkedEncodingError("cut"), "ChunkedEncodingError", False),
    ],
)
def test_library_failures_have_one_wording(
    rsps: responses.RequestsMock, raised: Exception, cause: str, retry_safe: bool
) -> None:
    rsps.add(responses.GET, URL, body=raised)
    with pytest.raises(HttpError) as info:
        send(new_session(), "GET", URL, allow=_allow_all, timeout=5)
    assert (info.value.cause, info.value.retry_safe, info.value.status) == (cause, retry_safe, None)
    assert "example.org" not in str(info.value)


def test_a_session_without_cookies_keeps_none(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, URL, json={}, headers={"Set-Cookie": "sid=user-1; Path=/"})
    keeping, refusing = new_session(), new_session(cookies=False)
    for session in (keeping, refusing):
        send(session, "GET", URL, allow=_allow_all, timeout=5)
    assert keeping.cookies.get("sid") == "user-1"  # the default keeps it: the refusal is what differs
    assert len(refusing.cookies) == 0
