"""The report as FHIR R5: per patient x trial a ResearchSubject, a GuidanceResponse and its Parameters.

A pre-screening engine asserts at most ``potential-candidate`` or ``ineligible``; ``eligible`` is
left to study staff (standards.md §1.11). Per-criterion results travel as Parameters parts, with
the dates the verdict changes; what to collect first for an undetermined patient travels as draft
``ServiceRequest`` proposals, which the GuidanceResponse of each trial they would settle lists as
its ``result``.

Every entry's fullUrl is a ``urn:uuid``, so entries reach each other by it: a relative reference
(``Patient/x``) has no base to resolve against in such a Bundle. The patient (its id only) and each
trial's ResearchStudy are entries too; the records evidence rests on are not, so they are named by
their id (``valueString``), not referenced. Dates are valid FHIR dates or left out.
"""

from __future__ import annotations

import uuid
from typing import Any

from fhir_eligibility.codes import PROJECT
from fhir_eligibility.evaluation.collect import Item, collect_first
from fhir_eligibility.evaluation.results import CriterionResult, Report, TrialResult, Verdict, When
from fhir_eligibility.report import format as fmt
from fhir_eligibility.report.json_report import by_patient, manual_outstanding
from fhir_eligibility.report.when import iso, withheld

SUBJECT_STATE = "http://terminology.hl7.org/CodeSystem/research-subject-state"
_NS = uuid.UUID("6f1c7f38-2d0e-4f55-9a53-0c3f5d7e2b11")


def _id(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "|".join(parts)))


def _urn(*parts: str) -> str:
    return f"urn:uuid:{_id(*parts)}"


def _ref(kind: str, *parts: str) -> dict[str, str]:
    """A reference to the entry of ``kind`` named by ``parts`` (its fullUrl)."""
    return {"reference": _urn(kind, *parts), "type": kind}


def _criterion_part(c: CriterionResult) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"name": "id", "valueString": c.id},
        {"name": "type", "valueCode": c.type},
        {"name": "result", "valueCode": c.result.value},
        {"name": "reason", "valueString": fmt.reason(c.reason) or "-"},
    ]
    if c.description:
        parts.append({"name": "description", "valueString": c.description})
    for e in c.evidence:
        ev: list[dict[str, Any]] = []
        if e.reference:  # the source's record, not an entry: its id, not a reference
            ev.append({"name": "reference", "valueString": e.reference})
        if e.value is not None:
            ev.append({"name": "value", "valueString": str(e.value)})
        if e.unit:
            ev.append({"name": "unit", "valueString": e.unit})
        day = fmt.fhir_date(e.date[:10] if e.date else None)
        if day:
            ev.append({"name": "date", "valueDate": day})
        if ev:
            parts.append({"name": "evidence", "part": ev})
    return {"name": "criterion", "part": parts}


def _when_parts(w: When) -> list[dict[str, Any]]:
    """eligibleFrom / eligibleUntil (valueDate; absent: not within the horizon, or withheld by --deidentify,
    which ``datesWithheld`` says) and the dated changes."""
    out: list[dict[str, Any]] = [{"name": "horizonDays", "valueInteger": w.horizon}]
    out += [{"name": "datesWithheld", "valueBoolean": True}] if withheld(w) else []
    out += [
        {"name": k, "valueDate": v}
        for k, v in (("eligibleFrom", iso(w.eligible_from)), ("eligibleUntil", iso(w.eligible_until)))
        if v
    ]
    for c in w.timeline:
        on = iso(c.date)
        part = [
            *([{"name": "date", "valueDate": on}] if on else []),
            {"name": "criterion", "valueString": c.criterion},
            {"name": "from", "valueCode": c.before.value},
            {"name": "to", "valueCode": c.after.value},
            {"name": "text", "valueString": fmt.reason(c.text) or "-"},
        ]
        out.append({"name": "change", "part": part})
    return out


