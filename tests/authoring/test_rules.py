"""show --rules: every computable criterion of the six trials appears with its codes, thresholds and windows,
as they are in the LOADED criteria tree (what evaluate runs), in text and on a self-contained HTML page."""

from __future__ import annotations

import html
import subprocess
import sys
from pathlib import Path

import pytest

from fhir_eligibility.authoring.rules import UNITS, rules_html, rules_text
from fhir_eligibility.criteria.load import load_trials, read_definitions
from fhir_eligibility.criteria.model import (
    Age,
    Combination,
    Criterion,
    Derived,
    Manual,
    ObservationValue,
    QuantityTest,
    Records,
    ValueTest,
    Window,
    thresholds,
)

ROOT = Path(__file__).resolve().parents[2]
TRIALS = ["NCT04954820", "NCT05773274", "NCT04837885", "NCT05987176", "NCT01842165", "NCT03972488"]


def _leaves(c: Criterion, inherited: tuple[Window, ...] = ()) -> list[tuple[Criterion, tuple[Window, ...]]]:
    windows = c.windows or inherited
    if isinstance(c.definition, Combination):
        return [x for k in c.definition.children for x in _leaves(k, windows)]
    return [(c, windows)]


def _expected_strings(leaf: Criterion, windows: tuple[Window, ...]) -> list[str]:
    """What a reviewer must find for this leaf: its codes, its threshold numbers and units, its window bounds."""
    d = leaf.definition
    out: list[str] = []
    test: ValueTest | None = None
    if isinstance(d, ObservationValue | Records):
        out += [code for _, code in d.codes]
    if isinstance(d, ObservationValue | Age | Derived):
        test = d.test
    if test is not None:
        for t in thresholds(test):
            out.append(f"{t.value:g}" + (f" {t.unit}" if t.unit and t.unit != "1" else ""))
        if isinstance(test, QuantityTest) and test.comparator:
            out.append(test.comparator)
    if isinstance(d, Records):
        out.append("open world" if "open-world" in d.methods else "closed world")
        for count in (d.instances, d.duration):
            if count is not None and count.value is not None:
                out.append(f"{count.value:g}")
    if isinstance(d, ObservationValue | Derived | Records):
        for w in windows:
            for bound in (w.low, w.high):
                if bound is not None and bound.value != 0:
                    out.append(f"{abs(bound.value):g} {UNITS[bound.unit]}")
    return out


@pytest.fixture(scope="module")
def loaded() -> tuple[list, object]:
    return load_trials(), read_definitions()


@pytest.mark.parametrize("nct", TRIALS)
def test_every_computable_leaf_is_shown_with_codes_thresholds_windows(nct: str, loaded: tuple) -> None:
    trials, ds = loaded
    trial = next(t for t in trials if t.id == nct)
    blocks = {b.split("  ", 1)[0]: b for b in rules_text(trial, ds).split("\n\n")}
    checked = 0
    for top in trial.criteria:
        block = blocks[top.id]
        for leaf, windows in _leaves(top):
            if isinstance(leaf.definition, Manual):
                assert "manual" in block
                continue
            if leaf is not top:
                assert f"[{leaf.id}]" in block, (top.id, leaf.id)
            for s in _expected_strings(leaf, windows):
                assert s in block, (top.id, leaf.id, s)
                checked += 1
    assert checked > 50  # the trials are mostly computable: this walked real rules


def test_hand_read_rules_of_trial_a() -> None:
    """A-I7 'ECOG performance status 0-2' and A-I2's Ki-67 <= 20 %, read off the protocol by hand."""
    trial = load_trials(only=["NCT04954820"])[0]
    text = rules_text(trial, read_definitions())
    ecog = next(b for b in text.split("\n\n") if b.startswith("A-I7 "))
    assert "LOINC 89247-1" in ecog and "0 {score} .. 2 {score}" in ecog
    assert "from 28 days before to the screening date" in ecog and "UNKNOWN (open world)" in ecog
    ki67 = next(b for b in text.split("\n\n") if b.startswith("A-I2 "))
    assert "LOINC 29593-1" in ki67 and "<= 20 %" in ki67 and "any time up to the screening date" in ki67


