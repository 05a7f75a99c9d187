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
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, assert_never

from fhir_eligibility import logic
from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import (
    Age,
    Combination,
    Criterion,
    Derived,
    Expression,
    Gender,
    Leaf,
    Manual,
    ObservationValue,
    Records,
    Trial,
    Unsupported,
    Window,
    record_systems,
)
from fhir_eligibility.evaluation.anchor_days import Span
from fhir_eligibility.evaluation.combination import combination_outcome, leaf_outcome
from fhir_eligibility.evaluation.compiled import CompiledTrial
from fhir_eligibility.evaluation.context import Context, Outcome, Settings, Shared
from fhir_eligibility.evaluation.fhirpath import evaluate_expression
from fhir_eligibility.evaluation.forms.derived import derived_lookback, derived_reads, derived_truth
from fhir_eligibility.evaluation.forms.observation import observation_truth
from fhir_eligibility.evaluation.forms.patient import age_truth, gender_truth, manual_truth
from fhir_eligibility.evaluation.forms.records import placed_days, read_types, records_truth
from fhir_eligibility.evaluation.patient_record import PatientRecord, unavailable_for
from fhir_eligibility.evaluation.results import TrialResult
from fhir_eligibility.evaluation.trial import evaluate_trials
from fhir_eligibility.evaluation.windows import anchor_span, bounds_with, window_bounds
from fhir_eligibility.logic import Truth
from fhir_eligibility.measures.timing import DATE_MIN
from fhir_eligibility.requirements.model import Unavailable

