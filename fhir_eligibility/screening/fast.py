"""Screening one patient with the compiled program: truths for all, explanations for candidates only.

Why: the funnel needs one result per top-level criterion for every patient, the candidate list
needs what to collect for the 1-3 % who are not ineligible. :class:`Screener` computes the truths
with :class:`~fhir_eligibility.evaluation.program.Program` and, for a trial the patient is not
ineligible for, takes the whole result from the explained evaluator (``evaluate_trial``), so the
candidates' lines are the explained path's own. Patients the program does not cover (data
unavailable, answers on file) and settings it does not cover (explanations, plot series,
eligibility dates) go through :func:`fhir_eligibility.pipeline.evaluate_patient` unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation import attestation
from fhir_eligibility.evaluation.context import Outcome, Settings
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.program import Program
from fhir_eligibility.evaluation.trial import evaluate_trial
from fhir_eligibility.evaluation.vital import vital_result
from fhir_eligibility.identity import patient_label
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.screening.core import TrialOutcome, outcome_of
from fhir_eligibility.terminology.evidence import mark_mapped, read_as_targets

# keyed by the Truth's value: hashing an Enum member runs Python code, hashing its str value does not
_RESULT = {"true": "pass", "false": "fail", "unknown": "unknown", "review": "review", "manual": "manual"}


def covers(settings: Settings) -> bool:
    """Settings the truths-only program answers exactly as the explained evaluator."""
    return not settings.explain and not settings.collect_series and settings.horizon_days <= 0


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
        if program is None or batch is None:
            return [outcome_of(r) for r in evaluate_patient(data, self.trials, as_of, settings)]
        record = build_record(data, settings.include_preliminary)
        site = read_as_targets(record, self.trials)
        days = settings.attestation_validity_days
        answered = attestation.latest_answers(site, as_of, days) if not site.unavailable else {}
        if site.unavailable or any(answered.get(c.url) for c in program.compiled):  # read once, not per trial
            self.whole += 1
            return [outcome_of(r) for r in evaluate_patient(data, self.trials, as_of, settings)]
        vital = vital_result(record.patient, as_of)
        pid = f"Patient/{record.patient_id}"
        label = patient_label(data)  # as evaluate_patient labels its results (the tally keeps candidates' only)
        if vital is not None and vital.result.value == "fail":  # dead: evaluate_trial's one decisive reason
            return [TrialOutcome(t.id, pid, "ineligible", (), (), "fail", label=label) for t in self.trials]
        run = program.run(site, batch)
        unsure = vital.result.value if vital else None  # vital status unknown: a result before the criteria
        out: list[TrialOutcome] = []
        memo: dict[tuple[int, int, int], Outcome] = {}
        for i, trial in enumerate(self.trials):
            results = tuple(_RESULT[t._value_] for t in program.truths(run, i))
            if "fail" in results:
                out.append(TrialOutcome(trial.id, pid, "ineligible", results, (), unsure, label=label))
                continue
            # a candidate: the explained evaluator's own result, with what to collect
            # with the program's compiled trial and the batch's shared outcomes: what reads none of the
            # patient's data is explained once per date (answers: none, checked above)
            explained = evaluate_trial(trial, site, as_of, settings, memo, program.compiled[i], batch.explained, {})
            result = mark_mapped(explained, trial, record)
            out.append(outcome_of(replace(result, label=label) if label is not None else result))
        return out


__all__ = ["Screener", "covers"]
