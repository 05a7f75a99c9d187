"""One HTTP exchange on the wire, and what a search page must look like to count as an answer.

Shared by every outbound request (retrieval, screening and its ``$export``, the CDS fallback), so
the rules hold everywhere:

* the URL checked is the *prepared* one (after :func:`~.http.send` has joined, quoted and applied auth),
  against the caller's :class:`~.urlpolicy.Base`: under the base, or for ``scope="origin"`` on its
  origin; ``scope="public"`` (Bulk files on a storage host) allows any strict http(s) URL but
  never with credentials;
* redirects are never followed: :func:`~.http.send` refuses a 3xx ("redirect refused"), so
  neither a token nor a 307's body can reach another host;
* a total deadline per request: the exchange runs in a daemon thread and the caller stops waiting
  when the deadline passes, so a server trickling one byte a second cannot hold a run (the read
  timeout of the HTTP library restarts at every byte); an abandoned exchange has its socket shut down
  if its answer had begun, else it ends at the read timeout (a daemon thread, never waited for);
* a bounded body size.

A :class:`Fault` is "this answer cannot be used"; callers turn it into *unavailable* data.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from fhir_eligibility.retrieval.http import Allow, AuthHook, HttpResponse, HttpSession, send
from fhir_eligibility.retrieval.patient_bases import elsewhere, entry_bases
from fhir_eligibility.retrieval.urlpolicy import Base, UnsafeUrl, target

MAX_BODY_BYTES = 256 * 1024 * 1024  # one search page or batch answer; downloads go to a file instead


class Sink(Protocol):
    """Where a successful download's bytes go: a file, or one that refuses to grow past a limit
    (:mod:`.bulk`); an exception from ``write`` ends the download with it."""

    def write(self, data: bytes, /) -> int: ...


CHUNK = 64 * 1024
Scope = Literal["base", "origin", "public"]


class Fault(Exception):
    """An answer that cannot be used; ``cause`` is a short reason without URLs or data; ``unsent``: the
    request never left (every attempt failed while connecting), so nothing reached the server."""

    def __init__(self, cause: str, status: int | None = None, *, unsent: bool = False) -> None:
        super().__init__(cause)
        self.cause = cause
        self.status = status
        self.unsent = unsent


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes = b""


def check(url: str, base: Base, scope: Scope, credentials: bool) -> None:
    """Raise :class:`UnsafeUrl` unless the policy lets a request (with or without credentials) go to ``url``."""
    t = target(url)
    if scope == "base" and not base.contains(url):
        raise UnsafeUrl("URL outside the server base refused")
    if scope == "origin" and t.origin != base.origin:
        raise UnsafeUrl("URL on another host refused")
    if scope == "public" and credentials:
        raise UnsafeUrl("credentials are never sent off the server's origin")


@dataclass
class _Box:
    done: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)
    response: HttpResponse | None = None
    answer: Answer | None = None
    error: BaseException | None = None

    def hold(self, response: HttpResponse) -> None:
        self.response = response


def exchange(
    session: HttpSession,
    method: str,
    url: str,
    *,
    base: Base | None = None,
    scope: Scope = "base",
    allow: Allow | None = None,
    deadline: float,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    form: Mapping[str, str] | None = None,
    auth: AuthHook | None = None,
    timeouts: tuple[float, float] = (10.0, 30.0),
    verify: bool | str = True,
    sink: Sink | None = None,
    max_bytes: int = MAX_BODY_BYTES,
) -> Answer:
    """Send one request and read its whole answer before ``deadline`` (``time.monotonic``). The URL
    policy: ``base`` and ``scope`` (:func:`check`), or ``allow`` for a host off the server's base
    (a SMART token endpoint).

    Raises :class:`Fault` (deadline, too large), :class:`UnsafeUrl`, or :class:`HttpError` (no
    answer, redirect refused).
    """
    if deadline <= time.monotonic():
        raise Fault("no complete answer before the deadline (no time left to send)")
    box = _Box()
    if allow is None:
        assert base is not None, "exchange needs a base or an allow policy"
        server = base

        def allow(prepared_url: str, credentials: bool) -> None:
            check(prepared_url, server, scope, credentials)

    def work() -> None:
        try:
            r = send(
                session,
                method,
                url,
                allow=allow,
                timeout=timeouts,
                verify=verify,
                headers=headers,
                json_body=json_body,
                form=form,
                auth=auth,
                stream=True,
                on_response=box.hold,
            )
            size = 0
            parts: list[bytes] = []
            # only a success goes to the sink: an error's body (or a 401 before a renewed token's
            # retry) would be written ahead of the file, and is wanted for the error message
            into = sink if sink is not None and 200 <= r.status < 300 else None
            for chunk in r.chunks(CHUNK):
                if box.cancelled.is_set():
                    return
                size += len(chunk)
                if into is not None:
                    into.write(chunk)
                elif size > max_bytes:
                    raise Fault("response too large", r.status)
                else:
                    parts.append(chunk)
            box.answer = Answer(r.status, r.headers, b"".join(parts))
        except BaseException as e:  # handed to the waiting caller, which re-raises it
            box.error = e
        finally:
            if box.response is not None:
                box.response.close()
            box.done.set()

    threading.Thread(target=work, name="fhir-request", daemon=True).start()
    if not box.done.wait(max(deadline - time.monotonic(), 0.0)):
        box.cancelled.set()
        if box.response is not None:
            box.response.abort()
        raise Fault("no complete answer before the deadline")
    if box.error is not None:
        raise box.error
    assert box.answer is not None
    return box.answer


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, else :class:`Fault` (not JSON, nested too deep, not an object)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise Fault("response is not JSON") from None
    if not isinstance(value, dict):
        raise Fault("response is not a JSON object")
    return value


# -- in-band faults -------------------------------------------------------------------------------


def is_error_outcome(resource: object) -> bool:
    """An OperationOutcome with an issue of severity error or fatal (or no issue to say otherwise)."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "OperationOutcome":
        return False
    issues = resource.get("issue")
    if not isinstance(issues, list) or not issues:
        return True
    return any(not isinstance(i, dict) or i.get("severity") in ("error", "fatal") for i in issues)


