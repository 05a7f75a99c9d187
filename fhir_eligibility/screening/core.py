"""The per-patient step and the mergeable tally: the part a distributed engine runs.

``screen_patient`` is a plain module-level function (``PatientData``, the executor's
:class:`fhir_eligibility.pipeline.Evaluator` built from the picklable trials and ``Settings``, a
date) returning small picklable outcomes, and it evaluates only through
:func:`fhir_eligibility.pipeline.evaluate_patient`: a Spark job can ship it to executors and its
answers cannot drift from ``evaluate``'s. ``Tally`` is a commutative monoid (``add`` one patient,
``merge`` two partials), the shape of ``mapPartitions`` + ``reduce``. Its memory is flat in the
population: counts and funnels, at most ``MAX_WARNINGS`` warnings, and per trial the ``limit``
best-ranked candidates (``rank_key`` is a total order, so the kept ones are a full sort's first
``limit`` whatever the merge order, and both engines list the same) with a count of all of them.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import heapq
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from fhir_eligibility.criteria.model import Criterion, Manual, Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import MissingData, PatientLabel, TrialResult
from fhir_eligibility.evaluation.vital import VITAL_DESCRIPTION, VITAL_ID
from fhir_eligibility.pipeline import Evaluator
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.screening import (
    RESULTS,
    VERDICTS,
    Candidate,
    FunnelRow,
    ScreeningReport,
    TrialScreening,
    outstanding,
    rank_key,
)
from fhir_eligibility.retrieval.manifest import is_note

MAX_WARNINGS = 50  # distinct warnings kept verbatim; the rest are counted
# Candidates listed per trial (--max-candidates): more than a coordinator works through, and above
# every trial's count in a 100,000-patient synthetic screening (at most 2.8 % of patients at 50,000
# and 200,000), so that report is unchanged; a tally holds at most twice as many, about 1 KB each
MAX_CANDIDATES = 5_000
_RESULT_INDEX = {r: i for i, r in enumerate(RESULTS)}


class TrialOutcome(NamedTuple):
    """One patient x one trial, reduced to what the funnel and the candidate list need (a tuple:
    one per patient and trial, and a frozen dataclass's ``__init__`` sets each field through Python)."""

    trial: str
    patient: str
    verdict: str
    results: tuple[str, ...]  # Result value of each top-level criterion, in trial order
    missing: tuple[str, ...]
    vital: str | None = None  # the vital-status result ("fail": deceased, "unknown"), None when alive
    eligible_from: str | None = None  # within the horizon (Settings.horizon_days), ISO date
    eligible_until: str | None = None
    label: PatientLabel | None = None  # name, birth date, MRN (from the Patient resource); kept for candidates only
    answered: tuple[str, ...] = ()  # with --assume-attested: top-level criteria a person's answer decided
    # the verdict on eligible_from ("eligible" or "needs-review"; timeline.When.verdict_from): a candidate's date
    # is worded by it, never "eligible from" a day on which a person must still answer
    verdict_from: str | None = None


def _vital(r: TrialResult) -> str | None:
    return r.criteria[0].result._value_ if r.criteria and r.criteria[0].id == VITAL_ID else None


def missing_text(m: MissingData) -> str:
    return f"{m.criterion}: {m.what} ({m.window})"


def answered(r: TrialResult) -> tuple[str, ...]:
    """Under the --assume-attested what-if, the top-level criteria a person's answer decided (not assumed)."""
    return tuple(c.id for c in r.criteria if c.attestation is not None) if r.assumed_attested else ()


def has_manual(c: Criterion) -> bool:
    """Whether the criterion holds an item only a person can attest (what --assume-attested assumes)."""
    return any(isinstance(n.definition, Manual) for n in c.walk())


def outcome_of(r: TrialResult) -> TrialOutcome:
    vital = _vital(r)
    return TrialOutcome(
        r.trial,
        r.patient,
        r.verdict.value,
        # not .value: a Python-level descriptor, 150 per patient
        tuple(c.result._value_ for c in (r.criteria[1:] if vital else r.criteria)),
        tuple(missing_text(m) for m in r.missing_data),
        vital,
        *(_iso(r.when.eligible_from), _iso(r.when.eligible_until)) if r.when else (None, None),
        r.label,
        answered(r),
        r.when.verdict_from.value if r.when and r.when.eligible_from and r.when.verdict_from else None,
    )


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


# Screening reads top-level results only; nested explanations would be built and thrown away.
SCREENING = Settings(explain=False)


def screen_patient(data: PatientData, evaluator: Evaluator, as_of: dt.date) -> list[TrialOutcome]:
    """Evaluate one patient against every trial through the single evaluation path; the caller keeps
    one ``Evaluator`` per partition, so its patients share what reads none of their data."""
    return [outcome_of(r) for r in evaluator(data, as_of)]


@dataclass
class TrialTally:
    """Counts for one trial. ``patterns``: how many patients had each tuple of top-level results;
    the funnel (per criterion, patients with each result) and the first-fail counts are read from
    it when the report is made. Why: counting per criterion for every patient took a tenth of a
    screening; a population has few distinct patterns (most patients fail the same way)."""

    trial: str
    title: str
    criteria: tuple[tuple[str, str, str], ...]  # (id, inclusion|exclusion, description)
    counts: dict[str, int] = field(default_factory=dict)
    patterns: dict[tuple[str, ...], int] = field(default_factory=dict)  # results of the living -> patients
    candidates: list[Candidate] = field(default_factory=list)
    vital: dict[str, int] = field(default_factory=dict)  # deceased ("fail") / vital status unknown; their trials
    # hold no other result when deceased
    becoming: int = 0  # not eligible now, eligible within the horizon if the record stays as it is
    lapsing: int = 0  # eligible or needs-review now, no longer within the horizon
    listed: int = 0  # candidates seen, kept or not
    judged: int = 0  # needs-review because the data call for a clinician's judgement (else only attestations)
    limit: int = MAX_CANDIDATES  # best-ranked candidates kept (up to twice as many between prunings)
    manual: frozenset[str] = frozenset()  # criteria holding an item only a person can attest
    assume_attested: bool = False  # the --assume-attested what-if: a manual criterion passing was assumed

    def __post_init__(self) -> None:
        for v in VERDICTS:
            self.counts.setdefault(v, 0)

    def funnel(self) -> tuple[list[list[int]], list[int]]:
        """``funnel[i][j]`` = patients with result ``RESULTS[j]`` on criterion i, and ``first_fail[i]``
        = patients whose first fail is criterion i (``[-1]``: none)."""
        n = len(self.criteria)
        funnel = [[0] * len(RESULTS) for _ in self.criteria]
        first_fail = [0] * (n + 1)
        for results, k in self.patterns.items():
            for i, r in enumerate(results):
                funnel[i][_RESULT_INDEX[r]] += k
            first_fail[results.index("fail") if "fail" in results else n] += k
        return funnel, first_fail

    def add(self, o: TrialOutcome) -> None:
        self.counts[o.verdict] = self.counts.get(o.verdict, 0) + 1
        if o.vital:
            self.vital[o.vital] = self.vital.get(o.vital, 0) + 1
            if o.vital == "fail":
                return  # deceased: not evaluated, not a candidate; counted in the vital-status funnel row
        self.patterns[o.results] = self.patterns.get(o.results, 0) + 1
        self.becoming += o.eligible_from is not None
        self.judged += o.verdict == "needs-review" and "review" in o.results
        self.lapsing += o.eligible_until is not None and o.eligible_from is None  # good now: not a later spell
        if o.verdict != "ineligible" or o.eligible_from:  # ineligible now but not for long: a candidate too
            missing = tuple(sys.intern(m) for m in o.missing)
            self.listed += 1
            judge, attest = outstanding(self.criteria, o.results)
            assumed = self.assumed(o) if self.assume_attested else ()
            self.candidates.append(
                Candidate(
                    o.patient,
                    o.verdict,
                    missing,
                    o.eligible_from,
                    o.eligible_until,
                    o.label,
                    judge,
                    attest,
                    assumed,
                    o.verdict_from,
                )
            )
            if len(self.candidates) >= 2 * self.limit:
                self.prune()

    def assumed(self, o: TrialOutcome) -> tuple[str, ...]:
        """The criteria holding a manual item that pass, unless a person's answer decided them: what the
        what-if counted as attested. From the results and the trial alone, so every engine lists the same."""
        return tuple(
            c[0]
            for c, r in zip(self.criteria, o.results, strict=False)
            if r == "pass" and c[0] in self.manual and c[0] not in o.answered
        )

    def merge(self, other: TrialTally) -> None:
        for v, n in other.counts.items():
            self.counts[v] = self.counts.get(v, 0) + n
        for results, k in other.patterns.items():
            self.patterns[results] = self.patterns.get(results, 0) + k
        for v, n in other.vital.items():
            self.vital[v] = self.vital.get(v, 0) + n
        self.becoming += other.becoming
        self.lapsing += other.lapsing
        self.listed += other.listed
        self.judged += other.judged
        self.candidates.extend(
            dataclasses.replace(c, missing=tuple(sys.intern(m) for m in c.missing)) for c in other.candidates
        )
        if len(self.candidates) >= 2 * self.limit:
            self.prune()

    def prune(self) -> None:
        """Keep the ``limit`` best-ranked candidates (pruned at twice that: O(n log limit) in all)."""
        self.candidates = heapq.nsmallest(self.limit, self.candidates, key=rank_key)

    def bound_note(self) -> str | None:
        """The report's word on candidates left out by the bound, if any."""
        if self.listed <= self.limit:
            return None
        return f"{self.trial}: {self.listed} candidates, the {self.limit} best ranked listed (--max-candidates)"

    def screening(self) -> TrialScreening:
        funnel, first_fail = self.funnel()
        dead = self.vital.get("fail", 0)
        total = sum(first_fail) + dead
        rows = []
        failed_so_far = dead
        if self.vital:  # a first row: deceased patients leave the funnel before any criterion
            unsure = self.vital.get("unknown", 0)
            counts = {r: 0 for r in RESULTS} | {"pass": total - dead - unsure, "fail": dead, "unknown": unsure}
            rows.append(FunnelRow(VITAL_ID, "exclusion", VITAL_DESCRIPTION, counts, total - dead))
        for i, (cid, kind, description) in enumerate(self.criteria):
            failed_so_far += first_fail[i]
            counts = dict(zip(RESULTS, funnel[i], strict=True))
            # the deceased are not evaluated on any criterion: each row still accounts for every patient
            rows.append(FunnelRow(cid, kind, description, counts, total - failed_so_far, dead))
        return TrialScreening(
            self.trial,
            self.title,
            {v: self.counts.get(v, 0) for v in VERDICTS},
            tuple(rows),
            tuple(sorted(self.candidates, key=rank_key)[: self.limit]),
            self.becoming,
            self.lapsing,
            self.judged,
        )


@dataclass
class Tally:
    """Everything a screening accumulates; ``merge`` is associative and commutative."""

    trials: dict[str, TrialTally]
    patients: int = 0
    warnings: list[str] = field(default_factory=list)
    more_warnings: int = 0
    assume_attested: bool = False  # the --assume-attested what-if: the report must say so

    @classmethod
    def for_trials(cls, trials: Iterable[Trial], limit: int = MAX_CANDIDATES, assume_attested: bool = False) -> Tally:
        """An empty tally; ``limit``: candidates kept per trial (a worker's partial over one shard
        holds far fewer than the default; the merging tally applies the run's bound);
        ``assume_attested``: the run's what-if, which every engine passes so their reports agree."""
        return cls(
            {
                t.id: TrialTally(
                    t.id,
                    t.title,
                    tuple((c.id, "exclusion" if c.exclude else "inclusion", c.description) for c in t.criteria),
                    limit=limit,
                    manual=frozenset(c.id for c in t.criteria if has_manual(c)),
                    assume_attested=assume_attested,
                )
                for t in trials
            },
            assume_attested=assume_attested,
        )

    def add(self, outcomes: Iterable[TrialOutcome], warnings: Iterable[str] = ()) -> None:
        self.patients += 1
        for o in outcomes:
            self.trials[o.trial].add(o)
        self.warn(warnings)

    def warn(self, warnings: Iterable[str]) -> None:
        """Keep the ``MAX_WARNINGS`` first distinct warnings in sorted order, count the rest: which are
        kept then depends on the warnings, not on the order shards or workers delivered them (the
        report is the same for any number of workers). A saved export's manifest notes sort first
        (:func:`~fhir_eligibility.retrieval.manifest.is_note`), as ``evaluate`` lists them: they explain
        every verdict (60 empty files sorted before "some data may be missing" and left it out)."""
        kept = self.warnings
        for w in warnings:
            at = bisect.bisect_left(kept, _warning_order(w), key=_warning_order)
            if at < len(kept) and kept[at] == w:
                continue
            if len(kept) < MAX_WARNINGS:
                kept.insert(at, w)
            elif at < len(kept):  # sorts before the last kept one: it takes its place
                kept.insert(at, w)
                kept.pop()
                self.more_warnings += 1
            else:
                self.more_warnings += 1

    def merge(self, other: Tally) -> Tally:
        self.patients += other.patients
        self.assume_attested |= other.assume_attested  # a what-if anywhere makes the whole report one
        for tid, t in other.trials.items():
            if tid in self.trials:
                self.trials[tid].merge(t)
            else:
                self.trials[tid] = t
        self.warn(other.warnings)
        self.more_warnings += other.more_warnings
        return self

    def report(self, as_of: dt.date, source: str = "", notes: Iterable[str] = ()) -> ScreeningReport:
        bounded = (self.trials[t].bound_note() for t in sorted(self.trials))
        warnings = [*notes, *(n for n in bounded if n), *self.warnings]
        if self.more_warnings:
            warnings.append(f"{self.more_warnings} more warning(s) not shown")
        return ScreeningReport(
            as_of,
            self.patients,
            tuple(self.trials[t].screening() for t in sorted(self.trials)),
            source,
            tuple(warnings),
            assumed_attested=self.assume_attested,
        )


def _warning_order(w: str) -> tuple[bool, str]:
    """Manifest notes first, then every warning in text order."""
    return not is_note(w), w


__all__ = [
    "MAX_CANDIDATES",
    "Tally",
    "TrialOutcome",
    "TrialTally",
    "answered",
    "has_manual",
    "outcome_of",
    "screen_patient",
]
