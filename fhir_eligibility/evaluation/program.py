"""The criteria compiled once into closures that compute truths only: the screening fast path.

Why: screening reads one result per top-level criterion for every patient, and explanations only
for the few candidates it shows. The explained tree walk (:mod:`.combination`) dispatches on each
node's form, checks its caches and builds an :class:`Outcome` per node and a result object per
top-level criterion, for every patient. Here that work is done once per trial set: each node
becomes a closure that knows its form, windows, parity, leaf slot and whether its outcome can be
shared across patients, and returns a :class:`Truth`. Leaves call the very same form functions
as the explained walk (one statement of each form's semantics), combinations use the same Kleene
operators and stop once decided. tests/evaluation/test_fast_paths.py proves the truths equal to
the explained evaluation on the samples and a synthetic population.

Cross-patient sharing is an explicit :class:`Batch` the caller passes in (one per as-of date), not
module state: the truth of a subtree that reads none of a patient's records is computed for the
first such patient and reused for the others. :meth:`Program.evaluate` is the explained entry (the
tree walk with its explanations) over the same compiled trials, sharing through the same batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fhir_eligibility import logic
from fhir_eligibility.criteria.model import (
    Combination,
    Criterion,
    ObservationValue,
    Records,
    Trial,
    Window,
)
from fhir_eligibility.evaluation.combination import leaf_outcome
from fhir_eligibility.evaluation.compiled import CompiledTrial
from fhir_eligibility.evaluation.context import Context, Outcome, Settings, Shared
from fhir_eligibility.evaluation.forms.observation import observation_truth
from fhir_eligibility.evaluation.forms.records import records_truth
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.results import TrialResult
from fhir_eligibility.evaluation.trial import evaluate_trials
from fhir_eligibility.evaluation.windows import window_bounds
from fhir_eligibility.logic import Truth

TRUE, FALSE, UNKNOWN, REVIEW, MANUAL = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN, Truth.REVIEW, Truth.MANUAL


@dataclass
class Batch:
    """Truths shared by every patient of one as-of date: subtrees that read none of their records."""

    as_of: dt.date
    shared: list[Truth | None] = field(default_factory=list)
    bounds: list[tuple[dt.date, dt.date] | None] = field(default_factory=list)  # per leaf slot (study-start windows)
    tops: list[list[Truth | None]] = field(default_factory=list)  # per trial, per top-level criterion
    explained: Shared = field(default_factory=Shared)  # the explained evaluation's (Program.evaluate)


class Run:
    """One patient's evaluation state: the record, its leaf truths (shared by trials) and contexts."""

    __slots__ = ("as_of", "batch", "contexts", "leaves", "present", "record", "settings", "touched")

    def __init__(self, program: Program, record: PatientRecord, batch: Batch) -> None:
        self.record = record
        self.present = record.present
        self.as_of = batch.as_of
        self.batch = batch
        self.settings = program.settings
        self.leaves: list[Truth | None] = [None] * program.leaf_slots
        self.contexts: list[Context | None] = [None] * len(program.trials)
        self.touched: set[tuple[int, int]] = set()  # (trial, top-level criterion) this record has data for
        key_tops = program.key_tops
        for key in record.present:
            hit = key_tops.get(key)
            if hit is not None:
                self.touched.update(hit)

    def context(self, trial: int, program: Program) -> Context:
        ctx = self.contexts[trial]
        if ctx is None:
            index = program.compiled[trial]
            bounds = self.batch.explained.bounds
            ctx = Context(self.record, self.as_of, self.settings, index, short_circuit=True, bounds=bounds)
            self.contexts[trial] = ctx
        return ctx


TruthFn = Callable[[Run], Truth]


