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

import datetime as _dt
import re
from typing import Any, NamedTuple

from fhir_eligibility.codes import LOINC, SNOMED, Code, codings, with_atc_groups
from fhir_eligibility.evaluation.dates import checked, last_day, order_text, parse_date, period, readable_date
from fhir_eligibility.evaluation.elements import abated, abatement_days, gm_certainty, morphology, sited, status_code
from fhir_eligibility.evaluation.medication import acting_form, ingredient_codes, medication_of
from fhir_eligibility.evaluation.observed import (
    ANYONE,
    Quantity,
    Who,
    onset_age,
    onset_range,
    quantity,
    reference_range,
    value_fields,
)
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


class Fact(NamedTuple):
    """One usable record, reduced to what criteria read. ``ref`` is ``Type/id``.

    Tuples, not frozen dataclasses: a screening builds millions, and a 19-field frozen dataclass
    costs a Python-level ``__setattr__`` per field.
    """

    kind: str
    ref: str
    codes: frozenset[Code]
    start: _dt.date | None
    end: _dt.date | None
    instant: str  # timestamp text for deterministic ordering (UTC when zoned: order_text)
    issued: str = ""
    status: str | None = None
    quantity: Quantity | None = None
    value_codes: frozenset[Code] = frozenset()
    value_int: int | None = None
    value_bool: bool | None = None
    ref_low: Quantity | None = None
    ref_high: Quantity | None = None
    clinical_status: str | None = None
    verification: str | None = None
    ongoing: bool = False  # an active statement, an administration or procedure in progress: to the as-of date
    open_end: bool = False  # a statement taken from ``start`` and since stopped on a day not recorded
    ends_by: _dt.date | None = None  # open_end: stopped by then (its dateAsserted); None: by the as-of date
    form: str | None = None  # medications: long-acting / short-acting when known (see .medication)
    latest: _dt.date | None = None  # a point known only to lie in [start, latest] (an onset period or age)
    note: str | None = None  # why the record has no usable value (no value, invalid value): said in reasons
    # a Condition's dated abatement: the first and last day it may mean (elements.abatement_days); the
    # status says "resolved", true of today but not of an as-of date before the end
    abated: tuple[_dt.date, _dt.date] | None = None

    @property
    def date(self) -> _dt.date | None:
        return self.end or self.start

    @property
    def end_last(self) -> _dt.date:
        """The last day the end of a period can mean (its end written "2026-05": any day of May).
        Only for a fact with an end; its ``instant`` is the end's text (dates.period)."""
        assert self.end is not None
        return (last_day(self.instant) or self.end) if len(self.instant) in (4, 7) else self.end

    @property
    def last(self) -> _dt.date | None:
        """The last day a point written as a partial date (onset "2025-06") or known only within a
        range (``latest``) can mean; None otherwise."""
        if self.latest is not None:
            return self.latest
        if self.start is None:  # its date was a sentinel ("9999") or unreadable: no last day either
            return None
        point = self.end is None and not self.ongoing  # an ongoing statement is a period to the as-of date
        return last_day(self.instant) if point and len(self.instant) in (4, 7) else None


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


_DATE_TEXT = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")  # FHIR's date: a year, a month or a day


# an order (MedicationRequest) or a dispense: evidence a drug was meant to be taken or handed over,
# not that it was; read only where administrations and statements are silent (forms.records)
ORDERS = ("MedicationDispense", "MedicationRequest")
_ORDER_STATUSES = {
    "MedicationRequest": frozenset({"active", "on-hold", "completed", "stopped", "ended", "unknown"}),
    "MedicationDispense": frozenset({"completed", "in-progress", "unknown"}),
}
_NOT_ORDERS = frozenset({"proposal", "plan", "option"})  # intents that order nothing


def _order(res: Resource, kind: str, ref: str, status: str | None, problems: list[str] | None) -> list[Fact]:
    if status not in _ORDER_STATUSES[kind] or res.get("intent") in _NOT_ORDERS or res.get("doNotPerform") is True:
        return []  # not an order to give the drug ("do not give" included)
    concept, contained = medication_of(res)
    codes = with_atc_groups(codings(concept) | ingredient_codes(contained))
    handed = "whenHandedOver" if "whenHandedOver" in res else "whenPrepared"
    key = "authoredOn" if kind == "MedicationRequest" else handed
    when = res.get(key)
    day = checked(readable_date(when, key, problems), problems) if when is not None else None
    end, going = None, False
    if kind == "MedicationRequest" and status in ("active", "on-hold"):
        # a standing order, not a one-day event: it may be taken any day until its validity ends (an
        # everolimus prescription written last year, valid to September, may be taken today), or, with
        # no end given, to the screening date
        valid = res.get("dispenseRequest")
        period = valid.get("validityPeriod") if isinstance(valid, dict) else None
        until = checked(parse_date(period.get("end")), problems) if isinstance(period, dict) else None
        end = until if until is not None and (day is None or until >= day) else None
        going = end is None
    supply = _supply_days(res, kind)
    if not going and end is None and day is not None and supply is not None:
        # a supply handed over (or ordered) for N days may be taken on each of them: a 90-day everolimus
        # dispense is no 1-day exposure (a duration criterion is unknown, not a pass)
        end = day + _dt.timedelta(days=supply - 1)
    return [Fact(kind, ref, codes, day, end, order_text(when), status=status, ongoing=going)]


