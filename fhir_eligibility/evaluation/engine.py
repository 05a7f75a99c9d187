"""The pure evaluation core: criterion x patient record x as-of date -> results with evidence.

No I/O, no clock, no logging of patient data. Every node yields an :class:`Outcome` (a Truth with
its reason and evidence); errors are values (UNKNOWN with a reason), never exceptions, so one
broken criterion or resource cannot abort a screening.
"""

from __future__ import annotations

import datetime as dt
import itertools
import textwrap
import threading
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple

from fhir_eligibility import logic
from fhir_eligibility.codes import display
from fhir_eligibility.criteria.model import (
    LIMIT_NAME,
    Age,
    Combination,
    CountTest,
    Criterion,
    Definition,
    Derived,
    Expression,
    Gender,
    Manual,
    ObservationValue,
    Records,
    Trial,
    Unsupported,
    ValueTest,
    Window,
)
from fhir_eligibility.evaluation import attestation, medication, units, values
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation.compare import VERB, Compared, Interval, compare, in_range, plot_value, satisfies
from fhir_eligibility.evaluation.facts import Fact, PatientRecord
from fhir_eligibility.evaluation.fhirpath import evaluate_expression
from fhir_eligibility.evaluation.footprint import Footprint, Key, footprint
from fhir_eligibility.evaluation.results import (
    Attestation,
    CriterionResult,
    Evidence,
    MissingData,
    Point,
    Result,
    Series,
    TrialResult,
    Verdict,
)
from fhir_eligibility.evaluation.timing import DATE_MAX, DATE_MIN, age_range, fmt, shift
from fhir_eligibility.evaluation.validity import birth_problem
from fhir_eligibility.evaluation.vital import vital_result
from fhir_eligibility.logic import Truth
from fhir_eligibility.pickling import picklable

ACTIVE_CONDITION = {None, "active", "recurrence", "relapse"}
UNCERTAIN_VERIFICATION = {"unconfirmed", "provisional", "differential"}


@dataclass(frozen=True)
class Settings:
    """Configurable assumptions of clinical.md §0 (each one is stated in results that use it)."""

    default_lookback_days: int = 28
    course_gap_days: int = 182
    assume_attested: bool = False
    include_preliminary: bool = False
    collect_series: bool = False  # lab values over time, for plots (HTML); off on hot paths
    # nested results and combination explanations; off (screening): top-level results only, combinations short-circuit
    explain: bool = True
    attestation_validity_days: int = 30  # an attestation or review decision older than this is stale
    horizon_days: int = 0  # > 0: also the dates the verdict changes within this many days (evaluation.timeline)


picklable(Settings)  # it travels to worker processes (see fhir_eligibility.pickling)


class Outcome(NamedTuple):
    """What a node evaluates to (a tuple: built ~200 times per patient, frozen dataclasses cost 3x more)."""

    truth: Truth
    reason: str
    evidence: tuple[Evidence, ...] = ()
    children: tuple[tuple[Criterion, Outcome], ...] = ()
    matched: tuple[Fact, ...] = ()
    missing: tuple[MissingData, ...] = ()
    attested: bool = False
    series: tuple[Series, ...] = ()
    attestation: Attestation | None = None  # a person's answer decided it (evaluation.attestation)


# (gender if male/female, age range in years | "unreadable" | None): all a gender or age test reads
Demographics = tuple[str | None, tuple[int, int] | str | None]


def demographics(record: PatientRecord, as_of: dt.date) -> Demographics:
    g = record.gender if record.gender in ("male", "female") else None
    if not record.birth_date:
        return g, None
    if birth_problem(record.birth_date, as_of):  # no age: never shared with a real age's outcomes
        return g, "implausible"
    ages = age_range(record.birth_date, as_of)
    return g, ("unreadable" if ages is None else ages)


@dataclass(frozen=True)
class TrialIndex:
    """What the engine looks up per node, computed once per compiled trial (trials are immutable).

    Keyed by ``id``: the trial keeps its nodes and windows alive, so an id here is always theirs.
    """

    trial: Trial
    by_link: dict[str, Criterion]
    tops: tuple[tuple[Criterion, frozenset[Key] | None], ...]  # keys None: never the same result for all patients
    footprints: dict[int, Footprint | None]
    plain_windows: dict[int, bool]  # id(windows) -> all relative to the study start

    def footprint(self, c: Criterion) -> Footprint | None:
        fp = self.footprints.get(id(c), _UNSEEN)
        return footprint(c) if fp is _UNSEEN else fp  # anchor events are not nodes of the trial

    def plain(self, windows: tuple[Window, ...]) -> bool:
        hit = self.plain_windows.get(id(windows))
        return all(w.anchor == "study-start" for w in windows) if hit is None else hit


_UNSEEN = Footprint(frozenset())


@dataclass
class Context:
    record: PatientRecord
    as_of: dt.date
    settings: Settings
    index: TrialIndex
    anchors: dict[str, dt.date | None] = field(default_factory=dict)
    memo: dict[tuple[int, int, int], Outcome] | None = None  # leaf outcomes of this patient, shared by trials
    shared: Shared | None = None  # outcomes that read none of this patient's data, shared by all patients
    # Stop all-of at the first FALSE and any-of at the first TRUE: same truths and what-to-collect, but the
    # combination's explanation, matched records (event anchors) and attestation flags stay partial.
    short_circuit: bool = False
    demographics: Demographics | None = None  # set in short-circuit mode: the key of demographic sharing
    answers: attestation.Answers | None = None  # this patient's answers to this trial's Questionnaire


# ---- outcomes shared across patients -----------------------------------------------------------


