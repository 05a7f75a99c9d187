"""Write the screening outcome back to the FHIR server it was read from (``--write-back``).

Per patient x study: an R4 ``ResearchSubject`` (status from the verdict) and a ``GuidanceResponse``
whose contained ``Parameters`` carry the per-criterion results (and the subject status written with
them); the ``ResearchStudy`` is created once from the definition. One transaction per patient x study
(3 conditional entries: a server's limit per transaction, Medplum's 8, is never reached however many
trials), planned as conditional requests, so a dry run can print it without reading anything:

* ``POST ResearchStudy`` with ``ifNoneExist: identifier=https://clinicaltrials.gov|<NCT>``;
* ``PUT ResearchSubject?identifier=urn:fhir-eligibility:research-subject|<NCT>/<patient id>``;
* ``PUT GuidanceResponse?identifier=urn:fhir-eligibility:guidance-response|<NCT>/<patient id>``.

The key is ``<NCT>/<patient id>``: neither part can hold ``/`` (an NCT number, a FHIR id), and a
``|`` in a token value would need escaping. Everything goes through :class:`FhirServer` (its URL
policy, deadlines, no redirects). Before sending, what the server holds is read and judged
(:mod:`fhir_eligibility.writeback_existing`): a record of ours is then written by id (a second run
updates, never duplicates), a conditional write is kept only where it cannot land on another patient's
record, an unchanged outcome is not written again, and a status staff set is never overwritten. A failure is
collected, never raised into the evaluation: the report is already out when this runs; what is said
of a refusal is the OperationOutcome's severity/code, never its text. See docs/write-back.md.

Each transaction is sent once (:func:`~fhir_eligibility.retrieval.connection.replayable`): its
creates and ``ifMatch`` updates are not safe to repeat, and its conditional entries are resolved by a
search the server may match loosely, so ``ifNoneExist`` makes nothing safe to repeat either. When the
answer is lost (a dropped connection, a 502/503/504) the outcome is "whether it was recorded is
unknown" (exit 5), not guessed: the next run reads what the server holds and settles it. A 412 is then
always another writer's change in between (nothing of ours was retried): reported as a refusal, and
the next run reads the subject again before deciding whether it is still the product's to update.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from urllib.parse import quote

import click

from fhir_eligibility.codes import PROJECT
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import EligibilityError
from fhir_eligibility.evaluation.results import CriterionResult, TrialResult, Verdict
from fhir_eligibility.report import format as fmt
from fhir_eligibility.retrieval.merge import entry_status
from fhir_eligibility.retrieval.options import scoped
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions
from fhir_eligibility.writeback_existing import (
    NCT_SYSTEM,
    RESULTS_SYSTEM,
    STATUS_WRITTEN,
    SUBJECT_SYSTEM,
    settle,
    written_tag,
)

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

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
# A subject holding any other status (screening, on-study, withdrawn...), or one of these the product
# cannot prove it wrote last (writeback_existing), was set by staff and is never overwritten.

# what write-back reads (what the server holds) and writes, for a SMART token (options.scoped)
READS = ("ResearchSubject", "ResearchStudy", "GuidanceResponse")
WRITES = {"ResearchStudy": "c", "ResearchSubject": "cu", "GuidanceResponse": "cu"}
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


def research_subject(w: Written, study_ref: str) -> dict[str, Any]:
    return {
        "resourceType": "ResearchSubject",
        "meta": written_tag(STATUS[w.verdict]),
        "identifier": [{"system": SUBJECT_SYSTEM, "value": subject_key(w.trial, w.patient_id)}],
        "status": STATUS[w.verdict],
        "study": {"reference": study_ref, "display": w.trial},
        "individual": {"reference": f"Patient/{w.patient_id}"},
    }


def guidance_response(w: Written, occurred: str, as_of: dt.date) -> dict[str, Any]:
    """The results, in a contained ``Parameters``: verdict, asOf, the subject status written in the same
    transaction (the proof that it is the product's, where a server drops ``meta.tag``; left out when
    staff's status is kept), then one parameter per criterion."""
    head = [
        {"name": "verdict", "valueCode": w.verdict.value},
        {"name": "asOf", "valueDate": as_of.isoformat()},
        {"name": STATUS_WRITTEN, "valueCode": STATUS[w.verdict]},
    ]
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


def study_transaction(w: Written, trial: Trial, occurred: str, as_of: dt.date) -> dict[str, Any]:
    """One patient x study's write-back as planned: conditional requests (what a dry run prints), which
    :func:`settle` adapts to what the server holds before anything is sent."""
    study_url = f"urn:uuid:{uuid.uuid5(_NAMESPACE, w.trial)}"
    key = subject_key(w.trial, w.patient_id)
    entries = [
        {
            "fullUrl": study_url,
            "resource": research_study(trial),
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
    """(patient id, transaction Bundle) per patient x study, in report order; outcomes that are not
    :attr:`~Written.recordable` are left out."""
    by_id = {t.id: t for t in trials}
    return [(w.patient_id, study_transaction(w, by_id[w.trial], occurred, as_of)) for w in written if w.recordable]


def study_of(bundle: dict[str, Any]) -> str:
    """The NCT number a transaction records an outcome for (its ResearchStudy's identifier)."""
    study = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ResearchStudy")
    return str(study["identifier"][0]["value"])


WITHHELD = "outcome(s) not written: undetermined because the server did not deliver all the data"


@dataclass
class Outcome:
    """What the server did: subjects created / updated / kept (staff's status); per patient, a failure
    or a conflict (staff's status differs from the outcome), each naming the study."""

    created: int = 0
    updated: int = 0
    kept: int = 0
    unchanged: int = 0  # the server already held this status and these results: nothing sent
    failed: list[tuple[str, str]] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)


def send(server: FhirServer, bundles: Iterable[tuple[str, dict[str, Any]]]) -> Outcome:
    """Send each patient x study's transaction; a refusal is recorded for it and the rest go on.

    Nothing is sent to a server that does not declare R4 (another version, or none readable): an R5
    server reads R4's ``individual`` and ``status`` as invalid (R5: ``subject``, ``progress.subjectState``)."""
    out = Outcome()
    version = server.capabilities().get("fhirVersion")
    if not isinstance(version, str) or not version.startswith("4."):
        # a CapabilityStatement that could not be read (a 500, none at all) names no version: a fault
        # never makes a write possible that a readable one would refuse
        said = (
            f"declares FHIR {version[:20]}"
            if isinstance(version, str)
            else "names no FHIR version (no readable CapabilityStatement)"
        )
        why = f"the server {said}; write-back writes R4 resources: not sent"
        out.failed.extend((pid, f"{why} (study {study_of(b)})") for pid, b in bundles)
        return out
    for pid, planned in bundles:
        try:
            done = settle(server, planned)
            # nothing left to write (all already recorded): no empty transaction, no new versions
            answer = server.transaction(done.bundle) if done.bundle["entry"] else {"entry": []}
        except EligibilityError as e:  # RetrievalError, AuthorizationError: one line, no data
            out.failed.append((pid, f"{e} (study {study_of(planned)})"))
            continue
        out.kept += done.kept
        out.unchanged += done.unchanged
        if done.conflict is not None:
            out.conflicts.append((pid, done.conflict))
        # every entry is 2xx and matches the request (FhirServer.transaction checks): count what each did
        for request, entry in zip(done.bundle["entry"], answer["entry"], strict=True):
            if request["resource"]["resourceType"] == "ResearchSubject":
                if entry_status(entry) == 201:
                    out.created += 1
                else:
                    out.updated += 1
    log.info("write-back: %d created, %d updated, %d failed", out.created, out.updated, len(out.failed))
    return out


def summary(out: Outcome, base: str) -> list[str]:
    """What a run of :func:`send` tells the user on stderr: each failure and conflict, then the counts."""
    lines = [f"write-back failed for Patient/{pid}: {cause}" for pid, cause in out.failed]
    lines += [f"write-back: Patient/{pid}: {conflict}" for pid, conflict in out.conflicts]
    kept = f", {out.kept} left as staff set them" if out.kept else ""
    kept += f", {out.unchanged} unchanged" if out.unchanged else ""
    lines.append(f"write-back: {out.created} ResearchSubject(s) created, {out.updated} updated{kept} on {base}")
    return lines


def dry_run_text(base: str, bundles: Iterable[tuple[str, dict[str, Any]]]) -> str:
    """The requests a write-back would send, nothing sent: ``POST <base>`` and each transaction Bundle."""
    return "\n".join(f"POST {base}  transaction\n{json.dumps(b, indent=2, ensure_ascii=False)}" for _, b in bundles)


def write_back_options(f: F) -> F:
    """``--write-back``, ``--dry-run`` and ``--any-as-of`` (evaluate and screen, with ``--server``).

    ``--any-as-of`` is checked here (:func:`check_as_of`, before the command reads anything) and not
    passed on: the command only needs its ``as_of``."""

    @functools.wraps(f)
    def checked(*args: Any, any_as_of: bool, **kwargs: Any) -> Any:
        check_as_of(kwargs.get("write_back", False), kwargs.get("as_of"), any_as_of, dt.date.today())
        return f(*args, **kwargs)

    g = click.option(
        "--any-as-of",
        is_flag=True,
        help="With --write-back: allow an --as-of other than today (demos, tests); "
        "the status written is then that day's outcome.",
    )(checked)
    g = click.option("--dry-run", is_flag=True, help="With --write-back: print the requests to stderr, send nothing.")(
        g
    )
    return cast(
        F,
        click.option(
            "--write-back",
            is_flag=True,
            help="With --server: record each outcome there as a ResearchSubject + GuidanceResponse "
            "(docs/write-back.md).",
        )(g),
    )


def check_as_of(write_back: bool, as_of: dt.date | None, any_as_of: bool, today: dt.date) -> None:
    """R4 ``ResearchSubject.status`` is the subject's current state: an outcome as of another day is not
    written as it unless asked for (``--any-as-of``); today is the day ``--as-of`` defaults to."""
    if any_as_of and not write_back:
        raise click.UsageError("--any-as-of goes with --write-back")
    if write_back and not any_as_of and as_of is not None and as_of != today:
        raise click.UsageError(
            f"--write-back records the current status: --as-of {as_of.isoformat()} is not today "
            f"({today.isoformat()}); add --any-as-of to record that day's outcome anyway"
        )


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
    with FhirServer(scoped(options, READS, WRITES)) as server:
        out = send(server, bundles)
    for line in summary(out, options.base):
        click.echo(line, err=True)
    return WRITE_BACK_FAILED_EXIT if out.failed else 0


__all__ = [
    "NCT_SYSTEM",
    "READS",
    "RESULTS_SYSTEM",
    "STATUS",
    "SUBJECT_SYSTEM",
    "WRITES",
    "WRITE_BACK_FAILED_EXIT",
    "Outcome",
    "Written",
    "check_as_of",
    "check_write_back",
    "dry_run_text",
    "from_result",
    "run_write_back",
    "send",
    "settle",
    "study_of",
    "study_transaction",
    "summary",
    "transactions",
    "write_back_options",
]
