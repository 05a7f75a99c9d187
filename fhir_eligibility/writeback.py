"""Write the screening outcome back to the FHIR server it was read from (``--write-back``).

Per patient x study: an R4 ``ResearchSubject`` (status from the verdict) and a ``GuidanceResponse``
whose contained ``Parameters`` carry the per-criterion results; the ``ResearchStudy`` is created once
from the definition. One transaction per patient, made only of conditional requests, so a second
run (or a retry) updates instead of duplicating and a dry run can print it without reading anything:

* ``POST ResearchStudy`` with ``ifNoneExist: identifier=https://clinicaltrials.gov|<NCT>``;
* ``PUT ResearchSubject?identifier=urn:fhir-eligibility:research-subject|<NCT>/<patient id>``;
* ``PUT GuidanceResponse?identifier=urn:fhir-eligibility:guidance-response|<NCT>/<patient id>``.

The key is ``<NCT>/<patient id>``: neither part can hold ``/`` (an NCT number, a FHIR id), and a
``|`` in a token value would need escaping. Everything goes through :class:`FhirServer` (its URL
policy, deadlines, no redirects). A failure is collected, never raised into the evaluation: the
report is already out when this runs. See docs/write-back.md.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import click

from fhir_eligibility.codes import PROJECT
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import EligibilityError, RetrievalError
from fhir_eligibility.evaluation.results import CriterionResult, TrialResult, Verdict
from fhir_eligibility.report import format as fmt
from fhir_eligibility.retrieval.merge import entry_status
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions
from fhir_eligibility.retrieval.transport import Page, short_count

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

SUBJECT_SYSTEM = "urn:fhir-eligibility:research-subject"
RESULTS_SYSTEM = "urn:fhir-eligibility:guidance-response"
NCT_SYSTEM = "https://clinicaltrials.gov"
WRITE_BACK_FAILED_EXIT = 5  # the report was written; some outcomes could not be recorded on the server

# R4 research-subject-status. needs-review and undetermined are people to consider (candidate), not
# yet decided either way; only a verdict every criterion of which was decided (manual ones by a
# person's attestation) is `eligible`. A what-if (--assume-attested) is never written at all.
STATUS = {
    Verdict.ELIGIBLE: "eligible",
    Verdict.INELIGIBLE: "ineligible",
    Verdict.NEEDS_REVIEW: "candidate",
    Verdict.UNDETERMINED: "candidate",
}
# the statuses write-back writes. A subject holding any other (screening, on-study, withdrawn...), or
# one of these that is not the status the product wrote last (WRITTEN_TAG: staff confirmed or changed
# it since), was set by staff and is never overwritten
OWN_STATUSES = frozenset(STATUS.values())
WRITTEN_TAG = "urn:fhir-eligibility:written-status"  # meta.tag: the status the product wrote last
_NAMESPACE = uuid.UUID("6f1f3c0e-3a51-4c1e-9f0b-8f4f1e0c2a77")  # stable fullUrls: a dry run prints the same text


def subject_key(trial: str, patient_id: str) -> str:
    return f"{trial}/{patient_id}"


@dataclass(frozen=True)
class Written:
    """One patient x study to record: the verdict and the ``Parameters.parameter`` entries detailing it."""

    trial: str
    patient_id: str
    verdict: Verdict
    details: tuple[dict[str, Any], ...] = ()
    incomplete: bool = False  # some of the patient's data could not be fetched (a fault, not absence)

    @property
    def recordable(self) -> bool:
        """Whether to write it: an undetermined verdict on data the server failed to deliver is not
        an outcome (a transient fault must not replace a status recorded on complete data)."""
        return not (self.incomplete and self.verdict is Verdict.UNDETERMINED)


def _criterion_parameter(c: CriterionResult) -> dict[str, Any]:
    part: list[dict[str, Any]] = [
        {"name": "type", "valueCode": c.type},
        {"name": "result", "valueCode": c.result.value},
        # worded as in the JSON and FHIR reports (human units, rounded numbers); evidence stays as recorded
        {"name": "reason", "valueString": fmt.reason(c.reason) or "-"},
    ]
    if c.description:
        part.append({"name": "description", "valueString": c.description})
    for e in c.evidence:
        if e.reference:
            part.append({"name": "evidence", "valueString": e.reference})
    if c.attestation is not None:
        a = c.attestation
        part.append({"name": "attestation", "valueString": f"{a.response} by {a.by} on {a.date}"})
    return {"name": c.id, "part": part}


def from_result(r: TrialResult, incomplete: bool = False) -> Written:
    """``evaluate``: every top-level criterion with its result, reason, evidence and attestation.
    ``incomplete``: the patient's data was not all delivered (see :attr:`Written.recordable`)."""
    details = tuple(_criterion_parameter(c) for c in r.criteria)
    return Written(r.trial, r.patient.removeprefix("Patient/"), r.verdict, details, incomplete)