@dataclass
class Shared:
    """Cross-patient caches of one (as-of date, settings) scope; they keep their criteria alive, so ids stay valid."""

    # (id(criterion), id(windows), parity % 2 + 2 if short-circuit, the patient's (gender, age) if the subtree
    # reads them, else None) -> (criterion, windows, outcome)
    outcomes: dict[tuple[int, int, int, Demographics | None], tuple[Criterion, tuple[Window, ...], Outcome]] = field(
        default_factory=dict
    )
    # id(top-level criterion) -> (criterion, its result, what to collect): no per-patient work at all
    tops: dict[int, tuple[Criterion, CriterionResult, tuple[MissingData, ...]]] = field(default_factory=dict)


_SHARED: dict[tuple[dt.date, Settings], Shared] = {}
_SHARED_LOCK = threading.Lock()
MAX_SCOPES = 4  # (as-of date, settings) pairs kept: a service moves to a new date each day
MAX_SHARED = 100_000  # outcomes per scope; past this the scope starts afresh (definitions reloaded many times)


def shared_outcomes(as_of: dt.date, settings: Settings) -> Shared:
    """The cross-patient cache of one (date, settings) scope."""
    scope = (as_of, settings)
    hit = _SHARED.get(scope)
    if hit is None or len(hit.outcomes) + len(hit.tops) > MAX_SHARED:
        with _SHARED_LOCK:
            while len(_SHARED) >= MAX_SCOPES:
                _SHARED.pop(next(iter(_SHARED)))
            hit = _SHARED[scope] = Shared()
    return hit


# ---- windows ------------------------------------------------------------------------------------


_BOUNDS: dict[tuple[int, int | None, dt.date], tuple[tuple[Window, ...], tuple[dt.date, dt.date, str | None]]] = {}


def window_bounds(
    windows: tuple[Window, ...], ctx: Context, default_days: int | None
) -> tuple[dt.date, dt.date, str | None]:
    """Intersection of the windows as inclusive dates; third item is an error (anchor not found)."""
    key = (id(windows), default_days, ctx.as_of)
    hit = _BOUNDS.get(key)
    if hit is not None and hit[0] is windows:
        return hit[1]
    bounds = _window_bounds(windows, ctx, default_days)
    if all(w.anchor == "study-start" for w in windows):  # the same for every patient: reuse
        _BOUNDS[key] = (windows, bounds)
    return bounds


def _window_bounds(
    windows: tuple[Window, ...], ctx: Context, default_days: int | None
) -> tuple[dt.date, dt.date, str | None]:
    lo, hi = DATE_MIN, ctx.as_of
    if not windows and default_days is not None:
        lo = ctx.as_of - dt.timedelta(days=default_days)
    for w in windows:
        anchor = ctx.as_of if w.anchor == "study-start" else anchor_date(w.anchor, ctx)
        if anchor is None:
            return lo, hi, f"the event {w.anchor!r} this window is relative to has not occurred"
        if w.low is not None:
            d = shift(anchor, w.low) + dt.timedelta(days=1 if w.low_strict else 0)
            lo = max(lo, d)
        if w.high is not None:
            d = shift(anchor, w.high) - dt.timedelta(days=1 if w.high_strict else 0)
            hi = min(hi, d) if w.anchor == "study-start" or d <= ctx.as_of else hi
    return lo, hi, None


def anchor_date(link: str, ctx: Context) -> dt.date | None:
    """Date of the most recent record matching the characteristic ``link`` (an eventId anchor)."""
    if link in ctx.anchors:
        return ctx.anchors[link]
    ctx.anchors[link] = None  # guards cycles
    crit = ctx.index.by_link.get(link)
    result = None
    if crit is not None:
        # the anchor is the latest of *all* matching records: evaluate in full mode
        short, ctx.short_circuit = ctx.short_circuit, False
        demo, ctx.demographics = ctx.demographics, None
        out = evaluate_node(_as_event(crit), ctx, 0, ())
        ctx.short_circuit, ctx.demographics = short, demo
        dates = [f.date for f in out.matched if f.date]
        result = max(dates) if dates else None
    ctx.anchors[link] = result
    return result


_EVENTS: dict[int, tuple[Criterion, Criterion]] = {}


def _as_event(crit: Criterion) -> Criterion:
    """The anchor criterion as a plain match (one object per criterion: outcome caches key on identity)."""
    hit = _EVENTS.get(id(crit))
    if hit is None or hit[0] is not crit:
        hit = (crit, replace(crit, exclude=False, judgement=False))
        _EVENTS[id(crit)] = hit
    return hit[1]


def _in(f: Fact, lo: dt.date, hi: dt.date) -> bool | None:
    """Does the fact's date (or period) fall in [lo, hi]? None when it has no date."""
    s, e = f.start, f.end or (hi if f.ongoing else f.start)
    if s is None and e is None:
        return None
    s = s or e
    assert s is not None and e is not None
    return s <= hi and e >= lo


@lru_cache(maxsize=1024)
def _window_text(lo: dt.date, hi: dt.date) -> str:
    return f"{fmt(lo)}..{fmt(hi)}"


# ---- leaves -------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _codes_text(codes: frozenset[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(sorted(display(c) for c in codes))


OPEN_WORLD = "open-world"  # records method: no record = UNKNOWN (to collect), not FALSE
LABEL = "{label}"  # in a leaf's MissingData.what: replaced by the criterion's label (leaves are shared)


def _missing(ctx: Context, what: str, codes: frozenset[tuple[str, str]], lo: dt.date, hi: dt.date) -> MissingData:
    return MissingData(
        "",
        what,
        _codes_text(codes),
        _window_text(lo, hi),
        fmt(hi) if hi != DATE_MAX else None,
    )


def _favourability(t: Truth, parity: int) -> int:
    """Lower = less favourable to the patient meeting the top-level criterion (safety-first ties)."""
    good = Truth.TRUE if parity % 2 == 0 else Truth.FALSE
    return 2 if t is good else 1 if not t.decided else 0


def observation_leaf(
    d: ObservationValue, c: Criterion, ctx: Context, parity: int, windows: tuple[Window, ...]
) -> Outcome:
    out = _observation_leaf(d, c, ctx, parity, windows)
    if not ctx.settings.collect_series or d.test.kind not in ("quantity", "range"):
        return out
    return out._replace(series=(_series(d, c, ctx, windows),))


