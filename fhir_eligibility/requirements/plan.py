"""Walk the criteria tree and say what data it needs: resource types, codes, earliest dates.

Pure. Every data source renders these (FHIR searches, batch Bundles, CDS Hooks prefetch, NDJSON
filters), so no source asks for more than the selected trials need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import assert_never

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.attestable import items
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
    Trial,
    Unsupported,
    Window,
)
from fhir_eligibility.criteria.parse import RECORD_TYPES
from fhir_eligibility.measures import concepts as dv
from fhir_eligibility.measures.timing import shift
from fhir_eligibility.requirements.model import DataRequirement

# Above this many codes for one resource type, asking for the patient's whole list of that type is
# cheaper than dozens of code-filtered searches (e.g. "any other malignancy" = all of C00-C97); the
# evaluator matches codes itself, so nothing is lost.
MAX_CODES = 150

ALL_TYPES = tuple(sorted(RECORD_TYPES))
# Results are also read from the Observations a DiagnosticReport contains (evaluation.facts): no code
# search finds them (a server matches the report's own code, a CBC's 58410-2 or a local panel code, never
# those of what it contains), so a criterion reading results needs every report of the patient, as a drug
# criterion needs every drug record (requirements.search)
REPORTED_IN: tuple[str, frozenset[Code], dt.date | None] = ("DiagnosticReport", frozenset(), None)
# Every type a plan may ask for: what criteria name, the orders and dispenses a drug criterion reads
# besides (criteria.parse), the Patient and the attestations
PLANNED_TYPES = (
    "Patient",
    "QuestionnaireResponse",
    *sorted({*RECORD_TYPES, "MedicationDispense", "MedicationRequest"}),
)


def _earliest(windows: tuple[Window, ...], as_of: dt.date | None, default_days: int | None) -> dt.date | None:
    """Lower date bound implied by study-start windows; None = whole history (event anchors too)."""
    if as_of is None:
        return None
    if not windows:
        return as_of - dt.timedelta(days=default_days) if default_days is not None else None
    bound: dt.date | None = None
    for w in windows:
        if w.anchor != "study-start":
            return None
        if w.low is not None:
            d = shift(as_of, w.low)
            bound = d if bound is None else max(bound, d)
    return bound


def leaf_needs(
    c: Criterion, inherited: tuple[Window, ...], as_of: dt.date | None, default_days: int
) -> Iterable[tuple[str, frozenset[Code], dt.date | None]]:
    """(resource type, codes, earliest date) per leaf; empty codes = every record of the type."""
    windows = c.windows or inherited
    d = c.definition
    match d:
        case Combination():
            for k in d.children:
                yield from leaf_needs(k, windows, as_of, default_days)
        case ObservationValue():
            yield "Observation", d.codes, _earliest(windows, as_of, default_days)
        case Records():
            courses = bool(d.methods & {"first-course", "after-first-course"})
            since = None if courses else _earliest(windows, as_of, None)
            for t in d.resource_types:
                yield t, d.codes, since
        case Age() | Gender():
            yield "Patient", frozenset(), None
        case Derived():
            concept = dv.DERIVED[d.concept]
            since = None if concept.lookback == "any date" else _earliest(windows, as_of, default_days)
            if since is not None and as_of is not None and concept.older_input_days is not None:
                since = min(since, as_of - dt.timedelta(days=concept.older_input_days))
            yield concept.reads, concept.inputs | d.input_codes, since  # + the criterion's input value set
            if concept.reads == "Observation":  # a formula reads age and sex
                yield "Patient", frozenset(), None
        case Expression():
            yield "Patient", frozenset(), None
            if "patientResources" in d.expression:  # only the Patient is the context otherwise
                for t in ALL_TYPES:
                    yield t, frozenset(), None
        case Manual() | Unsupported():  # answered by a person, or not at all: no records
            pass
        case _:
            assert_never(d)


def plan(trials: Iterable[Trial], as_of: dt.date | None = None, default_days: int = 28) -> list[DataRequirement]:
    """Requirements grouped by (type, date bound); codes covered by an unbounded group are not repeated.

    A criterion reading results needs every DiagnosticReport too (``REPORTED_IN``: the results they
    contain). A trial with manual or judgement items also needs the patient's QuestionnaireResponses (the
    attestations, see evaluation.attestation), in the same batch as the rest: all of them, since an
    answer's validity window is the evaluator's to apply."""
    groups: dict[tuple[str, dt.date | None], tuple[set[Code], set[str], bool]] = {}
    for trial in trials:
        if items(trial):
            groups.setdefault(("QuestionnaireResponse", None), (set(), set(), True))[1].add(f"{trial.id}:attestations")
        for top in trial.criteria:
            needs = list(leaf_needs(top, (), as_of, default_days))
            if any(rtype == "Observation" for rtype, _codes, _since in needs):
                needs.append(REPORTED_IN)
            for rtype, codes, since in needs:
                key = (rtype, since)
                entry = groups.setdefault(key, (set(), set(), False))
                entry[1].add(f"{trial.id}:{top.id}")
                if not codes:
                    groups[key] = (entry[0], entry[1], True)
                entry[0].update(codes)
    unbounded_all = {
        t
        for (t, since), (group_codes, _ids, everything) in groups.items()
        if since is None and (everything or len(group_codes) > MAX_CODES)
    }
    unbounded_codes: dict[str, set[Code]] = {}
    for (t, since), (group_codes, _ids, _e) in groups.items():
        if since is None:
            unbounded_codes.setdefault(t, set()).update(group_codes)
    out: list[DataRequirement] = []
    for (t, since), (group_codes, ids, everything) in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or dt.date.min)
    ):
        wanted = set(group_codes)
        if since is not None:
            if t in unbounded_all:
                continue
            wanted -= unbounded_codes.get(t, set())
            if not wanted and not everything:
                continue
        if t == "Patient" or everything or len(wanted) > MAX_CODES:
            wanted = set()
        out.append(DataRequirement(t, frozenset(wanted), since, frozenset(ids)))
    if not any(r.resource_type == "Patient" for r in out):
        out.insert(0, DataRequirement("Patient", frozenset(), None, frozenset()))
    return out
