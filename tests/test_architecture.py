"""The import rule of architecture.md: the evaluation core does no I/O and reads no clock, and a
room imports only rooms earlier in the flow. Walks the real imports of every module."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "fhir_eligibility"
FORBIDDEN_IN_CORE = {"requests", "httpx", "socket", "urllib", "fhirpy", "subprocess", "logging", "click", "os"}
# ucum.py reads the UCUM grammar bundled with ucumvert once (library data, never patient data).
READS_LIBRARY_DATA = {"ucum.py"}
LATER_ROOMS = (
    "fhir_eligibility.retrieval",
    "fhir_eligibility.report",
    "fhir_eligibility.cli",
    "fhir_eligibility.service",
    "fhir_eligibility.pipeline",
    "fhir_eligibility.screening",
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def _calls(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            fn = node.func
            out.add(fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else "")
    return out


def test_evaluation_core_is_pure() -> None:
    for f in [*(PKG / "evaluation").rglob("*.py"), *(PKG / "measures").rglob("*.py")]:
        mods = _imports(f)
        bad = {m for m in mods if m.split(".")[0] in FORBIDDEN_IN_CORE}
        assert not bad, f"{f.name} imports {bad}"
        later = {m for m in mods if m.startswith(LATER_ROOMS)}
        assert not later, f"{f.name} imports later rooms {later}"
        calls = _calls(f)
        assert not calls & {"today", "now", "utcnow"}, f"{f.name} reads the clock"
        if f.name not in READS_LIBRARY_DATA:
            assert not calls & {"open", "read_text", "read_bytes"}, f"{f.name} reads files"
            assert "pathlib" not in mods


# Each room's forbidden set: the rooms later in the flow (measures -> criteria -> requirements ->
# retrieval -> evaluation -> report -> cli / service). The evaluation core may use the planner's
# statement of what each form reads (evaluation/footprint.py), never the other way round.
ROOM_FORBIDS = {
    "measures": ("fhir_eligibility.criteria", "fhir_eligibility.requirements", "fhir_eligibility.evaluation"),
    "criteria": ("fhir_eligibility.requirements", "fhir_eligibility.evaluation"),
    "requirements": ("fhir_eligibility.evaluation",),
    "evaluation": (),
}


def test_each_room_imports_only_rooms_earlier_in_the_flow() -> None:
    for room, forbidden in ROOM_FORBIDS.items():
        for f in (PKG / room).rglob("*.py"):
            later = {m for m in _imports(f) if m.startswith((*forbidden, *LATER_ROOMS))}
            assert not later, f"{room}/{f.relative_to(PKG / room)} imports {later}"


def test_report_renderers_do_not_evaluate() -> None:
    for f in (PKG / "report").glob("*.py"):
        mods = _imports(f)
        assert "fhir_eligibility.evaluation.engine" not in mods, f.name
        assert not {m for m in mods if m.startswith(("fhir_eligibility.retrieval", "fhir_eligibility.service"))}


def test_public_api_is_pinned() -> None:
    import fhir_eligibility

    assert fhir_eligibility.__all__ == [
        "CriterionResult",
        "PatientData",
        "Report",
        "Result",
        "ServerOptions",
        "Settings",
        "TrialResult",
        "Verdict",
        "evaluate_files",
        "evaluate_patient",
        "evaluate_patients",
        "evaluate_server",
        "load_trials",
        "plan",
    ]
    assert all(hasattr(fhir_eligibility, name) for name in fhir_eligibility.__all__)


HTTP_LIBRARIES = {"requests", "urllib3"}


def test_one_module_imports_the_http_library() -> None:
    # issue 11: sessions, the error wording, credentials and the no-redirect, exact-URL check are
    # written once, in retrieval/http.py; everything else uses its types
    importers = {
        str(f.relative_to(PKG)) for f in PKG.rglob("*.py") if {m.split(".")[0] for m in _imports(f)} & HTTP_LIBRARIES
    }
    assert importers == {"retrieval/http.py"}
