"""The JSON report: the contract other tools consume (keys documented in the README).

Reasons and timeline texts are worded by :func:`fhir_eligibility.report.format.reason`, as in the table, HTML
and cards (human units, the comparison that holds, values rounded to the threshold's precision); the full
value and its UCUM code stay in each evidence item's ``value`` and ``unit``, which is what tools should read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fhir_eligibility.evaluation.collect import collect_first
from fhir_eligibility.evaluation.results import (
    CriterionResult,
    Evidence,
    MissingData,
    Report,
    Result,
    TrialResult,
    When,
)
from fhir_eligibility.identity import label_json
from fhir_eligibility.report import format as fmt
from fhir_eligibility.report.when import iso, withheld


def evidence_json(e: Evidence) -> dict[str, Any]:
    out: dict[str, Any] = {"reference": e.reference, "value": e.value, "unit": e.unit, "date": e.date}
    if e.note:
        out["note"] = e.note
    if e.mapped_by:
        out.update(code=e.code, mappedTo=e.mapped_to, mappedBy=e.mapped_by)
    return out


def criterion_json(c: CriterionResult, nested: bool = True, top: bool = True) -> dict[str, Any]:
    """A criterion's result; below the top level (the explanation tree) ``type`` is the parent's and an empty
    ``evidence`` is left out, so the tree does not repeat what a reader already knows."""
    out: dict[str, Any] = {"id": c.id}
    if top:
        out["type"] = c.type
    out.update(description=c.description, result=c.result.value, reason=fmt.reason(c.reason))
    if top or c.evidence:
        out["evidence"] = [evidence_json(e) for e in c.evidence]
    if c.attested:
        out["attested"] = True  # the --assume-attested what-if, never a real answer
    if c.attestation is not None:
        a = c.attestation
        out["attestation"] = {"by": a.by, "date": a.date, "response": a.response}
    if c.negated:
        out["negated"] = True
    if nested and c.children:
        out["criteria"] = [criterion_json(k, top=False) for k in c.children]
    return out


def missing_json(m: MissingData) -> dict[str, Any]:
    return {
        "criterion": m.criterion,
        "what": m.what,
        "codes": list(m.codes),
        "window": m.window,
        "latestUseful": m.latest_useful,
    }


def review_outstanding(r: TrialResult) -> list[str]:
    """Criteria whose data call for a clinician's judgement (answerable in the trial's Questionnaire)."""
    return [c.id for c in r.criteria if c.result is Result.REVIEW]


def manual_outstanding(r: TrialResult) -> list[str]:
    """Criteria awaiting a person's attestation (also those only assumed by --assume-attested)."""
    return [c.id for c in r.criteria if c.result is Result.MANUAL or (c.attested and c.attestation is None)]


def when_json(w: When) -> dict[str, Any]:
    """The dates the verdict changes if the record stays as it is (issue 16; None: not within the horizon,
    or withheld by --deidentify, which ``datesWithheld`` then says)."""
    out = {
        "eligibleFrom": iso(w.eligible_from),
        "eligibleUntil": iso(w.eligible_until),
        "horizonDays": w.horizon,
        "timeline": [
            {
                "date": iso(c.date),
                "criterion": c.criterion,
                "from": c.before.value,
                "to": c.after.value,
                "text": fmt.reason(c.text),
            }
            for c in w.timeline
        ],
    }
    if withheld(w):
        out["datesWithheld"] = True
    return out


def trial_json(r: TrialResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "patient": r.patient,
        "trial": r.trial,
        "title": r.title,
        "verdict": r.verdict.value,
        "criteria": [criterion_json(c) for c in r.criteria],
        "missingData": [missing_json(m) for m in r.missing_data],
        # the two kinds of needs-review, data-driven first: a clinician's judgement, then attestations
        "reviewOutstanding": review_outstanding(r),
        "manualOutstanding": manual_outstanding(r),
    }
    if r.when is not None:
        out.update(when_json(r.when))
    if r.assumed_attested:
        out["assumedAttested"] = True
    out.update(patient_label_json(r))
    return out


def patient_label_json(r: TrialResult) -> dict[str, Any]:
    """``patientLabel`` (name, birthDate, mrn) when known and not de-identified; else nothing but the id."""
    label = label_json(r.label)
    return {"patientLabel": label} if label else {}


def collect_json(results: Iterable[TrialResult]) -> dict[str, Any] | None:
    """One patient's ranked items to collect (evaluation.collect); None when nothing would settle a trial."""
    results = list(results)
    items = collect_first(results)
    if not items:
        return None
    return {
        "patient": results[0].patient,
        "items": [
            {
                "what": i.what,
                "codes": list(i.codes),
                "settles": {"criteria": list(i.criteria), "trials": list(i.trials)},
                "notBefore": fmt.fhir_date(i.not_before, fmt.FHIR_DATETIME),  # "any": no bound
                "by": fmt.fhir_date(i.by, fmt.FHIR_DATETIME),
            }
            for i in items
        ],
    }


def by_patient(results: Iterable[TrialResult]) -> list[list[TrialResult]]:
    groups: dict[str, list[TrialResult]] = {}
    for r in results:
        groups.setdefault(r.patient, []).append(r)
    return list(groups.values())


def report_json(report: Report) -> dict[str, Any]:
    collect = [collect_json(rs) for rs in by_patient(report.results)]
    return {
        "asOf": report.as_of.isoformat(),
        "results": [trial_json(r) for r in report.results],
        "collectFirst": [c for c in collect if c is not None],
        "warnings": list(report.warnings),
    }
