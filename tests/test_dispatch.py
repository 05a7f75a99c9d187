"""Every visitor of the criteria tree handles every characteristic form, and mypy says when one does not.

The evaluator (evaluation/combination.py ``_leaf``), the planner (requirements/plan.py ``leaf_needs``),
the footprint (evaluation/footprint.py), the site-terminology rewriter, usage scan and evidence notes
(terminology/site.py, usage.py, evidence.py) and the screening anchor (screening/anchor.py)
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
    Records,
    Threshold,
    Trial,
    Unsupported,
    ValueTest,
)
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.facts import build_record
from fhir_eligibility.evaluation.footprint import footprint
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.plan import leaf_needs

ROOT = Path(__file__).resolve().parents[1]
LOINC = "http://loinc.org"
AT_LEAST_1 = ValueTest("quantity", ">=", Threshold(1.0, "1"))
ONE_OF_EACH: dict[type, Definition] = {
    ObservationValue: ObservationValue(frozenset({(LOINC, "718-7")}), AT_LEAST_1),
    Age: Age(ValueTest("quantity", ">=", Threshold(18.0, "a"))),
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
    for settings in (Settings(), Settings(explain=False)):
        result = evaluate_trial(Trial("NCT0", "t", (tree,)), record, dt.date(2026, 6, 1), settings)
        assert result.criteria[0].id == "all"
        if form is not Unsupported:
            assert "not interpretable" not in result.criteria[0].reason


FAKE_FORM = """@dataclass(frozen=True)
class FakeForm:
    \"\"\"A characteristic form no visitor knows yet.\"\"\"


"""


def test_mypy_fails_when_a_visitor_forgets_a_form(tmp_path: Path) -> None:
    """A copy of the package with one more form in the union: mypy names each dispatcher that misses it."""
    copy = tmp_path / "fhir_eligibility"
    shutil.copytree(ROOT / "fhir_eligibility", copy, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    model = copy / "criteria" / "model.py"
    text = model.read_text()
    leaf = re.search(r"^Leaf = .*$", text, re.M)
    assert leaf is not None
    text = text.replace(leaf.group(0), leaf.group(0) + " | FakeForm", 1)
    model.write_text(text.replace("# The forms a characteristic", FAKE_FORM + "# The forms a characteristic", 1))
    cache = ROOT / ".mypy_cache"
    if cache.is_dir():  # unchanged modules come from the cache: seconds instead of a minute
        shutil.copytree(cache, tmp_path / ".mypy_cache")
    dispatchers = [
        "evaluation/combination.py",
        "requirements/plan.py",
        "evaluation/footprint.py",
        "terminology/site.py",
        "terminology/usage.py",
        "terminology/evidence.py",
        "screening/anchor.py",
    ]
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
    flagged = {
        m.group(1) for m in re.finditer(r"^fhir_eligibility/(\S+\.py):\d+: error: .*assert_never", out.stdout, re.M)
    }
    assert flagged == set(dispatchers), out.stdout
