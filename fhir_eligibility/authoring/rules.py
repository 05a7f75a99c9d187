"""``show TRIAL --rules``: each criterion's computable rule exactly as the engine applies it.

Read from the compiled criteria tree (what ``evaluate`` runs), with code displays and value-set names
looked up in the loaded definitions, so a clinician checks what is really evaluated, never a generator.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, assert_never

from fhir_eligibility import codes as cs
from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.load import DefinitionSet
from fhir_eligibility.criteria.model import (
    Age,
    CodedTest,
    Combination,
    CountTest,
    Criterion,
    Derived,
    Expression,
    Gender,
    Manual,
    ObservationValue,
    PresentTest,
    QuantityTest,
    RangeTest,
    Records,
    TimeOffset,
    Trial,
    Unsupported,
    ValueTest,
    Window,
    describe_test,
)
from fhir_eligibility.criteria.parse import valueset_codes
from fhir_eligibility.measures.concepts import DERIVED

Json = dict[str, Any]
METHODS = {
    "history": "any clinical status counts ('history of')",
    "open-world": "no matching record = UNKNOWN (a screening test to collect), not absent",
    "first-course": "only the first treatment course (a gap > --course-gap-days starts a new one)",
    "after-first-course": "only events after the first treatment course",
    "long-acting": "only long-acting formulations",
    "short-acting": "only short-acting formulations",
    "acting-form-unknown": "only records whose formulation cannot be told",
    "rising-series": "n successive rises: the last n results each exceed the one before (n + 1 results)",
    "max-364-days": "largest sum within any 364-day period",
    "quantified-detected": "a measured amount (a value, or a bound such as '>60') is a detection",
}
UNITS = {"d": "days", "wk": "weeks", "mo": "months", "a": "years", "h": "hours", "min": "minutes"}


@dataclass
class Rule:
    """One node of a criterion as a reviewer reads it: a heading line and its detail lines."""

    id: str
    head: str
    details: list[str] = field(default_factory=list)
    children: list[Rule] = field(default_factory=list)


class Glossary:
    """Displays of codes and names of value sets, from the loaded definitions."""

    def __init__(self, ds: DefinitionSet) -> None:
        self.display: dict[Code, str] = {}
        self.value_sets: dict[frozenset[Code], list[str]] = {}
        for _, res in ds.resources:
            self._displays(res)
            if res.get("resourceType") == "ValueSet":
                name = f"ValueSet/{res.get('id')}" + (f" ({res['title']})" if res.get("title") else "")
                self.value_sets.setdefault(valueset_codes(res, ds.resolve), []).append(name)

    def _displays(self, obj: Any) -> None:
        if isinstance(obj, dict):
            key = cs.norm_code(obj.get("system"), obj.get("code")) if isinstance(obj.get("code"), str) else None
            if key and obj.get("display"):
                self.display.setdefault(key, str(obj["display"]))
            for v in obj.values():
                self._displays(v)
        elif isinstance(obj, list):
            for v in obj:
                self._displays(v)

    def codes(self, codes: Iterable[Code]) -> list[str]:
        out = []
        for system, code in sorted(codes):
            shown = self.display.get((system, code))
            out.append(f"{_system_name(system)} {code}" + (f" {shown}" if shown else ""))
        return out

    def set_name(self, codes: frozenset[Code]) -> str:
        """The value set's name; value sets with the same codes are one rule (the loader shares them), so
        all their names are shown rather than whichever came first."""
        return " = ".join(self.value_sets.get(codes, ["codes written in the criterion"]))


def _system_name(system: str) -> str:
    names = {cs.LOINC: "LOINC", cs.SNOMED: "SNOMED", cs.ICD10CM: "ICD-10-CM", cs.ICD10: "ICD-10", cs.ATC: "ATC"}
    names |= {cs.RXNORM: "RxNorm", cs.PROJECT_CS: "project", cs.FHIR_TYPES: "FHIR type"}
    return names.get(system, system)


def _offset(t: TimeOffset) -> str:
    n = abs(t.value)
    word = "before" if t.value < 0 else "after"
    return "the anchor" if n == 0 else f"{n:g} {UNITS.get(t.unit, t.unit)} {word}"


def window_text(w: Window) -> str:
    """'from 28 days before to the screening date'; bounds inclusive unless marked strict."""
    anchor = "the screening date" if w.anchor == "study-start" else f"the date of criterion {w.anchor}"
    low = _offset(w.low).replace("the anchor", anchor) if w.low else None
    high = _offset(w.high).replace("the anchor", anchor) if w.high else None
    strict = " (bounds exclusive)" if w.low_strict or w.high_strict else ""
    if low is None:
        return f"any time up to {high}" + ("" if high == anchor else f" {anchor}") + strict
    if high is None:
        return f"from {low}" + ("" if low == anchor else f" {anchor}") + " onwards" + strict
    return f"from {low} to {high}" + ("" if high == anchor else f" {anchor}") + strict


def _count(label: str, c: CountTest | None) -> list[str]:
    return [f"{label}: {c.text()}"] if c else []


def _methods(methods: frozenset[str]) -> list[str]:
    return [f"method {m}: {METHODS.get(m, 'see docs/encoding.md')}" for m in sorted(methods)]


def _test_details(test: ValueTest, g: Glossary) -> list[str]:
    """What the one-line rule leaves out: the accepted codes, the threshold's other unit."""
    match test:
        case CodedTest():
            return ["value coded as (any of): " + "; ".join(g.codes(test.codes))] if test.codes else []
        case QuantityTest():
            alt = test.alternate
            return [f"same threshold in another unit: {alt.value:g} {alt.unit}"] if alt else []
        case RangeTest() | PresentTest():
            return []
        case _:
            assert_never(test)


