"""Which of a patient's records a criterion can read: the key to sharing outcomes across patients.

Why: in a population most criteria meet no data at all (a patient without a NET diagnosis has no
Ki-67, no PRRT, no SSTR imaging), and a criterion that reads none of a patient's records has the
same outcome for every such patient on the same date and settings. The engine evaluates it once
and reuses it (see ``evaluate_node``; footprints are kept by the compiled trial). The footprint
comes from the planner's :func:`~fhir_eligibility.requirements.plan.leaf_needs`, the one
statement of what each form reads, so the records the server fetches and the records that unlock
re-evaluation cannot drift apart.

A footprint is a set of keys ``(resource type, code)`` or ``(resource type, None)`` (every record
of the type), matched against ``PatientRecord.present``, plus whether the subtree reads the
patient's gender or age (a combination gating a pregnancy test on "woman under 55": shareable
between patients of the same gender and age where outcomes carry no evidence, i.e. screening). It
is ``None`` when the outcome depends on the patient in other ways: an age or gender test itself
(its evidence names the patient), FHIRPath expressions (read the raw resources), windows relative
to another criterion's event. Derived formulas need age and sex only once a creatinine is
present, which their Observation codes cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import (
    Age,
    Combination,
    Criterion,
    Derived,
    Expression,
    Gender,
    Manual,
    ObservationValue,
    Records,
    Unsupported,
)
from fhir_eligibility.requirements.plan import leaf_needs

Key = tuple[str, Code | None]


@dataclass(frozen=True)
class Footprint:
    keys: frozenset[Key]
    demographics: bool = False  # some test in the subtree reads the patient's gender or age


def _depends_on_patient(c: Criterion) -> bool:
    if any(w.anchor != "study-start" for w in c.windows):
        return True
    d = c.definition
    match d:
        case Combination():
            return any(_depends_on_patient(k) for k in d.children)
        case Expression():  # reads the raw resources
            return True
        case ObservationValue() | Records() | Derived() | Age() | Gender() | Manual() | Unsupported():
            return False
        case _:
            assert_never(d)


def _reads_demographics(c: Criterion) -> bool:
    d = c.definition
    match d:
        case Combination():
            return any(_reads_demographics(k) for k in d.children)
        case Age() | Gender():
            return True
        case ObservationValue() | Records() | Derived() | Manual() | Expression() | Unsupported():
            return False
        case _:
            assert_never(d)


def footprint(c: Criterion) -> Footprint | None:
    """The keys of the subtree under ``c``: computed on each call, kept per trial by its
    :class:`~fhir_eligibility.evaluation.compiled.CompiledTrial` (criteria are immutable)."""
    if isinstance(c.definition, (Age, Gender)) or _depends_on_patient(c):
        return None
    keys: set[Key] = set()
    for rtype, codes, _since in leaf_needs(c, (), None, 0):
        if rtype == "Patient":
            continue
        if codes:
            keys.update((rtype, code) for code in codes)
        else:
            keys.add((rtype, None))
    return Footprint(frozenset(keys), _reads_demographics(c))


__all__ = ["Footprint", "Key", "footprint"]
