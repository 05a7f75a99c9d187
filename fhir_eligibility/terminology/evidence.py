"""Evidence that rests on a site code read through a ConceptMap says so: the record's own code,
the trial concept it was read as, and the map (a reviewer must be able to check the mapping).

Applied to a trial's results after evaluation, from the trial's :attr:`Trial.mappings`, so the
engine stays unaware of site terminology; a trial without mappings is returned untouched.
"""

from __future__ import annotations

from dataclasses import replace

from fhir_eligibility.codes import Code, display
from fhir_eligibility.criteria.model import CodeMapping, Criterion, Derived, ObservationValue, Records, Trial
from fhir_eligibility.evaluation.facts import PatientRecord
from fhir_eligibility.evaluation.results import CriterionResult, Evidence, TrialResult


def node_codes(c: Criterion) -> frozenset[Code]:
    d = c.definition
    if isinstance(d, ObservationValue):
        return d.codes | d.test.codes
    if isinstance(d, Records):
        return d.codes
    if isinstance(d, Derived):
        return d.input_codes | d.test.codes
    return frozenset()


def mapped_records(trial: Trial, record: PatientRecord) -> dict[str, list[CodeMapping]]:
    """Record reference -> the mappings it needs (it carries the site code, not the target)."""
    out: dict[str, list[CodeMapping]] = {}
    for m in trial.mappings:
        for kind in record.by_kind:
            for f in record.by_code.get((kind, m.source), ()):
                if m.target not in f.codes:
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


__all__ = ["mapped_records", "mark_mapped", "node_codes"]
