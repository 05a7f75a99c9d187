"""Patient data normalised once into version-agnostic facts, indexed by kind and code.

R4, R4B and R5 spell dates and medications differently (``effective[x]`` vs ``occurence[x]``,
``medicationCodeableConcept`` vs ``medication.concept``, R5 ``recorded`` statements); facts hide
that from the evaluator. Unusable statuses (entered-in-error, cancelled, not-done...) are dropped
here, once. Invalid values and dates (:mod:`.validity`) are removed from the fact with a warning,
so they can only make a criterion unknown; a resource that cannot be read at all is dropped with a
warning and recorded as unavailable data of its type (and codes), so closed-world criteria over it
are unknown rather than "none recorded".
"""

from __future__ import annotations

from typing import Any

from fhir_eligibility.codes import LOINC, SNOMED, Code, beyond_who, codings, display, expression_foci
from fhir_eligibility.evaluation.dates import checked, order_text, parse_date, period
from fhir_eligibility.evaluation.elements import (
    INTOLERANCE,
    abated,
    abatement_days,
    gm_certainty,
    intolerance,
    morphology,
    sited,
    status_code,
)
from fhir_eligibility.evaluation.fact import Fact as Fact  # re-exported: every form imports it from here
from fhir_eligibility.evaluation.medication_records import ORDERS as ORDERS  # re-exported, as Fact
from fhir_eligibility.evaluation.medication_records import medication_facts, order_facts
from fhir_eligibility.evaluation.observed import (
    ANYONE,
    Who,
    reference_range,
    value_fields,
)
from fhir_eligibility.evaluation.onset import condition_onset
from fhir_eligibility.evaluation.validity import (
    Unreadable,
    concept_problem,
    readable_codes,
)
from fhir_eligibility.record import Resource

OBS_VALID = {"final", "amended", "corrected"}
OBS_PRELIMINARY = {"preliminary"}
# stopped: only with a dose given (clinical.md §0.8); in-progress: being given now (§0.8 "optionally
# in-progress": read, as a Procedure in progress is, from its start to the as-of date)
MA_VALID = {"completed", "stopped", "in-progress"}
# R5 statements are "recorded" (R4: active/completed); "stopped" (taken, then stopped: how a chemotherapy
# halted for progression is written) and "on-hold" (taken, paused) are exposure too
MS_VALID = {"active", "completed", "recorded", "stopped", "on-hold"}
# statuses that say the drug was not given (not-done, not-taken, intended) or the record is void: dropped
MA_DROP = frozenset({"not-done", "entered-in-error"})
# R5 draft ("preliminary") is not dropped: the drug may have been taken, read as uncertain as R4 unknown is
MS_DROP = frozenset({"entered-in-error", "intended", "not-taken"})
# any other status (unknown, an administration on hold, a missing or misspelt one): the drug
# may have been given, so the record is read as uncertain (forms.records), never as absent
# done; stopped, on hold and unknown are read but uncertain (facts_of)
PROC_VALID = {"completed", "in-progress", "stopped", "on-hold", "unknown"}
REPORT_DROP = {"entered-in-error", "cancelled", "registered", "partial"}


def _items(res: Resource, key: str, problems: list[str] | None) -> list[Any]:
    """A repeating element as a list; another shape is a problem and reads as absent."""
    v = res.get(key)
    if v is None or isinstance(v, list):
        return v or []
    if problems is not None:
        problems.append(f"{key} is a {type(v).__name__}, not a list; ignored")
    return []


def _code(res: Resource, key: str = "code") -> frozenset[Code]:
    """The resource's codes; a malformed concept makes the resource unreadable (what it is about is unknown)."""
    concept = res.get(key)
    problem = concept_problem(concept)
    if problem:
        raise Unreadable(f"{key}: {problem}", readable_codes(concept))
    return codings(concept)


def _foci(codes: frozenset[Code], ref: str, problems: list[str] | None) -> frozenset[Code]:
    """The focus concepts of the record's SNOMED CT expressions (codes.expression_foci) and the ICD-10-CM
    reading of a WHO ICD-10 code too long for WHO (codes.beyond_who), said in a warning: the record is read
    as uncertain for them, never as proof nor as absence."""
    foci = expression_foci(codes)
    if foci and problems is not None:
        shown = ", ".join(display(c) for c in sorted(foci))
        problems.append(f"a SNOMED CT expression with refinements: read as possibly {shown} (uncertain)")
    cm = beyond_who(codes)
    if cm and problems is not None:
        shown = ", ".join(c for _s, c in sorted(cm))
        problems.append(f"ICD-10 (WHO) code {shown} is longer than WHO's: read as possibly ICD-10-CM (uncertain)")
    return foci | cm


def _union(concepts: list[Any]) -> frozenset[Code]:
    return frozenset().union(*(codings(b) for b in concepts)) if concepts else frozenset()


