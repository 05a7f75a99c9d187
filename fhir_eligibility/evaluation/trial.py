"""A trial's evaluation: each top-level criterion's result, what to collect, and the verdict.

The compiled trial (links, footprints, labels, plain windows) is the caller's, built once per
trial; with the caller's :class:`~.context.Shared`, top-level criteria that read none of a
patient's data take their result from what the patients of the date share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from fhir_eligibility.criteria.model import Criterion, Trial
from fhir_eligibility.evaluation import attestation
from fhir_eligibility.evaluation.combination import evaluate_node
from fhir_eligibility.evaluation.compiled import CompiledTrial
from fhir_eligibility.evaluation.context import Context, Outcome, Settings, Shared, demographics
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.results import CriterionResult, MissingData, Result, TrialResult, Verdict
from fhir_eligibility.evaluation.vital import vital_result
from fhir_eligibility.logic import Truth

# keyed by the Truth's value: hashing an Enum member runs Python code, hashing its str value does not
RESULT_OF = {
    Truth.TRUE.value: Result.PASS,
    Truth.FALSE.value: Result.FAIL,
    Truth.UNKNOWN.value: Result.UNKNOWN,
    Truth.REVIEW.value: Result.REVIEW,
    Truth.MANUAL.value: Result.MANUAL,
}


def _to_result(
    c: Criterion, o: Outcome, kind: str, explain: bool, top: bool = True, shared: Shared | None = None
) -> CriterionResult:
    """The node's result; an outcome the patients of the batch share is converted once per batch."""
    if shared is None or shared.alive.get(id(o)) is not o:
        return _converted(c, o, kind, explain, top, shared)
    key = (id(c), id(o), kind, top)
    hit = shared.results.get(key)
    if hit is None or hit[0] is not c:
        hit = shared.results[key] = (c, _converted(c, o, kind, explain, top, shared))
    return hit[1]


def _converted(c: Criterion, o: Outcome, kind: str, explain: bool, top: bool, shared: Shared | None) -> CriterionResult:
    children = tuple(_to_result(k, ko, kind, explain, False, shared) for k, ko in o.children) if explain else ()
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
        attestation=o.attestation,  # a combination's: from its children (combination.combination_outcome)
    )


def verdict_of(results: list[Result]) -> Verdict:
    if Result.FAIL in results:
        return Verdict.INELIGIBLE
    if Result.UNKNOWN in results:
        return Verdict.UNDETERMINED
    if Result.MANUAL in results or Result.REVIEW in results:
        return Verdict.NEEDS_REVIEW
    return Verdict.ELIGIBLE


def _top_result(
    c: Criterion, o: Outcome, explain: bool, shared: Shared | None
) -> tuple[CriterionResult, tuple[MissingData, ...]]:
    """A top-level criterion's result and, when it is unknown, what to collect (named by the criterion)."""
    result = _to_result(c, o, "exclusion" if c.exclude else "inclusion", explain, True, shared)
    if o.truth is not Truth.UNKNOWN:
        return result, ()
    wanted: list[MissingData] = []
    for m in o.missing:
        m = MissingData(c.id, m.what, m.codes, m.window, m.latest_useful)
        if m not in wanted:
            wanted.append(m)
    return result, tuple(wanted)


def trial_index(trial: Trial) -> CompiledTrial:
    """A fresh compiled trial (callers that evaluate many patients compile once and keep it)."""
    return CompiledTrial(trial)