if TYPE_CHECKING:
    from fhir_eligibility.evaluation.timeline import Reads  # the timeline evaluates through the program

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

    __slots__ = ("anchors", "as_of", "batch", "contexts", "leaves", "present", "record", "settings", "touched")

    def __init__(self, program: Program, record: PatientRecord, batch: Batch) -> None:
        self.record = record
        self.present = record.present
        self.as_of = batch.as_of
        self.batch = batch
        self.settings = program.settings
        self.leaves: list[Truth | None] = [None] * program.leaf_slots
        self.contexts: list[Context | None] = [None] * len(program.trials)
        # (trial, event link) -> the first and last day the event may be on (None: not occurred)
        self.anchors: dict[tuple[int, str], Span | None] = {}
        self.touched: set[int] = set()  # top-level criteria this record has data for (Program.first numbering)
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
        self.systems = record_systems(self.trials)  # what build_record warns a record is coded in none of
        pool: dict[Reads, Reads] = {}  # equal timeline reads across the trials: one object (compiled.py)
        self.compiled = tuple(CompiledTrial(t, pool) for t in self.trials)
        self.leaf_slots = 0
        self.shared_slots = 0
        self._leaf_keys: dict[tuple[int, int, int], int] = {}
        self._keep: list[object] = []  # the objects whose ids key _leaf_keys stay alive with the program
        self._truths_only: Program | None = None
        self._reads: set[tuple[tuple[str, ...], frozenset[Code]]] = set()  # what leaves ask unavailable_for
        self._exact: dict[tuple[Unavailable, ...], bool] = {}
        self.tops: tuple[tuple[TruthFn, ...], ...] = tuple(
            tuple(self._node(c, i, 0, (), top=True) for c in t.criteria) for i, t in enumerate(self.trials)
        )
        # which top-level criteria a record key can touch: the others are the batch's shared truths
        # criterion j of trial i is number first[i] + j
        self.first = tuple(itertools.accumulate((len(t.criteria) for t in self.trials), initial=0))
        self.key_tops: dict[tuple[str, object], list[int]] = {}
        shareable: list[tuple[bool, ...]] = []
        for i, t in enumerate(self.trials):
            row = []
            for j, c in enumerate(t.criteria):
                fp = self.compiled[i].footprint(c)
                row.append(fp is not None and not fp.demographics and not _anchored(c.windows))
                for key in fp.keys if row[-1] and fp is not None else ():
                    self.key_tops.setdefault(key, []).append(self.first[i] + j)
            shareable.append(tuple(row))
        self.shareable = tuple(shareable)

    def truths(self, run: Run, trial: int) -> list[Truth]:
        """Each top-level criterion's truth; one the patient's records cannot touch is the batch's."""
        touched = run.touched
        shared = run.batch.tops[trial]
        shareable = self.shareable[trial]
        first = self.first[trial]
        out: list[Truth] = []
        for i, fn in enumerate(self.tops[trial]):
            if shareable[i] and first + i not in touched:
                t = shared[i]
                if t is None:
                    t = shared[i] = fn(run)
            else:
                t = fn(run)
            out.append(t)
        return out

    def answers_exactly(self, record: PatientRecord) -> bool:
        """Whether these truths are the explained walk's for ``record`` as far as unavailable data go:
        none, or only types its source does not hold (an export without ImagingStudy) that leave every
        criterion a type it does hold. Faults, a missing Patient and responses not held are the
        explained walk's. One answer per distinct list (an input's patients share theirs)."""
        unavailable = record.unavailable
        if not unavailable:
            return True
        if not all(u.unsupported and u.resource_type not in _READ_WHOLE for u in unavailable):
            return False
        known = self._exact.get(unavailable)  # keyed by what sources share (an input's census), not per patient
        if known is None:
            known = self._exact[unavailable] = not any(
                unavailable_for(unavailable, kinds, codes) for kinds, codes in self._reads
            )
        return known

    def batch(self, as_of: dt.date) -> Batch:
        tops: list[list[Truth | None]] = [[None] * len(t) for t in self.tops]
        return Batch(as_of, [None] * self.shared_slots, [None] * self.leaf_slots, tops)

    def run(self, record: PatientRecord, batch: Batch) -> Run:
        return Run(self, record, batch)

    def truths_only(self) -> Program:
        """These trials compiled for truths only (no explanations, no plot series): what the timeline
        re-evaluates later days with. Built on first use, then kept with this program."""
        if not self.settings.explain and not self.settings.collect_series:
            return self
        if self._truths_only is None:
            self._truths_only = Program(self.trials, replace(self.settings, explain=False, collect_series=False))
        return self._truths_only

    def evaluate(self, record: PatientRecord, as_of: dt.date, batch: Batch | None = None) -> list[TrialResult]:
        """Every trial's explained result (verdict, each criterion's reason and evidence, what to
        collect); ``batch``: what the patients of ``as_of`` share (None: nothing shared)."""
        if batch is not None and batch.as_of != as_of:
            raise ValueError(f"a batch of {batch.as_of} used on {as_of}")
        shared = batch.explained if batch is not None else None
        return evaluate_trials(self.compiled, record, as_of, self.settings, shared)

    # ---- compilation ------------------------------------------------------------------------------

    def _node(self, c: Criterion, trial: int, parity: int, inherited: tuple[Window, ...], top: bool = False) -> TruthFn:
        """``top``: a top-level criterion, whose sharing :meth:`truths` does itself."""
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
        if top or fp is None or fp.demographics or _anchored(windows):
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
        if d.same_record:
            return self._one_record(c, d, trial, parity_here, windows)
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

    def _one_record(
        self, c: Criterion, d: Combination, trial: int, parity_here: int, windows: tuple[Window, ...]
    ) -> TruthFn:
        """A same-record all-of: the leaves' compiled truths, Kleene AND; only when that is TRUE (a NET's
        site and morphology both recorded) does the answer need the records each leaf matched, which
        truths do not carry: then the explained walk answers it (in screening's stop-early mode), as
        for a rising series. Most patients (no NET, or a part unknown) never reach it."""
        kids = tuple(self._node(k, trial, parity_here, windows) for k in d.children)
        program = self

        def one_record(run: Run) -> Truth:
            t = logic.all_of_calls(kids, run)
            if t is not TRUE:
                return t
            return combination_outcome(c, d, run.context(trial, program), parity_here, windows).truth

        return one_record

    def _leaf(self, c: Criterion, trial: int, parity_here: int, windows: tuple[Window, ...]) -> TruthFn:
        d = c.definition
        assert not isinstance(d, Combination), c.id  # combinations are compiled by Program._combination
        reads = _reads(d)
        if reads is not None:
            self._reads.add(reads)
        only = None if self.settings.collect_series else self._truth_only(d, trial, parity_here)
        if only is None:  # no truth-only form (a rising series; plot series wanted): the explained leaf's truth
            outcome = _leaf_outcome(c, d, parity_here, windows)
            program = self

            def explained(run: Run) -> Truth:
                return outcome(run.context(trial, program)).truth

            if _anchored(windows):  # its anchors are this trial's: per trial, never memoised
                return explained
            only = (lambda run, _lo, _hi: explained(run)), False, None
        truth, windowed, lookback = only
        if _anchored(windows) and windowed:  # event-relative bounds: per patient and trial, never memoised
            return self._anchored_leaf(truth, trial, windows, lookback, _leaf_outcome(c, d, parity_here, windows))
        # leaves repeat across trials (Hb in 28 days, age, pregnancy tests...): once per patient
        key = (id(d), id(windows), parity_here % 2)
        slot = self._leaf_keys.get(key)
        if slot is None:
            slot = self._leaf_keys[key] = self.leaf_slots
            self.leaf_slots += 1
            self._keep.append((d, windows))
        if not windowed:
            return _memoised(truth, slot)
        return self._truth_leaf(truth, slot, trial, windows, lookback)

    def _truth_only(self, d: Leaf, trial: int, parity: int) -> tuple[TruthOf, bool, int | None] | None:
        """A form's truth-only function, whether it reads a window, and its default look-back (None:
        no truth-only function, the explained leaf answers). Same semantics as the explained forms
        for a record with no unavailable data (the only records screening sends here)."""
        settings, program = self.settings, self
        lookback = settings.default_lookback_days
        match d:
            case ObservationValue():
                if "rising-series" in d.methods:
                    return None
                return (lambda run, lo, hi: observation_truth(d, parity, run.record, lo, hi)), True, lookback
            case Records():
                gap = settings.course_gap_days
                return (lambda run, lo, hi: records_truth(d, run.record, run.as_of, gap, lo, hi)), True, None
            case Derived():
                truth: TruthOf = lambda run, lo, hi: derived_truth(d, run.context(trial, program), lo, hi)  # noqa: E731
                return truth, True, derived_lookback(d, lookback)
            case Age():
                return (lambda run, _lo, _hi: age_truth(d, run.record.birth_date, run.as_of)), False, None
            case Gender():
                return (lambda run, _lo, _hi: gender_truth(d, run.record.gender)), False, None
            case Manual():
                manual = manual_truth(settings.assume_attested, parity)
                return (lambda _run, _lo, _hi: manual), False, None
            case Expression():
                return (lambda run, _lo, _hi: evaluate_expression(d, run.record, run.as_of)[0]), False, None
            case Unsupported():
                return (lambda _run, _lo, _hi: UNKNOWN), False, None
            case _:
                assert_never(d)

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
                t = run.leaves[slot] = truth(run, bounds[0], bounds[1])
            return t

        return leaf

    def _anchored_leaf(
        self,
        truth: TruthOf,
        trial: int,
        windows: tuple[Window, ...],
        lookback: int | None,
        explained: Callable[[Context], Outcome],
    ) -> TruthFn:
        """A leaf whose window is relative to another criterion's event: bounds per patient. An event
        dated only by its month or year (rare): the explained leaf's truth, which reads each day it
        may be on (:mod:`.anchor_days`): one statement of that rule."""
        anchors = {w.anchor: self._anchor(trial, w.anchor) for w in windows if w.anchor != "study-start"}
        program = self

        def anchored(run: Run) -> Truth:
            spans: dict[str, Span] = {}
            loose = False
            for link, span_of in anchors.items():
                span = span_of(run)
                if span is None:  # the event has not occurred (or its records are missing)
                    return UNKNOWN
                spans[link] = span
                loose = loose or span[0] != span[1]
            if loose:
                return explained(run.context(trial, program)).truth
            lo, hi, _err = bounds_with(windows, run.as_of, lookback, lambda link: spans[link][0])
            return truth(run, lo, hi)

        return anchored

    def _anchor(self, trial: int, link: str) -> Callable[[Run], Span | None]:
        """The first and last day the event ``link`` names may be on for a patient (what
        ``windows.anchor_span`` finds): read directly when the event is a records criterion with
        windows of its own relative to the study start, else through the explained walk. Kept per
        patient in ``Run.anchors``."""
        event = self.compiled[trial].by_link.get(link)
        key = (trial, link)
        program = self
        if event is not None and isinstance(event.definition, Records) and not _anchored(event.windows):
            d, windows, gap = event.definition, event.windows, self.settings.course_gap_days

            def find(run: Run) -> Span | None:
                lo, hi, _err = bounds_with(windows, run.as_of, None, _no_anchor)
                first, last = placed_days(d, run.record, run.as_of, gap, lo, hi)
                return None if first is None or last is None else (first, last)

        else:

            def find(run: Run) -> Span | None:
                return anchor_span(link, run.context(trial, program))

        def date(run: Run) -> Span | None:
            known = run.anchors
            if key not in known:
                known[key] = find(run)
            return known[key]

        return date


