"""When: the dates a patient's verdict for a trial changes if the record stays as it is (issue 16).

Why exact and not sampled: the evaluation is pure in its as-of date, and a criterion's truth can
only change on a day where something it reads crosses a window bound. Those days are derived here
from the criteria's windows and the record's own dates (each fact's start and end against each
window bound, each anchor event's date plus its windows' offsets, the day exposure still running
reaches a duration threshold, found by evaluating that leaf day by day: it depends on every period
before it and, in months, on the calendar), plus birthdays (ages), attestation expiry (authored +
validity) and the date of death. Each top-level criterion is re-evaluated by the unchanged engine
on its own such days, in order; between two of them its result is the one of the earlier. Not
covered: FHIRPath expressions that read the clock themselves (they are evaluated on the pinned
as-of date, but their own breakpoints are unknown).

Cost: a re-evaluation first asks for the bare truth (the compiled program's, :class:`Steps`, or the
tree walk without explanations) and explains only a criterion whose result changed. On a
screening (no explanations) only what can answer the two dates is evaluated: a patient held back
by a criterion no date can change is settled without any re-evaluation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import (
    Age,
    Combination,
    Criterion,
    Derived,
    Expression,
    Records,
    TimeOffset,
    Trial,
    Window,
)
from fhir_eligibility.evaluation.compiled import CompiledTrial
from fhir_eligibility.evaluation.context import Outcome
from fhir_eligibility.evaluation.dates import last_day, parse_date
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial, verdict_of
from fhir_eligibility.evaluation.forms.records import read_types, records_truth, statement_on_a_day
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.program import Program, Run
from fhir_eligibility.evaluation.results import Change, CriterionResult, Result, TrialResult, Verdict, When
from fhir_eligibility.evaluation.trial import RESULT_OF
from fhir_eligibility.evaluation.validity import date_problem
from fhir_eligibility.evaluation.vital import VITAL_ID, vital_result
from fhir_eligibility.evaluation.windows import bounds_with
from fhir_eligibility.measures.timing import shift
from fhir_eligibility.requirements.plan import leaf_needs
from fhir_eligibility.shorten import shorten

DAY = dt.timedelta(days=1)
RANK = {Verdict.INELIGIBLE: 0, Verdict.UNDETERMINED: 1, Verdict.NEEDS_REVIEW: 2, Verdict.ELIGIBLE: 3}
GOOD = RANK[Verdict.NEEDS_REVIEW]  # eligible, or only a person's judgement or attestation outstanding
APPROX_DAYS = {"wk": 7.0, "mo": 30.44, "a": 365.25, "h": 1 / 24, "min": 1 / 1440, "s": 1 / 86400}
TEXT_MAX = 160
Memo = dict[tuple[int, int, int], Outcome]  # one day's leaf outcomes of a patient (evaluate_trial's memo)
SLACK = dt.timedelta(days=10)  # > the error of ~30.44 days a month over any protocol window


@lru_cache(maxsize=65536)
def first_reaching(y: dt.date, off: TimeOffset) -> dt.date | None:
    """The first as-of date t whose bound ``shift(t, off)`` is on or after ``y`` (shift never decreases in t)."""
    try:
        t = y - dt.timedelta(days=_approx(off))
        while shift(t, off) >= y:
            t -= DAY
        while shift(t, off) < y:
            t += DAY
        return t
    except OverflowError:
        return None


def _approx(off: TimeOffset) -> int:
    return round(off.value * APPROX_DAYS.get(off.unit, 1.0))


@dataclass(frozen=True)
class Reads:
    """What one top-level criterion's dates come from (fixed per trial): computed once, reused per patient."""

    needs: tuple[tuple[str, frozenset[Code]], ...]  # (resource type, codes) its subtree and anchor events read
    plain: tuple[tuple[TimeOffset, int], ...]  # offsets of windows relative to the as-of date, ~days
    event: tuple[TimeOffset, ...]  # offsets of windows relative to another criterion's event
    durations: tuple[tuple[Records, tuple[Window, ...]], ...]  # exposure-duration leaves and their windows
    ages: bool  # an age (or a formula using it, or a FHIRPath expression) is read


