"""show --rules says the window a derived value is read in as the evaluator reads it.

B-I3a's cumulative-activity leaf has no window of its own: the evaluator sums the whole first PRRT course,
whatever its dates (measures/concepts.py CUMULATIVE_ACTIVITY, lookback "any date"; forms/derived.py
derived_lookback), so the rule must not say "default lookback 28 days" (the review of trial B found it did).
A derived lab value with no window (a creatinine clearance) is read in the default lookback, and says so.
"""

from __future__ import annotations

from dataclasses import replace

from fhir_eligibility.authoring.rules import Glossary, rule_of, rules_text
from fhir_eligibility.criteria.load import load_trials, read_definitions
from fhir_eligibility.criteria.model import Combination, Criterion, Derived


def _block(nct: str, cid: str) -> str:
    trial = next(t for t in load_trials() if t.id == nct)
    blocks = {b.split("  ", 1)[0]: b for b in rules_text(trial, read_definitions()).split("\n\n")}
    return blocks[cid]


def test_cumulative_activity_is_read_over_any_date_not_the_default_lookback() -> None:
    block = _block("NCT05773274", "B-I3a")
    leaf = block[block.index("Derived cumulative-activity") :].split("\n    - ")[0]
    assert "default lookback" not in leaf
    assert "window: any date up to the screening date (a dose counts however old)" in leaf


def test_a_windowless_derived_lab_value_still_names_the_default_lookback() -> None:
    trial = next(t for t in load_trials() if t.id == "NCT05773274")
    leaf = next(
        leaf
        for leaf in _leaves(next(c for c in trial.criteria if c.id == "B-I3a"))
        if isinstance(leaf.definition, Derived)
    )
    as_lab = replace(leaf, definition=replace(leaf.definition, concept="creatinine-clearance"))
    details = rule_of(as_lab, Glossary(read_definitions()), (), 35).details
    assert "window: default lookback, 35 days before the screening date (--lookback-days)" in details


def _leaves(c: Criterion) -> list[Criterion]:
    d = c.definition
    return [x for k in d.children for x in _leaves(k)] if isinstance(d, Combination) else [c]