# A finding recorded as the Observation's code with no value (some EHRs chart "ECOG performance status grade
# 2" so): the finding is the answer to the score it grades, read as that score's result
_GRADED = {
    (SNOMED, grade): (LOINC, "89247-1")  # ECOG performance status grade 0..4 (clinical.md §2.1, verified)
    for grade in ("425389002", "422512005", "422894000", "423053003", "423237006")
}


def _observation(res: Resource, ref: str, status: str | None, problems: list[str] | None, who: Who) -> list[Fact]:
    kind = "Observation"
    codes = _code(res)
    graded = [c for c in codes if c in _GRADED] if not any(k.startswith("value") for k in res) else []
    if graded:
        codes = codes | {_GRADED[c] for c in graded}
    start, end, instant = period(res, "effective", "occurrence", problems=problems)
    issued = order_text(res.get("issued"))
    if end is None and issued and isinstance(res.get("effectivePeriod"), dict):
        # a period still open (start only): §0.3 dates it by effectivePeriod.end, else issued
        released = checked(parse_date(res.get("issued")), problems)
        if released is not None and (start is None or released >= start):
            start, instant = released, issued
    if start is None and end is None and issued:
        start, instant = checked(parse_date(res.get("issued")), problems), issued
        if start is not None and problems is not None and any(k.startswith("effective") for k in res):
            problems.append(f"effective[x] unusable: dated by its issued time, {start.isoformat()}, instead")
    low, high = reference_range(res, who, start)
    out = [
        Fact(
            kind,
            ref,
            codes,
            start,
            end,
            instant,
            issued,
            status,
            ref_low=low,
            ref_high=high,
            **(
                {"value_codes": frozenset(graded)}
                if graded
                else value_fields(res, problems, codes, who.birth_date, end or start)
            ),
        )
    ]
    for i, comp in enumerate(_items(res, "component", problems)):
        if not isinstance(comp, dict):
            continue
        c_low, c_high = reference_range(comp, who, start)
        c_codes = _code(comp)
        out.append(
            Fact(
                kind,
                f"{ref}#component{i}",
                c_codes,
                start,
                end,
                instant,
                issued,
                status,
                ref_low=c_low,
                ref_high=c_high,
                **value_fields(comp, problems, c_codes, who.birth_date, end or start),
            )
        )
    return out


def _contained_results(
    container: Resource, ref: str, links: str, include_preliminary: bool, problems: list[str] | None, who: Who
) -> list[Fact]:
    """The Observations a resource contains and names in ``links`` ("#hb"): a DiagnosticReport's
    ``result``, a panel Observation's ``hasMember``. They are the patient's results like any other (some
    lab feeds send a panel only so), each ``<Type>/<id>#hb``, and are read by one rule whatever holds
    them: its own status decides; one with no date of its own is dated as what names it is (the report,
    the panel); one that cannot be read is left out with a problem. A contained panel's own contained
    members are followed the same way, each result read once however often it is named. A link to a
    resource of its own (``Observation/x``) is not followed: that resource is read as itself."""
    contained = {
        c.get("id"): c
        for c in _items(container, "contained", problems)
        if isinstance(c, dict) and c.get("resourceType") == "Observation"
    }
    allowed = OBS_VALID | (OBS_PRELIMINARY if include_preliminary else set())
    out: list[Fact] = []
    seen: set[str] = set()
    pending: list[tuple[Resource, str]] = [(container, links)]
    while pending:
        holder, key = pending.pop(0)
        for link in _items(holder, key, problems):
            target = link.get("reference") if isinstance(link, dict) else None
            if not isinstance(target, str) or not target.startswith("#") or target in seen:
                continue  # a result of its own: read as every resource is
            seen.add(target)
            res = contained.get(target[1:])
            status = res.get("status") if res is not None else None
            if res is None or status not in allowed:
                continue
            if not any(k.startswith(("effective", "issued")) for k in res):
                dated = {k: v for k, v in holder.items() if k.startswith(("effective", "issued"))}
                res = {**res, **dated}
            try:
                out += _observation(res, f"{ref}{target}", status, problems, who)
            except Unreadable as e:
                if problems is not None:
                    problems.append(f"contained result {target[:40]!r} unreadable ({e.reason}), ignored")
                continue
            pending.append((res, "hasMember"))
    return out