class Program:
    """Trials compiled for one ``Settings``: the single entry to evaluation.

    Per trial, a :class:`~.compiled.CompiledTrial` (the explained evaluation's lookups) and one
    truth closure per top-level criterion (screening). The caller keeps the program for as long as
    the trials are loaded, and passes a :meth:`batch` per as-of date for what patients share.
    """

    def __init__(self, trials: Sequence[Trial], settings: Settings) -> None:
        self.trials = tuple(trials)
        self.settings = settings
        self.compiled = tuple(CompiledTrial(t) for t in self.trials)
        self.leaf_slots = 0
        self.shared_slots = 0
        self._leaf_keys: dict[tuple[int, int, int], int] = {}
        self._keep: list[object] = []  # the objects whose ids key _leaf_keys stay alive with the program
        self.tops: tuple[tuple[TruthFn, ...], ...] = tuple(
            tuple(self._node(c, i, 0, ()) for c in t.criteria) for i, t in enumerate(self.trials)
        )
        # which top-level criteria a record key can touch: the others are the batch's shared truths
        self.key_tops: dict[tuple[str, object], list[tuple[int, int]]] = {}
        shareable: list[tuple[bool, ...]] = []
        for i, t in enumerate(self.trials):
            row = []
            for j, c in enumerate(t.criteria):
                fp = self.compiled[i].footprint(c)
                row.append(fp is not None and not fp.demographics and not _anchored(c.windows))
                for key in fp.keys if row[-1] and fp is not None else ():
                    self.key_tops.setdefault(key, []).append((i, j))
            shareable.append(tuple(row))
        self.shareable = tuple(shareable)

    def truths(self, run: Run, trial: int) -> list[Truth]:
        """Each top-level criterion's truth; one the patient's records cannot touch is the batch's."""
        touched = run.touched
        shared = run.batch.tops[trial]
        out: list[Truth] = []
        for i, fn in enumerate(self.tops[trial]):
            if self.shareable[trial][i] and (trial, i) not in touched:
                t = shared[i]
                if t is None:
                    t = shared[i] = fn(run)
            else:
                t = fn(run)
            out.append(t)
        return out

    def batch(self, as_of: dt.date) -> Batch:
        tops: list[list[Truth | None]] = [[None] * len(t) for t in self.tops]
        return Batch(as_of, [None] * self.shared_slots, [None] * self.leaf_slots, tops)

    def run(self, record: PatientRecord, batch: Batch) -> Run:
        return Run(self, record, batch)

    def evaluate(self, record: PatientRecord, as_of: dt.date, batch: Batch | None = None) -> list[TrialResult]:
        """Every trial's explained result (verdict, each criterion's reason and evidence, what to
        collect); ``batch``: what the patients of ``as_of`` share (None: nothing shared)."""
        if batch is not None and batch.as_of != as_of:
            raise ValueError(f"a batch of {batch.as_of} used on {as_of}")
        shared = batch.explained if batch is not None else None
        return evaluate_trials(self.compiled, record, as_of, self.settings, shared)

    # ---- compilation ------------------------------------------------------------------------------

    def _node(self, c: Criterion, trial: int, parity: int, inherited: tuple[Window, ...]) -> TruthFn:
        windows = c.windows or inherited
        parity_here = parity + (1 if c.exclude else 0)
        d = c.definition
        inner = (
            self._combination(c, d, trial, parity_here, windows)
            if isinstance(d, Combination)
            else self._leaf(c, trial, parity_here, windows)
        )
        fn = _decorated(inner, c.judgement, c.exclude)
        fp = self.compiled[trial].footprint(c)
        if fp is None or fp.demographics or _anchored(windows):
            return fn
        return self._shared(fn, fp.keys)

    def _shared(self, fn: TruthFn, keys: frozenset[tuple[str, object]]) -> TruthFn:
        """The same truth for every patient who has none of the subtree's records (see .footprint)."""
        slot = self.shared_slots
        self.shared_slots += 1
        isdisjoint = keys.isdisjoint

        def shared(run: Run) -> Truth:
            if not isdisjoint(run.present):
                return fn(run)
            cache = run.batch.shared
            t = cache[slot]
            if t is None:
                t = cache[slot] = fn(run)
            return t

        return shared

    def _combination(
        self, c: Criterion, d: Combination, trial: int, parity_here: int, windows: tuple[Window, ...]
    ) -> TruthFn:
        kids = tuple(self._node(k, trial, parity_here, windows) for k in d.children)
        if d.code == "all-of":
            return _all_of(kids)
        if d.code == "any-of":
            return _any_of(kids)
        n = d.threshold or 0
        combine = logic.at_least if d.code == "at-least" else logic.at_most

        def counted(run: Run) -> Truth:
            return combine(n, [k(run) for k in kids])

        return counted

    def _leaf(self, c: Criterion, trial: int, parity_here: int, windows: tuple[Window, ...]) -> TruthFn:
        outcome = _leaf_outcome(c, parity_here, windows)
        program = self
        if _anchored(windows):  # event-relative: per trial, never memoised

            def anchored(run: Run) -> Truth:
                return outcome(run.context(trial, program)).truth

            return anchored
        # leaves repeat across trials (Hb in 28 days, age, pregnancy tests...): once per patient
        key = (id(c.definition), id(windows), parity_here % 2)
        slot = self._leaf_keys.get(key)
        if slot is None:
            slot = self._leaf_keys[key] = self.leaf_slots
            self.leaf_slots += 1
            self._keep.append((c.definition, windows))

        d = c.definition
        truth = None if self.settings.collect_series else _truth_only(d, parity_here, self.settings.course_gap_days)
        if truth is not None:
            lookback = self.settings.default_lookback_days if isinstance(d, ObservationValue) else None
            return self._truth_leaf(truth, slot, trial, windows, lookback)

        def memoised(run: Run) -> Truth:
            t = run.leaves[slot]
            if t is None:
                t = run.leaves[slot] = outcome(run.context(trial, program)).truth
            return t

        return memoised

    def _truth_leaf(
        self, truth: TruthOf, slot: int, trial: int, windows: tuple[Window, ...], lookback: int | None
    ) -> TruthFn:
        """A leaf's truth without its explanation; the window's bounds are computed once per batch."""
        program = self

        def leaf(run: Run) -> Truth:
            t = run.leaves[slot]
            if t is None:
                bounds = run.batch.bounds[slot]
                if bounds is None:
                    lo, hi, _err = window_bounds(windows, run.context(trial, program), lookback)
                    bounds = run.batch.bounds[slot] = (lo, hi)
                t = run.leaves[slot] = truth(run.record, run.as_of, bounds[0], bounds[1])
            return t

        return leaf