def _series(d: ObservationValue, c: Criterion, ctx: Context, windows: tuple[Window, ...]) -> Series:
    lo, hi, _err = window_bounds(windows, ctx, ctx.settings.default_lookback_days)
    points = []
    unit: str | None = None
    for f in ctx.record.facts(["Observation"], d.codes):
        if f.date is None or f.date > ctx.as_of:
            continue
        pv = plot_value(f, d.test)
        if pv is not None:
            points.append(Point(f.date.isoformat(), pv[0], f.ref.split("#")[0]))
            unit = pv[1]
    points.sort(key=lambda p: (p.date, p.reference))
    t = d.test
    if t.kind == "quantity" and t.quantity is not None:
        thresholds: tuple[tuple[str, float], ...] = ((t.comparator or "=", t.quantity.value),)
    else:
        thresholds = tuple((comp, b.value) for comp, b in ((">=", t.low), ("<=", t.high)) if b is not None)
    return Series(
        d.label or c.description or c.id,
        f"x {LIMIT_NAME[t.offset]}" if t.offset and t.ratio else unit,
        tuple(points),
        thresholds,
        (None if lo == DATE_MIN else lo.isoformat(), hi.isoformat()),
    )


def _observation_leaf(
    d: ObservationValue, c: Criterion, ctx: Context, parity: int, windows: tuple[Window, ...]
) -> Outcome:
    rec = ctx.record
    what = LABEL
    lo, hi, err = window_bounds(windows, ctx, ctx.settings.default_lookback_days)
    if err:
        return Outcome(Truth.UNKNOWN, err)
    u = rec.unavailable_for(["Observation"], d.codes)
    facts = rec.facts(["Observation"], d.codes)
    open_start = lo == DATE_MIN  # "any time before": an undated result is still usable
    inside = [f for f in facts if _in(f, lo, hi) or (open_start and _in(f, lo, hi) is None)]
    if "rising-series" in d.methods:  # too few results cannot show a rise: FALSE, not UNKNOWN
        return _rising_series(d, inside, lo, hi)
    skipped = ""
    if inside and d.test.kind != "present":  # a result without a valid value is not "the most recent value"
        inside, skipped = values.valued(inside)
        if not inside:
            return Outcome(Truth.UNKNOWN, skipped, missing=(_missing(ctx, what, d.codes, lo, hi),))
    if not inside:
        if u is not None:
            return Outcome(
                Truth.UNKNOWN, f"data unavailable: {u.reason}", missing=(_missing(ctx, what, d.codes, lo, hi),)
            )
        dated = [f for f in facts if f.date]
        stale = ""
        if dated:
            last = max(dated, key=lambda f: (f.date, f.instant))
            stale = f"; latest is {last.date} (outside the window)"
        return Outcome(
            Truth.UNKNOWN,
            f"no result in window {_window_text(lo, hi)}{stale}{values.undated_note(facts)}",
            missing=(_missing(ctx, what, d.codes, lo, hi),),
        )
    inside.sort(key=lambda f: (f.date or DATE_MIN, f.instant, f.issued))
    top_key = (inside[-1].date, inside[-1].instant, inside[-1].issued)
    tied = [f for f in inside if (f.date, f.instant, f.issued) == top_key]
    scored = [(f, compare(f, d.test)) for f in tied]
    fact, res = min(scored, key=lambda p: (_favourability(p[1].truth, parity), p[0].ref))
    tie = f" (least favourable of {len(tied)} results at the same time)" if len(tied) > 1 else ""
    ev = Evidence(fact.ref.split("#")[0], res.value, res.unit, fact.date.isoformat() if fact.date else None)
    miss = (_missing(ctx, what, d.codes, lo, hi),) if res.truth is Truth.UNKNOWN else ()
    when = f" on {fact.date}" if fact.date else " (undated)"
    return Outcome(res.truth, f"{res.reason}{when}{tie}{skipped}", (ev,), matched=(fact,), missing=miss)


def _rising_series(d: ObservationValue, inside: list[Fact], lo: dt.date, hi: dt.date) -> Outcome:
    """Biochemical progression: the last n results of one marker each exceed their predecessor."""
    n = int(d.instances.value) if d.instances and d.instances.value else 3
    by_marker: dict[str, list[Fact]] = {}
    for f in inside:
        if f.quantity is not None and f.quantity.unit:
            key = sorted(f.codes)[0][1] if f.codes else "?"
            by_marker.setdefault(key, []).append(f)
    evidence: list[Evidence] = []
    undecided = False
    for series in by_marker.values():
        series.sort(key=lambda f: (f.date, f.instant))
        last = series[-n:]
        if len(last) < n:
            continue
        vals = []
        for f in last:
            assert f.quantity is not None and f.quantity.unit is not None
            v = units.convert(f.quantity.value, f.quantity.unit, last[0].quantity.unit or "", None)  # type: ignore[union-attr]
            if v is None:
                undecided = True
                break
            vals.append(v)
        else:
            if all(b > a for a, b in itertools.pairwise(vals)):
                ev = tuple(
                    dv.evidence_of(f, f.quantity.value if f.quantity else None, f.quantity.unit if f.quantity else None)
                    for f in last
                )
                return Outcome(Truth.TRUE, f"{n} successive rising results", ev, matched=tuple(last))
            evidence.extend(dv.evidence_of(f, f.quantity.value if f.quantity else None, None) for f in last)
    if undecided:
        return Outcome(Truth.UNKNOWN, "marker results in units that cannot be compared")
    return Outcome(
        Truth.FALSE, f"no marker with {n} successive rising results in {_window_text(lo, hi)}", tuple(evidence)
    )