def research_study(trial: Trial) -> dict[str, Any]:
    """The R4 ResearchStudy created when the server has none with this NCT number."""
    return {
        "resourceType": "ResearchStudy",
        "identifier": [{"system": NCT_SYSTEM, "value": trial.id}],
        "title": trial.title or trial.id,
        "status": "active",  # required; a study we screen for is open (R4 research-study-status)
    }


def _written_tag(status: str) -> dict[str, Any]:
    return {"tag": [{"system": WRITTEN_TAG, "code": status}]}


def research_subject(w: Written, study_ref: str) -> dict[str, Any]:
    return {
        "resourceType": "ResearchSubject",
        "meta": _written_tag(STATUS[w.verdict]),
        "identifier": [{"system": SUBJECT_SYSTEM, "value": subject_key(w.trial, w.patient_id)}],
        "status": STATUS[w.verdict],
        "study": {"reference": study_ref, "display": w.trial},
        "individual": {"reference": f"Patient/{w.patient_id}"},
    }


def guidance_response(w: Written, occurred: str, as_of: dt.date) -> dict[str, Any]:
    """The results, in a contained ``Parameters`` (verdict, asOf, then one parameter per criterion)."""
    head = [{"name": "verdict", "valueCode": w.verdict.value}, {"name": "asOf", "valueDate": as_of.isoformat()}]
    return {
        "resourceType": "GuidanceResponse",
        "contained": [{"resourceType": "Parameters", "id": "results", "parameter": [*head, *w.details]}],
        "identifier": [{"system": RESULTS_SYSTEM, "value": subject_key(w.trial, w.patient_id)}],
        "moduleUri": f"{PROJECT}/ResearchStudy/{w.trial}",
        "status": "success",
        "subject": {"reference": f"Patient/{w.patient_id}"},
        "occurrenceDateTime": occurred,
        "outputParameters": {"reference": "#results"},
        "note": [{"text": f"{w.trial}: {w.verdict.value} as of {as_of.isoformat()}"}],
    }


def _conditional(resource_type: str, system: str, value: str) -> str:
    return f"{resource_type}?identifier={quote(system + '|' + value, safe='')}"


def patient_transaction(
    written: Iterable[Written], trials: Mapping[str, Trial], occurred: str, as_of: dt.date
) -> dict[str, Any]:
    """One patient's write-back: conditional requests only, so sending it twice changes nothing more.
    Outcomes that are not :attr:`~Written.recordable` are left out."""
    entries: list[dict[str, Any]] = []
    for w in (w for w in written if w.recordable):
        study_url = f"urn:uuid:{uuid.uuid5(_NAMESPACE, w.trial)}"
        key = subject_key(w.trial, w.patient_id)
        entries += [
            {
                "fullUrl": study_url,
                "resource": research_study(trials[w.trial]),
                "request": {
                    "method": "POST",
                    "url": "ResearchStudy",
                    "ifNoneExist": f"identifier={quote(NCT_SYSTEM + '|' + w.trial, safe='')}",
                },
            },
            {
                "resource": research_subject(w, study_url),
                "request": {"method": "PUT", "url": _conditional("ResearchSubject", SUBJECT_SYSTEM, key)},
            },
            {
                "resource": guidance_response(w, occurred, as_of),
                "request": {"method": "PUT", "url": _conditional("GuidanceResponse", RESULTS_SYSTEM, key)},
            },
        ]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def transactions(
    written: Iterable[Written], trials: Iterable[Trial], occurred: str, as_of: dt.date
) -> list[tuple[str, dict[str, Any]]]:
    """(patient id, transaction Bundle) per patient, in report order."""
    by_id = {t.id: t for t in trials}
    grouped: dict[str, list[Written]] = {}
    for w in written:
        if w.recordable:
            grouped.setdefault(w.patient_id, []).append(w)
    return [(pid, patient_transaction(ws, by_id, occurred, as_of)) for pid, ws in grouped.items()]


WITHHELD = "outcome(s) not written: undetermined because the server did not deliver all the data"


@dataclass
class Outcome:
    """What the server did: subjects created / updated / kept (staff's status), per patient a failure."""

    created: int = 0
    updated: int = 0
    kept: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def _key_of(subject: dict[str, Any]) -> str | None:
    idents = subject.get("identifier")
    for i in idents if isinstance(idents, list) else []:
        if isinstance(i, dict) and i.get("system") == SUBJECT_SYSTEM and isinstance(i.get("value"), str):
            return str(i["value"])
    return None