TruthOf = Callable[[Run, dt.date, dt.date], Truth]  # (the patient's run, window low, window high) -> truth


def _memoised(truth: TruthOf, slot: int) -> TruthFn:
    """A leaf that reads no window, once per patient."""

    def leaf(run: Run) -> Truth:
        t = run.leaves[slot]
        if t is None:
            t = run.leaves[slot] = truth(run, DATE_MIN, run.as_of)
        return t

    return leaf


# unavailable data the truths never answer exactly: the Patient, attestations
_READ_WHOLE = ("Patient", "QuestionnaireResponse")


def _reads(d: Leaf) -> tuple[tuple[str, ...], frozenset[Code]] | None:
    """The types (and codes) whose unavailability the explained leaf reads (``unavailable_for``)."""
    if isinstance(d, ObservationValue):
        return ("Observation",), d.codes
    if isinstance(d, Records):
        return read_types(d), d.codes
    if isinstance(d, Derived):
        return derived_reads(d)
    return None


def _no_anchor(link: str) -> dt.date | None:
    raise AssertionError(f"an event window relative to {link!r} read as relative to the study start")


def _anchored(windows: tuple[Window, ...]) -> bool:
    return any(w.anchor != "study-start" for w in windows)


def _leaf_outcome(c: Criterion, d: Leaf, parity_here: int, windows: tuple[Window, ...]) -> Callable[[Context], Outcome]:
    """The explained walk's one leaf dispatch (:func:`.combination.leaf_outcome`), its arguments bound."""
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
    """The Kleene AND (:func:`logic.all_of_calls`), stopping at the first FALSE child."""
    return lambda run: logic.all_of_calls(kids, run)


def _any_of(kids: tuple[TruthFn, ...]) -> TruthFn:
    """The Kleene OR (:func:`logic.any_of_calls`), stopping at the first TRUE child."""
    return lambda run: logic.any_of_calls(kids, run)


__all__ = ["Batch", "Program", "Run"]
