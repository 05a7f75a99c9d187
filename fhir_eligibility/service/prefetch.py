"""A CDS Hooks request -> the patient's data: validate the request, read the prefetch, fetch the rest.

Prefetch semantics (CDS Hooks 2.0 §Prefetch), per key of our own discovery document:

    key present, resource or Bundle   the data (only resources about ``context.patientId`` are used); a
                                      single resource only under a read template (``Patient/{{...}}``):
                                      under a search key it is not the whole result, treated as missing
    key present, null                 the client has no such data: nothing to fetch
    key missing                       fetch it from ``fhirServer`` with ``fhirAuthorization``
    OperationOutcome, an error entry,
    or a Bundle with a ``next`` link  the client could not deliver it all: treated as missing

``fhirServer`` must pass the product's one outbound-URL policy (:mod:`~fhir_eligibility.retrieval.urlpolicy`:
no userinfo, backslash or odd port; else 400) and is contacted only when it equals an allow-list
entry (scheme, host, port and path, as the HTTP client parses them); any other URL is refused
without a connection, since the token in ``fhirAuthorization`` would otherwise go wherever a
request points. Requests then go to the allow-list entry itself, never to the client's spelling.
A prefetch key holding data about another patient than ``context.patientId`` is not complete:
it is fetched instead (or the answer is 412). When data are
missing and cannot be had (no or refused server, unreachable, a search failed) the answer is 412:
CDS Hooks prefers no cards to cards computed on silently partial data.

Keys the service did not ask for are ignored, as the spec says. The fetched searches are the very
templates' searches (same types and codes), so prefetched and fetched data cannot differ in scope.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fhir_eligibility.errors import AuthorizationError, InputError, RetrievalError
from fhir_eligibility.evaluation.facts import ORDERS
from fhir_eligibility.record import PATIENT_KEYS, PatientData, Resource, about
from fhir_eligibility.requirements.prefetch import PrefetchTemplate
from fhir_eligibility.retrieval import urlpolicy
from fhir_eligibility.retrieval.assembly import assemble as assemble_patient
from fhir_eligibility.retrieval.auth import token_problem
from fhir_eligibility.retrieval.http import HttpSession, new_session
from fhir_eligibility.retrieval.reading import PATIENT_DATA
from fhir_eligibility.retrieval.server import BatchMode, FhirServer, ServerOptions
from fhir_eligibility.retrieval.transport import Fault, read_page, short_count

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# CDS Hooks patient-view: context.userId is one of these, as a relative reference (it becomes the author
# reference of an attestation made from the card's page)
_USER = re.compile(r"(Practitioner|PractitionerRole|Patient|RelatedPerson)/[A-Za-z0-9\-.]{1,64}")
_UUID = re.compile(r"(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class RequestError(Exception):
    """The request cannot be answered: ``status`` 400 (malformed) or 412 (data cannot be had)."""

    def __init__(self, status: int, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


@dataclass(frozen=True)
class HookRequest:
    """The parts of a CDS Hooks request the service uses. The access token never shows in a repr."""

    hook: str
    hook_instance: str
    patient_id: str
    user_id: str
    fhir_server: str | None = None
    access_token: str | None = field(default=None, repr=False)
    prefetch: dict[str, Any] = field(default_factory=dict, repr=False)


def _bad(message: str) -> RequestError:
    return RequestError(400, message)


def parse_request(body: object, hook: str) -> HookRequest:
    """Validate a hook request body (400 with the first problem found)."""
    if not isinstance(body, dict):
        raise _bad("request body must be a JSON object")
    got_hook = body.get("hook")
    if not isinstance(got_hook, str) or not got_hook:
        raise _bad("hook: required string")
    if got_hook != hook:
        raise _bad(f"hook: this service answers {hook!r}, not {got_hook[:40]!r}")
    instance = body.get("hookInstance")
    if not isinstance(instance, str) or not _UUID.fullmatch(instance):
        raise _bad("hookInstance: required UUID")
    context = body.get("context")
    if not isinstance(context, dict):
        raise _bad("context: required object")
    patient_id = context.get("patientId")
    if not isinstance(patient_id, str) or not _FHIR_ID.fullmatch(patient_id):
        raise _bad("context.patientId: required FHIR id (not a reference such as Patient/123)")
    user_id = context.get("userId")
    if not isinstance(user_id, str) or not _USER.fullmatch(user_id):
        raise _bad(
            "context.userId: required reference to the user "
            "(Practitioner/<id>, PractitionerRole/<id>, Patient/<id> or RelatedPerson/<id>)"
        )
    encounter = context.get("encounterId")
    if encounter is not None and not isinstance(encounter, str):
        raise _bad("context.encounterId: expected a string")
    server = body.get("fhirServer")
    if server is not None:
        if not isinstance(server, str):
            raise _bad("fhirServer: expected an absolute http(s) URL")
        try:
            urlpolicy.base(server)
        except urlpolicy.UnsafeUrl as e:
            raise _bad(f"fhirServer: {e}") from None
    token = None
    auth = body.get("fhirAuthorization")
    if auth is not None:
        if server is None:
            raise _bad("fhirAuthorization given without fhirServer")
        token = _access_token(auth, patient_id)
    prefetch = body.get("prefetch")
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, dict):
        raise _bad("prefetch: expected an object")
    for key, value in prefetch.items():
        if value is not None and not (isinstance(value, dict) and isinstance(value.get("resourceType"), str)):
            raise _bad(f"prefetch.{str(key)[:40]}: expected a FHIR resource, a Bundle or null")
    return HookRequest(got_hook, instance, patient_id, user_id, server, token, prefetch)


def _access_token(auth: object, patient_id: str) -> str:
    """The token of a ``fhirAuthorization`` that CDS Hooks 2.0 allows for this call (400 otherwise): Bearer,
    ``scope`` and ``subject`` given, ``expires_in`` (when given) positive, and ``patient`` (when given) the
    context's patient: a token granted for another patient is never used for this one."""
    if not isinstance(auth, dict):
        raise _bad("fhirAuthorization: expected an object")
    token = auth.get("access_token")
    if not isinstance(token, str) or not token:
        raise _bad("fhirAuthorization.access_token: required string")
    problem = token_problem(token)  # it could not go in an Authorization header: the client's mistake
    if problem is not None:
        raise _bad(f"fhirAuthorization.access_token: {problem}")
    if str(auth.get("token_type", "")).lower() != "bearer":
        raise _bad("fhirAuthorization.token_type: must be Bearer")
    for key in ("scope", "subject"):
        value = auth.get(key)
        if not isinstance(value, str) or not value.strip():
            raise _bad(f"fhirAuthorization.{key}: required string")
    expires = auth.get("expires_in")
    if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int | float) or expires <= 0):
        raise _bad("fhirAuthorization.expires_in: must be a positive number of seconds")
    patient = auth.get("patient")
    if patient is not None and patient != patient_id:
        raise _bad("fhirAuthorization.patient: not the context's patientId (the token is for another patient)")
    return token


