"""``POST /reports/{patientId}/attest?ref=…``: the served page's attestation form, recorded on the FHIR server.

Why these checks: the page is opened by a browser with no JWT, so the request is authorised the way the
page is (the unguessable, expiring ``ref`` of the card link, bound to its patient id), plus what a
browser form needs against cross-site requests: the ``Origin`` must be this service's own, the body must
be JSON (a cross-site form cannot send that without a CORS preflight) and carry the nonce issued with that
page. The patient comes from the ``ref``, the FHIR server from the configuration
(``attest_fhir_server``, on the allow-list, the service's own token from ``FHIR_ELIGIBILITY_ATTEST_TOKEN``):
the body names only the trial, the author and the answers, and any other key is refused.

Who answered: whoever holds the link can type any name, so the typed name is only a display. The response's
``author`` reference (and the Provenance's ``agent.who``) is the hook call's ``context.userId``, which the
EHR, authenticated by its JWT, named; typed text never becomes a reference.

The response and its Provenance are built by :mod:`fhir_eligibility.report.questionnaire` (the same code as
``attest``) and written as one transaction through :class:`~fhir_eligibility.retrieval.server.FhirServer`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import AuthorizationError, InputError, RetrievalError
from fhir_eligibility.evaluation.attestation_authors import not_staff
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.questionnaire import attestation_bundle, provenance, questionnaire_response
from fhir_eligibility.retrieval import urlpolicy
from fhir_eligibility.retrieval.options import ServerOptions
from fhir_eligibility.retrieval.server import FhirServer
from fhir_eligibility.service.prefetch import RequestError

TOKEN_ENV = "FHIR_ELIGIBILITY_ATTEST_TOKEN"
MAX_AUTHOR = 200
MAX_COMMENT = 1000
_KEYS = {"nonce", "trial", "author", "answers", "comments"}


@dataclass(frozen=True)
class WriteTarget:
    """The one FHIR server attestations are written to, with the service's credentials."""

    base: str
    token: str | None
    timeout: float
    retries: int
    ca_bundle: str | None

    @staticmethod
    def from_env(base: str, timeout: float, retries: int, ca_bundle: str | None) -> WriteTarget:
        return WriteTarget(base, os.environ.get(TOKEN_ENV) or None, timeout, retries, ca_bundle)


@dataclass(frozen=True)
class Submission:
    nonce: str
    trial: str
    author: str
    answers: dict[str, bool]
    comments: dict[str, str]


def _bad(message: str, status: int = 400, code: str = "invalid") -> RequestError:
    return RequestError(status, message, code)


def _origin(url: str) -> urlpolicy.Origin | None:
    """Scheme, host and port (default filled in), as browsers compare origins: ``https://x:443`` is ``https://x``."""
    try:
        return urlpolicy.target(url).origin
    except urlpolicy.UnsafeUrl:
        return None


def check_origin(headers: Mapping[str, str], base_url: str) -> None:
    """403 unless the browser says the request comes from a page of this service."""
    origin = headers.get("origin")
    mine = _origin(base_url)
    if origin is None or mine is None or _origin(origin) != mine:
        raise _bad("attestations are accepted only from this service's own page", 403, "forbidden")
    if headers.get("sec-fetch-site", "same-origin") != "same-origin":
        raise _bad("attestations are accepted only from this service's own page", 403, "forbidden")


def parse_submission(body: object, live: Callable[[str], bool]) -> Submission:
    """The form's answers; 403 for a nonce that ``live`` does not know (wrong, or spent), 400 for anything
    malformed."""
    if not isinstance(body, dict):
        raise _bad("request body must be a JSON object")
    extra = sorted(set(body) - _KEYS)
    if extra:
        raise _bad(f"unexpected key(s) {', '.join(extra)}: the patient and the server are not the form's to name")
    given = body.get("nonce")
    if not isinstance(given, str) or not live(given):
        raise _bad("the page's nonce is missing, wrong or used already: reload the page", 403, "forbidden")
    trial, author = body.get("trial"), body.get("author")
    if not isinstance(trial, str) or not trial:
        raise _bad("trial must be a string")
    if not isinstance(author, str) or not author.strip() or len(author) > MAX_AUTHOR:
        raise _bad(f"author is required (a name, at most {MAX_AUTHOR} characters)")
    answers, comments = body.get("answers"), body.get("comments", {})
    if not isinstance(answers, dict) or not answers or not all(isinstance(v, bool) for v in answers.values()):
        raise _bad("answers must map at least one item id to true or false")
    if not isinstance(comments, dict) or not all(
        isinstance(v, str) and len(v) <= MAX_COMMENT for v in comments.values()
    ):
        raise _bad(f"comments must map item ids to strings of at most {MAX_COMMENT} characters")
    if set(comments) - set(answers):
        raise _bad("a comment must belong to an item answered in the same submission")
    comments_kept = {k: v.strip() for k, v in comments.items() if v.strip()}
    return Submission(given, trial, author.strip(), dict(answers), comments_kept)


def record(
    target: WriteTarget, trial: Trial, patient_id: str, sub: Submission, authored: str, user_id: str
) -> dict[str, Any]:
    """Build the response + Provenance and write them as one transaction; the response as written.
    ``user_id``: the hook's ``context.userId``, the author reference (the typed name is its display).
    A patient or a relative (a patient-facing app's user) attests nothing: refused (403)."""
    if not_staff({"reference": user_id}):
        raise _bad("eligibility is attested by study staff, not the patient or a relative", 403, "forbidden")
    try:
        response = questionnaire_response(
            trial,
            patient_id,
            sub.answers,
            author=sub.author,
            author_reference=user_id,
            authored=authored,
            response_id=str(uuid.uuid4()),
            comments=sub.comments,
        )
    except InputError as e:
        raise _bad(str(e)) from None
    bundle = attestation_bundle(response, provenance(response, str(uuid.uuid4())))
    options = ServerOptions(
        base_url=target.base,
        bearer_token=target.token,
        use_env_token=False,
        timeout=target.timeout,
        retries=target.retries,
        ca_bundle=target.ca_bundle,
    )
    try:
        with FhirServer(options) as fhir:
            fhir.transaction(bundle)
    except AuthorizationError:
        raise _bad("the FHIR server refused this service's credentials", 502, "security") from None
    except RetrievalError:  # the message may name the patient: neither logged nor returned
        raise _bad("the FHIR server did not record the attestation", 502, "transient") from None
    return response


def with_responses(data: PatientData, responses: Sequence[dict[str, Any]]) -> PatientData:
    """The patient's data as the server now holds it: the hook call's data, plus the responses recorded since."""
    if not responses:
        return data
    return PatientData(data.patient_id, [*data.resources, *responses], data.unavailable, list(data.warnings))


__all__ = ["TOKEN_ENV", "Submission", "WriteTarget", "check_origin", "parse_submission", "record", "with_responses"]