def _nodes(c: Criterion, compiled: CompiledTrial) -> list[tuple[Criterion, tuple[Window, ...]]]:
    """The criterion's subtree plus the events its windows are relative to (and theirs), each node
    with the windows it is evaluated in (its own, else its parent's: :func:`.combination.evaluate_node`)."""
    by_link = compiled.by_link
    out: list[tuple[Criterion, tuple[Window, ...]]] = []
    todo: list[tuple[Criterion, tuple[Window, ...]]] = [(c, ())]
    seen = {id(c)}
    while todo:
        node, inherited = todo.pop()
        windows = node.windows or inherited
        out.append((node, windows))
        for w in node.windows:
            event = by_link.get(w.anchor) if w.anchor != "study-start" else None
            if event is not None and id(event) not in seen:
                seen.add(id(event))
                todo.append((event, ()))  # an anchor is evaluated on its own (windows.anchor_date)
        if isinstance(node.definition, Combination):
            todo.extend((k, windows) for k in reversed(node.definition.children))
    return out


def reads_of(c: Criterion, compiled: CompiledTrial, lookback: int) -> Reads:
    """What a top-level criterion's breakpoints come from (kept by the compiled trial, per look-back)."""
    walked = _nodes(c, compiled)
    nodes = [n for n, _w in walked]
    needs = {(t, codes) for n in nodes for t, codes, _since in leaf_needs(n, (), None, 0) if t != "Patient"}
    plain = {TimeOffset(0, "d"), TimeOffset(-lookback, "d"), TimeOffset(-90, "d")}  # default and weight windows
    event: set[TimeOffset] = set()
    durations: dict[tuple[Records, tuple[Window, ...]], None] = {}
    for n, windows in walked:
        for w in n.windows:
            (plain if w.anchor == "study-start" else event).update(o for o in (w.low, w.high) if o is not None)
        d = n.definition
        if isinstance(d, Records) and d.duration is not None:
            durations[(d, windows)] = None
    ages = any(isinstance(n.definition, (Age, Derived, Expression)) for n in nodes)
    return Reads(tuple(needs), tuple((o, _approx(o)) for o in plain), tuple(event), tuple(durations), ages)


def criterion_dates(
    reads: Reads, record: PatientRecord, as_of: dt.date, end: dt.date, gap_days: int = 182
) -> set[dt.date]:
    """Days in (as_of, end] on which a criterion's result may differ from the day before
    (``gap_days``: the settings' course gap, which exposure leaves of a first course read)."""
    days: set[dt.date] = set()
    for rtype, codes in reads.needs:
        for f in record.facts([rtype], codes):
            days.update(d for d in (f.start, f.end, f.last, f.ends_by) if d is not None)
            if f.end is not None and len(f.instant) in (4, 7):  # an end "2026-05" may be any day to its last
                days.add(f.end_last)
    lo, hi = as_of - SLACK, end + SLACK  # months and years are ~days: a margin, then exact arithmetic
    out: set[dt.date] = set()
    for x in days:
        try:
            _breakpoints(x, reads, lo, hi, out)
        except OverflowError:  # a day near the calendar's end (year 9998): no change within any horizon
            continue
    for d, windows in reads.durations:
        out |= _exposure_dates(d, windows, record, as_of, end, gap_days)
    return {d for d in out if as_of < d <= end}


