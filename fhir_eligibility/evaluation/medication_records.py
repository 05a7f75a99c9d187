"""Medication records (administrations, statements, orders and dispenses) read into facts.

Why a module: what a medication record says about exposure (taken from when to when, ongoing, stopped
on a day not recorded, uncertain) is the most intricate reading of any resource type, and R4 and R5
spell it differently (``effective[x]`` vs ``occurence[x]``, R4 statuses vs R5 ``adherence``).
:func:`~.facts.facts_of` dispatches here after dropping the unusable statuses.
"""

from __future__ import annotations

import datetime as _dt

from fhir_eligibility.codes import codings, with_atc_groups
from fhir_eligibility.evaluation.dates import checked, order_text, parse_date, period, readable_date
from fhir_eligibility.evaluation.fact import Fact
from fhir_eligibility.evaluation.medication import acting_form, ingredient_codes, medication_of
from fhir_eligibility.evaluation.observed import quantity
from fhir_eligibility.record import Resource

# an order (MedicationRequest) or a dispense: evidence a drug was meant to be taken or handed over,
# not that it was; read only where administrations and statements are silent (forms.records)
ORDERS = ("MedicationDispense", "MedicationRequest")
_ORDER_STATUSES = {
    "MedicationRequest": frozenset({"active", "on-hold", "completed", "stopped", "ended", "unknown"}),
    "MedicationDispense": frozenset({"completed", "in-progress", "unknown"}),
}
_NOT_ORDERS = frozenset({"proposal", "plan", "option"})  # intents that order nothing


def order_facts(res: Resource, kind: str, ref: str, status: str | None, problems: list[str] | None) -> list[Fact]:
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


def medication_facts(
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
    # R4 active, or R5 recorded taking or with an open period (FHIR Period: no end is ongoing): taken from
    # its start to today. R5 recorded with no adherence and one effectiveDateTime is neither: R5's dateTime
    # is when the statement was true, not how long the drug was taken, nor whether it still is. It reads as
    # an R4 completed statement of one day does (forms.records statement_on_a_day): taken that day, for as
    # long as to today (a duration of 1 day to today, a window after it may be reached, a count of cycles
    # may hold more), the reading both R4 ones fit in
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
