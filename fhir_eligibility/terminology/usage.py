"""Which codes in a site's data no criterion reads, and which criterion each most likely means.

What a site needs to write its ConceptMap (like OHDSI Usagi, from FHIR data): every coded concept
of the clinical resources, counted, with the trial criteria it resembles by display text and, for
Observations, by unit (a value in mL/min/1.73 m2 cannot be a haemoglobin). A resource with any code
a criterion reads is already understood and is not listed. Suggestions are only suggestions: the
draft ConceptMap marks them ``relatedto``/``inexact``, which never count (terminology.relationships).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, assert_never

from fhir_eligibility.codes import Code, codings, norm_code, with_atc_groups
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
    thresholds,
)
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.measures import units
from fhir_eligibility.terminology.evidence import node_codes

Json = dict[str, Any]
# The element holding the concept of each resource type criteria read (R4 and R5 spellings); a
# Medication's code reaches the administrations and statements that reference it (retrieval.files).
CONCEPT_KEYS = {
    "Observation": ("code",),
    "Condition": ("code",),
    "Procedure": ("code",),
    "MedicationAdministration": ("medicationCodeableConcept", "medication"),
    "MedicationStatement": ("medicationCodeableConcept", "medication"),
    "Medication": ("code",),
    "AllergyIntolerance": ("code",),
    "DiagnosticReport": ("code",),
    "ImagingStudy": ("procedureCode", "procedure"),
}
KIND_TYPES = {"Medication": ("MedicationAdministration", "MedicationStatement")}
STOP = {"of", "the", "in", "by", "and", "or", "with", "a", "an", "to", "for", "on", "at", "as", "is", "no", "any"}
# SNOMED semantic tags and LOINC property/system/method words: shared by unrelated concepts
STOP |= {"disorder", "finding", "procedure", "situation", "observable", "entity", "product", "substance"}
STOP |= {"mass", "volume", "moles", "serum", "plasma", "blood", "automated", "count", "enzymatic", "activity"}
STOP |= {"entitic", "fraction", "calculation", "presence", "ratio", "number", "concentration", "manual"}
STOP |= {"urine", "test", "strip", "total", "qualitative", "quantitative", "rapid", "unspecified", "history"}
STOP |= {"mg", "ml", "oral", "tablet", "capsule", "injection", "solution", "hydrochloride", "release", "extended"}
# British spellings and the commonest lay synonym, so "Haemoglobin" meets "Hemoglobin"
SPELLING = (("haem", "hem"), ("anaem", "anem"), ("leukaem", "leukem"), ("tumour", "tumor"), ("oesoph", "esoph"))
SYNONYMS = {"cancer": ("malignant", "neoplasm"), "tumor": ("tumor", "neoplasm")}
MIN_SCORE = 0.45


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
    """A trial concept the code may mean, and the criteria that read that concept."""

    target: Code
    target_display: str
    score: float
    unit_match: bool
    criteria: tuple[str, ...]  # "NCT... <criterion id>"


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
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, dict):
                out.append(v.get("concept") if isinstance(v.get("concept"), dict) else v)
    if res.get("resourceType") == "Observation":
        out += [
            c["code"] for c in res.get("component") or [] if isinstance(c, dict) and isinstance(c.get("code"), dict)
        ]
    return [c for c in out if isinstance(c, dict)]


@dataclass
class Unread:
    """What no criterion reads: codes (by resource type and code), and per resource type the records
    whose concept is text alone (counted only: free text may name the patient)."""

    uses: dict[tuple[str, Code], CodeUse] = field(default_factory=dict)
    text_only: Counter[str] = field(default_factory=Counter)


def count_unread(resources: Iterable[Json], read: frozenset[Code]) -> Unread:
    """Codes of resources whose concept (and Observation components) no criterion reads, with each
    coding's own display: never ``CodeableConcept.text``, a clinician's free text that may hold a
    patient's name and would reach the table and the ConceptMap a site shares."""
    out = Unread()
    for res in resources:
        rtype = str(res.get("resourceType"))
        concepts = _concepts(res)
        coded = [with_atc_groups(codings(c)) for c in concepts]
        if any(not c.isdisjoint(read) for c in coded):
            continue  # read already (a panel whose components a criterion reads; an ATC code through its group)
        if concepts and not any(coded) and any(c.get("text") for c in concepts):
            out.text_only[rtype] += 1
            continue
        for concept in concepts:
            unit = None
            if rtype == "Observation" and isinstance(res.get("valueQuantity"), dict):
                q = res["valueQuantity"]
                unit = units.ucum_code(q.get("code"), q.get("unit")) or q.get("unit") or q.get("code")
            for coding in concept.get("coding") or []:
                c = norm_code(coding.get("system"), coding.get("code")) if isinstance(coding, dict) else None
                if c is None:
                    continue
                use = out.uses.setdefault((rtype, c), CodeUse(rtype, c))
                use.count += 1
                if coding.get("display"):
                    use.displays[str(coding["display"])] += 1
                if unit:
                    use.units[str(unit)] += 1
    return out


def _tokens(text: str) -> frozenset[str]:
    out: set[str] = set()
    for t in re.findall(r"[a-z0-9]+", text.lower()):
        for a, b in SPELLING:
            t = t.replace(a, b)
        if len(t) > 4 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
            t = t[:-1]  # plural: platelets, neutrophils
        if t not in STOP and len(t) > 1 and not t.isdigit():
            out.update(SYNONYMS.get(t, (t,)))
    return frozenset(out)


