"""The immutable criteria tree every visitor walks: planner, evaluator, explainer, renderers.

Parsing the R5 JSON happens once (``criteria.parse``); nothing downstream re-reads FHIR JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import assert_never

from fhir_eligibility.codes import Code
from fhir_eligibility.measures.timing import TimeOffset as TimeOffset  # the windows' offsets, part of the tree
from fhir_eligibility.pickling import picklable


@dataclass(frozen=True)
class Window:
    """Inclusive bounds relative to an anchor (``study-start`` or a linkId); None = open."""

    anchor: str
    low: TimeOffset | None
    high: TimeOffset | None
    low_strict: bool = False
    high_strict: bool = False
    # the protocol gives no window: ``low`` is the default look-back as written, replaced by the
    # configured one when the trials are loaded (criteria.load, ``--lookback-days``)
    lookback: bool = False


@dataclass(frozen=True)
class Threshold:
    """A quantity to compare with: UCUM unit code (None for unitless counts and scores)."""

    value: float
    unit: str | None


# The FHIR characteristic-offset codes, as clinicians write them.
LIMIT_NAME = {"UNL": "ULN", "LNL": "LLN"}


def _q(t: Threshold | None) -> str:
    return "" if t is None else f"{t.value:g}" + (f" {t.unit}" if t.unit and t.unit != "1" else "")


def _limit_suffix(offset: str | None, ratio: bool) -> str:
    limit = LIMIT_NAME.get(offset or "", offset)
    return f" x {limit}" if offset and ratio else (f" from {limit}" if offset else "")


# A value test is one of four typed tests. Every reader (parser, compare, forms, texts, terminology)
# dispatches with ``match`` ending in ``assert_never``: mypy fails where a new test is not handled
# (tests/test_dispatch.py shows it).


@dataclass(frozen=True)
class QuantityTest:
    """``value <comparator> quantity`` (None = equal); with ``offset`` relative to a reference limit."""

    comparator: str | None  # < <= >= >  (None = equal)
    quantity: Threshold
    offset: str | None = None  # "UNL" | "LNL"
    ratio: bool = False  # with offset: the threshold is a multiple of the limit
    alternate: Threshold | None = None  # same threshold written in another unit


@dataclass(frozen=True)
class RangeTest:
    """Inclusive range, either bound open (None); with ``offset`` relative to a reference limit."""

    low: Threshold | None
    high: Threshold | None
    offset: str | None = None
    ratio: bool = False


@dataclass(frozen=True)
class CodedTest:
    """The value is coded as one of ``codes``; coded as one of ``others`` (the other answers to the
    same question, :mod:`fhir_eligibility.terminology.answers`) it is not; coded otherwise, it is
    unknown when ``others`` are known."""

    codes: frozenset[Code]
    others: frozenset[Code] = frozenset()


@dataclass(frozen=True)
class PresentTest:
    """Any recorded value will do."""


ValueTest = QuantityTest | RangeTest | CodedTest | PresentTest
NumericTest = QuantityTest | RangeTest


def describe_test(test: ValueTest) -> str:
    """The test as criteria texts show it: ">= 1.5 m2", "0 .. 2 x ULN", "coded as one of ..."."""
    match test:
        case QuantityTest():
            return f"{test.comparator or '='} {_q(test.quantity)}{_limit_suffix(test.offset, test.ratio)}"
        case RangeTest():
            suffix = _limit_suffix(test.offset, test.ratio)
            return f"{_q(test.low) or '-inf'} .. {_q(test.high) or '+inf'}{suffix}"
        case CodedTest():
            return "coded as one of " + ", ".join(sorted(c[1] for c in test.codes))
        case PresentTest():
            return "present"
        case _:
            assert_never(test)


def coded_values(test: ValueTest) -> frozenset[Code]:
    """The codes a coded test accepts; none for the others."""
    match test:
        case CodedTest():
            return test.codes
        case QuantityTest() | RangeTest() | PresentTest():
            return frozenset()
        case _:
            assert_never(test)


def thresholds(test: ValueTest) -> tuple[Threshold, ...]:
    """The thresholds a numeric test is written with (quantity, or the range's bounds), in that order."""
    match test:
        case QuantityTest():
            return (test.quantity,)
        case RangeTest():
            return tuple(t for t in (test.low, test.high) if t is not None)
        case CodedTest() | PresentTest():
            return ()
        case _:
            assert_never(test)


@dataclass(frozen=True)
class CountTest:
    """instances / duration: comparator + value (or inclusive range)."""

    comparator: str | None
    value: float | None
    low: float | None = None
    high: float | None = None
    unit: str | None = None  # duration unit (d)

    def text(self) -> str:
        if self.value is not None:
            # no comparator is an exact count: "= 4" in a reason reads like a sign the protocol lost
            sign = f"{self.comparator} " if self.comparator not in (None, "=") else "exactly "
            return f"{sign}{self.value:g}{' ' + self.unit if self.unit else ''}"
        return f"{self.low if self.low is not None else '-inf'} .. {self.high if self.high is not None else '+inf'}"


# ---- definitions (one per node) -------------------------------------------------------------


@dataclass(frozen=True)
class ObservationValue:
    codes: frozenset[Code]
    test: ValueTest
    methods: frozenset[str] = frozenset()
    instances: CountTest | None = None
    label: str = field(default="", compare=False)  # display only: leaves with other labels are the same test


@dataclass(frozen=True)
class Age:
    test: ValueTest


@dataclass(frozen=True)
class Gender:
    codes: frozenset[str]


@dataclass(frozen=True)
class Records:
    """Presence (closed world) of Conditions, Procedures, medications... with the given codes."""

    resource_types: tuple[str, ...]
    codes: frozenset[Code]
    methods: frozenset[str] = frozenset()
    instances: CountTest | None = None
    duration: CountTest | None = None
    label: str = field(default="", compare=False)
    # of ``codes``: site codes broader than a code of the set (a ConceptMap ``narrower``): a record with
    # one only may be the concept, so it makes the answer uncertain, never absent (terminology.site_apply)
    maybe: frozenset[Code] = frozenset()


@dataclass(frozen=True)
class Derived:
    concept: str  # creatinine-clearance, egfr-mdrd, egfr-ckd-epi-2021, cumulative-activity, child-pugh
    test: ValueTest
    methods: frozenset[str] = frozenset()
    input_codes: frozenset[Code] = frozenset()


@dataclass(frozen=True)
class Manual:
    pass


@dataclass(frozen=True)
class Expression:
    expression: str
    language: str


@dataclass(frozen=True)
class Combination:
    code: str  # all-of | any-of | at-least | at-most
    threshold: int | None
    children: tuple[Criterion, ...]
    # an all-of of record leaves met only by one record (codes.EXT_SAME_RECORD): a site and a morphology
    # coded on two Conditions may be two tumours, so met by different records it is REVIEW, not TRUE
    same_record: bool = False


@dataclass(frozen=True)
class Unsupported:
    reason: str


# The forms a characteristic can take. Every visitor (evaluator, planner, footprint) dispatches with
# ``match`` ending in ``assert_never``, so mypy fails where a new form is not handled
# (tests/test_dispatch.py shows it).
Leaf = ObservationValue | Age | Gender | Records | Derived | Manual | Expression | Unsupported
Definition = Leaf | Combination


@dataclass(frozen=True)
class Criterion:
    id: str
    description: str
    definition: Definition
    exclude: bool = False
    judgement: bool = False
    windows: tuple[Window, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def computable(self) -> bool:
        d = self.definition
        if isinstance(d, Manual):
            return False
        if isinstance(d, Combination):
            return any(c.computable for c in d.children)
        return True

    def walk(self) -> list[Criterion]:
        out = [self]
        if isinstance(self.definition, Combination):
            for c in self.definition.children:
                out.extend(c.walk())
        return out


@dataclass(frozen=True)
class CodeMapping:
    """A site's code read as a trial concept (a ConceptMap target that counts); evidence names it."""

    source: Code
    target: Code
    concept_map: str  # the ConceptMap's canonical url (or ConceptMap/id)
    relationship: str  # equivalence (R4) or relationship (R5) as written


@dataclass(frozen=True)
class Trial:
    id: str  # NCT number
    title: str
    criteria: tuple[Criterion, ...]
    url: str | None = None
    phase: str | None = None
    status: str | None = None
    sponsor: str | None = None
    conditions: tuple[str, ...] = ()
    source_files: tuple[str, ...] = field(default=(), compare=False)
    mappings: tuple[CodeMapping, ...] = ()  # site codes added to this trial's code sets

    @property
    def computable_count(self) -> int:
        return sum(c.computable for c in self.criteria)


def record_systems(trials: Iterable[Trial]) -> dict[str, frozenset[str]]:
    """Per resource type, the code systems the trials' record criteria (diagnoses, treatments,
    allergies) read, site codes included: a record coded in none of its type's is read by no
    criterion (patient_record warns of it)."""
    out: dict[str, set[str]] = {}
    for t in trials:
        for top in t.criteria:
            for c in top.walk():
                d = c.definition
                if isinstance(d, Records):
                    systems = {system for system, _ in (*d.codes, *d.maybe)}
                    for kind in d.resource_types:
                        out.setdefault(kind, set()).update(systems)
    return {k: frozenset(v) for k, v in out.items()}


# pickled through their constructors, so they cross processes compiled too (fhir_eligibility.pickling)
picklable(
    TimeOffset,
    Window,
    Threshold,
    QuantityTest,
    RangeTest,
    CodedTest,
    PresentTest,
    CountTest,
    ObservationValue,
    Age,
    Gender,
    Records,
    Derived,
    Manual,
    Expression,
    Combination,
    Unsupported,
    Criterion,
    CodeMapping,
    Trial,
)