_SUPPLY_UNIT_DAYS = {"d": 1, "day": 1, "days": 1, "wk": 7, "week": 7, "weeks": 7}


def _supply_days(res: Resource, kind: str) -> int | None:
    """How many days a dispense's ``daysSupply`` or a request's ``dispenseRequest.expectedSupplyDuration``
    covers (a whole number of days, at most two years); None when not given or not read."""
    if kind == "MedicationDispense":
        q = res.get("daysSupply")
    else:
        request = res.get("dispenseRequest")
        q = request.get("expectedSupplyDuration") if isinstance(request, dict) else None
    if not isinstance(q, dict):
        return None
    value, unit = q.get("value"), q.get("code") or q.get("unit")
    per = _SUPPLY_UNIT_DAYS.get(unit.strip().lower()) if isinstance(unit, str) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or per is None:
        return None
    days = value * per
    return int(days) if 1 <= days <= 730 else None


# how long an administration begun at a moment and left in progress may have gone on (the longest
# infusions, continuous pumps, run for days)
_IN_PROGRESS_AT_MOST = _dt.timedelta(days=7)


def _period_begun(res: Resource) -> bool:
    """An administration given as a period with a start and no end (R4 ``effectivePeriod``, R5
    ``occurencePeriod``): in progress, it is still running. One begun at a moment (a dateTime) ran
    for at most days after it (``_IN_PROGRESS_AT_MOST``), whatever status it was left in."""
    for key in ("effectivePeriod", "occurencePeriod", "occurrencePeriod"):
        p = res.get(key)
        if isinstance(p, dict) and p.get("start") is not None and p.get("end") is None:
            return True
    return False


def _medication(
    res: Resource, kind: str, ref: str, status: str | None, problems: list[str] | None, doubt: str | None = None
) -> list[Fact]:
    """``doubt``: "unknown" when the status leaves open whether the drug was given (forms.records)."""
    adherence = res.get("adherence")
    said = {c for _s, c in codings(adherence.get("code"))} if isinstance(adherence, dict) else set()
    if "not-taking" in said:
        return []  # R5: the drug is not taken (R4 status not-taken)
    if "unknown" in said:
        doubt = "unknown"  # R5: whether it is taken is not known (R4 status unknown): uncertain
    # R5: taken, then stopped or paused (R4 statuses stopped, on-hold): exposure, but not ongoing
    halted = any(c.startswith(("stopped", "on-hold")) for c in said)
    # R5: being taken (R4 status active): ongoing from its start, whether dated by a period or a dateTime
    taking = any(c.startswith("taking") for c in said)
    concept, contained = medication_of(res)
    codes = with_atc_groups(codings(concept) | ingredient_codes(contained))
    start, end, instant = period(res, "effective", "occurence", "occurrence", problems=problems)
    dose = None
    dosage = res.get("dosage")
    first = dosage if isinstance(dosage, dict) else dosage[0] if isinstance(dosage, list) and dosage else None
    if isinstance(first, dict):
        if kind == "MedicationAdministration":
            dose = quantity(first.get("dose"), problems, signed=False)
        else:
            rates = first.get("doseAndRate")
            if isinstance(rates, list) and rates and isinstance(rates[0], dict):
                dose = quantity(rates[0].get("doseQuantity"), problems, signed=False)
            elif rates is not None and not isinstance(rates, list) and problems is not None:
                problems.append("dosage.doseAndRate is not a list; dose ignored")
    elif dosage is not None and problems is not None:
        problems.append(f"dosage is a {type(dosage).__name__}; dose ignored")
    ongoing = (
        kind == "MedicationStatement"
        and end is None
        and start is not None
        and not halted
        and (status == "active" or (status == "recorded" and (taking or isinstance(res.get("effectivePeriod"), dict))))
    ) or (kind == "MedicationAdministration" and status == "in-progress" and end is None and _period_begun(res))
    # a period with a start and no end that is not ongoing (completed, stopped, on-hold) ended on a day
    # not recorded: not at its start (a washout would pass), not today (a duration would be overstated)
    open_end = (
        kind == "MedicationStatement"
        and not ongoing
        and start is not None
        and end is None
        and isinstance(res.get("effectivePeriod"), dict)
    )
    asserted = checked(parse_date(res.get("dateAsserted")), problems) if open_end else None
    if kind == "MedicationAdministration" and status == "in-progress" and end is None and start and not ongoing:
        # begun at a moment and left in progress: an infusion under way, over within days (a status never
        # closed: a 2023 dose is no exposure to today)
        open_end, asserted = True, start + _IN_PROGRESS_AT_MOST
    form = acting_form(res, concept, contained, codes)
    return [
        Fact(
            kind,
            ref,
            codes,
            start,
            end,
            instant,
            status=status,
            quantity=dose,
            ongoing=ongoing,
            form=form,
            open_end=open_end,
            ends_by=asserted if asserted and start and asserted >= start else None,
            verification=doubt,
        )
    ]


