"""Presence, count and duration of records (Conditions, Procedures, medications...) in a window.

Closed world (no record = FALSE) except where clinical.md says a study is to be collected
(``open-world``); undated or unconfirmed records can only make the answer uncertain.
"""

from __future__ import annotations

import datetime as dt

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import Criterion, Records, Window
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation import medication
from fhir_eligibility.evaluation.context import Context, Outcome
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.forms.common import LABEL, OPEN_WORLD, count_ok, missing_data
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.results import Evidence
from fhir_eligibility.evaluation.windows import fact_in, window_bounds, window_text
from fhir_eligibility.logic import Truth
from fhir_eligibility.measures.timing import DATE_MIN

ACTIVE_CONDITION = {None, "active", "recurrence", "relapse"}
UNCERTAIN_VERIFICATION = {"unconfirmed", "provisional", "differential"}


def _covered_days(facts: list[Fact], as_of: dt.date) -> int:
    spans = sorted(
        (f.start or f.end, f.end or (as_of if f.ongoing else f.start) or f.start) for f in facts if f.start or f.end
    )
    total, cur_s, cur_e = 0, None, None
    for s, e in spans:
        assert s is not None and e is not None
        if cur_e is not None and cur_s is not None and s <= cur_e + dt.timedelta(days=1):
            cur_e = max(cur_e, e)
            continue
        if cur_s is not None and cur_e is not None:
            total += (cur_e - cur_s).days + 1
        cur_s, cur_e = s, e
    if cur_s is not None and cur_e is not None:
        total += (cur_e - cur_s).days + 1
    return total


def _placed(
    d: Records, rec: PatientRecord, as_of: dt.date, gap_days: int, lo: dt.date, hi: dt.date
) -> tuple[list[Fact], list[Fact]]:
    """The records that count in the window, and those that only make the answer uncertain."""
    facts = rec.facts(d.resource_types, d.codes)
    history = "history" in d.methods
    definite: list[Fact] = []
    uncertain: list[Fact] = []
    for f in facts:
        if f.kind == "Condition":
            if not history and f.clinical_status not in ACTIVE_CONDITION:
                continue
            if f.verification in UNCERTAIN_VERIFICATION:
                uncertain.append(f)
                continue
        if f.start and f.start > as_of:
            continue
        definite.append(f)
    if not d.methods.isdisjoint(medication.FORM_METHODS):  # long- / short-acting / undecided medication records only
        definite = medication.of_form(definite, d.methods)
    if "first-course" in d.methods or "after-first-course" in d.methods:
        uncertain += [f for f in definite if f.date is None]  # an undated cycle cannot be placed in a course
        days = [f.date for f in definite if f.date]
        split = dv.courses([x for x in days if x is not None], gap_days)
        first = set(split[0]) if split else set()
        if "first-course" in d.methods:
            definite = [f for f in definite if f.date in first]
        else:
            last_first = max(first) if first else None
            definite = [f for f in definite if f.date and last_first and f.date > last_first]
    placed = []
    for f in definite:
        inside = fact_in(f, lo, hi)
        if inside:
            placed.append(f)
        elif inside is None and (lo != DATE_MIN or hi != as_of):
            uncertain.append(f)
        elif inside is None:
            placed.append(f)
    return placed, uncertain


def episodes(facts: list[Fact]) -> int:
    """How many episodes the dated records are: records whose days lie within one day of each other
    are one (an administration and its procedure; the same moment written in two time zones, a day
    apart as local dates; an infusion over midnight). Every count in the bundled trials is of
    treatment cycles, weeks apart."""
    spans = sorted((f.start or f.date, f.date) for f in facts if f.date is not None)
    n, reach = 0, None
    for start, end in spans:
        assert start is not None and end is not None
        if reach is None or start > reach + _DAY:
            n += 1
            reach = end
        else:
            reach = max(reach, end)
    return n


_DAY = dt.timedelta(days=1)