def _leaf(c: Criterion, g: Glossary, windows: tuple[Window, ...], lookback: int) -> tuple[str, list[str]]:
    """(rule, details) of a leaf: what data is read, the test, the window and what missing data means."""
    d = c.definition
    when = [f"window: {window_text(w)}" for w in windows]
    if isinstance(d, ObservationValue):
        codes = g.codes(d.codes)
        head = f"Observation {d.label or codes[0] if codes else ''} {describe_test(d.test)}".strip()
        details = ["codes (any of): " + "; ".join(codes)]
        details += _test_details(d.test, g)
        details += _methods(d.methods) + _count("number of results", d.instances)
        details += when or [f"window: default lookback, {lookback} days before the screening date (--lookback-days)"]
        details.append("most recent valid result in the window decides; none in the window = UNKNOWN (open world)")
        return head, details
    if isinstance(d, Records):
        kinds = ", ".join(d.resource_types)
        head = f"{kinds} recorded with a code in {g.set_name(d.codes)}"
        details = ["codes (any of): " + "; ".join(g.codes(d.codes)), *_methods(d.methods)]
        details += _count("number of distinct events", d.instances) + _count("total duration", d.duration)
        details += when or ["window: any time up to the screening date"]
        if "open-world" in d.methods:
            details.append("no matching record = UNKNOWN, listed as data to collect (open world)")
        else:
            details.append("no matching record = not present, FALSE (closed world, clinical.md §0.7)")
        return head, details
    if isinstance(d, Age):
        return f"Age {describe_test(d.test)}", ["from Patient.birthDate at the screening date; no birthDate = UNKNOWN"]
    if isinstance(d, Gender):
        return f"Administrative gender is one of {', '.join(sorted(d.codes))}", ["no Patient.gender = UNKNOWN"]
    if isinstance(d, Derived):
        details = _methods(d.methods) + (["input drugs: " + "; ".join(g.codes(d.input_codes))] if d.input_codes else [])
        details += when or [_derived_lookback(d, lookback)]
        details.append("an input that is missing or stale = UNKNOWN")
        return f"Derived {d.concept} {describe_test(d.test)}", details
    if isinstance(d, Expression):
        return f"{d.language} expression", [d.expression, "empty result = UNKNOWN"]
    if isinstance(d, Unsupported):
        return "NOT INTERPRETABLE (evaluated UNKNOWN)", [d.reason]
    return "manual: only a person can attest", ["unanswered = UNKNOWN; --assume-attested treats it as satisfied"]


def _derived_lookback(d: Derived, lookback: int) -> str:
    """The window of a window-less derived value as the evaluator reads it (forms/derived.py derived_lookback):
    a concept summed over any date (administered activity) is not cut to the default lookback."""
    concept = DERIVED.get(d.concept)
    if concept is not None and concept.lookback == "any date":
        return "window: any date up to the screening date (a dose counts however old)"
    return f"window: default lookback, {lookback} days before the screening date (--lookback-days)"


