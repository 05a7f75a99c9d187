"""What one evaluation runs in: the settings, a node's outcome, the per-trial index, the per-patient
context and the cross-patient cache of outcomes that read none of a patient's data.

Split out of the engine so every form module and the tree walk share one definition of these.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import NamedTuple

from fhir_eligibility.criteria.model import Criterion, Trial, Window
from fhir_eligibility.evaluation import attestation
from fhir_eligibility.evaluation.facts import Fact, PatientRecord
from fhir_eligibility.evaluation.footprint import Footprint, Key, footprint
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
