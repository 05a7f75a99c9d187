"""READ FIRST: load -> plan -> fetch -> evaluate. Every entry point (CLI, server, CDS Hooks,
screening) goes through :func:`evaluate_patients`, so their answers cannot disagree.

    definitions/*.json --load_trials--> Trial trees --plan--> DataRequirements
    source (files | FHIR server | CDS prefetch) --> PatientData --build_record--> PatientRecord
    Program(trials, settings).evaluate(record, as_of, batch) --> TrialResult --> report renderers
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial, record_systems
from fhir_eligibility.evaluation.compiled import CompiledTrial
from fhir_eligibility.evaluation.engine import Settings, evaluate_trials
from fhir_eligibility.evaluation.patient_record import PatientRecord, build_record
from fhir_eligibility.evaluation.program import Batch, Program
from fhir_eligibility.evaluation.results import Report, Result, TrialResult
from fhir_eligibility.evaluation.timeline import Later, Reads, Steps, when
from fhir_eligibility.evaluation.trial import RESULT_OF, bare_result
from fhir_eligibility.evaluation.validity import born_after as birth_is_after
from fhir_eligibility.evaluation.vital import vital_result
from fhir_eligibility.identity import patient_label
from fhir_eligibility.measures import units
from fhir_eligibility.progress import NO_BAR, Bar
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.retrieval.files import nothing_usable, read_patients
from fhir_eligibility.retrieval.merge import withhold_merged
from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients
from fhir_eligibility.terminology.evidence import mark_mapped, read_as_targets
from fhir_eligibility.workers import PATIENTS_PER_TASK, Executor, worker_count


def evaluate_patient(
    data: PatientData,
    trials: Iterable[Trial],
    as_of: dt.date,
    settings: Settings = Settings(),
    program: Program | None = None,
    batch: Batch | None = None,
) -> list[TrialResult]:
    """One patient against the trials. ``program``: the trials compiled for ``settings``, kept by a
    caller that evaluates many patients; ``batch``: what the patients of ``as_of`` share (from the
    program). Without them the trials are compiled for this patient and nothing is shared."""
    trials = list(trials)
    warn_born_after(data, as_of)
    data = withhold_merged(data)  # a merged-away record decides nothing: every criterion unknown
    # a site's code mapped to a trial's (ConceptMap) is read as that code too: units, plausibility, formulas
    systems = program.systems if program is not None else record_systems(trials)
    record = build_record(read_as_targets(data, trials), settings.include_preliminary, systems)
    compiled: Sequence[CompiledTrial]
    if program is not None:
        if (
            program.settings != settings
            or len(program.trials) != len(trials)
            or any(a is not b for a, b in zip(program.trials, trials, strict=True))
        ):
            raise ValueError("the program was compiled for other trials or settings")
        compiled, evaluated = program.compiled, _evaluated(program, record, as_of, batch)
    else:
        pool: dict[Reads, Reads] = {}  # the trials' equal timeline reads, one object each
        compiled = [CompiledTrial(t, pool) for t in trials]
        evaluated = evaluate_trials(compiled, record, as_of, settings)
    results = [mark_mapped(r, c.trial, record) for c, r in zip(compiled, evaluated, strict=True)]
    label = patient_label(data)  # name, birth date, MRN for the reports; the edge may drop it (--deidentify)
    if settings.horizon_days > 0:  # the dates the verdicts change (issue 16)
        later = Later(record, as_of, settings.horizon_days, settings)  # what the patient's trials share
        # later days through the compiled program's truths, when it answers this record exactly
        steps = Steps(program.truths_only(), record) if program is not None and Steps.covers(record, program) else None
        return [
            r.completed(when(c.trial, record, as_of, r, settings, settings.horizon_days, c, later, steps), label)
            for c, r in zip(compiled, results, strict=True)
        ]
    return [r.completed(r.when, label) for r in results] if label is not None else results


def _evaluated(program: Program, record: PatientRecord, as_of: dt.date, batch: Batch | None) -> list[TrialResult]:
    """The program's explained results; with ``explain_refused`` off, a trial its bare truths refuse
    gets a bare result (where those truths are the explained walk's: :meth:`Steps.covers`). Why: a
    CDS card is not shown for a refused trial, and explaining one is most of a hook call's work."""
    settings = program.settings
    vital = vital_result(record.patient, as_of)
    dead = vital is not None and vital.result is Result.FAIL
    if settings.explain_refused or dead or not Steps.covers(record, program):
        return program.evaluate(record, as_of, batch)
    if batch is not None and batch.as_of != as_of:
        raise ValueError(f"a batch of {batch.as_of} used on {as_of}")
    bare = program.truths_only()
    run = bare.run(record, bare.batch(as_of))
    results = [[RESULT_OF[t._value_] for t in bare.truths(run, i)] for i in range(len(bare.trials))]
    wanted = [c for c, rs in zip(program.compiled, results, strict=True) if Result.FAIL not in rs]
    explained = iter(evaluate_trials(wanted, record, as_of, settings, batch.explained if batch is not None else None))
    return [
        bare_result(c.trial, record.patient_id, rs, vital, settings) if Result.FAIL in rs else next(explained)
        for c, rs in zip(program.compiled, results, strict=True)
    ]


class Evaluator:
    """The trials compiled once for one ``Settings``, and what the patients of the latest as-of date
    share: what a long-lived caller keeps (the CDS service; a screening partition). Memory: one
    date's batch, however many dates it is called with."""

    def __init__(self, trials: Iterable[Trial], settings: Settings = Settings()) -> None:
        self.trials = list(trials)
        self.settings = settings
        self.program = Program(self.trials, settings)
        self.batch: Batch | None = None

    def batch_for(self, as_of: dt.date) -> Batch:
        """The batch of ``as_of``: kept until a call with another date replaces it."""
        batch = self.batch
        if batch is None or batch.as_of != as_of:
            batch = self.batch = self.program.batch(as_of)
        return batch

    def __call__(self, data: PatientData, as_of: dt.date) -> list[TrialResult]:
        return evaluate_patient(data, self.trials, as_of, self.settings, self.program, self.batch_for(as_of))


def evaluate_patients(
    patients: Iterable[PatientData],
    trials: list[Trial],
    as_of: dt.date,
    settings: Settings = Settings(),
    warnings: Iterable[str] = (),
    bar: Bar = NO_BAR,
    program: Program | None = None,
    workers: int = 1,
) -> Report:
    """The patients against the trials, compiled once (``program``: already compiled by the caller),
    results in the patients' order. ``workers`` > 1: evaluated on that many processes, each compiling
    the trials once (``program`` is then not used); the report is the same."""
    results: list[TrialResult] = []
    all_warnings = dict.fromkeys(warnings)  # ordered, and no quadratic scan when every patient warns
    for data, evaluated in _in_order(patients, trials, as_of, settings, program, workers):
        results.extend(evaluated)
        bar.advance()
        all_warnings.update(dict.fromkeys(data.warnings))  # evaluate_patient's among them (born after as_of)
    return Report(as_of, tuple(results), tuple(all_warnings))


def _in_order(
    patients: Iterable[PatientData],
    trials: list[Trial],
    as_of: dt.date,
    settings: Settings,
    program: Program | None,
    workers: int,
) -> Iterator[tuple[PatientData, list[TrialResult]]]:
    """Each patient with its results, in input order: here, or on worker processes."""
    if workers <= 1:
        program = program if program is not None else Program(trials, settings)
        batch = program.batch(as_of)  # what these patients share: dropped with the report
        for data in patients:
            yield data, evaluate_patient(data, trials, as_of, settings, program, batch)
        return
    # this process evaluates too: explained results are large, and shipping them back cost CPU
    with Executor(workers, _start_worker, (trials, settings), share=True) as ex:
        for data, (results, warnings) in ex.map_in_order(partial(_evaluate_chunk, as_of), patients, PATIENTS_PER_TASK):
            data.warnings[:] = warnings  # with what evaluating added (undated results), as in one process
            yield data, results


_WORKER: Evaluator | None = None  # in a worker process of evaluate_patients: the trials, compiled once


def _start_worker(job: tuple[list[Trial], Settings] | None) -> None:
    global _WORKER
    _WORKER = None if job is None else Evaluator(*job)
    if job is not None:  # the UCUM parser and registry (~0.3 s): built here, inherited by forked workers
        units.warm_up()


def _evaluate_chunk(as_of: dt.date, patients: list[PatientData]) -> list[tuple[list[TrialResult], list[str]]]:
    """Worker task: a few patients' results, in their order, each with the patient's warnings after
    evaluation (building the record adds some: the parent's copy of the data never sees them)."""
    if _WORKER is None:  # pragma: no cover - the pool's setup always runs first
        raise RuntimeError("evaluation worker used before its setup")
    return [(_WORKER(data, as_of), data.warnings) for data in patients]


def born_after(data: PatientData, as_of: dt.date) -> str | None:
    """The patient's birthDate when it is (even partially) after ``as_of``: a wrong --as-of, most likely.
    The date rule is the evaluator's (:func:`~fhir_eligibility.evaluation.validity.born_after`)."""
    for r in data.resources:
        birth = r.get("birthDate") if r.get("resourceType") == "Patient" else None
        if isinstance(birth, str) and birth_is_after(birth, as_of):
            return birth
    return None


def warn_born_after(data: PatientData, as_of: dt.date) -> None:
    """Adds to the patient's warnings (once) that its birth date is after ``as_of``: its age is unknown, a
    wrong --as-of most likely. Without the date: a report may be de-identified, its warnings too."""
    if born_after(data, as_of):
        warning = f"Patient/{data.patient_id}: birth date after the as-of date {as_of}: age unknown"
        if warning not in data.warnings:
            data.warnings.append(warning)


def evaluate_files(
    paths: list[Path],
    trials: list[Trial],
    as_of: dt.date,
    settings: Settings = Settings(),
    bar: Bar = NO_BAR,
    workers: int = 1,
) -> Report:
    patients, warnings = read_patients(paths)
    if not patients:
        raise nothing_usable(paths, warnings)
    bar.total(len(patients))
    tasks = -(-len(patients) // PATIENTS_PER_TASK)  # workers beyond the patients' chunks would have none
    return evaluate_patients(patients, trials, as_of, settings, warnings, bar, workers=worker_count(workers, tasks))


def evaluate_server(
    options: ServerOptions,
    patient_ids: list[str],
    trials: list[Trial],
    as_of: dt.date,
    settings: Settings = Settings(),
    bar: Bar = NO_BAR,
    incomplete: set[str] | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> Report:
    """Fetch only what the trials need (one batch per patient where the server allows) and evaluate.
    ``incomplete`` receives the ids of patients some of whose data the server did not deliver;
    ``skipped``, the patients who could not be fetched at all, with why (the others are evaluated;
    without it, such a patient ends the run)."""
    requirements = plan(trials, as_of, settings.default_lookback_days)
    bar.total(len(patient_ids))

    def noted(patients: Iterable[PatientData]) -> Iterator[PatientData]:
        for data in map(withhold_merged, patients):  # a merged-away record: nothing decided, nothing written
            if incomplete is not None and data.unavailable:
                incomplete.add(data.patient_id)
            yield data

    fetched = noted(fetch_patients(options, patient_ids, requirements, skipped=skipped))
    return evaluate_patients(fetched, trials, as_of, settings, (), bar)


__all__ = [
    "Evaluator",
    "evaluate_files",
    "evaluate_patient",
    "evaluate_patients",
    "evaluate_server",
    "load_trials",
    "plan",
    "warn_born_after",
]