@dataclass
class Page:
    resources: list[dict[str, Any]]
    matches: int  # distinct resources that are search matches (includes and outcomes not counted)
    total: int | None
    next_link: str | None
    notes: list[str] = field(default_factory=list)  # what a warning OperationOutcome in the page said
    match_keys: set[tuple[str, str]] = field(default_factory=set)  # the matches' resource_key


def resource_key(resource: dict[str, Any]) -> tuple[str, str]:
    """Which record a search entry is: (type, id); its content when it has no id (the same text twice is
    one record, as the assembler keeps it)."""
    rid = resource.get("id")
    text = rid if isinstance(rid, str) and rid else "#" + json.dumps(resource, sort_keys=True, default=str)
    return str(resource.get("resourceType")), text


# Besides the searched type, what a search may bring: a drug's Medication (``_include``d; servers that
# leave out ``search.mode`` make it look like a match), and outcomes
INCLUDED = frozenset({"Medication", "OperationOutcome"})


def link_relation(link: object) -> str | None:
    """A Bundle link's relation, lower-cased: relation names are compared case-insensitively (RFC 8288
    §2.1.1), so ``"Next"`` is a next page and ``"Self"`` the search a page answers."""
    relation = link.get("relation") if isinstance(link, dict) else None
    return relation.strip().lower() if isinstance(relation, str) else None