def rule_of(c: Criterion, g: Glossary, inherited: tuple[Window, ...] = (), lookback: int = 28) -> Rule:
    """The rule tree of one criterion; a combination's window applies to children without their own."""
    windows = c.windows or inherited
    d = c.definition
    flags = (["must NOT hold (exclude)"] if c.exclude else []) + (
        ["judgement: a match is REVIEW for a clinician, not TRUE"] if c.judgement else []
    )
    if isinstance(d, Combination):
        how = d.code.upper().replace("-OF", "").replace("-", " ") + (f" {d.threshold}" if d.threshold else "")
        one = ["same record: met only by one record holding them all; met by different records = REVIEW"]
        details = [*flags, *(one if d.same_record else []), "three-valued: UNKNOWN parts decide nothing they cannot"]
        rule = Rule(c.id, f"{how} of:", details)
        rule.children = [rule_of(k, g, windows, lookback) for k in d.children]
        return rule
    head, details = _leaf(c, g, windows, lookback)
    return Rule(c.id, head, flags + details)


def trial_rules(trial: Trial, ds: DefinitionSet, lookback: int = 28) -> list[tuple[Criterion, Rule | None]]:
    """(criterion, rule) for every top-level criterion; None for a manual line."""
    g = Glossary(ds)
    return [(c, rule_of(c, g, (), lookback) if not isinstance(c.definition, Manual) else None) for c in trial.criteria]


def _walk_text(rule: Rule, depth: int, out: list[str]) -> None:
    pad = "    " * depth
    out.append(f"{pad}- [{rule.id}] {rule.head}" if depth else f"{pad}rule: {rule.head}")
    out.extend(f"{pad}    {line}" for line in rule.details)
    for k in rule.children:
        _walk_text(k, depth + 1, out)


def rules_text(trial: Trial, ds: DefinitionSet, lookback: int = 28) -> str:
    out = [f"{trial.id}  {trial.title}", f"screening date = --as-of; default lookback {lookback} days", ""]
    for c, rule in trial_rules(trial, ds, lookback):
        kind = "EXCLUSION" if c.exclude else "INCLUSION"
        out.append(f"{c.id}  {kind}  {' '.join(c.description.split())}")
        if rule is None:
            out.append("    manual: only a person can attest (unanswered = UNKNOWN)")
        else:
            _walk_text(rule, 0, out)
        out.extend(f"    note: {' '.join(n.split())}" for n in c.notes)
        out.append("")
    return "\n".join(out)


def _walk_html(rule: Rule, esc: Callable[[str], str]) -> str:
    details = "".join(f"<li class=d>{esc(d)}</li>" for d in rule.details)
    kids = "".join(_walk_html(k, esc) for k in rule.children)
    return f"<li><b>[{esc(rule.id)}]</b> {esc(rule.head)}<ul>{details}{kids}</ul></li>"


def rules_html(trial: Trial, ds: DefinitionSet, lookback: int = 28) -> str:
    """A printable page: no script, no external resource."""
    esc = html.escape
    rows = []
    for c, rule in trial_rules(trial, ds, lookback):
        body = "<i>manual: only a person can attest</i>" if rule is None else f"<ul>{_walk_html(rule, esc)}</ul>"
        notes = "".join(f"<p class=n>note: {esc(n)}</p>" for n in c.notes)
        rows.append(
            f"<tr><td>{esc(c.id)}</td><td>{'exclusion' if c.exclude else 'inclusion'}</td>"
            f"<td>{esc(c.description)}</td><td>{body}{notes}</td><td class=chk>&#9744;</td></tr>"
        )
    style = (
        "body{font:12px sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #999;padding:4px;vertical-align:top}tr{page-break-inside:avoid}"
        "ul{margin:0;padding-left:1.2em}.d{list-style:circle;color:#333}.n{color:#555;font-style:italic}"
        ".chk{font-size:18px;text-align:center}@media print{body{margin:0}}"
    )
    return (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Rules of {esc(trial.id)}</title>"
        f"<style>{style}</style></head><body><h1>{esc(trial.id)}: {esc(trial.title)}</h1>"
        f"<p>Each criterion's rule as the engine applies it; screening date = --as-of; "
        f"default lookback {lookback} days. Tick when checked against the protocol.</p>"
        "<table><tr><th>id</th><th>kind</th><th>protocol text</th><th>rule</th><th>ok</th></tr>"
        + "".join(rows)
        + "</table></body></html>\n"
    )
