"""Every visitor of the criteria tree handles every characteristic form, and mypy says when one does not.

The evaluator (evaluation/combination.py ``leaf_outcome``), the planner (requirements/plan.py ``leaf_needs``),
the footprint (evaluation/footprint.py), the site-terminology rewriter, usage scan and evidence notes
(terminology/site_apply.py, usage.py, evidence.py), the screening anchor (screening/anchor.py) and the
compiled program's truth-only leaves (evaluation/program.py)
dispatch on the ``Definition`` union with ``match`` and end in ``typing.assert_never``. Adding a form
to ``criteria.model.Leaf`` without a ``case`` for it in each of them is then a mypy error
("Argument 1 to "assert_never" has incompatible type"), and, at run time, an AssertionError
instead of a silent "fetch nothing" or "not interpretable".
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from fhir_eligibility.criteria.model import (
    Age,
    Combination,
    Criterion,
    Definition,
    Derived,
    Expression,
    Gender,
    Leaf,
    Manual,
    ObservationValue,
    QuantityTest,
    Records,
    Threshold,
    Trial,
    Unsupported,
)
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.footprint import footprint
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.program import Program
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.plan import leaf_needs

ROOT = Path(__file__).resolve().parents[1]
LOINC = "http://loinc.org"
AT_LEAST_1 = QuantityTest(">=", Threshold(1.0, "1"))
ONE_OF_EACH: dict[type, Definition] = {
    ObservationValue: ObservationValue(frozenset({(LOINC, "718-7")}), AT_LEAST_1),
    Age: Age(QuantityTest(">=", Threshold(18.0, "a"))),
    Gender: Gender(frozenset({"female"})),
    Records: Records(("Condition",), frozenset({("http://snomed.info/sct", "1")})),
    Derived: Derived("egfr-ckd-epi-2021", AT_LEAST_1),
    Manual: Manual(),
    Expression: Expression("Patient.active", "text/fhirpath"),
    Unsupported: Unsupported("a test form"),
}


def test_the_sample_covers_every_form() -> None:
    assert set(ONE_OF_EACH) == set(get_args(Leaf))
    assert set(get_args(Definition)) == set(get_args(Leaf)) | {Combination}


@pytest.mark.parametrize("form", list(ONE_OF_EACH), ids=lambda t: t.__name__)
def test_every_visitor_handles_every_form(form: type) -> None:
    leaf = Criterion("c", "a criterion", ONE_OF_EACH[form])
    tree = Criterion("all", "", Combination("all-of", None, (leaf,)))
    needs = list(leaf_needs(tree, (), dt.date(2026, 6, 1), 28))
    # what each form reads, so the server and CDS paths fetch it (Manual / Unsupported read nothing)
    assert bool(needs) is (form not in (Manual, Unsupported))
    footprint(tree)
    record = build_record(
        PatientData("p", [{"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1960"}])
    )
    trial = Trial("NCT0", "t", (tree,))
    for settings in (Settings(), Settings(explain=False)):
        result = evaluate_trial(trial, record, dt.date(2026, 6, 1), settings)
        assert result.criteria[0].id == "all"
        if form is not Unsupported:
            assert "not interpretable" not in result.criteria[0].reason
        # the compiled program's truth-only leaf gives the explained walk's answer
        program = Program([trial], settings)
        truth = program.truths(program.run(record, program.batch(dt.date(2026, 6, 1))), 0)[0]
        assert {"true": "pass", "false": "fail"}.get(truth.value, truth.value) == result.criteria[0].result.value


def _fake(name: str, doc: str) -> str:
    return f'@dataclass(frozen=True)\nclass {name}:\n    """{doc}"""\n\n\n'


def _mypy_flags(tmp_path: Path, union: str, fake: str, before: str, dispatchers: list[str]) -> set[str]:
    """mypy on a copy of the package where ``fake`` joins the union ``union`` (a class written before the
    line starting with ``before``): the dispatchers among ``dispatchers`` that fail at their ``assert_never``."""
    copy = tmp_path / "fhir_eligibility"
    shutil.copytree(ROOT / "fhir_eligibility", copy, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    model = copy / "criteria" / "model.py"
    text = model.read_text()
    line = re.search(rf"^{union} = .*$", text, re.M)
    assert line is not None and before in text
    text = text.replace(line.group(0), f"{line.group(0)} | {fake}", 1)
    model.write_text(text.replace(before, _fake(fake, "A form no visitor knows yet.") + before, 1))
    cache = ROOT / ".mypy_cache"
    if cache.is_dir():  # unchanged modules come from the cache: seconds instead of a minute
        shutil.copytree(cache, tmp_path / ".mypy_cache")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--follow-imports=silent",
            *(f"fhir_eligibility/{d}" for d in dispatchers),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    failing = re.finditer(r"^fhir_eligibility/(\S+\.py):\d+: error: .*assert_never", out.stdout, re.M)
    return {m.group(1) for m in failing}


def test_mypy_fails_when_a_visitor_forgets_a_form(tmp_path: Path) -> None:
    """A copy of the package with one more form in the union: mypy names each dispatcher that misses it."""
    dispatchers = [
        "evaluation/combination.py",
        "requirements/plan.py",
        "evaluation/footprint.py",
        "terminology/site_apply.py",
        "terminology/usage.py",
        "terminology/evidence.py",
        "screening/anchor.py",
        "evaluation/program.py",
    ]
    flagged = _mypy_flags(tmp_path, "Leaf", "FakeForm", "# The forms a characteristic", dispatchers)
    assert flagged == set(dispatchers)


def test_mypy_fails_when_a_reader_forgets_a_value_test(tmp_path: Path) -> None:
    """The same for the ``ValueTest`` union: a fifth kind of test is an error in every module that reads one
    (its text, codes and thresholds, the parser, compare, observation series, site codes, rule sheets)."""
    readers = [
        "criteria/model.py",
        "criteria/parse.py",
        "evaluation/compare.py",
        "evaluation/forms/observation.py",
        "terminology/site_apply.py",
        "authoring/rules.py",
    ]
    flagged = _mypy_flags(tmp_path, "ValueTest", "FakeTest", "# A value test is one of", readers)
    assert flagged == set(readers)