def age_leaf(d: Age, ctx: Context) -> Outcome:
    birth = ctx.record.birth_date
    if not birth:
        return Outcome(
            Truth.UNKNOWN,
            "birth date not recorded",
            missing=(MissingData("", "Patient.birthDate", (), "any", None),),
        )
    bad = birth_problem(birth, ctx.as_of)
    if bad:
        return Outcome(Truth.UNKNOWN, bad, missing=(MissingData("", "Patient.birthDate (corrected)", (), "any", None),))
    ages = age_range(birth, ctx.as_of)
    if ages is None:
        return Outcome(Truth.UNKNOWN, f"birth date {birth!r} unreadable or after {ctx.as_of}")
    v = Interval(float(ages[0]), float(ages[1]))
    t = _test_interval(v, d.test)
    shown = f"{ages[0]}" if ages[0] == ages[1] else f"{ages[0]}-{ages[1]} (partial birth date)"
    return Outcome(
        t,
        f"age {shown} years on {ctx.as_of} {VERB.get(t, 'cannot decide')} {d.test.text()}",
        (Evidence("Patient/" + ctx.record.patient_id, shown, "a", birth, "age from birthDate"),),
    )


def _test_interval(v: Interval, test: ValueTest) -> Truth:
    if test.kind == "quantity" and test.quantity is not None:
        return satisfies(v, test.comparator, test.quantity.value)
    return in_range(v, test.low.value if test.low else None, test.high.value if test.high else None)


def gender_leaf(d: Gender, ctx: Context) -> Outcome:
    g = ctx.record.gender
    ev = (Evidence("Patient/" + ctx.record.patient_id, g, None, None, "administrative gender"),)
    if g in ("male", "female"):
        return Outcome(Truth.of(g in d.codes), f"gender {g}", ev)
    return Outcome(
        Truth.UNKNOWN,
        f"gender {g or 'not recorded'}",
        ev,
        missing=(MissingData("", "Patient.gender", (), "any", None),),
    )


def _count_ok(n: float, t: CountTest) -> Truth:
    if t.value is not None:
        return satisfies(Interval.point(n), t.comparator, t.value)
    return in_range(Interval.point(n), t.low, t.high)


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


def records_leaf(d: Records, c: Criterion, ctx: Context, windows: tuple[Window, ...]) -> Outcome:
    rec = ctx.record
    what = LABEL
    lo, hi, err = window_bounds(windows, ctx, None)
    if err:
        return Outcome(Truth.UNKNOWN, err)
    u = rec.unavailable_for(list(d.resource_types), d.codes)
    if u is not None:
        return Outcome(Truth.UNKNOWN, f"data unavailable: {u.reason}", missing=(_missing(ctx, what, d.codes, lo, hi),))
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
        if f.start and f.start > ctx.as_of:
            continue
        definite.append(f)
    if not d.methods.isdisjoint(medication.FORM_METHODS):  # long- / short-acting / undecided medication records only
        definite = medication.of_form(definite, d.methods)
    if "first-course" in d.methods or "after-first-course" in d.methods:
        uncertain += [f for f in definite if f.date is None]  # an undated cycle cannot be placed in a course
        days = [f.date for f in definite if f.date]
        split = dv.courses([x for x in days if x is not None], ctx.settings.course_gap_days)
        first = set(split[0]) if split else set()
        if "first-course" in d.methods:
            definite = [f for f in definite if f.date in first]
        else:
            last_first = max(first) if first else None
            definite = [f for f in definite if f.date and last_first and f.date > last_first]
    placed = []
    for f in definite:
        inside = _in(f, lo, hi)
        if inside:
            placed.append(f)
        elif inside is None and (lo != DATE_MIN or hi != ctx.as_of):
            uncertain.append(f)
        elif inside is None:
            placed.append(f)
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
    window = "" if (lo == DATE_MIN and hi == ctx.as_of) else f" in {_window_text(lo, hi)}"
    if d.instances is not None:
        # records are counted by day (an administration and its procedure are one cycle); an undated one
        # may be another cycle or the same: it can only make the count uncertain
        n = len({f.date for f in placed if f.date})
        uncertain += [f for f in placed if f.date is None]
        t = _count_ok(n, d.instances)
        if uncertain and t is not _count_ok(n + len(uncertain), d.instances):
            return Outcome(
                Truth.UNKNOWN,
                f"{n} found{window}, {len(uncertain)} more undated or unconfirmed",
                ev,
                matched=tuple(placed),
            )
        return Outcome(t, f"{n} found{window} (required {d.instances.text()})", ev, matched=tuple(placed))
    if d.duration is not None:
        covered = _covered_days(placed, ctx.as_of)
        t = _count_ok(covered, d.duration)
        return Outcome(
            t, f"{covered} days of exposure{window} (required {d.duration.text()})", ev, matched=tuple(placed)
        )
    if placed:
        return Outcome(Truth.TRUE, f"recorded{window}", ev, matched=tuple(placed))
    if uncertain:
        return Outcome(
            Truth.UNKNOWN,
            f"only unconfirmed or undated records{window}",
            tuple(Evidence(f.ref, None, None, f.date.isoformat() if f.date else None) for f in uncertain),
            missing=(_missing(ctx, what + " (confirmation)", d.codes, lo, hi),),
        )
    if OPEN_WORLD in d.methods:  # a study the screening visit would produce: absent = to collect (§0.14)
        return Outcome(
            Truth.UNKNOWN, f"none recorded{window}: to collect", missing=(_missing(ctx, what, d.codes, lo, hi),)
        )
    return Outcome(Truth.FALSE, f"none recorded{window}")


def manual_leaf(c: Criterion, ctx: Context, parity: int) -> Outcome:
    if ctx.settings.assume_attested:
        attested = Truth.TRUE if parity % 2 == 0 else Truth.FALSE
        return Outcome(attested, "attested (assumed by --assume-attested)", attested=True)
    return Outcome(Truth.MANUAL, "requires attestation by a person")


# ---- derived values ----------------------------------------------------------------------------


