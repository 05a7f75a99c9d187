"""Evidence that rests on a site code read through a ConceptMap says so: the record's own code,
the trial concept it was read as, and the map (a reviewer must be able to check the mapping).

Applied to a trial's results after evaluation, from the trial's :attr:`Trial.mappings`, so the
engine stays unaware of site terminology; a trial without mappings is returned untouched.

Derived formulas (Cockcroft-Gault, MDRD, CKD-EPI, Child-Pugh) read fixed LOINC inputs rather than
criterion code sets, so for them the record itself reads a mapped site code as its target
(:func:`read_as_targets`), before evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import assert_never

from fhir_eligibility.codes import Code, display
from fhir_eligibility.criteria.model import (
    Age,
    CodeMapping,
    Combination,
    Criterion,
    Derived,
    Expression,
    Gender,
    Manual,
    ObservationValue,
    Records,
    Trial,
    Unsupported,
    coded_values,
)
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.results import CriterionResult, Evidence, TrialResult


def node_codes(c: Criterion) -> frozenset[Code]:
    d = c.definition
    match d:
        case ObservationValue():
            return d.codes | coded_values(d.test)
        case Records():
            return d.codes
        case Derived():
            return d.input_codes | coded_values(d.test)
        case Combination() | Age() | Gender() | Manual() | Expression() | Unsupported():  # no codes of their own
            return frozenset()
        case _:
            assert_never(d)


DERIVED_INPUTS: frozenset[Code] = frozenset().union(*dv.INPUTS.values())


def read_as_targets(record: PatientRecord, trials: Iterable[Trial]) -> PatientRecord:
    """The record with facts carrying a site code mapped to a derived formula's input also carrying
    that input's code (the same record when no trial maps one)."""
    add: dict[Code, set[Code]] = {}
    for t in trials:
        for m in t.mappings:
            if m.target in DERIVED_INPUTS:
                add.setdefault(m.source, set()).add(m.target)
    hits = {f for src in add for f in record.by_code.get(("Observation", src), ())}
    if not hits:
        return record
    new = {f: f._replace(codes=f.codes.union(*(add.get(c, ()) for c in f.codes))) for f in hits}
    by_kind = {k: tuple(new.get(f, f) for f in fs) for k, fs in record.by_kind.items()}
    by_code: dict[tuple[str, Code], list[Fact]] = {}
    for kind, facts in by_kind.items():
        for f in facts:
            for c in f.codes:
                by_code.setdefault((kind, c), []).append(f)
    present = frozenset([*((k, None) for k in by_kind), *by_code])
    return replace(record, by_kind=by_kind, by_code={k: tuple(v) for k, v in by_code.items()}, present=present)


def mapped_records(trial: Trial, record: PatientRecord) -> dict[str, list[CodeMapping]]:
    """Record reference -> the mappings it needs (it carries the site code, not the target)."""
    out: dict[str, list[CodeMapping]] = {}
    for m in trial.mappings:
        for kind in record.by_kind:
            for f in record.by_code.get((kind, m.source), ()):
                if m.target not in f.codes:
                    out.setdefault(f.ref.split("#")[0], []).append(m)
    sources = {m.source for m in trial.mappings}
    for f in record.by_kind.get("Observation", ()):  # a coded result (a local "NEG") read as the trial's value
        for m in trial.mappings if not sources.isdisjoint(f.value_codes) else ():
            if m.source in f.value_codes and m.target not in f.value_codes:
                out.setdefault(f.ref.split("#")[0], []).append(m)
    return out


def _mark(e: Evidence, options: list[CodeMapping], codes: frozenset[Code]) -> Evidence:
    m = next((o for o in options if o.target in codes), options[0])
    note = f"site code {display(m.source)} read as {display(m.target)} ({m.relationship}, {m.concept_map})"
    return replace(
        e,
        note=f"{e.note}; {note}" if e.note else note,
        code=display(m.source),
        mapped_to=display(m.target),
        mapped_by=m.concept_map,
    )


def _walk(r: CriterionResult, hits: dict[str, list[CodeMapping]], nodes: dict[str, Criterion]) -> CriterionResult:
    node = nodes.get(r.id)
    codes = node_codes(node) if node is not None else frozenset()
    evidence = tuple(
        _mark(e, hits[e.reference], codes) if e.reference in hits and not e.mapped_by else e for e in r.evidence
    )
    children = tuple(_walk(k, hits, nodes) for k in r.children)
    return replace(r, evidence=evidence, children=children)


def mark_mapped(result: TrialResult, trial: Trial, record: PatientRecord) -> TrialResult:
    """The result with every evidence item that rests on a mapped site code annotated."""
    if not trial.mappings:
        return result
    hits = mapped_records(trial, record)
    if not hits:
        return result
    nodes = {n.id: n for top in trial.criteria for n in top.walk()}
    return replace(result, criteria=tuple(_walk(c, hits, nodes) for c in result.criteria))


__all__ = ["mapped_records", "mark_mapped", "node_codes", "read_as_targets"]
