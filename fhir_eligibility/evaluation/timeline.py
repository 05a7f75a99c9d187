"""When: the dates a patient's verdict for a trial changes if the record stays as it is (issue 16).

Why exact and not sampled: the evaluation is pure in its as-of date, and a criterion's truth can
only change on a day where something it reads crosses a window bound (those days:
:mod:`.timeline_breakpoints`). Each top-level criterion is re-evaluated by the unchanged engine on
its own such days, in order; between two of them its result is the one of the earlier. Not
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
from dataclasses import replace

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.compiled import CompiledTrial
from fhir_eligibility.evaluation.context import Outcome
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial, verdict_of
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.program import Program, Run
from fhir_eligibility.evaluation.results import Change, CriterionResult, Result, TrialResult, Verdict, When
from fhir_eligibility.evaluation.timeline_breakpoints import (
    Reads,
    birthdays,
    criterion_dates,
    first_reaching,
    global_dates,
    reads_of,
)
from fhir_eligibility.evaluation.trial import RESULT_OF
from fhir_eligibility.evaluation.vital import VITAL_ID, vital_result
from fhir_eligibility.shorten import shorten

DAY = dt.timedelta(days=1)
RANK = {Verdict.INELIGIBLE: 0, Verdict.UNDETERMINED: 1, Verdict.NEEDS_REVIEW: 2, Verdict.ELIGIBLE: 3}
GOOD = RANK[Verdict.NEEDS_REVIEW]  # eligible, or only a person's judgement or attestation outstanding
TEXT_MAX = 160
Memo = dict[tuple[int, int, int], Outcome]  # one day's leaf outcomes of a patient (evaluate_trial's memo)


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
            days = birthdays(self.record.birth_date, self.as_of, self.end)
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

    eligibleUntil is the last day of the verdict held today, if good (eligible or needs-review), else of
    the one reached on eligibleFrom: the day before the first day it is worse. Why also after
    eligibleFrom: a coordinator plans a visit between a washout ending and a lab going stale.

    With explanations off (screening) the timeline is not kept and evaluation stops once eligibleUntil
    is found; a patient held back by a criterion with no breakpoint is answered at once. With
    explanations on but ``full_timeline`` off (a CDS card), the same, and the timeline holds only the
    changes on the dates the card's line names (eligibleFrom, the day after eligibleUntil),
    unexplained: a card is read at every chart opening, its page (the whole timeline) only when
    someone clicks through.
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
    holds = RANK[current.verdict] if good_now else None  # the verdict whose end eligibleUntil dates
    timeline: list[Change] = []
    before = current
    for day in sorted(due):
        memo = later.memos.setdefault(day, {})
        after = _step(trial, record, day, step, quick, compiled, before, frozenset(due[day]), memo, steps)
        if full:
            timeline.extend(_changes(day, before, after))
        rank = RANK[after.verdict]
        named = False  # a date the card names: eligibleFrom, or the day after eligibleUntil
        if holds is None and rank >= GOOD:  # not good today: eligibleFrom
            eligible_from, verdict_from, holds, named = day, after.verdict, rank, True
        elif holds is not None and eligible_until is None and rank < holds:
            eligible_until, named = day - DAY, True
        if not full and named:
            if settings.explain:  # named: what changes on the date (its reasons unexplained)
                timeline += _changes(day, before, after)
            if eligible_until is not None:
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
