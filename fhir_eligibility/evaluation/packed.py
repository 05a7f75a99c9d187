"""Results as plain tuples, to cross from a worker process to the parent (``evaluate --workers``).

Why: pickle rebuilds each result object through a reduce call (a class lookup, a call per object);
plain tuples of strings, numbers and enum values pickle and load about 3x faster, and a patient's
results are ~700 objects (35 KB pickled). Both functions are compiled by mypyc and spell every
field, in the classes' order; ``tests/test_workers.py`` checks them against the classes' fields and
that unpacking what was packed gives the equal results.
"""

from __future__ import annotations

from typing import Any

from fhir_eligibility.evaluation.results import (
    Attestation,
    Change,
    CriterionResult,
    Evidence,
    MissingData,
    PatientLabel,
    Point,
    Result,
    Series,
    TrialResult,
    Verdict,
    When,
)

# the fields each packed tuple holds, in order (checked against dataclasses.fields by the tests)
FIELDS: tuple[tuple[type, tuple[str, ...]], ...] = (
    (Evidence, ("reference", "value", "unit", "date", "note", "code", "mapped_to", "mapped_by")),
    (Point, ("date", "value", "reference")),
    (Series, ("label", "unit", "points", "thresholds", "window")),
    (MissingData, ("criterion", "what", "codes", "window", "latest_useful")),
    (Attestation, ("by", "date", "response")),
    (
        CriterionResult,
        (
            "id",
            "type",
            "description",
            "result",
            "reason",
            "evidence",
            "children",
            "attested",
            "series",
            "negated",
            "attestation",
        ),
    ),
    (PatientLabel, ("name", "birth_date", "mrn", "identifiers")),
    (Change, ("date", "criterion", "before", "after", "text")),
    (When, ("eligible_from", "eligible_until", "timeline", "horizon")),
    (
        TrialResult,
        ("patient", "trial", "title", "verdict", "criteria", "missing_data", "assumed_attested", "label", "when"),
    ),
)

_RESULT = {r.value: r for r in Result}
_VERDICT = {v.value: v for v in Verdict}

Packed = tuple[Any, ...]


def pack(r: TrialResult) -> Packed:
    label = r.label
    when = r.when
    return (
        r.patient,
        r.trial,
        r.title,
        r.verdict.value,
        tuple([_pack_criterion(c) for c in r.criteria]),
        tuple([(m.criterion, m.what, m.codes, m.window, m.latest_useful) for m in r.missing_data]),
        r.assumed_attested,
        None if label is None else (label.name, label.birth_date, label.mrn, label.identifiers),
        None if when is None else _pack_when(when),
    )


def unpack(t: Packed) -> TrialResult:
    label = t[7]
    when = t[8]
    return TrialResult(
        t[0],
        t[1],
        t[2],
        _VERDICT[t[3]],
        tuple([_unpack_criterion(c) for c in t[4]]),
        tuple([MissingData(m[0], m[1], m[2], m[3], m[4]) for m in t[5]]),
        t[6],
        None if label is None else PatientLabel(label[0], label[1], label[2], label[3]),
        None if when is None else _unpack_when(when),
    )


def _pack_criterion(c: CriterionResult) -> Packed:
    a = c.attestation
    return (
        c.id,
        c.type,
        c.description,
        c.result.value,
        c.reason,
        tuple([(e.reference, e.value, e.unit, e.date, e.note, e.code, e.mapped_to, e.mapped_by) for e in c.evidence]),
        tuple([_pack_criterion(k) for k in c.children]),
        c.attested,
        tuple([_pack_series(s) for s in c.series]),
        c.negated,
        None if a is None else (a.by, a.date, a.response),
    )


def _unpack_criterion(t: Packed) -> CriterionResult:
    a = t[10]
    return CriterionResult(
        t[0],
        t[1],
        t[2],
        _RESULT[t[3]],
        t[4],
        tuple([Evidence(e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]) for e in t[5]]),
        tuple([_unpack_criterion(k) for k in t[6]]),
        t[7],
        tuple([_unpack_series(s) for s in t[8]]),
        t[9],
        None if a is None else Attestation(a[0], a[1], a[2]),
    )


def _pack_series(s: Series) -> Packed:
    return (s.label, s.unit, tuple([(p.date, p.value, p.reference) for p in s.points]), s.thresholds, s.window)


def _unpack_series(t: Packed) -> Series:
    return Series(t[0], t[1], tuple([Point(p[0], p[1], p[2]) for p in t[2]]), t[3], t[4])


def _pack_when(w: When) -> Packed:
    changes = tuple([(c.date, c.criterion, c.before.value, c.after.value, c.text) for c in w.timeline])
    return (w.eligible_from, w.eligible_until, changes, w.horizon)


def _unpack_when(t: Packed) -> When:
    changes = tuple([Change(c[0], c[1], _RESULT[c[2]], _RESULT[c[3]], c[4]) for c in t[2]])
    return When(t[0], t[1], changes, t[3])


__all__ = ["FIELDS", "Packed", "pack", "unpack"]