def read_page(page: object, searched: str | None = None) -> Page:
    """One searchset page, or :class:`Fault` when it is malformed or reports an error in-band.

    The page's OperationOutcome is read alike as an R4 entry (``search.mode`` outcome) or R5
    ``Bundle.issues`` (an error, or an issue saying matches were left out: :class:`Fault`).

    Why strict: a 200 holding an error OperationOutcome, a Bundle that is not a ``searchset`` (an
    empty ``collection`` says nothing of what the search matched), an entry without a readable
    resource, a resource of another type than the one searched (``searched``), a ``total`` that is not
    a count, or a Bundle whose ``entry`` is not a list, read as "no resources" would turn a server
    fault into absent data, and absent diagnoses are FALSE (closed world): a false "ineligible".
    A record naming its patient by an absolute URL on another base than the entries' ``fullUrl``s is
    another server's patient (:mod:`.patient_bases`): wrong-patient data, a fault of the answer.
    """
    if is_error_outcome(page):
        raise Fault("server answered with an error OperationOutcome")
    if not isinstance(page, dict) or page.get("resourceType") != "Bundle":
        raise Fault("unexpected response (not a Bundle)")
    kind = page.get("type")
    if kind != "searchset":  # a collection, a batch-response... is no search's answer
        raise Fault(f"a Bundle of type {kind[:40] if isinstance(kind, str) else 'none'}, not a searchset")
    entries = page.get("entry")
    links = page.get("link")
    if entries is None:
        entries = []
    if links is None:
        links = []
    if not isinstance(entries, list) or not isinstance(links, list):
        raise Fault("malformed Bundle (entry or link is not a list)")
    out = Page([], 0, None, None)
    bases = entry_bases(entries)
    issues = page.get("issues")  # R5: the page's OperationOutcome, said as R4 says it in an outcome entry
    if issues is not None:
        if not isinstance(issues, dict) or issues.get("resourceType") != "OperationOutcome":
            raise Fault("malformed Bundle (issues is not an OperationOutcome)")
        _page_outcome(issues, out.notes)
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(resource, dict) or not isinstance(kind, str):
            raise Fault("malformed search result (an entry without a readable resource)")
        search = entry.get("search")
        mode = search.get("mode") if isinstance(search, dict) else None
        if kind == "OperationOutcome":
            _page_outcome(resource, out.notes)
            continue
        if searched is not None and kind != searched and mode != "include" and kind not in INCLUDED:
            raise Fault(f"a {searched} search answered with a {kind[:40]}")
        if elsewhere(resource, bases):
            raise Fault("the answer holds a record about a patient of another server (an absolute reference)")
        out.resources.append(resource)
        if mode == "match" or (mode != "include" and kind == (searched or kind)):
            out.match_keys.add(resource_key(resource))
    out.matches = len(out.match_keys)
    total = page.get("total")
    if total is not None:
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise Fault("malformed search result (total is not a count)")
        out.total = total
    for link in links:
        if link_relation(link) == "next":
            if not isinstance(link.get("url"), str):
                raise Fault("malformed next link")
            out.next_link = link["url"]
    return out


def _page_outcome(outcome: dict[str, Any], notes: list[str]) -> None:
    """What a page's OperationOutcome (an R4 entry with ``search.mode`` outcome, or R5 ``Bundle.issues``:
    read alike, whatever the version) says: :class:`Fault` for an error or a result cut short, else a
    note when it is worth a warning."""
    if is_error_outcome(outcome):
        raise Fault("server reported an error inside the search result (OperationOutcome)")
    partial = partial_issue(outcome)
    if partial is not None:
        raise Fault(f"server says the search result is incomplete (OperationOutcome issue {partial!r})")
    # by severity/code: its diagnostics may quote the patient (and --deidentify reports quote them);
    # an outcome that only informs (every issue "information", or Epic's "no results" warning) is not
    # worth a warning
    issues = outcome.get("issue")
    told = [i for i in issues if isinstance(i, dict)] if isinstance(issues, list) else []
    if any(i.get("severity") != "information" and not _no_results(i) for i in told):
        notes.append(outcome_codes(outcome) or "an OperationOutcome (no issue code)")


# issue types (http://hl7.org/fhir/issue-type) by which a server says it returned only part of the
# matches, whatever the severity: the rest is missing, as with a short ``total``. "suppressed" (and
# its parents "security", "forbidden"): records withheld by consent or access rules, which EHRs
# report as a warning beside the records they did return
PARTIAL_ISSUES = frozenset(
    {"incomplete", "too-costly", "throttled", "timeout", "too-long", "suppressed", "security", "forbidden"}
)


