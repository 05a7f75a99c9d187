"""Presence, count and duration of records (Conditions, Procedures, medications...) in a window.

Closed world (no record = FALSE) except where clinical.md says a study is to be collected
(``open-world``); undated or unconfirmed records can only make the answer uncertain.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import CountTest, Criterion, Records, Window
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation import medication
from fhir_eligibility.evaluation.context import Context, Outcome
from fhir_eligibility.evaluation.elements import INTOLERANCE
from fhir_eligibility.evaluation.facts import ORDERS, Fact
from fhir_eligibility.evaluation.forms.common import LABEL, OPEN_WORLD, count_ok, missing_data
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.results import Evidence
from fhir_eligibility.evaluation.windows import event_days, fact_in, possible_days, window_bounds, window_text
from fhir_eligibility.logic import Truth
from fhir_eligibility.measures.timing import DATE_MIN, MONTH_TICKS, calendar_unit, period_length, ticks_per_unit
from fhir_eligibility.terminology.generic import GENERIC_PROCEDURES

ACTIVE_CONDITION = {None, "active", "recurrence", "relapse"}
INACTIVE_CONDITION = {"inactive", "remission", "resolved"}
# not confirmed: a working diagnosis (an allergy's R5 "presumed"), a status coded otherwise or
# "unknown" (elements.status_code), a procedure whose status is unknown (facts_of)
# an allergy recorded as an intolerance (elements.INTOLERANCE): not shown to be a hypersensitivity
UNCERTAIN_VERIFICATION = {"unconfirmed", "provisional", "differential", "presumed", "unknown", INTOLERANCE}
_STATUSED = ("Condition", "AllergyIntolerance")


def statement_on_a_day(f: Fact) -> bool:
    """A statement dated by one day (``effectiveDateTime``; R4 completed, R5 recorded with no adherence:
    medication_records): taken then, for how long not recorded."""
    return f.kind == "MedicationStatement" and f.end is None and not f.ongoing and not f.open_end


def _end(f: Fact, as_of: dt.date, longest: bool) -> dt.date | None:
    if f.end is not None:  # at its latest: the last day of an end written as a month or a year
        return f.end_last if longest else f.end
    if f.ongoing:
        return as_of
    # stopped on a day not recorded: at the latest by ends_by, else today (a day's statement too)
    if longest and (f.open_end or statement_on_a_day(f)):
        return f.ends_by or as_of
    return (f.last if longest else None) or f.start


def _may_reach(f: Fact, as_of: dt.date, lo: dt.date) -> bool:
    """A statement dated by one day before the window may have been taken into it (for how long is not
    recorded, as a duration reads it: :func:`_end`): an everolimus statement of 02-01 is no proof of a
    washout of 4 weeks on 06-01."""
    last = _end(f, as_of, True) if statement_on_a_day(f) else None
    return f.date is not None and f.date < lo and last is not None and last >= lo


def _periods(facts: list[Fact], as_of: dt.date, longest: bool = False) -> list[tuple[dt.date, dt.date]]:
    """The days the records' periods cover, merged (overlapping or adjacent periods are one, so no
    day counts twice: clinical.md §1.6), in order; ``longest``: each unrecorded stop at its latest,
    and administrations covering every day from the first to the last (clinical.md §1.6 "first-last
    administration + 1 d": an oral drug given daily is seldom recorded daily), where the shortest
    reading counts only the days recorded: a duration between the two is unknown."""
    spans = sorted((f.start or f.end, _end(f, as_of, longest) or f.start) for f in facts if f.start or f.end)
    if longest:
        given = [(f.start or f.end, f.end or f.start) for f in facts if f.kind == "MedicationAdministration"]
        firsts, lasts = [s for s, _e in given if s], [e for _s, e in given if e]
        if firsts and lasts:
            spans = sorted([*spans, (min(firsts), max(lasts))])
    out: list[tuple[dt.date, dt.date]] = []
    for s, e in spans:
        assert s is not None and e is not None
        if out and s <= out[-1][1] + _DAY:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
            continue
        out.append((s, e))
    return out


def _covered_days(facts: list[Fact], as_of: dt.date, longest: bool = False) -> int:
    """Days covered by the records' periods; ``longest``: with each unrecorded stop at its latest."""
    return sum((e - s).days + 1 for s, e in _periods(facts, as_of, longest))


def _exposure(facts: list[Fact], as_of: dt.date, t: CountTest, longest: bool = False) -> Truth:
    """Whether the exposure the records cover meets the duration test, in its unit (clinical.md §0.1):
    days (weeks are 7 of them), or calendar months and years, each merged period measured on the
    calendar from its own first day and the periods added (:func:`~.timing.period_length`).
    ``longest``: a record with no date at all may have lasted any length (§0.16: not knowable)."""
    if longest and any(_undated(f) for f in facts):
        return count_ok(math.inf, _scaled(t))
    total = sum(period_length(s, e, t.unit) for s, e in _periods(facts, as_of, longest))
    return count_ok(total, _scaled(t))


def _undated(f: Fact) -> bool:
    """No start nor end (none recorded, or unreadable): how long it covers is not known."""
    return f.start is None and f.end is None


@lru_cache(maxsize=256)
def _scaled(t: CountTest) -> CountTest:
    """The duration test with its bounds in the measure :func:`~.timing.period_length` gives."""
    k = ticks_per_unit(t.unit)
    if k == 1:
        return t
    return CountTest(
        t.comparator,
        None if t.value is None else t.value * k,
        None if t.low is None else t.low * k,
        None if t.high is None else t.high * k,
        t.unit,
    )


def _exposure_text(facts: list[Fact], as_of: dt.date, t: CountTest, longest: bool = False) -> str:
    """How much exposure ("40 days"), with its months or years for a calendar unit ("40 days (1.29 months)")."""
    if longest and any(_undated(f) for f in facts):
        return "any length (a record with no date)"
    days = _covered_days(facts, as_of, longest)
    if not calendar_unit(t.unit):
        return f"{days} days"
    ticks = sum(period_length(s, e, t.unit) for s, e in _periods(facts, as_of, longest))
    per = ticks_per_unit(t.unit)
    return f"{days} days ({ticks / per:.2f} {'years' if per > MONTH_TICKS else 'months'})"


def _placed(
    d: Records, rec: PatientRecord, as_of: dt.date, gap_days: int, lo: dt.date, hi: dt.date
) -> tuple[list[Fact], list[Fact]]:
    """The records that count in the window, and those that only make the answer uncertain."""
    facts = rec.facts(d.resource_types, d.codes)
    history = "history" in d.methods
    definite: list[Fact] = []
    uncertain: list[Fact] = []
    orders: list[Fact] = []
    proving = d.codes - d.maybe if d.maybe else None  # a site code broader than the concept proves nothing
    for f in facts:
        if proving is not None and f.codes.isdisjoint(proving):  # it may be the concept: uncertain
            uncertain.append(f)
            continue
        if f.kind in ORDERS:
            orders.append(f)
            continue
        if f.kind in _STATUSED and not history:  # a Condition's or an allergy's clinical and verification status
            if f.clinical_status in INACTIVE_CONDITION:
                ends = f.abated
                if ends is None or ends[1] <= as_of:  # over by the as-of date
                    continue
                if ends[0] <= as_of:  # it ends in a month holding the as-of date: over then or not
                    uncertain.append(f)
                    continue
                # it ends after the as-of date (a retrospective screening): going on then
            elif f.clinical_status not in ACTIVE_CONDITION:
                # a status that says neither active nor inactive (R5 "unknown", a site's own code): it
                # may be current, so the answer is unknown, never absent
                uncertain.append(f)
                continue
        if f.verification in UNCERTAIN_VERIFICATION:  # a working diagnosis; a procedure of unknown status
            uncertain.append(f)
            continue
        if f.start and f.start > as_of:
            continue
        definite.append(f)
    if not d.methods.isdisjoint(medication.FORM_METHODS):  # long- / short-acting / undecided medication records only
        definite = medication.of_form(definite, d.methods)
    if not d.codes.isdisjoint(GENERIC_PROCEDURES):
        definite, generic = _product_coded(definite, d.codes)
        uncertain += generic
    known = [f for f in definite if f.date is not None]  # the dated records that count, in any course
    if "first-course" in d.methods or "after-first-course" in d.methods:
        uncertain += [f for f in definite if f.date is None]  # an undated cycle cannot be placed in a course
        dated = [f for f in definite if f.date]
        member = dv.in_first_course([possible_days(f) for f in dated], gap_days)
        wanted = "first-course" in d.methods  # else after it: the records of the later courses
        # partly dated, its course not knowable (§0.12): it may count, where the window can hold it
        uncertain += [f for f, m in zip(dated, member, strict=True) if m is None and fact_in(f, lo, hi) is not False]
        definite = [f for f, m in zip(dated, member, strict=True) if m is wanted]
    placed = []
    for f in definite:
        inside = _in_window(f, lo, hi)
        if inside:
            placed.append(f)
        elif (inside is None and (lo != DATE_MIN or hi != as_of)) or (inside is False and _may_reach(f, as_of, lo)):
            uncertain.append(f)
        elif inside is None:
            placed.append(f)
    if not placed:  # administrations and statements silent: an order or a dispense may have been taken
        uncertain += [f for f in orders if (f.start is None or f.start <= as_of) and fact_in(f, lo, hi) is not False]
    if "first-course" in d.methods:
        uncertain = _not_later_course(uncertain, known, as_of, gap_days)
    # a record dated outside the window cannot count in it, confirmed or not (a generic procedure of
    # 2023 left "a first-course cycle in the last 12 months" unknown)
    return placed, [f for f in uncertain if _in_window(f, lo, hi) is not False or _may_reach(f, as_of, lo)]


def _in_window(f: Fact, lo: dt.date, hi: dt.date) -> bool | None:
    """:func:`~.windows.fact_in`, and for a record with no day but a last one (a Condition whose onset
    was not read began on or before its recordedDate: evaluation.onset), what that bound decides: not
    in a window opening after it; in one reaching back to any date ("before the last 12 months")."""
    if f.start is None and f.end is None and f.latest is not None:
        if f.latest < lo:
            return False
        return True if lo == DATE_MIN and f.latest <= hi else None
    return fact_in(f, lo, hi)


def _span(f: Fact, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day a dated record may have been given on (an ongoing one: to the as-of date)."""
    first, last = possible_days(f)
    if f.ongoing or f.open_end:
        last = max(last, f.ends_by or as_of)
    return min(first, f.start or first), last


def _not_later_course(uncertain: list[Fact], known: list[Fact], as_of: dt.date, gap_days: int) -> list[Fact]:
    """The uncertain records that may be in the first course: one more than ``gap_days`` after the
    latest day the first course can end (every uncertain record counted as a cycle, clinical.md
    §1.6) is in a later course whether or not it was given, so it cannot change a first-course
    answer (a generic procedure or an order of a second PRRT made A-I3 and A-I4 unknown)."""
    dated = [f for f in uncertain if f.date is not None]
    if not dated or not known:
        return uncertain
    spans = sorted([_span(f, as_of) for f in [*known, *dated]])
    start = min(_span(f, as_of)[0] for f in known)  # the first course holds a counted cycle or ends before it
    reach: dt.date | None = None
    for first, last in spans:
        if reach is not None and first > start and (first - reach).days > gap_days:
            break
        reach = last if reach is None else max(reach, last)
    assert reach is not None
    return [f for f in uncertain if f.date is None or (_span(f, as_of)[0] - reach).days <= gap_days]


def _generic(f: Fact, codes: frozenset[Code]) -> bool:
    """A Procedure matched only by a code naming a kind of treatment, its product not coded."""
    return f.kind == "Procedure" and (f.codes & codes) <= GENERIC_PROCEDURES and not f.value_codes & codes


def _product_coded(facts: list[Fact], codes: frozenset[Code]) -> tuple[list[Fact], list[Fact]]:
    """(the records that count, the uncertain ones; :mod:`~fhir_eligibility.terminology.generic`): a
    generic procedure is the same cycle as a record that counts a day or less from it (dropped),
    otherwise it is uncertain."""
    counted = [f for f in facts if not _generic(f, codes)]
    days = [f.date for f in counted if f.date is not None]
    generic = [
        f
        for f in facts
        if _generic(f, codes) and not (f.date is not None and any(abs((f.date - x).days) <= 1 for x in days))
    ]
    return counted, generic


def counted(placed: list[Fact], uncertain: list[Fact], t: CountTest) -> tuple[int, Truth, int | None]:
    """(episodes counted, the count's truth, how many more the uncertain records may add: None for
    any number) for an ``instancesQuantity`` test.

    A record spanning more than a day (a statement "January to July") is a summary, not a cycle:
    one whose first and last days are counted records' (a day either side) summarises them and adds
    nothing; any other may hold cycles nobody recorded, how many is unknown. Before, a summary
    statement merged four administrations into one episode ("1 found, required exactly 4"). A
    statement of one day is that day's episode and, as it may have run on past it (:func:`_end`),
    may hold more: a Lutathera statement on a cycle's day left "exactly 4" passed."""
    spans = [f for f in placed if _spans(f)]
    points = [f for f in placed if not _spans(f) and len(f.instant) not in (4, 7)]
    # dated by a year or a month only ("2023": four cycles given elsewhere): their days are not known, so
    # they are no one episode; each period no day-dated record falls in is at least one, the rest may be more
    partial = [f for f in placed if not _spans(f) and len(f.instant) in (4, 7)]
    n = episodes(points)
    days = [f.date for f in points if f.date is not None]
    periods = {f.instant for f in partial}
    alone = {p for p in periods if not any(d.isoformat().startswith(p) for d in days)}
    n += len(alone)
    open_ended = any(not summarises(f, days) for f in spans) or any(statement_on_a_day(f) for f in placed)
    more = None if open_ended else len(uncertain) + sum(1 for f in points if f.date is None) + len(partial) - len(alone)
    return n, count_ok(n, t), more


def uncertain_count(n: int, t: Truth, more: int | None, test: CountTest) -> bool:
    """Whether adding up to ``more`` (None: any number of) uncertain records could change the truth."""
    top = n + (more if more is not None else 64)
    return any(count_ok(m, test) is not t for m in range(n + 1, top + 1))


def summarises(f: Fact, days: list[dt.date]) -> bool:
    """Whether records are dated on the statement's first and last days (a day either side)."""
    if f.start is None or f.end is None:  # ongoing, or stopped on a day not recorded
        return False
    start, end = f.start, f.end
    return any(abs((x - start).days) <= 1 for x in days) and any(abs((x - end).days) <= 1 for x in days)


def _spans(f: Fact) -> bool:
    return (
        f.kind == "MedicationStatement"
        and f.start is not None
        and (f.ongoing or f.open_end or (f.end is not None and f.end - f.start > _DAY))
    )


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
        n, t, more = counted(placed, uncertain, d.instances)
        return Truth.UNKNOWN if uncertain_count(n, t, more, d.instances) else t
    if d.duration is not None:
        t = _exposure(placed, as_of, d.duration)
        return Truth.UNKNOWN if t is not _exposure(placed + uncertain, as_of, d.duration, True) else t
    if placed:
        return Truth.TRUE
    return Truth.UNKNOWN if uncertain or OPEN_WORLD in d.methods else Truth.FALSE


def placed_days(
    d: Records, rec: PatientRecord, as_of: dt.date, gap_days: int, lo: dt.date, hi: dt.date
) -> tuple[dt.date | None, dt.date | None]:
    """The days an event anchor takes from this criterion: the first and last its latest record that
    counts may be on (of ``records_leaf``'s matched records: windows.event_days; None when none
    counts or none is dated)."""
    return event_days(_placed(d, rec, as_of, gap_days, lo, hi)[0])


def read_types(d: Records) -> tuple[str, ...]:
    """The types whose records ``d`` reads as the patient's whole history: orders and dispenses only
    add to administrations and statements (a source without them leaves the criterion to those)."""
    return tuple(t for t in d.resource_types if t not in ORDERS)


def _presence_only(d: Records, windows: tuple[Window, ...]) -> bool:
    """Whether one record found decides ``d`` whatever other records exist."""
    if d.instances is not None or d.duration is not None or "first-course" in d.methods:
        return False
    return "after-first-course" not in d.methods and all(w.anchor == "study-start" for w in windows)


def records_leaf(d: Records, c: Criterion, ctx: Context, windows: tuple[Window, ...]) -> Outcome:
    rec = ctx.record
    what = LABEL
    lo, hi, err = window_bounds(windows, ctx, None)
    if err:
        return Outcome(Truth.UNKNOWN, err)
    # orders and dispenses add to what administrations and statements say: a server that cannot
    # deliver them (many do not support MedicationDispense) leaves the criterion to the others (read_types)
    u = rec.unavailable_for(read_types(d), d.codes)
    # records the source does not hold, or holds elsewhere too (a merge): a record found here meets
    # a plain presence criterion; a count, a duration, a course, an event's date or an absence may be
    # changed by the others
    if u is not None and not ((u.partial or u.unsupported) and _presence_only(d, windows)):
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
        # one may be another cycle or the same, a summary statement any number: they can only make the
        # count uncertain
        n, t, more = counted(placed, uncertain, d.instances)
        if uncertain_count(n, t, more, d.instances):
            doubtful = uncertain + [
                f for f in placed if f.date is None or _spans(f) or len(f.instant) in (4, 7) or statement_on_a_day(f)
            ]
            return Outcome(
                Truth.UNKNOWN,
                f"{n} found{window}, more uncertain ({_doubts(doubtful, d)})",
                ev,
                matched=tuple(placed),
            )
        return Outcome(t, f"{n} found{window} (required {d.instances.text()})", ev, matched=tuple(placed))
    if d.duration is not None:
        t = _exposure(placed, ctx.as_of, d.duration)
        covered = _exposure_text(placed, ctx.as_of, d.duration)
        if t is not _exposure(placed + uncertain, ctx.as_of, d.duration, True):  # unrecorded stops, uncertain records
            most = _exposure_text(placed + uncertain, ctx.as_of, d.duration, True)
            return Outcome(
                Truth.UNKNOWN,
                f"{covered} to {most} of exposure{window} (stop dates not recorded, days between"
                f" administrations not recorded, or records undated or uncertain;"
                f" required {d.duration.text()})",
                ev,
                matched=tuple(placed),
            )
        return Outcome(t, f"{covered} of exposure{window} (required {d.duration.text()})", ev, matched=tuple(placed))
    if placed:
        return Outcome(
            Truth.TRUE, f"recorded{window}: {_latest_text(placed[-1], d.codes, len(placed))}", ev, matched=tuple(placed)
        )
    if u is not None:
        why = f"none recorded{window} here; {u.reason}"
        return Outcome(Truth.UNKNOWN, why, missing=(missing_data(ctx, what, d.codes, lo, hi),))
    if uncertain:
        return Outcome(
            Truth.UNKNOWN,
            f"only uncertain records{window} ({_doubts(uncertain, d)})",
            tuple(Evidence(f.ref, None, None, f.date.isoformat() if f.date else None) for f in uncertain),
            missing=(missing_data(ctx, what + " (confirmation)", d.codes, lo, hi),),
        )
    if OPEN_WORLD in d.methods:  # a study the screening visit would produce: absent = to collect (§0.14)
        return Outcome(
            Truth.UNKNOWN, f"none recorded{window}: to collect", missing=(missing_data(ctx, what, d.codes, lo, hi),)
        )
    return Outcome(Truth.FALSE, f"none recorded{window}")


def _doubts(facts: list[Fact], d: Records) -> str:
    """Why the uncertain records cannot be counted, each reason once, for the coordinator to resolve."""
    why: dict[str, None] = {}
    for f in facts:
        if d.maybe and f.codes.isdisjoint(d.codes - d.maybe):
            why["a site code broader than the concept (mapped 'narrower'): it may be it"] = None
        elif _generic(f, d.codes):
            why["a procedure that does not code the product"] = None
        elif _spans(f):
            why["a statement of a period, not of cycles"] = None
        elif f.date is None:
            why["undated" if f.latest is None else "undated, only known to be on or before a day"] = None
        elif f.kind in _STATUSED and f.clinical_status not in ACTIVE_CONDITION | INACTIVE_CONDITION:
            why["its clinical status is neither active nor inactive"] = None
        elif f.kind in ORDERS:
            why["ordered or dispensed, not recorded as taken"] = None
        elif f.kind in ("Procedure", "ImagingStudy") and f.verification == "unknown":
            why["its status is unknown (done or not)"] = None
        elif f.kind in ("MedicationAdministration", "MedicationStatement") and f.verification == "unknown":
            why["its status leaves open whether the drug was given"] = None
        elif f.verification == INTOLERANCE:
            why["an intolerance, not shown to be an allergy (hypersensitivity): a clinician's call"] = None
        elif f.verification in UNCERTAIN_VERIFICATION:
            why["unconfirmed"] = None
        elif f.open_end:
            why["stopped on a day not recorded"] = None
        elif statement_on_a_day(f):
            why["a statement of one day: for how long it was taken is not recorded"] = None
        else:
            why["partly dated"] = None
    return ", ".join(why)


def _latest_text(f: Fact, codes: frozenset[Code], n: int) -> str:
    """Which record decided it (the most recent), so a reviewer need not open the evidence to see what and when."""
    what = ", ".join(sorted(code for _s, code in f.codes & codes)) or f.ref
    when = f"on {f.date.isoformat()}" if f.date else f"on or before {f.latest.isoformat()}" if f.latest else "undated"
    return f"{what} {when}" + (f" (+{n - 1} more)" if n > 1 else "")