def _ours(subject: dict[str, Any]) -> bool:
    """Whether the subject's status is still the one the product wrote (not staff's since)."""
    status = subject.get("status")
    tags = (subject.get("meta") or {}).get("tag") if isinstance(subject.get("meta"), dict) else None
    written = (
        [t.get("code") for t in tags if isinstance(t, dict) and t.get("system") == WRITTEN_TAG]
        if isinstance(tags, list)
        else []
    )
    if written:
        return status == written[0]
    return status in OWN_STATUSES  # written before the tag, or by a server that drops tags


def _staff_subjects(server: FhirServer, bundle: dict[str, Any]) -> set[str]:
    """The trials (NCT numbers) for which the patient already has a ResearchSubject staff created (one
    without our identifier, for a study with that NCT identifier): ours would be a duplicate."""
    subject = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ResearchSubject")
    patient = subject["individual"]["reference"]
    page = server.search_page(
        f"ResearchSubject?individual={quote(patient, safe='/')}&_include=ResearchSubject:study&_count=100"
    )
    if page.next_link is not None:
        raise RetrievalError("the patient's ResearchSubjects fill more than one page")
    _whole(page, "the patient's ResearchSubjects")
    studies: dict[str, set[str]] = {}
    for r in page.resources:
        if r.get("resourceType") == "ResearchStudy" and isinstance(r.get("id"), str):
            idents = r.get("identifier")
            studies[f"ResearchStudy/{r['id']}"] = {
                str(i.get("value"))
                for i in (idents if isinstance(idents, list) else [])
                if isinstance(i, dict) and i.get("system") == NCT_SYSTEM
            }
    out: set[str] = set()
    for r in page.resources:
        if r.get("resourceType") == "ResearchSubject" and _key_of(r) is None:
            ref = (r.get("study") or {}).get("reference") if isinstance(r.get("study"), dict) else None
            out |= studies.get(str(ref), set())
    return out


def _whole(page: Page, what: str) -> None:
    """A page that says it holds fewer matches than the server counted lacks a subject that may be
    staff's: nothing is decided on it (read as "none yet", ours would replace or sit beside theirs)."""
    short = short_count(page.total, page.matches)
    if short is not None:
        raise RetrievalError(f"{what}: {short.cause}")


