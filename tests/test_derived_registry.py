"""The derived-value registry is the one declaration of a derived concept (issue 11): the parser, the
planner, the attestation checklist and the project CodeSystem read it, so declaring a concept there is
all it takes for them; only its formula is written in the evaluation core (bound to the declaration in
``FORMULAS``), and until it is the value is unknown, never a verdict. The engine calls the formula and
compares no concept names."""

from __future__ import annotations

import ast
import datetime as dt
import math
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fhir_eligibility.codes import LOINC, PROJECT_CS
from fhir_eligibility.criteria.attestable import items
from fhir_eligibility.criteria.model import Derived, Trial
from fhir_eligibility.criteria.parse import Parser
from fhir_eligibility.evaluation import derived as dv
from fhir_eligibility.evaluation.compare import Interval
from fhir_eligibility.evaluation.context import Context
from fhir_eligibility.evaluation.forms import derived as forms
from fhir_eligibility.evaluation.forms.derived import FORMULAS, latest_input
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.measures import concepts
from fhir_eligibility.measures.concepts import DERIVED, DerivedConcept
from fhir_eligibility.requirements.plan import plan
from tests.cases.builders import AS_OF, obs, patient, q, run, window

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from definitions.codesystem import codesystem

HEIGHT = (LOINC, "8302-2")
WEIGHT = (LOINC, "29463-7")
BSA = DerivedConcept(
    "body-surface-area",
    "Body-surface area (m2)",
    "Mosteller from height and weight.",
    "m2",
    frozenset({HEIGHT, WEIGHT}),
    older_input_days=365,
    judged=True,
)


@pytest.fixture
def bsa_declared(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(DERIVED, BSA.name, BSA)
    monkeypatch.setattr(concepts, "REGISTRY", (*concepts.REGISTRY, BSA))
    yield


def characteristic(concept: str) -> dict[str, object]:
    return {
        "definitionByTypeAndValue": {
            "type": {"coding": [{"system": PROJECT_CS, "code": concept}]},
            "valueQuantity": q(1.5, "m2", ">="),
        },
        "timeFromEvent": window(56),
    }


def test_an_undeclared_concept_is_not_a_derived_value() -> None:
    parsed = Parser(lambda _ref: None).characteristic(characteristic("body-surface-area"), "c")
    assert not isinstance(parsed.definition, Derived)


@pytest.mark.usefixtures("bsa_declared")
def test_declaring_a_concept_is_all_the_parser_planner_checklist_and_codesystem_need() -> None:
    crit = Parser(lambda _ref: None).characteristic(characteristic("body-surface-area"), "c")
    assert isinstance(crit.definition, Derived) and crit.definition.concept == "body-surface-area"

    trial = Trial("NCT0", "t", (crit,))
    observations = [r for r in plan([trial], AS_OF) if r.resource_type == "Observation"]
    assert {c for r in observations for c in r.codes} == {HEIGHT, WEIGHT}
    # the window is 56 days, the older input may be 365 days old: the search reaches back 365 days
    assert min(r.date_from for r in observations if r.date_from) == AS_OF - dt.timedelta(days=365)
    assert any(r.resource_type == "Patient" for r in plan([trial], AS_OF))

    assert [i.kind for i in items(trial)] == ["review"]  # judged: a clinician completes it
    egfr = Parser(lambda _ref: None).characteristic(characteristic("egfr-mdrd"), "e")
    assert not items(Trial("NCT0", "t", (egfr,)))  # a formula alone needs no one

    derived = next(c for c in codesystem("2026-01-01")["concept"] if c["code"] == "derived-value")
    assert {"code": "body-surface-area", "display": BSA.display, "definition": BSA.definition} in derived["concept"]


@pytest.mark.usefixtures("bsa_declared")
def test_a_declared_concept_without_a_formula_is_unknown() -> None:
    result = run(characteristic("body-surface-area"), [])
    (c,) = result.criteria
    assert c.result is Result.UNKNOWN and "not implemented" in c.reason


def test_every_registered_concept_has_a_formula() -> None:
    for concept in DERIVED:
        (c,) = run(characteristic(concept), []).criteria
        assert "not implemented" not in c.reason, concept


def test_every_registered_concept_has_a_function_and_every_function_a_declaration() -> None:
    assert set(FORMULAS) == set(DERIVED)
    assert all(callable(f) for f in FORMULAS.values())


ENGINE = Path(forms.__file__).resolve().parents[1]  # fhir_eligibility/evaluation


def test_the_engine_compares_no_concept_names() -> None:
    """No concept name written as a string, no ``.concept ==`` / ``in`` test: the formula is looked up."""
    for f in ENGINE.rglob("*.py"):
        tree = ast.parse(f.read_text())
        names = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert not names & set(DERIVED), f"{f.name} names a derived concept"
        for n in ast.walk(tree):
            if isinstance(n, ast.Compare):
                sides = [n.left, *n.comparators]
                assert not any(isinstance(x, ast.Attribute) and x.attr == "concept" for x in sides), f.name


def mosteller(concept: DerivedConcept, d: Derived, ctx: Context, lo: dt.date, hi: dt.date) -> dv.DerivedValue:
    """Body-surface area, Mosteller: sqrt(height cm x weight kg / 3600)."""
    h = latest_input(ctx, frozenset({HEIGHT}), lo, hi)
    w = latest_input(ctx, frozenset({WEIGHT}), lo, hi)
    if h is None or w is None or h.quantity is None or w.quantity is None:
        return dv.DerivedValue(None, concept.unit, (), "height and weight are needed")
    bsa = math.sqrt(h.quantity.value * w.quantity.value / 3600)
    return dv.DerivedValue(Interval.point(bsa), concept.unit, (), "Mosteller")


@pytest.mark.usefixtures("bsa_declared")
def test_a_declaration_plus_its_function_is_a_derived_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(FORMULAS, BSA.name, mosteller)
    # 170 cm, 70 kg: sqrt(170 x 70 / 3600) = 1.82 m2, which meets >= 1.5 m2; 150 cm, 40 kg: 1.29 m2 does not
    for height, weight, expected in ((170, 70, Result.PASS), (150, 40, Result.FAIL)):
        data = [patient(), obs("8302-2", "2026-05-20", q(height, "cm")), obs("29463-7", "2026-05-20", q(weight, "kg"))]
        (c,) = run({**characteristic("body-surface-area"), "timeFromEvent": window(-56)}, data).criteria
        assert "Mosteller" in c.reason and "not implemented" not in c.reason
        assert c.result is expected, c.reason