def evaluate_trial(
    trial: Trial,
    record: PatientRecord,
    as_of: dt.date,
    settings: Settings = Settings(),
    memo: dict[tuple[int, int, int], Outcome] | None = None,
    compiled: CompiledTrial | None = None,
    shared: Shared | None = None,
    answers: attestation.Answers | None = None,
    only: frozenset[str] | None = None,
) -> TrialResult:
    """The explained evaluation of one trial for one patient.

    ``memo``: one dict per patient, passed to each of its trials, so shared leaves run once (plot
    series name their criterion, so they are never shared). ``compiled``: the trial's lookups, kept
    by a caller that evaluates many patients (a fresh one otherwise). ``shared``: what patients of
    this date and settings share (a :class:`~fhir_eligibility.evaluation.program.Batch`'s), None:
    nothing shared. ``answers``: this patient's answers to the trial's Questionnaire, when the
    caller has read them (:func:`~fhir_eligibility.evaluation.attestation.latest_answers`). ``only``:
    evaluate just these top-level criteria (the others are left out of the result, verdict included);
    the timeline re-evaluates a criterion only on its own breakpoints."""
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
    index = compiled if compiled is not None else CompiledTrial(trial)
    assert index.trial is trial, "the compiled trial is another trial's"
    if answers is None:
        answers = attestation.answers_for(record, trial, as_of, settings.attestation_validity_days)
    if answers and not answers.keys() <= index.items:
        answers = {k: a for k, a in answers.items() if k in index.items}
    shared = None if record.unavailable or answers else shared
    ctx = Context(
        record,
        as_of,
        settings,
        index,
        memo=None if settings.collect_series else memo,
        shared=shared,
        short_circuit=not settings.explain and not settings.collect_series,
        answers=answers,
        bounds=shared.bounds if shared is not None else None,
    )
    if ctx.short_circuit and ctx.shared is not None:
        ctx.demographics = demographics(record, as_of)
    results: list[CriterionResult] = [vital] if vital is not None else []
    missing: list[MissingData] = []  # no duplicates: each top-level criterion's are distinct and name it
    present = record.present
    # without a batch nothing is shared: the top-level keys (footprints) are not even computed
    tops = index.tops if shared is not None else [(c, None) for c in trial.criteria]
    for c, keys in tops:
        if only is not None and c.id not in only:
            continue
        if shared is not None and keys is not None and keys.isdisjoint(present):  # common: no data at all
            top = shared.tops.get(id(c))
            if top is None or top[0] is not c:
                top = (c, *_top_result(c, evaluate_node(c, ctx, 0, ()), settings.explain, shared))
                shared.tops[id(c)] = top
            results.append(top[1])
            missing.extend(top[2])
            continue
        result, wanted = _top_result(c, evaluate_node(c, ctx, 0, ()), settings.explain, shared)
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


def bare_result(
    trial: Trial, patient_id: str, results: Sequence[Result], vital: CriterionResult | None, settings: Settings
) -> TrialResult:
    """A trial's result from its top-level criteria's results alone (``vital``: a vital-status result
    before them), without reasons, evidence or what to collect: for a refused trial whose reasons
    nobody reads (a screening funnel's row, a CDS card that is not shown)."""
    kinds = ("exclusion" if c.exclude else "inclusion" for c in trial.criteria)
    now = tuple(
        CriterionResult(c.id, kind, c.description, r, "")
        for c, kind, r in zip(trial.criteria, kinds, results, strict=True)
    )
    criteria = (vital, *now) if vital is not None else now
    return TrialResult(
        f"Patient/{patient_id}",
        trial.id,
        trial.title,
        verdict_of([c.result for c in criteria]),
        criteria,
        (),
        settings.assume_attested,
    )


def evaluate_trials(
    compiled: Sequence[CompiledTrial],
    record: PatientRecord,
    as_of: dt.date,
    settings: Settings,
    shared: Shared | None = None,
) -> list[TrialResult]:
    """One patient's explained results for each trial: leaves shared by trials run once, the
    patient's answers are read once."""
    latest = attestation.latest_answers(record, as_of, settings.attestation_validity_days)
    memo: dict[tuple[int, int, int], Outcome] = {}
    return [evaluate_trial(c.trial, record, as_of, settings, memo, c, shared, latest.get(c.url, {})) for c in compiled]