def _latest(ctx: Context, codes: frozenset[tuple[str, str]], lo: dt.date, hi: dt.date) -> Fact | None:
    inside = [f for f in ctx.record.facts(["Observation"], codes) if _in(f, lo, hi) and f.quantity is not None]
    if not inside:
        return None
    return max(inside, key=lambda f: (f.date, f.instant, f.issued, f.ref))


def _sex(ctx: Context) -> str | None:
    g = ctx.record.gender
    return g if g in ("male", "female") else None


def derived_value(d: Derived, ctx: Context, lo: dt.date, hi: dt.date) -> dv.DerivedValue:
    unit = dv.UNITS.get(d.concept)
    if d.concept in ("creatinine-clearance", "egfr-mdrd", "egfr-ckd-epi-2021"):
        reported_codes = {
            "creatinine-clearance": dv.CRCL_MEASURED,
            "egfr-mdrd": dv.EGFR_MDRD,
            "egfr-ckd-epi-2021": dv.EGFR_CKDEPI_2021,
        }[d.concept]
        for codes in [reported_codes, dv.CRCL_CG_REPORTED] if d.concept == "creatinine-clearance" else [reported_codes]:
            f = _latest(ctx, codes, lo, hi)
            if f is not None and f.quantity is not None:
                src_unit = f.quantity.unit or ""
                # Synthea and some labs label indexed eGFR as plain mL/min: the LOINC code says it is indexed.
                if d.concept != "creatinine-clearance" and src_unit == "mL/min":
                    src_unit = "mL/min/{1.73_m2}"
                v = (
                    units.convert(f.quantity.value, src_unit, unit or "", None)
                    if src_unit != unit
                    else f.quantity.value
                )
                if v is None:
                    return dv.DerivedValue(
                        None, unit, (), f"reported value in {f.quantity.original_unit!r} not convertible"
                    )
                return dv.DerivedValue(
                    Interval.of(v, f.quantity.comparator),
                    unit,
                    (dv.evidence_of(f, f.quantity.value, f.quantity.unit),),
                    "reported by the laboratory",
                )
        scr = _latest(ctx, dv.SCR, lo, hi)
        if scr is None:
            return dv.DerivedValue(None, unit, (), f"no serum creatinine in {_window_text(lo, hi)}")
        scr_mg = dv.quantity_in(scr, "mg/dL", "creatinine")
        if scr_mg is None or scr_mg <= 0:
            return dv.DerivedValue(None, unit, (), "serum creatinine unit not convertible to mg/dL")
        birth = ctx.record.birth_date
        ages = age_range(birth, ctx.as_of) if birth and not birth_problem(birth, ctx.as_of) else None
        sex = _sex(ctx)
        if ages is None or sex is None:
            return dv.DerivedValue(None, unit, (), "age and sex (male/female) are needed for the formula")
        ev = [
            dv.evidence_of(
                scr, scr.quantity.value if scr.quantity else None, scr.quantity.unit if scr.quantity else None
            ),
            Evidence(
                "Patient/" + ctx.record.patient_id,
                f"{ages[0]}" if ages[0] == ages[1] else f"{ages[0]}-{ages[1]}",
                "a",
                None,
                f"age, sex {sex}",
            ),
        ]
        if d.concept == "creatinine-clearance":
            w = _latest(ctx, dv.WEIGHT, lo, hi) or _latest(ctx, dv.WEIGHT, ctx.as_of - dt.timedelta(days=90), hi)
            if w is None:
                return dv.DerivedValue(None, unit, tuple(ev), "no body weight for Cockcroft-Gault")
            kg = dv.quantity_in(w, "kg", None)
            if kg is None:
                return dv.DerivedValue(None, unit, tuple(ev), "body weight unit not convertible to kg")
            ev.append(
                dv.evidence_of(w, w.quantity.value if w.quantity else None, w.quantity.unit if w.quantity else None)
            )
            return dv.DerivedValue(
                dv.cockcroft_gault(scr_mg, kg, ages, sex),
                unit,
                tuple(ev),
                "Cockcroft-Gault from serum creatinine, weight, age and sex",
            )
        if d.concept == "egfr-mdrd":
            return dv.DerivedValue(
                dv.mdrd(scr_mg, ages, sex),
                unit,
                tuple(ev),
                "MDRD-IDMS (175) from serum creatinine; race unknown, both factors",
            )
        return dv.DerivedValue(
            dv.ckd_epi_2021(scr_mg, ages, sex), unit, tuple(ev), "CKD-EPI 2021 from serum creatinine"
        )
    if d.concept in dv.ACTIVITY:
        facts = [
            f for f in ctx.record.facts(["MedicationAdministration"], d.input_codes) if f.date and f.date <= ctx.as_of
        ]
        if not facts:
            if d.concept == "minimum-activity":  # no dose at all: nothing was reduced, nor given
                return dv.DerivedValue(None, unit, (), "no administrations recorded")
            return dv.DerivedValue(Interval.point(0.0), unit, (), "no administrations recorded")
        days = [f.date for f in facts if f.date]
        if "first-course" in d.methods:
            first = set(dv.courses([x for x in days if x], ctx.settings.course_gap_days)[0])
            facts = [f for f in facts if f.date in first]
        doses: list[tuple[dt.date, float]] = []
        ev2: list[Evidence] = []
        seen_days: set[dt.date] = set()
        for f in sorted(facts, key=lambda f: (f.date, f.ref)):
            assert f.date is not None
            if f.date in seen_days:
                continue
            mbq = dv.quantity_in(f, "MBq", None)
            if mbq is None:
                return dv.DerivedValue(None, unit, tuple(ev2), f"{f.ref}: dose missing or not an activity")
            seen_days.add(f.date)
            doses.append((f.date, mbq))
            ev2.append(
                dv.evidence_of(f, f.quantity.value if f.quantity else None, f.quantity.unit if f.quantity else None)
            )
        if d.concept == "minimum-activity":
            smallest = min(v for _d, v in doses)
            return dv.DerivedValue(Interval.point(smallest), unit, tuple(ev2), f"smallest of {len(doses)} doses")
        total = dv.max_window_sum(doses, 364) if "max-364-days" in d.methods else sum(v for _d, v in doses)
        how = "largest 364-day total" if "max-364-days" in d.methods else "total"
        return dv.DerivedValue(Interval.point(total), unit, tuple(ev2), f"{how} of {len(doses)} administrations")
    if d.concept == "child-pugh":
        b, a, i = (_latest(ctx, codes, lo, hi) for codes in (dv.BILIRUBIN, dv.ALBUMIN, dv.INR))
        if b is None or a is None or i is None:
            return dv.DerivedValue(None, None, (), "bilirubin, albumin and INR are needed")
        bm, am = dv.quantity_in(b, "mg/dL", "bilirubin"), dv.quantity_in(a, "g/dL", None)
        iv = i.quantity.value if i.quantity else None
        if bm is None or am is None or iv is None:
            return dv.DerivedValue(None, None, (), "bilirubin/albumin units not convertible")
        pts = dv.child_pugh_points(bm, am, iv)
        ev3 = tuple(
            dv.evidence_of(f, f.quantity.value if f.quantity else None, f.quantity.unit if f.quantity else None)
            for f in (b, a, i)
        )
        return dv.DerivedValue(
            Interval(pts + 2, pts + 6),
            None,
            ev3,
            f"{pts} points from labs; ascites and encephalopathy add 2-6",
            judgement_only=True,
        )
    return dv.DerivedValue(None, unit, (), f"derived value {d.concept!r} not implemented")


