"""What one evaluation runs in: the settings, a node's outcome, the per-patient context and what
patients of one date share (outcomes that read none of a patient's data, window bounds).

Split out of the engine so every form module and the tree walk share one definition of these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fhir_eligibility.criteria.model import Criterion, Window
from fhir_eligibility.evaluation import attestation
from fhir_eligibility.evaluation.compiled import CompiledTrial
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.results import Attestation, CriterionResult, Evidence, MissingData, Series
from fhir_eligibility.evaluation.validity import birth_problem
from fhir_eligibility.logic import Truth
from fhir_eligibility.measures.timing import age_range
from fhir_eligibility.pickling import picklable


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
    # with explain and a horizon: every change and its reason (the timeline a page or a report shows);
    # off: the two dates and the criteria that change on them, unexplained (what a card's one line names)
    full_timeline: bool = True
    # off: a trial the compiled program finds a reason to refuse gets its criteria's results without
    # reasons (pipeline.evaluate_patient); on where someone reads them (reports, pages, shown cards)
    explain_refused: bool = True


picklable(Settings)  # it travels to worker processes (see fhir_eligibility.pickling)


@dataclass(frozen=True, init=False)
class Outcome:
    """What a node evaluates to (built ~200 times per patient: its ``__init__`` is written out so mypyc
    compiles it, see evaluation.results; a NamedTuple's stays interpreted)."""

    truth: Truth
    reason: str
    evidence: tuple[Evidence, ...] = ()
    children: tuple[tuple[Criterion, Outcome], ...] = ()
    matched: tuple[Fact, ...] = ()
    missing: tuple[MissingData, ...] = ()
    attested: bool = False
    series: tuple[Series, ...] = ()
    attestation: Attestation | None = None  # a person's answer decided it (evaluation.attestation)

    def __init__(
        self,
        truth: Truth,
        reason: str,
        evidence: tuple[Evidence, ...] = (),
        children: tuple[tuple[Criterion, Outcome], ...] = (),
        matched: tuple[Fact, ...] = (),
        missing: tuple[MissingData, ...] = (),
        attested: bool = False,
        series: tuple[Series, ...] = (),
        attestation: Attestation | None = None,
    ) -> None:
        object.__setattr__(self, "truth", truth)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "evidence", evidence)
        object.__setattr__(self, "children", children)
        object.__setattr__(self, "matched", matched)
        object.__setattr__(self, "missing", missing)
        object.__setattr__(self, "attested", attested)
        object.__setattr__(self, "series", series)
        object.__setattr__(self, "attestation", attestation)

    def with_series(self, series: tuple[Series, ...]) -> Outcome:
        return Outcome(
            self.truth,
            self.reason,
            self.evidence,
            self.children,
            self.matched,
            self.missing,
            self.attested,
            series,
            self.attestation,
        )


# id(windows), default look-back days -> (windows, (low, high, error))
Bounds = dict[tuple[int, int | None], tuple[tuple[Window, ...], tuple[dt.date, dt.date, str | None]]]

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


@dataclass(init=False)
class Context:
    record: PatientRecord
    as_of: dt.date
    settings: Settings
    index: CompiledTrial
    anchors: dict[str, dt.date | None] = field(default_factory=dict)
    memo: dict[tuple[int, int, int], Outcome] | None = None  # leaf outcomes of this patient, shared by trials
    shared: Shared | None = None  # outcomes that read none of this patient's data, shared by all patients
    # Stop all-of at the first FALSE and any-of at the first TRUE: same truths and what-to-collect, but the
    # combination's explanation, matched records (event anchors) and attestation flags stay partial.
    short_circuit: bool = False
    demographics: Demographics | None = None  # set in short-circuit mode: the key of demographic sharing
    answers: attestation.Answers | None = None  # this patient's answers to this trial's Questionnaire
    bounds: Bounds | None = None  # window bounds of this date, shared by all patients (Shared.bounds)

    def __init__(  # written out so mypyc compiles it (see evaluation.results); one per trial and patient
        self,
        record: PatientRecord,
        as_of: dt.date,
        settings: Settings,
        index: CompiledTrial,
        anchors: dict[str, dt.date | None] | None = None,
        memo: dict[tuple[int, int, int], Outcome] | None = None,
        shared: Shared | None = None,
        short_circuit: bool = False,
        demographics: Demographics | None = None,
        answers: attestation.Answers | None = None,
        bounds: Bounds | None = None,
    ) -> None:
        self.record = record
        self.as_of = as_of
        self.settings = settings
        self.index = index
        self.anchors = {} if anchors is None else anchors
        self.memo = memo
        self.shared = shared
        self.short_circuit = short_circuit
        self.demographics = demographics
        self.answers = answers
        self.bounds = bounds

    def as_event(self) -> Context:
        """The context an anchor event is evaluated in: never stopping early (its date is the latest
        of *all* matching records), never shared per demographics; the same record, date and anchors."""
        if not self.short_circuit and self.demographics is None:
            return self
        return Context(  # not dataclasses.replace: this module may be compiled (mypyc)
            self.record,
            self.as_of,
            self.settings,
            self.index,
            self.anchors,  # the same dict: anchors found while evaluating the event are the patient's
            self.memo,
            self.shared,
            False,
            None,
            self.answers,
            self.bounds,
        )


# ---- outcomes shared across patients -----------------------------------------------------------


@dataclass
class Shared:
    """What patients of one (as-of date, settings) scope share: made by the caller for a batch of
    patients (:meth:`~fhir_eligibility.evaluation.program.Program.batch`) and passed in, never kept by
    a module. Entries keep their criteria and windows alive, so the ids in the keys stay theirs; its
    size is bounded by the trials' nodes (times parities, modes and (gender, age) pairs)."""

    # (id(criterion), id(windows), parity % 2 + 2 if short-circuit, the patient's (gender, age) if the subtree
    # reads them, else None) -> (criterion, windows, outcome)
    outcomes: dict[tuple[int, int, int, Demographics | None], tuple[Criterion, tuple[Window, ...], Outcome]] = field(
        default_factory=dict
    )
    # id(top-level criterion) -> (criterion, its result, what to collect): no per-patient work at all
    tops: dict[int, tuple[Criterion, CriterionResult, tuple[MissingData, ...]]] = field(default_factory=dict)
    bounds: Bounds = field(default_factory=dict)  # window bounds relative to the study start
    alive: dict[int, Outcome] = field(default_factory=dict)  # id -> each outcome of ``outcomes``
    # (id(criterion), id(shared outcome), inclusion|exclusion, top level) -> (criterion, its result)
    results: dict[tuple[int, int, str, bool], tuple[Criterion, CriterionResult]] = field(default_factory=dict)