def facts_of(
    res: Resource, include_preliminary: bool = False, problems: list[str] | None = None, who: Who = ANYONE
) -> list[Fact]:
    """Normalise one resource into facts; unusable statuses yield nothing (``who``: whose they are,
    for reference ranges restricted by sex or age).

    ``problems`` collects what was wrong but left out (an invalid value, a sentinel date);
    :class:`Unreadable` is raised when the resource cannot be read at all.
    """
    kind = res.get("resourceType")
    ref = f"{kind}/{res.get('id', '?')}"
    status = res.get("status") if isinstance(res.get("status"), str) else None
    if kind == "Observation":
        allowed = OBS_VALID | (OBS_PRELIMINARY if include_preliminary else set())
        if status not in allowed:
            return []
        members = _contained_results(res, ref, "hasMember", include_preliminary, problems, who)
        return [*_observation(res, ref, status, problems, who), *members]
    if kind == "Condition":
        clinical = status_code(res.get("clinicalStatus"))
        verification = status_code(res.get("verificationStatus"))
        certainty = gm_certainty(res)
        if verification in ("entered-in-error", "refuted") or certainty == "A":
            return []
        if certainty == "V" and verification in (None, "confirmed"):
            verification = "provisional"
        if certainty == "Z" and clinical is None:
            clinical = "resolved"
        if clinical is None and abated(res):  # FHIR con-4: an abated condition is not active
            clinical = "resolved"
        codes = _code(res) | morphology(res)
        foci = _foci(codes, ref, problems)
        if foci:
            codes, verification = codes | foci, "unknown"
        start, latest, instant = condition_onset(res, who, problems)
        codes |= sited(codes, _items(res, "bodySite", problems))  # a malformed one is still reported
        return [
            Fact(
                kind,
                ref,
                codes,
                start,
                None,
                instant,
                status=None,
                clinical_status=clinical,
                verification=verification,
                latest=latest,
                abated=abatement_days(res),
            )
        ]
    if kind in ("MedicationAdministration", "MedicationStatement"):
        valid, drop = (MA_VALID, MA_DROP) if kind == "MedicationAdministration" else (MS_VALID, MS_DROP)
        if status in drop:
            return []
        doubt = None if status in valid else "unknown"
        if doubt and status not in ("unknown", "on-hold", "draft") and problems is not None:
            problems.append(f"status {str(res.get('status'))[:30]!r} is not a {kind} status; read as uncertain")
        facts = medication_facts(res, kind, ref, status, problems, doubt)
        if kind == "MedicationAdministration" and status == "stopped":
            return [f for f in facts if f.quantity is not None]  # §0.8: a stopped one without a dose is ignored
        return facts
    if kind in ORDERS:
        return order_facts(res, kind, ref, status, problems)
    if kind == "Procedure":
        if status not in PROC_VALID:
            return []
        codes = _code(res)
        foci = _foci(codes, ref, problems)
        start, end, instant = period(res, "performed", "occurrence", problems=problems)
        _items(res, "bodySite", problems)  # read by no criterion; a malformed one is still reported
        # the product used (R4 usedCode; R5 used, CodeableReferences): what a "product-coded" criterion reads
        used = _items(res, "usedCode", problems) + [u for u in _items(res, "used", problems) if isinstance(u, dict)]
        used_codes = _union([u for u in used if concept_problem(u) is None])
        # stopped, on hold: begun, not known to be done (an aborted resection is no resection); unknown:
        # whether it was done at all is not known. Either is uncertain (forms.records)
        doubt = "unknown" if status in ("unknown", "stopped", "on-hold") or foci else None
        codes |= foci
        # a period begun and not ended: still under way (in progress, as of the screening date), or done
        # on a day not recorded, as statements are read: a washout counted from its start would pass
        begun = (
            start is not None
            and end is None
            and any(
                isinstance(res.get(k), dict)
                for k in ("performedPeriod", "occurrencePeriod")  # R4, R5
            )
        )
        going = begun and status == "in-progress"
        return [
            Fact(
                kind,
                ref,
                codes,
                start,
                end,
                instant,
                status=status,
                value_codes=used_codes,
                verification=doubt,
                ongoing=going,
                open_end=begun and not going,
            )
        ]
    if kind == "AllergyIntolerance":
        verification = status_code(res.get("verificationStatus"))
        if verification in ("entered-in-error", "refuted"):
            return []
        codes = _code(res)
        start, end, instant = period(res, "onset", problems=problems)
        return [
            Fact(
                kind,
                ref,
                codes,
                start or checked(parse_date(res.get("recordedDate")), problems),
                None,
                instant,
                clinical_status=status_code(res.get("clinicalStatus")),
                # an intolerance is not shown to be the hypersensitivity a protocol excludes: uncertain
                verification=INTOLERANCE if intolerance(res) else verification,
            )
        ]
    if kind == "DiagnosticReport":
        if status in REPORT_DROP:
            return []
        codes = _code(res)
        start, end, instant = period(res, "effective", problems=problems)
        if start is None:
            start, instant = checked(parse_date(res.get("issued")), problems), str(res.get("issued") or "")
        report = Fact(kind, ref, codes, start, end, instant, status=status)
        return [report, *_contained_results(res, ref, "result", include_preliminary, problems, who)]
    if kind == "ImagingStudy":
        if status in ("entered-in-error", "cancelled", "registered"):  # registered: no images yet
            return []
        # what was done: R4 procedureCode, R5 procedure (CodeableReferences: their concepts)
        done = _items(res, "procedureCode", problems) + [
            p.get("concept") for p in _items(res, "procedure", problems) if isinstance(p, dict)
        ]
        codes = _union([p for p in done if p is not None and concept_problem(p) is None])
        started = res.get("started")
        doubt = "unknown" if status == "unknown" else None
        when = checked(parse_date(started), problems)
        return [Fact(kind, ref, codes, when, None, str(started or ""), status=status, verification=doubt)]
    return []