def derived_leaf(d: Derived, c: Criterion, ctx: Context, windows: tuple[Window, ...]) -> Outcome:
    default = None if d.concept in dv.ACTIVITY else ctx.settings.default_lookback_days
    lo, hi, err = window_bounds(windows, ctx, default)
    if err:
        return Outcome(Truth.UNKNOWN, err)
    kinds = ["MedicationAdministration"] if d.concept in dv.ACTIVITY else ["Observation"]  # what it reads
    u = ctx.record.unavailable_for(kinds, dv.INPUTS.get(d.concept) or d.input_codes)
    value = derived_value(d, ctx, lo, hi)
    if value.value is None:
        reason = f"data unavailable: {u.reason}" if u else value.reason
        codes = dv.INPUTS.get(d.concept) or d.input_codes
        return Outcome(
            Truth.UNKNOWN,
            f"{d.concept}: {reason}",
            value.evidence,
            missing=(_missing(ctx, d.concept.replace("-", " "), codes, lo, hi),),
        )
    v = value.value
    target = next((t.unit for t in (d.test.quantity, d.test.low, d.test.high) if t is not None), None)
    if target and value.unit and target != value.unit:
        f = units.convert(1.0, value.unit, target, None)
        if f is None:
            return Outcome(Truth.UNKNOWN, f"{d.concept} in {value.unit} not comparable with {target}", value.evidence)
        v = v.scale(f)
    t = _test_interval(v, d.test)
    if t is Truth.UNKNOWN and value.judgement_only:
        t = Truth.REVIEW
    shown = f"{v.text()} {target or value.unit or ''}".strip()
    return Outcome(
        t,
        f"{d.concept} {shown} ({value.reason}) vs {d.test.text()}",
        (
            *value.evidence,
            Evidence(
                None, round(v.lo, 2) if v.lo == v.hi else v.text(), target or value.unit, None, f"derived {d.concept}"
            ),
        ),
    )


# ---- tree ---------------------------------------------------------------------------------------


def _with_label(k: Criterion, o: Outcome) -> str:
    return o.reason if isinstance(k.definition, Combination) else f"{_label(k)}: {o.reason}"


def _combination_reason(d: Combination, t: Truth, kids: tuple[tuple[Criterion, Outcome], ...]) -> str:
    """Cite the children that decided the combination (or keep it undecided), not all of them."""
    deciding = [(k, o) for k, o in kids if o.truth is t]
    if t is Truth.TRUE and d.code == "all-of":
        return f"all {len(kids)} conditions met"
    if t is Truth.FALSE and d.code == "any-of":
        return "none of: " + "; ".join(_with_label(k, o) for k, o in kids[:4]) + ("; ..." if len(kids) > 4 else "")
    parts = [("not: " if k.exclude else "") + _with_label(k, o) for k, o in deciding[:3]]
    more = f" (+{len(deciding) - 3} more)" if len(deciding) > 3 else ""
    prefix = f"{d.code} {d.threshold}: " if d.threshold is not None else ""
    return prefix + "; ".join(parts) + more


_STOP = {"all-of": Truth.FALSE, "any-of": Truth.TRUE}


def _combined(d: Combination, truths: list[Truth]) -> Truth:
    if d.code == "all-of":
        return logic.all_of(truths)
    if d.code == "any-of":
        return logic.any_of(truths)
    if d.code == "at-least":
        return logic.at_least(d.threshold or 0, truths)
    return logic.at_most(d.threshold or 0, truths)


def _combine_short(
    c: Criterion, d: Combination, ctx: Context, parity_here: int, windows: tuple[Window, ...]
) -> Outcome:
    """``explain=False``: the truth and what-to-collect only, stopping once the children decide it (Kleene).

    What a decided combination would collect is never read (parents collect from undecided children
    only), so stopping loses nothing, except where a judgement turns an any-of's TRUE into REVIEW:
    that one is evaluated whole. Children, matched records and attestation flags are not gathered;
    event anchors are evaluated in full mode.
    """
    stop = _STOP.get(d.code) if not (c.judgement and d.code == "any-of") else None
    truths: list[Truth] = []
    missing: list[MissingData] = []
    for k in d.children:
        o = evaluate_node(k, ctx, parity_here, windows)
        if o.truth is stop:
            return Outcome(stop, d.code)
        truths.append(o.truth)
        if o.missing and not o.truth.decided:
            missing.extend(o.missing)
    return Outcome(_combined(d, truths), d.code, missing=tuple(missing))