def _exposure_dates(
    d: Records, windows: tuple[Window, ...], record: PatientRecord, as_of: dt.date, end: dt.date, gap_days: int
) -> set[dt.date]:
    """The days in (as_of, end] on which an exposure-duration leaf's truth changes: exposure still
    running (a statement or administration under way, a stop not recorded) grows by a day a day, and
    reaches the threshold on a day that depends on every period before it (20 days last year and 12
    since 05-25 pass "31 days" on 06-05, not 31 days after any record's date) and, in months, on the
    calendar. Found by evaluating the leaf on each day, as the verdict does; only for a record with
    such a running period (else the total changes only when a record's date meets a window bound,
    which are breakpoints already) and windows relative to the study start (an event's date is the
    other criteria's: then the days the threshold is reached from each record's date stand in)."""
    facts = record.facts(d.resource_types, d.codes)
    if not any(f.ongoing or f.open_end or statement_on_a_day(f) for f in facts) or record.unavailable_for(
        read_types(d), d.codes
    ):
        return set()
    assert d.duration is not None
    if any(w.anchor != "study-start" for w in windows):
        out: set[dt.date] = set()
        for f in facts:
            for x in (f.start, f.end):
                for v in (d.duration.value, d.duration.low, d.duration.high):
                    if x is not None and v is not None:
                        b = shift(x, TimeOffset(v, d.duration.unit or "d"))
                        out.update((b - DAY - DAY, b - DAY, b, b + DAY))
        return out
    out = set()
    day, before = as_of, None
    while day <= end:
        lo, hi, _err = bounds_with(windows, day, None, _no_event)
        now = records_truth(d, record, day, gap_days, lo, hi)
        if before is not None and now is not before:
            out.add(day)
        day, before = day + DAY, now
    return out


def _no_event(_link: str) -> dt.date | None:
    return None


def _breakpoints(x: dt.date, reads: Reads, lo: dt.date, hi: dt.date, out: set[dt.date]) -> None:
    """The days a record's date ``x`` may change a criterion's result on (added to ``out``)."""
    for o, approx in reads.plain:  # the window [t+low, t+high] reaches or leaves x (inclusive or strict)
        if lo <= x - dt.timedelta(days=approx) <= hi:
            out.update(t for t in (first_reaching(x, o), first_reaching(x + DAY, o)) if t is not None)
    for o in reads.event:  # a bound fixed by an anchor event on x, met by the as-of date
        b = shift(x, o)
        if lo <= b <= hi:
            out.update((b - DAY, b, b + DAY))


