"""A trial's evaluation: each top-level criterion's result, what to collect, and the verdict.

The trial index (links, footprints, plain windows) is built once per trial; top-level criteria
that read none of a patient's data take their result from the cross-patient cache.
"""

from __future__ import annotations

import datetime as dt

from fhir_eligibility.criteria.model import Criterion, Trial
from fhir_eligibility.evaluation import attestation
from fhir_eligibility.evaluation.combination import evaluate_node
from fhir_eligibility.evaluation.context import (
    Context,
    Outcome,
    Settings,
    TrialIndex,
    demographics,
    shared_outcomes,
)
from fhir_eligibility.evaluation.facts import PatientRecord
from fhir_eligibility.evaluation.footprint import Footprint, Key, footprint
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


def _to_result(c: Criterion, o: Outcome, kind: str, explain: bool, top: bool = True) -> CriterionResult:
    children = tuple(_to_result(k, ko, kind, explain, top=False) for k, ko in o.children) if explain else ()
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
        attestation=o.attestation or next((k.attestation for k in children if k.attestation), None),
    )


def verdict_of(results: list[Result]) -> Verdict:
    if Result.FAIL in results:
        return Verdict.INELIGIBLE
    if Result.UNKNOWN in results:
        return Verdict.UNDETERMINED
    if Result.MANUAL in results or Result.REVIEW in results:
        return Verdict.NEEDS_REVIEW
    return Verdict.ELIGIBLE


def _top_result(c: Criterion, o: Outcome, explain: bool) -> tuple[CriterionResult, tuple[MissingData, ...]]:
    """A top-level criterion's result and, when it is unknown, what to collect (named by the criterion)."""
    result = _to_result(c, o, "exclusion" if c.exclude else "inclusion", explain)
    if o.truth is not Truth.UNKNOWN:
        return result, ()
    wanted: list[MissingData] = []
    for m in o.missing:
        m = MissingData(c.id, m.what, m.codes, m.window, m.latest_useful)
        if m not in wanted:
            wanted.append(m)
    return result, tuple(wanted)


_INDEXES: dict[int, TrialIndex] = {}


def _same_for_all(fp: Footprint | None) -> frozenset[Key] | None:
    return None if fp is None or fp.demographics else fp.keys


def trial_index(trial: Trial) -> TrialIndex:
    """The trial's index, built on first use (kept for the process: trials are few and immutable)."""
    hit = _INDEXES.get(id(trial))
    if hit is None or hit.trial is not trial:
        nodes = [n for top in trial.criteria for n in top.walk()]
        plain = {id(n.windows): all(w.anchor == "study-start" for w in n.windows) for n in nodes}
        hit = TrialIndex(
            trial,
            {n.id: n for n in nodes},
            tuple((c, _same_for_all(footprint(c))) for c in trial.criteria),
            {id(n): footprint(n) for n in nodes},
            {**plain, id(()): True},
        )
        _INDEXES[id(trial)] = hit
    return hit


def evaluate_trial(
    trial: Trial,
    record: PatientRecord,
    as_of: dt.date,
    settings: Settings = Settings(),
    memo: dict[tuple[int, int, int], Outcome] | None = None,
) -> TrialResult:
    """``memo``: one dict per patient, passed to each of its trials, so shared leaves run once.
    Plot series name their criterion, so they are never shared."""
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
    index = trial_index(trial)
    answers = attestation.answers_for(record, trial, as_of, settings.attestation_validity_days)
    ctx = Context(
        record,
        as_of,
        settings,
        index,
        memo=None if settings.collect_series else memo,
        shared=None if record.unavailable or answers else shared_outcomes(as_of, settings),
        short_circuit=not settings.explain and not settings.collect_series,
        answers=answers,
    )
    if ctx.short_circuit and ctx.shared is not None:
        ctx.demographics = demographics(record, as_of)
    results: list[CriterionResult] = [vital] if vital is not None else []
    missing: list[MissingData] = []  # no duplicates: each top-level criterion's are distinct and name it
    shared, present = ctx.shared, record.present
    for c, keys in index.tops:
        if shared is not None and keys is not None and keys.isdisjoint(present):  # common: no data at all
            top = shared.tops.get(id(c))
            if top is None or top[0] is not c:
                top = (c, *_top_result(c, evaluate_node(c, ctx, 0, ()), settings.explain))
                shared.tops[id(c)] = top
            results.append(top[1])
            missing.extend(top[2])
            continue
        result, wanted = _top_result(c, evaluate_node(c, ctx, 0, ()), settings.explain)
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