def evaluate_node(c: Criterion, ctx: Context, parity: int, inherited: tuple[Window, ...]) -> Outcome:
    """Match of the characteristic (judgement and exclude applied); parity = excludes above it.

    A subtree that reads none of the patient's records (see :mod:`.footprint`) has the outcome it
    has on an empty record: that outcome is computed once per date and settings, then shared.
    """
    windows = c.windows or inherited
    shared = ctx.shared
    if shared is not None:
        fp = ctx.index.footprint(c)
        # gender/age-gated subtrees are shared per (gender, age), in short-circuit mode only (no evidence there)
        if (
            fp is not None
            and (not fp.demographics or ctx.demographics is not None)
            and fp.keys.isdisjoint(ctx.record.present)
            and ctx.index.plain(windows)
        ):
            demo = ctx.demographics if fp.demographics else None
            key = (id(c), id(windows), parity % 2 + (2 if ctx.short_circuit else 0), demo)
            hit = shared.outcomes.get(key)
            if hit is not None and hit[0] is c and hit[1] is windows:
                return hit[2]
            out = _evaluate_node(c, ctx, parity, windows)
            shared.outcomes[key] = (c, windows, out)
            return out
    return _evaluate_node(c, ctx, parity, windows)


def _evaluate_node(c: Criterion, ctx: Context, parity: int, windows: tuple[Window, ...]) -> Outcome:
    parity_here = parity + (1 if c.exclude else 0)
    d = c.definition
    out: Outcome
    if isinstance(d, Combination) and ctx.short_circuit:
        out = _combine_short(c, d, ctx, parity_here, windows)
    elif isinstance(d, Combination):
        kid_list: list[tuple[Criterion, Outcome]] = []
        truths: list[Truth] = []
        matched: list[Fact] = []
        missing: list[MissingData] = []
        series: list[Series] = []
        attested = False
        for k in d.children:  # one pass collecting everything
            o = evaluate_node(k, ctx, parity_here, windows)
            kid_list.append((k, o))
            truths.append(o.truth)
            if o.matched:
                matched.extend(o.matched)
            if o.missing and not o.truth.decided:
                missing.extend(o.missing)
            if o.series:
                series.extend(o.series)
            attested = attested or o.attested
        kids = tuple(kid_list)
        t = _combined(d, truths)
        reason = _combination_reason(d, t, kids) if ctx.settings.explain else d.code
        out = Outcome(t, reason, (), kids, tuple(matched), tuple(missing), attested, tuple(series))
    else:
        # Leaves repeat across trials (Hb in 28 days, age, pregnancy tests...): evaluate each once per patient.
        # by identity: load_trials interns equal definitions and windows across trials
        memo = ctx.memo
        key = (id(d), id(windows), parity_here % 2)
        cached = memo.get(key) if memo is not None else None
        if cached is None:
            cached = _leaf(c, d, ctx, parity_here, windows)
            if memo is not None and all(w.anchor == "study-start" for w in windows):
                memo[key] = cached
        out = _labelled(cached, c)
    if c.judgement and out.truth is Truth.TRUE:
        why = "; ".join(_with_label(k, o) for k, o in out.children[:3]) if out.children else out.reason  # the values
        out = _with_truth(out, Truth.REVIEW, f"needs clinical judgement: {why}")
    if ctx.answers and (out.truth is Truth.MANUAL or out.truth is Truth.REVIEW or out.attested):
        out = _answered(c, out, ctx)
    if c.exclude:
        out = _with_truth(out, logic.negate(out.truth), out.reason)
    return out


_LABELS: dict[int, tuple[Criterion, str]] = {}


def _label(c: Criterion) -> str:
    """Short display name of a criterion (computed once per criterion; criteria are immutable)."""
    hit = _LABELS.get(id(c))
    if hit is None or hit[0] is not c:
        label = getattr(c.definition, "label", "") or c.description or c.id
        hit = (c, textwrap.shorten(label, 90, placeholder="…"))  # whole words
        _LABELS[id(c)] = hit
    return hit[1]


def _labelled(o: Outcome, c: Criterion) -> Outcome:
    """Leaf outcomes are shared between criteria: name this criterion in what to collect."""
    if not o.missing:
        return o
    label = _label(c)
    missing = tuple(
        MissingData(m.criterion, m.what.replace(LABEL, label), m.codes, m.window, m.latest_useful)
        if LABEL in m.what
        else m
        for m in o.missing
    )
    return Outcome(o.truth, o.reason, o.evidence, o.children, o.matched, missing, o.attested, o.series, o.attestation)


def _leaf(c: Criterion, d: Definition, ctx: Context, parity_here: int, windows: tuple[Window, ...]) -> Outcome:
    out: Outcome
    if isinstance(d, ObservationValue):
        out = observation_leaf(d, c, ctx, parity_here, windows)
    elif isinstance(d, Records):
        out = records_leaf(d, c, ctx, windows)
    elif isinstance(d, Age):
        out = age_leaf(d, ctx)
    elif isinstance(d, Gender):
        out = gender_leaf(d, ctx)
    elif isinstance(d, Derived):
        out = derived_leaf(d, c, ctx, windows)
    elif isinstance(d, Manual):
        out = manual_leaf(c, ctx, parity_here)
    elif isinstance(d, Expression):
        t, reason = evaluate_expression(d, ctx.record, ctx.as_of)
        out = Outcome(t, reason)
    elif isinstance(d, Unsupported):
        out = Outcome(Truth.UNKNOWN, f"form not interpretable: {d.reason}")
    else:  # pragma: no cover - exhaustive over Definition
        out = Outcome(Truth.UNKNOWN, "form not interpretable")
    return out


def _with_truth(o: Outcome, truth: Truth, reason: str) -> Outcome:
    """A copy with another truth (cheaper than dataclasses.replace on this hot path)."""
    return Outcome(truth, reason, o.evidence, o.children, o.matched, o.missing, o.attested, o.series, o.attestation)


