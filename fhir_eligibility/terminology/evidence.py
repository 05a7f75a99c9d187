"""Evidence that rests on a site code read through a ConceptMap says so: the record's own code,
the trial concept it was read as, and the map (a reviewer must be able to check the mapping).

Applied to a trial's results after evaluation, from the trial's :attr:`Trial.mappings`, so the
engine stays unaware of site terminology; a trial without mappings is returned untouched.

What a result is decides how it is read (its analyte: units, plausible values; derived formulas read
fixed LOINC inputs), so an Observation's mapped site code is also coded as its target in the data,
before the record is built (:func:`read_as_targets`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import assert_never

from fhir_eligibility.codes import EXT_CONTRADICTORY, Code, codings, display
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
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.results import CriterionResult, Evidence, TrialResult
from fhir_eligibility.record import PatientData, Resource
from fhir_eligibility.terminology.analytes import Analytes, analytes_of


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


# marks a coding read_as_targets added (a mapping's target), so the evidence says it was mapped
_ADDED = {"url": "http://fhir-eligibility.org/fhir/StructureDefinition/mapped-coding", "valueBoolean": True}


def _with_targets(concept: object, add: dict[Code, set[Code]], tests: Analytes) -> object:
    """The concept with the targets of its mapped site codes added as codings (marked), and marked as
    contradictory when its codings name different tests (terminology.analytes); itself when neither."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return concept
    if len(concept["coding"]) < 2 and not add:  # one coding names one test (most results): nothing to read
        return concept
    own = codings(concept)
    extra = set().union(*(add.get(c, ()) for c in own)) - own
    clash = tests.conflict(own) if len(own) > 1 else None
    if not extra and clash is None:
        return concept
    added = [{"system": s, "code": c, "extension": [_ADDED]} for s, c in sorted(extra)]
    out = {**concept, "coding": [*concept["coding"], *added]}
    if clash is not None:
        why = f"its codings name different tests ({display(clash[0])} and {display(clash[1])}): read as neither"
        marks = concept.get("extension")
        out["extension"] = [*(marks if isinstance(marks, list) else []), {"url": EXT_CONTRADICTORY, "valueString": why}]
    return out


def read_as_targets(data: PatientData, trials: Iterable[Trial]) -> PatientData:
    """The patient's data with each Observation coded with a site code the trials map also coded with
    the mapping's target, and each Observation whose codes name different tests marked so (the same
    data when there is neither).

    Why before the record is built: what a result is (its analyte) decides how its units convert and
    which values are plausible, and derived formulas read fixed LOINC inputs; a local haemoglobin in
    mmol/L mapped to 718-7 converts, and 85 g/dL is refused, as under 718-7 itself. The site code stays
    beside the target, so the evidence names it (:func:`mark_mapped`). A result coded as two tests (ALT
    and AST, haemoglobin and a site code mapped to platelets) is read as neither (evaluation.observed)."""
    trials = list(trials) if not isinstance(trials, (list, tuple)) else trials
    tests = analytes_of(trials)
    add: dict[Code, set[Code]] = {}
    for t in trials:
        for m in t.mappings:
            add.setdefault(m.source, set()).add(m.target)
    out: list[Resource] = []
    changed = False
    for r in data.resources:
        read = _observation_as_targets(r, add, tests) if r.get("resourceType") == "Observation" else r
        inner = r.get("contained")  # results a report or a panel holds (evaluation.facts reads them too)
        if isinstance(inner, list) and any(
            isinstance(c, dict) and c.get("resourceType") == "Observation" for c in inner
        ):
            held = [_observation_as_targets(c, add, tests) if isinstance(c, dict) else c for c in inner]
            if any(a is not b for a, b in zip(held, inner, strict=True)):
                read = {**read, "contained": held}
        changed = changed or read is not r
        out.append(read)
    return replace(data, resources=out) if changed else data


def _observation_as_targets(r: Resource, add: dict[Code, set[Code]], tests: Analytes) -> Resource:
    """One Observation (top-level or contained) with its code and components read as targets (the same
    object when nothing changes)."""
    if r.get("resourceType") != "Observation":
        return r
    code = _with_targets(r.get("code"), add, tests)
    parts = r.get("component")
    components = (
        [{**p, "code": _with_targets(p.get("code"), add, tests)} if isinstance(p, dict) else p for p in parts]
        if isinstance(parts, list)
        else parts
    )
    if code is r.get("code") and components == parts:
        return r
    return {**r, "code": code} | ({"component": components} if isinstance(parts, list) else {})


def _added(record: PatientRecord) -> dict[str, set[Code]]:
    """Observation reference -> the target codes :func:`read_as_targets` added to it."""
    out: dict[str, set[Code]] = {}
    for r in record.raw:
        if r.get("resourceType") != "Observation":
            continue
        parts = r.get("component")
        concepts = (
            [r.get("code"), *(p.get("code") for p in parts if isinstance(p, dict))]
            if isinstance(parts, list)
            else [r.get("code")]
        )
        for code in concepts:
            for c in code.get("coding") or [] if isinstance(code, dict) else []:
                if isinstance(c, dict) and c.get("extension") == [_ADDED]:
                    out.setdefault(f"Observation/{r.get('id', '?')}", set()).update(codings({"coding": [c]}))
    return out


def mapped_records(trial: Trial, record: PatientRecord) -> dict[str, list[CodeMapping]]:
    """Record reference -> the mappings it needs (it carries the site code, and the target only as
    :func:`read_as_targets` added it)."""
    out: dict[str, list[CodeMapping]] = {}
    added = _added(record)
    for m in trial.mappings:
        for kind in record.by_kind:
            for f in record.by_code.get((kind, m.source), ()):
                if m.target not in f.codes or m.target in added.get(f.ref.split("#")[0], ()):
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