def _onset(res: Resource, who: Who, problems: list[str] | None) -> tuple[_dt.date | None, _dt.date | None, str]:
    """A Condition's onset: (its day or first possible day, its last possible day, its text). Only with
    no onset[x] at all is it the recordedDate (clinical.md §0.7); an onset given but not read has no
    date (the recordedDate only bounds it: an infarction of 2005 recorded this year is no recent one)."""
    start, latest, instant = period(res, "onset", problems=problems)  # an onset period: the onset is in it
    if start is None and latest is not None and who.birth_date is not None and latest >= who.birth_date:
        start = who.birth_date  # a period with only an end: some day from birth to that end
    if latest is not None and len(instant) in (4, 7):
        latest = checked(last_day(instant), problems)
    if start is None:
        start, latest = onset_age(res.get("onsetAge"), who.birth_date)
        if start is None:
            start, latest = onset_range(res.get("onsetRange"), who.birth_date)
        instant = start.isoformat() if start is not None else ""
    text = res.get("onsetString")
    if start is None and isinstance(text, str) and _DATE_TEXT.fullmatch(text.strip()):
        # an onset written as text that is a date ("2019", as some EHRs' free-text onset field): that
        # date, not the day it was recorded (an old infarction recorded this year is not a recent one)
        start, latest, instant = period({"onsetDateTime": text.strip()}, "onset", problems=problems)
    if start is not None:
        return start, latest, instant
    given = next((k for k in res if k.startswith("onset")), None)
    if given is not None:
        if problems is not None:
            problems.append(f"{given} not read as a date: the onset's date is unknown (not its recordedDate)")
        return None, None, ""
    return checked(parse_date(res.get("recordedDate")), problems), None, str(res.get("recordedDate") or "")


def _contained_results(
    report: Resource, ref: str, include_preliminary: bool, problems: list[str] | None, who: Who
) -> list[Fact]:
    """The Observations a DiagnosticReport contains and lists in ``result`` ("#hb"): the patient's results
    like any other (some lab feeds send a panel only so), each ``DiagnosticReport/<id>#hb``. One with no
    date of its own is dated as its report is; one that cannot be read is left out with a problem."""
    contained = {
        c.get("id"): c
        for c in _items(report, "contained", problems)
        if isinstance(c, dict) and c.get("resourceType") == "Observation"
    }
    allowed = OBS_VALID | (OBS_PRELIMINARY if include_preliminary else set())
    out: list[Fact] = []
    for link in _items(report, "result", problems):
        target = link.get("reference") if isinstance(link, dict) else None
        if not isinstance(target, str) or not target.startswith("#"):
            continue  # a result of its own: read as every resource is
        res = contained.get(target[1:])
        status = res.get("status") if res is not None else None
        if res is None or status not in allowed:
            continue
        if not any(k.startswith(("effective", "issued")) for k in res):
            dated = {k: v for k, v in report.items() if k.startswith(("effective", "issued"))}
            res = {**res, **dated}
        try:
            out += _observation(res, f"{ref}{target}", status, problems, who)
        except Unreadable as e:
            if problems is not None:
                problems.append(f"contained result {target[:40]!r} unreadable ({e.reason}), ignored")
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
        return _observation(res, ref, status, problems, who) if status in allowed else []
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
        start, latest, instant = _onset(res, who, problems)
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
        facts = _medication(res, kind, ref, status, problems, doubt)
        if kind == "MedicationAdministration" and status == "stopped":
            return [f for f in facts if f.quantity is not None]  # §0.8: a stopped one without a dose is ignored
        return facts
    if kind in ORDERS:
        return _order(res, kind, ref, status, problems)
    if kind == "Procedure":
        if status not in PROC_VALID:
            return []
        codes = _code(res)
        start, end, instant = period(res, "performed", "occurrence", problems=problems)
        _items(res, "bodySite", problems)  # read by no criterion; a malformed one is still reported
        # the product used (R4 usedCode; R5 used, CodeableReferences): what a "product-coded" criterion reads
        used = _items(res, "usedCode", problems) + [u for u in _items(res, "used", problems) if isinstance(u, dict)]
        used_codes = _union([u for u in used if concept_problem(u) is None])
        # stopped, on hold: begun, not known to be done (an aborted resection is no resection); unknown:
        # whether it was done at all is not known. Either is uncertain (forms.records)
        doubt = "unknown" if status in ("unknown", "stopped", "on-hold") else None
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
                verification=verification,
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
        return [report, *_contained_results(res, ref, include_preliminary, problems, who)]
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