def _answered(c: Criterion, o: Outcome, ctx: Context) -> Outcome:
    """A person's answer to this criterion's item decides it (replacing a --assume-attested what-if)."""
    decided = attestation.decide(c, o.truth, o.reason, o.evidence, ctx.answers or {}, ctx.record)
    if decided is None:
        return o
    t, reason, evidence, att = decided
    if att is None:
        return Outcome(o.truth, reason, evidence, o.children, o.matched, o.missing, o.attested, o.series)
    return Outcome(t, reason, evidence, o.children, o.matched, (), False, o.series, att)


# keyed by the Truth's value: hashing an Enum member runs Python code, hashing its str value does not
RESULT_OF = {
    Truth.TRUE.value: Result.PASS,
    Truth.FALSE.value: Result.FAIL,
    Truth.UNKNOWN.value: Result.UNKNOWN,
    Truth.REVIEW.value: Result.REVIEW,
    Truth.MANUAL.value: Result.MANUAL,
}


def _to_result(c: Criterion, o: Outcome, kind: str, explain: bool, top: bool = True) -> CriterionResult:
    children = tuple(_to_result(k, ko, kind, explain, top=False) for k, ko in o.children) if explain else ()
    return CriterionResult(
        id=c.id,
        type=kind,
        description=c.description,
        result=RESULT_OF[o.truth._value_],
        reason=o.reason,
        evidence=o.evidence,
        children=children,
        attested=o.attested,
        series=o.series,
        negated=c.exclude and not top,
        attestation=o.attestation or next((k.attestation for k in children if k.attestation), None),
    )


def verdict_of(results: list[Result]) -> Verdict:
    if Result.FAIL in results:
        return Verdict.INELIGIBLE
    if Result.UNKNOWN in results:
        return Verdict.UNDETERMINED
    if Result.MANUAL in results or Result.REVIEW in results:
        return Verdict.NEEDS_REVIEW
    return Verdict.ELIGIBLE


def _top_result(c: Criterion, o: Outcome, explain: bool) -> tuple[CriterionResult, tuple[MissingData, ...]]:
    """A top-level criterion's result and, when it is unknown, what to collect (named by the criterion)."""
    result = _to_result(c, o, "exclusion" if c.exclude else "inclusion", explain)
    if o.truth is not Truth.UNKNOWN:
        return result, ()
    wanted: list[MissingData] = []
    for m in o.missing:
        m = MissingData(c.id, m.what, m.codes, m.window, m.latest_useful)
        if m not in wanted:
            wanted.append(m)
    return result, tuple(wanted)


_INDEXES: dict[int, TrialIndex] = {}


def _same_for_all(fp: Footprint | None) -> frozenset[Key] | None:
    return None if fp is None or fp.demographics else fp.keys


def trial_index(trial: Trial) -> TrialIndex:
    """The trial's index, built on first use (kept for the process: trials are few and immutable)."""
    hit = _INDEXES.get(id(trial))
    if hit is None or hit.trial is not trial:
        nodes = [n for top in trial.criteria for n in top.walk()]
        plain = {id(n.windows): all(w.anchor == "study-start" for w in n.windows) for n in nodes}
        hit = TrialIndex(
            trial,
            {n.id: n for n in nodes},
            tuple((c, _same_for_all(footprint(c))) for c in trial.criteria),
            {id(n): footprint(n) for n in nodes},
            {**plain, id(()): True},
        )
        _INDEXES[id(trial)] = hit
    return hit


def evaluate_trial(
    trial: Trial,
    record: PatientRecord,
    as_of: dt.date,
    settings: Settings = Settings(),
    memo: dict[tuple[int, int, int], Outcome] | None = None,
) -> TrialResult:
    """``memo``: one dict per patient, passed to each of its trials, so shared leaves run once.
    Plot series name their criterion, so they are never shared."""
    vital = vital_result(record.patient, as_of)
    if vital is not None and vital.result is Result.FAIL:  # dead: one decisive reason, nothing to collect
        return TrialResult(
            f"Patient/{record.patient_id}",
            trial.id,
            trial.title,
            Verdict.INELIGIBLE,
            (vital,),
            (),
            settings.assume_attested,
        )
    index = trial_index(trial)
    answers = attestation.answers_for(record, trial, as_of, settings.attestation_validity_days)
    ctx = Context(
        record,
        as_of,
        settings,
        index,
        memo=None if settings.collect_series else memo,
        shared=None if record.unavailable or answers else shared_outcomes(as_of, settings),
        short_circuit=not settings.explain and not settings.collect_series,
        answers=answers,
    )
    if ctx.short_circuit and ctx.shared is not None:
        ctx.demographics = demographics(record, as_of)
    results: list[CriterionResult] = [vital] if vital is not None else []
    missing: list[MissingData] = []  # no duplicates: each top-level criterion's are distinct and name it
    shared, present = ctx.shared, record.present
    for c, keys in index.tops:
        if shared is not None and keys is not None and keys.isdisjoint(present):  # common: no data at all
            top = shared.tops.get(id(c))
            if top is None or top[0] is not c:
                top = (c, *_top_result(c, evaluate_node(c, ctx, 0, ()), settings.explain))
                shared.tops[id(c)] = top
            results.append(top[1])
            missing.extend(top[2])
            continue
        result, wanted = _top_result(c, evaluate_node(c, ctx, 0, ()), settings.explain)
        results.append(result)
        missing.extend(wanted)
    verdict = verdict_of([r.result for r in results])
    return TrialResult(
        patient=f"Patient/{record.patient_id}",
        trial=trial.id,
        title=trial.title,
        verdict=verdict,
        criteria=tuple(results),
        missing_data=() if verdict is Verdict.INELIGIBLE else tuple(missing),  # collecting cannot change it
        assumed_attested=settings.assume_attested,
    )


__all__ = ["Compared", "Outcome", "Settings", "evaluate_trial", "verdict_of"]