# -- reading the prefetch -------------------------------------------------------------------------


def _is_read(template: PrefetchTemplate) -> bool:
    """An instance read (``Patient/{{context.patientId}}``), whose answer is the resource itself; every
    other template is a search, whose answer is a searchset Bundle (standards.md §5.3)."""
    return "?" not in template.query


def _read(value: dict[str, Any], template: PrefetchTemplate) -> tuple[list[Resource], list[str]]:
    """A prefetched value's resources and the server's notes, or :class:`Fault` saying why the key
    cannot count as prefetched: the one reader of search pages (:func:`read_page`), so a prefetch is
    held to what a search the service sends itself is (an error, an unreadable entry, a resource of
    another type, a further page or a short count is never read as "no such data")."""
    kind = value.get("resourceType")
    if kind != "Bundle":
        if kind != template.resource_type:
            got = kind[:40] if isinstance(kind, str) else "value"
            raise Fault(f"a {got} where a {template.resource_type} was expected")
        if not _is_read(template):
            # a search answers with a searchset Bundle: one resource is not the whole result (the NET
            # Condition alone hid the brain metastases, and the card said "needs review")
            raise Fault(f"a single {kind} where the search's searchset Bundle was expected")
        return [value], []
    page = read_page(value, template.resource_type)
    if page.next_link is not None:
        raise Fault("only the first page was sent")
    short = short_count(page.total, page.matches)
    if short is not None:
        raise short
    return page.resources, page.notes