def records_truth(d: Records, rec: PatientRecord, as_of: dt.date, gap_days: int, lo: dt.date, hi: dt.date) -> Truth:
    """The truth ``records_leaf`` gives, without its explanation: screening's path (plain windows,
    no unavailable data: the cases the caller sends here; tests/evaluation/test_fast_paths.py)."""
    placed, uncertain = _placed(d, rec, as_of, gap_days, lo, hi)
    if d.instances is not None:
        n = episodes(placed)
        uncertain += [f for f in placed if f.date is None]
        t = count_ok(n, d.instances)
        return Truth.UNKNOWN if uncertain and t is not count_ok(n + len(uncertain), d.instances) else t
    if d.duration is not None:
        return count_ok(_covered_days(placed, as_of), d.duration)
    if placed:
        return Truth.TRUE
    return Truth.UNKNOWN if uncertain or OPEN_WORLD in d.methods else Truth.FALSE


def latest_placed(
    d: Records, rec: PatientRecord, as_of: dt.date, gap_days: int, lo: dt.date, hi: dt.date
) -> dt.date | None:
    """The date an event anchor takes from this criterion: its latest record that counts (the
    latest of ``records_leaf``'s matched records; None when none counts or none is dated)."""
    dates = [f.date for f in _placed(d, rec, as_of, gap_days, lo, hi)[0] if f.date]
    return max(dates) if dates else None


def records_leaf(d: Records, c: Criterion, ctx: Context, windows: tuple[Window, ...]) -> Outcome:
    rec = ctx.record
    what = LABEL
    lo, hi, err = window_bounds(windows, ctx, None)
    if err:
        return Outcome(Truth.UNKNOWN, err)
    u = rec.unavailable_for(list(d.resource_types), d.codes)
    if u is not None:
        return Outcome(
            Truth.UNKNOWN, f"data unavailable: {u.reason}", missing=(missing_data(ctx, what, d.codes, lo, hi),)
        )
    placed, uncertain = _placed(d, rec, ctx.as_of, ctx.settings.course_gap_days, lo, hi)
    placed.sort(key=lambda f: (f.date or DATE_MIN, f.instant))
    ev = tuple(
        Evidence(
            f.ref,
            ", ".join(sorted(code for _s, code in f.codes & d.codes)) or None,
            None,
            f.date.isoformat() if f.date else None,
        )
        for f in placed
    )
    window = "" if (lo == DATE_MIN and hi == ctx.as_of) else f" in {window_text(lo, hi)}"
    if d.instances is not None:
        # records are counted by episode (an administration and its procedure are one cycle); an undated
        # one may be another cycle or the same: it can only make the count uncertain
        n = episodes(placed)
        uncertain += [f for f in placed if f.date is None]
        t = count_ok(n, d.instances)
        if uncertain and t is not count_ok(n + len(uncertain), d.instances):
            return Outcome(
                Truth.UNKNOWN,
                f"{n} found{window}, {len(uncertain)} more undated or unconfirmed",
                ev,
                matched=tuple(placed),
            )
        return Outcome(t, f"{n} found{window} (required {d.instances.text()})", ev, matched=tuple(placed))
    if d.duration is not None:
        covered = _covered_days(placed, ctx.as_of)
        t = count_ok(covered, d.duration)
        return Outcome(
            t, f"{covered} days of exposure{window} (required {d.duration.text()})", ev, matched=tuple(placed)
        )
    if placed:
        return Outcome(
            Truth.TRUE, f"recorded{window}: {_latest_text(placed[-1], d.codes, len(placed))}", ev, matched=tuple(placed)
        )
    if uncertain:
        return Outcome(
            Truth.UNKNOWN,
            f"only unconfirmed, undated or partly dated records{window}",
            tuple(Evidence(f.ref, None, None, f.date.isoformat() if f.date else None) for f in uncertain),
            missing=(missing_data(ctx, what + " (confirmation)", d.codes, lo, hi),),
        )
    if OPEN_WORLD in d.methods:  # a study the screening visit would produce: absent = to collect (§0.14)
        return Outcome(
            Truth.UNKNOWN, f"none recorded{window}: to collect", missing=(missing_data(ctx, what, d.codes, lo, hi),)
        )
    return Outcome(Truth.FALSE, f"none recorded{window}")


def _latest_text(f: Fact, codes: frozenset[Code], n: int) -> str:
    """Which record decided it (the most recent), so a reviewer need not open the evidence to see what and when."""
    what = ", ".join(sorted(code for _s, code in f.codes & codes)) or f.ref
    when = f"on {f.date.isoformat()}" if f.date else "undated"
    return f"{what} {when}" + (f" (+{n - 1} more)" if n > 1 else "")