@pytest.mark.parametrize("nct", TRIALS)
def test_same_record_combinations_say_so(nct: str, loaded: tuple) -> None:
    """A site and a morphology that must be on one Condition (A-I2's intestinal NET) read differently
    from a plain ALL OF: the reviewer is told, on exactly the combinations that carry the flag."""
    trials, ds = loaded
    trial = next(t for t in trials if t.id == nct)
    text = rules_text(trial, ds)
    flagged = [
        n.id
        for top in trial.criteria
        for n in top.walk()
        if isinstance(n.definition, Combination) and n.definition.same_record
    ]
    shown: list[str] = []
    block = ""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith(" ") and "  " in line:
            block = line.split("  ", 1)[0]  # a top-level criterion's header: "A-I2  INCLUSION  ..."
        if "same record:" in line:
            above = lines[i - 1].strip()
            shown.append(above[3 : above.index("] ")] if above.startswith("- [") else block)
    assert sorted(shown) == sorted(flagged)
    if nct == "NCT04954820":
        assert "characteristic[1].0.1" in flagged  # A-I2: the site and its NET morphology on one Condition


def test_hand_read_rules_of_netter2() -> None:
    """NETTER-2 read off its record by hand: Ki-67 10-55 % (both inclusive), > 40 kg in kg, KPS >= 60 in 28 days,
    SSTR imaging in 3 months (open world), prior PRRT closed world, potassium > 6.0 mmol/L excluded."""
    trial = load_trials(only=["NCT03972488"])[0]
    blocks = {b.split("  ", 1)[0]: b for b in rules_text(trial, read_definitions()).split("\n\n")}
    assert "LOINC 29593-1" in blocks["I2"] and "10 % .. 55 %" in blocks["I2"]
    assert "LOINC 29463-7 Body weight > 40 kg" in blocks["I3"] and "Age >= 15 a" in blocks["I3"]
    assert "from 3 months before to the screening date" in blocks["I4"] and "open world" in blocks["I4"]
    kps = blocks["I6"]
    assert "LOINC 89243-0 Karnofsky Performance Status score >= 60 {score}" in kps
    assert "from 28 days before to the screening date" in kps
    assert "ValueSet/vs-lu177" in blocks["E2"] and "closed world" in blocks["E2"]
    assert "judgement" in blocks["E3"] and "from 84 days before to the screening date" in blocks["E6"]
    assert [c.id for c in trial.criteria if not c.computable] == ["I5", "I7", "I8", "E1"]
    # E6 references vs-major-surgery, which has the same codes as vs-liver-resection: both names are shown
    assert "ValueSet/vs-major-surgery" in blocks["E6"] and "ValueSet/vs-liver-resection" in blocks["E6"]
    assert "ValueSet/vs-ssa (Somatostatin analogues)" in blocks["E4"]
    # E7 (registry line): potassium > 6.0 mmol/L (strict) in the default 28-day window, most recent decides
    k = blocks["E7"]
    assert "LOINC 2823-3" in k and "LOINC 6298-4" in k and "> 6 mmol/L" in k and "must NOT hold" in k
    assert "from 28 days before to the screening date" in k and "most recent valid result" in k


@pytest.mark.parametrize("nct", TRIALS)
def test_html_page_is_self_contained_and_complete(nct: str, loaded: tuple) -> None:
    trials, ds = loaded
    trial = next(t for t in trials if t.id == nct)
    page = rules_html(trial, ds)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()
    assert "src=" not in page and "href=" not in page and "@import" not in page
    for top in trial.criteria:
        assert f"<td>{html.escape(top.id)}</td>" in page
        for leaf, windows in _leaves(top):
            for s in _expected_strings(leaf, windows):
                assert html.escape(s) in page, (leaf.id, s)


def test_cli_show_rules() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", "show", "NCT05987176", "--rules"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0 and r.stdout.startswith("NCT05987176"), r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", "show", "NCT05987176", "--rules", "--format", "html"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0 and "<table>" in r.stdout
