"""Screening one patient with the compiled program: truths for all, explanations for candidates only.

Why: the funnel needs one result per top-level criterion for every patient, the candidate list
needs what to collect for the 1-3 % who are not ineligible. :class:`Screener` computes the truths
with :class:`~fhir_eligibility.evaluation.program.Program` and, for a trial the patient is not
ineligible for, takes the whole result from the explained evaluator (``evaluate_trial``), so the
candidates' lines are the explained path's own. With a horizon, the dates the verdict changes come
from the same program on later days (:class:`~fhir_eligibility.evaluation.timeline.Steps`); an
ineligible patient whose reasons to refuse cannot change within the horizon is answered without
any re-evaluation. Patients the program does not cover (data unavailable, answers on file) and
settings it does not cover (explanations, plot series) go through
:func:`fhir_eligibility.pipeline.evaluate_patient` unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation import attestation
from fhir_eligibility.evaluation.context import Outcome, Settings
from fhir_eligibility.evaluation.patient_record import PatientRecord, build_record
from fhir_eligibility.evaluation.program import Program
from fhir_eligibility.evaluation.results import CriterionResult, PatientLabel, Result
from fhir_eligibility.evaluation.timeline import Later, Steps, first_possible, when
from fhir_eligibility.evaluation.trial import bare_result, evaluate_trial
from fhir_eligibility.evaluation.vital import vital_result
from fhir_eligibility.identity import patient_label
from fhir_eligibility.pipeline import evaluate_patient, warn_born_after
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.merge import withhold_merged
from fhir_eligibility.screening.core import TrialOutcome, outcome_of
from fhir_eligibility.terminology.evidence import mark_mapped, read_as_targets

_UNDATED: tuple[None, None, None] = (None, None, None)  # no eligibleFrom within the horizon
# keyed by the Truth's value: hashing an Enum member runs Python code, hashing its str value does not
_RESULT = {"true": "pass", "false": "fail", "unknown": "unknown", "review": "review", "manual": "manual"}


def covers(settings: Settings) -> bool:
    """Settings the truths-only program answers exactly as the explained evaluator."""
    return not settings.explain and not settings.collect_series


def _listed_labels(outcomes: list[TrialOutcome]) -> list[TrialOutcome]:
    """The outcomes with a label only where the tally keeps one (a candidate), as the program gives them."""
    return [o if o.verdict != "ineligible" or o.eligible_from else o._replace(label=None) for o in outcomes]


class _Label:
    """The patient's label, read once and only for an outcome the tally lists (a candidate): most
    screened patients are listed for no trial, and reading a name and an MRN cost 4 % of a screening."""

    def __init__(self, data: PatientData) -> None:
        self.data = data
        self.read = False
        self.value: PatientLabel | None = None

    def __call__(self, wanted: object) -> PatientLabel | None:
        if not wanted:
            return None
        if not self.read:
            self.value, self.read = patient_label(self.data), True
        return self.value


class Screener:
    """The trials compiled once, and what patients of one as-of date share."""

    def __init__(self, trials: Sequence[Trial], as_of: dt.date, settings: Settings) -> None:
        self.trials = list(trials)
        self.as_of = as_of
        self.settings = settings
        self.program = Program(self.trials, settings) if covers(settings) else None
        self.batch = self.program.batch(as_of) if self.program is not None else None
        self.whole = 0  # patients evaluated whole by the explained evaluator (tests check the program ran)

    def screen(self, data: PatientData) -> list[TrialOutcome]:
        program, batch, settings, as_of = self.program, self.batch, self.settings, self.as_of
        warn_born_after(data, as_of)  # as evaluate_patient, which the program's path does not go through
        data = withhold_merged(data)  # a merged-away record decides nothing (as evaluate_patient)
        if program is None or batch is None:
            return _listed_labels([outcome_of(r) for r in evaluate_patient(data, self.trials, as_of, settings)])
        record = build_record(read_as_targets(data, self.trials), settings.include_preliminary, program.systems)
        days = settings.attestation_validity_days
        exact = program.answers_exactly(record)  # no unavailable data, or none a criterion reads
        answered = attestation.latest_answers(record, as_of, days) if exact else {}
        if not exact or any(answered.get(c.url) for c in program.compiled):  # read once, not per trial
            self.whole += 1
            return _listed_labels([outcome_of(r) for r in evaluate_patient(data, self.trials, as_of, settings)])
        vital = vital_result(record.patient, as_of)
        pid = f"Patient/{record.patient_id}"
        # as evaluate_patient labels its results, for the outcomes the tally keeps a label of (candidates)
        label = _Label(data)
        if vital is not None and vital.result.value == "fail":  # dead: evaluate_trial's one decisive reason
            return [TrialOutcome(t.id, pid, "ineligible", (), (), "fail") for t in self.trials]
        run = program.run(record, batch)
        unsure = vital.result.value if vital else None  # vital status unknown: a result before the criteria
        out: list[TrialOutcome] = []
        memo: dict[tuple[int, int, int], Outcome] = {}
        horizon = settings.horizon_days
        # later days through the same program, unless an answer on file could count on one of them
        steps = Steps(program, record) if horizon > 0 and Steps.covers(record, program) else None
        later = Later(record, as_of, horizon, settings)  # the dates and later days its trials share
        for i, trial in enumerate(self.trials):
            results = tuple(_RESULT[t._value_] for t in program.truths(run, i))
            if "fail" in results:
                since, until, then = self._dates(i, record, results, vital, steps, later) if horizon > 0 else _UNDATED
                out.append(
                    TrialOutcome(
                        trial.id,
                        pid,
                        "ineligible",
                        results,
                        (),
                        unsure,
                        since,
                        until,
                        label=label(since),
                        verdict_from=then,
                    )
                )
                continue
            # a candidate: the explained evaluator's own result, with what to collect
            # with the program's compiled trial and the batch's shared outcomes: what reads none of the
            # patient's data is explained once per date (answers: none, checked above)
            explained = evaluate_trial(trial, record, as_of, settings, memo, program.compiled[i], batch.explained, {})
            result = mark_mapped(explained, trial, record)
            if horizon > 0:
                dates = when(trial, record, as_of, result, settings, horizon, program.compiled[i], later, steps)
                result = replace(result, when=dates)
            labelled = label(True)
            out.append(outcome_of(replace(result, label=labelled) if labelled is not None else result))
        return out

    def _dates(
        self,
        i: int,
        record: PatientRecord,
        results: tuple[str, ...],
        vital: CriterionResult | None,
        steps: Steps | None,
        later: Later,
    ) -> tuple[str | None, str | None, str | None]:
        """An ineligible patient's eligibleFrom, the eligibleUntil after it and the verdict on eligibleFrom, as
        :func:`when` finds them; most have a reason to refuse that no date changes, answered without building
        any result."""
        assert self.program is not None, "the program covers these settings"
        trial, compiled, settings = self.trials[i], self.program.compiled[i], self.settings
        blocking = [c.id for c, r in zip(trial.criteria, results, strict=True) if r in ("fail", "unknown")]
        blocking += [vital.id] if vital is not None else []  # alive: None; else unknown (the dead are answered)
        if first_possible(compiled, record, self.as_of, settings.horizon_days, settings, blocking, later) is None:
            return _UNDATED
        current = bare_result(trial, record.patient_id, [Result(r) for r in results], vital, settings)
        w = when(trial, record, self.as_of, current, settings, settings.horizon_days, compiled, later, steps)
        since = w.eligible_from.isoformat() if w.eligible_from else None
        until = w.eligible_until.isoformat() if w.eligible_until else None
        return since, until, w.verdict_from.value if since and w.verdict_from else None


__all__ = ["Screener", "covers"]