def partial_issue(outcome: object) -> str | None:
    """The issue code by which an OperationOutcome says some data were left out, if it does."""
    issues = outcome.get("issue") if isinstance(outcome, dict) else None
    for issue in issues if isinstance(issues, list) else []:
        if isinstance(issue, dict) and issue.get("code") in PARTIAL_ISSUES:
            return str(issue["code"])
    return None


# Epic answers every search that finds nothing with a warning of type processing, code 4101 ("Resource
# request returns no results."): an empty answer, not a cut-short one. A warning/processing issue says
# nothing of missing matches (servers say that by "incomplete", "too-costly", "throttled": PARTIAL_ISSUES)
_NO_RESULTS = frozenset({"4101"})


def _no_results(issue: dict[str, Any]) -> bool:
    """Whether an issue is a server's "no results" notice (Epic's warning/processing 4101)."""
    details = issue.get("details")
    codings = details.get("coding") if isinstance(details, dict) else None
    return issue.get("code") == "processing" and any(
        isinstance(c, dict) and c.get("code") in _NO_RESULTS for c in (codings if isinstance(codings, list) else [])
    )


def outcome_codes(outcome: object) -> str:
    """An OperationOutcome's issues as ``severity/code`` (``error/processing``), never its diagnostics
    or details: a server may quote the patient's data there. "" when it is no OperationOutcome."""
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return ""
    issues = outcome.get("issue")
    said = [
        f"{i.get('severity')}/{i.get('code')}"
        for i in (issues if isinstance(issues, list) else [])
        if isinstance(i, dict) and isinstance(i.get("severity"), str) and isinstance(i.get("code"), str)
    ]
    return ", ".join(dict.fromkeys(s[:60] for s in said[:5]))


@dataclass
class Paging:
    """One search's pages so far, to tell a complete answer from a looping or short one.

    Why: a server that answers the same entries under a new offset, or empty pages that keep a
    ``next`` link, is paged until the page bound (100,000 for screening's searches); and entries
    repeated across pages counted toward ``Bundle.total`` made a short result look complete. So a
    page with a next link that adds no resource not read before, or a next link already followed,
    is a loop (:class:`Fault`: the result is incomplete), and matches are counted once each.
    """

    followed: set[str] = field(default_factory=set)
    read: set[tuple[str, str]] = field(default_factory=set)
    matched: set[tuple[str, str]] = field(default_factory=set)
    announced: int | None = None  # the largest total any page announced (often only the first says)

    def add(self, page: Page) -> Fault | None:
        """Count a page; a Fault when it points on yet added nothing new."""
        keys = {resource_key(r) for r in page.resources}
        new = bool(keys - self.read)
        self.read |= keys
        self.matched |= page.match_keys
        if page.total is not None:
            self.announced = max(self.announced or 0, page.total)
        if page.next_link is not None and not new:
            return Fault("the server's paging loops (a page with a next link added no new resource)")
        return None

    def follow(self, url: str) -> Fault | None:
        """Record a page URL about to be read; a Fault when it was read already."""
        if url in self.followed:
            return Fault("the server's paging loops (a next link to a page already read)")
        self.followed.add(url)
        return None

    def short(self) -> Fault | None:
        """After the last page: a Fault when the server announced more matches than were read."""
        return short_count(self.announced, len(self.matched))


def short_count(total: int | None, matches: int) -> Fault | None:
    """A last page whose ``total`` promises more matches than were read: the rest is missing."""
    if total is not None and matches < total:
        return Fault(f"server reported {total} result(s) but returned {matches}")
    return None


__all__ = [
    "Answer",
    "Fault",
    "Page",
    "Paging",
    "exchange",
    "is_error_outcome",
    "json_object",
    "link_relation",
    "outcome_codes",
    "read_page",
    "resource_key",
    "short_count",
]
