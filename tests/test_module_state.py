"""The evaluation keeps no state in modules: what it caches belongs to a compiled program or a batch.

Why: module-level caches keyed by ``id()`` outlive their trials (a service reloading definitions,
a test building trials on the fly), are shared by every caller in the process, and one of them
(keyed by as-of date) grew with every day a CDS service ran. The compiled objects now hold them.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import gc
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.program import Batch, Program
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.service.app import Service
from tests.service.support import open_config

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fhir_eligibility"
SCANNED = [*sorted((PACKAGE / "evaluation").rglob("*.py")), PACKAGE / "criteria" / "attestable.py"]
AS_OF = dt.date(2026, 6, 1)

MUTABLE_CALLS = {"dict", "list", "set", "defaultdict", "OrderedDict", "deque", "Counter", "bytearray"}
MUTABLE_CALLS |= {"WeakKeyDictionary", "WeakValueDictionary", "WeakSet"}
MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "clear", "remove"}
MUTATORS |= {"discard", "sort", "reverse", "__setitem__", "__delitem__", "intersection_update"}
MUTATORS |= {"difference_update", "symmetric_difference_update"}

# Read-only lookup tables: mutable types, never written (checked below over the whole package).
# They stay dicts and sets because they are read on the per-patient hot path (a frozenset would do
# for the sets, but most live in modules other branches own this session).
READ_ONLY_TABLES = {
    "__all__": "the export list",
    "_STOP": "combination: the child truth that decides all-of / any-of",
    "ORDINALS": "compare: LOINC answer codes of ordinal scales -> rank",
    "VERB": "compare: wording of a met / unmet comparison",
    "OBS_VALID": "facts: Observation statuses that count",
    "OBS_PRELIMINARY": "facts: the status --include-preliminary adds",
    "MA_VALID": "facts: MedicationAdministration statuses that count",
    "MS_VALID": "facts: MedicationStatement statuses that count",
    "PROC_VALID": "facts: Procedure statuses that count",
    "REPORT_DROP": "facts: DiagnosticReport statuses that are dropped",
    "CHOICE_FIELDS": "facts: the [x] field names of each date choice, spelled once",
    "FORMULAS": "derived: each declared concept's formula (the registry's functions)",
    "LANGUAGES": "fhirpath: the expression languages evaluated",
    "ACTIVE_CONDITION": "records: clinical statuses of an active condition",
    "INACTIVE_CONDITION": "records: clinical statuses of a condition that is over",
    "_CONDITION_STATUSES": "facts: the standard Condition status codes",
    "_ORDER_STATUSES": "facts: MedicationRequest / MedicationDispense statuses that are read",
    "UNCERTAIN_VERIFICATION": "records: verification statuses that make a match uncertain",
    "FORM_METHODS": "medication: criterion method -> the acting form it asks for",
    "_ALWAYS_LONG": "medication: ingredients that only exist as depot forms",
    "_FORM_BY_ROUTE": "medication: ingredients whose route tells the acting form",
    "_IM": "medication: intramuscular route codes",
    "_SC_IV": "medication: subcutaneous and intravenous route codes",
    "RANK": "timeline: verdict -> rank (eligible highest)",
    "APPROX_DAYS": "timeline: unit -> approximate days",
    "RESULT_OF": "trial: truth value -> result",
    "_SEX": "facts: a reference range's appliesTo code -> sex",
    "_AGE_UNITS": "facts: UCUM unit of an age (onsetAge, a reference range's age) -> its calendar unit",
    "_SUPPLY_UNIT_DAYS": "facts: a dispensed supply's unit -> days",
    "_CODED_YES_NO": "attestation: a yes/no answer's code -> its value",
    "_LITERALS": "fhirpath: a boolean literal -> its truth",
    "_SITED": "facts: a generic secondary neoplasm's body site -> the pre-coordinated metastasis code",
    "_GRADED": "facts: a graded finding charted as an Observation's code -> the score it answers",
    "_TEXT_COMPARATOR": "observed: a comparator sign written in text -> FHIR's comparator",
}


def _module_containers(path: Path) -> dict[str, int]:
    """Names bound at module level to a mutable dict / list / set (literal, comprehension or call)."""
    out: dict[str, int] = {}
    for node in ast.parse(path.read_text()).body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        v = node.value
        literal = isinstance(v, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp))
        func = v.func if isinstance(v, ast.Call) else None
        called = isinstance(func, ast.Name) and func.id in MUTABLE_CALLS
        called = called or (isinstance(func, ast.Attribute) and func.attr in MUTABLE_CALLS)
        if literal or called:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out.update({t.id: node.lineno for t in targets if isinstance(t, ast.Name)})
    return out


def _name(e: ast.expr) -> str | None:
    return e.id if isinstance(e, ast.Name) else e.attr if isinstance(e, ast.Attribute) else None


def _writes(tree: ast.AST) -> set[str]:
    """Names a module writes into: ``X[k] = v``, ``del X[k]``, ``X[k] += v``, ``X.update(...)``, ``global X``."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(_name(node.value) or "")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            out.add(_name(node.func.value) or "")
        elif isinstance(node, ast.Global):
            out.update(node.names)
    return out