def settle(server: FhirServer, bundle: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Read the patient's existing ResearchSubjects and adapt the transaction to them.

    A status staff set (on-study, withdrawn, screening; or an ``eligible`` they confirmed, which is
    not the status the product wrote last) is theirs: that subject is left as it is (counted as
    kept). So is a subject staff created for the same study without our identifier: ours is not
    added beside it. Otherwise an existing subject is updated in place (its other elements, e.g. a
    consent, kept; ``ifMatch`` on its version so a concurrent edit fails instead of being lost).
    """
    subjects = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "ResearchSubject"]
    keys = ",".join(quote(f"{SUBJECT_SYSTEM}|{_key_of(e['resource'])}", safe="") for e in subjects)
    page = server.search_page(f"ResearchSubject?identifier={keys}&_count={2 * len(subjects) + 1}")
    if page.next_link is not None:  # more than could be ours: something else carries our identifiers
        raise RetrievalError("ResearchSubject search answered more than one page")
    _whole(page, "ResearchSubject search")
    existing: dict[str, dict[str, Any]] = {}
    for r in page.resources:
        key = _key_of(r)
        if key is not None and r.get("resourceType") == "ResearchSubject":
            if key in existing:
                raise RetrievalError(f"two ResearchSubjects carry the identifier {key}: not written")
            existing[key] = r
    staff = _staff_subjects(server, bundle) if len(existing) < len(subjects) else set()
    entries, kept = [], 0
    for e in bundle["entry"]:
        res = e["resource"]
        old = existing.get(_key_of(res) or "") if res["resourceType"] == "ResearchSubject" else None
        if old is None:
            if res["resourceType"] == "ResearchSubject" and res["study"].get("display") in staff:
                kept += 1
            else:
                entries.append(e)
        elif not _ours(old):
            kept += 1
        else:
            merged = {k: v for k, v in old.items() if k != "meta"} | {
                "status": res["status"],
                "meta": _written_tag(res["status"]),
            }
            request: dict[str, Any] = {"method": "PUT", "url": f"ResearchSubject/{old.get('id')}"}
            version = (old.get("meta") or {}).get("versionId")
            if isinstance(version, str):
                request["ifMatch"] = f'W/"{version}"'
            entries.append({"resource": merged, "request": request})
    return {**bundle, "entry": entries}, kept


def send(server: FhirServer, bundles: Iterable[tuple[str, dict[str, Any]]]) -> Outcome:
    """Send each patient's transaction; a refusal is recorded for that patient and the rest go on.

    Nothing is sent to a server that declares another FHIR version than R4: an R5 server reads R4's
    ``individual`` and ``status`` as invalid (R5: ``subject``, ``progress.subjectState``)."""
    out = Outcome()
    version = server.capabilities().get("fhirVersion")
    if isinstance(version, str) and not version.startswith("4."):
        why = f"the server declares FHIR {version[:20]}; write-back writes R4 resources: not sent"
        out.failed.extend((pid, why) for pid, _b in bundles)
        return out
    for pid, planned in bundles:
        try:
            bundle, kept = settle(server, planned)
            answer = server.transaction(bundle)
        except EligibilityError as e:  # RetrievalError, AuthorizationError: one line, no data
            out.failed.append((pid, str(e)))
            continue
        out.kept += kept
        # every entry is 2xx and matches the request (FhirServer.transaction checks): count what each did
        for request, entry in zip(bundle["entry"], answer["entry"], strict=True):
            if request["resource"]["resourceType"] == "ResearchSubject":
                if entry_status(entry) == 201:
                    out.created += 1
                else:
                    out.updated += 1
    log.info("write-back: %d created, %d updated, %d failed", out.created, out.updated, len(out.failed))
    return out


def dry_run_text(base: str, bundles: Iterable[tuple[str, dict[str, Any]]]) -> str:
    """The requests a write-back would send, nothing sent: ``POST <base>`` and each transaction Bundle."""
    return "\n".join(f"POST {base}  transaction\n{json.dumps(b, indent=2, ensure_ascii=False)}" for _, b in bundles)


def write_back_options(f: F) -> F:
    """``--write-back`` and ``--dry-run`` (evaluate and screen, with ``--server``)."""
    f = click.option("--dry-run", is_flag=True, help="With --write-back: print the requests to stderr, send nothing.")(
        f
    )
    return click.option(
        "--write-back",
        is_flag=True,
        help="With --server: record each outcome there as a ResearchSubject + GuidanceResponse (docs/write-back.md).",
    )(f)


def check_write_back(write_back: bool, dry_run: bool, server: str | None, assume_attested: bool) -> None:
    """Usage errors before anything is read: what would be written must be a real, server-side outcome."""
    if dry_run and not write_back:
        raise click.UsageError("--dry-run goes with --write-back")
    if write_back and not server:
        raise click.UsageError("--write-back needs --server (the outcome is recorded where the data came from)")
    if write_back and assume_attested:
        raise click.UsageError("--write-back records real outcomes; --assume-attested is a what-if")


def run_write_back(
    options: ServerOptions, written: Iterable[Written], trials: Iterable[Trial], as_of: dt.date, dry_run: bool
) -> int:
    """The edge: build, then print (dry run) or send; one stderr line per failure. The exit status."""
    occurred = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()  # the clock, read at the edge
    written = list(written)
    withheld = sum(not w.recordable for w in written)
    if withheld:
        click.echo(f"write-back: {withheld} {WITHHELD}", err=True)
    bundles = transactions(written, trials, occurred, as_of)
    if dry_run:
        click.echo(dry_run_text(options.base, bundles), err=True)
        click.echo(f"dry run: {len(bundles)} transaction(s) not sent", err=True)
        return 0
    with FhirServer(options) as server:
        out = send(server, bundles)
    for pid, cause in out.failed:
        click.echo(f"write-back failed for Patient/{pid}: {cause}", err=True)
    click.echo(
        f"write-back: {out.created} ResearchSubject(s) created, {out.updated} updated"
        + (f", {out.kept} left as staff set them" if out.kept else "")
        + f" on {options.base}",
        err=True,
    )
    return WRITE_BACK_FAILED_EXIT if out.failed else 0


__all__ = [
    "NCT_SYSTEM",
    "OWN_STATUSES",
    "RESULTS_SYSTEM",
    "STATUS",
    "SUBJECT_SYSTEM",
    "WRITE_BACK_FAILED_EXIT",
    "Outcome",
    "Written",
    "check_write_back",
    "dry_run_text",
    "from_result",
    "patient_transaction",
    "run_write_back",
    "send",
    "settle",
    "transactions",
    "write_back_options",
]