@dataclass(frozen=True)
class Leaf:
    """A criterion leaf as suggestions see it: which records it reads, its codes, threshold unit, words."""

    trial: str
    top: Criterion
    node: Criterion
    kinds: tuple[str, ...]
    codes: frozenset[Code]
    unit: str | None
    words: frozenset[str]  # of its description and label


class Suggester:
    """Ranks the trial concepts a data code most likely means, by the words it shares with each
    concept's display (or with the criterion's description) and, for Observations, by unit dimension.

    An inverted index (word -> codes, word -> leaves) keeps it linear in the data's distinct codes.
    """

    def __init__(self, trials: Iterable[Trial], displays: dict[Code, str]) -> None:
        self.displays = displays
        self.leaves: list[Leaf] = []
        for t in trials:
            for top in t.criteria:
                for n in top.walk():
                    leaf = _leaf(t.id, top, n)
                    if leaf is not None:
                        self.leaves.append(leaf)
        self.words: dict[Code, frozenset[str]] = {}
        self.by_code: dict[Code, list[int]] = {}
        self.code_index: dict[str, set[Code]] = {}
        self.leaf_index: dict[str, set[int]] = {}
        for i, leaf in enumerate(self.leaves):
            for w in leaf.words:
                self.leaf_index.setdefault(w, set()).add(i)
            for c in leaf.codes:
                self.by_code.setdefault(c, []).append(i)
                if c not in self.words:
                    self.words[c] = _tokens(displays.get(c, ""))
                    for w in self.words[c]:
                        self.code_index.setdefault(w, set()).add(c)
        # rarer words weigh more (a shared "trimester" says little, a shared "gfr" a lot), as in TF-IDF
        total = len(self.words) or 1
        self.weight = {w: math.log(1 + total / len(cs)) for w, cs in self.code_index.items()}
        self.rare = math.log(1 + total)

    def _dice(self, a: frozenset[str], b: frozenset[str]) -> float:
        """Dice coefficient of the two word sets, each word weighted by its rarity."""
        if not a or not b:
            return 0.0
        w = self.weight.get
        shared = sum(w(x, self.rare) for x in a & b)
        return 2 * shared / (sum(w(x, self.rare) for x in a) + sum(w(x, self.rare) for x in b))

    def _units_fit(self, use: CodeUse, target: Code) -> bool | None:
        """None: the concept's thresholds are in another dimension (a % is no g/dL); True: same dimension."""
        wanted = {leaf.unit for i in self.by_code.get(target, ()) if (leaf := self.leaves[i]).unit}
        if not use.unit or not wanted:
            return False
        ok = units.is_ucum(use.unit) and any(units.commensurable(use.unit, u) for u in wanted)
        return True if ok else None

    def suggest(self, use: CodeUse, limit: int = 3) -> list[Suggestion]:
        words = _tokens(use.display or use.code[1])
        scores: dict[tuple[Code, int], float] = {}  # (target concept, leaf) -> similarity
        for c in {c for w in words for c in self.code_index.get(w, ())}:
            for i in self.by_code[c]:
                scores[(c, i)] = max(scores.get((c, i), 0.0), self._dice(words, self.words[c]))
        for i in {i for w in words for i in self.leaf_index.get(w, ())}:
            leaf = self.leaves[i]
            sim = self._dice(words, leaf.words)
            target = max(sorted(leaf.codes), key=lambda c: self._dice(words, self.words.get(c, frozenset())))
            scores[(target, i)] = max(scores.get((target, i), 0.0), sim)
        best: dict[Code, Suggestion] = {}
        kinds = set(KIND_TYPES.get(use.resource_type, (use.resource_type,)))
        for (target, i), sim in scores.items():
            leaf = self.leaves[i]
            fit = self._units_fit(use, target)
            if fit is None or sim < MIN_SCORE or not kinds & set(leaf.kinds):
                continue
            score = round(sim + (0.25 if fit else 0.0), 2)
            crit = f"{leaf.trial} {leaf.top.id}"
            old = best.get(target)
            if old is None or old.score < score:
                best[target] = Suggestion(target, self.displays.get(target, ""), score, bool(fit), (crit,))
            if old is not None and crit not in best[target].criteria:
                best[target] = replace(
                    best[target], criteria=tuple(sorted({*best[target].criteria, *old.criteria, crit}))
                )
        return sorted(best.values(), key=lambda s: (-s.score, s.target))[:limit]


def _leaf(trial: str, top: Criterion, n: Criterion) -> Leaf | None:
    d = n.definition
    match d:
        case ObservationValue():
            q = next(iter(thresholds(d.test)), None)
            unit = q.unit if q is not None and q.unit not in (None, "1") else None
            return Leaf(trial, top, n, ("Observation",), d.codes, unit, _tokens(f"{n.description} {d.label}"))
        case Records():
            return Leaf(trial, top, n, d.resource_types, d.codes, None, _tokens(f"{n.description} {d.label}"))
        case Derived():  # a formula's inputs: their units are not its result's
            inputs = dv.INPUTS.get(d.concept)
            return Leaf(trial, top, n, ("Observation",), inputs, None, _tokens(n.description)) if inputs else None
        case Combination() | Age() | Gender() | Manual() | Expression() | Unsupported():  # no coded records
            return None
        case _:
            assert_never(d)


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


__all__ = [
    "CodeUse",
    "Leaf",
    "Suggester",
    "Suggestion",
    "Unread",
    "count_unread",
    "definition_displays",
    "read_codes",
]
