"""Which codes in a site's data no criterion reads, and which criterion each most likely means.

What a site needs to write its ConceptMap (like OHDSI Usagi, from FHIR data): every coded concept
of the clinical resources, counted, with the trial criteria it resembles by display text and, for
Observations, by unit (a value in mL/min/1.73 m2 cannot be a haemoglobin). A resource with any code
a criterion reads is already understood and is not listed. Suggestions are only suggestions: the
draft ConceptMap marks them ``relatedto``/``inexact``, which never count (terminology.site).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fhir_eligibility.codes import Code, codings, norm_code
from fhir_eligibility.criteria.model import Criterion, Derived, ObservationValue, Records, Trial
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation import units
from fhir_eligibility.terminology.evidence import node_codes

Json = dict[str, Any]
# The element holding each clinical resource's concept (R4 and R5 spellings).
CONCEPT_KEYS = {
    "Observation": ("code",),
    "Condition": ("code",),
    "Procedure": ("code",),
    "MedicationAdministration": ("medicationCodeableConcept", "medication"),
    "MedicationStatement": ("medicationCodeableConcept", "medication"),
    "MedicationRequest": ("medicationCodeableConcept", "medication"),
    "Medication": ("code",),
    "AllergyIntolerance": ("code",),
    "DiagnosticReport": ("code",),
    "ImagingStudy": ("procedureCode",),
}
KIND_TYPES = {  # which records a criterion leaf can read, by resource type of the data
    "Medication": ("MedicationAdministration", "MedicationStatement"),
    "MedicationRequest": ("MedicationAdministration", "MedicationStatement"),
}
STOP = {"of", "the", "in", "by", "and", "or", "with", "a", "an", "to", "for", "on", "at", "as", "is", "be", "no", "any"}
MIN_SCORE = 0.34


@dataclass
class CodeUse:
    """One code found in the data: how often, with which display texts and units."""

    resource_type: str
    code: Code
    count: int = 0
    displays: Counter[str] = field(default_factory=Counter)
    units: Counter[str] = field(default_factory=Counter)

    @property
    def display(self) -> str:
        return self.displays.most_common(1)[0][0] if self.displays else ""

    @property
    def unit(self) -> str | None:
        return self.units.most_common(1)[0][0] if self.units else None


@dataclass(frozen=True)
class Suggestion:
    trial: str
    criterion: str
    description: str
    target: Code
    target_display: str
    score: float
    unit_match: bool


def read_codes(trials: Iterable[Trial]) -> frozenset[Code]:
    """Every code some criterion reads (the derived-value inputs the engine looks up included)."""
    out: set[Code] = set()
    for t in trials:
        for top in t.criteria:
            for n in top.walk():
                out |= node_codes(n)
                if isinstance(n.definition, Derived):
                    out |= dv.INPUTS.get(n.definition.concept, frozenset())
    return frozenset(out)


def _concepts(res: Json) -> list[Json]:
    out = []
    for key in CONCEPT_KEYS.get(str(res.get("resourceType")), ()):
        value = res.get(key)
        if isinstance(value, dict):
            out.append(value.get("concept") if isinstance(value.get("concept"), dict) else value)
    if res.get("resourceType") == "Observation":
        out += [
            c["code"] for c in res.get("component") or [] if isinstance(c, dict) and isinstance(c.get("code"), dict)
        ]
    return [c for c in out if isinstance(c, dict)]


def count_unread(resources: Iterable[Json], read: frozenset[Code]) -> dict[tuple[str, Code], CodeUse]:
    """Codes of resources (and Observation components) that carry no code a criterion reads."""
    uses: dict[tuple[str, Code], CodeUse] = {}
    for res in resources:
        rtype = str(res.get("resourceType"))
        for concept in _concepts(res):
            codes = codings(concept)
            if not codes or not codes.isdisjoint(read):
                continue
            unit = None
            if rtype == "Observation" and isinstance(res.get("valueQuantity"), dict):
                q = res["valueQuantity"]
                unit = units.ucum_code(q.get("code"), q.get("unit")) or q.get("unit") or q.get("code")
            for coding in concept.get("coding") or []:
                c = norm_code(coding.get("system"), coding.get("code")) if isinstance(coding, dict) else None
                if c is None:
                    continue
                use = uses.setdefault((rtype, c), CodeUse(rtype, c))
                use.count += 1
                text = coding.get("display") or concept.get("text")
                if text:
                    use.displays[str(text)] += 1
                if unit:
                    use.units[str(unit)] += 1
    return uses


def _tokens(text: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in STOP and (len(t) > 1 or t.isdigit())}


@dataclass(frozen=True)
class Leaf:
    """A criterion leaf as suggestions see it: what it reads and the words that describe it."""

    trial: str
    top: Criterion
    node: Criterion
    kinds: tuple[str, ...]
    codes: tuple[Code, ...]
    unit: str | None
    words: frozenset[str]


def leaves(trials: Iterable[Trial], displays: dict[Code, str]) -> list[Leaf]:
    out: list[Leaf] = []
    for t in trials:
        for top in t.criteria:
            for n in top.walk():
                d = n.definition
                if isinstance(d, ObservationValue):
                    kinds: tuple[str, ...] = ("Observation",)
                    codes = d.codes
                    q = d.test.quantity or d.test.low or d.test.high
                    unit = q.unit if q is not None and q.unit not in (None, "1") else None
                elif isinstance(d, Records):
                    kinds, codes, unit = d.resource_types, d.codes, None
                else:
                    continue
                text = " ".join([n.description, d.label, top.description, *(displays.get(c, "") for c in codes)])
                own = tuple(sorted(c for c in codes if c in displays) or sorted(codes))
                out.append(Leaf(t.id, top, n, kinds, own, unit, frozenset(_tokens(text))))
    return out


def suggest(use: CodeUse, candidates: list[Leaf], displays: dict[Code, str], limit: int = 3) -> list[Suggestion]:
    """The criteria this code most likely means: shared words (of the code's display), unit dimension."""
    words = _tokens(use.display or use.code[1])
    if not words:
        return []
    kinds = KIND_TYPES.get(use.resource_type, (use.resource_type,))
    best: dict[tuple[str, str], Suggestion] = {}
    for leaf in candidates:
        if not set(kinds) & set(leaf.kinds) or not leaf.codes:
            continue
        unit_match = False
        if use.unit and leaf.unit:
            if not units.is_ucum(use.unit) or not units.commensurable(use.unit, leaf.unit):
                continue
            unit_match = True
        score = len(words & leaf.words) / len(words) + (0.25 if unit_match else 0.0)
        if score < MIN_SCORE:
            continue
        target = max(leaf.codes, key=lambda c: len(words & _tokens(displays.get(c, ""))))
        s = Suggestion(
            leaf.trial, leaf.node.id, leaf.node.description or leaf.top.description, target,
            displays.get(target, ""), round(score, 2), unit_match,
        )  # fmt: skip
        key = (leaf.trial, leaf.node.id)
        if key not in best or best[key].score < s.score:
            best[key] = s
    return sorted(best.values(), key=lambda s: (-s.score, s.trial, s.criterion))[:limit]


def definition_displays(resources: Iterable[Json]) -> dict[Code, str]:
    """(system, code) -> display, from the definitions' value sets and characteristic codings."""
    out: dict[Code, str] = {}

    def walk(obj: object, system: str | None = None) -> None:
        if isinstance(obj, dict):
            sys = obj.get("system") if isinstance(obj.get("system"), str) else system
            if isinstance(obj.get("code"), str) and isinstance(obj.get("display"), str):
                c = norm_code(sys, obj["code"])
                if c:
                    out.setdefault(c, obj["display"])
            for v in obj.values():
                walk(v, sys)
        elif isinstance(obj, list):
            for v in obj:
                walk(v, system)

    for res in resources:
        walk(res)
    return out


__all__ = ["CodeUse", "Leaf", "Suggestion", "count_unread", "definition_displays", "leaves", "read_codes", "suggest"]