def _entries(r: TrialResult, as_of: str, orders: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The ResearchSubject, GuidanceResponse and Parameters of one result; ``orders``: references to
    the ServiceRequests that would settle it."""
    rs_id, gr_id, par_id = _id("rs", r.patient, r.trial), _id("gr", r.patient, r.trial), _id("p", r.patient, r.trial)
    state = "ineligible" if r.verdict is Verdict.INELIGIBLE else "potential-candidate"
    # a what-if (--assume-attested) says so where the verdict is read, as JSON's assumedAttested does
    shown = f"{r.verdict.value} (what-if: --assume-attested)" if r.assumed_attested else r.verdict.value
    subject = {
        "resourceType": "ResearchSubject",
        "id": rs_id,
        "status": "active",
        "study": _ref("ResearchStudy", r.trial) | {"display": r.title[:200] or r.trial},
        "subject": _ref("Patient", r.patient),
        "progress": [
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/research-subject-state-type",
                            "code": "Enrollment",
                        }
                    ]
                },
                "subjectState": {"coding": [{"system": SUBJECT_STATE, "code": state}], "text": shown},
                "startDate": as_of,
            }
        ],
    }
    params: dict[str, Any] = {
        "resourceType": "Parameters",
        "id": par_id,
        "parameter": [{"name": "verdict", "valueCode": r.verdict.value}] + [_criterion_part(c) for c in r.criteria],
    }
    if r.when is not None:
        params["parameter"] += _when_parts(r.when)
    if r.assumed_attested:  # a what-if: the verdict holds only if a person attests these (as JSON's flag)
        params["parameter"].append({"name": "assumedAttested", "valueBoolean": True})
        params["parameter"] += [{"name": "manualOutstanding", "valueString": cid} for cid in manual_outstanding(r)]
    status = {Verdict.UNDETERMINED: "data-required"}.get(r.verdict, "success")
    guidance: dict[str, Any] = {
        "resourceType": "GuidanceResponse",
        "id": gr_id,
        "moduleUri": f"{PROJECT}/ResearchStudy/{r.trial}",
        "status": status,
        "subject": _ref("Patient", r.patient),
        "occurrenceDateTime": as_of,
        "outputParameters": {"reference": f"urn:uuid:{par_id}", "type": "Parameters"},
    }
    if orders:
        guidance["result"] = orders
    if r.missing_data:
        guidance["dataRequirement"] = [
            {
                "type": "Observation" if any(c.startswith("http://loinc.org") for c in m.codes) else "Resource",
                "codeFilter": [
                    {
                        "path": "code",
                        "code": [
                            {"system": c.split("|", 1)[0], "code": c.split("|", 1)[1]} for c in m.codes if "|" in c
                        ],
                    }
                ]
                if any("|" in c for c in m.codes)
                else [],
            }
            for m in r.missing_data
        ]
        for dr in guidance["dataRequirement"]:
            if not dr["codeFilter"]:
                del dr["codeFilter"]
    return [_entry(res, f"urn:uuid:{res['id']}") for res in (subject, guidance, params)]


def _coding(code: str) -> dict[str, str]:
    system, _, value = code.partition("|")
    return {"system": system, "code": value} if value else {"code": system}


def _service_request(patient: str, item: Item, as_of: str) -> dict[str, Any]:
    """A draft order an EHR can turn into a real one: what to collect, when it counts, what it settles."""
    bounds = (("start", item.not_before), ("end", item.by))  # "any" (no bound) is left out
    period = {k: v for k, v in bounds if fmt.fhir_date(v, fmt.FHIR_DATETIME)}
    settles = f"settles {len(item.criteria)} criteria in {len(item.trials)} trial(s): {', '.join(item.criteria)}"
    out: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": _id("sr", patient, as_of, *item.codes, item.what),
        "status": "draft",
        "intent": "proposal",
        "code": {"concept": {"coding": [_coding(c) for c in item.codes], "text": item.what}},
        "subject": _ref("Patient", patient),
        "authoredOn": as_of,
        "note": [{"text": settles}],
    }
    if period:
        out["occurrencePeriod"] = period
    if not item.codes:
        del out["code"]["concept"]["coding"]
    return out


def _entry(res: dict[str, Any], full_url: str) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": res}


def report_bundle(report: Report) -> dict[str, Any]:
    as_of = report.as_of.isoformat()
    titles = {r.trial: r.title for r in report.results}
    entries = [
        _entry(
            {"resourceType": "ResearchStudy", "id": trial, "status": "active", "title": title[:200] or trial},
            _urn("ResearchStudy", trial),
        )
        for trial, title in titles.items()
    ]
    for results in by_patient(report.results):
        patient = results[0].patient
        stub = {"resourceType": "Patient", "id": patient.removeprefix("Patient/")}  # the id the report names
        entries.append(_entry(stub, _urn("Patient", patient)))
        # what to collect first, as draft orders (issue 16), linked from the trials they would settle
        orders = [(item, _service_request(patient, item, as_of)) for item in collect_first(results)]
        for r in results:
            settles = [
                {"reference": f"urn:uuid:{sr['id']}", "type": "ServiceRequest"}
                for i, sr in orders
                if r.trial in i.trials
            ]
            entries.extend(_entries(r, as_of, settles))
        entries.extend(_entry(sr, f"urn:uuid:{sr['id']}") for _i, sr in orders)
    return {
        "resourceType": "Bundle",
        "id": _id("bundle", as_of, *(f"{r.patient}{r.trial}" for r in report.results)),
        "type": "collection",
        "timestamp": f"{as_of}T00:00:00Z",
        "entry": entries,
    }