def test_no_module_level_mutable_state_in_the_evaluation() -> None:
    found = {f"{p.relative_to(ROOT)}:{line} {name}" for p in SCANNED for name, line in _module_containers(p).items()}
    unexplained = sorted(f for f in found if f.rsplit(" ", 1)[1] not in READ_ONLY_TABLES)
    assert not unexplained, f"module-level mutable containers (state belongs to a compiled object): {unexplained}"
    assert found, "the scan found nothing at all: it would prove nothing"


def test_the_read_only_tables_are_never_written() -> None:
    written: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        written |= _writes(ast.parse(path.read_text()))
    tables = set(READ_ONLY_TABLES) - {"__all__"}
    assert not tables & written, f"a table the allowlist calls read-only is written: {sorted(tables & written)}"


def test_the_scan_catches_a_cache(tmp_path: Path) -> None:
    """The scan's own check: the shapes the removed caches had are reported, immutable values are not."""
    module = tmp_path / "cached.py"
    module.write_text("_BOUNDS: dict[int, int] = {}\n_LAST = []\n_SEEN = set()\nOK = frozenset()\nN = 3\n")
    assert set(_module_containers(module)) == {"_BOUNDS", "_LAST", "_SEEN"}
    assert _writes(ast.parse("_BOUNDS[1] = 2\nc._LAST.append(1)\nx = OK[1]\n")) == {"_BOUNDS", "_LAST"}


def test_caches_of_pure_functions_are_bounded() -> None:
    """What stays at module level: functools caches of pure functions of immutable values, each bounded."""
    for path in SCANNED:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for d in node.decorator_list:
                text = ast.unparse(d).removeprefix("functools.")
                if text.split("(")[0] in ("lru_cache", "cache"):  # not cached_property: that one is per object
                    assert "lru_cache(maxsize=" in text and "None" not in text, f"{path.name}:{node.name} {text}"


# ---- compiled objects do not share state -----------------------------------------------------------------


def _patients() -> list[PatientData]:
    patients, _ = read_patients([ROOT / "sample_bundles"])
    return patients


def _nodes(trials: tuple[Trial, ...]) -> set[int]:
    return {id(n) for t in trials for top in t.criteria for n in top.walk()}


@pytest.mark.parametrize("settings", [Settings(), Settings(explain=False)], ids=["explained", "screening"])
def test_programs_of_equal_trials_share_nothing(settings: Settings) -> None:
    first = tuple(load_trials())
    second = tuple(copy.deepcopy(t) for t in first)  # equal definitions, other objects
    assert second == first and not _nodes(first) & _nodes(second)
    a, b = Program(first, settings), Program(second, settings)
    batch_a, batch_b = a.batch(AS_OF), b.batch(AS_OF)
    records = [build_record(p) for p in _patients()]
    results_a = [r for rec in records for r in a.evaluate(rec, AS_OF, batch_a)]
    size_a = len(batch_a.explained.outcomes)
    results_b = [r for rec in records for r in b.evaluate(rec, AS_OF, batch_b)]
    assert results_a == results_b  # the same answers...
    assert len(batch_a.explained.outcomes) == size_a  # ...and evaluating b left a's batch as it was
    assert batch_b.explained.outcomes, "nothing was shared: the test would prove nothing"
    theirs = _nodes(first)  # alive throughout: no other object can have one of these ids
    assert not {id(c) for c, _w, _o in batch_b.explained.outcomes.values()} & theirs  # b's batch: none of a's nodes
    for compiled in b.compiled:  # and b's compiled trials hold lookups of b's nodes only
        assert not {id(c) for c, _label in compiled._labels.values()} & _nodes(first)
        assert not {id(c) for c, _fp in compiled._footprints.values()} & _nodes(first)


def test_the_cds_service_does_not_grow_across_as_of_dates(tmp_path: Path) -> None:
    """The old cross-patient cache kept outcomes per as-of date; the service now keeps one date's batch."""
    service = Service(open_config(tmp_path), trials=load_trials())
    patients = _patients()[:3]
    gc.collect()
    batches_before = sum(isinstance(o, Batch) for o in gc.get_objects())
    sizes = []
    for day in range(40):
        as_of = AS_OF + dt.timedelta(days=day)
        for data in patients:
            service.evaluate(data, as_of)
        kept = service.evaluator.batch
        assert kept is not None and kept.as_of == as_of
        sizes.append(len(kept.explained.outcomes) + len(kept.explained.tops) + len(kept.explained.bounds))
    gc.collect()
    assert sum(isinstance(o, Batch) for o in gc.get_objects()) <= batches_before + 1  # one date's, no more
    assert sizes[0] > 0 and max(sizes) <= 2 * sizes[0]  # what a date holds does not accumulate
