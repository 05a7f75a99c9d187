"""Per-criterion results with their evidence. Renderers read these; they never re-evaluate.

The classes built for every criterion of every patient (``Evidence``, ``CriterionResult``,
``MissingData``, ``TrialResult``) write their ``__init__`` out: mypyc compiles it, whereas the one ``dataclass``
generates stays interpreted and made construction about 7x slower (a tenth of an explained evaluation).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from fhir_eligibility.pickling import picklable


class Result(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    MANUAL = "manual"
    REVIEW = "review"


class Verdict(enum.Enum):
    INELIGIBLE = "ineligible"
    UNDETERMINED = "undetermined"
    NEEDS_REVIEW = "needs-review"
    ELIGIBLE = "eligible"


@dataclass(frozen=True, init=False)
class Evidence:
    """One datum a result rests on: a record (``reference``) or a derived value with its inputs."""

    reference: str | None
    value: str | float | int | bool | None
    unit: str | None = None
    date: str | None = None
    note: str | None = None
    # a site code read through a ConceptMap (--terminology): the record's code, the trial's, the map's url
    code: str | None = None
    mapped_to: str | None = None
    mapped_by: str | None = None

    def __init__(
        self,
        reference: str | None,
        value: str | float | int | bool | None,
        unit: str | None = None,
        date: str | None = None,
        note: str | None = None,
        code: str | None = None,
        mapped_to: str | None = None,
        mapped_by: str | None = None,
    ) -> None:
        object.__setattr__(self, "reference", reference)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "date", date)
        object.__setattr__(self, "note", note)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "mapped_to", mapped_to)
        object.__setattr__(self, "mapped_by", mapped_by)


@dataclass(frozen=True)
class Point:
    date: str
    value: float
    reference: str


@dataclass(frozen=True)
class Series:
    """A lab's values over time in the threshold's unit (or as multiples of ULN), for plots."""

    label: str
    unit: str | None
    points: tuple[Point, ...]
    thresholds: tuple[tuple[str, float], ...]  # (comparator, value); a range gives (">=", low), ("<=", high)
    window: tuple[str | None, str | None]  # inclusive ISO dates; None = open


@dataclass(frozen=True, init=False)
class MissingData:
    """What to collect so an unknown criterion can be decided."""

    criterion: str
    what: str
    codes: tuple[str, ...]
    window: str
    latest_useful: str | None = None

    def __init__(
        self,
        criterion: str,
        what: str,
        codes: tuple[str, ...],
        window: str,
        latest_useful: str | None = None,
    ) -> None:
        object.__setattr__(self, "criterion", criterion)
        object.__setattr__(self, "what", what)
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "window", window)
        object.__setattr__(self, "latest_useful", latest_useful)


@dataclass(frozen=True)
class Attestation:
    """A person's answer that decided a criterion: who, when (ISO date), which QuestionnaireResponse."""

    by: str
    date: str
    response: str


@dataclass(frozen=True, init=False)
class CriterionResult:
    id: str
    type: str  # "inclusion" | "exclusion"
    description: str
    result: Result
    reason: str
    evidence: tuple[Evidence, ...] = ()
    children: tuple[CriterionResult, ...] = ()
    attested: bool = False
    series: tuple[Series, ...] = ()
    negated: bool = False  # a part of a rule that must NOT hold (exclude inside a combination)
    attestation: Attestation | None = None  # a real answer decided it (never set by --assume-attested)

    def __init__(
        self,
        id: str,
        type: str,
        description: str,
        result: Result,
        reason: str,
        evidence: tuple[Evidence, ...] = (),
        children: tuple[CriterionResult, ...] = (),
        attested: bool = False,
        series: tuple[Series, ...] = (),
        negated: bool = False,
        attestation: Attestation | None = None,
    ) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "result", result)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "evidence", evidence)
        object.__setattr__(self, "children", children)
        object.__setattr__(self, "attested", attested)
        object.__setattr__(self, "series", series)
        object.__setattr__(self, "negated", negated)
        object.__setattr__(self, "attestation", attestation)


@dataclass(frozen=True)
class PatientLabel:
    """What lets a person recognise the patient next to the id (issue 14); never logged, and dropped
    by ``--deidentify``. ``identifiers`` ("system|value") let the edge pick another MRN system."""

    name: str | None = None
    birth_date: str | None = None
    mrn: str | None = None
    identifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """One dated event of the timeline: on ``date`` a top-level criterion's result changes (evaluation.timeline)."""

    date: date
    criterion: str
    before: Result
    after: Result
    text: str


@dataclass(frozen=True)
class When:
    """The dates the verdict changes if the record stays as it is, within ``horizon`` days of the as-of date."""

    eligible_from: date | None
    eligible_until: date | None
    timeline: tuple[Change, ...]
    horizon: int
    # the verdict on eligible_from (eligible or needs-review): a card's timeline holds only that day's
    # changes, so the earlier ones (an attestation going stale) cannot be replayed to tell which
    verdict_from: Verdict | None = None


@dataclass(frozen=True, init=False)
class TrialResult:
    patient: str  # "Patient/<id>"
    trial: str  # NCT number
    title: str
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]
    missing_data: tuple[MissingData, ...]
    assumed_attested: bool = False
    label: PatientLabel | None = None  # set by the pipeline from the Patient resource
    when: When | None = None  # set when dates were asked for (Settings.horizon_days)

    def __init__(
        self,
        patient: str,
        trial: str,
        title: str,
        verdict: Verdict,
        criteria: tuple[CriterionResult, ...],
        missing_data: tuple[MissingData, ...],
        assumed_attested: bool = False,
        label: PatientLabel | None = None,
        when: When | None = None,
    ) -> None:
        object.__setattr__(self, "patient", patient)
        object.__setattr__(self, "trial", trial)
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "verdict", verdict)
        object.__setattr__(self, "criteria", criteria)
        object.__setattr__(self, "missing_data", missing_data)
        object.__setattr__(self, "assumed_attested", assumed_attested)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "when", when)

    def completed(self, when: When | None, label: PatientLabel | None) -> TrialResult:
        """This result with its dates and the patient's label, which the pipeline sets last (one
        compiled construction instead of two ``dataclasses.replace``)."""
        return TrialResult(
            self.patient,
            self.trial,
            self.title,
            self.verdict,
            self.criteria,
            self.missing_data,
            self.assumed_attested,
            label,
            when,
        )


@dataclass(frozen=True)
class Report:
    as_of: date
    results: tuple[TrialResult, ...]
    warnings: tuple[str, ...] = field(default=())


# pickled through their constructors, so they cross processes compiled too (fhir_eligibility.pickling)
picklable(
    PatientLabel, Attestation, Evidence, Point, Series, MissingData, CriterionResult, Change, When, TrialResult, Report
)