@dataclass
class Prefetched:
    """What the prefetch gave: resources (with Medications kept for reference resolution) and gaps."""

    resources: list[Resource]
    missing: list[PrefetchTemplate]
    warnings: list[str]
    unusable: list[str] = field(default_factory=list)  # "key: why" of keys sent but not readable as given


def read_prefetch(req: HookRequest, templates: Sequence[PrefetchTemplate]) -> Prefetched:
    out = Prefetched([], [], [])
    for t in templates:
        if t.key not in req.prefetch:
            out.missing.append(t)
            continue
        value = req.prefetch[t.key]
        if value is None:
            continue  # the client has no such data
        try:
            resources, notes = _read(value, t)
        except Fault as f:
            out.warnings.append(f"prefetch {t.key}: {f.cause}; the key is treated as not prefetched")
            out.unusable.append(f"{t.key}: {f.cause}")
            out.missing.append(t)
            continue
        out.warnings.extend(f"prefetch {t.key}: the client noted: {n}" for n in dict.fromkeys(notes))
        foreign = sum(1 for r in resources if _other_patient(r, req.patient_id))
        if foreign:
            out.warnings.append(
                f"prefetch {t.key}: {foreign} resource(s) about another patient, or naming no patient it can be"
                " read for; the key is treated as not prefetched"
            )
            out.missing.append(t)
            continue
        out.resources.extend(resources)
    return out


def _other_patient(resource: Resource, patient_id: str) -> bool:
    """A resource that is, or refers to, a patient other than ``patient_id`` (a Medication is no
    one's); or patient data whose patient reference cannot be read (``{"reference": 123}``, none at
    all): the assembler would drop it as nobody's, and a missing record is not an absent one."""
    if resource.get("resourceType") == "Patient":
        return resource.get("id") != patient_id
    refs = [resource.get(k) for k in PATIENT_KEYS if k in resource]
    named = [r.get("reference") for r in refs if isinstance(r, dict) and isinstance(r.get("reference"), str)]
    if not named:
        return bool(refs) or resource.get("resourceType") in PATIENT_DATA
    return not about(resource, patient_id)


def assemble(patient_id: str, resources: Iterable[Resource], warnings: Sequence[str] = ()) -> PatientData:
    """One patient's data: their resources only (a Medication is no one's and stays for references),
    then the one assembler every source uses (:func:`fhir_eligibility.retrieval.assembly.assemble`)."""
    pool = list(resources)
    mine = [r for r in pool if r.get("resourceType") == "Medication" or about(r, patient_id)]
    notes = list(warnings)
    if len(mine) < len(pool):
        notes.append(f"{len(pool) - len(mine)} prefetched resource(s) were not about this patient; ignored")
    return assemble_patient(patient_id, mine, warnings=notes)


# -- fetching what is missing -----------------------------------------------------------------------


def normalise_base(url: str) -> str:
    """The policy's canonical form of a base URL (default port and trailing slash dropped)."""
    return urlpolicy.base(url).url


def no_cookie_session() -> HttpSession:
    """A pooled session that never keeps cookies, so nothing from one EHR user's call reaches another's."""
    return new_session(cookies=False)


CAPABILITIES_TTL = 600.0  # seconds a server's batch support is remembered (servers get upgraded)