def _birthdays(birth: str | None, start: dt.date, end: dt.date) -> set[dt.date]:
    """Days an age in full years may change (both ends of a partial birth date; 29 Feb counts from 1 Mar)."""
    first = parse_date(birth)
    if first is None or birth is None:
        return set()
    ends = {(first.month, first.day)}
    if len(birth) == 4:
        ends.add((12, 31))
    elif len(birth) == 7:
        ends.add((first.month, ((first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - DAY).day))
    out = set()
    for year in range(start.year, end.year + 1):
        for m, d in ends:
            try:
                out.add(dt.date(year, m, d))
            except ValueError:
                out.add(dt.date(year, 3, 1))
    return out


def global_dates(record: PatientRecord, settings: Settings) -> set[dt.date]:
    """Days that may change any criterion: attestations going stale, the date of death."""
    out: set[dt.date] = set()
    for res in record.raw:
        if res.get("resourceType") == "QuestionnaireResponse":
            day = parse_date(res.get("authored"))
            if day is not None and date_problem(day) is None:  # year 9999: never counts, and overflows
                out.update((day, day + dt.timedelta(days=settings.attestation_validity_days + 1)))
                written = last_day(res["authored"])  # a partial date counts from its last day (attestation)
                if written is not None and written != day and date_problem(written) is None:
                    out.add(written)
    died = (record.patient or {}).get("deceasedDateTime")
    out.update(d for d in (parse_date(died), last_day(died) if isinstance(died, str) else None) if d is not None)
    return out


class Later:
    """One patient's timeline work that its trials share, for one as-of date and horizon.

    Why: each trial asks the record the same questions: the days that may change any criterion
    (attestations going stale, the date of death), the birthdays, and a criterion's breakpoints for
    reads that repeat across trials (the same test in the same window; equal reads of trials
    compiled together are one object, see :class:`~.compiled.CompiledTrial`); and a later day's
    re-evaluations read the same leaves (``memos``: per day, the patient's leaf outcomes)."""

    __slots__ = ("_births", "_by_reads", "_common", "as_of", "end", "horizon", "memos", "record", "settings")

    def __init__(self, record: PatientRecord, as_of: dt.date, horizon: int, settings: Settings) -> None:
        self.record = record
        self.as_of = as_of
        self.horizon = horizon
        self.end = as_of + dt.timedelta(days=horizon)
        self.settings = settings
        self.memos: dict[dt.date, Memo] = {}
        self._common: set[dt.date] | None = None
        self._births: set[dt.date] | None = None
        self._by_reads: dict[int, tuple[Reads, set[dt.date]]] = {}

    def fits(self, record: PatientRecord, as_of: dt.date, horizon: int, settings: Settings) -> bool:
        """Made for this record, date and horizon (and the same attestation validity)."""
        return (
            record is self.record
            and as_of == self.as_of
            and horizon == self.horizon
            and settings.attestation_validity_days == self.settings.attestation_validity_days
            and settings.course_gap_days == self.settings.course_gap_days
        )

    def common(self) -> set[dt.date]:
        """The days in (as_of, end] that may change any criterion."""
        if self._common is None:
            self._common = {d for d in global_dates(self.record, self.settings) if self.as_of < d <= self.end}
        return self._common

    def births(self) -> set[dt.date]:
        """The days in (as_of, end] an age may change."""
        if self._births is None:
            days = _birthdays(self.record.birth_date, self.as_of, self.end)
            self._births = {d for d in days if self.as_of < d <= self.end}
        return self._births

    def dates(self, reads: Reads) -> set[dt.date]:
        """:func:`criterion_dates` of ``reads`` (not to be changed by the caller)."""
        hit = self._by_reads.get(id(reads))
        if hit is None or hit[0] is not reads:
            dates = criterion_dates(reads, self.record, self.as_of, self.end, self.settings.course_gap_days)
            hit = self._by_reads[id(reads)] = (reads, dates)
        return hit[1]


def dates_by_criterion(
    compiled: CompiledTrial,
    record: PatientRecord,
    as_of: dt.date,
    horizon: int,
    settings: Settings,
    only: Iterable[str] = (),
    later: Later | None = None,
) -> dict[str, list[dt.date]]:
    """Criterion id -> its breakpoints in (as_of, as_of + horizon], sorted (``only``: just these ids;
    ``later``: the patient's work shared with its other trials)."""
    if later is None or not later.fits(record, as_of, horizon, settings):
        later = Later(record, as_of, horizon, settings)
    wanted = set(only)
    common = later.common()
    out: dict[str, list[dt.date]] = {}
    for cid, reads in compiled.reads(settings.default_lookback_days).items():
        if wanted and cid not in wanted:
            continue
        days = later.dates(reads) | common | (later.births() if reads.ages else set())
        out[cid] = sorted(days)
        if wanted and not days:
            break  # asked for the reasons to refuse: one that never changes answers the question
    out[VITAL_ID] = sorted(common)
    return out


def _results(r: TrialResult) -> dict[str, tuple[Result, str]]:
    return {c.id: (c.result, c.reason) for c in r.criteria}


def _changes(day: dt.date, before: TrialResult, after: TrialResult) -> list[Change]:
    pairs = list(zip(before.criteria, after.criteria, strict=False))
    if len(before.criteria) == len(after.criteria) and all(a is b or a.id == b.id for a, b in pairs):
        # the same criteria (no death or vital status on either day); one kept from ``before`` did not change
        return [
            Change(day, b.id, a.result, b.result, shorten(b.reason, TEXT_MAX))
            for a, b in pairs
            if a is not b and a.result is not b.result
        ]
    was, now = _results(before), _results(after)
    out = []
    for cid in dict.fromkeys([*was, *now]):  # an absent vital-status result is a pass
        if cid not in now and cid != VITAL_ID:  # not evaluated that day (the patient died): no change
            continue
        (a, _), (b, reason) = was.get(cid, (Result.PASS, "")), now.get(cid, (Result.PASS, "alive on this date"))
        if a is not b:
            out.append(Change(day, cid, a, b, shorten(reason, TEXT_MAX)))
    return out


def first_possible(
    compiled: CompiledTrial,
    record: PatientRecord,
    as_of: dt.date,
    horizon: int,
    settings: Settings,
    blocking: list[str],
    later: Later | None = None,
) -> dt.date | None:
    """The first day by which every reason to refuse (the ids ``blocking``) may have changed; None:
    one of them cannot change within the horizon, so the patient stays ineligible or undetermined."""
    held = dates_by_criterion(compiled, record, as_of, horizon, settings, blocking, later)
    if not blocking or any(not held.get(b) for b in blocking):
        return None
    return max(held[b][0] for b in blocking)


class Steps:
    """One patient's later days answered by the compiled program's truths (the timeline's fast path).

    Why: most re-evaluations change nothing, and the program's truth-only closures answer them
    without the explained walk; a day's leaf truths are shared by the patient's trials. Only for a
    record the program answers exactly as the explained walk (:meth:`covers`: screening's rule)."""

    def __init__(self, program: Program, record: PatientRecord) -> None:
        self.program = program
        self.record = record
        self.position = {id(t): i for i, t in enumerate(program.trials)}
        self.runs: dict[dt.date, Run] = {}

    @staticmethod
    def covers(record: PatientRecord, program: Program) -> bool:
        """No unavailable data the program does not answer exactly (:meth:`Program.answers_exactly`)
        and no attestation answers (which the program does not read)."""
        return program.answers_exactly(record) and not any(
            r.get("resourceType") == "QuestionnaireResponse" for r in record.raw
        )

    def results(self, trial: Trial, due: frozenset[str], day: dt.date) -> dict[str, Result] | None:
        """The due top-level criteria's results on ``day`` (None: a trial the program was not compiled for)."""
        i = self.position.get(id(trial))
        if i is None or self.program.trials[i] is not trial:
            return None
        run = self.runs.get(day)
        if run is None:
            run = self.runs[day] = self.program.run(self.record, self.program.batch(day))
        tops = self.program.tops[i]
        return {c.id: RESULT_OF[tops[j](run)._value_] for j, c in enumerate(trial.criteria) if c.id in due}


def _step(
    trial: Trial,
    record: PatientRecord,
    day: dt.date,
    settings: Settings,
    quick: Settings,
    compiled: CompiledTrial,
    before: TrialResult,
    due: frozenset[str],
    memo: Memo,
    steps: Steps | None,
) -> TrialResult:
    """The trial on ``day``, re-evaluating only the criteria with a breakpoint on it (``quick``:
    ``settings`` without explanations or plot series).

    Why: a criterion's result can change only on its own breakpoints (module doc), so the others
    keep ``before``'s; and most re-evaluations change nothing, so they are first answered without
    explanations or plot series (by ``steps``, the compiled program's truths, when it covers the
    record; else by the explained walk with both off, sharing ``memo``, the day's leaf outcomes
    of the patient's trials), and only a criterion whose result changed is evaluated with
    ``settings`` (its reason is the timeline's). Evaluating every criterion explained on every day
    of the union was ~10 explained evaluations per trial and patient, most of a CDS call. The
    result serves the verdict and the changes only: its ``missing_data`` is left empty."""
    kept = {c.id: c for c in before.criteria}
    if len(kept) != len(before.criteria) or any(c.id not in kept for c in trial.criteria):
        return evaluate_trial(trial, record, day, settings, compiled=compiled)  # a death's one result; ids repeated
    vital = vital_result(record.patient, day)
    if vital is not None and vital.result is Result.FAIL:  # dead on this day: its one decisive result
        return evaluate_trial(trial, record, day, settings, compiled=compiled)
    new: dict[str, CriterionResult] = {}
    now = steps.results(trial, due, day) if steps is not None else None
    if now is None:
        fresh = evaluate_trial(trial, record, day, quick, memo, compiled, only=due)
        new = {c.id: c for c in fresh.criteria}
        now = {i: c.result for i, c in new.items()}
    changed = frozenset(c.id for c in trial.criteria if c.id in due and now[c.id] is not kept[c.id].result)
    if changed and (not new or quick != settings):  # leaves do not read ``explain``: the day's memo serves both
        explained = evaluate_trial(trial, record, day, settings, memo, compiled, only=changed)
        new |= {c.id: c for c in explained.criteria}
    merged = ([vital] if vital is not None else []) + [
        new[c.id] if c.id in changed else kept[c.id] for c in trial.criteria
    ]
    verdict = verdict_of([r.result for r in merged])
    return TrialResult(before.patient, trial.id, trial.title, verdict, tuple(merged), (), settings.assume_attested)


def when(
    trial: Trial,
    record: PatientRecord,
    as_of: dt.date,
    current: TrialResult,
    settings: Settings,
    horizon: int,
    compiled: CompiledTrial | None = None,
    later: Later | None = None,
    steps: Steps | None = None,
) -> When:
    """eligibleFrom / eligibleUntil / timeline of one patient x trial (``current``: the result on ``as_of``).

    With explanations off (screening) the timeline is not kept and evaluation stops at the first
    date that answers; a patient held back by a criterion with no breakpoint is answered at once.
    With explanations on but ``full_timeline`` off (a CDS card), the same, and the timeline holds
    only the changes on that date (what the card's line names), unexplained: a card is read at
    every chart opening, its page (the whole timeline) only when someone clicks through.
    ``compiled``: the trial compiled by the caller (a fresh one otherwise); ``later``: this patient's
    timeline work, one object passed to each of its trials (dates and leaves repeat across trials);
    ``steps``: the patient's days through the compiled program (:class:`Steps`), when it covers them."""
    compiled = compiled if compiled is not None else CompiledTrial(trial)
    if later is None or not later.fits(record, as_of, horizon, settings):
        later = Later(record, as_of, horizon, settings)
    full = settings.explain and settings.full_timeline
    good_now = RANK[current.verdict] >= GOOD
    blocking = [c.id for c in current.criteria if c.result in (Result.FAIL, Result.UNKNOWN)]
    start = as_of
    if not full and not good_now:
        first = first_possible(compiled, record, as_of, horizon, settings, blocking, later)
        if first is None:
            return When(None, None, (), horizon)  # some reason to refuse lasts beyond the horizon
        # named changes must be the day's own: days before ``first`` are still walked
        start = first if not settings.explain else as_of
    # the days' re-evaluations explain only for a full timeline (its reasons)
    quick = replace(settings, explain=False, collect_series=False)
    step = settings if full else quick
    # day -> the criteria (and vital status) that may have changed since the day before; a change
    # before ``start`` (itself a breakpoint) is read on ``start``
    due: dict[dt.date, set[str]] = {}
    for cid, ds in dates_by_criterion(compiled, record, as_of, horizon, settings, (), later).items():
        for d in ds:
            due.setdefault(max(d, start), set()).add(cid)
    eligible_from = eligible_until = None
    verdict_from: Verdict | None = None
    timeline: list[Change] = []
    before = current
    for day in sorted(due):
        memo = later.memos.setdefault(day, {})
        after = _step(trial, record, day, step, quick, compiled, before, frozenset(due[day]), memo, steps)
        if full:
            timeline.extend(_changes(day, before, after))
        rank = RANK[after.verdict]
        if good_now and eligible_until is None and rank < RANK[current.verdict]:
            eligible_until = day - DAY
        if not good_now and eligible_from is None and rank >= GOOD:
            eligible_from, verdict_from = day, after.verdict
        if not full and (eligible_from or eligible_until):
            if settings.explain:  # named: what changes on the date (its reasons unexplained)
                timeline = _changes(day, before, after)
            break
        before = after
    return When(eligible_from, eligible_until, tuple(timeline), horizon, verdict_from)


__all__ = [
    "Later",
    "Memo",
    "Reads",
    "Steps",
    "criterion_dates",
    "dates_by_criterion",
    "first_possible",
    "first_reaching",
    "reads_of",
    "when",
]