TruthOf = Callable[[PatientRecord, dt.date, dt.date, dt.date], Truth]  # (record, as of, window low, high)


def _truth_only(d: object, parity: int, gap_days: int) -> TruthOf | None:
    """The forms with a truth-only function (the others are evaluated explained, their truth kept)."""
    if isinstance(d, ObservationValue) and "rising-series" not in d.methods:
        return lambda rec, _as_of, lo, hi: observation_truth(d, parity, rec, lo, hi)
    if isinstance(d, Records):
        return lambda rec, as_of, lo, hi: records_truth(d, rec, as_of, gap_days, lo, hi)
    return None


def _anchored(windows: tuple[Window, ...]) -> bool:
    return any(w.anchor != "study-start" for w in windows)


def _leaf_outcome(c: Criterion, parity_here: int, windows: tuple[Window, ...]) -> Callable[[Context], Outcome]:
    """The explained walk's one leaf dispatch (:func:`.combination.leaf_outcome`), its arguments bound."""
    d = c.definition
    assert not isinstance(d, Combination), c.id  # combinations are compiled by Program._combination
    return lambda ctx: leaf_outcome(c, d, ctx, parity_here, windows)


def _decorated(fn: TruthFn, judgement: bool, exclude: bool) -> TruthFn:
    """Judgement (a met criterion needs a clinician's review) and exclude (negation), as the tree walk applies them."""
    if judgement and exclude:  # a met criterion becomes REVIEW, which negation keeps
        return lambda run: REVIEW if (t := fn(run)) is TRUE else TRUE if t is FALSE else t
    if judgement:
        return lambda run: REVIEW if (t := fn(run)) is TRUE else t
    if exclude:
        return lambda run: FALSE if (t := fn(run)) is TRUE else TRUE if t is FALSE else t
    return fn


def _all_of(kids: tuple[TruthFn, ...]) -> TruthFn:
    """The one Kleene AND (:func:`logic.all_of`); the generator stops at the first FALSE child."""
    return lambda run: logic.all_of(k(run) for k in kids)


def _any_of(kids: tuple[TruthFn, ...]) -> TruthFn:
    """The one Kleene OR (:func:`logic.any_of`); the generator stops at the first TRUE child."""
    return lambda run: logic.any_of(k(run) for k in kids)


__all__ = ["Batch", "Program", "Run"]