@dataclass
class Fallback:
    """How to reach allow-listed FHIR servers for keys that were not prefetched."""

    allowed: Sequence[str] = ()
    timeout: float = 10.0
    retries: int = 1
    batch: BatchMode = "auto"
    ca_bundle: str | None = None
    _sessions: dict[str, HttpSession] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # base -> (declares batch, when learnt): /metadata is read once per CAPABILITIES_TTL, not per hook call
    _batch: dict[str, tuple[bool, float]] = field(default_factory=dict, repr=False)

    def allowed_base(self, url: str) -> str | None:
        """The allow-list entry ``url`` names (canonical form), or None; never raises."""
        try:
            wanted = urlpolicy.base(url)
        except urlpolicy.UnsafeUrl:
            return None
        for entry in self.allowed:
            with contextlib.suppress(urlpolicy.UnsafeUrl):
                if urlpolicy.base(entry) == wanted:
                    return wanted.url
        return None

    def is_allowed(self, url: str) -> bool:
        return self.allowed_base(url) is not None

    def session(self, base: str) -> HttpSession:
        key = normalise_base(base)
        with self._lock:
            if key not in self._sessions:
                self._sessions[key] = no_cookie_session()
            return self._sessions[key]

    def close(self) -> None:
        with self._lock:
            for s in self._sessions.values():
                s.close()
            self._sessions.clear()

    def batch_mode(self, base: str) -> BatchMode:
        """The configured mode, or what the server's CapabilityStatement said within the last TTL."""
        known = self._batch.get(normalise_base(base)) if self.batch == "auto" else None
        if known is None or time.monotonic() - known[1] > CAPABILITIES_TTL:
            return self.batch
        return "always" if known[0] else "never"

    def fetch(
        self, req: HookRequest, missing: Sequence[PrefetchTemplate], unusable: Sequence[str] = ()
    ) -> tuple[list[Resource], list[str]]:
        """The missing keys' data from ``fhirServer`` and the server's notes on it; 412 when that is
        not possible (saying which keys were sent but ``unusable``, and why)."""
        what = ", ".join(t.key for t in missing) + (f"; unusable as sent: {'; '.join(unusable)}" if unusable else "")
        if req.fhir_server is None:
            raise RequestError(412, f"prefetch incomplete ({what}) and no fhirServer to fetch it from", "incomplete")
        base = self.allowed_base(req.fhir_server)
        if base is None:
            raise RequestError(
                412, f"prefetch incomplete ({what}) and fhirServer is not on this service's allow-list", "forbidden"
            )
        try:
            options = ServerOptions(
                base_url=base,
                bearer_token=req.access_token,
                use_env_token=False,
                timeout=self.timeout,
                retries=self.retries,
                batch=self.batch_mode(base),
                ca_bundle=self.ca_bundle,
                request_deadline=2 * self.timeout,
                patient_deadline=3 * self.timeout,  # the EHR is waiting: the whole fetch of one hook call
            )
            reqs = [t.requirement() for t in missing]
            # a prefetched Patient is not fetched again (one request fewer per call)
            patient = any(t.resource_type == "Patient" for t in missing)
            with FhirServer(options, session=self.session(base)) as server:
                (data,) = list(server.fetch_patients([req.patient_id], reqs, patient))
                if options.batch == "auto":
                    self._batch[base] = (server.supports_batch(), time.monotonic())
        except AuthorizationError:
            raise RequestError(412, "fhirServer refused the fhirAuthorization token", "forbidden") from None
        except RetrievalError:
            # the message may hold the patient id: it is neither logged nor needed by the client
            raise RequestError(412, "fhirServer could not deliver the patient's data", "incomplete") from None
        except InputError:
            raise RequestError(412, "fhirServer cannot be queried", "incomplete") from None
        # orders and dispenses only add to administrations and statements (forms.records): a server
        # that cannot deliver them (no MedicationDispense support) does not fail the hook
        lost = sorted({u.resource_type for u in data.unavailable} - set(ORDERS))
        if lost:
            raise RequestError(412, f"fhirServer could not deliver: {', '.join(lost)}", "incomplete")
        wanted = {t.resource_type for t in missing}
        return [r for r in data.resources if r.get("resourceType") in wanted], list(data.warnings)


def patient_data(
    req: HookRequest, templates: Sequence[PrefetchTemplate], fallback: Fallback
) -> tuple[PatientData, int]:
    """The patient's data from prefetch plus fallback, and how many keys had to be fetched."""
    got = read_prefetch(req, templates)
    resources, warnings = list(got.resources), list(got.warnings)
    if got.missing:
        fetched, notes = fallback.fetch(req, got.missing, got.unusable)
        resources.extend(fetched)
        warnings.extend(notes)
    return assemble(req.patient_id, resources, warnings), len(got.missing)


__all__ = [
    "Fallback",
    "HookRequest",
    "RequestError",
    "assemble",
    "normalise_base",
    "parse_request",
    "patient_data",
    "read_prefetch",
]
