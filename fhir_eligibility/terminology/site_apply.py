"""Site code mappings applied to the criteria trees: each mapped site code joins every code set holding its target.

Why at load time: the criteria tree carries expanded code sets (criteria.parse), so a mapped local
code added here is read by the evaluator, the planner (server searches, CDS prefetch) and screening
footprints exactly like the trial's own codes. Reading the site's files is terminology.site; which
relationships count, and which only may be the concept, is terminology.relationships.
"""

from __future__ import annotations

from dataclasses import replace
from typing import assert_never

from fhir_eligibility.codes import Code, with_atc_groups
from fhir_eligibility.criteria.model import (
    Age,
    CodedTest,
    CodeMapping,
    Combination,
    Criterion,
    Definition,
    Derived,
    Expression,
    Gender,
    Manual,
    ObservationValue,
    PresentTest,
    QuantityTest,
    RangeTest,
    Records,
    Trial,
    Unsupported,
    ValueTest,
)
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.terminology.relationships import MAYBE


def apply_mappings(trials: list[Trial], mappings: list[CodeMapping]) -> list[Trial]:
    """Each trial with the mapped site codes added to every code set holding their target, or
    (ATC) a group of it: a record coded L01XE26 is in a value set listing L01 (codes.with_atc_groups),
    so a site code mapped to L01XE26 must be too."""
    by_target: dict[Code, list[CodeMapping]] = {}
    for m in mappings:
        for key in with_atc_groups(frozenset({m.target})):
            by_target.setdefault(key, []).append(m)
    if not by_target:
        return trials
    out = []
    for t in trials:
        used: dict[CodeMapping, None] = {}
        criteria = tuple(_criterion(c, by_target, used) for c in t.criteria)
        out.append(replace(t, criteria=criteria, mappings=tuple(used)))
    return out


def _hits(codes: frozenset[Code], by_target: dict[Code, list[CodeMapping]]) -> list[CodeMapping]:
    """The mappings whose target (or its ATC group) is one of the codes."""
    if len(codes) < len(by_target):
        return [m for t in codes for m in by_target.get(t, ())]
    return [m for t, ms in by_target.items() if t in codes for m in ms]


def _codes(
    codes: frozenset[Code], by_target: dict[Code, list[CodeMapping]], used: dict[CodeMapping, None]
) -> frozenset[Code]:
    """The codes with the site codes that mean one of them (a broader site code is never one)."""
    hits = [m for m in _hits(codes, by_target) if m.relationship not in MAYBE]
    for m in hits:
        used[m] = None
    return codes | {m.source for m in hits} if hits else codes


def _records(d: Records, by_target: dict[Code, list[CodeMapping]], used: dict[CodeMapping, None]) -> Records:
    """A presence criterion with the site codes that mean one of its codes, and those that may (broader:
    their records make the answer uncertain, records.py). A code that also means one is no maybe."""
    codes = _codes(d.codes, by_target, used)
    broader = [m for m in _hits(d.codes, by_target) if m.relationship in MAYBE and m.source not in codes]
    if not broader:
        return replace(d, codes=codes)
    for m in broader:
        used[m] = None
    maybe = frozenset(m.source for m in broader)
    return replace(d, codes=codes | maybe, maybe=d.maybe | maybe)


def _test(test: ValueTest, by_target: dict[Code, list[CodeMapping]], used: dict[CodeMapping, None]) -> ValueTest:
    match test:
        case CodedTest():
            if not test.codes:
                return test
            # a site code mapped both to an accepted answer and to another one (Positive and Negative)
            # is read as neither: unknown, never one result that is both
            yes = [m for m in _hits(test.codes, by_target) if m.relationship not in MAYBE]
            no = [m for m in _hits(test.others, by_target) if m.relationship not in MAYBE]
            both = {m.source for m in yes} & {m.source for m in no}
            yes, no = [m for m in yes if m.source not in both], [m for m in no if m.source not in both]
            for m in (*yes, *no):
                used[m] = None
            return CodedTest(test.codes | {m.source for m in yes}, test.others | {m.source for m in no})
        case QuantityTest() | RangeTest() | PresentTest():  # no codes a site could map
            return test
        case _:
            assert_never(test)


def _definition(d: Definition, by_target: dict[Code, list[CodeMapping]], used: dict[CodeMapping, None]) -> Definition:
    match d:
        case Combination():
            return replace(d, children=tuple(_criterion(k, by_target, used) for k in d.children))
        case ObservationValue():
            return replace(d, codes=_codes(d.codes, by_target, used), test=_test(d.test, by_target, used))
        case Records():
            return _records(d, by_target, used)
        case Derived():
            # lab formulas read fixed inputs (creatinine, weight...): their mapped site codes join input_codes,
            # which the planner fetches; the record reads them as the target (terminology.evidence.read_as_targets)
            labs = [
                m for t in dv.INPUTS.get(d.concept, ()) for m in by_target.get(t, ()) if m.relationship not in MAYBE
            ]
            for m in labs:
                used[m] = None
            inputs = _codes(d.input_codes, by_target, used) | {m.source for m in labs}
            return replace(d, input_codes=inputs, test=_test(d.test, by_target, used))
        case Age() | Gender() | Manual() | Expression() | Unsupported():  # no codes a site could map
            return d
        case _:
            assert_never(d)


def _criterion(c: Criterion, by_target: dict[Code, list[CodeMapping]], used: dict[CodeMapping, None]) -> Criterion:
    return replace(c, definition=_definition(c.definition, by_target, used))


__all__ = ["apply_mappings"]
